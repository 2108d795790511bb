"""``kam backup FILE``: a consistent copy of kam's database, safe while the bot runs.

SQLite
    SQLite's online backup (``sqlite3.Connection.backup``) copies the database in one
    read transaction: in WAL mode writers carry on meanwhile, and the copy is the
    database as of one instant.  It is written beside FILE, checked
    (``PRAGMA quick_check``), switched to a single self-contained file (no ``-wal``)
    and only then renamed to FILE, so a failed backup never leaves a half-written FILE.

PostgreSQL
    ``pg_dump --format=custom`` (a consistent snapshot, also safe while kam runs); the
    password goes through ``PGPASSWORD``, never the command line.  ``--print`` shows
    the command instead of running it.  Restore with ``pg_restore`` (docs/operations.md).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import URL, make_url

from bot.config import load_settings
from domain.errors import KamError
from storage.engine import normalize_url

COUNTED = {"account": "accounts", "interaction": "interactions", "audit_entry": "audit entries"}


class BackupError(Exception):
    """The backup could not be made; the message says why and what to do."""


def backup_command(
    file: Annotated[Path, typer.Argument(help="Where to write the backup", dir_okay=False)],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists")] = False,
    print_only: Annotated[
        bool, typer.Option("--print", help="PostgreSQL: print the pg_dump command only")
    ] = False,
) -> None:
    """Back up the database to FILE (SQLite online backup, or pg_dump for PostgreSQL)."""
    try:
        settings = load_settings()
    except KamError as exc:
        typer.echo(f"kam: {exc}", err=True)
        raise typer.Exit(2) from exc
    url = make_url(normalize_url(settings.database_url))
    try:
        if file.exists() and not force and not print_only:
            raise BackupError(f"{file} already exists; choose another name or pass --force")
        if url.get_backend_name() == "sqlite":
            if print_only:
                raise BackupError("--print is for PostgreSQL; SQLite is backed up by kam itself")
            counts = backup_sqlite(_sqlite_path(url), file)
            shown = ", ".join(f"{n} {COUNTED[table]}" for table, n in counts.items())
            typer.echo(f"backed up {url.database} to {file} ({shown}); integrity check ok")
        elif url.get_backend_name() == "postgresql":
            argv, env = pg_dump_command(url, file)
            if print_only:
                typer.echo(format_command(argv, url))
                return
            run_pg_dump(argv, env)
            typer.echo(f"backed up {url.database} to {file} (pg_dump custom format)")
            typer.echo(f"restore with: {format_restore(url, file)}", err=True)
        else:
            raise BackupError(f"kam cannot back up a {url.get_backend_name()} database")
    except BackupError as exc:
        typer.echo(f"kam: backup failed: {exc}", err=True)
        raise typer.Exit(1) from exc


# -- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory; there is nothing on disk to back up")
    path = Path(url.database)
    if not path.exists():
        raise BackupError(f"the database file {path} does not exist (KAM_DATABASE_URL)")
    return path


def backup_sqlite(source: Path, target: Path) -> dict[str, int]:
    """Copy ``source`` to ``target`` with SQLite's online backup; return row counts."""
    if target.resolve() == source.resolve():
        raise BackupError("the backup file must not be the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # The source is opened read-only by URI, so the backup can never write to it.
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)  # pages=-1: all of it in one read transaction
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            problems = [row[0] for row in dst.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise BackupError(f"the copy failed its integrity check: {problems[:3]}")
            counts = _counts(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite: {exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        src.close()
    os.replace(partial, target)
    return counts


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {
        table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        for table in COUNTED
        if table in tables
    }


# -- PostgreSQL -----------------------------------------------------------------------------


def _libpq_args(url: URL) -> list[str]:
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    return args


def pg_dump_command(url: URL, file: Path) -> tuple[list[str], dict[str, str]]:
    """The ``pg_dump`` argv and the environment it needs (the password, if any)."""
    if not url.database:
        raise BackupError("KAM_DATABASE_URL names no database")
    argv = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--file",
        str(file),
        *_libpq_args(url),
        "--dbname",
        url.database,
    ]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return argv, env


def format_command(argv: list[str], url: URL) -> str:
    prefix = "PGPASSWORD=… " if url.password else ""
    return prefix + shlex.join(argv)


def format_restore(url: URL, file: Path) -> str:
    argv = [
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        *_libpq_args(url),
        "--dbname",
        url.database or "kam",
        str(file),
    ]
    return format_command(argv, url)


def run_pg_dump(argv: list[str], env: dict[str, str]) -> None:
    exe = shutil.which(argv[0])
    if exe is None:
        raise BackupError(
            "pg_dump is not installed; install the PostgreSQL client of the server's "
            "major version (e.g. `apt-get install postgresql-client-16`), or run "
            "`kam backup --print FILE` to get the command for another machine"
        )
    done = subprocess.run(
        [exe, *argv[1:]], env={**os.environ, **env}, capture_output=True, text=True
    )
    if done.returncode != 0:
        Path(argv[argv.index("--file") + 1]).unlink(missing_ok=True)
        raise BackupError(f"pg_dump exited {done.returncode}: {done.stderr.strip()[:500]}")
