"""The inbox: taking a platform callback in exactly once, and finishing it after a crash.

    take_in ─► (ack the platform) ─► the command runs ─► complete (same transaction)
                                                          │
                                    answer delivered ◄────┘ ─► mark_answered

``take_in`` commits the message (its key: Slack event or trigger id, WeCom MsgId…)
*before* kam acknowledges the platform, so a kill at any later moment loses nothing:
the row stays ``received`` (or ``done`` with its answer kept) and, once its lease runs
out by the database's clock, ``due`` hands it to whichever kam process sweeps first.
``complete`` runs inside the command's own transaction and only moves a ``received``
row: two processes that ran the same message race on that one row, and the loser's
transaction — its command included — rolls back (``AlreadyDone``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from domain.models import InboundEvent, InboundState, utcnow
from storage.clock import db_now

MAX_KEY = 200


class AlreadyDone(Exception):
    """Another run of the same message committed first: roll this one back."""


class Taken(StrEnum):
    """What ``take_in`` found, and so what the caller does now."""

    new = "new"  # first delivery: run it (this process holds the lease)
    resume = "resume"  # taken in before, never finished, lease expired: run it now
    deliver = "deliver"  # ran before, answer kept but not delivered: deliver it now
    busy = "busy"  # another process is on it right now (its lease holds): nothing
    finished = "finished"  # answered already: nothing


@dataclass(frozen=True)
class Entry:
    """An inbox row handed to a process to run or to answer."""

    platform: str
    key: str
    state: str
    payload: dict[str, Any]
    reply: dict[str, Any] | None
    attempts: int


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim_event(session: Session, platform: str, key: str) -> bool:
    """Record a bare key, born answered (WeCom nonces); False when it was already there.

    ``INSERT … ON CONFLICT DO NOTHING`` on the unique (platform, event_key): safe with
    any number of processes."""
    stmt = (
        _insert(session)(InboundEvent)
        .values(platform=platform, event_key=key[:MAX_KEY], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["platform", "event_key"])
    )
    # RETURNING, not rowcount: SQLAlchemy reports -1 rows for an INSERT on psycopg.
    return session.execute(stmt.returning(InboundEvent.id)).first() is not None


def take_in(
    session: Session, platform: str, key: str, payload: dict[str, Any], lease: timedelta
) -> tuple[Taken, Entry | None]:
    """Keep the message, or say what became of it when it was kept before.

    A new message is leased to the caller for ``lease``; so is an old one the caller
    is now to run (``resume``) or to answer (``deliver``).  The caller commits."""
    now = db_now(session)
    key = key[:MAX_KEY]
    inserted = session.execute(
        _insert(session)(InboundEvent)
        .values(
            platform=platform,
            event_key=key,
            received_at=now,
            state=InboundState.received,
            lease_until=now + lease,
            attempts=1,
            payload=payload,
        )
        .on_conflict_do_nothing(index_elements=["platform", "event_key"])
        .returning(InboundEvent.id)
    ).first()
    if inserted is not None:
        return Taken.new, Entry(platform, key, InboundState.received, payload, None, 1)
    row = session.execute(
        select(InboundEvent)
        .where(InboundEvent.platform == platform, InboundEvent.event_key == key)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:  # forgotten between the two statements (housekeeping): a fresh start
        return take_in(session, platform, key, payload, lease)
    if row.state == InboundState.answered or row.payload is None:
        return Taken.finished, None
    if row.lease_until is not None and row.lease_until > now:
        return Taken.busy, None
    row.lease_until = now + lease
    row.attempts += 1
    session.add(row)
    taken = Taken.resume if row.state == InboundState.received else Taken.deliver
    return taken, _entry(row)


def complete(
    session: Session, platform: str, key: str, reply: dict[str, Any], lease: timedelta
) -> None:
    """Mark the message done with its answer, in the command's own transaction.

    Raises ``AlreadyDone`` when it is no longer ``received``: another run of the same
    message committed first, and this transaction must roll back whole."""
    now = db_now(session)
    moved = session.execute(
        update(InboundEvent)
        .where(
            InboundEvent.platform == platform,
            InboundEvent.event_key == key[:MAX_KEY],
            InboundEvent.state == InboundState.received,
        )
        .values(state=InboundState.done, reply=reply, lease_until=now + lease)
        .returning(InboundEvent.id)
    ).first()
    if moved is None:
        raise AlreadyDone(f"{platform}:{key}")


def keep_reply(session: Session, platform: str, key: str, reply: dict[str, Any]) -> None:
    """Replace the kept answer of a done message (its notifications went out)."""
    session.execute(
        update(InboundEvent)
        .where(
            InboundEvent.platform == platform,
            InboundEvent.event_key == key[:MAX_KEY],
            InboundEvent.state == InboundState.done,
        )
        .values(reply=reply)
    )


def mark_answered(session: Session, platform: str, key: str) -> None:
    """The answer was delivered: nothing more to do, and nothing kept but the key."""
    session.execute(
        update(InboundEvent)
        .where(InboundEvent.platform == platform, InboundEvent.event_key == key[:MAX_KEY])
        .values(state=InboundState.answered, payload=None, reply=None, lease_until=None)
    )


def due(
    session: Session, platforms: list[str], lease: timedelta, *, limit: int = 20
) -> list[Entry]:
    """Rows whose process died (lease run out), leased now to the caller.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: two sweeping processes never take the
    same row; SQLite has one writer at a time anyway."""
    now = db_now(session)
    rows = (
        session.execute(
            select(InboundEvent)
            .where(
                InboundEvent.platform.in_(platforms),
                InboundEvent.state.in_([InboundState.received, InboundState.done]),
                or_(InboundEvent.lease_until.is_(None), InboundEvent.lease_until <= now),
            )
            .order_by(InboundEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for row in rows:
        row.lease_until = now + lease
        row.attempts += 1
        session.add(row)
    return [_entry(row) for row in rows]


def _entry(row: InboundEvent) -> Entry:
    return Entry(row.platform, row.event_key, row.state, row.payload or {}, row.reply, row.attempts)


def forget_before(session: Session, cutoff: datetime) -> int:
    """Drop records older than any platform redelivers (housekeeping); a message still
    in the inbox unanswered is kept until it is answered."""
    return session.execute(
        delete(InboundEvent).where(
            InboundEvent.received_at < cutoff, InboundEvent.state == InboundState.answered
        )
    ).rowcount


def count_before(session: Session, cutoff: datetime) -> int:
    """How many records ``forget_before`` would drop (a dry run reads, never writes)."""
    return session.execute(
        select(func.count())
        .select_from(InboundEvent)
        .where(InboundEvent.received_at < cutoff, InboundEvent.state == InboundState.answered)
    ).scalar_one()
