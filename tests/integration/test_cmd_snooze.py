"""``/snooze``: pausing an account's contact reminders, with a reason, at most 180 days."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def _account(engine, account_id: int) -> Account:
    with unit_of_work(engine, write=False) as s:
        return s.get(Account, account_id)


def _audit(engine) -> list[AuditEntry]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)))


def test_snooze_for_two_weeks_with_a_reason(engine, chat):
    b = book(engine)
    reply = chat.say("alice", "/snooze Acme 2w champion on leave")
    assert reply.severity == Severity.success
    assert reply.title == "Acme snoozed until 2026-12-02"
    assert [(f.label, f.value) for f in reply.fields] == [
        ("Reason", "champion on leave"),
        ("Days", "14"),
    ]
    acme = _account(engine, b["acme"])
    assert acme.snoozed_until == date(2026, 12, 2)
    assert acme.snooze_reason == "champion on leave"
    [entry] = _audit(engine)
    assert (entry.action, entry.entity, entry.entity_id) == ("update", "account", b["acme"])
    assert entry.before["snoozed_until"] is None
    assert entry.after["snoozed_until"] == "2026-12-02"
    # the reason shows in /account
    assert "Snoozed until 2026-12-02: champion on leave" in chat.say("alice", "/account Acme").lines


@pytest.mark.parametrize(
    ("text", "until", "reason"),
    [
        ("/暂停提醒 华夏重工 两周 对接人休假", date(2026, 12, 2), "对接人休假"),
        ("/暂停提醒 华夏重工 两周对接人休假", date(2026, 12, 2), "对接人休假"),
        ("/暂停提醒 华夏 一个月 客户内部重组", date(2026, 12, 18), "客户内部重组"),
        ("/暂停提醒 华夏重工 到 1月10日 预算冻结", date(2027, 1, 10), "预算冻结"),
        ("/暂停提醒 华夏重工 10天", date(2026, 11, 28), None),
        ("/暂停提醒 华夏重工 半年 项目暂停", date(2027, 5, 18), "项目暂停"),  # 181 days: allowed
    ],
)
def test_snooze_in_chinese(engine, chat, text, until, reason):
    b = book(engine)
    reply = chat.say("wang", text)
    assert reply.severity == Severity.success, reply.lines
    assert reply.title == f"华夏重工 暂停提醒至 {until.year}年{until.month}月{until.day}日"
    huaxia = _account(engine, b["huaxia"])
    assert (huaxia.snoozed_until, huaxia.snooze_reason) == (until, reason)


@pytest.mark.parametrize(
    ("text", "until", "reason"),
    [
        ("/snooze Acme until 2027-01-10 budget freeze", date(2027, 1, 10), "budget freeze"),
        ("/snooze Acme for 3 weeks", date(2026, 12, 9), None),
        ("/snooze ACME Corp 10 days - Li Wei travelling", date(2026, 11, 28), "Li Wei travelling"),
        ("/snooze Acme 6 months", date(2027, 5, 18), None),
    ],
)
def test_snooze_durations_and_dates(engine, chat, text, until, reason):
    b = book(engine)
    reply = chat.say("alice", text)
    assert reply.severity == Severity.success, reply.lines
    acme = _account(engine, b["acme"])
    assert (acme.snoozed_until, acme.snooze_reason) == (until, reason)


def test_a_snooze_without_reason_is_kept_but_a_reason_is_asked_for(engine, chat):
    book(engine)
    reply = chat.say("alice", "/snooze Acme 2w")
    assert reply.severity == Severity.success
    assert any(line.startswith("Tip: add a reason") for line in reply.lines)


def test_snoozes_longer_than_180_days_are_refused(engine, chat):
    b = book(engine)
    reply = chat.say("alice", "/snooze Acme 7 months waiting")
    assert reply.severity == Severity.error
    assert reply.lines[0].startswith("2027-06-18 is 212 days away; snoozes last at most 180 days")
    assert _account(engine, b["acme"]).snoozed_until is None
    reply = chat.say("wang", "/暂停提醒 华夏重工 一年")
    assert "暂停最长 180 天" in reply.lines[0]
    assert _audit(engine) == []


@pytest.mark.parametrize(
    "text", ["/snooze Acme soon", "/snooze Acme", "/snooze Acme until someday", "/snooze Acme 0d"]
)
def test_a_bad_duration_is_refused_with_an_example(engine, chat, text):
    b = book(engine)
    reply = chat.say("alice", text)
    assert reply.severity == Severity.error
    assert "Example: /snooze Acme 2w champion on leave" in reply.lines
    assert _account(engine, b["acme"]).snoozed_until is None


def test_a_date_in_the_past_is_refused(engine, chat):
    book(engine)
    reply = chat.say("alice", "/snooze Acme until 2026-11-01")
    assert reply.severity == Severity.error
    assert "not in the future" in reply.lines[0]


def test_snooze_off_ends_it(engine, chat):
    b = book(engine)
    chat.say("alice", "/snooze Acme 2w champion on leave")
    reply = chat.say("alice", "/snooze Acme off")
    assert reply.title == "Acme: snooze ended"
    assert reply.lines == ["Contact reminders are back on (it was snoozed until 2026-12-02)."]
    acme = _account(engine, b["acme"])
    assert (acme.snoozed_until, acme.snooze_reason) == (None, None)
    assert [e.after["snoozed_until"] for e in _audit(engine)] == ["2026-12-02", None]
    # again: nothing to end, nothing audited
    again = chat.say("alice", "/snooze Acme off")
    assert again.title == "Acme is not snoozed"
    assert len(_audit(engine)) == 2


def test_snooze_off_in_chinese(engine, chat):
    b = book(engine)
    chat.say("wang", "/暂停提醒 华夏重工 两周 对接人休假")
    reply = chat.say("wang", "/暂停提醒 华夏重工 取消")
    assert reply.title == "华夏重工：已取消暂停提醒"
    assert _account(engine, b["huaxia"]).snoozed_until is None


def test_changing_a_snooze_says_what_it_was(engine, chat):
    book(engine)
    chat.say("alice", "/snooze Acme 2w")
    reply = chat.say("alice", "/snooze Acme until 2027-01-10 budget freeze")
    assert reply.title == "Acme: snooze moved from 2026-12-02 to 2027-01-10"


def test_snooze_needs_write_access(engine, chat):
    b = book(engine)
    reply = chat.say("eve", "/snooze Acme 2w")
    assert reply.severity == Severity.error
    assert reply.title == "Not allowed"
    assert _account(engine, b["acme"]).snoozed_until is None


def test_the_owner_is_told_when_someone_else_snoozes(engine, chat):
    book(engine)
    chat.say("bob", "/snooze 华夏重工 2w 对接人休假")
    [told] = chat.notifier.to("user:wang")
    assert told.title == "Bob 将你的客户 华夏重工 暂停提醒至 2026年12月2日"
    assert told.lines == ["原因: 对接人休假"]
    chat.say("wang", "/暂停提醒 华夏重工 三天")
    assert len(chat.notifier.to("user:wang")) == 1  # not told of their own change
