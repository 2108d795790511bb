"""``kam backup FILE``: SQLite's online backup while the bot writes, and pg_dump."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import typer
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.backup_cli import BackupError, backup_command, backup_sqlite
from storage.engine import make_engine, normalize_url
from storage.migrate import head_revision, upgrade
from tests.conftest import PG_URL
from tests.harness import Chat, book

app = typer.Typer()
app.command("backup")(backup_command)
app.command("noop")(lambda: None)
runner = CliRunner()


@pytest.fixture
def sqlite_book(tmp_path):
    """A SQLite kam database with the test book, whatever database the suite runs on."""
    path = tmp_path / "kam.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    book(engine)
    yield path, engine
    engine.dispose()


def consistency(path: Path) -> tuple[int, set[int], set[int]]:
    """Interactions in a backup, and the ids of those with and without their audit entry."""
    with sqlite3.connect(path) as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM interaction")}
        audited = {
            row[0]
            for row in conn.execute(
                "SELECT entity_id FROM audit_entry WHERE entity = 'interaction'"
            )
        }
    return len(ids), ids, audited


def test_backup_while_the_bot_writes_is_consistent_and_never_blocks_it(sqlite_book, tmp_path):
    path, engine = sqlite_book
    chat = Chat(engine)
    stop = threading.Event()
    replies: list[str] = []

    def keep_logging() -> None:
        i = 0
        while not stop.is_set():
            replies.append(chat.say("alice", f"/visit Acme call {i} about the renewal").title)
            i += 1

    writer = threading.Thread(target=keep_logging)
    writer.start()
    try:
        deadline = time.monotonic() + 5
        while len(replies) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        backups = []
        for n in range(5):
            target = tmp_path / f"backup-{n}.db"
            backup_sqlite(path, target)
            backups.append(target)
            time.sleep(0.05)
    finally:
        stop.set()
        writer.join(timeout=30)

    assert len(replies) >= 5
    assert not [r for r in replies if "Logged" not in r and "已记录" not in r], set(replies)
    sizes = []
    for target in backups:
        count, ids, audited = consistency(target)
        assert ids == audited  # each visit with its audit entry: whole commands only
        sizes.append(count)
        with sqlite3.connect(target) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        assert version == head_revision(engine)
        assert not Path(f"{target}-wal").exists()
    assert sizes == sorted(sizes)  # later backups hold at least as much
    assert sizes[0] < sizes[-1]  # the bot went on writing between the backups
    assert sizes[-1] <= len(replies)
    assert not list(tmp_path.glob("*.partial"))


def test_the_cli_backs_up_refuses_to_overwrite_and_restores_by_copying(
    sqlite_book, tmp_path, monkeypatch
):
    path, engine = sqlite_book
    Chat(engine).say("alice", "/visit Acme met Li Wei")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", f"sqlite:///{path}")
    target = tmp_path / "backups" / "kam-2026-11-18.db"

    result = runner.invoke(app, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "4 accounts, 1 interactions" in result.output
    assert "integrity check ok" in result.output

    again = runner.invoke(app, ["backup", str(target)])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert runner.invoke(app, ["backup", "--force", str(target)]).exit_code == 0

    # Restoring is copying the file back while kam is stopped: the book is all there.
    engine.dispose()
    restored = tmp_path / "restored.db"
    shutil.copyfile(target, restored)
    chat = Chat(make_engine(f"sqlite:///{restored}"))
    assert "Li Wei" in "\n".join(chat.say("alice", "/account Acme").plain_lines())


def test_backing_up_onto_the_database_itself_or_a_missing_file_fails(sqlite_book, tmp_path):
    path, _engine = sqlite_book
    with pytest.raises(BackupError, match="must not be the database itself"):
        backup_sqlite(path, path)
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_print_shows_the_pg_dump_command_without_the_password(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", "postgresql://kam:s3cret-pw@db.internal:5433/kam")
    result = runner.invoke(app, ["backup", "--print", "kam.dump"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "PGPASSWORD=… pg_dump --format=custom --no-owner --file kam.dump "
        "--host db.internal --port 5433 --username kam --dbname kam"
    )
    assert "s3cret-pw" not in result.output


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="needs KAM_TEST_DATABASE_URL (PostgreSQL)")
def test_pg_dump_backup_of_a_live_database_restores(database_url, engine, tmp_path, monkeypatch):
    if shutil.which("pg_dump") is None:
        pytest.fail("pg_dump is not installed (apt-get install postgresql-client)")
    book(engine)
    Chat(engine).say("alice", "/visit Acme met Li Wei")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    target = tmp_path / "kam.dump"
    result = runner.invoke(app, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE DATA public interaction" in listing
    assert "TABLE DATA public audit_entry" in listing
    url = make_url(normalize_url(database_url))
    assert url.database in result.output
