"""Dates, durations and recurrences in English and Chinese chat text.

Public functions::

    parse_when(text, *, now, prefer)            -> datetime | None
    parse_date(text, *, now, prefer)            -> date | None
    extract_leading_when(text, *, now, prefer)  -> (datetime | None, rest)
    extract_due(text, *, now)                   -> (datetime | None, rest)
    parse_duration(text)                        -> Span    (raises ParseError)
    parse_recurrence(text)                      -> Span    (raises ParseError)

Durations and recurrences live in ``spans`` (re-exported here).

How a phrase becomes a date
---------------------------
Phrases are read by our own rules first (all Chinese forms, weekdays, ``today`` /
``昨天``, numeric dates, ``end of month`` / ``月底``, times of day) and only the
remaining English phrases (``in 2 weeks``, ``2 days ago``, ``Mar 31``, ``next
month`` …) go to ``dateparser``.  Before dateparser sees an English phrase every
word of it must be a date word (month, weekday, unit, number, ``in``/``ago``/
``next``…) and the phrase must contain an anchor (a weekday, a month *with* a
number, ``in N days``, ``N days ago``, a numeric date or a time): dateparser
happily reads ``may``, ``a``, ``5``, ``1st`` or ``yesterday met`` (``met`` is a
time zone to it) as dates.

Choices
-------
* ``now`` should be timezone-aware; results are in ``now``'s zone (naive in, naive out).
* Weeks run Monday to Sunday.
* A bare weekday (``Friday``, ``周五``, ``星期五``, ``礼拜五``) is the nearest such day
  *including today*: with ``prefer="future"`` the coming one, with ``"past"`` the
  most recent one.  ``by Friday`` said on a Friday is today.
* ``next Friday`` / ``下周五`` = Friday of next calendar week (said on a Wednesday:
  nine days later, not two).  ``this Friday`` / ``本周五`` / ``这周五`` = Friday of this
  week.  ``上周五`` = Friday of last calendar week; English ``last Friday`` = the most
  recent Friday before today.
* ``周末`` / ``weekend`` = Saturday.  ``月底`` / ``end of month`` / ``EOM`` = last day of
  this month; ``下个月`` / ``next month`` = same day next month (clamped).
* A date without a year (``12月5日``, ``3/31``, ``Mar 31``) is this year's or the
  next/previous one, following ``prefer``.  ``3/31`` is month/day.
* Time of day when the phrase gives none: due dates (``prefer="future"``) get
  18:00, the end of the working day; past events get 12:00, except ``today`` /
  ``今天``, which keeps ``now``'s time.  Explicit times (``下午3点``, ``3pm``,
  ``15:00``) and hour offsets (``2 hours ago``) are kept.  Parts of the day:
  ``morning``/``上午`` 09:00, ``中午``/``noon`` 12:00, ``afternoon``/``下午`` 14:00,
  ``evening``/``晚上`` 19:00; ``今晚``/``昨晚`` 20:00, ``明早`` 09:00.
"""

from __future__ import annotations

import calendar
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

import dateparser

from .spans import Span, add_months, parse_duration, parse_recurrence
from .text import cn_to_int, is_cjk, join_text, normalize

__all__ = [
    "Prefer",
    "Span",
    "extract_due",
    "extract_leading_when",
    "parse_date",
    "parse_duration",
    "parse_recurrence",
    "parse_when",
]

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
}
# "sat" and "sun" are left out on purpose: too easily ordinary words.
_EN_WEEKDAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
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
_RULES: list[tuple[re.Pattern[str], _Resolver]] = []


def _rule(pattern: str) -> Callable[[_Resolver], _Resolver]:
    compiled = re.compile(pattern, re.IGNORECASE)

    def register(fn: _Resolver) -> _Resolver:
        _RULES.append((compiled, fn))
        return fn

    return register


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


# --- Chinese rules ---------------------------------------------------------

_CN_REL_DAYS = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "今天": 0,
    "今日": 0,
    "明天": 1,
    "明日": 1,
    "后天": 2,
    "大后天": 3,
}


@_rule(r"(?P<rel>大前天|大后天|前天|昨天|昨日|今天|今日|明天|明日|后天)\s*" + _CN_TIME)
def _cn_relative_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    offset = _CN_REL_DAYS[m.group("rel")]
    return _with_cn_time(ctx.today + timedelta(days=offset), m, today_word=offset == 0)


_CN_EVENINGS = {
    "昨晚": (-1, 12, time(20)),
    "今晚": (0, 12, time(20)),
    "明晚": (1, 12, time(20)),
    "昨早": (-1, 0, time(9)),
    "今早": (0, 0, time(9)),
    "明早": (1, 0, time(9)),
    "今晨": (0, 0, time(9)),
    "明晨": (1, 0, time(9)),
}


@_rule(
    r"(?P<rel>昨晚|今晚|明晚|昨早|今早|明早|今晨|明晨)(?:上)?\s*"
    r"(?:(?P<th>" + _CN_SMALL + r")\s*[点时:]\s*"
    r"(?:(?P<half>半)|(?P<qtr>一刻|三刻)|(?P<tm>[0-9]{1,2}|[零〇一二三四五六七八九十]{1,3})\s*分?)?)?"
    r"(?P<tp>)"
)
def _cn_evening(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    offset, shift, default = _CN_EVENINGS[m.group("rel")]
    day = ctx.today + timedelta(days=offset)
    if m.group("th") is None:
        return _Hit(day=day, at=default)
    at = _cn_time(m, default_pm=shift)
    return None if at is None else _Hit(day=day, at=at)


@_rule(
    rf"{_NOT_COUNTED}(?P<wk>{_WEEK_REL})?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])\s*{_CN_TIME}"
)
def _cn_weekday(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    wd_text = m.group("wd")
    weekday = int(wd_text) - 1 if wd_text.isdigit() else _CN_WEEKDAYS[wd_text]
    if m.group("wk") is None:
        day = _nearest_weekday(weekday, ctx)
    else:
        day = _weekday_in_week(weekday, _CN_WEEK_SHIFT[m.group("wk")], ctx)
    return _with_cn_time(day, m)


@_rule(_NOT_COUNTED + r"(?P<wk>" + _WEEK_REL + r")?周末")
def _cn_weekend(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    if m.group("wk") is not None:
        return _Hit(day=_weekday_in_week(5, _CN_WEEK_SHIFT[m.group("wk")], ctx))
    return _Hit(day=_weekend(ctx))


def _weekend(ctx: _Ctx) -> date:
    if ctx.today.weekday() >= 5:
        return ctx.today
    return _nearest_weekday(5, ctx)


_CN_UNIT_DAYS = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7}


@_rule(
    r"(?P<n>"
    + _CN_NUM
    + r"|半)\s*(?P<unit>个?小时|个?钟头|分钟|天|日|个?星期|个?礼拜|周|个月|个?季度|年)"
    r"(?P<dir>以后|之后|后|以前|之前|前|以内|之内|内)"
)
def _cn_offset(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    unit = m.group("unit")
    if unit != "个月":
        unit = unit.removeprefix("个")
    sign = -1 if m.group("dir").endswith("前") else 1
    half = m.group("n") == "半"
    n = 0 if half else cn_to_int(m.group("n"))
    if n is None or (not half and n == 0) or n > 1200:
        return None
    if unit in ("小时", "钟头", "分钟"):
        per = 1 if unit == "分钟" else 60
        minutes = per // 2 if half else per * n
        if not minutes:
            return None
        return _Hit(exact=ctx.now + sign * timedelta(minutes=minutes))
    if unit in _CN_UNIT_DAYS:
        per = _CN_UNIT_DAYS[unit]
        days = per // 2 if half else per * n
        if not days:
            return None
        return _Hit(day=ctx.today + sign * timedelta(days=days))
    if half and unit == "个月":
        return _Hit(day=ctx.today + sign * timedelta(days=15))
    per = {"个月": 1, "季度": 3, "年": 12}[unit]
    months = per // 2 if half else per * n
    return _Hit(day=add_months(ctx.today, sign * months))


def _cn_year(text: str) -> int | None:
    year = cn_to_int(text)
    if year is None:
        return None
    if year < 100:
        year += 2000
    return year if 1900 <= year <= 2200 else None


@_rule(
    r"(?:(?P<y>[0-9]{4}|[0-9]{2}|[零〇一二三四五六七八九]{2,4})\s*年\s*)?"
    r"(?P<mo>" + _CN_SMALL + r")\s*月\s*(?P<d>" + _CN_SMALL + r")\s*(?:日|号)?\s*" + _CN_TIME
)
def _cn_month_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    month, day = cn_to_int(m.group("mo")), cn_to_int(m.group("d"))
    if month is None or day is None:
        return None
    if m.group("y"):
        year = _cn_year(m.group("y"))
        found = None if year is None else _valid(year, month, day)
    else:
        found = _pick_year(month, day, ctx) if 1 <= month <= 12 and 1 <= day <= 31 else None
    return _with_cn_time(found, m)


_CN_MONTH_SHIFT = {
    "上个": -1,
    "上": -1,
    "这个": 0,
    "这": 0,
    "本": 0,
    "下个": 1,
    "下": 1,
    "": 0,
}


@_rule(
    r"(?P<rel>上个|下个|这个|上|下|本|这)月\s*(?P<d>" + _CN_SMALL + r")\s*(?:日|号)\s*" + _CN_TIME
)
def _cn_rel_month_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    first = add_months(ctx.today.replace(day=1), _CN_MONTH_SHIFT[m.group("rel")])
    day = cn_to_int(m.group("d"))
    found = None if day is None else _valid(first.year, first.month, day)
    return _with_cn_time(found, m)


@_rule(r"(?P<d>" + _CN_SMALL + r")\s*号\s*" + _CN_TIME)
def _cn_day_of_month(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    day = cn_to_int(m.group("d"))
    if day is None or not 1 <= day <= 31:
        return None
    today = ctx.today
    step = 1 if ctx.prefer == "future" else -1
    for k in range(13):
        month_start = add_months(today.replace(day=1), step * k)
        found = _valid(month_start.year, month_start.month, day)
        if found and (found >= today if step == 1 else found <= today):
            return _with_cn_time(found, m)
    return None


@_rule(r"(?P<rel>上个|下个|这个|上|下|本|这)?月(?P<which>底|末|初|中)(?:旬)?")
def _cn_month_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    first = add_months(ctx.today.replace(day=1), _CN_MONTH_SHIFT[m.group("rel") or ""])
    which = m.group("which")
    if which in "底末":
        return _Hit(day=_month_end(first))
    return _Hit(day=first if which == "初" else first.replace(day=15))


@_rule(r"(?P<rel>今|明|去|本)?年(?P<which>底|末|初|中)")
def _cn_year_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    year = ctx.today.year + {"明": 1, "去": -1}.get(m.group("rel") or "", 0)
    which = m.group("which")
    if which in "底末":
        return _Hit(day=date(year, 12, 31))
    return _Hit(day=date(year, 1, 1) if which == "初" else date(year, 6, 30))


@_rule(r"(?P<rel>上个|下个|这个|上|下|本|这)?季(?:度)?(?P<which>末|底|初)")
def _cn_quarter_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    shift = _CN_MONTH_SHIFT[m.group("rel") or ""]
    start = _quarter_start(ctx.today, shift)
    if m.group("which") == "初":
        return _Hit(day=start)
    return _Hit(day=_month_end(add_months(start, 2)))


def _quarter_start(day: date, shift: int) -> date:
    first = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    return add_months(first, 3 * shift)


_CN_REL_PERIODS = {
    "下个月": (0, 1),
    "下月": (0, 1),
    "上个月": (0, -1),
    "上月": (0, -1),
    "下周": (7, 0),
    "下个星期": (7, 0),
    "下星期": (7, 0),
    "下个礼拜": (7, 0),
    "下礼拜": (7, 0),
    "上周": (-7, 0),
    "上个星期": (-7, 0),
    "上星期": (-7, 0),
    "上个礼拜": (-7, 0),
    "上礼拜": (-7, 0),
    "明年": (0, 12),
    "去年": (0, -12),
}


@_rule(
    r"(?P<rel>下个月|下月|上个月|上月|下个星期|下星期|下个礼拜|下礼拜|下周|上个星期|上星期|"
    r"上个礼拜|上礼拜|上周|明年|去年)"
)
def _cn_rel_period(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    days, months = _CN_REL_PERIODS[m.group("rel")]
    return _Hit(day=add_months(ctx.today, months) + timedelta(days=days))


@_rule(r"(?=\S)" + _CN_TIME + r"(?P<clock>钟|(?=\s*(?:之前|以前|前)))?")
def _cn_time_only(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    # A clock time on its own needs a part of the day (下午3点), a colon (15:30) or
    # a "前"/"钟" after it: "一点" alone is "a little", "3点" may be "three points".
    text = m.group(0)
    if not (m.group("tp") or ":" in text or m.group("clock") is not None):
        return None
    at = _cn_time(m)
    return None if at is None else _Hit(day=ctx.today, at=at)


# --- numeric dates ---------------------------------------------------------


@_rule(
    r"(?<![0-9])(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<mo>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})"
    r"(?![0-9])\s*(?:日|号)?" + _EN_TIME
)
def _iso_date(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    found = _valid(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
    return _with_en_time(found, m)


@_rule(
    r"(?<![0-9./-])(?P<mo>[0-9]{1,2})/(?P<d>[0-9]{1,2})(?:/(?P<y>[0-9]{4}|[0-9]{2}))?"
    r"(?![0-9]|[./-][0-9])" + _EN_TIME
)
def _slash_date(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    month, day = int(m.group("mo")), int(m.group("d"))
    if m.group("y"):
        year = int(m.group("y"))
        found = _valid(year + 2000 if year < 100 else year, month, day)
    else:
        found = _pick_year(month, day, ctx) if 1 <= month <= 12 and 1 <= day <= 31 else None
    return _with_en_time(found, m)


# --- English rules ---------------------------------------------------------

_EN_REL_DAYS = {
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "tmr": 1,
    "tmrw": 1,
    "yesterday": -1,
    "day after tomorrow": 2,
    "day before yesterday": -2,
    "eod": 0,
}


@_rule(
    r"(?<![a-z0-9])(?:the\s+)?(?P<rel>day\s+after\s+tomorrow|day\s+before\s+yesterday|today|"
    r"tonight|tomorrow|tmrw|tmr|yesterday|eod)(?![a-z0-9])" + _EN_TIME + r"(?![a-z0-9])"
)
def _en_relative_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    word = re.sub(r"\s+", " ", m.group("rel").lower())
    day = ctx.today + timedelta(days=_EN_REL_DAYS[word])
    if word == "tonight" and not _has_en_time(m):
        return _Hit(day=day, at=time(20))
    if word == "eod":
        return _Hit(day=day, at=DUE_DEFAULT_TIME)
    return _with_en_time(day, m, today_word=word == "today")


@_rule(
    r"(?<![a-z0-9])(?:(?P<mod>this|next|last|coming|past)\s+)?(?P<wd>" + _EN_WEEKDAY + r")"
    r"(?![a-z0-9])" + _EN_TIME + r"(?![a-z0-9])"
)
def _en_weekday(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    weekday = _EN_WEEKDAYS[m.group("wd").lower().rstrip(".")]
    mod = (m.group("mod") or "").lower()
    if mod in ("next", "this"):
        day = _weekday_in_week(weekday, 1 if mod == "next" else 0, ctx)
    elif mod in ("last", "past"):
        day = ctx.today - timedelta(days=(ctx.today.weekday() - weekday - 1) % 7 + 1)
    elif mod == "coming":
        day = ctx.today + timedelta(days=(weekday - ctx.today.weekday()) % 7)
    else:
        day = _nearest_weekday(weekday, ctx)
    return _with_en_time(day, m)


@_rule(
    r"(?<![a-z0-9])(?:(?:the\s+)?end\s+of\s+(?:the\s+)?(?:(?P<rel>this|next|last)\s+)?"
    r"(?P<unit>month|week|year|quarter)|(?P<abbr>eom|eow|eoy|eoq)"
    r"|(?P<unit2>month|year|quarter)[\s-]end)(?![a-z0-9])"
)
def _en_end_of(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    unit = m.group("unit") or m.group("unit2")
    if m.group("abbr"):
        unit = {"eom": "month", "eow": "week", "eoy": "year", "eoq": "quarter"}[
            m.group("abbr").lower()
        ]
    unit = unit.lower()
    shift = {"this": 0, "next": 1, "last": -1}.get((m.group("rel") or "").lower(), 0)
    today = ctx.today
    if unit == "week":
        return _Hit(day=_weekday_in_week(4, shift, ctx))  # Friday: end of the work week
    if unit == "month":
        return _Hit(day=_month_end(add_months(today.replace(day=1), shift)))
    if unit == "quarter":
        return _Hit(day=_month_end(add_months(_quarter_start(today, shift), 2)))
    return _Hit(day=date(today.year + shift, 12, 31))


@_rule(r"(?<![a-z0-9])(?:(?:this|the)\s+)?weekend(?![a-z0-9])")
def _en_weekend(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    return _Hit(day=_weekend(ctx))


@_rule(
    r"(?<![a-z0-9:])(?:at\s+)?(?:(?P<eh>\d{1,2})(?::(?P<em>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<eh24>\d{1,2}):(?P<em24>\d{2})|(?P<enoon>noon|midnight))(?![a-z0-9])(?P<epart>)"
)
def _en_time_only(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    at = _en_time(m)
    return None if at is None else _Hit(day=ctx.today, at=at)


# ---------------------------------------------------------------------------
# Matching


def _match_rules(s: str, pos: int, ctx: _Ctx) -> tuple[int, _Hit] | None:
    """The longest rule match starting exactly at ``pos`` that resolves."""
    best: tuple[int, _Hit] | None = None
    if s.startswith(("上", "下"), pos) and s[pos - 1 : pos] == "一":
        return None  # "看一下周报", "一上午" are not dates
    for pattern, resolve in _RULES:
        m = pattern.match(s, pos)
        if m is None or m.end() == pos:
            continue
        end = m.end()
        # keep only what the rule meant: trailing spaces are not part of the phrase
        while end > pos and s[end - 1].isspace():
            end -= 1
        if best is not None and end <= best[0]:
            continue
        hit = resolve(m, ctx)
        if hit is not None:
            best = (end, hit)
    return best


_LEAD_TRIGGER = re.compile(
    r"^(?:(?:due\s+)?(?:by|before|until|till|on)|due|no\s+later\s+than|deadline:?)\s+"
    r"|^(?:截止到|截止|截至|最晚|最迟)",
    re.IGNORECASE,
)
_TRAIL_BY = re.compile(r"\s*(?:之前|以前|前)$")


def _finish(hit: _Hit, ctx: _Ctx) -> datetime:
    tz = ctx.now.tzinfo
    if hit.exact is not None:
        return hit.exact
    assert hit.day is not None
    if hit.at is not None:
        at = hit.at
    elif hit.keeps_now and ctx.prefer == "past":
        return datetime.combine(hit.day, ctx.now.timetz())
    else:
        at = PAST_DEFAULT_TIME if ctx.prefer == "past" else DUE_DEFAULT_TIME
    return datetime.combine(hit.day, at, tzinfo=tz)


def _en_words_ok(phrase: str) -> bool:
    """Every word is date vocabulary and the phrase has an anchor (see module doc)."""
    words = phrase.lower().replace(",", " ").split()
    if not words or len(words) > 6:
        return False
    for word in words:
        word = word.rstrip(".")
        if word not in _EN_VOCAB and not _EN_TOKEN_SHAPES.fullmatch(word):
            return False
    low = " ".join(words)
    if _EN_ANCHOR.search(low):
        return True
    return bool(_EN_MONTH_WITH_NUMBER.search(low))


def _tz_name(now: datetime) -> str | None:
    tz = now.tzinfo
    if tz is None:
        return None
    key = getattr(tz, "key", None)
    if key:
        return key
    offset = now.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


_HAS_TIME = re.compile(
    r"\d(?:am|pm)\b|\d\s+(?:am|pm)\b|\d:\d\d|\bnoon\b|\bmidnight\b"
    r"|\b(?:hours?|hrs?|minutes?|mins?)\b",
    re.IGNORECASE,
)


def _dateparser(phrase: str, ctx: _Ctx) -> _Hit | None:
    """Ask dateparser, for phrases our rules don't cover; None unless it's sure."""
    settings: dict[str, object] = {
        "RELATIVE_BASE": ctx.now.replace(tzinfo=None),
        "PREFER_DATES_FROM": ctx.prefer,
        "DATE_ORDER": "MDY",
    }
    tz = _tz_name(ctx.now)
    if tz is not None:
        settings["TIMEZONE"] = tz
        settings["RETURN_AS_TIMEZONE_AWARE"] = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = dateparser.parse(phrase, languages=["en", "zh"], settings=settings)
    except (ValueError, OverflowError, TypeError, AttributeError, KeyError, IndexError):
        return None
    if found is None:
        return None
    if ctx.now.tzinfo is not None and found.tzinfo is not None:
        found = found.astimezone(ctx.now.tzinfo)
    elif ctx.now.tzinfo is None:
        found = found.replace(tzinfo=None)
    else:
        found = found.replace(tzinfo=ctx.now.tzinfo)
    if _HAS_TIME.search(phrase):
        return _Hit(exact=found)
    return _Hit(day=found.date())


def _parse_with_triggers(s: str, ctx: _Ctx) -> _Hit | None:
    """The whole of ``s`` (already normalised) as one date phrase.

    Our rules are tried on the text as given and without a leading ``by``/``截止``
    or a trailing ``前``; only then dateparser, and never for a phrase with a
    weekday in it (dateparser's ``Friday`` skips today and its ``next Friday`` is
    the coming one, both unlike ours) or a numeric date (it reads ``13/1`` as
    day/month when month/day fails).
    """
    if not s:
        return None
    stripped = _TRAIL_BY.sub("", _LEAD_TRIGGER.sub("", s, count=1).strip()).strip()
    phrases = [s] if stripped in ("", s) else [s, stripped]
    for phrase in phrases:
        got = _match_rules(phrase, 0, ctx)
        if got is not None and got[0] == len(phrase):
            return got[1]
    phrase = phrases[-1]
    if (
        phrase.isascii()
        and _en_words_ok(phrase)
        and not _EN_WEEKDAY_WORD.search(phrase)
        and not _NUMERIC_DATE.search(phrase)
        # a rule that matches but refuses (``tomorrow 13pm``) has the last word
        and not any(pattern.fullmatch(p) for pattern, _ in _RULES for p in phrases)
    ):
        return _dateparser(phrase, ctx)
    return None


def _check_now(now: datetime) -> None:
    if not isinstance(now, datetime):
        raise TypeError("now must be a datetime")


def parse_when(text: str, *, now: datetime, prefer: Prefer) -> datetime | None:
    """Read ``text`` as one date/time phrase relative to ``now``; None if it isn't one.

    ``prefer`` says which way an open phrase leans: ``"past"`` for when something
    happened (visits), ``"future"`` for due dates.  See the module docstring for the
    default times and the weekday rules.  ``by Friday`` / ``周五前`` read as Friday.
    """
    _check_now(now)
    ctx = _Ctx(now, prefer)
    hit = _parse_with_triggers(normalize(text), ctx)
    return None if hit is None else _finish(hit, ctx)


def parse_date(text: str, *, now: datetime, prefer: Prefer) -> date | None:
    """Like :func:`parse_when` but only the calendar day."""
    found = parse_when(text, now=now, prefer=prefer)
    return None if found is None else found.date()


_SEPARATORS = " \t\n,，、:：;；-—"
_WORD_TOKEN = re.compile(r"\S+")


def _token_match(s: str, pos: int, ctx: _Ctx, max_tokens: int = 5) -> tuple[int, _Hit] | None:
    """Longest run of 1..max_tokens whitespace tokens from ``pos`` that is an English date."""
    tokens = []
    for m in _WORD_TOKEN.finditer(s, pos):
        tokens.append(m)
        if len(tokens) == max_tokens:
            break
    if not tokens or tokens[0].start() != pos:
        return None
    for k in range(len(tokens), 0, -1):
        end = tokens[k - 1].end()
        while end > pos and s[end - 1] in ",.;:!?":
            end -= 1
        phrase = s[pos:end]
        if not phrase.isascii() or not _en_words_ok(phrase):
            continue
        hit = _parse_with_triggers(phrase, ctx)
        if hit is not None:
            return end, hit
    return None


def _match_at(s: str, pos: int, ctx: _Ctx) -> tuple[int, _Hit] | None:
    """The longest date phrase starting at ``pos`` (rules, then English tokens)."""
    best = _match_rules(s, pos, ctx)
    if s[pos].isascii() and (pos == 0 or not s[pos - 1].isalnum()):
        tok = _token_match(s, pos, ctx)
        if tok is not None and (best is None or tok[0] > best[0]):
            best = tok
    if best is None:
        return None
    end = best[0]
    if end < len(s) and _ascii_alnum(s[end - 1]):
        rest = s[end : end + 2]
        if _ascii_alnum(rest[0]) or (rest[:1] in "-'" and len(rest) == 2 and rest[1].isalpha()):
            return None  # stopped inside a word: "Mondayish", "Monday-ish"
    return best


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def extract_leading_when(
    text: str, *, now: datetime, prefer: Prefer
) -> tuple[datetime | None, str]:
    """A date phrase at the very start of ``text``, and the rest (normalised, stripped).

    ``yesterday met Li Wei`` → (yesterday, ``met Li Wei``); ``昨天见了王总`` →
    (yesterday, ``见了王总``); ``met Li Wei`` → (None, ``met Li Wei``).  The longest
    phrase wins; English words are only taken when they are date words.
    """
    _check_now(now)
    s = normalize(text)
    if not s:
        return None, s
    ctx = _Ctx(now, prefer)
    got = _match_at(s, 0, ctx)
    if got is None:
        return None, s
    end, hit = got
    by = re.match(r"\s*(?:之前|以前|前)(?!天)", s[end:])
    if by and is_cjk(s[end - 1]):
        end += by.end()
    return _finish(hit, ctx), s[end:].lstrip(_SEPARATORS)


_DUE_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:(?:due\s+)?(?:by|before|until|till|on)|due|no\s+later\s+than|"
    r"deadline:?)\s+(?:the\s+)?|截止到|截止|截至|最晚|最迟|在)$",
    re.IGNORECASE,
)


def extract_due(text: str, *, now: datetime) -> tuple[datetime | None, str]:
    """Find a due date anywhere in a next-step text; returns it and the text without it.

    ``send proposal by Friday`` → (Friday 18:00, ``send proposal``); ``周五前发方案``
    → (Friday 18:00, ``发方案``); ``tomorrow call back`` → (tomorrow 18:00, ``call
    back``).  The leftmost phrase wins, with its ``by``/``before``/``due``/``截止``
    in front and ``前``/``之前``/``以前`` behind.  (None, text) when there is none.
    """
    _check_now(now)
    s = normalize(text)
    ctx = _Ctx(now, "future")
    for pos, ch in enumerate(s):
        if ch.isspace():
            continue
        if _ascii_alnum(ch) and pos and _ascii_alnum(s[pos - 1]):
            continue
        got = _match_at(s, pos, ctx)
        if got is None:
            continue
        end, hit = got
        start = pos
        before = _DUE_BEFORE.search(s, 0, pos)
        if before is not None:
            start = before.start()
        by = re.match(r"\s*(?:之前|以前|前)(?!天)", s[end:])
        if by:
            end += by.end()
        else:
            within = re.match(r"\s*(?:以内|之内)", s[end:])
            if within:
                end += within.end()
        return _finish(hit, ctx), join_text(s[:start], s[end:])
    return None, s
