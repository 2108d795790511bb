"""``/remind``: recurring reminders — creating, listing, cancelling, and their next date."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from domain.models import AuditEntry, Reminder
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def _reminders(engine) -> list[Reminder]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(Reminder).order_by(Reminder.id)))


def test_create_the_documented_example(engine, chat):
    b = book(engine)
    reply = chat.say(
        "alice", '/remind Acme "quarterly business review" every 3 months from 2027-01-15'
    )
    assert reply.severity == Severity.success
    [r] = _reminders(engine)
    assert reply.title == f"Reminder #{r.id} for Acme"
    assert (r.account_id, r.text, r.every_days, r.every_months) == (
        b["acme"],
        "quarterly business review",
        0,
        3,
    )
    assert (r.start_date, r.next_date, r.active, r.created_by_id) == (
        date(2027, 1, 15),
        date(2027, 1, 15),
        True,
        b["alice"],
    )
    assert [(f.label, f.value) for f in reply.fields] == [
        ("About", "quarterly business review"),
        ("Repeats", "every quarter"),
        ("Starts", "2027-01-15"),
        ("Next", "2027-01-15"),
        ("Goes to", "Alice Chen"),
    ]
    with unit_of_work(engine, write=False) as s:
        entry = s.exec(select(AuditEntry)).one()
    assert (entry.action, entry.entity, entry.entity_id, entry.account_id) == (
        "create",
        "reminder",
        r.id,
        b["acme"],
    )


def test_create_in_chinese(engine, chat):
    b = book(engine)
    reply = chat.say("wang", '/提醒 华夏重工 "季度回顾" 每3个月 从 2027-01-15')
    [r] = _reminders(engine)
    assert reply.title == f"已设置提醒 #{r.id}：华夏重工"
    assert ("周期", "每季度") in [(f.label, f.value) for f in reply.fields]
    assert (r.account_id, r.text, r.every_months, r.start_date) == (
        b["huaxia"],
        "季度回顾",
        3,
        date(2027, 1, 15),
    )


@pytest.mark.parametrize(
    ("who", "text", "expected"),
    [
        # unquoted text, starting today (Wed 2026-11-18)
        ("alice", "/remind Acme renewal check monthly", ("renewal check", 0, 1, "2026-11-18")),
        ("alice", "/remind Acme call IT every 2 weeks", ("call IT", 14, 0, "2026-11-18")),
        ("wang", "/提醒 华夏重工 续约检查每月", ("续约检查", 0, 1, "2026-11-18")),
        ("wang", "/提醒 华夏 拜访王总 每两周 从下周一开始", ("拜访王总", 14, 0, "2026-11-23")),
        # a start in the past: the next occurrence on or after today
        (
            "alice",
            "/remind Acme partnership anniversary every year from 2020-11-30",
            ("partnership anniversary", 0, 12, "2026-11-30"),
        ),
        # month ends clamp, counted from the start: Jan 31 → Nov 30
        (
            "alice",
            '/remind Acme "month-end stock check" monthly from 2026-01-31',
            (None, 0, 1, "2026-11-30"),
        ),
    ],
)
def test_create_forms_and_next_date(engine, chat, who, text, expected):
    book(engine)
    reply = chat.say(who, text)
    assert reply.severity == Severity.success, reply.lines
    [r] = _reminders(engine)
    want_text, days, months, next_date = expected
    if want_text is not None:
        assert r.text == want_text
    assert (r.every_days, r.every_months, r.next_date.isoformat()) == (days, months, next_date)


@pytest.mark.parametrize(
    ("who", "text", "message"),
    [
        ("alice", "/remind Acme call Li Wei", "How often?"),
        ("alice", '/remind Acme "call" every 2 weeks from someday', "can't read the start date"),
        ("alice", "/remind Acme every month", "Remind about what?"),
        ("alice", '/remind Acme "" monthly', "Remind about what?"),
        ("wang", "/提醒 华夏重工 回访", "多久一次？"),
    ],
)
def test_create_refusals(engine, chat, who, text, message):
    book(engine)
    reply = chat.say(who, text)
    assert reply.severity == Severity.error
    assert message in reply.lines[0]
    assert _reminders(engine) == []


def test_create_needs_write_access(engine, chat):
    book(engine)
    reply = chat.say("eve", "/remind Acme check in monthly")
    assert reply.title == "Not allowed"
    assert _reminders(engine) == []


def test_the_same_reminder_twice_is_refused(engine, chat):
    book(engine)
    chat.say("alice", "/remind Acme renewal check monthly")
    reply = chat.say("carol", "/remind Acme Renewal Check every 2 months")
    assert reply.severity == Severity.error
    [r] = _reminders(engine)
    assert reply.lines[0].startswith(f"Acme already has reminder #{r.id} “renewal check”")


def test_list_my_reminders_includes_those_for_my_accounts(engine, chat):
    book(engine)
    chat.say("alice", "/remind Acme renewal check monthly")
    chat.say("bob", '/remind Acme "exec sponsor lunch" every 6 months from 2027-03-01')
    chat.say("wang", "/提醒 华夏重工 续约检查 每年")
    first, second, third = _reminders(engine)
    reply = chat.say("alice", "/remind")
    assert reply.title == "My reminders (2)"
    assert reply.lines == [
        f"#{first.id} Acme · renewal check · every month · next 2026-11-18",
        f"#{second.id} Acme · exec sponsor lunch · every 6 months · next 2027-03-01",
    ]
    zh = chat.say("wang", "/提醒")
    assert zh.title == "我的提醒（1 条）"
    assert zh.lines == [f"#{third.id} 华夏重工 · 续约检查 · 每年 · 下次 2026年11月18日"]
    assert chat.say("eve", "/remind").title == "You have no reminders"
    # one account's reminders
    acme = chat.say("carol", "/remind Acme")
    assert acme.title == "Acme — reminders (2)"
    assert acme.lines[0] == f"#{first.id} renewal check · every month · next 2026-11-18"


def test_cancel_deactivates_and_audits(engine, chat):
    book(engine)
    chat.say("alice", "/remind Acme renewal check monthly")
    [r] = _reminders(engine)
    reply = chat.say("alice", f"/remind cancel {r.id}")
    assert reply.severity == Severity.success
    assert reply.title == f"Cancelled reminder #{r.id}: renewal check"
    [r] = _reminders(engine)
    assert r.active is False
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.before and e.before["active"]) for e in entries] == [
        ("create", None),
        ("update", True),
    ]
    assert chat.say("alice", "/remind").title == "You have no reminders"
    again = chat.say("alice", f"/remind cancel {r.id}")
    assert again.title == "Nothing to cancel"


def test_cancel_in_chinese(engine, chat):
    book(engine)
    chat.say("wang", '/提醒 华夏重工 "季度回顾" 每3个月')
    [r] = _reminders(engine)
    reply = chat.say("wang", f"/提醒 取消 {r.id}")
    assert reply.title == f"已取消提醒 #{r.id}：季度回顾"
    assert _reminders(engine)[0].active is False


def test_cancel_refusals(engine, chat):
    book(engine)
    chat.say("alice", "/remind Acme renewal check monthly")
    [r] = _reminders(engine)
    forbidden = chat.say("eve", f"/remind cancel {r.id}")
    assert forbidden.title == "Not allowed"
    unknown = chat.say("alice", f"/remind cancel {r.id} 999")
    assert unknown.title == "Not found"
    assert unknown.lines[0] == "There is no reminder #999; /remind lists yours."
    assert _reminders(engine)[0].active is True


def test_a_long_list_is_cut_with_a_count(engine, chat):
    b = book(engine)
    with unit_of_work(engine) as s:
        for i in range(45):
            s.add(
                Reminder(
                    account_id=b["acme"],
                    text=f"check {i}",
                    every_months=1,
                    start_date=date(2026, 12, 1),
                    next_date=date(2026, 12, 1),
                    created_by_id=b["alice"],
                )
            )
    reply = chat.say("alice", "/remind")
    assert reply.title == "My reminders (45)"
    assert len(reply.lines) == 41
    assert reply.lines[-1] == "…and 5 more; /remind ACCOUNT narrows it down"
