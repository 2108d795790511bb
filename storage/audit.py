"""The audit trail, and ``/undo`` built on it.

Every change a command makes is recorded as an ``AuditEntry`` holding the row before
and after (JSON snapshots).  Entries of one command share its ``request_id``, so undo
reverts a whole command — newest entry first — from the snapshots alone: a created
row is deleted, an updated row gets its old values back, a deleted row is re-inserted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, select

from domain.models import Account, AuditEntry, User


def snapshot(obj: SQLModel) -> dict[str, Any]:
    """The row's column values, JSON-safe."""
    out: dict[str, Any] = {}
    for col in sa_inspect(type(obj)).columns:
        value = getattr(obj, col.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        out[col.key] = value
    return out


def _model_for(table: str) -> type[SQLModel]:
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.class_.__tablename__ == table:
            return mapper.class_
    raise KeyError(table)


def _restore(cls: type[SQLModel], data: dict[str, Any]) -> SQLModel:
    """Rebuild a row object from a snapshot, converting JSON back to column types."""
    return cls.model_validate(data)


def _primary_key(cls: type[SQLModel], data: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(data[c.key] for c in sa_inspect(cls).primary_key)


def record(
    session: Session,
    *,
    action: str,
    obj: SQLModel,
    actor_id: int | None,
    channel: str,
    request_id: str,
    before: dict[str, Any] | None = None,
    account_id: int | None = None,
    summary: str = "",
) -> AuditEntry:
    """Record one change.  Call after ``session.flush()`` so a new row has its id."""
    if action not in ("create", "update", "delete"):
        raise ValueError(action)
    after = None if action == "delete" else snapshot(obj)
    pk = sa_inspect(obj).identity or ()
    entry = AuditEntry(
        actor_id=actor_id,
        channel=channel,
        request_id=request_id,
        action=action,
        entity=type(obj).__tablename__,
        entity_id=pk[0] if len(pk) == 1 else None,
        account_id=account_id,
        summary=summary[:1000],
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def last_command(session: Session, *, actor_id: int, since: datetime) -> list[AuditEntry]:
    """The entries of the actor's most recent, not yet undone, command since ``since``."""
    latest = session.exec(
        select(AuditEntry.request_id)
        .where(
            AuditEntry.actor_id == actor_id,
            AuditEntry.at >= since,
            AuditEntry.undone_at.is_(None),
            AuditEntry.action != "undo",
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return []
    request_id = latest
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.request_id == request_id, AuditEntry.undone_at.is_(None))
            .order_by(AuditEntry.id)
        ).all()
    )


def revert(session: Session, entries: list[AuditEntry], *, now: datetime) -> None:
    """Undo the given entries, newest first, and mark them undone."""
    for entry in sorted(entries, key=lambda e: e.id or 0, reverse=True):
        cls = _model_for(entry.entity)
        if entry.action == "create":
            row = session.get(cls, _primary_key(cls, entry.after or {}))
            if row is not None:
                session.delete(row)
        elif entry.action == "update":
            row = session.get(cls, _primary_key(cls, entry.before or {}))
            if row is not None:
                old = _restore(cls, entry.before or {})
                for col in sa_inspect(cls).columns:
                    setattr(row, col.key, getattr(old, col.key))
        elif entry.action == "delete":
            session.add(_restore(cls, entry.before or {}))
        session.flush()
        entry.undone_at = now
        session.add(entry)


def changed_since(session: Session, entries: list[AuditEntry]) -> AuditEntry | None:
    """The latest later change (not undone) to a row these entries touched, if any.

    What makes reverting them unsafe: a colleague changed the same row since.
    """
    touched: dict[str, set[int]] = {}
    for e in entries:
        if e.entity_id is not None:
            touched.setdefault(e.entity, set()).add(e.entity_id)
    newest = max((e.id or 0 for e in entries), default=0)
    latest: AuditEntry | None = None
    # A whole import can touch tens of thousands of rows: ask per table, in chunks that
    # stay under every database's limit on bound parameters.
    for entity, ids in touched.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), _CHUNK):
            found = session.exec(
                select(AuditEntry)
                .where(
                    AuditEntry.id > newest,
                    AuditEntry.undone_at.is_(None),
                    AuditEntry.action != "undo",
                    AuditEntry.entity == entity,
                    AuditEntry.entity_id.in_(ordered[start : start + _CHUNK]),
                )
                .order_by(AuditEntry.id.desc())
                .limit(1)
            ).first()
            if found is not None and (latest is None or (found.id or 0) > (latest.id or 0)):
                latest = found
    return latest


_CHUNK = 1000


def actor_handle(session: Session, entry: AuditEntry) -> str | None:
    user = session.get(User, entry.actor_id) if entry.actor_id else None
    return user.handle if user else None


def revert_command(
    session: Session,
    entries: list[AuditEntry],
    *,
    actor_id: int | None,
    channel: str,
    request_id: str,
    now: datetime,
    what: str,
) -> AuditEntry:
    """Revert one command's entries in a savepoint and record the undo itself.

    Raises ``IntegrityError`` (the savepoint rolled back, nothing changed) when other
    rows now depend on a row it would delete.
    """
    with session.begin_nested():
        revert(session, entries, now=now)
    accounts = {e.account_id for e in entries}
    entry = AuditEntry(
        at=now,
        actor_id=actor_id,
        channel=channel,
        request_id=request_id,
        action="undo",
        entity=entries[0].entity,
        entity_id=entries[0].entity_id,
        account_id=accounts.pop() if len(accounts) == 1 else None,
        summary=f"undid {entries[0].request_id}: {what}"[:1000],
        after={"request_id": entries[0].request_id, "entries": [e.id for e in entries]},
    )
    session.add(entry)
    return entry


# --- reading the trail (``kam audit``, ``/history``) -------------------------------------


@dataclass(frozen=True)
class TrailEntry:
    """One audit entry with the names a reader needs (who, which account)."""

    entry: AuditEntry
    actor_handle: str | None
    actor_name: str | None
    account_name: str | None


def trail(
    session: Session,
    *,
    account_id: int | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    request_ids: Collection[str] | None = None,
    limit: int | None = 200,
) -> list[TrailEntry]:
    """Audit entries, newest first, with actor and account names — one query.

    Every filter given must hold; ``limit=None`` returns them all.
    """
    actor = aliased(User)
    query = (
        select(AuditEntry, actor.handle, actor.display_name, Account.name)
        .join(actor, actor.id == AuditEntry.actor_id, isouter=True)
        .join(Account, Account.id == AuditEntry.account_id, isouter=True)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if account_id is not None:
        query = query.where(AuditEntry.account_id == account_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if request_ids is not None:
        query = query.where(AuditEntry.request_id.in_(list(request_ids)))
    if limit is not None:
        query = query.limit(limit)
    return [TrailEntry(*row) for row in session.exec(query).all()]


def recent_commands(
    session: Session, *, account_id: int, limit: int = 15
) -> list[list[TrailEntry]]:
    """The account's last ``limit`` commands (entries grouped by request), newest first.

    Two queries: the latest request ids touching the account, then their entries.
    """
    latest = func.max(AuditEntry.id)
    rows = session.exec(
        select(AuditEntry.request_id, latest)
        .where(AuditEntry.account_id == account_id)
        .group_by(AuditEntry.request_id)
        .order_by(latest.desc())
        .limit(limit)
    ).all()
    order = {request_id: i for i, (request_id, _last) in enumerate(rows)}
    if not order:
        return []
    groups: dict[str, list[TrailEntry]] = {}
    for item in trail(session, account_id=account_id, request_ids=list(order), limit=None):
        groups.setdefault(item.entry.request_id, []).append(item)
    return [groups[rid] for rid in sorted(groups, key=order.__getitem__)]
