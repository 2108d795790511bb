"""Alembic environment: the engine comes from ``storage.migrate`` (never from a URL here)."""

import warnings

from alembic import context
from sqlalchemy.exc import SAWarning
from sqlmodel import SQLModel

import domain.models  # noqa: F401  (registers every table on SQLModel.metadata)

# SQLite's batch mode reflects the tables a rebuilt table points at; SQLAlchemy cannot
# reflect our expression indexes (lower(name), migration 0003) and says so.  Those
# tables are read, never rebuilt, so their indexes stay: the warning is noise to whoever
# runs `kam db upgrade`.
target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", SAWarning)
        context.run_migrations()
    connection.commit()
