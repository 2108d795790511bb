"""The weekly report (周报), drafted from what was logged: one person's week, ready to
forward, and a team's roll-up, a line per person.

``gather`` reads the week of some people (``storage.week`` and two queries the pushes
use); ``person_reply`` and ``team_reply`` word it.  The same replies serve ``/week``
and the Friday / Monday pushes (``schedules.jobs.week``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.models import DealStage, InteractionKind, User
from domain.policy import Policy
from handlers.i18n import Catalog
from handlers.replies import Reply, Section
from handlers.views import clip, fmt_day, fmt_money, label
from storage import queries, week
from storage.queries import AccountRow, TaskRow

_ = Catalog("views.week")

LIST = 6  # lines per section of a person's report; the counts cover them all


@dataclass(frozen=True)
class Week:
    """Monday to Sunday in one time zone: ``[start, end)``."""

    monday: date
    tz: ZoneInfo

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo, *, shift: int = 0) -> Week:
        day = moment.astimezone(tz).date()
        return cls(day - timedelta(days=day.weekday()) + timedelta(weeks=shift), tz)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.monday, datetime.min.time(), self.tz)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=7)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass
class PersonWeek:
    user: User
    contacts: list[week.ContactCount] = field(default_factory=list)
    moves: list[week.StageMove] = field(default_factory=list)
    done: list[week.DoneTask] = field(default_factory=list)
    overdue: list[TaskRow] = field(default_factory=list)
    due_next: list[TaskRow] = field(default_factory=list)
    closing_next: list[week.ClosingDeal] = field(default_factory=list)
    lapsed: list[AccountRow] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.contacts
            or self.moves
            or self.done
            or self.overdue
            or self.due_next
            or self.closing_next
            or self.lapsed
        )

    @property
    def won(self) -> list[week.StageMove]:
        return [m for m in self.moves if m.to_stage == DealStage.won.value]


def gather(
    session: Session,
    people: Collection[User],
    the_week: Week,
    *,
    now: datetime,
    settings: Policy,
) -> dict[int, PersonWeek]:
    """Each person's week (a few grouped statements for all of them together)."""
    out = {u.id: PersonWeek(u) for u in people}
    ids = list(out)
    if not ids:
        return out
    start, end = the_week.start, the_week.end
    for c in week.contacts(session, ids, start, end):
        out[c.author_id].contacts.append(c)
    for m in week.stage_moves(session, ids, start, end):
        out[m.owner_id].moves.append(m)
    for t in week.tasks_done(session, ids, start, end):
        out[t.owner_id].done.append(t)
    reference = min(now, end)  # a past week: what was overdue at its end
    next_end = end + timedelta(days=7)
    for t in queries.open_tasks_due(session, before=next_end, owner_ids=ids):
        if t.owner_id not in out:
            continue
        if t.due_at < reference:
            out[t.owner_id].overdue.append(t)
        elif t.due_at >= end:
            out[t.owner_id].due_next.append(t)
    for d in week.deals_closing(
        session, ids, the_week.sunday + timedelta(days=1), the_week.sunday + timedelta(days=7)
    ):
        out[d.owner_id].closing_next.append(d)
    rows = queries.account_rows(session, now=now, owner_ids=ids, planned_steps=False)
    for row in rows:
        if row.last_contact is None or row.owner_id not in out:
            continue
        if row.snoozed_until is not None and row.snoozed_until >= the_week.monday:
            continue
        lapsed_at = row.last_contact + timedelta(days=settings.cadence.days_for(row.tier))
        if start <= lapsed_at < min(end, now + timedelta(seconds=1)):
            out[row.owner_id].lapsed.append(row)
    return out


def _span(the_week: Week, lang: str) -> str:
    return _("span", lang, start=fmt_day(the_week.monday, lang), end=fmt_day(the_week.sunday, lang))


def _money(amounts: list[tuple[Decimal, str]], lang: str, settings: Policy) -> str:
    """A sum in the house currency when every amount is in it, else each currency's sum."""
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for amount, currency in amounts:
        by_currency[currency] += amount
    return " + ".join(fmt_money(v, c, lang) for c, v in sorted(by_currency.items()))


def person_reply(p: PersonWeek, the_week: Week, *, lang: str, settings: Policy, own: bool) -> Reply:
    """One person's week, to forward as their 周报."""
    title_key = "title_own" if own else "title_of"
    reply = Reply(title=_(title_key, lang, name=p.user.display_name, span=_span(the_week, lang)))
    visits = sum(c.n for c in p.contacts)
    accounts = len({c.account_id for c in p.contacts})
    reply.lines.append(
        _(
            "summary",
            lang,
            contacts=visits,
            accounts=accounts,
            moved=len({m.deal_id for m in p.moves}),
            won=len(p.won),
            done=len(p.done),
            overdue=len(p.overdue),
        )
    )
    if p.contacts:
        per_account: dict[int, list[week.ContactCount]] = defaultdict(list)
        for c in p.contacts:
            per_account[c.account_id].append(c)
        ordered = sorted(
            per_account.values(), key=lambda cs: (-sum(c.n for c in cs), cs[0].account)
        )
        lines = [
            f"{cs[0].account} — "
            + ", ".join(f"{label(c.kind, lang)} ×{c.n}" for c in sorted(cs, key=_kind_order))
            for cs in ordered
        ]
        reply.sections.append(Section(_("contacts", lang, n=visits), _bounded(lines, lang)))
    if p.moves:
        lines = []
        for m in p.moves:
            stage = (
                f"{label(m.from_stage, lang) if m.from_stage else '—'} → {label(m.to_stage, lang)}"
            )
            lines.append(
                f"{m.account} · {clip(m.deal, 40)}: {stage} · {fmt_money(m.amount, m.currency, lang)}"
            )
        title = _("deals", lang, n=len({m.deal_id for m in p.moves}))
        if p.won:
            title += _(
                "won_total",
                lang,
                total=_money([(m.amount, m.currency) for m in p.won], lang, settings),
            )
        reply.sections.append(Section(title, _bounded(lines, lang)))
    if p.done or p.overdue:
        lines = [f"✓ {t.account} · {clip(t.text, 50)}" for t in p.done]
        lines += [
            _(
                "overdue_line",
                lang,
                account=t.account_name,
                text=clip(t.text, 50),
                date=fmt_day(t.due_at, lang, the_week.tz),
            )
            for t in p.overdue
        ]
        reply.sections.append(
            Section(
                _("steps", lang, done=len(p.done), overdue=len(p.overdue)), _bounded(lines, lang)
            )
        )
    if p.lapsed:
        lines = [
            _(
                "lapsed_line",
                lang,
                account=r.name,
                tier=r.tier,
                date=fmt_day(r.last_contact, lang, the_week.tz),
            )
            for r in sorted(p.lapsed, key=lambda r: (r.tier, r.name))
        ]
        reply.sections.append(Section(_("lapsed", lang, n=len(p.lapsed)), _bounded(lines, lang)))
    if p.due_next or p.closing_next:
        lines = [
            f"{fmt_day(t.due_at, lang, the_week.tz)} · {t.account_name} · {clip(t.text, 50)}"
            for t in p.due_next
        ]
        lines += [
            _(
                "closing_line",
                lang,
                date=fmt_day(d.close_date, lang),
                account=d.account,
                deal=clip(d.deal, 40),
                stage=label(d.stage, lang),
                amount=fmt_money(d.amount, d.currency, lang),
            )
            for d in p.closing_next
        ]
        reply.sections.append(Section(_("next_week", lang), _bounded(lines, lang)))
    if p.empty:
        reply.lines.append(_("nothing", lang))
    return reply


def team_reply(
    team_name: str, weeks: list[PersonWeek], the_week: Week, *, lang: str, settings: Policy
) -> Reply:
    """A team's week, one line per person (most contacts first)."""
    reply = Reply(title=_("team_title", lang, team=team_name, span=_span(the_week, lang)))
    ordered = sorted(weeks, key=lambda p: (-sum(c.n for c in p.contacts), p.user.display_name))
    lines = []
    for p in ordered:
        won = _money([(m.amount, m.currency) for m in p.won], lang, settings) if p.won else "—"
        lines.append(
            _(
                "team_line",
                lang,
                name=p.user.display_name,
                contacts=sum(c.n for c in p.contacts),
                accounts=len({c.account_id for c in p.contacts}),
                moved=len({m.deal_id for m in p.moves}),
                won=won,
                done=len(p.done),
                overdue=len(p.overdue),
                lapsed=len(p.lapsed),
            )
        )
    total = sum(sum(c.n for c in p.contacts) for p in weeks)
    reply.lines.append(_("team_summary", lang, people=len(weeks), contacts=total))
    reply.sections.append(Section(None, tuple(lines)))
    reply.footer = _("team_more", lang)
    return reply


_KINDS = [k.value for k in InteractionKind]


def _kind_order(c: week.ContactCount) -> tuple[int, int]:
    """Most first; a tie in the usual order: visits, calls, meetings, meals, messages."""
    return (-c.n, _KINDS.index(c.kind) if c.kind in _KINDS else len(_KINDS))


def _bounded(lines: list[str], lang: str) -> tuple[str, ...]:
    if len(lines) <= LIST:
        return tuple(lines)
    return (*lines[: LIST - 1], _("more", lang, n=len(lines) - (LIST - 1)))
