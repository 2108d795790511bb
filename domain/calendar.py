"""Birthdays, Gregorian or Chinese lunar (农历), and anniversaries.

A lunar birthday falls on a different Gregorian date every year; ``lunardate``
converts, for lunar years 1900-2099. Dates that do not occur every year are
kept the way it is commonly done:

* Gregorian Feb 29 falls on Feb 28 in common years;
* lunar day 30 of a month that has only 29 days that year falls on day 29, the
  last day of that month (小月过二十九);
* a leap-month (闰月) birthday in a year without that leap month falls in the
  regular month of the same number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

from domain.errors import InvalidInput

_LUNAR_YEARS = range(1900, 2100)
_LUNAR_SPAN = (date(1900, 1, 31), date(2099, 12, 31))
"""Gregorian dates ``lunardate`` can place in a lunar year."""


@dataclass(frozen=True)
class Birthday:
    """A day in the year, Gregorian or lunar; ``year`` of birth when known."""

    month: int
    day: int
    year: int | None = None
    lunar: bool = False
    leap_month: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise InvalidInput("month_out_of_range", value=self.month)
        if self.lunar:
            if not 1 <= self.day <= 30:
                raise InvalidInput("lunar_day_out_of_range", value=self.day)
            return
        if self.leap_month:
            raise InvalidInput("leap_not_lunar")
        try:
            date(self.year or 2000, self.month, self.day)  # 2000 is a leap year: Feb 29 is fine
        except ValueError:
            raise InvalidInput("no_such_date", month=self.month, day=self.day) from None


def next_occurrence(b: Birthday, on_or_after: date) -> date:
    """The first Gregorian date of birthday ``b`` on or after ``on_or_after``."""
    if not b.lunar:
        years = (on_or_after.year, on_or_after.year + 1)
        candidates = (_in_year(year, b.month, b.day) for year in years)
    else:
        # on_or_after lies in this lunar year, so the year before is all in the past
        # and the year after certainly has an occurrence.
        lunar_year = _to_lunar(on_or_after).year
        candidates = (_lunar_in_year(year, b) for year in (lunar_year, lunar_year + 1))
    return next(day for day in candidates if day >= on_or_after)


def occurrences_between(b: Birthday, start: date, end: date) -> list[date]:
    """Every date of birthday ``b`` from ``start`` to ``end``, both included."""
    found: list[date] = []
    day = next_occurrence(b, start)
    while day <= end:
        found.append(day)
        day = next_occurrence(b, day + timedelta(days=1))
    return found


def next_anniversary(start: date, on_or_after: date) -> tuple[date, int]:
    """The next anniversary of ``start`` on or after a date, and how many years it marks."""
    first_year = max(on_or_after.year, start.year + 1)
    for year in (first_year, first_year + 1):
        day = _in_year(year, start.month, start.day)
        if day >= on_or_after:
            return day, year - start.year
    raise AssertionError("unreachable: the following year always has an anniversary")


# --- Chinese lunar phrases -------------------------------------------------

_CN_DIGITS = "一二三四五六七八九"


def _cn_number(n: int) -> str:
    """Chinese numeral for 1..39: 8 → 八, 10 → 十, 15 → 十五, 23 → 二十三."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _CN_DIGITS[tens - 1] + "十"
    return head + ("" if ones == 0 else _CN_DIGITS[ones - 1])


def lunar_month_name(month: int) -> str:
    return "正月" if month == 1 else f"{_cn_number(month)}月"


def lunar_day_name(day: int) -> str:
    """初一..初十, 十一..十九, 二十, 廿一..廿九, 三十."""
    if day <= 10:
        return "初" + _cn_number(day)
    if 21 <= day <= 29:
        return "廿" + _cn_number(day - 20)
    return _cn_number(day)


_MONTH_WORDS = {_cn_number(m): m for m in range(1, 13)} | {"正": 1, "冬": 11, "腊": 12}
_DAY_WORDS = (
    {_cn_number(d): d for d in range(1, 31)}
    | {lunar_day_name(d): d for d in range(1, 31)}
    | {"卅": 30}
)
_LUNAR_ONLY_MONTHS = {"正", "冬", "腊"}
_LUNAR_ONLY_DAY_START = ("初", "廿", "卅")


def _alternatives(words: dict[str, int]) -> str:
    """Regex alternation, longest first so 十二 wins over 十."""
    return "|".join(sorted(words, key=len, reverse=True))


_PREFIX = re.compile(r"(?:农历|阴历|旧历|lunar)\s*", re.IGNORECASE)
_LEAP = re.compile(r"(?:闰|leap)\s*", re.IGNORECASE)
_NUMERIC = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{1,2})")
_WORDED = re.compile(
    rf"({_alternatives(_MONTH_WORDS)}|\d{{1,2}})\s*月\s*"
    rf"({_alternatives(_DAY_WORDS)}|\d{{1,2}})\s*[日号]?"
)


def parse_lunar_text(text: str) -> tuple[int, int, bool] | None:
    """Read a lunar date as (month, day, leap month), or None if it is not one.

    Understands 农历四月初八, 农历闰四月初八, 农历十二月廿三, 正月十五, 腊月初八,
    冬月三十, 农历4-8, 农历4月8日 and lunar 4-8 (also 阴历/旧历, lunar leap 4-8).
    Without a lunar marker — 农历, 闰, or a name only the lunar calendar uses such
    as 正月, 腊月 or 初八 — the text is taken as not lunar. A lunar-looking text
    with an impossible month or day raises InvalidInput.
    """
    rest = text.strip()
    marked = False
    if prefix := _PREFIX.match(rest):
        marked, rest = True, rest[prefix.end() :]
    leap = False
    if leap_mark := _LEAP.match(rest):
        leap, rest = True, rest[leap_mark.end() :]

    if numeric := _NUMERIC.fullmatch(rest):
        month, day = int(numeric[1]), int(numeric[2])
    elif worded := _WORDED.fullmatch(rest):
        month_text, day_text = worded[1], worded[2]
        month = _MONTH_WORDS.get(month_text) or int(month_text)
        day = _DAY_WORDS.get(day_text) or int(day_text)
        marked = (
            marked or month_text in _LUNAR_ONLY_MONTHS or day_text.startswith(_LUNAR_ONLY_DAY_START)
        )
    else:
        return None
    if not (marked or leap):
        return None
    if not (1 <= month <= 12 and 1 <= day <= 30):
        raise InvalidInput("not_lunar_date", value=text)
    return month, day, leap


# --- conversions -----------------------------------------------------------


def _in_year(year: int, month: int, day: int) -> date:
    """``month``/``day`` in ``year``, Feb 29 falling on Feb 28 in common years."""
    if (month, day) == (2, 29) and not _is_leap_year(year):
        day = 28
    return date(year, month, day)


def _is_leap_year(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _to_lunar(day: date) -> LunarDate:
    if not _LUNAR_SPAN[0] <= day <= _LUNAR_SPAN[1]:
        raise InvalidInput("lunar_years", value=day)
    return LunarDate.from_solar_date(day.year, day.month, day.day)


def _lunar_in_year(year: int, b: Birthday) -> date:
    """The Gregorian date of lunar birthday ``b`` in lunar ``year``."""
    if year not in _LUNAR_YEARS:
        raise InvalidInput("lunar_years", value=year)
    leap = b.leap_month and LunarDate.leap_month_for_year(year) == b.month
    day = min(b.day, _lunar_month_length(year, b.month, leap))
    return LunarDate(year, b.month, day, leap).to_solar_date()


def _lunar_month_length(year: int, month: int, leap: bool) -> int:
    """29 or 30: lunar months are short or long."""
    try:
        LunarDate(year, month, 30, leap).to_solar_date()
    except ValueError:
        return 29
    return 30
