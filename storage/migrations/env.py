"""Alembic environment: the engine comes from ``storage.migrate`` (never from a URL here)."""

import warnings

from alembic import context
from sqlalchemy.exc import SAWarning
from sqlmodel import SQLModel

import domain.models  # noqa: F401  (registers every table on SQLModel.metadata)

# SQLite's batch mode reflects the tables a rebuilt table points at; SQLAlchemy cannot
# reflect our expression indexes (lower(name), migration 0003) and says so.  Those
# tables are read, never rebuilt, so their indexes stay: the warning is noise to whoever
# runs `kam db upgrade` (0005 rebuilds kam_user and makes its index again).
target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    # SQLite's batch mode rebuilds a table (copy, drop, rename); dropping one that other
    # rows point at (kam_user, migration 0005) fails while foreign keys are enforced.
    # The pragma cannot change inside a transaction, so it is set on the driver's
    # connection before the first BEGIN; the links are checked before the commit (a
    # broken one rolls the migration back) and the pragma is set back on whatever
    # happens, since the connection returns to the app's pool.
    sqlite = connection.dialect.name == "sqlite"
    raw = connection.connection.driver_connection if sqlite else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
            context.run_migrations()
            if raw is not None:
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
        connection.commit()
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")
