"""One unit of work = one transaction.

Repositories and queries take a ``Session`` and never commit; whoever opens the unit of
work (a command handler, a scheduled job, the CLI) owns the transaction.  Open one per
message and per job: sessions are never shared between threads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlmodel import Session


@contextmanager
def unit_of_work(
    engine: Engine, *, write: bool = True, wait_ms: int | None = None
) -> Iterator[Session]:
    """Yield a session in one transaction: committed on success, rolled back on error.

    ``write=True`` takes SQLite's write lock up front (``BEGIN IMMEDIATE``), so a
    read-then-write command never fails half-way with "database is locked".
    ``wait_ms`` bounds how long it waits for another transaction's locks (SQLite's
    busy timeout, PostgreSQL's ``lock_timeout``) before ``OperationalError``.
    """
    bind = engine.execution_options(sqlite_immediate=True) if write else engine
    if wait_ms is not None:
        bind = bind.execution_options(wait_ms=wait_ms)
    with Session(bind=bind, expire_on_commit=False) as session:
        if wait_ms is not None and engine.dialect.name == "postgresql":
            session.execute(text(f"SET LOCAL lock_timeout = {int(wait_ms)}"))
        try:
            yield session
            if write:
                session.commit()
            # A read-only unit just closes: its transaction ends without expiring the
            # objects it loaded, so callers can still read them.
        except BaseException:
            session.rollback()
            raise
