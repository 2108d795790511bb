"""Next steps due: owners hear of their open steps due today or overdue (daily at
``tasks_time``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.i18n import Catalog
from handlers.replies import Action, Reply, Severity
from handlers.views import fmt_date
from schedules.delivery import Outbound
from schedules.plan import MAX_LINES, Plan, more_mine
from schedules.registry import JobSpec
from schedules.timing import Slot
from storage import queries

_ = Catalog("schedules.jobs.tasks")
DONE_BUTTONS = 5  # one phone screen of buttons; the rest are in /tasks


def build(plan: Plan) -> list[Outbound]:
    owners = plan.user_keys("due", plan.due_users())
    if not owners:
        return []
    people, now = plan.people, plan.now
    tasks = queries.open_tasks_due(plan.session, before=now + timedelta(days=2))
    by_owner = defaultdict(list)
    for t in tasks:
        if t.owner_id in owners:
            by_owner[t.owner_id].append(t)
    out = []
    for owner_id, (key, recipient) in owners.items():
        lang, tz = recipient.lang, plan.tz(people.users[owner_id])
        today = plan.due_for(people.users[owner_id])
        end_of_today = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz)
        start_of_today = datetime.combine(today, datetime.min.time(), tz)
        mine = [t for t in by_owner.get(owner_id, []) if t.due_at < end_of_today]
        if not mine:
            continue
        overdue = [t for t in mine if t.due_at < start_of_today]
        due_today = [t for t in mine if t.due_at >= start_of_today]
        reply = Reply(
            title=_("tasks_title", lang, overdue=len(overdue), today=len(due_today)),
            severity=Severity.warning if overdue else Severity.info,
        )
        overdue_lines = [_overdue_line(t, today, lang, tz) for t in overdue[:MAX_LINES]]
        if len(overdue) > MAX_LINES:
            overdue_lines.append(more_mine(lang, len(overdue) - MAX_LINES))
        reply.add_section(_("overdue", lang), overdue_lines)
        reply.add_section(
            _("due_today", lang),
            [
                _("task_today", lang, id=t.id, account=t.account_name, text=t.text)
                for t in due_today[:MAX_LINES]
            ],
        )
        reply.actions = [
            Action(_("done", lang, id=t.id), f"done {t.id}", style="primary")
            for t in mine[:DONE_BUTTONS]
        ]
        accounts = list(dict.fromkeys(t.account_name for t in mine[:DONE_BUTTONS]))
        if len(accounts) == 1:  # one account: the call and the pause fit on a phone too
            reply.actions += account_actions(accounts[0], lang)
        out.append(Outbound(key, recipient, reply))
    return out


def account_actions(account: str, lang: str) -> list[Action]:
    """A push's buttons for one account: log a call (a form, prefilled) and pause its
    contact reminders for a week."""
    return [
        Action(_("call", lang, account=account), f"call {account} ", kind="modal"),
        Action(_("snooze", lang, account=account), f"snooze {account} 1w"),
    ]


def _overdue_line(t, today: date, lang: str, tz: ZoneInfo) -> str:
    days = (today - t.due_at.astimezone(tz).date()).days
    if days == 1:
        return _("task_overdue_one", lang, id=t.id, account=t.account_name, text=t.text)
    date_text = fmt_date(t.due_at, lang, tz)
    return _(
        "task_overdue", lang, id=t.id, account=t.account_name, text=t.text, date=date_text, n=days
    )


JOB = JobSpec(
    name="tasks",
    summary="Next steps due today or overdue, to their owners.",
    slot=lambda settings: Slot(settings.schedule.tasks_time),
    build=build,
)
