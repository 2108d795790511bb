"""A cold ``kam say`` loads what its answer needs, not every library kam can use.

Each run is a fresh interpreter, as when a person types the command: after it has
answered, the libraries it loaded are compared with the ones only other commands need
(migrations, HTTP clients, the chat platforms' SDKs, the scheduler, pinyin, free-form
dates, terminal colours).  Time is measured in ``benchmarks/startup_bench.py``, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.migrate import (
    VERSIONS,
    _head_from_files,
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    stamped_revisions,
    upgrade,
)
from tests.harness import book

# Only other commands (or a message that needs them) load these.
NOT_AT_START = {
    "alembic": "migrations: only to upgrade; the revision check reads one row",
    "mako": "alembic's templates",
    "httpx": "Slack/WeCom HTTP calls, made on the first call",
    "httpcore": "httpx's transport",
    "rich": "terminal colours (httpx's command line imports it)",
    "pygments": "syntax colours (rich and mako import it)",
    "pypinyin": "sound-alike Chinese command words only",
    "dateparser": "date phrases kam's own rules do not read",
    "slack_bolt": "Slack transport",
    "slack_sdk": "Slack transport",
    "wechatpy": "WeCom transport",
    "apscheduler": "the scheduler",
    "starlette": "the web server",
    "uvicorn": "the web server",
    "prompt_toolkit": "kam console",
    "matplotlib": "charts: drawn only when a reply's chart is sent or saved",
    "numpy": "matplotlib's arrays",
    "PIL": "matplotlib's image files",
    "noto_cjk_sans_otc": "the charts' Chinese font",
}

_RUN = """
import json, sys
out, argv = sys.argv[1], sys.argv[2:]
sys.argv = ["kam", *argv]
from bot.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def say(database_url: str, tmp_path: Path, text: str) -> tuple[str, set[str]]:
    """Run ``kam say --as alice TEXT`` in a fresh interpreter: its output and the
    top-level packages it had imported when it finished."""
    report = tmp_path / "modules.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAM_", "SLACK_", "WECOM_"))}
    env["KAM_DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(report), "say", "--as", "alice", text],
        cwd=tmp_path,  # no stray kam.toml
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(report.read_text())
    assert result["code"] in (0, None), done.stderr
    return done.stdout, {name.split(".")[0] for name in result["modules"]}


@pytest.mark.parametrize(
    ("text", "answer"),
    [("/help", "kam — what you can say"), ("/account Acme", "Acme (ACME Corp)")],
)
def test_kam_say_loads_none_of_the_libraries_only_other_commands_need(
    database_url, engine, tmp_path, text, answer
):
    book(engine)
    output, loaded = say(database_url, tmp_path, text)
    assert answer in output
    # It did load what answering takes (so an empty list cannot pass) ...
    assert {"sqlalchemy", "sqlmodel", "typer", "domain", "handlers", "storage"} <= loaded
    # ... and nothing on this list.
    assert {name: NOT_AT_START[name] for name in loaded & NOT_AT_START.keys()} == {}


def test_the_head_read_from_the_migration_files_is_alembics_head(engine):
    assert _head_from_files(VERSIONS) is not None
    assert head_revision(engine) == (
        ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    )


def _migration(folder: Path, revision: str, down: str) -> None:
    (folder / f"{revision}_step.py").write_text(
        f'"""Step {revision}."""\n\n'
        f'revision: str = "{revision}"\n'
        f"down_revision: str | tuple[str, ...] | None = {down}  # the one before\n"
        "branch_labels = None\n"
    )


def test_the_head_reader_leaves_branches_and_odd_lines_to_alembic(tmp_path):
    _migration(tmp_path, "0001", "None")
    _migration(tmp_path, "0002", '"0001"')
    assert _head_from_files(tmp_path) == "0002"
    _migration(tmp_path, "0003", '"0001"')  # a second head: alembic says what is wrong
    assert _head_from_files(tmp_path) is None
    _migration(tmp_path, "0004", '("0002", "0003")')  # the merge
    assert _head_from_files(tmp_path) == "0004"
    _migration(tmp_path, "0005", "previous()")  # not a literal the reader can trust
    assert _head_from_files(tmp_path) is None


def test_a_database_behind_head_is_upgraded_and_one_at_head_is_left_alone(empty_database_url):
    from storage.engine import make_engine

    engine = make_engine(empty_database_url)
    try:
        assert stamped_revisions(engine) == set()
        upgrade(engine, "0008")
        assert stamped_revisions(engine) == {"0008"}
        assert ensure_schema(engine) is True
        assert current_revision(engine) == head_revision(engine)
        assert stamped_revisions(engine) == {head_revision(engine)}
        assert ensure_schema(engine) is False
    finally:
        engine.dispose()
