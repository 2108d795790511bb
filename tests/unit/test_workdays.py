"""China's working calendar (holidays and 调休 make-up days), other countries' public
holidays, and the fallback for a year the published data do not cover yet."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.policy import CalendarConfig, Policy, ScheduleConfig
from domain.workdays import WorkCalendar, country_of_zone
from schedules.timing import (
    Slot,
    due_day,
    next_quarter_start,
    next_slot,
    runs_on,
    work_calendar,
    working_days_from,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CN = WorkCalendar("CN")
DIGEST = Slot(time(9, 0), weekdays_only=True)
CFG = ScheduleConfig()


def test_national_day_is_off_and_the_make_up_saturday_is_worked_in_2026():
    assert date(2026, 10, 1).weekday() == 3  # a Thursday
    assert not CN.is_working_day(date(2026, 10, 1))
    assert not CN.is_working_day(date(2026, 10, 7))
    assert CN.is_working_day(date(2026, 10, 8))
    assert date(2026, 10, 10).weekday() == 5 and CN.is_working_day(date(2026, 10, 10))
    assert date(2026, 9, 20).weekday() == 6 and CN.is_working_day(date(2026, 9, 20))
    assert not CN.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_spring_festival_2026_and_its_make_up_saturdays():
    assert not CN.is_working_day(date(2026, 2, 17))  # 春节, a Tuesday
    assert CN.is_working_day(date(2026, 2, 14))  # a Saturday, worked
    assert CN.is_working_day(date(2026, 2, 28))


def test_a_year_not_published_yet_falls_back_to_the_rules_and_says_so_once():
    said: list[tuple[str, int]] = []
    cal = WorkCalendar("CN", on_fallback=lambda country, year: said.append((country, year)))
    assert not cal.is_working_day(date(2027, 1, 1))  # 元旦, a Friday
    assert not cal.is_working_day(date(2027, 10, 1))  # 国庆
    assert not cal.is_working_day(date(2027, 2, 8))  # 春节 by the lunar calendar
    assert cal.is_working_day(date(2027, 1, 4))
    assert not cal.is_working_day(date(2027, 1, 2))  # a Saturday (no make-up days known)
    assert said == [("CN", 2027)]
    assert cal.exact_for(2026) and not cal.exact_for(2027)


def test_other_countries_use_their_public_holidays_and_none_means_monday_to_friday():
    us = WorkCalendar("US")
    assert not us.is_working_day(date(2026, 7, 3))  # Independence Day observed (a Friday)
    assert us.is_working_day(date(2026, 10, 1))
    plain = WorkCalendar("")
    assert plain.is_working_day(date(2026, 10, 1)) and not plain.is_working_day(date(2026, 10, 3))


def test_the_next_working_day_skips_the_whole_national_day_holiday():
    assert CN.next_working_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CN.next_working_day(date(2026, 10, 9)) == date(2026, 10, 10)  # the make-up Saturday


def test_the_country_comes_from_the_time_zone_unless_configured():
    assert country_of_zone("Asia/Shanghai") == "CN"
    assert country_of_zone("America/New_York") == "US"
    assert country_of_zone("UTC") == ""
    assert work_calendar(Policy(), SHANGHAI).country == "CN"
    configured = Policy(calendar=CalendarConfig(country="US", teams={"华东": "CN"}))
    assert work_calendar(configured, SHANGHAI).country == "US"
    assert work_calendar(configured, SHANGHAI, team="华东").country == "CN"
    assert work_calendar(configured, SHANGHAI, team="East").country == "US"


@pytest.mark.parametrize(
    ("day", "runs"),
    [
        (date(2026, 10, 1), False),  # 国庆, a Thursday
        (date(2026, 10, 10), True),  # 调休, a Saturday worked
        (date(2026, 10, 9), True),
        (date(2026, 10, 11), False),
    ],
)
def test_a_working_days_push_follows_the_calendar(day, runs):
    assert runs_on(day, DIGEST, CFG, CN) is runs
    at = datetime.combine(day, time(9, 5), SHANGHAI)
    assert (due_day(at, SHANGHAI, DIGEST, CFG, CN) == day) is runs


def test_without_a_calendar_the_old_monday_to_friday_rule_holds():
    assert runs_on(date(2026, 10, 1), DIGEST, CFG)
    assert not runs_on(date(2026, 10, 10), DIGEST, CFG)


def test_the_next_digest_after_the_eve_of_national_day_is_october_8():
    eve = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
    assert next_slot(eve, SHANGHAI, DIGEST, CFG, CN) == datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI)


def test_birthdays_on_the_eve_of_a_holiday_cover_the_whole_holiday():
    days = working_days_from(date(2026, 9, 30), CFG, CN)
    assert days[0] == date(2026, 9, 30) and days[-1] == date(2026, 10, 7)
    assert len(days) == 8
    # before a make-up Saturday, Friday covers only itself
    assert working_days_from(date(2026, 10, 9), CFG, CN) == [date(2026, 10, 9)]


def test_the_2027_q1_review_is_on_the_first_working_day_not_new_years_day():
    late_2026 = datetime(2026, 12, 20, 10, 0, tzinfo=SHANGHAI)
    start = next_quarter_start(late_2026, SHANGHAI, DIGEST, CFG, CN)
    assert start == datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI)  # 2027-01-01 is 元旦
    q4 = next_quarter_start(datetime(2026, 9, 15, tzinfo=SHANGHAI), SHANGHAI, DIGEST, CFG, CN)
    assert q4.date() == date(2026, 10, 8)  # after the National Day holiday
    assert q4.date() - date(2026, 10, 1) == timedelta(days=7)
