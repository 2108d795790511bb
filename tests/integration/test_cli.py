"""The `kam` command line, run as a user runs it."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from bot.cli import app
from tests.harness import book

runner = CliRunner()


@pytest.fixture
def env(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray kam.toml
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    monkeypatch.delenv("KAM_AS", raising=False)  # who speaks is always said in the test
    return {**os.environ, "KAM_DATABASE_URL": database_url}


KAM = os.path.join(os.path.dirname(sys.executable), "kam")


def test_say_answers_help_through_the_real_console_script(env, engine):
    book(engine)
    out = subprocess.run(
        [KAM, "say", "--as", "alice", "/help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "kam — what you can say" in out.stdout
    assert "/visit ACCOUNT" in out.stdout


def test_say_as_an_unknown_handle_exits_non_zero_listing_who_there_is(env, engine):
    book(engine)
    result = runner.invoke(app, ["say", "--as", "nobody", "/help"])
    assert result.exit_code == 1
    assert result.output == (
        "kam: no user with handle or name 'nobody'. Users: admin (Admin, admin), "
        "alice (Alice Chen, rep), bob (Bob, manager), carol (Carol, rep), eve (Eve, rep), "
        "wang (王磊, rep). `kam export users` lists everyone.\n"
    )


def test_say_without_as_acts_as_nobody_and_says_how_to_choose(env, engine):
    book(engine)
    result = runner.invoke(app, ["say", "/visit Acme met Li Wei"])
    assert result.exit_code == 2
    assert result.output.startswith("kam: say who you are: --as HANDLE (or set KAM_AS=HANDLE). ")
    assert "alice (Alice Chen, rep)" in result.output
    from sqlmodel import select

    from domain.models import Interaction
    from storage.session import unit_of_work

    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Interaction)).all() == []


def test_say_on_an_empty_book_says_to_run_kam_demo(env):
    result = runner.invoke(app, ["say", "--as", "alice", "/help"])
    assert result.exit_code == 1
    assert "there are no users yet: run `kam demo` (or `make run`) first" in result.output.lower()


def test_kam_as_in_the_environment_is_the_default_for_as(env, engine, monkeypatch):
    book(engine)
    monkeypatch.setenv("KAM_AS", "wang")
    result = runner.invoke(app, ["say", "/客户 华夏重工"])
    assert result.exit_code == 0, result.output
    assert "  负责人   王磊 · 华东" in result.output.splitlines()
    # --as still wins over KAM_AS
    result = runner.invoke(app, ["say", "--as", "alice", "/account Acme"])
    assert "  Owner         Alice Chen · East" in result.output.splitlines()


@pytest.mark.parametrize("typed", ["王磊", "wang", "WANG", "@wang", "ｗａｎｇ", " 王磊 "])
def test_as_takes_a_handle_or_display_name_in_any_case_and_width(env, engine, typed):
    book(engine)
    result = runner.invoke(app, ["say", "--as", typed, "/我的"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("! 今天需要你关注")  # wang's own list, in Chinese


@pytest.mark.parametrize("typed", ["Alice Chen", "alice chen", "ＡＬＩＣＥ ＣＨＥＮ"])
def test_as_takes_an_english_display_name(env, engine, typed):
    book(engine)
    result = runner.invoke(app, ["say", "--as", typed, "acme"])
    assert result.exit_code == 0, result.output
    assert "  Owner         Alice Chen · East" in result.output.splitlines()


def test_as_an_ambiguous_display_name_names_the_handles(env, engine):
    from storage.session import unit_of_work
    from tests import factories as f

    book(engine)
    with unit_of_work(engine) as s:
        f.user(s, "alice2", display_name="Alice Chen")
    result = runner.invoke(app, ["say", "--as", "alice chen", "/help"])
    assert result.exit_code == 1
    assert result.output == (
        "kam: 2 users are called 'alice chen': alice (Alice Chen, rep), "
        "alice2 (Alice Chen, rep). Say which one with its handle, e.g. --as alice\n"
    )


def test_say_in_chinese(env, engine):
    book(engine)
    result = runner.invoke(app, ["say", "--as", "wang", "/客户 华夏重工"])
    assert result.exit_code == 0, result.output
    assert "华夏重工" in result.output and "负责人" in result.output


def test_parse_prints_typed_json_and_writes_nothing(env, engine):
    book(engine)
    result = runner.invoke(
        app,
        [
            "parse", "--as", "alice", "--now", "2026-11-18T10:00:00", "--tz", "Asia/Shanghai",
            "/visit Acme yesterday met Li Wei, CFO. next: send proposal by Friday",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["stages"]["command"] == "visit"
    assert out["stages"]["dates"][0].startswith("yesterday → 2026-11-17T")
    data = out["parsed"]
    assert data["command"] == "visit"
    assert data["account"] == "Acme"
    assert data["happened_at"].startswith("2026-11-17T")
    assert data["happened_at"].endswith("+08:00")
    [step] = data["next_steps"]
    assert step["due_at"].startswith("2026-11-20T")
    assert step["text"] == "send proposal"
    from sqlmodel import select

    from domain.models import Interaction
    from storage.session import unit_of_work

    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Interaction)).all() == []


def test_parse_respects_another_timezone(env, engine):
    book(engine)
    result = runner.invoke(
        app,
        [
            "parse",
            "--as",
            "alice",
            "--now",
            "2026-11-18T01:00:00",
            "--tz",
            "America/New_York",
            "/visit Acme yesterday x",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["parsed"]["happened_at"].startswith("2026-11-17T")
    assert json.loads(result.output)["parsed"]["happened_at"].endswith("-05:00")


def _migrations() -> list[tuple[str, str]]:
    """(revision, docstring title) of each migration file, read without alembic."""
    import ast
    from pathlib import Path

    import storage

    versions = Path(storage.__file__).parent / "migrations" / "versions"
    out = []
    for path in sorted(versions.glob("[0-9][0-9][0-9][0-9]_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        out.append((path.name[:4], doc.splitlines()[0]))
    return out


def test_db_upgrade_says_revision_before_and_after_and_what_it_applied(
    empty_database_url, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", empty_database_url)
    migrations = _migrations()
    assert len(migrations) >= 3 and migrations[0] == ("0001", "initial schema")
    head = migrations[-1][0]
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("database ") and "Session" not in result.output
    assert lines[1] == f"revision none (empty database) → {head}; applied:"
    assert lines[2] == "revision  migration"
    assert lines[3:] == [f"{rev}      {title}" for rev, title in migrations]

    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[1:] == [f"revision {head}: up to date, no migrations to apply"]


def _table(output: str, header: str) -> dict[str, list[int]]:
    """The rows under ``header`` in a printed table: kind → its numbers."""
    lines = output.splitlines()
    start = lines.index(header)
    rows = {}
    for line in lines[start + 1 :]:
        kind, *numbers = line.split()
        rows[kind] = [int(n.replace(",", "")) for n in numbers]
    return rows


def test_demo_prints_a_table_per_kind_and_a_second_run_says_unchanged(env):
    header = "kind          created  updated  unchanged"
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "DemoSummary" not in first.output and "=" not in first.output
    assert first.output.splitlines()[0] == f"demo book in {os.environ['KAM_DATABASE_URL']}:"
    rows = _table(first.output, header)
    assert list(rows) == [
        "teams", "users", "accounts", "contacts", "interactions", "deals", "tasks", "goals",
    ]  # fmt: skip
    # storage/demo/book.py's TEAMS, USERS and goal plan; about forty accounts
    assert rows["teams"] == [2, 0, 0] and rows["users"] == [7, 0, 0]
    assert rows["goals"] == [9, 0, 0] and rows["accounts"] == [40, 0, 0]
    assert all(created > 0 and unchanged == 0 for created, _, unchanged in rows.values())
    assert "teams               2        0          0" in first.output.splitlines()

    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert second.output.splitlines()[0].endswith(": already there, nothing changed")
    assert _table(second.output, header) == {
        kind: [0, 0, created] for kind, (created, _, _) in rows.items()
    }


def test_invalid_configuration_fails_at_start_naming_the_key(env, monkeypatch):
    monkeypatch.setenv("KAM_TIMEZONE", "Nowhere/Special")
    result = runner.invoke(app, ["say", "/help"])
    assert result.exit_code == 2
    assert "KAM_TIMEZONE" in result.output


def test_console_chats_on_the_same_path_in_both_languages(env, engine):
    book(engine)
    out = subprocess.run(
        [KAM, "console", "--as", "wang"],
        input="/客户 华夏重工\n/拜访 华夏重工 昨天 见了王总 下一步：周五前发方案\n/撤销\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "负责人" in out.stdout  # the summary
    assert "已记录拜访：华夏重工" in out.stdout  # the visit
    assert "撤" in out.stdout.split("已记录拜访")[1]  # and its undo
    from sqlmodel import select

    from domain.models import Interaction
    from storage.session import unit_of_work

    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Interaction)).all() == []  # undone


def test_console_from_a_pipe_answers_each_line_and_exits_zero(env, engine):
    book(engine)
    out = subprocess.run(
        [KAM, "console"],
        input="/account Acme\n\n   \nacme\n/vist Acme\n",  # a typo'd command, no notes
        env={**env, "KAM_AS": "alice"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith("kam console — you are Alice Chen (@alice, rep).")
    replies = out.stdout.rstrip("\n").split("\n\n")  # a blank line between replies
    assert out.stdout.startswith("! Acme (ACME Corp)\n")
    lines = out.stdout.splitlines()
    assert lines.count("  Owner         Alice Chen · East") == 2  # /account Acme, then acme
    assert lines[-6:] == [
        "✗ Couldn't do that",
        "(read “vist” as /visit)",
        "What happened at the visit with Acme? Write it after the name.",
        "Usage: /visit ACCOUNT [when] notes [next: step by DATE]",
        "Example: /visit Acme yesterday met Li Wei, CFO. Budget approved. next: send proposal by Friday",
        "Nothing was changed.",
    ]
    assert "Traceback" not in out.stderr and len(replies) >= 3


def test_console_without_as_or_kam_as_refuses(env, engine):
    book(engine)
    out = subprocess.run(
        [KAM, "console"],
        input="/account Acme\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.startswith("kam: say who you are: --as HANDLE (or set KAM_AS=HANDLE).")
