"""Alembic, driven from code: ``kam db upgrade`` and the first use of a new database.

Every kam command checks the schema first (``ensure_schema``).  That check must not
cost what Alembic costs to import (Mako, its DDL modules for every dialect: about a
third of a second of a ``kam say``), so it compares the ``alembic_version`` row with
the head revision read from the migration files' ``revision`` and ``down_revision``
lines.  Alembic is imported only to upgrade, and to find the head when those lines
do not name exactly one (then it decides, and says what is wrong).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSIONS = MIGRATIONS / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps

_ASSIGNED = re.compile(
    r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*(?:#.*)?$", re.MULTILINE
)


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision(engine: Engine) -> str:
    """The newest migration's revision: the one no other migration comes after."""
    return _head_from_files(VERSIONS) or _alembic_head(engine)


def _alembic_head(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def _head_from_files(versions: Path) -> str | None:
    """The single head of the migration files' chain, read from their ``revision`` and
    ``down_revision`` assignments; None when that is not certain (a line the reader
    does not understand, no head, several heads), and Alembic is asked instead."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        if path.name.startswith("_"):
            continue
        found = dict(m.groups() for m in _ASSIGNED.finditer(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        downs = (down,) if down is None or isinstance(down, str) else tuple(down)
        if not all(d is None or isinstance(d, str) for d in downs):
            return None
        revisions.add(revision)
        parents.update(d for d in downs if d is not None)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stamped_revisions(engine: Engine) -> set[str]:
    """The revisions the database says it is at (empty for a new database): the rows
    of Alembic's version table, read without Alembic."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return set()
        return set(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def pending(engine: Engine) -> list[tuple[str, str]]:
    """The migrations an upgrade to head would apply, oldest first: ``(revision, title)``.

    The title is the first line of the migration's docstring.
    """
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    steps = script.iterate_revisions(script.get_current_head(), current_revision(engine))
    return [
        (rev.revision, (rev.doc or "").strip().splitlines()[0]) for rev in reversed(list(steps))
    ]


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> bool:
    """Upgrade the database if it is behind; return True when anything was applied.

    A database at head costs one look at its version table; anything else (new,
    behind, or at a revision this kam does not know) goes to Alembic, which upgrades
    or says why it cannot.
    """
    if stamped_revisions(engine) == {head_revision(engine)}:
        return False
    upgrade(engine)
    return True
