"""Small shared ways of showing things: dates, money, stages, kinds, birthdays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date

from domain.calendar import Birthday, lunar_day_name, lunar_month_name, next_occurrence
from domain.models import Contact
from handlers.i18n import Catalog

_ = Catalog("views")

# Babel date patterns (https://babel.pocoo.org/en/latest/dates.html#pattern-syntax) and
# the words around a birthday.
_formats = Catalog("views.formats")


def label(value: str | None, lang: str) -> str:
    """The word for a stage, kind, role or status in the reader's language."""
    if not value:
        return ""
    return _(value, lang) if value in _ else value


def status_label(status: str | None, lang: str) -> str:
    """The word for an account's status (``lost`` is not a deal's ``lost``: 已丢失, not 输单)."""
    if not status:
        return ""
    key = f"status_{status}"
    return _(key, lang) if key in _ else status


def fmt_date(d: date | datetime | None, lang: str, tz: ZoneInfo | None = None) -> str:
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = (d.astimezone(tz) if tz else d).date()
    return format_date(d, _formats("date", lang), locale=lang)


def fmt_day(d: date | datetime | None, lang: str, tz: ZoneInfo | None = None) -> str:
    """A date with its year (for due dates and close dates that may be far away)."""
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = (d.astimezone(tz) if tz else d).date()
    return format_date(d, _formats("day", lang), locale=lang)


def format_birthday(b: Birthday, lang: str) -> str:
    """``May 3`` / ``5月3日``, or ``lunar 4/8`` / ``农历四月初八``; with the year if known."""
    if b.lunar:
        key = "lunar_year" if b.year else "lunar"
        leap = _formats("leap", lang) if b.leap_month else ""
        return _formats(
            key, lang, leap=leap, month=b.month, day=b.day, year=b.year,
            month_name=lunar_month_name(b.month), day_name=lunar_day_name(b.day),
        )  # fmt: skip
    pattern = _formats("birthday_year" if b.year else "birthday", lang)
    return format_date(date(b.year or 2000, b.month, b.day), pattern, locale=lang)


def fmt_money(amount: Decimal, currency: str, lang: str) -> str:
    from handlers.parsing.money import Money, format_money

    return format_money(Money(amount, currency), lang)


def birthday_of(contact: Contact) -> Birthday | None:
    if not contact.birthday_month or not contact.birthday_day:
        return None
    return Birthday(
        month=contact.birthday_month,
        day=contact.birthday_day,
        year=contact.birthday_year,
        lunar=contact.birthday_lunar,
        leap_month=contact.birthday_leap_month,
    )


def upcoming_birthdays(
    contacts: list[Contact], today: date, days: int
) -> list[tuple[date, Contact, Birthday]]:
    """Contacts whose birthday falls within ``days`` days from today (inclusive), soonest first."""
    out = []
    horizon = today + timedelta(days=days)
    for c in contacts:
        b = birthday_of(c)
        if b is None:
            continue
        when = next_occurrence(b, today)
        if when <= horizon:
            out.append((when, c, b))
    return sorted(out, key=lambda t: (t[0], t[1].name))


def interaction_line(i, lang: str, tz: ZoneInfo | None = None) -> str:
    """One logged interaction on one line: ``Dec 4 visit · Alice Chen · Li Wei — notes…``
    (``i``: a ``storage.summary`` interaction row: happened_at, kind, author, contacts,
    notes)."""
    who = f" · {', '.join(i.contacts)}" if i.contacts else ""
    note = f" — {clip(i.notes, 60)}" if i.notes else ""
    return f"{fmt_date(i.happened_at, lang, tz)} {label(i.kind, lang)} · {i.author}{who}{note}"


def clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def describe_risk(risk, lang: str) -> str:
    """Any risk as one line: the account rules' (``domain.risks``) or the health rules'
    (``domain.health``), amounts formatted for the reader."""
    from handlers.views.risks import describe

    return describe(risk, lang)
