"""Birthdays (Gregorian and lunar) and partnership anniversaries, ahead and on the day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from lunardate import LunarDate

from bot.config import Settings
from domain.models import Account, User
from domain.policy import ScheduleConfig
from handlers.notify import RecordingNotifier
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import book

BIRTHDAYS = job_table()["birthdays"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def at(day: date, tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time(8, 35), tz)


@pytest.fixture
def ids(engine):
    ids = book(engine)  # Li Wei (Acme, alice): Nov 25; 王建国 (华夏重工, wang): lunar 4/8
    with unit_of_work(engine) as s:
        alice = s.get(User, ids["alice"])
        leap = f.account(s, "Leap Co", owner=alice, partnership_start=date(2020, 2, 29))
        f.contact(s, leap, "Pat Leap", birthday_month=2, birthday_day=29)
        f.contact(s, leap, "Moon Thirty", birthday_month=8, birthday_day=30, birthday_lunar=True)
        globex = s.get(Account, ids["globex"])
        f.contact(s, globex, "Gina", title="COO", birthday_month=11, birthday_day=25)
        gone = f.account(s, "Gone", owner=alice, status="churned")
        f.contact(s, gone, "Ghost", birthday_month=11, birthday_day=25)
    return ids


def week(engine, start: date, days: int, notifier, settings=None, tz=SHANGHAI):
    """Run the job every morning for ``days`` days; return {day: {recipient: reply}}."""
    out = {}
    for n in range(days):
        day = start + timedelta(days=n)
        before = len(notifier.sent)
        run(BIRTHDAYS, engine, settings or Settings(), notifier, at(day, tz))
        sent = notifier.sent[before:]
        if sent:
            out[day] = {rec.key: reply for rec, reply in sent}
    return out


def test_a_birthday_is_announced_three_days_ahead_and_on_the_day(engine, ids):
    notifier = RecordingNotifier()
    sent = week(engine, date(2026, 11, 18), 9, notifier)
    alice = {day: msgs["user:alice"] for day, msgs in sent.items() if "user:alice" in msgs}
    # Sunday 22nd is three days ahead: a weekend, so it is said on Friday 20th
    assert sorted(alice) == [date(2026, 11, 20), date(2026, 11, 25)]
    friday, wednesday = alice[date(2026, 11, 20)], alice[date(2026, 11, 25)]
    assert friday.lines[0] == "In 5 days (Nov 25): Li Wei (CFO) at Acme — birthday (November 25)"
    assert "order a card or gift now" in friday.lines[1]
    assert wednesday.title == "Birthdays and anniversaries"
    assert wednesday.lines[0] == "Today: Li Wei (CFO) at Acme — birthday (November 25)"
    assert "call or message them today" in wednesday.lines[1]
    assert "Li Wei decides" in wednesday.lines[2]  # a decision maker
    assert not any("Ghost" in line for r in alice.values() for line in r.lines)  # churned


def test_a_lunar_birthday_falls_on_its_gregorian_date_of_the_year(engine, ids):
    assert LunarDate(2026, 4, 8).to_solar_date() == date(2026, 5, 24)  # a Sunday
    notifier = RecordingNotifier()
    sent = week(engine, date(2026, 5, 18), 9, notifier)
    wang = {day: msgs["user:wang"] for day, msgs in sent.items() if "user:wang" in msgs}
    assert sorted(wang) == [date(2026, 5, 21), date(2026, 5, 22)]  # Thursday: 3 ahead; Friday
    assert wang[date(2026, 5, 21)].lines[0] == (
        "3 天后（5月24日）：华夏重工 王建国（总经理） — 生日（农历四月初八）"
    )
    assert wang[date(2026, 5, 22)].lines[0].startswith("2 天后（5月24日）")
    assert any("农历生日" in line for line in wang[date(2026, 5, 22)].lines)


def test_lunar_day_thirty_falls_on_the_last_day_of_a_short_month(engine, ids):
    # the eighth lunar month of 2026 has 29 days; its last day is Friday 9 October
    notifier = RecordingNotifier()
    run(BIRTHDAYS, engine, Settings(), notifier, at(date(2026, 10, 9)))
    (reply,) = notifier.to("user:alice")
    assert reply.lines[0].startswith("Today: Moon Thirty at Leap Co — birthday (lunar 8/30)")


def test_feb_29_falls_on_feb_28_in_a_common_year(engine, ids):
    notifier = RecordingNotifier()
    sent = week(engine, date(2030, 2, 25), 5, notifier)  # Mon 25 Feb .. Fri 1 Mar 2030
    alice = {day: msgs["user:alice"] for day, msgs in sent.items() if "user:alice" in msgs}
    assert sorted(alice) == [date(2030, 2, 25), date(2030, 2, 28)]
    ahead = alice[date(2030, 2, 25)].lines
    assert "In 3 days (Feb 28): Leap Co — 10 years of partnership (since 2020-02-29)" in ahead
    on_the_day = alice[date(2030, 2, 28)].lines
    assert "Today: Leap Co — 10 years of partnership (since 2020-02-29)" in on_the_day
    assert "Today: Pat Leap at Leap Co — birthday (February 29)" in on_the_day


def test_a_user_in_another_timezone_hears_in_their_own_morning(engine, ids):
    notifier = RecordingNotifier()
    run(BIRTHDAYS, engine, Settings(), notifier, at(date(2026, 11, 25)))  # 19:35 in New York
    assert notifier.to("user:carol") == []
    run(BIRTHDAYS, engine, Settings(), notifier, at(date(2026, 11, 25), NEW_YORK))
    (carol,) = notifier.to("user:carol")
    assert carol.lines[0] == "Today: Gina (COO) at Globex — birthday (November 25)"
    assert len(notifier.to("user:alice")) == 1  # told this morning in Shanghai, once


def test_days_ahead_are_configurable(engine, ids):
    settings = Settings(schedule=ScheduleConfig(birthday_days_ahead=(7,), skip_weekends=False))
    notifier = RecordingNotifier()
    sent = week(engine, date(2026, 11, 16), 12, notifier, settings)
    alice = sorted(day for day, msgs in sent.items() if "user:alice" in msgs)
    assert alice == [date(2026, 11, 18)]
    assert notifier.to("user:alice")[0].lines[0].startswith("In 7 days (Nov 25): Li Wei")


def test_the_same_morning_twice_sends_once(engine, ids):
    notifier = RecordingNotifier()
    for minutes in (0, 15, 30):
        run(
            BIRTHDAYS,
            engine,
            Settings(),
            notifier,
            at(date(2026, 11, 25)) + timedelta(minutes=minutes),
        )
    assert len(notifier.to("user:alice")) == 1
