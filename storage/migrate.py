"""Alembic, driven from code: ``kam db upgrade`` and the first use of a new database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: Engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def pending(engine: Engine) -> list[tuple[str, str]]:
    """The migrations an upgrade to head would apply, oldest first: ``(revision, title)``.

    The title is the first line of the migration's docstring.
    """
    script = ScriptDirectory.from_config(alembic_config(engine))
    steps = script.iterate_revisions(script.get_current_head(), current_revision(engine))
    return [
        (rev.revision, (rev.doc or "").strip().splitlines()[0]) for rev in reversed(list(steps))
    ]


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> bool:
    """Upgrade the database if it is behind; return True when anything was applied."""
    if current_revision(engine) == head_revision(engine):
        return False
    upgrade(engine)
    return True
