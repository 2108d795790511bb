"""A full disk or a read-only database: /healthz says so (503 with the driver's reason)
and the log names the cause a command failed on (issue 15 item 10).

Before: ``/healthz`` ran ``SELECT 1`` and stayed 200, and the log said only
"database unavailable: OperationalError" while every write was refused.

The full disk is real where the tests may mount a small tmpfs (root); a SQLite page
limit (``PRAGMA max_page_count``) reached raises the same SQLITE_FULL "database or disk
is full" everywhere else.  The read-only database runs on both backends.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from bot.bootstrap import build_app
from bot.config import Settings
from bot.server import BotServer
from handlers.dispatcher import Incoming
from handlers.render.text import render_text
from storage.engine import make_engine
from tests.harness import book

LONG_VISIT = "/visit Acme met Li Wei " + "budget talk " * 300  # ~3.6 kB of notes


def _serve(engine):
    kam = build_app(Settings(), engine=engine)
    return kam, BotServer(kam).start_in_thread()


def _visits_fail_with_the_cause_logged(kam, caplog, cause: str) -> None:
    caplog.set_level(logging.WARNING)
    replies = [
        kam.dispatcher.handle(Incoming(text=LONG_VISIT, actor="alice", platform="console"))
        for _ in range(5)
    ]
    assert any("can't reach its database" in render_text(r) for r in replies)
    logged = [r.getMessage() for r in caplog.records if r.name == "handlers.observe"]
    assert any(f"database error in /visit: OperationalError: {cause}" in m for m in logged)
    assert all(len(m) < 400 and "\n" not in m for m in logged)  # bounded, one line


@pytest.fixture
def tmpfs(tmp_path) -> Path:
    """A 4 MB file system of its own, unmounted after the test (needs root on Linux)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux; the page-limit test covers it")
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass  # ENOSPC: the disk is full
    finally:
        os.close(fd)


def test_a_real_full_disk_is_503_on_healthz_and_its_cause_is_logged(tmpfs, caplog):
    engine = make_engine(f"sqlite:///{tmpfs}/kam.db")
    kam, server = _serve(engine)
    try:
        book(engine)
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        _fill(tmpfs)
        r = httpx.get(f"{server.url}/healthz", timeout=10)
        assert r.status_code == 503
        assert r.json()["reason"].startswith("database disk full: 0 KiB free in ")
        _visits_fail_with_the_cause_logged(kam, caplog, "database or disk is full")
        (tmpfs / "filler").unlink()  # room again: healthy again, no restart
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()
        kam.close()


def test_a_sqlite_database_at_its_page_limit_is_503_and_its_cause_is_logged(tmp_path, caplog):
    seeded = make_engine(f"sqlite:///{tmp_path}/kam.db")
    build_app(Settings(), engine=seeded).close()
    book(seeded)
    seeded.dispose()
    engine = make_engine(f"sqlite:///{tmp_path}/kam.db")

    @event.listens_for(engine, "connect")
    def _at_the_limit(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        pages = cur.execute("PRAGMA page_count").fetchone()[0]
        cur.execute(f"PRAGMA max_page_count = {pages}")
        cur.close()

    kam, server = _serve(engine)
    try:
        r = httpx.get(f"{server.url}/healthz", timeout=10)
        assert r.status_code == 503
        assert r.json()["reason"].startswith("database full: ")
        assert "max_page_count" in r.json()["reason"]
        _visits_fail_with_the_cause_logged(kam, caplog, "database or disk is full")
    finally:
        server.stop()
        kam.close()


def test_a_read_only_database_is_503_with_the_drivers_reason(database_url, engine):
    book(engine)
    read_only = make_engine(database_url)

    @event.listens_for(read_only, "connect")
    def _read_only(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        if read_only.dialect.name == "sqlite":
            cur.execute("PRAGMA query_only = ON")  # SQLITE_READONLY, as a read-only file
        else:  # a standby, or default_transaction_read_only: this session only
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_conn.commit()  # a SET in a transaction rolled back would be undone
        cur.close()

    kam, server = _serve(read_only)
    try:
        r = httpx.get(f"{server.url}/healthz", timeout=10)
        assert r.status_code == 503
        reason = r.json()["reason"]
        assert reason.startswith("database not writable: ")
        assert ("readonly database" in reason) or ("read-only transaction" in reason)
    finally:
        server.stop()
        kam.close()


def test_healthz_stays_200_on_a_writable_database_and_leaves_nothing(database_url, engine):
    from sqlalchemy import text

    book(engine)
    kam, server = _serve(engine)
    try:
        for _ in range(3):
            assert httpx.get(f"{server.url}/healthz", timeout=10).json() == {"status": "ok"}
        with engine.connect() as conn:
            names = conn.execute(text("SELECT name FROM book_version")).scalars().all()
        assert names == ["names"]  # the probe's row was rolled back every time
    finally:
        server.stop()
        kam.close()
