"""Engines for kam's one database URL.

SQLite (the default, a file in the working directory) gets WAL, a busy timeout,
foreign keys, and ``BEGIN IMMEDIATE`` for write transactions so two writers queue
instead of failing on a lock upgrade.  PostgreSQL gets a pre-pinged pool so a
restarted server is reconnected to without anyone noticing.

SQLite's own queue is its busy handler: a writer that finds the file locked sleeps
and tries again, up to 100 ms a try, so under sixteen threads the unlucky ones wait
far longer than the writes in front of them take.  Within one process, writers
therefore queue on a Python lock first (``WriterLock``, one per database file): the
thread that holds it is the only one of this process in ``BEGIN IMMEDIATE``, and
the next one is woken the moment the transaction commits or rolls back.  The wait is
bounded by the same ``wait_ms`` (else the busy timeout) and ends in the same
``database is locked`` error as SQLite's; other processes still meet in SQLite's busy
handler.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import ClassVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from domain.errors import InvalidInput

DEFAULT_URL = "sqlite:///kam.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use psycopg 3 for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


SUPPORTED = ("sqlite", "postgresql")
EXAMPLES = "e.g. sqlite:///kam.db or postgresql://user@host/kam"


def check_url(url: str) -> None:
    """Refuse, in one sentence for the operator, a URL kam cannot use before trying it:
    not a URL, a database kam does not run on, a SQLite file in a folder that is not
    there.  The sentence never repeats a password."""
    try:
        parsed = make_url(normalize_url(url))
    except (ArgumentError, ValueError) as exc:
        raise InvalidInput(f"KAM_DATABASE_URL is not a database URL ({EXAMPLES})") from exc
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise InvalidInput(
            f"KAM_DATABASE_URL names the database '{backend}'; kam runs on SQLite or "
            f"PostgreSQL ({EXAMPLES})"
        )
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).expanduser().absolute().parent
        if not folder.is_dir():
            raise InvalidInput(
                f"KAM_DATABASE_URL: the folder {folder} of the SQLite database does not exist"
            )


def describe_db_error(exc: BaseException, limit: int = 300) -> str:
    """What the database driver said, on one bounded line, for the log and the operator:
    ``OperationalError: database or disk is full``.  No SQL and no parameters (SQLAlchemy
    adds them to its own message; the driver's message is only the cause)."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = " ".join(str(cause).split())  # one line: a driver's newlines forge no log lines
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def make_engine(url: str = DEFAULT_URL, *, echo: bool = False, pool_size: int = 5) -> Engine:
    check_url(url)
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5},
    )


class WriterLock:
    """This process's writers to one SQLite file, one at a time (``BEGIN IMMEDIATE``
    to ``COMMIT``/``ROLLBACK``).  Not re-entrant, like SQLite's own write lock: a
    second write transaction opened inside a first on the same file waits, and fails
    when its wait is up, as it always did."""

    _files: ClassVar[dict[str, WriterLock]] = {}
    _files_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @classmethod
    def for_database(cls, database: str | None) -> WriterLock:
        """The lock of this database file (the same for every engine on it); an
        in-memory database gets its own."""
        if database in (None, "", ":memory:") or database.startswith("file:"):
            return cls()
        key = os.path.realpath(os.path.expanduser(database))
        with cls._files_guard:
            return cls._files.setdefault(key, cls())

    def acquire(self, timeout_ms: int) -> bool:
        return self._lock.acquire(timeout=max(timeout_ms, 1) / 1000)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


_HOLDS_WRITER = "kam_holds_writer_lock"  # in the pooled connection's info while held
_SHORTENED_AFTER_MS = 50  # a wait this long shortens SQLite's own timeout to what is left


def _info(connection: object) -> dict | None:
    """A pooled connection's ``info`` (None for a bare driver connection)."""
    try:
        return getattr(connection, "info", None)
    except NotImplementedError:
        return None


def _locked_error() -> OperationalError:
    """What SQLite says when the write lock is not free in time, as SQLAlchemy wraps it."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )
    writer = WriterLock.for_database(make_url(url).database)

    def release(info: dict | None) -> None:
        if info is not None and info.pop(_HOLDS_WRITER, False):
            writer.release()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every test
        # Let SQLAlchemy (below) issue BEGIN itself, so it can choose IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if make_url(url).database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        options = conn.get_execution_options()
        # How long this transaction may wait for another's write lock (``wait_ms``).
        busy = int(options.get("wait_ms") or SQLITE_BUSY_TIMEOUT_MS)
        immediate = options.get("sqlite_immediate", False)
        if immediate:  # this process's writers queue here, not in SQLite's busy handler
            started = time.monotonic()
            if not writer.acquire(busy):
                raise _locked_error()
            conn.info[_HOLDS_WRITER] = True
            waited = int((time.monotonic() - started) * 1000)
            if waited >= _SHORTENED_AFTER_MS:  # another process may hold it: what is left
                busy = max(busy - waited, 1)
        try:
            if conn.info.get("busy_ms", SQLITE_BUSY_TIMEOUT_MS) != busy:  # set only on change
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
                conn.info["busy_ms"] = busy
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            release(conn.info)
            raise

    # The lock is let go once the transaction has ended, whichever way: after the
    # driver's COMMIT or ROLLBACK (SQLAlchemy's own, or the pool's when a connection
    # comes back with a transaction open), and, last, when a connection is returned,
    # dropped or invalidated while still marked as holding it.
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection) -> None:
        try:
            commit(dbapi_connection)
        finally:
            release(_info(dbapi_connection))

    def do_rollback(dbapi_connection) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            release(_info(dbapi_connection))

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "checkin")
    @event.listens_for(engine, "close")
    @event.listens_for(engine, "invalidate")
    def _let_go(_dbapi_conn, record, *_args):  # pragma: no cover - a safety net
        try:
            info = record.info if record is not None else None
        except NotImplementedError:  # a record without info: nothing held on it
            return
        release(info)

    engine._kam_writer_lock = writer  # type: ignore[attr-defined]
    return engine


def writer_lock(engine: Engine) -> WriterLock | None:
    """The in-process writer lock of a SQLite engine (None for PostgreSQL)."""
    return getattr(engine, "_kam_writer_lock", None)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
