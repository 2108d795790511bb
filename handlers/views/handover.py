"""The handover brief (``/handover``): what a new owner needs to know about an account,
in the new owner's language.

One message per account, up to ``BRIEF_LIMIT`` (the most important first: tier, then
score); the rest in one index message pointing at ``/account NAME``.  Each brief is
built from the facts ``/account`` reads (``storage.summary.account_facts``,
``storage.health.health_facts``) and two set-based extras for all briefed accounts
(``storage.handover.brief_extras``: open complaints, contacts who left):

    tier and why (the four score dimensions), last contacts, key contacts and the
    decision chain with its gaps, open deals with stage and age, next steps,
    receivables (overdue), open complaints, birthdays and the partnership anniversary
    ahead, and the previous owner's note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from domain.cadence import contact_status
from domain.calendar import next_anniversary
from domain.errors import InvalidInput
from domain.models import INACTIVE_STATUSES, Account, ContactRole, User
from domain.policy import Policy
from handlers.i18n import Catalog
from handlers.replies import Action, Field, Reply
from handlers.views import (
    clip,
    fmt_date,
    fmt_day,
    fmt_money,
    format_birthday,
    interaction_line,
    label,
    upcoming_birthdays,
)
from handlers.views.health import fmt_amounts
from handlers.views.tiers import tier_label
from storage.handover import BriefExtras, brief_extras
from storage.health import HealthFacts, health_facts
from storage.summary import AccountFacts, account_facts, days_in_stage

BRIEF_LIMIT = 10  # accounts that get a brief of their own; the rest are in the index
INDEX_LIMIT = 60  # accounts the index names one by one
AHEAD_DAYS = 30  # birthdays and anniversaries this close are in the brief
SECTION_LINES = 5
CONTACT_LINES = 6
# the decision chain read top down: who decides first, who blocks last
ROLE_ORDER = (
    ContactRole.decision_maker,
    ContactRole.champion,
    ContactRole.influencer,
    ContactRole.procurement,
    ContactRole.user,
    ContactRole.blocker,
)

_ = Catalog("views.handover")


@dataclass(frozen=True)
class Handed:
    """Who handed what to whom: the briefs' common header."""

    giver: User
    receiver: User
    actor: User
    note: str | None


def importance(account: Account) -> tuple[Any, ...]:
    """Sort key: active accounts first, then tier A→C, then the higher score."""
    return (
        account.status in INACTIVE_STATUSES,
        account.effective_tier,
        -account.score,
        account.name.casefold(),
    )


def handover_messages(
    session: Session,
    accounts: Sequence[Account],
    handed: Handed,
    *,
    now: datetime,
    settings: Policy,
) -> list[Reply]:
    """The receiver's messages: a brief per account (the ``BRIEF_LIMIT`` most important),
    then one index of the rest.  In the receiver's language and timezone."""
    receiver = handed.receiver
    lang, tz = receiver.language, ZoneInfo(receiver.timezone)
    local_now = now.astimezone(tz)
    ordered = sorted(accounts, key=importance)
    briefed, rest = ordered[:BRIEF_LIMIT], ordered[BRIEF_LIMIT:]
    extras = brief_extras(session, [a.id for a in briefed])
    out = []
    for account in briefed:
        facts = account_facts(
            session, account, year=local_now.year, tz=tz, fx_rates=settings.fx_rates
        )
        health = health_facts(session, account, now=local_now, settings=settings, tz=tz)
        out.append(Brief(facts, health, extras, handed, local_now, settings, lang).reply())
    if rest:
        out.append(index(rest, handed, lang))
    return out


def index(accounts: Sequence[Account], handed: Handed, lang: str) -> Reply:
    """One message naming the accounts that got no brief of their own."""
    reply = Reply(
        title=_("index_title", lang, n=len(accounts), giver=handed.giver.display_name),
        lines=[_("index_intro", lang)],
    )
    shown = accounts[:INDEX_LIMIT]
    reply.add_section(
        None,
        [
            _("index_line", lang, tier=a.effective_tier, account=a.name,
              command=_("account_command", lang, account=a.name))
            for a in shown
        ],
    )  # fmt: skip
    if len(accounts) > len(shown):
        reply.lines.append(_("index_more", lang, n=len(accounts) - len(shown)))
    if handed.note:
        reply.fields.append(Field(_("note", lang, giver=handed.giver.display_name), handed.note))
    return reply


@dataclass
class Brief:
    facts: AccountFacts
    health: HealthFacts
    extras: BriefExtras
    handed: Handed
    now: datetime  # in the receiver's timezone
    settings: Policy
    lang: str

    @property
    def tz(self) -> ZoneInfo:
        assert isinstance(self.now.tzinfo, ZoneInfo)
        return self.now.tzinfo

    def reply(self) -> Reply:
        f, lang, a = self.facts, self.lang, self.facts.account
        giver = self.handed.giver.display_name
        reply = Reply(title=_("title", lang, account=a.name, giver=giver))
        tier = f"{a.effective_tier} {tier_label(a.effective_tier, lang)} · {a.score:.0f}"
        if a.tier_override:
            tier += _("override", lang, reason=a.tier_override_reason or "—")
        reply.fields.append(Field(_("tier", lang), tier))
        reply.fields.append(Field(_("why", lang), self._why()))
        if a.status != "active":
            reply.fields.append(Field(_("status", lang), label(a.status, lang)))
        reply.fields.append(Field(_("last_contact", lang), self._last_contact()))
        if f.team_name:
            reply.fields.append(Field(_("team", lang), f.team_name))
        if a.snoozed_until and a.snoozed_until >= self.now.date():
            until = fmt_day(a.snoozed_until, lang)
            reply.fields.append(
                Field(_("snoozed", lang), _("snoozed_value", lang, until=until,
                                             reason=a.snooze_reason or "—"))
            )  # fmt: skip
        if self.handed.note:
            reply.fields.append(Field(_("note", lang, giver=giver), self.handed.note))
        reply.add_section(_("recent", lang), self._recent() or [_("none_yet", lang)])
        reply.add_section(_("chain", lang), self._chain())
        reply.add_section(_("deals", lang), self._deals())
        reply.add_section(_("tasks", lang), self._tasks())
        reply.add_section(_("money", lang), self._money())
        reply.add_section(_("complaints", lang), self._complaints())
        reply.add_section(_("ahead", lang, days=AHEAD_DAYS), self._ahead())
        reply.actions.append(Action(_("open", lang), f"account {a.name}"))
        return reply

    # --- the parts ---------------------------------------------------------------------

    def _why(self) -> str:
        a = self.facts.account
        return _(
            "dims", self.lang,
            c=f"{a.score_current:.0f}", p=f"{a.score_potential:.0f}",
            s=f"{a.score_strategic:.0f}", r=f"{a.score_relationship:.0f}",
        )  # fmt: skip

    def _last_contact(self) -> str:
        a, lang = self.facts.account, self.lang
        status = contact_status(
            self.facts.last_contact, a.effective_tier, self.now, self.settings.cadence, self.tz
        )
        if status.days_since is None:
            return _("never", lang, cadence=status.cadence)
        text = _("days_ago", lang, days=status.days_since, cadence=status.cadence)
        if status.lapsed:
            text += _("lapsed", lang, n=status.overdue_days)
        return text

    def _recent(self) -> list[str]:
        lang, tz = self.lang, self.tz
        return [interaction_line(i, lang, tz) for i in self.facts.recent]

    def _contacts(self) -> list[Any]:
        """The contacts still at the company."""
        return [c for c in self.facts.contacts if c.id not in self.extras.left]

    def _chain(self) -> list[str]:
        lang = self.lang
        contacts = self._contacts()
        rank = {role.value: i for i, role in enumerate(ROLE_ORDER)}
        ordered = sorted(contacts, key=lambda c: (rank.get(c.role or "", len(rank)), c.id))
        lines = []
        for c in ordered[:CONTACT_LINES]:
            bits = [c.name] + ([c.title] if c.title else [])
            bits.append(label(c.role, lang) if c.role else _("no_role", lang))
            lines.append(" · ".join(bits))
        if len(ordered) > CONTACT_LINES:
            lines.append(_("more_contacts", lang, n=len(ordered) - CONTACT_LINES,
                           account=self.facts.account.name))  # fmt: skip
        lines += [f"⚠ {gap}" for gap in self._gaps(contacts)]
        return lines

    def _gaps(self, contacts: list[Any]) -> list[str]:
        """What the decision chain lacks: nobody, no decision maker, no champion, one
        thread only, a blocker to win over, people whose part is unknown."""
        lang = self.lang
        if not contacts:
            return [_("gap_nobody", lang)]
        roles = [c.role for c in contacts]
        gaps = []
        if ContactRole.decision_maker.value not in roles:
            gaps.append(_("gap_no_dm", lang))
        if ContactRole.champion.value not in roles:
            gaps.append(_("gap_no_champion", lang))
        if len(contacts) == 1:
            gaps.append(_("gap_single", lang, name=contacts[0].name))
        for c in contacts:
            if c.role == ContactRole.blocker.value:
                gaps.append(_("gap_blocker", lang, name=c.name))
        unknown = [c.name for c in contacts if not c.role]
        if unknown:
            gaps.append(_("gap_unknown_role", lang, names=", ".join(unknown[:3])))
        return gaps

    def _deals(self) -> list[str]:
        lang, today = self.lang, self.now.date()
        out = [
            _(
                "deal_line", lang,
                name=d.name, stage=label(d.stage, lang),
                amount=fmt_money(d.amount, d.currency, lang),
                days=days_in_stage(d, today, self.tz), close=fmt_day(d.close_date, lang),
            )
            for d in self.facts.open_deals[:SECTION_LINES]
        ]  # fmt: skip
        return self._more(out, len(self.facts.open_deals))

    def _tasks(self) -> list[str]:
        lang = self.lang
        out = [
            f"#{t.id} {clip(t.text, 60)} · {self._due(t.due_at)}"
            for t in self.facts.open_tasks[:SECTION_LINES]
        ]
        return self._more(out, len(self.facts.open_tasks)) or [_("no_tasks", lang)]

    def _due(self, due_at: datetime | None) -> str:
        lang = self.lang
        if due_at is None:
            return _("no_due", lang)
        day = fmt_day(due_at, lang, self.tz)
        late = (self.now.date() - due_at.astimezone(self.tz).date()).days
        return _("overdue", lang, days=late, date=day) if late > 0 else _("due", lang, date=day)

    def _money(self) -> list[str]:
        r, lang = self.health.receivables, self.lang
        if not r.open:
            return []
        line = _("open_money", lang, open=fmt_amounts(r.open, lang), n=r.open_invoices)
        if r.overdue_invoices:
            line += _("overdue_money", lang, overdue=fmt_amounts(r.overdue, lang),
                      n=r.overdue_invoices, days=r.oldest_overdue_days or 0)  # fmt: skip
        return [line]

    def _complaints(self) -> list[str]:
        lang = self.lang
        found = self.extras.complaints.get(self.facts.account.id, [])
        out = [
            _("complaint_line", lang, date=fmt_date(c.opened_at, lang, self.tz),
              days=max((self.now - c.opened_at).days, 0), text=clip(c.text, 80))
            for c in found[:SECTION_LINES]
        ]  # fmt: skip
        return self._more(out, len(found))

    def _ahead(self) -> list[str]:
        lang, today = self.lang, self.now.date()
        lines: list[tuple[date, str]] = []
        try:
            coming = upcoming_birthdays(list(self._contacts()), today, AHEAD_DAYS)
        except InvalidInput:  # a lunar date beyond the calendar's table
            coming = []
        for when, c, b in coming:
            title = f" ({c.title})" if c.title else ""
            lunar = f" · {format_birthday(b, lang)}" if b.lunar else ""
            lines.append(
                (when, _("birthday", lang, date=fmt_date(when, lang), name=c.name, title=title,
                         lunar=lunar))
            )  # fmt: skip
        start = self.facts.account.partnership_start
        if start is not None:
            when, years = next_anniversary(start, today)
            if when <= today + timedelta(days=AHEAD_DAYS):
                lines.append(
                    (when, _("anniversary", lang, date=fmt_date(when, lang), n=years,
                             start=fmt_day(start, lang)))
                )  # fmt: skip
        return [text for _when, text in sorted(lines, key=lambda t: t[0])]

    def _more(self, lines: list[str], total: int) -> list[str]:
        if total > len(lines):
            lines.append(_("more", self.lang, n=total - len(lines)))
        return lines


def confirmation(
    handed: Handed, accounts: Sequence[Account], lang: str, *, to_giver: bool
) -> Reply:
    """The one line the previous owner and the managers get."""
    names = [a.name for a in sorted(accounts, key=importance)]
    shown = ", ".join(names[:5]) + (_("and_more", lang, n=len(names) - 5) if len(names) > 5 else "")
    key = "told_giver" if to_giver else "told_manager"
    return Reply(
        title=_(
            key, lang, actor=handed.actor.display_name, giver=handed.giver.display_name,
            receiver=handed.receiver.display_name, n=len(accounts), accounts=shown,
        )
    )  # fmt: skip
