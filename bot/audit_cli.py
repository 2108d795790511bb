"""``kam audit``: print the audit trail — who changed what, when, from where.

    kam audit                                   the latest 200 changes
    kam audit --account Acme --since 2026-11-01
    kam audit --user alice --since "last monday" --json

Oldest first (the newest ``--limit`` of them), times in kam's timezone (``KAM_TIMEZONE``).
``--json`` prints one object per line for scripts.  Nothing is written.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings, load_settings
from bot.tables import width
from domain.errors import KamError
from storage import accounts, users
from storage.audit import TrailEntry, trail
from storage.engine import make_engine
from storage.session import unit_of_work

COLUMNS = (("when", 16), ("who", 12), ("via", 7), ("action", 6), ("what", 20), ("account", 16))


def audit_command(
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account (name or alias)")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Only changes by this handle")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="From this day on: 2026-11-01, '7 days ago', 上周一"),
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many (the newest); 0 = all")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line")] = False,
) -> None:
    """Print the audit trail: who changed what, when, from which channel."""
    settings = _settings()
    tz = settings.tz
    engine = make_engine(settings.database_url)
    try:
        start = _since(since, tz) if since else None
        rows = _read(engine, account=account, user=user, since=start, limit=limit or None)
    except KamError as exc:
        typer.echo(f"kam: {exc}", err=True)
        raise typer.Exit(2) from exc
    except SQLAlchemyError as exc:
        typer.echo(
            f"kam: cannot read the audit trail ({type(exc).__name__}); "
            "run `kam doctor` to see what is wrong with the database",
            err=True,
        )
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    rows.reverse()  # read newest first (for --limit), printed oldest first
    if as_json:
        for row in rows:
            typer.echo(json.dumps(as_record(row), ensure_ascii=False))
    else:
        if rows:
            typer.echo(_line([name for name, _w in COLUMNS] + ["summary"]))
        for row in rows:
            typer.echo(_line(_cells(row, tz)))
    typer.echo(f"{len(rows)} change{'s' if len(rows) != 1 else ''}", err=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except KamError as exc:
        typer.echo(f"kam: {exc}", err=True)
        raise typer.Exit(2) from exc


def _read(
    engine: Engine,
    *,
    account: str | None,
    user: str | None,
    since: datetime | None,
    limit: int | None,
) -> list[TrailEntry]:
    with unit_of_work(engine, write=False) as session:
        account_id = actor_id = None
        if account:
            account_id = _account_id(session, account)
        if user:
            handle = user.lstrip("@")
            found = users.by_handle(session, handle)
            if found is None:
                raise KamError(f"no user with handle {handle!r}")
            actor_id = found.id
        return trail(session, account_id=account_id, actor_id=actor_id, since=since, limit=limit)


def _account_id(session, typed: str) -> int:
    from handlers.parsing.names import Candidate, resolve

    exact = accounts.find_exact(session, typed)
    if exact is not None:
        return exact.id
    candidates = [
        Candidate(i, name, aliases) for i, name, aliases in accounts.name_candidates(session)
    ]
    try:
        return resolve(typed, candidates).key
    except KamError as exc:
        closest = getattr(exc, "candidates", None)
        hint = f" (closest: {', '.join(closest)})" if closest else ""
        raise KamError(f"no account named {typed!r}{hint}") from exc


def _since(text: str, tz: ZoneInfo) -> datetime:
    """The start of the day ``text`` names, in kam's timezone (or the exact time given)."""
    text = text.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        pass
    else:
        if len(text) <= 10:  # a bare date: from the start of that day
            return datetime.combine(when.date(), time(), tz)
        return when if when.tzinfo else when.replace(tzinfo=tz)
    from handlers.parsing.dates import parse_date

    day: date | None = parse_date(text, now=datetime.now(tz), prefer="past")
    if day is None:
        raise KamError(f"--since {text!r} is not a date; use e.g. 2026-11-01 or '7 days ago'")
    return datetime.combine(day, time(), tz)


def as_record(row: TrailEntry) -> dict:
    e = row.entry
    return {
        "at": e.at.isoformat(),
        "actor": row.actor_handle,
        "channel": e.channel,
        "action": e.action,
        "entity": e.entity,
        "entity_id": e.entity_id,
        "account": row.account_name,
        "summary": e.summary,
        "request_id": e.request_id,
        "undone_at": e.undone_at.isoformat() if e.undone_at else None,
    }


def _cells(row: TrailEntry, tz: ZoneInfo) -> list[str]:
    e = row.entry
    what = e.entity + (f"#{e.entity_id}" if e.entity_id is not None else "")
    summary = e.summary + (" (undone)" if e.undone_at else "")
    return [
        e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        row.actor_handle or "kam",
        e.channel,
        e.action,
        what,
        row.account_name or "-",
        summary,
    ]


def _line(cells: list[str]) -> str:
    out = []
    for (_name, columns), cell in zip(COLUMNS, cells, strict=False):
        out.append(cell + " " * max(columns - width(cell), 0))
    out.append(cells[-1])
    return "  ".join(out).rstrip()
