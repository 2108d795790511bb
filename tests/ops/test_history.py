"""``/history Acme`` (``/历史``) in chat, and ``kam audit`` on the server."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import typer
from sqlalchemy import event
from typer.testing import CliRunner

from bot.audit_cli import audit_command
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    ids = book(engine)
    with unit_of_work(engine) as s:
        from domain.models import Team

        f.user(
            s, "zhou", role="manager", language="zh", display_name="周经理",
            manages=(s.get(Team, ids["huadong"]),),
        )  # fmt: skip
    return Chat(engine)


def later(chat: Chat, minutes: int = 1) -> None:
    chat.now += timedelta(minutes=minutes)


def test_a_manager_sees_who_changed_what_newest_first(chat):
    chat.say("alice", "/visit Acme met Li Wei about the renewal. next: send proposal by Friday")
    later(chat)
    chat.say("admin", "/snooze Acme 2 weeks customer on holiday")
    later(chat)
    chat.say("carol", "/visit Globex quick call")  # another account: not in Acme's history

    reply = chat.say("bob", "/history Acme")
    assert reply.title == "History of Acme"
    assert len(reply.lines) == 2
    newest, oldest = reply.lines
    assert newest.startswith("Nov 18 10:01 · Admin (console) · snooze of Acme")
    assert oldest.startswith("Nov 18 10:00 · Alice Chen (console) · visit logged at Acme")
    assert "next step #" in oldest
    assert not any("Globex" in line for line in reply.lines)


def test_undone_commands_are_marked_and_the_undo_is_listed(chat):
    chat.say("alice", "/visit Acme met Li Wei")
    later(chat)
    chat.say("alice", "/undo")
    reply = chat.say("bob", "/history Acme")
    undo, visit = reply.lines
    assert "Alice Chen (console) · undid: visit logged at Acme" in undo
    assert visit.endswith("visit logged at Acme (undone)")


def test_history_in_chinese(chat):
    chat.say("wang", "/拜访 华夏重工 见了王建国，谈了预算")
    reply = chat.say("zhou", "/历史 华夏")
    assert reply.title == "华夏重工 的修改记录"
    assert len(reply.lines) == 1
    assert reply.lines[0].startswith("11月18日 10:00 · 王磊 (console) · 华夏重工 的拜访记录")


def test_an_account_without_changes_says_so(chat):
    reply = chat.say("bob", "/history Globex")
    assert reply.lines == ["No changes recorded for Globex yet."]


def test_reps_may_not_read_history_and_managers_only_their_teams(chat):
    chat.say("eve", "/visit Initech met the CTO")
    rep = chat.say("alice", "/history Acme")
    assert rep.title == "Not allowed"
    assert any("/history" in line for line in rep.lines)
    other_team = chat.say("bob", "/history Initech")
    assert other_team.title == "Not allowed"
    assert "belongs to another team" in other_team.lines[0]
    assert chat.say("admin", "/history Initech").lines[0].startswith("Nov 18 10:00 · Eve")


def test_only_the_last_fifteen_commands_are_shown_in_two_queries(chat, engine):
    for i in range(17):
        chat.say("alice", f"/visit Acme call number {i}")
        later(chat)
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        reply = chat.say("bob", "/history Acme")
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(reply.lines) == 15
    assert reply.lines[0].startswith("Nov 18 10:16")
    assert reply.footer and "kam audit" in reply.footer
    audit_queries = [s for s in statements if "audit_entry" in s]
    assert len(audit_queries) == 2, audit_queries


# -- kam audit ------------------------------------------------------------------------------

app = typer.Typer()
app.command("audit")(audit_command)
app.command("noop")(lambda: None)
runner = CliRunner()


@pytest.fixture
def audit(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    monkeypatch.setenv("KAM_TIMEZONE", "Asia/Shanghai")

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["audit", *args])
        return result.exit_code, result.stdout

    return run


def test_kam_audit_prints_the_trail_oldest_first_with_filters(chat, audit):
    chat.now = chat.now - timedelta(days=3)
    chat.say("alice", "/visit Acme met Li Wei")
    chat.now = chat.now + timedelta(days=3)
    chat.say("admin", "/snooze Acme 2 weeks customer on holiday")
    chat.say("wang", "/拜访 华夏重工 谈了预算")

    code, out = audit()
    assert code == 0, out
    header, *rows = out.splitlines()
    assert header.split()[:3] == ["when", "who", "via"]
    assert rows[0].startswith("2026-11-15 10:00  alice")
    assert "create  interaction#" in rows[0] and "visit logged" in rows[0]
    assert any("华夏重工" in row for row in rows)
    assert "snoozed until" in rows[-2] or "snoozed until" in rows[-1]

    code, out = audit("--account", "acme corp")  # an alias, any case
    assert code == 0
    assert "华夏重工" not in out and "Acme" in out

    code, out = audit("--user", "@wang")
    assert code == 0
    assert all("wang" in row for row in out.splitlines()[1:])

    code, out = audit("--since", "2026-11-17")
    assert code == 0
    assert "alice" not in out and "admin" in out and "wang" in out


def test_kam_audit_json_lines_and_limit(chat, audit):
    chat.say("alice", "/visit Acme met Li Wei")
    chat.say("admin", "/snooze Acme 2 weeks customer on holiday")
    code, out = audit("--json", "--limit", "1")
    assert code == 0
    (line,) = out.splitlines()
    record = json.loads(line)
    assert record["actor"] == "admin"
    assert record["action"] == "update" and record["entity"] == "account"
    assert record["account"] == "Acme"
    assert record["at"].startswith("2026-11-18T02:00:00")


def test_kam_audit_explains_what_it_cannot_find(chat, audit):
    code, _out = audit("--account", "Nonexistent Industries")
    assert code == 2
    code, _out = audit("--user", "nobody")
    assert code == 2
    code, _out = audit("--since", "the day after never")
    assert code == 2
