"""One cell of an import file read with the chat grammar.

Amounts as chat reads them (``handlers.parsing.money``: ``120万``, ``¥1,200,000``,
``1.2m``, ``300k``); dates as chat reads them where the order is certain (``2026-03-05``,
``2026/3/5``, ``2026.3.5``, ``2026年3月5日``) and refused where it is not (``03/05/2026``:
March 5 or May 3?); booleans ``true``/``false``, yes/no, 1/0, 是/否 and numbers as chat reads them
(``handlers.parsing.values``).  A parser raises
``Bad`` with the reason, worded for the row's error line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.calendar import Birthday
from domain.errors import InvalidInput, KamError
from domain.tiers import normalise_tier
from handlers.parsing.dates import parse_date
from handlers.parsing.money import Money, parse_money
from handlers.parsing.values import read_bool, read_number, read_whole


class Bad(Exception):
    """One cell's problem."""


def text(value: str) -> str:
    return value  # the length was checked against the column when the file was read


def handle(value: str) -> str:
    value = value.removeprefix("@")
    if not value or len(value) > 64 or re.search(r"\s", value):
        raise Bad(f"'{value}' is not a handle (no spaces, at most 64 characters)")
    return value


def person(value: str) -> str:
    """A user by handle (``@`` optional) or display name; resolved against the book later."""
    return value.removeprefix("@").strip()


def choice(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(choices)

    def parse(value: str) -> str:
        low = value.lower()
        if low not in allowed:
            raise Bad(f"'{value}' is not one of {', '.join(allowed)}")
        return low

    return parse


def timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise Bad(f"unknown timezone '{value}' (use a name like Asia/Shanghai)") from None
    return value


def email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
        raise Bad(f"'{value}' is not an email address")
    return value


_YEAR_FIRST = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?")
_DAY_MONTH = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})")
_NOON = datetime(2000, 1, 1, 12)  # the year-first forms never look at "now"


def day(value: str) -> date:
    """A calendar date, year first; an order that is not certain is refused."""
    if _YEAR_FIRST.fullmatch(value.strip()):
        found = parse_date(value, now=_NOON, prefer="past")
        if found is not None:
            return found
        raise Bad(f"'{value}' is not a real date")
    m = _DAY_MONTH.fullmatch(value.strip())
    if m:
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        a, b = int(m[1]), int(m[2])
        example = f"{year}-{a:02d}-{b:02d}" if a <= 12 else f"{year}-{b:02d}-{a:02d}"
        raise Bad(
            f"'{value}' is ambiguous (month/day or day/month?); "
            f"write the year first, e.g. {example}"
        )
    raise Bad(f"'{value}' is not a date; write it year first, e.g. 2026-03-05 or 2026年3月5日")


_NO_CURRENCY = "XXX"  # ISO 4217's "no currency": what parse_money says when none was typed


def money(value: str) -> Money:
    """An amount as chat reads it; ``currency`` is ``XXX`` when the cell names none."""
    try:
        found = parse_money(value, default_currency=_NO_CURRENCY)
    except KamError:
        raise Bad(f"'{value}' is not an amount (e.g. 1200000, ¥1,200,000, 120万, 1.2m)") from None
    if found.amount != found.amount.quantize(Decimal("0.01")):
        raise Bad(f"'{value}' has more than two decimal places")
    return Money(found.amount.quantize(Decimal("0.01")), found.currency)


def number(value: str) -> float:
    found = read_number(value)
    if found is None:
        raise Bad(f"'{value}' is not a number")
    return found


def whole(value: str) -> int:
    found = read_whole(value)
    if found is None:
        raise Bad(f"'{value}' is not a whole number")
    return found


def boolean(value: str) -> bool:
    found = read_bool(value)
    if found is None:
        raise Bad(f"'{value}' is not true or false")
    return found


def currency(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise Bad(f"'{value}' is not a currency code like CNY")
    return value.upper()


def tier(value: str) -> str:
    try:
        return normalise_tier(value)
    except InvalidInput:
        raise Bad(f"tier '{value}' is not one of A, B, C") from None


def names_list(limit: int | None) -> Callable[[str], tuple[str, ...]]:
    """``a|b|c``: distinct, in file order."""

    def parse(value: str) -> tuple[str, ...]:
        out: list[str] = []
        for item in (a.strip() for a in value.split("|")):
            if item and item not in out:
                if limit is not None and len(item) > limit:
                    raise Bad(f"'{item[:20]}…' is longer than {limit} characters")
                out.append(item)
        return tuple(out)

    return parse


_BIRTHDAY = re.compile(r"(?:(\d{4})-)?(\d{1,2})-(\d{1,2})")


def birthday(value: str) -> Birthday:
    raw = value.lower().replace(" ", "")
    lunar = leap = False
    if raw.startswith("lunar:"):
        lunar, raw = True, raw.removeprefix("lunar:")
        if raw.startswith("leap:"):
            leap, raw = True, raw.removeprefix("leap:")
    m = _BIRTHDAY.fullmatch(raw)
    if m is None:
        raise Bad(f"birthday '{value}' is not MM-DD, YYYY-MM-DD or lunar:MM-DD")
    try:
        return Birthday(
            month=int(m[2]),
            day=int(m[3]),
            year=int(m[1]) if m[1] else None,
            lunar=lunar,
            leap_month=leap,
        )
    except InvalidInput:
        raise Bad(f"birthday '{value}' is not a real date") from None
