"""Account-team pushes (协同): the supporting members of an account hear what concerns
their role there (daily at ``lapse_time``).

* finance members: the open invoices past due at the accounts they are on;
* executive sponsors: the strategic (A-tier) accounts they sponsor that are past the
  tier's contact cadence — kam keeps no separate rule for executive contact (the
  ``executive_contact`` tier factor is a yes/no), so the sponsor hears the lapse that
  matters most to an executive relationship.

Service members hear of new complaints and low CSAT at once, from ``/complaint`` and
``/csat`` (``handlers.people.tell_owner_and_managers``), not from here.

One message per person, subject and day (the delivery ledger keeps it exactly once);
each person's accounts are read bounded (``LIMIT`` invoices, ``SPONSORED`` accounts),
never the whole book.
"""

from __future__ import annotations

from datetime import timedelta

from domain.models import MemberRole
from handlers.digest import find_lapsed, lapsed_line, log_visit
from handlers.i18n import Catalog
from handlers.replies import Action, Reply, Severity
from handlers.views import fmt_money
from schedules.delivery import Outbound
from schedules.plan import MAX_BUTTONS, MAX_LINES, Plan, more_mine
from schedules.registry import JobSpec
from schedules.timing import Slot
from storage import members, queries

SPONSORED = 500
"""Accounts read per executive sponsor (oldest membership first)."""

_ = Catalog("schedules.jobs.team")


def build(plan: Plan) -> list[Outbound]:
    due = plan.due_users()
    if not due:
        return []
    finance = members.who_has_role(plan.session, MemberRole.finance.value, due)
    sponsors = members.who_has_role(plan.session, MemberRole.exec_sponsor.value, due)
    out = _receivables(plan, plan.user_keys("receivables", {u: due[u] for u in finance}))
    out += _sponsored(plan, plan.user_keys("sponsor", {u: due[u] for u in sponsors}))
    return out


def _receivables(plan: Plan, keys) -> list[Outbound]:
    out = []
    for user_id, (key, recipient) in keys.items():
        lang, tz = recipient.lang, plan.tz(plan.people.users[user_id])
        today = plan.now.astimezone(tz).date()
        items, total = members.overdue_invoices_of_member(
            plan.session, user_id, MemberRole.finance.value, today=today, limit=MAX_LINES
        )
        if not items:
            continue
        lines = [
            _(
                "invoice_line",
                lang,
                account=i.account_name,
                number=i.number or "—",
                amount=fmt_money(i.open_amount, i.currency, lang),
                days=(today - i.due_on).days,
            )
            for i in items
        ]
        if total > len(items):
            lines.append(more_mine(lang, total - len(items)))
        names = list(dict.fromkeys(i.account_name for i in items))
        reply = Reply(
            title=_("receivables_title", lang, n=total),
            lines=lines,
            severity=Severity.warning,
            actions=[
                Action(_("receivables_button", lang, name=name), f"invoice {name}")
                for name in names[:MAX_BUTTONS]
            ],
        )
        out.append(Outbound(key, recipient, reply))
    return out


def _sponsored(plan: Plan, keys) -> list[Outbound]:
    if not keys:
        return []
    people, settings, now = plan.people, plan.settings, plan.now
    accounts = members.accounts_by_member(
        plan.session, keys, MemberRole.exec_sponsor.value, limit=SPONSORED
    )
    quiet_before = {"A": now - timedelta(days=settings.cadence.days_for("A") - 1)}
    out = []
    for user_id, (key, recipient) in keys.items():
        ids = accounts.get(user_id)
        if not ids:
            continue
        tz = plan.tz(people.users[user_id])
        rows = queries.account_rows(
            plan.session, now=now, quiet_before=quiet_before, id_range=frozenset(ids)
        )
        lapsed = find_lapsed(rows, settings=settings, now=now, tz_of=lambda _r, tz=tz: tz)
        if not lapsed:
            continue
        lang = recipient.lang
        lines = [lapsed_line(i, lang, tz) for i in lapsed[:MAX_LINES]]
        if len(lapsed) > MAX_LINES:
            lines.append(more_mine(lang, len(lapsed) - MAX_LINES))
        reply = Reply(
            title=_("sponsor_title", lang, n=len(lapsed)),
            lines=lines,
            severity=Severity.warning,
            actions=[log_visit(i.account.name, lang) for i in lapsed[:MAX_BUTTONS]],
        )
        out.append(Outbound(key, recipient, reply))
    return out


JOB = JobSpec(
    name="team",
    summary="Account-team pushes: overdue receivables to finance members, lapsed "
    "strategic accounts to their executive sponsors.",
    slot=lambda settings: Slot(settings.schedule.lapse_time),
    build=build,
)
