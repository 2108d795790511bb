"""``kam import`` and ``kam export``: the book as CSV files.

    kam import accounts accounts.csv --dry-run     what would change, row by row; writes nothing
    kam import accounts accounts.csv --as alice    import it, as alice (audited, revertible)
    kam import --revert import-3f9c2a1b7d04        take that whole import back
    kam export accounts accounts.csv               UTF-8 with BOM, safe to open in Excel/WPS

The format and export are ``storage.csvio``; checking, planning, applying and
reverting an import are ``handlers.csvimport``.  This module only words the results.
"""

from __future__ import annotations

import os
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from bot.config import load_settings
from bot.tables import print_counts, width
from domain.errors import KamError
from storage.csvio import KINDS

DEFAULT_ACTOR = "admin"


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"kam: {message}", err=True)
    return typer.Exit(code)


def _app():
    from bot.bootstrap import build_app

    try:
        settings = load_settings()
    except KamError as exc:
        raise _fail(str(exc), 2) from exc
    return build_app(settings)


def import_command(
    kind: Annotated[str | None, typer.Argument(help=" | ".join(KINDS))] = None,
    file: Annotated[Path | None, typer.Argument(exists=True, dir_okay=False)] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change, row by row; write nothing")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option("--as", help=f"Who imports (a handle; default $KAM_AS, else {DEFAULT_ACTOR})"),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Also overwrite tier overrides and owners set in chat"),
    ] = False,
    revert: Annotated[
        str | None, typer.Option("--revert", help="Take back the import with this ID")
    ] = None,
) -> None:
    """Import a CSV file (UTF-8, with or without BOM); one bad row rejects the whole file."""
    from handlers.csvimport import (
        ImportRejected,
        OverwriteRefused,
        apply_import,
        plan_import,
    )
    from storage.session import unit_of_work

    kam = _app()
    settings = kam.settings
    handle = (actor or os.environ.get("KAM_AS") or DEFAULT_ACTOR).lstrip("@")
    now = datetime.now(settings.tz)
    if revert is not None:
        _revert(kam.engine, settings, revert, handle, now)
        return
    if kind is None or file is None:
        raise _fail("give KIND and FILE (or --revert ID)", 2)
    if kind not in KINDS:
        raise _fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", 2)
    request_id = f"import-{uuid.uuid4().hex[:12]}"
    try:
        with unit_of_work(kam.engine, write=not dry_run) as session:
            actor_id = _actor_id(session, handle)
            plan = plan_import(session, kind, file, settings=settings, now=now, file=file.name)
            if not dry_run:
                apply_import(
                    session, plan, actor_id=actor_id, request_id=request_id, overwrite=overwrite
                )
    except ImportRejected as exc:
        raise _fail(f"{file}: nothing imported.\n{exc}") from exc
    except OverwriteRefused as exc:
        typer.echo(f"{file}: nothing imported: {exc}:", err=True)
        for line, conflict in exc.conflicts:
            typer.echo(f"  line {line}: {_conflict(conflict, settings.tz)}", err=True)
        raise _fail(
            "check them with --dry-run; to overwrite them anyway, import again with --overwrite"
        ) from exc
    except KamError as exc:
        raise _fail(f"{file}: nothing imported.\n{exc}") from exc
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{file}: {verb} {kind} as @{handle}")
    _print_rows(plan, settings.tz)
    counts = plan.count()
    print_counts(
        ("kind", "created", "updated", "unchanged"),
        [(kind, counts.created, counts.updated, counts.unchanged)],
    )
    if dry_run:
        if plan.conflicts and not overwrite:
            typer.echo(
                f"{len(plan.conflicts)} change(s) overwrite what was set by hand in chat: "
                "importing needs --overwrite"
            )
        typer.echo("dry run: nothing was written")
    else:
        if counts.created or counts.updated:
            typer.echo(
                f"import id {request_id}; take it back with: kam import --revert {request_id}"
            )
            if kind in RFM_KINDS:
                _rank_rfm(kam.engine, settings, now)
        else:
            typer.echo("nothing changed")


def _actor_id(session, handle: str) -> int:
    from storage import users

    user = users.by_handle(session, handle)
    if user is None:
        raise KamError(f"no user @{handle} to import as; pass --as HANDLE (or set KAM_AS)")
    return user.id  # type: ignore[return-value]


def _print_rows(plan, tz: ZoneInfo) -> None:
    """``line 2  Acme  updated  owner: alice → bob; …`` — one line per row, then its notes."""
    rows = []
    for row in plan.rows:
        if row.action == "created":
            what = ", ".join(f"{ch.column} {ch.new}" for ch in row.changes if not ch.computed)
            tier = next((ch.new for ch in row.changes if ch.computed), None)
            what += f"; tier {tier} (computed)" if tier else ""
        else:
            what = "; ".join(
                f"{ch.column}: {ch.old or '—'} → {ch.new or '—'}"
                + (" (computed)" if ch.computed else "")
                for ch in row.changes
            )
        rows.append([f"line {row.line}", row.label, row.action, what])
    widths = [max((width(r[i]) for r in rows), default=0) for i in range(3)]
    for row, cells in zip(plan.rows, rows, strict=True):
        padded = [cell + " " * (widths[i] - width(cell)) for i, cell in enumerate(cells[:3])]
        typer.echo("  ".join([*padded, cells[3]]).rstrip())
        for conflict in row.conflicts:
            typer.echo(f"    ! {_conflict(conflict, tz)}")


def _conflict(conflict, tz: ZoneInfo) -> str:
    who = f"@{conflict.by}" if conflict.by else "someone"
    when = f" on {conflict.at.astimezone(tz):%Y-%m-%d}" if conflict.at else ""
    if conflict.what == "tier_override":
        new = conflict.new or "no override"
        return (
            f"overwrites the tier override {conflict.current} "
            f"(reason: {conflict.reason or '—'}) set by hand by {who}{when} → {new}"
        )
    return f"overwrites the owner {conflict.current} set by hand by {who}{when} → {conflict.new}"


def _revert(engine, settings, request_id: str, handle: str, now: datetime) -> None:
    from handlers.csvimport import revert_import
    from storage.session import unit_of_work

    try:
        with unit_of_work(engine) as session:
            actor_id = _actor_id(session, handle)
            entries = revert_import(
                session,
                request_id,
                actor_id=actor_id,
                now=now,
                new_request_id=f"revert-{uuid.uuid4().hex[:12]}",
            )
    except KamError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(f"reverted {request_id} as @{handle}: {len(entries)} change(s) taken back")
    _rank_rfm(engine, settings, now)


RFM_KINDS = ("accounts", "deals", "payments")
"""Imports that move the book's RFM: its accounts (who is ranked), won deals, payments."""


def _rank_rfm(engine, settings, now: datetime) -> None:
    """Rank the book's RFM again after a bulk change (``schedules.jobs.rfm``), once the
    import has committed; a failure leaves the import done and the nightly run to rank."""
    from sqlalchemy.exc import SQLAlchemyError

    from schedules.jobs.rfm import refresh

    try:
        refresh(engine, settings, now)
    except SQLAlchemyError as exc:  # the import stands; say so, and let the scheduler rank
        typer.echo(
            f"kam: the book's RFM was not ranked again ({exc}); the nightly job will", err=True
        )


def export_command(
    kind: Annotated[str, typer.Argument(help=" | ".join(KINDS))],
    file: Annotated[Path | None, typer.Argument(dir_okay=False)] = None,
) -> None:
    """Export to CSV (UTF-8 with BOM; formula-looking cells start with ')."""
    from storage.csvio import export_csv
    from storage.session import unit_of_work

    if kind not in KINDS:
        raise _fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", 2)
    kam = _app()
    with unit_of_work(kam.engine, write=False) as session:
        if file is None:
            n = export_csv(session, kind, sys.stdout, bom=False)  # a pipe wants no BOM
        else:
            with file.open("w", encoding="utf-8", newline="") as out:
                n = export_csv(session, kind, out)
    typer.echo(f"exported {n} {kind}", err=True)
