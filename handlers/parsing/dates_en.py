"""The numeric and English date rules: ``2026-03-05``, ``3/31``, ``today``, ``next Friday``,
``end of month``, ``weekend``, ``3pm`` … (see ``handlers.parsing.dates``).  English
phrases no rule reads go to ``dateparser`` there.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from .date_rules import (
    _EN_MONTHS,
    _EN_TIME,
    _EN_WEEKDAY,
    _EN_WEEKDAYS,
    DUE_DEFAULT_TIME,
    Rules,
    _Ctx,
    _en_time,
    _has_en_time,
    _Hit,
    _lean_week,
    _lean_year,
    _month_end,
    _month_part,
    _nearest_weekday,
    _pick_year,
    _quarter_end,
    _quarter_start,
    _this_week_due,
    _valid,
    _weekday_in_week,
    _weekend,
    _with_en_time,
    _working_day,
)
from .spans import _EN_NUMBERS, add_months

RULES = Rules()


# --- numeric dates ---------------------------------------------------------


@RULES.add(
    r"(?<![0-9])(?P<y>[0-9]{4})\s*[-/.年]\s*(?P<mo>[0-9]{1,2})\s*[-/.月]\s*(?P<d>[0-9]{1,2})"
    r"(?![0-9])\s*(?:日|号)?" + _EN_TIME
)
def _iso_date(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    found = _valid(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
    return _with_en_time(found, m)


@RULES.add(
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


# "12.8" is December 8th only where it reads as a date: before 前/之前/以前/号/日, after
# by/before/due/until/on/截止/于/在, or standing alone; never before 万/元/k/%… ("12.8万").
_DOT_DATE_BEFORE = re.compile(
    r"(?:(?<![a-z])(?:by|before|due|until|till|on|deadline:?)\s*|截止到?|截至|最晚|最迟|于|在|是)$",
    re.IGNORECASE,
)


_DASH_DATE_BEFORE = re.compile(
    r"(?:(?<![a-z])(?:by|before|due|until|till|deadline:?)\s*|截止到?|截至|最晚|最迟)$",
    re.IGNORECASE,
)


@RULES.add(
    r"(?<![0-9.,$¥€£/a-z-])(?P<mo>1[0-2]|0?[1-9])(?P<sep>[.-])(?P<d>3[01]|[12][0-9]|0?[1-9])"
    r"(?![0-9.,%]|\s*(?:万|亿|千|百|元|块|美元|刀|k|m|w|mn|bn|mil|%|个|人|倍|分|度|折|岁|寸|米|吨|斤))"
    r"(?P<unit>\s*(?:号|日))?" + _EN_TIME
)
def _dot_date(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    before, after = m.string[: m.start()].rstrip(), m.string[m.end() :].lstrip()
    if m.group("sep") == "-" and not (
        m.group("unit")
        or after.startswith(("前", "之前", "以前"))
        or _DASH_DATE_BEFORE.search(before)
        or (not before and not after)
    ):
        return None  # "3-5", "10-20人" are ranges: "12-8" only as "12-8前", "by 12-8"
    if not (
        m.group("unit")
        or _has_en_time(m)
        or after.startswith(("前", "之前", "以前"))
        or _DOT_DATE_BEFORE.search(before)
        or (not before and not after)
    ):
        return None
    found = _pick_year(int(m.group("mo")), int(m.group("d")), ctx)
    return _with_en_time(found, m)


# --- English rules ---------------------------------------------------------

_EN_REL_DAYS = {
    "today": 0,
    "tonight": 0,
    "tomorrow": 1,
    "tomorow": 1,
    "tommorow": 1,
    "tommorrow": 1,
    "tmrow": 1,
    "2moro": 1,
    "2morrow": 1,
    "yesturday": -1,
    "yesteday": -1,
    "yesterdy": -1,
    "tmr": 1,
    "tmrw": 1,
    "yesterday": -1,
    "yday": -1,
    "yest": -1,
    "day after tomorrow": 2,
    "day before yesterday": -2,
    "eod": 0,
    "cob": 0,
    "eob": 0,
    "end of day": 0,
    "end of the day": 0,
    "end of business": 0,
    "close of business": 0,
}


_END_OF_DAY = frozenset(
    ("eod", "cob", "eob", "end of day", "end of the day", "end of business", "close of business")
)


@RULES.add(
    r"(?<![a-z0-9])(?:the\s+)?(?P<rel>day\s+after\s+tomorrow|day\s+before\s+yesterday|today|"
    r"tonight|tomorrow|tomorow|tommorow|tommorrow|tmrow|tmrw|tmr|2moro|2morrow"
    r"|yesterday|yesturday|yesteday|yesterdy|yday|yest|eod|cob|eob"
    r"|(?:end|close)\s+of\s+(?:the\s+)?(?:day|business))(?![a-z0-9])" + _EN_TIME + r"(?![a-z0-9])"
)
def _en_relative_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    word = re.sub(r"\s+", " ", m.group("rel").lower())
    day = ctx.today + timedelta(days=_EN_REL_DAYS[word])
    if word == "tonight" and not _has_en_time(m):
        return _Hit(day=day, at=time(20))
    if word in _END_OF_DAY:
        return _Hit(day=day, at=DUE_DEFAULT_TIME)
    return _with_en_time(day, m, today_word=word == "today")


@RULES.add(
    r"(?<![a-z0-9])(?:(?P<mod>this|next|last|coming|past)\s+)?(?P<wd>" + _EN_WEEKDAY + r")"
    r"(?![a-z0-9])" + _EN_TIME + r"(?![a-z0-9])"
)
def _en_weekday(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    weekday = _EN_WEEKDAYS[m.group("wd").lower().rstrip(".")]
    mod = (m.group("mod") or "").lower()
    if mod == "next":
        day = _weekday_in_week(weekday, 1, ctx)
    elif mod == "this":
        day = _lean_week(_weekday_in_week(weekday, 0, ctx), ctx)
    elif mod in ("last", "past"):
        day = ctx.today - timedelta(days=(ctx.today.weekday() - weekday - 1) % 7 + 1)
    elif mod == "coming":
        day = ctx.today + timedelta(days=(weekday - ctx.today.weekday()) % 7)
    else:
        day = _nearest_weekday(weekday, ctx)
    return _with_en_time(day, m)


@RULES.add(
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
        friday = _weekday_in_week(4, shift, ctx)  # Friday: end of the work week
        if shift == 0 and ctx.prefer == "future" and friday < today:
            friday += timedelta(days=7)  # said on a weekend: the coming Friday
        return _Hit(day=friday)
    if unit == "month":
        return _Hit(day=_month_end(add_months(today.replace(day=1), shift)))
    if unit == "quarter":
        return _Hit(day=_month_end(add_months(_quarter_start(today, shift), 2)))
    return _Hit(day=date(today.year + shift, 12, 31))


@RULES.add(r"(?<![a-z0-9])(?P<w>next|last|previous)\s+(?:working|business|work)\s+day(?![a-z0-9])")
def _en_working_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    return _Hit(day=_working_day(ctx, after=m.group("w").lower() == "next"))


@RULES.add(r"(?<![a-z0-9])(?:(?:this|the)\s+)?weekend(?![a-z0-9])")
def _en_weekend(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    return _Hit(day=_weekend(ctx))


@RULES.add(
    r"(?<![a-z0-9:])(?:at\s+)?(?:(?P<eh>\d{1,2})(?::(?P<em>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)"
    r"|(?P<eh24>\d{1,2}):(?P<em24>\d{2})|(?P<enoon>noon|midnight))(?![a-z0-9])(?P<epart>)"
)
def _en_time_only(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    at = _en_time(m)
    return None if at is None else _Hit(day=ctx.today, at=at)


_EN_PARTS_OF_TODAY = {
    "last night": (-1, time(20)),
    "this morning": (0, time(9)),
    "this afternoon": (0, time(14)),
    "this evening": (0, time(19)),
}


@RULES.add(r"(?<![a-z0-9])(?P<w>last\s+night|this\s+(?:morning|afternoon|evening))(?![a-z0-9])")
def _en_part_of_today(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    offset, at = _EN_PARTS_OF_TODAY[re.sub(r"\s+", " ", m.group("w").lower())]
    return _Hit(day=ctx.today + timedelta(days=offset), at=at)


MONTH_NUMBER = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # English month names and abbreviations → 1..12 (also read by /contact birthdays)
_MONTH_NUMBER = MONTH_NUMBER
assert set(_MONTH_NUMBER) == set(_EN_MONTHS)
_MONTH_RE = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_EN_PART_WORDS = {
    "early": "early",
    "mid": "mid",
    "middle of": "mid",
    "late": "late",
    "beginning of": "start",
    "start of": "start",
    "end of": "end",
}


@RULES.add(
    r"(?<![a-z0-9])(?:the\s+)?(?P<part>early|mid|middle\s+of|late|beginning\s+of|start\s+of"
    r"|end\s+of)[\s-]+(?:the\s+)?(?:(?P<rel>this|next|last)\s+month"
    r"|(?P<mon>" + _MONTH_RE + r")\.?(?:,?\s+(?P<y>\d{4}))?)(?![a-z0-9])"
    r"(?!\s+(?:be|have|has|not|we|i|you|he|she|they|it|need|want)\b)"  # "mid may be"
)
def _en_month_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    part = _EN_PART_WORDS[re.sub(r"\s+", " ", m.group("part").lower())]
    if m.group("rel"):
        shift = {"this": 0, "next": 1, "last": -1}[m.group("rel").lower()]
        return _Hit(day=_month_part(add_months(ctx.today.replace(day=1), shift), part))
    month = _MONTH_NUMBER[m.group("mon").lower()]
    if m.group("y"):
        return _Hit(day=_month_part(date(int(m.group("y")), month, 1), part))
    return _Hit(day=_lean_year(lambda year: _month_part(date(year, month, 1), part), ctx))


@RULES.add(
    r"(?<![a-z0-9])(?:(?:the\s+)?end\s+of\s+(?:the\s+)?q(?P<q>[1-4])|q(?P<q2>[1-4])[\s-]end)"
    r"(?:\s+(?P<y>\d{4}))?(?![a-z0-9])"
)
def _en_quarter_end(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    quarter = int(m.group("q") or m.group("q2"))
    if m.group("y"):
        return _Hit(day=_quarter_end(int(m.group("y")), quarter))
    return _Hit(day=_lean_year(lambda year: _quarter_end(year, quarter), ctx))


@RULES.add(r"(?<![a-z0-9])(?:(?:by|within)\s+)?(?:the\s+end\s+of\s+)?this\s+week(?![a-z0-9])")
def _en_this_week(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    return _this_week_due(ctx)


# "by the 15th": a day of this month, or of the next/previous one per prefer.  Only after
# by/on/before/until/due, and not "on the 5th floor".
@RULES.add(
    r"(?<![a-z0-9])(?:by|on|before|until|till|due)\s+the\s+(?P<d>\d{1,2})(?:st|nd|rd|th)"
    r"(?:\s+of\s+(?:the\s+)?(?P<rel>this|next)\s+month)?(?![a-z0-9])"
    r"(?!\s+(?:floor|time|round|place|row|line|try|attempt|version|edition|anniversary|day|week"
    r"|call|meeting|visit|page|item|point|step|option|person|quarter|month|year|grade|level"
    r"|stage|phase|draft|deal|order|one|batch|payment|invoice|installment|instalment)s?\b)"
)
def _en_day_of_month(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    day = int(m.group("d"))
    if not 1 <= day <= 31:
        return None
    first = ctx.today.replace(day=1)
    if m.group("rel"):
        first = add_months(first, 1 if m.group("rel").lower() == "next" else 0)
        return (
            _Hit(day=_valid(first.year, first.month, day))
            if _valid(first.year, first.month, day)
            else None
        )
    step = 1 if ctx.prefer == "future" else -1
    for k in range(13):
        month = add_months(first, step * k)
        found = _valid(month.year, month.month, day)
        if found and (found >= ctx.today if step == 1 else found <= ctx.today):
            return _Hit(day=found)
    return None


# "early next week" = its Monday, "mid next week" = Wednesday, "late next week" = Friday.
_WEEK_PART_DAY = {"early": 0, "mid": 2, "middle of": 2, "late": 4}


@RULES.add(
    r"(?<![a-z0-9])(?P<part>early|mid|middle\s+of|late)[\s-]+(?:the\s+)?(?P<rel>this|next)\s+week"
    r"(?![a-z0-9])"
)
def _en_week_part(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    weekday = _WEEK_PART_DAY[re.sub(r"\s+", " ", m.group("part").lower())]
    shift = 1 if m.group("rel").lower() == "next" else 0
    day = _weekday_in_week(weekday, shift, ctx)
    return _Hit(day=_lean_week(day, ctx) if shift == 0 else day)


# --- offsets and month names, read here rather than by dateparser (slow) ------

_EN_COUNT = {
    **_EN_NUMBERS,
    "couple": 2,
    "couple of": 2,
    "a couple": 2,
    "a couple of": 2,
    "few": 3,
    "a few": 3,
}
_EN_COUNT_RE = (
    r"(?:\d{1,3}|a\s+couple(?:\s+of)?|couple(?:\s+of)?|a\s+few|few|an|a|one|two|three|four|five"
    r"|six|seven|eight|nine|ten|eleven|twelve)"
)
_EN_UNIT_RE = (
    r"(?:days?|weeks?|wks?|fortnights?|months?|mths?|mos|years?|yrs?|quarters?|hours?|hrs?"
    r"|minutes?|mins?)"
)
_EN_UNIT_ALIASES = {"wk": "week", "mth": "month", "mo": "month", "yr": "year"}


def _count(text: str) -> int | None:
    text = re.sub(r"\s+", " ", text.lower())
    n = int(text) if text.isdigit() else _EN_COUNT.get(text)
    return n if n is not None and 0 < n <= 1200 else None


def _shift(n: int, unit: str, sign: int, ctx: _Ctx) -> _Hit:
    unit = unit.lower().rstrip("s")
    unit = _EN_UNIT_ALIASES.get(unit, unit)
    if unit in ("hour", "hr", "minute", "min"):
        minutes = n * (60 if unit in ("hour", "hr") else 1)
        return _Hit(exact=ctx.now + sign * timedelta(minutes=minutes))
    if unit in ("day", "week", "fortnight"):
        days = n * {"day": 1, "week": 7, "fortnight": 14}[unit]
        return _Hit(day=ctx.today + sign * timedelta(days=days))
    months = n * {"month": 1, "quarter": 3, "year": 12}[unit]
    return _Hit(day=add_months(ctx.today, sign * months))


@RULES.add(
    r"(?<![a-z0-9])(?:(?:in|within)\s+(?P<n1>" + _EN_COUNT_RE + r")\s+(?P<u1>" + _EN_UNIT_RE + r")"
    r"|(?P<n2>" + _EN_COUNT_RE + r")\s+(?P<u2>" + _EN_UNIT_RE + r")\s+"
    r"(?P<dir>ago|before|earlier|later|after|from\s+now|from\s+today|hence))(?![a-z0-9])"
)
def _en_offset(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    n = _count(m.group("n1") or m.group("n2"))
    if n is None:
        return None
    unit = m.group("u1") or m.group("u2")
    sign = -1 if (m.group("dir") or "").lower() in ("ago", "before", "earlier") else 1
    return _shift(n, unit, sign, ctx)


@RULES.add(
    r"(?<![a-z0-9])(?P<rel>next|last|this|coming|past)\s+(?P<unit>week|month|year|quarter)"
    r"(?![a-z0-9])"
)
def _en_rel_period(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    rel, unit = m.group("rel").lower(), m.group("unit").lower()
    if rel == "this":
        if unit == "week":
            return _this_week_due(ctx)
        if ctx.prefer == "past":
            return _Hit(day=ctx.today, keeps_now=True)
        if unit == "month":
            return _Hit(day=_month_end(ctx.today))
        if unit == "quarter":
            return _Hit(day=_month_end(add_months(_quarter_start(ctx.today, 0), 2)))
        return _Hit(day=date(ctx.today.year, 12, 31))
    # next week = a week from today, next month = this day next month (see the module doc)
    return _shift(1, unit, -1 if rel in ("last", "past") else 1, ctx)


_ORD = r"(?:st|nd|rd|th)?"


@RULES.add(
    r"(?<![a-z0-9])(?:(?P<mon>"
    + _MONTH_RE
    + r")\.?\s*(?P<d>\d{1,2})"
    + _ORD
    + r"|(?:the\s+)?(?P<d2>\d{1,2})"
    + _ORD
    + r"\s+(?:of\s+)?(?P<mon2>"
    + _MONTH_RE
    + r")\.?)"
    r"(?:,?\s+(?P<y>\d{4}))?(?![a-z0-9])(?![.:/-]\d)" + _EN_TIME + r"(?![a-z0-9])"
)
def _en_month_name_day(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    word = m.group("mon") or m.group("mon2")
    if word in ("may", "mar", "march") and re.match(r"\s+[a-z]", m.string[m.end() :]):
        return None  # "may 5 people come", lowercase: a verb, not the month
    month = _MONTH_NUMBER[word.lower()]
    day = int(m.group("d") or m.group("d2"))
    if m.group("y"):
        found = _valid(int(m.group("y")), month, day)
    else:
        found = _pick_year(month, day, ctx) if 1 <= day <= 31 else None
    return _with_en_time(found, m)


# "EOD Friday", "COB tomorrow": that day at the end of the working day.
@RULES.add(
    r"(?<![a-z0-9])(?:eod|cob|eob|end\s+of\s+(?:the\s+)?day|close\s+of\s+business)\s+(?:on\s+)?"
    r"(?:(?P<wd>" + _EN_WEEKDAY + r")|(?P<rel>tomorrow|tmrw|tmr|today))(?![a-z0-9])"
)
def _en_eod_of(m: re.Match[str], ctx: _Ctx) -> _Hit | None:
    if m.group("rel"):
        day = ctx.today + timedelta(days=0 if m.group("rel").lower() == "today" else 1)
    else:
        day = _nearest_weekday(_EN_WEEKDAYS[m.group("wd").lower().rstrip(".")], ctx)
    return _Hit(day=day, at=DUE_DEFAULT_TIME)
