"""Recurring reminders (/remind): sent on their day to the account owner, then moved on."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, AuditEntry, Reminder
from handlers.notify import RecordingNotifier
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests.harness import book

REMINDERS = job_table()["reminders"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 5), SHANGHAI)


def add(engine, account_id: int, text: str, *, start: date, next_date: date, **every) -> int:
    with unit_of_work(engine) as s:
        r = Reminder(account_id=account_id, text=text, start_date=start, next_date=next_date,
                     **every)  # fmt: skip
        s.add(r)
        s.flush()
        return r.id


def reminder(engine, rid: int) -> Reminder:
    with unit_of_work(engine, write=False) as s:
        return s.get(Reminder, rid)


@pytest.fixture
def ids(engine):
    return book(engine)


def test_a_reminder_is_sent_on_its_day_and_moves_to_the_next(engine, ids):
    rid = add(engine, ids["acme"], "Check the consignment stock", every_days=14,
              start=date(2026, 11, 4), next_date=date(2026, 11, 18))  # fmt: skip
    notifier = RecordingNotifier()
    run(REMINDERS, engine, Settings(), notifier, at(date(2026, 11, 17)))
    assert notifier.sent == []
    run(REMINDERS, engine, Settings(), notifier, at(date(2026, 11, 18)))
    (reply,) = notifier.to("user:alice")
    assert reply.title == "Reminder: Acme"
    assert reply.lines == ["Acme — Check the consignment stock · every 2 weeks, next 2026-12-02"]
    # buttons: log the call the reminder is for (a form), or pause the account a week
    assert [(a.label, a.kind, a.command) for a in reply.actions] == [
        ("Log a call: Acme", "modal", "call Acme "),
        ("Snooze Acme 1 week", "button", "snooze Acme 1w"),
    ]
    assert reminder(engine, rid).next_date == date(2026, 12, 2)
    with unit_of_work(engine, write=False) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "reminder")).one()
        assert (entry.channel, entry.actor_id, entry.before["next_date"]) == (
            "schedule",
            None,
            "2026-11-18",
        )
    for day in (date(2026, 11, 18), date(2026, 11, 19), date(2026, 12, 1)):
        run(REMINDERS, engine, Settings(), notifier, at(day))
    assert len(notifier.sent) == 1
    run(REMINDERS, engine, Settings(), notifier, at(date(2026, 12, 2)))
    assert len(notifier.sent) == 2
    assert reminder(engine, rid).next_date == date(2026, 12, 16)


def test_missed_weeks_send_once_not_once_per_week(engine, ids):
    rid = add(engine, ids["huaxia"], "周报跟进", every_days=7,
              start=date(2026, 10, 7), next_date=date(2026, 10, 28))  # fmt: skip
    notifier = RecordingNotifier()
    run(REMINDERS, engine, Settings(), notifier, at(date(2026, 11, 18)))
    (reply,) = notifier.to("user:wang")  # the account's owner, in his language
    assert reply.title == "提醒：华夏重工"
    assert [a.label for a in reply.actions] == ["记录电话：华夏重工", "华夏重工 暂停提醒一周"]
    assert reply.lines == ["华夏重工 — 周报跟进（原定 2026年10月28日） · 每周，下次 2026年11月25日"]
    assert reminder(engine, rid).next_date == date(2026, 11, 25)


def test_month_ends_clamp_and_weekends_wait_for_monday(engine, ids):
    rid = add(engine, ids["acme"], "Month-end stock count", every_months=1,
              start=date(2027, 1, 31), next_date=date(2027, 2, 28))  # fmt: skip
    notifier = RecordingNotifier()
    run(REMINDERS, engine, Settings(), notifier, at(date(2027, 2, 28)))  # a Sunday
    assert notifier.sent == []
    run(REMINDERS, engine, Settings(), notifier, at(date(2027, 3, 1)))
    (reply,) = notifier.to("user:alice")
    assert reply.lines == [
        "Acme — Month-end stock count (due 2027-02-28) · every month, next 2027-03-31"
    ]
    assert reminder(engine, rid).next_date == date(2027, 3, 31)


def test_inactive_reminders_and_churned_accounts_stay_silent(engine, ids):
    add(engine, ids["acme"], "Cancelled", every_days=7, start=date(2026, 11, 4),
        next_date=date(2026, 11, 18), active=False)  # fmt: skip
    with unit_of_work(engine) as s:
        initech = s.get(Account, ids["initech"])
        initech.status = "churned"
        s.add(initech)
    add(engine, ids["initech"], "Gone", every_days=7, start=date(2026, 11, 4),
        next_date=date(2026, 11, 18))  # fmt: skip
    notifier = RecordingNotifier()
    run(REMINDERS, engine, Settings(), notifier, at(date(2026, 11, 18)))
    assert notifier.sent == []


def test_an_owners_reminders_of_the_day_come_in_one_message(engine, ids):
    first = add(engine, ids["acme"], "QBR", every_months=3,
                start=date(2026, 8, 18), next_date=date(2026, 11, 18))  # fmt: skip
    second = add(engine, ids["acme"], "Renewal", every_months=12,
                 start=date(2025, 11, 18), next_date=date(2026, 11, 18))  # fmt: skip
    later = add(engine, ids["acme"], "Not yet", every_days=7,
                start=date(2026, 11, 19), next_date=date(2026, 11, 19))  # fmt: skip
    notifier = RecordingNotifier()
    run(REMINDERS, engine, Settings(), notifier, at(date(2026, 11, 18)))
    (reply,) = notifier.to("user:alice")
    assert reply.title == "2 reminders today"
    assert len(reply.actions) == 2  # one account: its buttons once, not once per reminder
    assert reply.lines == [
        "Acme — QBR · every 3 months, next 2027-02-18",
        "Acme — Renewal · every year, next 2027-11-18",
    ]
    assert reminder(engine, first).next_date == date(2027, 2, 18)
    assert reminder(engine, second).next_date == date(2027, 11, 18)
    assert reminder(engine, later).next_date == date(2026, 11, 19)
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity == "reminder")).all()
        assert {e.request_id for e in entries} == {"reminders/user:alice/due/2026-11-18"}
        assert len(entries) == 2
