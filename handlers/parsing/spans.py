"""Lengths of time and recurrences in English and Chinese: ``2 weeks``, ``半年``,
``every 3 months``, ``每季度`` …

    parse_duration(text)    -> Span    (raises ParseError)
    parse_recurrence(text)  -> Span    (raises ParseError)

A ``Span`` is whole days and calendar months; ``add_months`` moves a date by months,
the day clamped to the month's end (``handlers.parsing.dates`` uses it too).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain.errors import ParseError

from .text import cn_to_int, normalize

__all__ = ["Span", "add_months", "parse_duration", "parse_recurrence"]


# ---------------------------------------------------------------------------
# Span


@dataclass(frozen=True)
class Span:
    """A length of time in whole days and calendar months (a year is 12 months)."""

    days: int = 0
    months: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.months < 0:
            raise ValueError("a span cannot be negative")

    def add_to(self, day: date) -> date:
        """``day`` plus the months (day clamped to the month's end), then the days.

        Works for ``datetime`` too (a ``datetime`` comes back).
        """
        return add_months(day, self.months) + timedelta(days=self.days)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (may be negative), the day clamped to the month's end."""
    if not months:
        return day
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


# ---------------------------------------------------------------------------
# Durations and recurrences

_MAX_DAYS = 36_600
_MAX_MONTHS = 1_200

_UNIT_SPANS = {
    "d": (1, 0),
    "day": (1, 0),
    "days": (1, 0),
    "天": (1, 0),
    "日": (1, 0),
    "w": (7, 0),
    "wk": (7, 0),
    "wks": (7, 0),
    "week": (7, 0),
    "weeks": (7, 0),
    "周": (7, 0),
    "星期": (7, 0),
    "个星期": (7, 0),
    "礼拜": (7, 0),
    "个礼拜": (7, 0),
    "fortnight": (14, 0),
    "fortnights": (14, 0),
    "m": (0, 1),
    "mo": (0, 1),
    "mos": (0, 1),
    "month": (0, 1),
    "months": (0, 1),
    "个月": (0, 1),
    "月": (0, 1),
    "q": (0, 3),
    "quarter": (0, 3),
    "quarters": (0, 3),
    "季度": (0, 3),
    "个季度": (0, 3),
    "季": (0, 3),
    "y": (0, 12),
    "yr": (0, 12),
    "yrs": (0, 12),
    "year": (0, 12),
    "years": (0, 12),
    "年": (0, 12),
}
_EN_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_DURATION = re.compile(
    r"(?P<n>\d{1,6}|[零〇一二两三四五六七八九十百]{1,6}|半|(?:"
    + "|".join(_EN_NUMBERS)
    + r")(?=\s))?\s*(?P<unit>[a-z]+|个?[^\W\d_a-z]{1,3})"
)


def _span(n: int | None, unit: str, *, half: bool = False) -> Span:
    unit = unit.lower()
    if unit not in _UNIT_SPANS:
        raise ParseError(f"unknown time unit {unit!r}", unit=unit)
    days, months = _UNIT_SPANS[unit]
    if half:
        if months:
            return Span(days=15) if months == 1 else Span(months=months // 2)
        if days < 2:
            raise ParseError("half a day is too short", unit=unit)
        return Span(days=days // 2)
    count = 1 if n is None else n
    if count <= 0:
        raise ParseError("a duration must be longer than zero")
    if days * count > _MAX_DAYS or months * count > _MAX_MONTHS:
        raise ParseError("that duration is too long")
    return Span(days=days * count, months=months * count)


def _read_count(text: str | None) -> int | None:
    if text is None:
        return None
    low = text.lower()
    if low in _EN_NUMBERS:
        return _EN_NUMBERS[low]
    return cn_to_int(text)


def parse_duration(text: str) -> Span:
    """``2w``, ``10d``, ``3 days``, ``1 month``, ``2 weeks``, ``两周``, ``三天``, ``一个月``,
    ``10天``, ``半年`` … as a :class:`Span`.

    ``m`` means months (there are no minutes in snoozes); a year is 12 months, a
    quarter 3, a week 7 days, ``半个月`` 15 days.  Raises ParseError otherwise.
    """
    s = normalize(text).lower()
    s = re.sub(r"^(?:for|in)\s+", "", s)
    s = re.sub(r"(?<=\d)\s*个\s*(?=月|星期|礼拜|季度)", "个", s)
    m = _DURATION.fullmatch(s)
    if m is None:
        raise ParseError("not a duration", text=text)
    n_text, unit = m.group("n"), m.group("unit")
    if n_text == "半":
        return _span(None, unit, half=True)
    if unit.startswith("个") and unit not in _UNIT_SPANS:
        unit = unit[1:]
    if n_text is None:
        if unit in ("月", "天", "日", "年", "周", "d", "w", "m", "y", "q"):
            raise ParseError("a duration needs a number", text=text)
        return _span(1, unit)
    count = _read_count(n_text)
    if count is None:
        raise ParseError(f"cannot read the number {n_text!r}", text=text)
    return _span(count, unit)


_RECURRENCE_WORDS = {
    "daily": Span(days=1),
    "weekly": Span(days=7),
    "biweekly": Span(days=14),
    "fortnightly": Span(days=14),
    "monthly": Span(months=1),
    "bimonthly": Span(months=2),
    "quarterly": Span(months=3),
    "semiannually": Span(months=6),
    "semi-annually": Span(months=6),
    "half-yearly": Span(months=6),
    "yearly": Span(months=12),
    "annually": Span(months=12),
    "每天": Span(days=1),
    "每日": Span(days=1),
    "每周": Span(days=7),
    "每星期": Span(days=7),
    "每个星期": Span(days=7),
    "每礼拜": Span(days=7),
    "每个礼拜": Span(days=7),
    "每月": Span(months=1),
    "每个月": Span(months=1),
    "每季": Span(months=3),
    "每季度": Span(months=3),
    "每个季度": Span(months=3),
    "每半年": Span(months=6),
    "每年": Span(months=12),
    "每半个月": Span(days=15),
}


def parse_recurrence(text: str) -> Span:
    """``every 3 months``, ``every 2 weeks``, ``every year``, ``monthly``, ``weekly``,
    ``quarterly``, ``每3个月``, ``每两周``, ``每年``, ``每月``, ``每季度`` … as a
    :class:`Span`.  A plain duration (``3 months``, ``2w``) is accepted too.
    Raises ParseError otherwise.
    """
    s = normalize(text).lower()
    if s in _RECURRENCE_WORDS:
        return _RECURRENCE_WORDS[s]
    m = re.fullmatch(r"every\s+(?P<rest>.+)", s)
    if m is not None:
        rest = m.group("rest")
        if rest.startswith("other "):
            return _double(parse_duration(rest[6:]))
        return parse_duration(rest)
    m = re.fullmatch(r"每\s*(?:隔\s*)?(?P<rest>.+)", s)
    if m is not None:
        rest = m.group("rest")
        if "每" + rest in _RECURRENCE_WORDS:
            return _RECURRENCE_WORDS["每" + rest]
        return parse_duration(rest)
    try:
        return parse_duration(s)
    except ParseError:
        raise ParseError("not a recurrence", text=text) from None


def _double(span: Span) -> Span:
    return Span(days=span.days * 2, months=span.months * 2)
