"""Periods of a year as people type them: ``2026``, ``2026Q4``, ``2026 年第四季度``,
``2026-11``, ``11月``, ``this year``, ``上季度``, ``本月`` …

A period comes back as ``(year, key)`` with ``key`` one of ``"year"``, ``"Q1"``..``"Q4"``,
``"M1"``..``"M12"`` — the keys ``domain.goals.period_bounds`` takes.

``period_of`` reads a whole phrase, relative ones included (``/kpi``); ``year_quarter``
reads one token of a year and/or a quarter, either part optional (``/goal``).
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["CN_QUARTER", "current_quarter", "period_of", "year_quarter"]

CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4}

_PERIOD_PATTERNS = (
    (
        re.compile(
            r"^(?P<y>\d{4})\s*(?:年)?\s*(?:-|/)?\s*(?:q|Q|第)(?P<q>[1-4一二三四])(?:季度?)?$"
        ),
        "q",
    ),
    (re.compile(r"^(?P<y>\d{4})\s*(?:-|/|年)\s*(?P<m>\d{1,2})\s*月?$"), "m"),
    (re.compile(r"^(?P<y>\d{4})\s*年?$"), "y"),
    (re.compile(r"^(?:q|Q|第)(?P<q>[1-4一二三四])(?:季度?)?$"), "q"),
    (re.compile(r"^(?P<m>\d{1,2})\s*月$"), "m"),
)
_RELATIVE = {
    "this year": ("year", 0), "今年": ("year", 0), "last year": ("year", -1), "去年": ("year", -1),
    "this quarter": ("quarter", 0), "本季度": ("quarter", 0), "这个季度": ("quarter", 0),
    "last quarter": ("quarter", -1), "上季度": ("quarter", -1), "上个季度": ("quarter", -1),
    "this month": ("month", 0), "本月": ("month", 0), "这个月": ("month", 0),
    "last month": ("month", -1), "上月": ("month", -1), "上个月": ("month", -1),
}  # fmt: skip
_YEAR_QUARTER = re.compile(
    r"(?:(?P<year>\d{4})\s*年?)?\s*(?:(?:[Qq](?P<q>[1-4]))|(?:第?(?P<cq>[一二三四1-4])季度?))?"
)


def current_quarter(today: date) -> str:
    """The key of the quarter ``today`` falls in (``"Q4"`` for 2026-11-05)."""
    return f"Q{(today.month - 1) // 3 + 1}"


def period_of(text: str, today: date) -> tuple[int, str] | None:
    """``(year, key)`` for a whole period phrase; a year left out is this year's."""
    key = text.strip().casefold()
    if key in _RELATIVE:
        unit, shift = _RELATIVE[key]
        if unit == "year":
            return today.year + shift, "year"
        if unit == "quarter":
            q = (today.month - 1) // 3 + shift
            return today.year + q // 4, f"Q{q % 4 + 1}"
        m = today.month - 1 + shift
        return today.year + m // 12, f"M{m % 12 + 1}"
    for pattern, kind in _PERIOD_PATTERNS:
        m = pattern.match(text.strip())
        if m is None:
            continue
        year = int(m["y"]) if "y" in m.groupdict() and m["y"] else today.year
        if kind == "y":
            return year, "year"
        if kind == "q":
            q = m["q"]
            return year, f"Q{CN_QUARTER.get(q) or int(q)}"
        month = int(m["m"])
        if 1 <= month <= 12:
            return year, f"M{month}"
    return None


def year_quarter(token: str) -> tuple[int | None, int | None] | None:
    """``(year, quarter)`` for one token such as ``2026``, ``2026Q4``, ``Q4`` or ``第四季度``
    (either part may be None); None when the token is neither."""
    m = _YEAR_QUARTER.fullmatch(token)
    if m is None or not (m["year"] or m["q"] or m["cq"]):
        return None
    q = m["q"] or m["cq"]
    quarter = None if q is None else (CN_QUARTER.get(q) or int(q))
    return (int(m["year"]) if m["year"] else None), quarter
