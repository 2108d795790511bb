"""Can the database take a write right now?  What ``/healthz`` asks (issue 15 item 10).

A ``SELECT 1`` answers on a database that is read-only or whose disk is full, so a
replica that turns every command away with "can't reach its database" stayed healthy.
``database_problem`` also

* writes one row in a transaction it rolls back (``book_version``, under a name no one
  else uses, so nothing is left and no reader sees it): a read-only database, a
  standby, a file without write permission or a full database refuse it with the
  driver's own words;
* for SQLite, which only needs new space when the file grows, looks at the room left:
  the free bytes of the file system the database lives on, and the page limit
  (``PRAGMA max_page_count``) it may grow to.

A write lock held by a long command (SQLite) is not a fault: the probe waits a moment
for it, then reports the database as it found it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from storage.engine import describe_db_error, is_sqlite

MIN_FREE_BYTES = 1024 * 1024  # below this on the database's file system, it is full
PROBE_WAIT_MS = 1000  # how long the probe waits for another writer's lock


def database_problem(engine: Engine) -> str | None:
    """None when the database answers and takes a write; else one bounded sentence why."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if is_sqlite(engine):
                full = _sqlite_room(conn)
                if full:
                    return full
            return _write_probe(conn)
    except DBAPIError as exc:
        return f"database unavailable: {describe_db_error(exc)}"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
        return f"database unavailable: {describe_db_error(exc)}"


def _write_probe(conn: Connection) -> str | None:
    sqlite = conn.dialect.name == "sqlite"
    name = f"probe-{uuid.uuid4().hex[:24]}"
    conn.rollback()  # end the transaction the reads began; the probe has its own
    conn.execution_options(wait_ms=PROBE_WAIT_MS)  # SQLite's busy timeout (storage.engine)
    try:
        with conn.begin() as tx:
            if not sqlite:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {PROBE_WAIT_MS}")
                conn.exec_driver_sql("SET LOCAL statement_timeout = '5s'")
            conn.execute(
                text("INSERT INTO book_version (name, n) VALUES (:name, 0)"), {"name": name}
            )
            tx.rollback()
    except OperationalError as exc:
        if _only_busy(exc):
            return None  # another writer holds the lock: busy, not broken
        return f"database not writable: {describe_db_error(exc)}"
    except DBAPIError as exc:
        return f"database not writable: {describe_db_error(exc)}"
    return None


def _only_busy(exc: OperationalError) -> bool:
    said = str(exc.orig).lower()
    return "database is locked" in said or "lock timeout" in said


def _sqlite_room(conn: Connection) -> str | None:
    pages = conn.exec_driver_sql("PRAGMA page_count").scalar() or 0
    limit = conn.exec_driver_sql("PRAGMA max_page_count").scalar() or 0
    free_pages = conn.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
    if limit and pages >= limit and free_pages == 0:
        return f"database full: {pages} pages of max_page_count {limit} used"
    database = conn.engine.url.database
    if database in (None, "", ":memory:"):
        return None
    folder = Path(database).expanduser().absolute().parent
    try:
        stat = os.statvfs(folder)
    except OSError:
        return None
    free = stat.f_bavail * stat.f_frsize
    if free < MIN_FREE_BYTES:
        return f"database disk full: {free // 1024} KiB free in {folder}"
    return None
