"""The database's clock: one clock for every kam process, whatever their hosts say;
and the local day of a moment, and a day's start, in a time zone.

Claims and leases that several processes compare (the delivery ledger, the inbox) are
stamped and compared with the database's time, never a process's own: two workers with
skewed clocks would otherwise each think the other's claim expired.  SQLite lives on
one machine with its processes, so its clock is the machine's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, text
from sqlmodel import Session


def db_now(session: Session | Connection) -> datetime:
    """Now, by the database (timezone-aware, UTC)."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    if dialect.name == "postgresql":
        now = session.execute(text("SELECT clock_timestamp()")).scalar_one()
        return now.astimezone(UTC)
    return datetime.now(UTC)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The day ``moment`` falls on in ``tz``."""
    return moment.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``tz``."""
    return datetime.combine(day, time(), tz)
