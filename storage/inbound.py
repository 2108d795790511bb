"""Taking a platform callback in exactly once (Slack retries, WeCom redeliveries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from domain.models import InboundEvent, utcnow


def claim_event(session: Session, platform: str, key: str) -> bool:
    """Record the event; False when it was already taken in (a redelivery).

    ``INSERT … ON CONFLICT DO NOTHING`` on the unique (platform, event_key): safe with
    any number of processes.  Run it in the same transaction as the command, so a
    command that fails leaves the event free to be retried.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(InboundEvent)
        .values(platform=platform, event_key=key[:200], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["platform", "event_key"])
    )
    # RETURNING, not rowcount: SQLAlchemy reports -1 rows for an INSERT on psycopg.
    return session.execute(stmt.returning(InboundEvent.id)).first() is not None


def forget_before(session: Session, cutoff: datetime) -> int:
    """Drop records older than any platform redelivers (housekeeping)."""
    return session.execute(delete(InboundEvent).where(InboundEvent.received_at < cutoff)).rowcount


def count_before(session: Session, cutoff: datetime) -> int:
    """How many records ``forget_before`` would drop (a dry run reads, never writes)."""
    return session.execute(
        select(func.count()).select_from(InboundEvent).where(InboundEvent.received_at < cutoff)
    ).scalar_one()
