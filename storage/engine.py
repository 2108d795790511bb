"""Engines for kam's one database URL.

SQLite (the default, a file in the working directory) gets WAL, a busy timeout,
foreign keys, and ``BEGIN IMMEDIATE`` for write transactions so two writers queue
instead of failing on a lock upgrade.  PostgreSQL gets a pre-pinged pool so a
restarted server is reconnected to without anyone noticing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

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


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

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
        if conn.info.get("busy_ms", SQLITE_BUSY_TIMEOUT_MS) != busy:  # set only on change
            conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
            conn.info["busy_ms"] = busy
        immediate = options.get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
