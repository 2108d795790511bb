"""The access-token cache shared by every kam process (``platform_token`` rows).

A platform token (WeCom's ``access_token``) is fetched by one process and used by all:
``lock`` takes the row for the rest of the transaction (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the write transaction's ``BEGIN IMMEDIATE`` already excludes
every other writer), so concurrent senders queue behind the one that refreshes and
then find the new token instead of fetching their own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from domain.models import PlatformToken

# The expiry of a row that holds no token yet: long past.
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def is_fresh(row: PlatformToken | None, *, now: datetime, margin: timedelta) -> bool:
    """True when the row holds a token that is good for at least ``margin`` more."""
    return row is not None and bool(row.value) and row.expires_at - margin > now


def peek(session: Session, name: str) -> PlatformToken | None:
    """The cached row without locking it (the fast path of every API call)."""
    return session.get(PlatformToken, name)


def lock(session: Session, name: str) -> PlatformToken:
    """The row, locked until the transaction ends; created empty if there is none.

    Creating the row first gives a brand-new cache something to lock: a second process
    inserting the same name waits on the first one's uncommitted row, and then reads it.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(PlatformToken)
        .values(name=name, value="", expires_at=_NEVER, updated_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    stmt = (
        select(PlatformToken)
        .where(PlatformToken.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(stmt).one()


def store(
    session: Session, row: PlatformToken, *, value: str, expires_at: datetime, now: datetime
) -> None:
    """Keep a freshly fetched token (the caller holds the row's lock)."""
    row.value = value
    row.expires_at = expires_at
    row.updated_at = now
    session.add(row)
    session.flush()
