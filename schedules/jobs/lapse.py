"""Lapse-in-contact warnings: owners hear of their accounts past the tier's cadence,
managers of those past twice the cadence (one message each, daily at ``lapse_time``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from domain.tiers import TIERS
from handlers.digest import find_lapsed, lapsed_line, log_visit
from handlers.i18n import Catalog
from handlers.replies import Action, Reply, Severity
from schedules.delivery import Outbound
from schedules.jobs.tasks import account_actions
from schedules.plan import MAX_BUTTONS, MAX_LINES, Plan, more_mine
from schedules.registry import JobSpec
from schedules.timing import Slot
from storage import queries

_ = Catalog("schedules.jobs.lapse")
ACCOUNT_BUTTONS = 5  # two buttons each: ten on a phone screen; the rest in /mine


def build(plan: Plan) -> list[Outbound]:
    due = plan.due_users()
    owners = plan.user_keys("accounts", due)
    managers = plan.user_keys(
        "escalations", {u: d for u, d in due.items() if plan.people.is_manager(u)}
    )
    if not owners and not managers:
        return []
    people, settings, now = plan.people, plan.settings, plan.now
    # Narrowed in SQL (a day's slack for time zones and daylight saving); the exact
    # calendar-day rule in each owner's time zone decides below.
    quiet_before = {
        tier: now - timedelta(days=settings.cadence.days_for(tier) - 1) for tier in TIERS
    }
    rows = queries.account_rows(plan.session, now=now, quiet_before=quiet_before)
    rows = [r for r in rows if r.owner_id in people.users]
    lapsed = find_lapsed(
        rows,
        settings=settings,
        now=now,
        tz_of=lambda r: plan.tz(people.users[r.owner_id]),
    )
    by_owner = defaultdict(list)
    by_manager = defaultdict(list)
    for item in lapsed:
        by_owner[item.account.owner_id].append(item)
        if item.status.escalate:
            for manager in people.managers_of(item.account.owner_id):
                by_manager[manager.id].append(item)

    out = []
    for owner_id, (key, recipient) in owners.items():
        items = by_owner.get(owner_id)
        if not items:
            continue
        lang, tz = recipient.lang, plan.tz(people.users[owner_id])
        title = (
            _("lapse_title_one", lang) if len(items) == 1 else _("lapse_title", lang, n=len(items))
        )
        reply = Reply(title=title, severity=Severity.warning)
        unplanned = [i for i in items if not i.planned]
        planned = [i for i in items if i.planned]
        budget = MAX_LINES
        for title_key, group in (("unplanned", unplanned), ("planned", planned)):
            shown = group[: max(budget, 0)]
            budget -= len(shown)
            lines = [lapsed_line(i, lang, tz) for i in shown]
            if len(group) > len(shown):
                lines.append(more_mine(lang, len(group) - len(shown)))
            reply.add_section(_(title_key, lang, n=len(group)), lines)
        for i in items[:ACCOUNT_BUTTONS]:
            reply.actions += [
                log_visit(i.account.name, lang),
                account_actions(i.account.name, lang)[1],
            ]
        out.append(Outbound(key, recipient, reply))

    for manager_id, (key, recipient) in managers.items():
        items = by_manager.get(manager_id)
        if not items:
            continue
        lang, tz = recipient.lang, plan.tz(people.users[manager_id])
        items = sorted(items, key=lambda i: (-i.status.overdue_days, i.account.name.casefold()))
        lines = [
            _(
                "escalation_line",
                lang,
                owner=people.name(i.account.owner_id),
                line=lapsed_line(i, lang, tz),
            )
            for i in items[:MAX_LINES]
        ]
        if len(items) > MAX_LINES:
            lines.append(more_mine(lang, len(items) - MAX_LINES))
        reply = Reply(
            title=_("escalation_title_one", lang)
            if len(items) == 1
            else _("escalation_title", lang, n=len(items)),
            lines=lines,
            severity=Severity.warning,
            actions=[
                Action(_("view", lang, name=i.account.name), f"account {i.account.name}")
                for i in items[:MAX_BUTTONS]
            ],
        )
        out.append(Outbound(key, recipient, reply))
    return out


JOB = JobSpec(
    name="lapse",
    summary="Lapse-in-contact warnings to owners, and to managers past twice the cadence.",
    slot=lambda settings: Slot(settings.schedule.lapse_time),
    build=build,
)
