"""Showing the 360° account file (``/account Acme all``): its sections, one small
function each, taking the facts ``storage.account_file`` read and the reader's language.

Each builder returns plain lines (or fields), unescaped: the renderers escape them.  The
handover brief and other screens may take any of them on their own.  The sections, in
the file's order (its page numbers), are ``SECTIONS``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from domain.goals import GoalMetric, period_bounds, progress, progress_bar
from domain.health import days_overdue, split_total
from domain.models import Account, AuditEntry
from handlers.i18n import Catalog, languages
from handlers.paging import split_page
from handlers.parsing.text import fold
from handlers.replies import Field
from handlers.views import birthday_of, clip, fmt_day, fmt_money, format_birthday, label
from handlers.views.changes import describe_entries
from handlers.views.goals import metric_label
from handlers.views.health import fmt_amounts, fmt_score
from handlers.views.tiers import tier_label
from storage.account_file import ROLE_ORDER, Chain, DealTotals, FileCounts, GoalFacts, Owed
from storage.audit import TrailEntry
from storage.summary import InteractionLine

_ = Catalog("account.file")
_words = Catalog("account.file.words")
_pace = Catalog("views.goals")  # ahead, on track, behind…

SECTIONS = (
    "profile",
    "chain",
    "contacts",
    "interactions",
    "deals",
    "receivables",
    "payments",
    "csat",
    "complaints",
    "goals",
    "tasks",
    "reminders",
    "team",
    "changes",
)
"""The file's sections in order: section N is page N of ``/account Acme all N``."""

NOTE = 70  # characters of a note, comment or text shown on a line


def title(section: str, lang: str) -> str:
    """A section's name: ``Deals`` / ``商机``."""
    return _(section, lang)


def words(section: str, lang: str) -> list[str]:
    """What a reader types for a section (``deals``, ``deal`` / ``商机``); the first is the
    one kam writes in the commands it shows."""
    return [w.strip() for w in _words(section, lang).split(",") if w.strip()]


# --- reading what was typed after the account ------------------------------------------

FILE_WORDS = ("all", "file", "360", "全部", "档案")
"""The words after an account's name that ask for its file: ``/account Acme all``."""

_FILE = re.compile(r"(?:(?<![a-z0-9])(?:all|file|360)(?![a-z0-9])|全部|档案)", re.IGNORECASE)
_NUMBER = re.compile(r"(?P<body>.*?)\s*(?P<n>\d{1,6})\s*", re.DOTALL)


def _key(word: str) -> str:
    return " ".join(fold(word).casefold().split())


@cache
def section_words() -> dict[str, str]:
    """Every word for a section, in every language, folded: ``{"deals": "deals", "商机":
    "deals", …}`` (the words kam writes in its commands are among them)."""
    out: dict[str, str] = {}
    for section in SECTIONS:
        for lang in languages():
            for word in words(section, lang):
                out.setdefault(_key(word), section)
    return out


@dataclass(frozen=True)
class FileAsk:
    """What follows the file word: a section, a page, both or neither; ``unknown`` is
    a word that names no section."""

    section: str | None = None
    page: int | None = None
    unknown: str | None = None


def read_file_ask(text: str) -> FileAsk:
    """``deals 2`` → deals, page 2; ``2`` → the file's page 2; ``商机第2页``; ``more``."""
    body, page = split_page(text)
    if page is None:
        found = _NUMBER.fullmatch(body.strip())
        if found:
            body, page = found["body"], max(1, int(found["n"]))
    body = _key(body)
    if not body:
        return FileAsk(page=page)
    section = section_words().get(body)
    if section is None:
        return FileAsk(page=page, unknown=body)
    return FileAsk(section, page)


def asks_for_file(text: str) -> bool:
    """Whether ``text`` (what follows an account's name) is a file word, then only a
    section and a page: ``all``, ``档案``, ``all deals 2``, ``全部商机``."""
    folded = fold(text).strip()
    found = _FILE.match(folded)
    return found is not None and read_file_ask(folded[found.end() :]).unknown is None


def names_a_file_page(args: str) -> bool:
    """Whether ``args`` (what followed ``/account``) ask for a page of an account's file:
    a file word, then only a section and a page (``Acme all deals 2``, ``华夏重工全部商机``)
    — so the dispatcher reads ``/客户 华夏重工 全部 回款`` as the file, not a payment."""
    folded = fold(args)
    return any(
        asks_for_file(folded[found.start() :])
        for found in _FILE.finditer(folded)
        if found.start() > 0  # the account's name comes first
    )


def file_command(account: str, lang: str, section: str | None = None) -> str:
    """``/account Acme all`` or ``/account Acme all deals`` (``/客户 华夏重工 全部 商机``)."""
    base = _("command", lang, account=account)
    return f"{base} {words(section, lang)[0]}" if section else base


def page_title(account: str, section: str, lang: str) -> str:
    """``Acme — file 5/14: Deals``."""
    number = SECTIONS.index(section) + 1
    return _(
        "page_title",
        lang,
        account=account,
        n=number,
        pages=len(SECTIONS),
        section=title(section, lang),
    )


# --- the index --------------------------------------------------------------------------


def count_text(section: str, counts: FileCounts, lang: str) -> str:
    """How much a section holds, in a few words: ``2 open · 5 won · 1 lost``."""
    c = counts
    if section == "chain":
        text = _("n_chain", lang, n=c.chain)
        return text + (_("n_left", lang, n=c.left) if c.left else "")
    if section == "contacts":
        text = _("n", lang, n=c.contacts)
        return text + (_("n_left", lang, n=c.left) if c.left else "")
    if section == "interactions":
        return _("n_interactions", lang, n=c.interactions, all=c.interactions_all)
    if section == "deals":
        return _("n_deals", lang, open=c.deals_open, won=c.deals_won, lost=c.deals_lost)
    if section == "receivables":
        return _("n_invoices", lang, open=c.invoices_open, overdue=c.invoices_overdue)
    if section == "csat":
        if c.csat_average is None:
            return _("n", lang, n=c.csat)
        return _("n_csat", lang, n=c.csat, avg=fmt_score(c.csat_average))
    if section == "complaints":
        return _("n_complaints", lang, open=c.complaints_open, resolved=c.complaints_resolved)
    return _("n", lang, n=c.of(section) or 0)


def index_lines(counts: FileCounts, lang: str) -> list[str]:
    """One line per section that holds something, with its page number and count; the
    empty ones together on the last line."""
    lines, empty = [], []
    for number, section in enumerate(SECTIONS[1:], 2):
        if counts.of(section):
            lines.append(
                _("index_line", lang, n=number, section=title(section, lang),
                  count=count_text(section, counts, lang))
            )  # fmt: skip
        else:
            empty.append(_("index_empty", lang, n=number, section=title(section, lang)))
    if empty:
        lines.append(_("nothing_yet", lang, sections=_("sep", lang).join(empty)))
    return lines


# --- the profile ------------------------------------------------------------------------


def profile_fields(
    account: Account, counts: FileCounts, lang: str, tz: ZoneInfo, today: date
) -> list[Field]:
    """Who owns the account, its tier and why, its status, where it is, since when."""
    a = account
    tier = _("tier_value", lang, tier=a.effective_tier, label=tier_label(a.effective_tier, lang),
             score=f"{a.score:.0f}")  # fmt: skip
    if a.tier_override:
        tier += _(
            "override",
            lang,
            computed=a.tier,
            reason=a.tier_override_reason or "—",
            who=counts.override_by or "—",
            date=fmt_day(a.tier_override_at, lang, tz),
        )
    fields = [Field(_("f_tier", lang), tier)]
    owner = counts.owner + (f" · {counts.team}" if counts.team else "")
    fields.append(Field(_("f_owner", lang), owner))
    status = label(a.status, lang)
    if a.status_reason:
        status += f" — {a.status_reason}"
    if a.status_changed_at:
        status += _("since", lang, date=fmt_day(a.status_changed_at, lang, tz))
    fields.append(Field(_("f_status", lang), status))
    if a.snoozed_until and a.snoozed_until >= today:
        fields.append(Field(_("f_snoozed", lang), _("snoozed", lang,
                            date=fmt_day(a.snoozed_until, lang), reason=a.snooze_reason or "—")))  # fmt: skip
    fields.append(Field(_("f_industry", lang), a.industry or "—"))
    fields.append(Field(_("f_region", lang), a.region or "—"))
    if a.partnership_start:
        fields.append(Field(_("f_partner_since", lang), fmt_day(a.partnership_start, lang)))
    last = fmt_day(counts.last_contact, lang, tz) if counts.last_contact else _("never", lang)
    fields.append(Field(_("f_last_contact", lang), last))
    fields.append(Field(_("f_in_book_since", lang), fmt_day(a.created_at, lang, tz)))
    return fields


def _known(value: Any, show) -> str:
    return "—" if value is None else show(value)


def _pct(value: float) -> str:
    return f"{fmt_score(value)}%"


def factor_lines(account: Account, lang: str, currency: str) -> list[str]:
    """Every tier factor, by the score's four dimensions (with each dimension's score),
    then the health figures; ``—`` where nothing is known."""
    a = account

    def money(value: Decimal) -> str:
        return fmt_money(value, currency, lang)

    def yes_no(value: bool) -> str:
        return _("yes" if value else "no", lang)

    def days(value: float) -> str:
        return _("days", lang, n=fmt_score(value))

    sep = _("sep", lang)
    groups = [
        ("dim_current", a.score_current, [
            _("f_annual_revenue", lang, v=_known(a.annual_revenue, money)),
            _("f_margin_pct", lang, v=_known(a.margin_pct, _pct)),
            _("f_payment_days", lang, v=_known(a.payment_days, days)),
        ]),
        ("dim_potential", a.score_potential, [
            _("f_growth_pct", lang, v=_known(a.growth_pct, _pct)),
            _("f_cross_sell", lang, v=_known(a.cross_sell, fmt_score)),
        ]),
        ("dim_strategic", a.score_strategic, [
            _("f_reference_value", lang, v=_known(a.reference_value, fmt_score)),
            _("f_brand_value", lang, v=_known(a.brand_value, fmt_score)),
            _("f_innovation_value", lang, v=_known(a.innovation_value, fmt_score)),
        ]),
        ("dim_relationship", a.score_relationship, [
            _("f_years_together", lang, v=_known(a.years_together, fmt_score)),
            _("f_executive_contact", lang, v=_known(a.executive_contact, yes_no)),
            _("f_payment_record", lang, v=_known(a.payment_record, fmt_score)),
            _("f_satisfaction", lang, v=_known(a.satisfaction, fmt_score)),
        ]),
    ]  # fmt: skip
    lines = [
        _("dimension", lang, dim=_(dim, lang), score=f"{score:.0f}", factors=sep.join(parts))
        for dim, score, parts in groups
    ]
    health = [
        _("f_credit_limit", lang, v=_known(a.credit_limit, money)),
        _("f_acquisition_cost", lang, v=_known(a.acquisition_cost, money)),
        _("f_expected_years", lang, v=_known(a.expected_years, fmt_score)),
    ]
    lines.append(_("dimension_plain", lang, dim=_("dim_health", lang), factors=sep.join(health)))
    return lines


# --- the decision chain and contacts ----------------------------------------------------


def chain_gaps(by_role: Mapping[str, int], current: int) -> list[str]:
    """What the decision chain lacks, as codes: ``no_contacts`` (nobody still there),
    ``no_roles`` (nobody placed in it), ``single_threaded`` (one person holds it),
    ``no_decision_maker``."""
    if current == 0:
        return ["no_contacts"]
    placed = sum(by_role.values())
    gaps = []
    if placed == 0:
        gaps.append("no_roles")
    elif placed == 1:
        gaps.append("single_threaded")
    if not by_role.get("decision_maker"):
        gaps.append("no_decision_maker")
    return gaps


def gap_text(code: str, lang: str) -> str:
    return {
        "no_contacts": _("gap_no_contacts", lang),
        "no_roles": _("gap_no_roles", lang),
        "single_threaded": _("gap_single_threaded", lang),
        "no_decision_maker": _("gap_no_decision_maker", lang),
    }[code]


def person(row: Any, lang: str, *, role: bool = True) -> str:
    """``Li Wei (CFO)``, with the role when asked: ``Li Wei (CFO) · decision maker``."""
    text = _("person_title", lang, name=row.name, title=row.title) if row.title else row.name
    if role and row.role:
        text += f" · {label(row.role, lang)}"
    return text


def chain_lines(facts: Chain, lang: str) -> list[str]:
    """The chain by role (``Decision maker: Li Wei (CFO)``), people still there only."""
    by_role: dict[str, list[str]] = {}
    for row in facts.people:
        by_role.setdefault(row.role, []).append(person(row, lang, role=False))
    lines = []
    for role in (*ROLE_ORDER, *sorted(set(by_role) - set(ROLE_ORDER))):
        names = by_role.get(role)
        if not names:
            continue
        shown = _("names_sep", lang).join(names)
        hidden = facts.by_role.get(role, 0) - len(names)
        if hidden > 0:
            shown += _("and_more", lang, n=hidden)
        lines.append(_("role_line", lang, role=label(role, lang), names=shown))
    unplaced = facts.current - sum(facts.by_role.values())
    if unplaced:
        lines.append(_("unplaced", lang, n=unplaced))
    return lines


def left_line(row: Any, lang: str, tz: ZoneInfo) -> str:
    """``Sarah Miller (VP Ops) · decision maker · left Oct 3, 2026``."""
    return _("left_line", lang, who=person(row, lang), date=fmt_day(row.left_at, lang, tz))


def contact_line(row: Any, lang: str, tz: ZoneInfo) -> str:
    """Name, title, role, phone, email, birthday; ``left …`` for one who left."""
    bits = [person(row, lang)]
    bits += [x for x in (row.phone, row.email) if x]
    b = birthday_of(row)
    if b is not None:
        bits.append(_("birthday", lang, b=format_birthday(b, lang)))
    if row.left_at is not None:
        bits.append(_("left", lang, date=fmt_day(row.left_at, lang, tz)))
    return " · ".join(bits)


# --- interactions and deals -------------------------------------------------------------


def interaction_line(i: InteractionLine, lang: str, tz: ZoneInfo) -> str:
    """``Nov 12, 2026 visit · Alice Chen · Li Wei — budget approved``."""
    who = f" · {', '.join(i.contacts)}" if i.contacts else ""
    note = f" — {clip(i.notes, NOTE)}" if i.notes else ""
    return f"{fmt_day(i.happened_at, lang, tz)} {label(i.kind, lang)} · {i.author}{who}{note}"


def deal_totals_lines(totals: DealTotals, lang: str) -> list[str]:
    """``open 2 · ¥1.5M``, ``won 5 · ¥3M``, ``lost 1 · ¥200K`` (states that have deals)."""
    return [
        _("deal_total", lang, state=label(state, lang) if state != "open" else _("open", lang),
          n=totals.count[state], amount=fmt_amounts(totals.amounts.get(state, {}), lang))
        for state in ("open", "won", "lost")
        if totals.count.get(state)
    ]  # fmt: skip


def deal_line(row: Any, lang: str, today: date, tz: ZoneInfo) -> str:
    """An open deal with its stage, age in stage and close date; a closed one with the
    day it closed and, when lost, why."""
    amount = fmt_money(row.amount, row.currency, lang)
    if row.stage not in ("won", "lost"):
        age = max((today - row.stage_changed_at.astimezone(tz).date()).days, 0)
        return _("deal_open", lang, name=row.name, stage=label(row.stage, lang), amount=amount,
                 days=age, close=fmt_day(row.close_date, lang))  # fmt: skip
    closed = row.closed_at or row.stage_changed_at
    text = _("deal_closed", lang, name=row.name, stage=label(row.stage, lang), amount=amount,
             date=fmt_day(closed, lang, tz))  # fmt: skip
    if row.stage == "lost":
        reason = clip(row.lost_reason, NOTE) if row.lost_reason else _("no_reason", lang)
        text += _("lost_reason", lang, reason=reason)
    return text


# --- money ------------------------------------------------------------------------------


def owed_fields(
    owed: Owed,
    credit_limit: Decimal | None,
    lang: str,
    today: date,
    *,
    house: str,
    rates: Mapping[str, Decimal],
) -> list[Field]:
    """Open, overdue (since when), credits, and exposure against the credit limit."""
    fields = [Field(_("f_open", lang), fmt_amounts(owed.open, lang))]
    if owed.overdue:
        value = fmt_amounts(owed.overdue, lang)
        if owed.oldest_due is not None:
            value += _("oldest_overdue", lang, days=days_overdue(owed.oldest_due, today))
        fields.append(Field(_("f_overdue", lang), value))
    if owed.credit:
        fields.append(Field(_("f_credit", lang), fmt_amounts(owed.credit, lang)))
    net: dict[str, Decimal] = dict(owed.open)
    for currency, amount in owed.credit.items():
        net[currency] = net.get(currency, Decimal(0)) - amount
    exposure, unconverted = split_total(net, house, house=house, rates=rates)
    if unconverted:
        value = _("unconverted", lang, currencies=", ".join(sorted(unconverted)))
    else:
        value = fmt_money(exposure, house, lang)
        if credit_limit is not None:
            value += _("limit", lang, limit=fmt_money(credit_limit, house, lang))
    fields.append(Field(_("f_exposure", lang), value))
    return fields


def invoice_line(row: Any, lang: str, today: date) -> str:
    """``INV-7 ¥200K of ¥300K · due Dec 31, 2026 · 12d overdue · Q4 fee``."""
    late = days_overdue(row.due_on, today)
    return _(
        "invoice_line",
        lang,
        number=row.number or f"#{row.id}",
        open=fmt_money(row.amount - row.paid_amount, row.currency, lang),
        amount=fmt_money(row.amount, row.currency, lang),
        due=fmt_day(row.due_on, lang),
        late=_("late", lang, days=late) if late else "",
        note=f" · {clip(row.note, NOTE)}" if row.note else "",
    )


def payment_line(row: Any, lang: str) -> str:
    """``Nov 3, 2026 ¥300K · RC-1 · for INV-7 · ¥50K not applied``."""
    text = _("payment_line", lang, date=fmt_day(row.received_on, lang),
             amount=fmt_money(row.amount, row.currency, lang), number=row.number or f"#{row.id}")  # fmt: skip
    if row.invoice:
        text += _("for_invoice", lang, number=row.invoice)
    if row.unapplied:
        text += _("unapplied", lang, amount=fmt_money(row.unapplied, row.currency, lang))
    if row.note:
        text += f" · {clip(row.note, NOTE)}"
    return text


# --- service ----------------------------------------------------------------------------


def csat_line(row: Any, lang: str, tz: ZoneInfo) -> str:
    """``Nov 3, 2026 8/10 · Alice Chen — quick fix on the rollout``."""
    note = f" — {clip(row.comment, NOTE)}" if row.comment else ""
    return _("csat_line", lang, date=fmt_day(row.recorded_at, lang, tz), score=row.score,
             who=row.author) + note  # fmt: skip


def complaint_line(row: Any, lang: str, today: date, tz: ZoneInfo) -> str:
    """An open complaint with its age; a resolved one with when, by whom and how."""
    what = clip(row.text, NOTE)
    opened = fmt_day(row.opened_at, lang, tz)
    if row.resolved_at is None:
        age = max((today - row.opened_at.astimezone(tz).date()).days, 0)
        return _("complaint_open", lang, id=row.id, date=opened, days=age, text=what)
    text = _("complaint_resolved", lang, id=row.id, date=opened, text=what,
             resolved=fmt_day(row.resolved_at, lang, tz), who=row.resolver or "—")  # fmt: skip
    if row.resolution:
        text += f" — {clip(row.resolution, NOTE)}"
    return text


# --- plans and people -------------------------------------------------------------------


def goal_lines(facts: GoalFacts, lang: str, today: date, currency: str) -> list[str]:
    """``won revenue ▓▓▓░░░░░░░ 32% · ¥640K / ¥2M · behind`` for each goal of the year."""
    lines = []
    for g in facts.goals:
        metric = GoalMetric(g.metric)
        start, end = period_bounds(g.year)
        p = progress(g.target, facts.actuals.get(g.id, Decimal(0)), start, end, today)
        if metric.is_money:
            nums = f"{fmt_money(p.actual, g.currency or currency, lang)} / " + fmt_money(
                p.target, g.currency or currency, lang
            )
        else:
            nums = f"{p.actual:.0f} / {p.target:.0f}"
        lines.append(
            _("goal_line", lang, metric=metric_label(metric, lang), bar=progress_bar(p.percent),
              nums=nums, status=_pace(p.status.value, lang))
        )  # fmt: skip
    return lines


def task_line(row: Any, lang: str, now: datetime, tz: ZoneInfo) -> str:
    """``#12 send the deck · Alice Chen · due Nov 20, 2026`` (or overdue)."""
    if row.due_at is None:
        due = _("no_due", lang)
    else:
        late = (now.astimezone(tz).date() - row.due_at.astimezone(tz).date()).days
        day = fmt_day(row.due_at, lang, tz)
        due = _("overdue_task", lang, days=late, date=day) if late > 0 else _("due", lang, date=day)
    return _("task_line", lang, id=row.id, text=clip(row.text, NOTE), who=row.owner, due=due)


def reminder_line(row: Any, lang: str) -> str:
    """``#4 quarterly business review · every 3 months · next Jan 15, 2027``."""
    if row.every_months:
        every = _("every_months", lang, n=row.every_months)
    elif row.every_days and row.every_days % 7 == 0:
        every = _("every_weeks", lang, n=row.every_days // 7)
    elif row.every_days:
        every = _("every_days", lang, n=row.every_days)
    else:
        every = _("once", lang)
    return _("reminder_line", lang, id=row.id, text=clip(row.text, NOTE), every=every,
             next=fmt_day(row.next_date, lang))  # fmt: skip


def member_role(role: str, lang: str) -> str:
    return {
        "tech": _("member_tech", lang),
        "service": _("member_service", lang),
        "legal": _("member_legal", lang),
        "finance": _("member_finance", lang),
        "exec_sponsor": _("member_exec_sponsor", lang),
        "other": _("member_other", lang),
    }.get(role, role)


def owner_line(counts: FileCounts, lang: str) -> str:
    """``Alice Chen (@alice) · owner · East``."""
    team = f" · {counts.team}" if counts.team else ""
    return _("owner_line", lang, name=counts.owner, handle=counts.owner_handle, team=team)


def member_line(row: Any, lang: str, tz: ZoneInfo) -> str:
    """``Dave Li (@dave) · tech · since Nov 3, 2026``."""
    return _("member_line", lang, name=row.name, handle=row.handle,
             role=member_role(row.role, lang), date=fmt_day(row.created_at, lang, tz))  # fmt: skip


def change_line(group: Sequence[TrailEntry], account: Account, lang: str, tz: ZoneInfo) -> str:
    """``Nov 18, 2026 10:05 · Alice Chen (slack) · visit logged at Acme`` — one command."""
    entries: list[AuditEntry] = [item.entry for item in group]
    first = group[0]
    when = max(e.at for e in entries).astimezone(tz)
    who = first.actor_name or first.actor_handle or _("kam", lang)
    names = {account.id: account.name} if account.id is not None else {}
    names |= {
        item.entry.account_id: item.account_name
        for item in group
        if item.entry.account_id is not None and item.account_name
    }
    undo = next((e for e in entries if e.action == "undo"), None)
    if undo is not None:
        what = _("undid", lang, what=undo.summary.partition(": ")[2] or undo.summary)
    else:
        what = describe_entries(entries, names, lang)
        if all(e.undone_at is not None for e in entries):
            what += _("undone", lang)
    return f"{fmt_day(when, lang)} {when:%H:%M} · {who} ({first.entry.channel}) · {what}"
