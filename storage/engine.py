"""Engines for kam's one database URL.

SQLite (the default, a file in the working directory) gets WAL, a busy timeout,
foreign keys, and ``BEGIN IMMEDIATE`` for write transactions so two writers queue
instead of failing on a lock upgrade.  PostgreSQL gets a pre-pinged pool so a
restarted server is reconnected to without anyone noticing.
"""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_URL = "sqlite:///kam.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use psycopg 3 for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str = DEFAULT_URL, *, echo: bool = False, pool_size: int = 5) -> Engine:
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
