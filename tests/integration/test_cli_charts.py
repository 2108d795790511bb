"""Charts from the command line: ``kam say --chart-dir``, ``kam console --chart-dir`` and
``kam demo charts DIR`` (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from domain.models import Account, Delivery, Goal, User
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import book

runner = CliRunner()
KAM = os.path.join(os.path.dirname(sys.executable), "kam")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def env(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray kam.toml
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    monkeypatch.delenv("KAM_AS", raising=False)
    return {**os.environ, "KAM_DATABASE_URL": database_url}


def _goals(engine) -> None:
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, wang = s.get(User, ids["alice"]), s.get(User, ids["wang"])
        f.goal(s, year=2026, metric="won_revenue", target="10000000", user=alice)
        f.goal(s, year=2026, metric="won_revenue", target=Decimal("8000000"), user=wang)
        acme = s.get(Account, ids["acme"])
        f.deal(s, acme, "PO", owner=alice, amount="3000000", stage="won")


def test_say_with_a_chart_dir_writes_the_png_and_prints_its_path(env, engine, tmp_path):
    _goals(engine)
    charts = tmp_path / "charts"
    first = runner.invoke(app, ["say", "--as", "alice", "--chart-dir", str(charts), "/goal"])
    assert first.exit_code == 0, first.output
    *text, last = first.output.rstrip("\n").split("\n")
    assert "Goals 2026 — Alice Chen" in text[0]
    assert last == f"📊 {charts.resolve() / 'goal.png'}"
    assert (charts / "goal.png").read_bytes().startswith(PNG_MAGIC)
    again = runner.invoke(app, ["say", "--as", "王磊", "--chart-dir", str(charts), "/目标"])
    assert again.output.rstrip("\n").endswith(f"📊 {charts.resolve() / '目标.png'}")
    third = runner.invoke(app, ["say", "--as", "alice", "--chart-dir", str(charts), "/goal"])
    assert third.output.rstrip("\n").endswith("goal-2.png")  # never over an earlier one
    assert sorted(p.name for p in charts.iterdir()) == ["goal-2.png", "goal.png", "目标.png"]


def test_say_without_a_chart_dir_prints_the_text_alone(env, engine, tmp_path):
    _goals(engine)
    result = runner.invoke(app, ["say", "--as", "alice", "/goal"])
    assert result.exit_code == 0
    assert "📊" not in result.output
    assert "¥3M of ¥10M" in result.output  # the numbers are in the text
    assert list(tmp_path.glob("**/*.png")) == []


def test_a_reply_without_a_chart_writes_nothing(env, engine, tmp_path):
    book(engine)
    result = runner.invoke(app, ["say", "--as", "alice", "--chart-dir", str(tmp_path / "c"),
                                 "/account Acme"])  # fmt: skip
    assert result.exit_code == 0
    assert "📊" not in result.output
    assert not (tmp_path / "c").exists()


def test_console_from_a_pipe_writes_each_chart(env, engine, tmp_path):
    _goals(engine)
    out = subprocess.run(
        [KAM, "console", "--as", "alice", "--chart-dir", str(tmp_path / "c")],
        input="/goal\n/help\n/goal 2026Q4\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("📊 ") == 2
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["goal-2.png", "goal.png"]


@pytest.mark.slow
def test_demo_charts_draws_the_goal_charts_in_both_languages(env, engine, tmp_path):
    result = runner.invoke(app, ["demo", "charts", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert {"goal-en.png", "goal-zh.png", "goals-weekly-en.png", "goals-weekly-zh.png"} <= set(
        names
    )
    for name in names:
        data = (tmp_path / "demo" / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) <= 200 * 1024
        assert name in result.output  # listed with its size and time
    for command in ("pipeline", "forecast", "pyramid"):  # drawn once the commands exist
        assert f"/{command}: no such command" in result.output or f"{command}-zh.png" in names
    assert "loading matplotlib" in result.output
    with unit_of_work(engine, write=False) as s:  # the push was a dry run: nothing marked sent
        assert s.exec(select(func.count()).select_from(Delivery)).one() == 0
        assert s.exec(select(func.count()).select_from(Goal)).one() > 0  # the demo book
