"""The numeric and English date rules: ``2026-03-05``, ``3/31``, ``today``, ``next Friday``,
``end of month``, ``weekend``, ``3pm`` … (see ``handlers.parsing.dates``).  English
phrases no rule reads go to ``dateparser`` there.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from .date_rules import (
    _EN_TIME,
    _EN_WEEKDAY,
    _EN_WEEKDAYS,
    DUE_DEFAULT_TIME,
    Rules,
    _Ctx,
    _en_time,
    _has_en_time,
    _Hit,
    _month_end,
    _nearest_weekday,
    _pick_year,
    _quarter_start,
    _valid,
    _weekday_in_week,
    _weekend,
    _with_en_time,
)
from .spans import add_months

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


@RULES.add(
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


@RULES.add(
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
        return _Hit(day=_weekday_in_week(4, shift, ctx))  # Friday: end of the work week
    if unit == "month":
        return _Hit(day=_month_end(add_months(today.replace(day=1), shift)))
    if unit == "quarter":
        return _Hit(day=_month_end(add_months(_quarter_start(today, shift), 2)))
    return _Hit(day=date(today.year + shift, 12, 31))


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
