"""``/tasks`` and ``/done``: open next steps, who may close them, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry, Task, User
from handlers.commands.tasks import due_label
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def _add_tasks(engine, b) -> dict[str, int]:
    """Alice: one 3 days overdue, one due today, tomorrow, in 4 days, undated, one done.
    Carol has one at Acme too; wang has one at 华夏重工 due yesterday."""
    with unit_of_work(engine) as s:
        acme, huaxia = s.get(Account, b["acme"]), s.get(Account, b["huaxia"])
        alice, carol, wang = (
            s.get(User, b["alice"]),
            s.get(User, b["carol"]),
            s.get(User, b["wang"]),
        )
        at = lambda days: NOW + timedelta(days=days)  # noqa: E731
        ids = {
            "overdue": f.task(s, acme, "send revised quote", owner=alice, due_at=at(-3)).id,
            "today": f.task(s, acme, "call Li Wei", owner=alice, due_at=at(0)).id,
            "tomorrow": f.task(s, acme, "book demo room", owner=alice, due_at=at(1)).id,
            "later": f.task(s, acme, "draft QBR deck", owner=alice, due_at=at(4)).id,
            "undated": f.task(s, acme, "find the IT budget owner", owner=alice).id,
            "done": f.task(s, acme, "old thing", owner=alice, due_at=at(-9), done_at=at(-8)).id,
            "carol": f.task(s, acme, "intro to procurement", owner=carol, due_at=at(2)).id,
            "wang": f.task(s, huaxia, "发送报价", owner=wang, due_at=at(-1)).id,
        }
    return ids


def _task(engine, task_id: int) -> Task:
    with unit_of_work(engine, write=False) as s:
        return s.get(Task, task_id)


# --- /tasks -------------------------------------------------------------------------


def test_tasks_lists_my_open_steps_overdue_first_then_by_due_date(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("alice", "/tasks")
    assert reply.title == "My next steps (5 open)"
    assert reply.severity == Severity.warning  # something is overdue
    titles = [s.title for s in reply.sections]
    assert titles == ["Overdue (1)", "Upcoming (3)", "No due date (1)"]
    lines = [line for s in reply.sections for line in s.lines]
    assert lines == [
        f"#{ids['overdue']} Acme · send revised quote · 3d overdue",
        f"#{ids['today']} Acme · call Li Wei · today",
        f"#{ids['tomorrow']} Acme · book demo room · tomorrow",
        f"#{ids['later']} Acme · draft QBR deck · in 4d",
        f"#{ids['undated']} Acme · find the IT budget owner · no date",
    ]
    # the done task and carol's task are not mine to see here
    assert all(f"#{ids['done']} " not in line and f"#{ids['carol']} " not in line for line in lines)
    assert [a.command for a in reply.actions][:2] == [
        f"done {ids['overdue']}",
        f"done {ids['today']}",
    ]


def test_tasks_in_chinese_with_relative_due_dates(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("wang", "/待办")
    assert reply.title == "我的待办（1 项）"
    assert reply.sections[0].title == "已逾期 (1)"
    assert reply.sections[0].lines == (f"#{ids['wang']} 华夏重工 · 发送报价 · 逾期1天",)
    assert reply.footer == f"完成后发送 /完成 {ids['wang']}"


def test_due_label_reads_relative_to_the_readers_today():
    today = NOW.date()
    at = lambda days: NOW + timedelta(days=days)  # noqa: E731
    assert due_label(at(-3), today, SHANGHAI, "en") == "3d overdue"
    assert due_label(at(-3), today, SHANGHAI, "zh") == "逾期3天"
    assert due_label(at(0), today, SHANGHAI, "zh") == "今天"
    assert due_label(at(1), today, SHANGHAI, "zh") == "明天"
    assert due_label(at(6), today, SHANGHAI, "en") == "in 6d"
    assert due_label(at(12), today, SHANGHAI, "en") == "Nov 30"
    assert due_label(at(60), today, SHANGHAI, "zh") == "2027年1月17日"
    assert due_label(None, today, SHANGHAI, "zh") == "无截止日"
    # 23:30 UTC on Nov 17 is already Nov 18 in Shanghai: due today, not overdue
    late = datetime(2026, 11, 17, 23, 30, tzinfo=UTC)
    assert due_label(late, today, SHANGHAI, "en") == "today"


def test_tasks_for_one_account_shows_every_owner(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("carol", "/tasks ACME Corp")
    assert reply.title == "Acme — next steps (6 open)"
    lines = [line for s in reply.sections for line in s.lines]
    assert f"#{ids['carol']} Carol · intro to procurement · in 2d" in lines
    assert f"#{ids['overdue']} Alice Chen · send revised quote · 3d overdue" in lines
    # only carol's own task gets a done button
    assert [a.command for a in reply.actions] == [f"done {ids['carol']}"]


def test_tasks_of_another_teams_account_is_refused(engine, chat):
    b = book(engine)
    _add_tasks(engine, b)
    reply = chat.say("eve", "/tasks Acme")
    assert reply.severity == Severity.error
    assert "belongs to another team" in reply.lines[0]


def test_manager_sees_a_reports_tasks_but_reps_do_not(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("bob", "/tasks @alice")
    assert reply.title == "Alice Chen's next steps (5 open)"
    assert f"#{ids['overdue']} Acme · send revised quote · 3d overdue" in reply.sections[0].lines
    assert reply.actions == []  # bob owns none of them

    for outsider in ("carol", "eve"):
        refused = chat.say(outsider, "/tasks @alice")
        assert refused.severity == Severity.error
        assert refused.title == "Not allowed"
        assert "not one of your reports" in refused.lines[0]

    assert chat.say("admin", "/tasks @wang").title == "王磊's next steps (1 open)"
    assert chat.say("alice", "/tasks @alice").title == "My next steps (5 open)"


def test_tasks_for_an_unknown_person(engine, chat):
    book(engine)
    reply = chat.say("bob", "/tasks @nobody")
    assert reply.severity == Severity.error
    assert "nobody" in reply.lines[0]


def test_no_open_tasks(engine, chat):
    book(engine)
    reply = chat.say("eve", "/tasks")
    assert reply.title == "You have no open next steps"
    assert reply.sections == []


def test_long_lists_are_cut_with_a_count(engine, chat):
    b = book(engine)
    with unit_of_work(engine) as s:
        acme, alice = s.get(Account, b["acme"]), s.get(User, b["alice"])
        for i in range(35):
            f.task(s, acme, f"step {i}", owner=alice, due_at=NOW + timedelta(days=i))
    reply = chat.say("alice", "/tasks")
    assert reply.title == "My next steps (35 open)"
    assert sum(len(s.lines) for s in reply.sections) == 30
    assert reply.lines == ["…and 5 more; /tasks ACCOUNT narrows it down"]


# --- /done --------------------------------------------------------------------------


def test_done_closes_my_task_and_audits_it(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("alice", f"/done {ids['overdue']}")
    assert reply.severity == Severity.success
    assert reply.title == f"Done: #{ids['overdue']} send revised quote"
    assert "4 open next steps left." in reply.lines
    task = _task(engine, ids["overdue"])
    assert task.done_at == NOW
    with unit_of_work(engine, write=False) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "task")).one()
    assert (entry.action, entry.entity_id, entry.actor_id) == ("update", task.id, b["alice"])
    assert entry.account_id == b["acme"]
    assert entry.before["done_at"] is None and entry.after["done_at"] is not None
    # and it is gone from the list
    assert chat.say("alice", "/tasks").title == "My next steps (4 open)"


def test_done_several_ids_in_chinese(engine, chat):
    b = book(engine)
    with unit_of_work(engine) as s:
        huaxia, wang = s.get(Account, b["huaxia"]), s.get(User, b["wang"])
        one = f.task(s, huaxia, "发送报价", owner=wang).id
        two = f.task(s, huaxia, "约王总吃饭", owner=wang).id
    reply = chat.say("wang", f"/完成 #{one}，#{two}")
    assert reply.title == "已完成 2 条待办"
    assert reply.lines[:2] == [f"#{one} 华夏重工 · 发送报价", f"#{two} 华夏重工 · 约王总吃饭"]
    assert "待办已全部完成。" in reply.lines
    assert _task(engine, one).done_at == NOW and _task(engine, two).done_at == NOW


def test_done_with_an_unknown_id_closes_nothing(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("alice", f"/done {ids['today']} 9999")
    assert reply.severity == Severity.error
    assert reply.title == "Not found"
    assert reply.lines[0] == "There is no next step #9999; /tasks lists yours."
    assert "Nothing was changed." in reply.lines
    assert _task(engine, ids["today"]).done_at is None


def test_done_refuses_someone_elses_task_outside_my_accounts(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("eve", f"/done {ids['today']}")
    assert reply.severity == Severity.error
    assert reply.title == "Not allowed"
    assert reply.lines[0].startswith(f"#{ids['today']} is Alice Chen's next step at Acme")
    assert _task(engine, ids["today"]).done_at is None
    # in Chinese for wang, who is not on Acme either
    reply = chat.say("wang", f"/完成 {ids['today']}")
    assert reply.title == "没有权限"
    assert reply.lines[0].startswith(f"#{ids['today']} 是 Alice Chen 在 Acme 的待办")


def test_a_teammate_may_close_it_and_the_owner_is_told(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("carol", f"/done {ids['today']}")
    assert reply.severity == Severity.success
    assert _task(engine, ids["today"]).done_at == NOW
    told = chat.notifier.to("user:alice")
    assert [r.title for r in told] == [
        f"Carol marked your next step at Acme as done: #{ids['today']} call Li Wei"
    ]


def test_done_twice_says_it_was_already_done(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    reply = chat.say("alice", f"/done {ids['done']}")
    assert reply.severity == Severity.info
    assert reply.title == "Nothing to close: already done"
    # closed before the audit kept it: the day and time, no name
    assert reply.lines == [f"#{ids['done']} was already done on 2026-11-10 10:00."]
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AuditEntry)).all() == []


def test_done_again_says_who_closed_it_and_when_and_changes_nothing(engine, chat):
    b = book(engine)
    ids = _add_tasks(engine, b)
    assert chat.say("alice", f"/done {ids['today']}").severity == Severity.success
    again = chat.say("bob", f"/done {ids['today']}")  # her manager, a second click
    assert again.severity == Severity.info
    assert again.title == "Nothing to close: already done"
    assert again.lines == [f"#{ids['today']} was already done by Alice Chen on 2026-11-18 10:00."]
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity == "task")).all()
    assert [e.actor_id for e in entries] == [b["alice"]]


def test_done_again_in_chinese(engine, chat):
    b = book(engine)
    with unit_of_work(engine) as s:
        huaxia, wang = s.get(Account, b["huaxia"]), s.get(User, b["wang"])
        one = f.task(s, huaxia, "发送报价", owner=wang).id
    chat.say("wang", f"/完成 {one}")
    again = chat.say("wang", f"/完成 {one}")
    assert again.title == "无需关闭：均已完成"
    assert again.lines == [f"#{one} 已由 王磊 于 2026年11月18日 10:00 完成。"]


@pytest.mark.parametrize("text", ["/done", "/done twelve", "/done 0", "/done 12abc"])
def test_done_needs_task_numbers(engine, chat, text):
    book(engine)
    reply = chat.say("alice", text)
    assert reply.severity == Severity.error
    assert any(line.startswith("Example: /done 12 13") for line in reply.lines)
