"""``/undo``: a whole command taken back from the audit trail, within the time window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from bot.config import Settings
from domain.models import (
    Account,
    AuditEntry,
    Contact,
    Interaction,
    InteractionContact,
    Reminder,
    Task,
    TeamManager,
    User,
)
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def _count(engine, model, *where) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def _get(engine, model, key):
    with unit_of_work(engine, write=False) as s:
        return s.get(model, key)


def test_undo_a_visit_removes_everything_it_created(engine, chat):
    b = book(engine)
    logged = chat.say(
        "alice",
        "/visit Acme yesterday met Li Wei and Zhang San, CTO. next: send proposal by Friday",
    )
    assert logged.severity == Severity.success
    assert _count(engine, Interaction) == 1
    assert _count(engine, InteractionContact) == 2
    assert _count(engine, Task) == 1
    assert _count(engine, Contact, Contact.name == "Zhang San") == 1
    with unit_of_work(engine, write=False) as s:
        task_id = s.exec(select(Task.id)).one()

    reply = chat.say("alice", "/undo")
    assert reply.severity == Severity.success
    assert reply.title == (
        f"Undid: visit logged at Acme, next step #{task_id}, new contact Zhang San"
    )
    assert _count(engine, Interaction) == 0
    assert _count(engine, InteractionContact) == 0
    assert _count(engine, Task) == 0
    assert _count(engine, Contact, Contact.name == "Zhang San") == 0
    assert _get(engine, Contact, b["li_wei"]) is not None  # the existing contact stays

    with unit_of_work(engine, write=False) as s:
        entries = s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    *reverted, undo = entries
    assert all(e.undone_at == NOW for e in reverted)
    assert (undo.action, undo.actor_id, undo.undone_at) == ("undo", b["alice"], None)
    assert undo.account_id == b["acme"]
    assert undo.after["entries"] == [e.id for e in reverted]


def test_undo_a_snooze_in_chinese(engine, chat):
    b = book(engine)
    chat.say("wang", "/暂停提醒 华夏重工 两周 对接人休假")
    reply = chat.say("wang", "/撤销")
    assert reply.title == "已撤销：华夏重工 的暂停提醒"
    huaxia = _get(engine, Account, b["huaxia"])
    assert (huaxia.snoozed_until, huaxia.snooze_reason) == (None, None)


def test_undo_ending_a_snooze_brings_it_back(engine, chat):
    b = book(engine)
    chat.say("alice", "/snooze Acme 2w champion on leave")
    chat.say("alice", "/snooze Acme off")
    assert chat.say("alice", "/undo").title == "Undid: end of the snooze on Acme"
    acme = _get(engine, Account, b["acme"])
    assert acme.snooze_reason == "champion on leave"
    assert acme.snoozed_until.isoformat() == "2026-12-02"


def test_undo_done_reopens_the_task(engine, chat):
    b = book(engine)
    with unit_of_work(engine) as s:
        task = f.task(s, s.get(Account, b["acme"]), "call Li Wei", owner=s.get(User, b["alice"]))
    chat.say("alice", f"/done {task.id}")
    assert _get(engine, Task, task.id).done_at == NOW
    reply = chat.say("alice", "/undo")
    assert reply.title == f"Undid: #{task.id} marked done"
    assert _get(engine, Task, task.id).done_at is None
    assert chat.say("alice", "/tasks").title == "My next steps (1 open)"


def test_undo_a_reminder_and_a_new_user(engine, chat):
    book(engine)
    chat.say("alice", "/remind Acme renewal check monthly")
    assert chat.say("alice", "/undo").title.startswith("Undid: reminder #")
    assert _count(engine, Reminder) == 0

    chat.say("admin", "/user add @frank manager team 华南")
    assert _count(engine, TeamManager) == 3  # bob's two, and frank's
    assert chat.say("admin", "/undo").title == "Undid: new user @frank, new team 华南"
    assert _count(engine, User, User.handle == "frank") == 0
    assert _count(engine, TeamManager) == 2


def test_undo_again_takes_back_the_command_before_not_the_undo(engine, chat):
    b = book(engine)
    chat.say("alice", "/snooze Acme 2w champion on leave")
    chat.now += timedelta(minutes=1)
    chat.say("alice", "/remind Acme renewal check monthly")
    chat.now += timedelta(minutes=1)
    assert chat.say("alice", "/undo").title.startswith("Undid: reminder #")
    assert chat.say("alice", "/undo").title == "Undid: snooze of Acme"
    assert _get(engine, Account, b["acme"]).snoozed_until is None
    assert _count(engine, Reminder) == 0
    third = chat.say("alice", "/undo")
    assert third.title == "Nothing to undo"
    assert third.severity == Severity.warning


def test_undo_is_refused_after_the_window(engine, chat):
    b = book(engine)
    chat.say("alice", "/snooze Acme 2w champion on leave")
    chat.now += timedelta(hours=48, minutes=1)
    reply = chat.say("alice", "/undo")
    assert reply.title == "Nothing to undo"
    assert reply.lines == [
        "Your last change (snooze of Acme, 2 days ago) is older than 48 hours; "
        "change it by hand instead."
    ]
    assert _get(engine, Account, b["acme"]).snooze_reason == "champion on leave"
    assert _count(engine, AuditEntry, AuditEntry.undone_at.is_not(None)) == 0


def test_undo_just_inside_the_window_works(engine, chat):
    b = book(engine)
    chat.say("alice", "/snooze Acme 2w champion on leave")
    chat.now += timedelta(hours=47, minutes=59)
    assert chat.say("alice", "/undo").severity == Severity.success
    assert _get(engine, Account, b["acme"]).snoozed_until is None


def test_my_own_change_is_undone_the_next_day(engine, chat):
    """A wrong date is often noticed the next day: the person's own last change is
    taken back for ``undo_own_hours`` (48 by default), not only for ten minutes."""
    book(engine)
    chat.say("alice", "/visit Acme met Li Wei, next: send the deck by Friday")
    chat.now += timedelta(hours=20)
    reply = chat.say("alice", "/undo")
    assert reply.severity == Severity.success
    assert _count(engine, Interaction) == 0
    assert _count(engine, Task) == 0


def test_the_own_window_is_a_setting(engine):
    book(engine)
    chat = Chat(engine, settings=Settings(undo_own_hours=2))
    chat.say("alice", "/snooze Acme 2w champion on leave")
    chat.now += timedelta(hours=2, minutes=5)
    reply = chat.say("alice", "/undo")
    assert reply.lines == [
        "Your last change (snooze of Acme, 2 hours ago) is older than 2 hours; "
        "change it by hand instead."
    ]
    chat.now -= timedelta(minutes=10)
    assert chat.say("alice", "/undo").severity == Severity.success


def test_a_colleagues_later_change_still_blocks_a_day_old_undo(engine, chat):
    b = book(engine)
    chat.say("alice", "/snooze Acme 2w champion on leave")
    chat.now += timedelta(hours=3)
    chat.say("bob", "/snooze Acme off")
    chat.now += timedelta(hours=20)
    reply = chat.say("alice", "/undo")
    assert reply.title == "Can't undo that"
    assert _get(engine, Account, b["acme"]).snoozed_until is None


def test_nothing_to_undo(engine, chat):
    book(engine)
    reply = chat.say("wang", "/撤销")
    assert reply.title == "没有可撤销的操作"
    assert reply.lines == ["/撤销 只能撤回你自己最近 48 小时内的上一次修改（导入为 10 分钟）。"]


def test_undo_only_takes_back_my_own_changes(engine, chat):
    b = book(engine)
    chat.say("alice", "/snooze Acme 2w champion on leave")
    assert chat.say("bob", "/undo").title == "Nothing to undo"
    assert _get(engine, Account, b["acme"]).snoozed_until is not None


def test_undo_refuses_when_someone_changed_it_since(engine, chat):
    book(engine)
    chat.say("alice", "/visit Acme met Li Wei next: send proposal by Friday")
    with unit_of_work(engine, write=False) as s:
        task_id = s.exec(select(Task.id)).one()
    chat.say("carol", f"/done {task_id}")
    reply = chat.say("alice", "/undo")
    assert reply.severity == Severity.warning
    assert reply.title == "Can't undo that"
    assert reply.lines[0] == (
        f"Can't undo visit logged at Acme, next step #{task_id}: Carol changed it since."
    )
    assert _count(engine, Interaction) == 1
    assert _get(engine, Task, task_id).done_at == NOW
    assert _count(engine, AuditEntry, AuditEntry.undone_at.is_not(None)) == 0


def test_undo_refuses_when_other_records_depend_on_it(engine, chat):
    book(engine)
    chat.say("alice", "/visit Acme met Zhang San, CTO")
    chat.say("carol", "/call Acme talked to Zhang San about the rollout")
    assert _count(engine, InteractionContact) == 2  # carol's call links alice's new contact
    reply = chat.say("alice", "/undo")
    assert reply.severity == Severity.warning
    assert "other records now depend on it" in reply.lines[0]
    assert _count(engine, Contact, Contact.name == "Zhang San") == 1
    assert _count(engine, Interaction) == 2
    assert _count(engine, AuditEntry, AuditEntry.undone_at.is_not(None)) == 0
    # once carol takes back her call, alice's undo goes through
    assert chat.say("carol", "/undo").severity == Severity.success
    assert chat.say("alice", "/undo").severity == Severity.success
    assert _count(engine, Contact, Contact.name == "Zhang San") == 0


def test_an_import_is_taken_back_in_chat_only_within_the_short_window(engine):
    """An import is bulk and has ``kam import --revert`` any time: chat's /undo keeps
    to ``undo_minutes`` for it, while the person's own chat commands reach 48 hours."""
    from tests.csvkit import run_import

    book(engine)
    run_import(engine, "accounts", "name,owner,industry\nNewco,wang,Logistics\n", actor="admin")
    with unit_of_work(engine, write=False) as s:
        at = s.exec(select(func.max(AuditEntry.at))).one()
    chat = Chat(engine, now=at.astimezone(NOW.tzinfo) + timedelta(minutes=11))
    reply = chat.say("admin", "/undo")
    assert reply.title == "Nothing to undo"
    assert reply.lines[0].startswith("Your last change (import of accounts.csv")
    assert "11 minutes ago) was an import, older than 10 minutes" in reply.lines[0]
    assert "kam import --revert import-test-accounts" in reply.lines[0]
    assert _count(engine, Account, Account.name == "Newco") == 1
    chat.now -= timedelta(minutes=2)
    assert chat.say("admin", "/undo").severity == Severity.success
    assert _count(engine, Account, Account.name == "Newco") == 0
