"""Every test owns its database.

SQLite (default): the schema is migrated once into a template file, and each test gets
a copy.  PostgreSQL (``KAM_TEST_DATABASE_URL=postgresql+psycopg://…/test``): the schema
is migrated once into a template database, and each test gets
``CREATE DATABASE … TEMPLATE …`` of it, dropped afterwards.  An unreachable PostgreSQL
is an error, never a skip.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from storage.engine import make_engine, normalize_url
from storage.migrate import upgrade

PG_URL = os.environ.get("KAM_TEST_DATABASE_URL")
_counter = itertools.count()


def _admin_engine(url: str) -> Engine:
    return create_engine(normalize_url(url), isolation_level="AUTOCOMMIT", pool_size=1)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_stale_databases(admin: Engine) -> None:
    """Drop databases left by test runs whose process is gone."""
    with admin.connect() as conn:
        names = conn.execute(
            text("SELECT datname FROM pg_database WHERE datname LIKE 'kam\\_t%'")
        ).scalars()
        for name in list(names):
            m = re.match(r"kam_t(?:pl)?_(\d+)", name)
            if m and not _pid_alive(int(m.group(1))):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _template(tmp_path_factory) -> Iterator[str]:
    if PG_URL:
        admin = _admin_engine(PG_URL)
        try:
            _drop_stale_databases(admin)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}", pytrace=False)
        name = f"kam_tpl_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(normalize_url(PG_URL)).set(database=name).render_as_string(False)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("tpl") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield str(path)


@pytest.fixture
def database_url(_template, tmp_path) -> Iterator[str]:
    """A fresh, migrated database of the engine under test, for this test alone."""
    if PG_URL:
        admin = _admin_engine(PG_URL)
        name = f"kam_t_{os.getpid()}_{next(_counter)}"
        with admin.connect() as conn:
            conn.execute(
                text(f'CREATE DATABASE "{name}" TEMPLATE "{_template}" STRATEGY FILE_COPY')
            )
        yield make_url(normalize_url(PG_URL)).set(database=name).render_as_string(False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path / "kam.db"
        shutil.copyfile(_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A database with no schema at all (for migration tests)."""
    if PG_URL:
        admin = _admin_engine(PG_URL)
        name = f"kam_t_{os.getpid()}_{next(_counter)}_empty"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(normalize_url(PG_URL)).set(database=name).render_as_string(False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'empty.db'}"


# The chaos suites' tally (tests/chaos/tally.py): its hooks live here, in the conftest
# every run loads, so the table is printed by whoever reports — the xdist controller too.
from tests.chaos.tally import pytest_runtest_logreport, pytest_terminal_summary  # noqa: E402, F401
