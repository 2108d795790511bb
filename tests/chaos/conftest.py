"""The chaos suites' databases and fakes.

Each test gets a database of its own, migrated and holding ``tests.harness.book``:

* SQLite (default): a copy of a template file made once per module;
* PostgreSQL (``KAM_TEST_DATABASE_URL`` set, as in CI's second run): a fresh database
  (``CREATE DATABASE … TEMPLATE``) on a **private** cluster this module starts itself
  (``initdb`` + ``pg_ctl`` in a temporary folder, a free port: ``PrivatePostgres`` of
  ``tests/ops/test_outage.py``).  kam is killed with SIGKILL over and over: never on the
  shared server on 5432, whose URL only says "run on PostgreSQL".

One cluster per module (per xdist worker) with a database per test: starting a cluster
per test would cost ~2 s a test for nothing — the cluster itself is never hurt here.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.engine import make_engine
from storage.migrate import upgrade
from tests.chaos.harness import ON_POSTGRES, Platforms
from tests.harness import book
from tests.ops.test_outage import PrivatePostgres, running_private_postgres

TEMPLATE = "kam_chaos_template"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class ChaosDatabase:
    label: str  # "sqlite" | "postgres"
    url: str


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of this module's own (never the shared one)."""
    yield from running_private_postgres()


def _fill(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        book(engine)
        if url.startswith("sqlite"):
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def chaos_template(request, tmp_path_factory) -> Iterator[str]:
    """The migrated book, once per module: a SQLite file or a private PG database."""
    if ON_POSTGRES:
        pg: PrivatePostgres = request.getfixturevalue("private_postgres")
        _fill(pg.create_database(TEMPLATE))
        yield TEMPLATE
    else:
        path = tmp_path_factory.mktemp("chaos-template") / "template.db"
        _fill(f"sqlite:///{path}")
        yield str(path)


@pytest.fixture
def chaos_database(request, chaos_template, tmp_path) -> ChaosDatabase:
    """A database for this test alone, holding the book."""
    if ON_POSTGRES:
        pg: PrivatePostgres = request.getfixturevalue("private_postgres")
        name = f"kam_chaos_{next(_numbers)}"
        engine = make_engine(pg.url())
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
        finally:
            engine.dispose()
        return ChaosDatabase("postgres", pg.url(name))
    path = tmp_path / "kam.db"
    shutil.copyfile(chaos_template, path)
    return ChaosDatabase("sqlite", f"sqlite:///{path}")


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    """The fake Slack and WeCom, fresh for each test."""
    with Platforms() as fakes:
        yield fakes


@pytest.fixture
def workdir(tmp_path) -> Path:
    """kam run's working directory (its kam.toml; nothing of the checkout's)."""
    path = tmp_path / "kam-run"
    path.mkdir()
    return path
