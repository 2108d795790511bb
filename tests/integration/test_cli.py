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
    return {**os.environ, "KAM_DATABASE_URL": database_url}


def test_say_answers_help_through_the_real_console_script(env, engine):
    book(engine)
    kam = os.path.join(os.path.dirname(sys.executable), "kam")
    out = subprocess.run(
        [kam, "say", "--as", "alice", "/help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "kam — what you can say" in out.stdout
    assert "/visit ACCOUNT" in out.stdout


def test_say_as_an_unknown_handle_exits_non_zero_with_a_clear_message(env, engine):
    book(engine)
    result = runner.invoke(app, ["say", "--as", "nobody", "/help"])
    assert result.exit_code != 0
    assert "no user with handle 'nobody'" in result.output


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
    data = json.loads(result.output)
    assert data["command"] == "visit"
    assert data["account"] == "Acme"
    assert data["happened_at"].startswith("2026-11-17T")
    assert data["happened_at"].endswith("+08:00")
    assert data["due_at"].startswith("2026-11-20T")
    assert data["next_step"] == "send proposal"
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
    assert json.loads(result.output)["happened_at"].startswith("2026-11-17T")
    assert json.loads(result.output)["happened_at"].endswith("-05:00")


def test_db_upgrade_reports_the_revision(env):
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "revision" in result.output


def test_invalid_configuration_fails_at_start_naming_the_key(env, monkeypatch):
    monkeypatch.setenv("KAM_TIMEZONE", "Nowhere/Special")
    result = runner.invoke(app, ["say", "/help"])
    assert result.exit_code == 2
    assert "KAM_TIMEZONE" in result.output


def test_console_chats_on_the_same_path_in_both_languages(env, engine):
    book(engine)
    kam = os.path.join(os.path.dirname(sys.executable), "kam")
    out = subprocess.run(
        [kam, "console", "--as", "wang"],
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
