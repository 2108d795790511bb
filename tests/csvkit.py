"""Helpers for the CSV import/export tests: the whole book's contents, and imports.

``state`` reads every table, row by row, in a stable order; comparing two states (or
their ``checksum``) proves that nothing was written.
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from bot.config import Settings
from handlers.csvimport import ImportPlan, ImportResult, apply_import, plan_import
from storage import users
from storage.csvio import export_csv
from storage.session import unit_of_work
from tests.harness import NOW


def state(engine: Engine, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    """Every row of every table (but ``skip``), sorted, as plain tuples."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            if name in skip:
                continue
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(row) for row in rows), key=repr)
    return out


def checksum(snapshot: dict[str, list[tuple]]) -> str:
    return hashlib.sha256(repr(sorted(snapshot.items())).encode()).hexdigest()


def row_counts(snapshot: dict[str, list[tuple]]) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot.items()}


def dry_run(engine: Engine, kind: str, text: str | bytes, *, now: datetime = NOW) -> ImportPlan:
    src = text.encode() if isinstance(text, str) else text
    with unit_of_work(engine, write=False) as s:
        return plan_import(s, kind, src, settings=Settings(), now=now, file=f"{kind}.csv")


def run_import(
    engine: Engine,
    kind: str,
    text: str | bytes,
    *,
    actor: str = "admin",
    now: datetime = NOW,
    overwrite: bool = False,
    request_id: str | None = None,
    settings: Settings | None = None,
) -> ImportResult:
    src = text.encode() if isinstance(text, str) else text
    with unit_of_work(engine) as s:
        actor_id = users.by_handle(s, actor).id
        plan = plan_import(
            s, kind, src, settings=settings or Settings(), now=now, file=f"{kind}.csv"
        )
        return apply_import(
            s,
            plan,
            actor_id=actor_id,
            request_id=request_id or f"import-test-{kind}",
            overwrite=overwrite,
        )


def export(engine: Engine, kind: str, *, bom: bool = True) -> str:
    out = io.StringIO(newline="")
    with unit_of_work(engine, write=False) as s:
        export_csv(s, kind, out, bom=bom)
    return out.getvalue()
