"""The pieces the date rules are built from (``handlers.parsing.dates``): shared
vocabulary, what a rule returns (``_Hit``), the parsing context (``_Ctx``), ``Rules``
lists, calendar helpers and times of day in both languages.

Internal to the date parser: ``dates_zh`` and ``dates_en`` hold the rules,
``dates`` matches them and is the public face.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from .spans import add_months
from .text import cn_to_int

Prefer = Literal["past", "future"]

PAST_DEFAULT_TIME = time(12, 0)
DUE_DEFAULT_TIME = time(18, 0)


# ---------------------------------------------------------------------------
# Shared vocabulary

_CN_NUM = r"(?:[0-9]{1,4}|[零〇一二两三四五六七八九十百]{1,5})"
_CN_SMALL = r"(?:[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_CN_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_WEEK_SHIFT = {
    "上上": -2,
    "上个": -1,
    "上": -1,
    "这个": 0,
    "这": 0,
    "本": 0,
    "下个": 1,
    "下": 1,
    "下下": 2,
}
_WEEK_REL = r"(?:上上|下下|上个|下个|这个|上|下|本|这)"
# "每周一次", "两周一次", "一个星期一次" are frequencies, not Monday.
_NOT_COUNTED = r"(?<![每一二三四五六七八九十两0-9个])"

_EN_WEEKDAYS = {
    "monday": 0,
    "mon": 0,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "wednesday": 2,
    "wed": 2,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "friday": 4,
    "fri": 4,
    "saturday": 5,
    "sunday": 6,
    # common typos
    "mondy": 0,
    "tuesdy": 1,
    "teusday": 1,
    "wensday": 2,
    "wendsday": 2,
    "wedensday": 2,
    "wednsday": 2,
    "wednesdy": 2,
    "thrusday": 3,
    "thursady": 3,
    "thursdy": 3,
    "firday": 4,
    "fridy": 4,
    "saturady": 5,
}
# "sat" and "sun" are left out on purpose: too easily ordinary words.
_EN_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mondy|tuesdy|teusday|wensday|wendsday|wedensday|wednsday|wednesdy|thrusday|thursady"
    r"|thursdy|firday|fridy|saturady"
    r"|mon|tues|tue|wed|thurs|thur|thu|fri)\.?"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN_MONTHS = _words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_EN_VOCAB = (
    frozenset(_EN_WEEKDAYS)
    | _EN_MONTHS
    # numbers
    | _words("a an one two three four five six seven eight nine ten eleven twelve couple few")
    # units
    | _words(
        "day days week weeks month months year years hour hours hr hrs minute minutes min mins "
        "fortnight fortnights quarter quarters"
    )
    # glue
    | _words(
        "in within ago next last this coming past the of end at on by before due until till "
        "from now later after"
    )
    # day words
    | _words(
        "today tonight tomorrow tmr tmrw yesterday noon midnight morning afternoon evening "
        "tomorow tommorow tommorrow tmrow 2moro 2morrow yday yest yesturday yesteday yesterdy "
        "night eom eow eoy eoq eod am pm"
    )
)
_EN_TOKEN_SHAPES = re.compile(
    r"\d{1,4}(?:st|nd|rd|th)?"
    r"|\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?"
    r"|\d{1,2}(?::\d{2})?(?:am|pm)"
    r"|\d{1,2}:\d{2}"
)
_EN_UNIT_RE = r"(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|fortnights?|quarters?)"
_EN_NUMBER_RE = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_NUMERIC_DATE = re.compile(r"\d\s*[-/.]\s*\d")
_EN_WEEKDAY_WORD = re.compile(rf"\b{_EN_WEEKDAY}(?![a-z])", re.IGNORECASE)
_EN_ANCHOR = re.compile(
    r"\b(?:today|tonight|tomorrow|tmrw?|yesterday|eo[mwyqd]|noon|midnight)\b"
    rf"|\b{_EN_WEEKDAY}(?![a-z])"
    r"|\d{1,4}[-/]\d{1,2}|\d{4}\.\d{1,2}\.\d{1,2}"
    rf"|\b(?:in|within)\s+{_EN_NUMBER_RE}\s+{_EN_UNIT_RE}\b"
    rf"|\b{_EN_NUMBER_RE}\s+{_EN_UNIT_RE}\s+(?:ago|later|from\s+now)\b"
    r"|\b(?:next|last|this|coming|past)\s+(?:week|month|year|quarter)\b"
    r"|\bend\s+of\b"
    r"|\d(?:am|pm)\b|\d:\d\d",
)
_EN_MONTH_WITH_NUMBER = re.compile(
    rf"\b(?:{'|'.join(sorted(_EN_MONTHS))})\b\.?\s*\d"
    rf"|\d(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{'|'.join(sorted(_EN_MONTHS))})\b"
)


# ---------------------------------------------------------------------------
# Rule machinery


@dataclass(frozen=True)
class _Hit:
    """What a rule found: a day, maybe a time of day, or an exact instant."""

    day: date | None = None
    at: time | None = None
    exact: datetime | None = None
    keeps_now: bool = False  # "today": a past event keeps now's time


@dataclass(frozen=True)
class _Ctx:
    now: datetime
    prefer: Prefer

    @property
    def today(self) -> date:
        return self.now.date()


_Resolver = Callable[[re.Match[str], _Ctx], "_Hit | None"]


class Rules:
    """An ordered list of rules, each a pattern and the function that resolves its match;
    ``@RULES.add(pattern)`` appends one."""

    def __init__(self) -> None:
        self._items: list[tuple[re.Pattern[str], _Resolver]] = []

    def add(self, pattern: str) -> Callable[[_Resolver], _Resolver]:
        compiled = re.compile(pattern, re.IGNORECASE)

        def register(fn: _Resolver) -> _Resolver:
            self._items.append((compiled, fn))
            return fn

        return register

    def __iter__(self) -> Iterator[tuple[re.Pattern[str], _Resolver]]:
        return iter(self._items)


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _pick_year(month: int, day: int, ctx: _Ctx) -> date | None:
    """A month/day without a year: this year's, or the next/previous year's per prefer."""
    year = ctx.today.year
    this = _valid(year, month, day)
    if this is None:
        # 2月29日 outside a leap year: look for the nearest year that has it.
        step = 1 if ctx.prefer == "future" else -1
        for k in range(1, 8):
            found = _valid(year + step * k, month, day)
            if found:
                return found
        return None
    if ctx.prefer == "future" and this < ctx.today:
        return _valid(year + 1, month, day) or this
    if ctx.prefer == "past" and this > ctx.today:
        return _valid(year - 1, month, day) or this
    return this


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _nearest_weekday(weekday: int, ctx: _Ctx) -> date:
    today = ctx.today
    if ctx.prefer == "future":
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    return today - timedelta(days=(today.weekday() - weekday) % 7)


def _weekday_in_week(weekday: int, shift: int, ctx: _Ctx) -> date:
    monday = ctx.today - timedelta(days=ctx.today.weekday())
    return monday + timedelta(weeks=shift, days=weekday)


def _weekend(ctx: _Ctx) -> date:
    if ctx.today.weekday() >= 5:
        return ctx.today
    return _nearest_weekday(5, ctx)


def _working_day(ctx: _Ctx, *, after: bool) -> date:
    """The next working day (``after``) or the last one before today, in the country of
    the person's time zone (``domain.workdays``: China's holidays and make-up days)."""
    from domain.workdays import calendar_for, country_of_zone

    cal = calendar_for(country_of_zone(getattr(ctx.now.tzinfo, "key", "") or ""))
    if after:
        return cal.next_working_day(ctx.today)
    day = ctx.today - timedelta(days=1)
    for _ in range(40):
        if cal.is_working_day(day):
            return day
        day -= timedelta(days=1)
    return day


def _quarter_start(day: date, shift: int) -> date:
    first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return add_months(first, 3 * shift)


# --- time of day -----------------------------------------------------------

_CN_PERIODS = {
    "凌晨": (0, None),
    "早上": (0, time(9)),
    "早晨": (0, time(9)),
    "上午": (0, time(9)),
    "中午": (12, time(12)),
    "下午": (12, time(14)),
    "傍晚": (12, time(18)),
    "晚上": (12, time(19)),
    "晚间": (12, time(19)),
    "夜里": (12, time(21)),
}
_CN_TIME = (
    r"(?P<tp>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|晚间|夜里)?\s*"
    r"(?:(?P<th>" + _CN_SMALL + r")\s*[点时:]\s*"
    r"(?:(?P<half>半)|(?P<qtr>一刻|三刻)|(?P<tm>[0-9]{1,2}|[零〇一二三四五六七八九十]{1,3})\s*分?)?)?"
)
_EN_TIME = (
    r"(?:\s*,?\s*(?:at\s+)?(?:(?P<eh>\d{1,2})(?::(?P<em>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<eh24>\d{1,2}):(?P<em24>\d{2})|(?P<enoon>noon|midnight))"
    r"|\s+(?:in\s+the\s+)?(?P<epart>morning|afternoon|evening|night))?"
)
_EN_PARTS = {"morning": time(9), "afternoon": time(14), "evening": time(19), "night": time(20)}


def _cn_time(m: re.Match[str], default_pm: int = 0) -> time | None:
    """Read the ``_CN_TIME`` groups; None when the match holds no time at all."""
    period = m.group("tp")
    hour_text = m.group("th")
    shift, period_default = _CN_PERIODS[period] if period else (default_pm, None)
    if hour_text is None:
        return period_default
    hour = cn_to_int(hour_text)
    if hour is None or hour > 24:
        return None
    minute = 0
    if m.group("half"):
        minute = 30
    elif m.group("qtr"):
        minute = 15 if m.group("qtr") == "一刻" else 45
    elif m.group("tm"):
        minute = cn_to_int(m.group("tm")) or 0
    if hour < 12 and shift and not (period == "中午" and hour >= 11):
        hour += 12
    if hour == 24:
        hour = 0
    if minute > 59:
        return None
    return time(hour, minute)


def _en_time(m: re.Match[str]) -> time | None:
    if m.group("eh"):
        hour, minute = int(m.group("eh")), int(m.group("em") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        pm = m.group("ampm").lower().startswith("p")
        hour = hour % 12 + (12 if pm else 0)
        return time(hour, minute)
    if m.group("eh24"):
        hour, minute = int(m.group("eh24")), int(m.group("em24"))
        if hour > 23 or minute > 59:
            return None
        return time(hour, minute)
    if m.group("enoon"):
        return time(12) if m.group("enoon").lower() == "noon" else time(0)
    if m.group("epart"):
        return _EN_PARTS[m.group("epart").lower()]
    return None


def _has_en_time(m: re.Match[str]) -> bool:
    return any(m.group(g) for g in ("eh", "eh24", "enoon", "epart"))


def _has_cn_time(m: re.Match[str]) -> bool:
    return bool(m.group("tp") or m.group("th"))


def _with_cn_time(day: date | None, m: re.Match[str], *, today_word: bool = False) -> _Hit | None:
    if day is None:
        return None
    if _has_cn_time(m):
        at = _cn_time(m)
        return None if at is None else _Hit(day=day, at=at)
    return _Hit(day=day, keeps_now=today_word)


def _with_en_time(day: date | None, m: re.Match[str], *, today_word: bool = False) -> _Hit | None:
    if day is None:
        return None
    if _has_en_time(m):
        at = _en_time(m)
        return None if at is None else _Hit(day=day, at=at)
    return _Hit(day=day, keeps_now=today_word)


# --- leaning a phrase the way ``prefer`` says ---------------------------------


def _lean_week(day: date, ctx: _Ctx) -> date:
    """A weekday of "this" week: the coming one (future) or the last one (past) when the
    week's own is on the wrong side of today."""
    if ctx.prefer == "future" and day < ctx.today:
        return day + timedelta(days=7)
    if ctx.prefer == "past" and day > ctx.today:
        return day - timedelta(days=7)
    return day


# Parts of a month: early / 月初 / 上旬 = the 5th (the middle of the 1st–10th), mid /
# 月中 / 中旬 = the 15th, late / 下旬 = the 25th, beginning / start = the 1st, end / 月底 /
# 月末 = the last day.
_PART_DAY = {"start": 1, "early": 5, "mid": 15, "late": 25}


def _month_part(first: date, part: str) -> date:
    if part == "end":
        return _month_end(first)
    return first.replace(day=_PART_DAY[part])


def _lean_month_part(part: str, ctx: _Ctx) -> date:
    """A part of a month named without the month (月初, 下旬, 月底): this month's, or the
    next/previous month's when this month's is on the wrong side of today."""
    first = ctx.today.replace(day=1)
    day = _month_part(first, part)
    if ctx.prefer == "future" and day < ctx.today:
        day = _month_part(add_months(first, 1), part)
    elif ctx.prefer == "past" and day > ctx.today:
        day = _month_part(add_months(first, -1), part)
    return day


def _lean_year(make: Callable[[int], date | None], ctx: _Ctx) -> date | None:
    """A day named without its year (``end of March``, ``Q1底``): this year's, or the
    next/previous year's when this year's is on the wrong side of today."""
    year = ctx.today.year
    day = make(year)
    if day is None:
        return None
    if ctx.prefer == "future" and day < ctx.today:
        return make(year + 1) or day
    if ctx.prefer == "past" and day > ctx.today:
        return make(year - 1) or day
    return day


def _quarter_end(year: int, quarter: int) -> date:
    return _month_end(date(year, quarter * 3, 1))


def _this_week_due(ctx: _Ctx) -> _Hit:
    """``this week`` / ``本周内`` as a due date: Friday 18:00 of this week when today is
    Monday–Friday, else next week's Friday; looking back it is today."""
    if ctx.prefer == "past":
        return _Hit(day=ctx.today, keeps_now=True)
    friday = _weekday_in_week(4, 0 if ctx.today.weekday() <= 4 else 1, ctx)
    return _Hit(day=friday)  # a due date's default time: 18:00
