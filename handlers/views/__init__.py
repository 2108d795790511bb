"""Small shared ways of showing things: dates, money, stages, kinds, birthdays."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.calendar import Birthday, next_occurrence
from domain.models import Contact
from handlers.i18n import Catalog

_ = Catalog(
    {
        "visit": {"en": "visit", "zh": "拜访"},
        "call": {"en": "call", "zh": "电话"},
        "meeting": {"en": "meeting", "zh": "会议"},
        "meal": {"en": "meal", "zh": "宴请"},
        "message": {"en": "message", "zh": "消息"},
        "lead": {"en": "lead", "zh": "线索"},
        "qualify": {"en": "qualify", "zh": "需求确认"},
        "proposal": {"en": "proposal", "zh": "方案"},
        "negotiation": {"en": "negotiation", "zh": "谈判"},
        "won": {"en": "won", "zh": "赢单"},
        "lost": {"en": "lost", "zh": "输单"},
        "decision_maker": {"en": "decision maker", "zh": "决策人"},
        "influencer": {"en": "influencer", "zh": "影响者"},
        "champion": {"en": "champion", "zh": "支持者"},
        "user": {"en": "user", "zh": "使用者"},
        "procurement": {"en": "procurement", "zh": "采购"},
        "blocker": {"en": "blocker", "zh": "反对者"},
        "prospect": {"en": "prospect", "zh": "潜在"},
        "active": {"en": "active", "zh": "合作中"},
        "at_risk": {"en": "at risk", "zh": "有风险"},
        "churned": {"en": "churned", "zh": "已流失"},
    }
)


def label(value: str | None, lang: str) -> str:
    """The word for a stage, kind, role or status in the reader's language."""
    if not value:
        return ""
    return _(value, lang) if value in _ else value


def fmt_date(d: date | datetime | None, lang: str, tz: ZoneInfo | None = None) -> str:
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = (d.astimezone(tz) if tz else d).date()
    return f"{d.month}月{d.day}日" if lang == "zh" else d.strftime("%b %-d")


def fmt_day(d: date | datetime | None, lang: str, tz: ZoneInfo | None = None) -> str:
    """A date with its year (for due dates and close dates that may be far away)."""
    if d is None:
        return "—"
    if isinstance(d, datetime):
        d = (d.astimezone(tz) if tz else d).date()
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else d.isoformat()


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


def clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def describe_risk(risk, lang: str) -> str:
    """Any risk as one line: the account rules' (``domain.risks``) or the health rules'
    (``domain.health``), amounts formatted for the reader."""
    from domain.health import describe_health
    from domain.risks import RISK_TEXT, describe

    if risk.code in RISK_TEXT:
        return describe(risk, lang)
    return describe_health(risk, lang, money=lambda a, c: fmt_money(a, c, lang))
