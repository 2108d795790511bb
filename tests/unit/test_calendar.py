"""Expected lunar dates were computed with lunardate and spot-checked against
known festivals: Spring Festival 2026 is February 17, so 元宵 is March 3."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import (
    Birthday,
    next_anniversary,
    next_occurrence,
    occurrences_between,
    parse_lunar_text,
)
from domain.errors import InvalidInput
from handlers.views import format_birthday

BUDDHA = Birthday(4, 8, lunar=True)  # 农历四月初八


# --- Gregorian -------------------------------------------------------------


def test_gregorian_birthday_this_year_or_next():
    may_3 = Birthday(5, 3, year=1985)
    assert next_occurrence(may_3, date(2025, 1, 1)) == date(2025, 5, 3)
    assert next_occurrence(may_3, date(2025, 5, 3)) == date(2025, 5, 3)
    assert next_occurrence(may_3, date(2025, 5, 4)) == date(2026, 5, 3)


def test_feb_29_falls_on_feb_28_in_common_years():
    leap_day = Birthday(2, 29)
    assert next_occurrence(leap_day, date(2025, 1, 1)) == date(2025, 2, 28)
    assert next_occurrence(leap_day, date(2025, 3, 1)) == date(2026, 2, 28)
    assert next_occurrence(leap_day, date(2028, 1, 1)) == date(2028, 2, 29)
    assert next_occurrence(leap_day, date(2100, 1, 1)) == date(2100, 2, 28)  # not a leap year


# --- lunar -----------------------------------------------------------------


def test_lunar_birthday_maps_to_its_gregorian_date():
    assert next_occurrence(BUDDHA, date(2026, 1, 1)) == date(2026, 5, 24)
    assert next_occurrence(BUDDHA, date(2026, 5, 24)) == date(2026, 5, 24)
    assert next_occurrence(BUDDHA, date(2026, 5, 25)) == date(2027, 5, 13)


def test_lantern_festival():
    assert next_occurrence(Birthday(1, 15, lunar=True), date(2026, 1, 1)) == date(2026, 3, 3)


def test_lunar_year_straddles_gregorian_years():
    # 2026-01-01 is still lunar 2025 (冬月十三); 腊月廿三 of lunar 2025 is in February 2026.
    little_new_year = Birthday(12, 23, lunar=True)
    assert next_occurrence(little_new_year, date(2026, 1, 1)) == date(2026, 2, 10)


def test_lunar_day_30_falls_on_day_29_in_a_short_month():
    day_30 = Birthday(2, 30, lunar=True)
    # Lunar 2026's second month has 29 days: 二月廿九 is 2026-04-16, the next day is 三月初一.
    assert next_occurrence(day_30, date(2026, 1, 1)) == date(2026, 4, 16)
    # Lunar 2027's second month has 30 days.
    assert next_occurrence(day_30, date(2026, 4, 17)) == date(2027, 4, 6)


def test_leap_month_birthday_uses_the_regular_month_in_other_years():
    leap_four = Birthday(4, 8, lunar=True, leap_month=True)  # 闰四月初八
    assert next_occurrence(leap_four, date(2020, 1, 1)) == date(2020, 5, 30)  # 2020 has 闰四月
    assert next_occurrence(leap_four, date(2021, 1, 1)) == date(2021, 5, 19)  # no leap: 四月初八
    # A regular 四月初八 is not celebrated again in the leap month.
    assert occurrences_between(BUDDHA, date(2020, 1, 1), date(2020, 12, 31)) == [date(2020, 4, 30)]


def test_leap_month_and_short_month_together():
    # 2023 has a 29-day 闰二月: 闰二月三十 falls on 闰二月廿九.
    assert next_occurrence(Birthday(2, 30, lunar=True, leap_month=True), date(2023, 4, 1)) == date(
        2023, 4, 19
    )


def test_occurrences_between_is_inclusive():
    assert occurrences_between(BUDDHA, date(2020, 4, 30), date(2023, 5, 26)) == [
        date(2020, 4, 30),
        date(2021, 5, 19),
        date(2022, 5, 8),
        date(2023, 5, 26),
    ]
    assert occurrences_between(Birthday(5, 3), date(2025, 5, 4), date(2026, 5, 2)) == []
    assert occurrences_between(Birthday(5, 3), date(2026, 1, 1), date(2025, 1, 1)) == []


def test_lunar_dates_outside_the_tables_are_refused():
    with pytest.raises(InvalidInput):
        next_occurrence(BUDDHA, date(1890, 1, 1))
    with pytest.raises(InvalidInput):
        next_occurrence(BUDDHA, date(2100, 6, 1))


@given(
    birthday=st.one_of(
        st.builds(
            Birthday,
            month=st.integers(1, 12),
            day=st.integers(1, 30),
            lunar=st.just(True),
            leap_month=st.booleans(),
        ),
        st.builds(Birthday, month=st.integers(1, 12), day=st.integers(1, 28)),
        st.just(Birthday(2, 29)),
    ),
    start=st.dates(date(1901, 1, 1), date(2098, 12, 31)),
)
def test_next_occurrence_is_on_or_after_and_within_400_days(birthday, start):
    found = next_occurrence(birthday, start)
    assert start <= found < start + timedelta(days=400)
    assert next_occurrence(birthday, found) == found


# --- anniversaries ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "on_or_after", "expected"),
    [
        (date(2019, 6, 1), date(2024, 6, 1), (date(2024, 6, 1), 5)),
        (date(2019, 6, 1), date(2024, 6, 2), (date(2025, 6, 1), 6)),
        (date(2019, 6, 1), date(2019, 6, 1), (date(2020, 6, 1), 1)),
        (date(2019, 6, 1), date(2018, 1, 1), (date(2020, 6, 1), 1)),
        (date(2020, 2, 29), date(2021, 3, 1), (date(2022, 2, 28), 2)),
        (date(2020, 2, 29), date(2024, 1, 1), (date(2024, 2, 29), 4)),
    ],
)
def test_next_anniversary(start, on_or_after, expected):
    assert next_anniversary(start, on_or_after) == expected


# --- parsing and formatting ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("农历四月初八", (4, 8, False)),
        ("农历闰四月初八", (4, 8, True)),
        ("农历十二月廿三", (12, 23, False)),
        ("农历正月十五", (1, 15, False)),
        ("腊月初八", (12, 8, False)),
        ("冬月三十", (11, 30, False)),
        ("农历八月十五", (8, 15, False)),
        ("农历十月初十", (10, 10, False)),
        ("农历十一月二十", (11, 20, False)),
        ("阴历二月二十九", (2, 29, False)),
        ("四月初八", (4, 8, False)),
        ("闰六月初一", (6, 1, True)),
        ("农历4-8", (4, 8, False)),
        ("农历4月8日", (4, 8, False)),
        ("农历 12月30号", (12, 30, False)),
        ("lunar 4-8", (4, 8, False)),
        ("Lunar 4/8", (4, 8, False)),
        ("lunar leap 4-8", (4, 8, True)),
        ("  农历四月初八 ", (4, 8, False)),
    ],
)
def test_parse_lunar_text(text, parsed):
    assert parse_lunar_text(text) == parsed


@pytest.mark.parametrize(
    "text", ["4-8", "5月3日", "五月三日", "八月十五", "May 3", "农历", "农历四月", "", "hello"]
)
def test_text_that_is_not_a_lunar_date(text):
    assert parse_lunar_text(text) is None


@pytest.mark.parametrize("text", ["农历13-1", "农历4-31", "lunar 0-8", "农历4月0日"])
def test_impossible_lunar_dates_are_refused(text):
    with pytest.raises(InvalidInput):
        parse_lunar_text(text)


@pytest.mark.parametrize(
    ("birthday", "en", "zh"),
    [
        (Birthday(5, 3), "May 3", "5月3日"),
        (Birthday(12, 25, year=1980), "December 25, 1980", "1980年12月25日"),
        (BUDDHA, "lunar 4/8", "农历四月初八"),
        (Birthday(4, 8, lunar=True, leap_month=True), "lunar leap 4/8", "农历闰四月初八"),
        (Birthday(1, 15, lunar=True), "lunar 1/15", "农历正月十五"),
        (Birthday(12, 23, lunar=True), "lunar 12/23", "农历十二月廿三"),
        (Birthday(11, 30, lunar=True), "lunar 11/30", "农历十一月三十"),
        (Birthday(10, 20, lunar=True), "lunar 10/20", "农历十月二十"),
    ],
)
def test_format_birthday(birthday, en, zh):
    assert format_birthday(birthday, "en") == en
    assert format_birthday(birthday, "zh") == zh


def test_every_formatted_lunar_date_parses_back():
    for month in range(1, 13):
        for day in range(1, 31):
            for leap in (False, True):
                text = format_birthday(Birthday(month, day, lunar=True, leap_month=leap), "zh")
                assert parse_lunar_text(text) == (month, day, leap), text


@pytest.mark.parametrize(
    "fields",
    [
        {"month": 13, "day": 1},
        {"month": 4, "day": 31},
        {"month": 2, "day": 29, "year": 2001},
        {"month": 4, "day": 0, "lunar": True},
        {"month": 4, "day": 31, "lunar": True},
        {"month": 4, "day": 8, "leap_month": True},
    ],
)
def test_impossible_birthdays_are_refused(fields):
    with pytest.raises(InvalidInput):
        Birthday(**fields)
