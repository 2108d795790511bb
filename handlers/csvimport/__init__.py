"""``kam import``: a CSV file into the book, checked, planned, audited and revertible.

    plan_import(session, kind, src, ...) -> ImportPlan     reads; writes nothing
    apply_import(session, plan, ...) -> ImportResult       writes, with the audit trail
    revert_import(session, request_id, ...) -> entries     takes one whole import back

The file's shape is checked first (``storage.csvio.read_table``: encoding, NUL bytes,
quotes, ragged rows, cell lengths), then every cell is read with the chat grammar
(``cells``), then every row against the book (``importers``: names matched as chat
matches them, references, duplicates, a tier override's reason).  Any problem raises
``ImportRejected`` listing ``line N: reason`` for every bad row, and nothing is written.

The plan says per row: created, updated (each changed field, old → new, and the tier
kam would compute) or unchanged; and which changes would overwrite something set by
hand in chat (a tier override with its reason, an owner someone changed).  Applying a
plan with such conflicts needs ``overwrite=True``; otherwise ``OverwriteRefused`` and
nothing is written.

Applying records every change in the audit trail under one request id (channel
``csv``; each summary names the file and the line), so ``kam audit`` and
``/history`` show it, and ``/undo`` by the same user or ``kam import --revert ID``
takes the whole import back — refusing, changing nothing, when someone has changed
one of those rows since.  Never commits: the caller owns the transaction.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import BinaryIO, TextIO

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from domain.errors import InvalidInput, NotFound
from domain.models import AuditEntry
from domain.policy import Policy
from handlers.csvimport.importers import CHANNEL, importers
from handlers.csvimport.plan import Change, Conflict, ImportPlan, ImportResult, RowPlan
from storage import audit
from storage.csvio import ImportRejected, kind_of, read_table

__all__ = [
    "CHANNEL",
    "Change",
    "Conflict",
    "ImportPlan",
    "ImportRejected",
    "ImportResult",
    "OverwriteRefused",
    "RevertRefused",
    "RowPlan",
    "apply_import",
    "plan_import",
    "revert_import",
]


class OverwriteRefused(InvalidInput):
    """The import would overwrite changes made by hand; pass ``overwrite=True``."""

    def __init__(self, conflicts: list[tuple[int, Conflict]]) -> None:
        self.conflicts = conflicts
        super().__init__(
            f"{len(conflicts)} change(s) would overwrite what someone set by hand",
            hint="nothing was imported; check them with --dry-run, then add --overwrite",
        )


class RevertRefused(InvalidInput):
    """Someone changed the imported rows since (``by``), or other rows now depend on them."""

    def __init__(self, message: str, *, by: str | None = None) -> None:
        self.by = by
        super().__init__(message)


def plan_import(
    session: Session,
    kind: str,
    src: TextIO | BinaryIO | bytes | str | os.PathLike[str],
    *,
    settings: Policy,
    now: datetime,
    file: str = "",
) -> ImportPlan:
    """Check every row of a ``kind`` file and say what importing it would change.

    Reads only: nothing is added to the session.  Raises ``ImportRejected`` when the
    file or any row is bad.
    """
    kind = kind_of(kind)
    table = read_table(src, kind)
    importer = importers()[kind](session, settings, now, file or f"{kind}.csv")
    with session.no_autoflush:
        rows = [importer.parse(line, cells) for line, cells in table.rows]
        importer.check(rows)
        errors = [(row.line, "; ".join(row.errors)) for row in rows if row.errors]
        if errors:
            raise ImportRejected(errors)
        plans = [importer.plan(row) for row in rows]
    return ImportPlan(kind, importer.file, plans, importer)


def apply_import(
    session: Session,
    plan: ImportPlan,
    *,
    actor_id: int,
    request_id: str,
    overwrite: bool = False,
) -> ImportResult:
    """Write the plan, recording every change under ``request_id``."""
    if plan.conflicts and not overwrite:
        raise OverwriteRefused(plan.conflicts)
    importer = plan.importer
    importer.actor_id, importer.request_id = actor_id, request_id
    importer.apply(plan.rows)
    session.flush()
    return plan.count()


def import_entries(session: Session, request_id: str) -> list[AuditEntry]:
    """The entries of one import, not yet undone (empty if none)."""
    return list(
        session.exec(
            select(AuditEntry)
            .where(
                AuditEntry.request_id == request_id,
                AuditEntry.channel == CHANNEL,
                AuditEntry.undone_at.is_(None),
                AuditEntry.action != "undo",
            )
            .order_by(AuditEntry.id)
        ).all()
    )


def revert_import(
    session: Session, request_id: str, *, actor_id: int, now: datetime, new_request_id: str
) -> list[AuditEntry]:
    """Take back a whole import; ``RevertRefused`` (nothing changed) if that is not safe."""
    entries = import_entries(session, request_id)
    if not entries:
        raise NotFound(f"no import {request_id!r} to revert (or it was already reverted)")
    later = audit.changed_since(session, entries)
    if later is not None:
        by = audit.actor_handle(session, later)
        raise RevertRefused(
            f"{later.entity} #{later.entity_id} was changed since by "
            f"{'@' + by if by else 'someone'} ({later.summary or later.action}); "
            "nothing was reverted",
            by=by,
        )
    try:
        audit.revert_command(
            session, entries, actor_id=actor_id, channel=CHANNEL, request_id=new_request_id,
            now=now, what=f"import {request_id}",
        )  # fmt: skip
    except IntegrityError as exc:
        raise RevertRefused(
            "other records now depend on rows this import created; nothing was reverted"
        ) from exc
    return entries
