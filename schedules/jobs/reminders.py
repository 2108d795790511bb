"""Recurring reminders: owners hear of their ``/remind`` reminders whose day has come
(daily at ``reminders_time``); once sent, each reminder moves on to its next date."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import insert
from sqlmodel import Session, select

from domain.models import AuditEntry, Reminder
from domain.recurrence import Every, advance
from handlers.i18n import Catalog
from handlers.replies import Reply
from handlers.views import fmt_day
from schedules.delivery import Outbound
from schedules.jobs.tasks import account_actions
from schedules.plan import Plan
from schedules.registry import JobSpec
from schedules.timing import Slot
from storage import audit, queries

_ = Catalog("schedules.jobs.reminders")
ACCOUNT_BUTTONS = 5  # two buttons each: ten on a phone screen


def describe_every(reminder: Reminder, lang: str) -> str:
    days, months = reminder.every_days, reminder.every_months
    if days and months:
        return f"{_describe(0, months, lang)} + {_describe(days, 0, lang)}"
    if not days and not months:
        return _("once", lang)
    return _describe(days, months, lang)


def _describe(days: int, months: int, lang: str) -> str:
    if months:
        if months % 12 == 0:
            n = months // 12
            return _("every_year", lang) if n == 1 else _("every_years", lang, n=n)
        return _("every_month", lang) if months == 1 else _("every_months", lang, n=months)
    if days % 7 == 0:
        n = days // 7
        return _("every_week", lang) if n == 1 else _("every_weeks", lang, n=n)
    return _("every_day", lang) if days == 1 else _("every_days", lang, n=days)


def next_after(reminder: Reminder, after: date) -> date | None:
    """The reminder's first date after ``after``; None for a one-off reminder."""
    if not (reminder.every_days or reminder.every_months):
        return None
    step = Every(days=reminder.every_days, months=reminder.every_months)
    return advance(step, reminder.start_date, after)


def _advance_reminders(sent: dict[int, date], today: date, request_id: str):
    """After the message is sent: move each of its reminders past ``today``.

    A reminder changed meanwhile (``/remind`` moved or cancelled it) is left as its
    owner set it.  A one-off reminder is retired.  Set-based: one read, one batch of
    updates and one of audit entries, however many reminders the message held.
    """

    def apply(session: Session, now: datetime) -> None:
        rows = session.exec(select(Reminder).where(Reminder.id.in_(sorted(sent)))).all()
        entries = []
        for reminder in rows:
            if not reminder.active or reminder.next_date != sent[reminder.id]:
                continue
            before = audit.snapshot(reminder)
            nxt = next_after(reminder, max(today, reminder.next_date))
            if nxt is None:
                reminder.active = False
            else:
                reminder.next_date = nxt
            session.add(reminder)
            entries.append(
                {
                    "at": now,
                    "actor_id": None,
                    "channel": "schedule",
                    "request_id": request_id[:64],
                    "action": "update",
                    "entity": Reminder.__tablename__,
                    "entity_id": reminder.id,
                    "account_id": reminder.account_id,
                    "summary": f"reminder sent for {before['next_date']}",
                    "before": before,
                    "after": audit.snapshot(reminder),
                }
            )
        session.flush()
        if entries:  # one batch, not a statement per reminder
            session.execute(insert(AuditEntry), entries)

    return apply


def build(plan: Plan) -> list[Outbound]:
    owners = plan.user_keys("due", plan.due_users())
    if not owners:
        return []
    days = {u: plan.due_for(plan.people.users[u]) for u in owners}
    rows = queries.reminders_due(
        plan.session, on_or_before=max(days.values()), owner_ids=sorted(owners)
    )
    by_owner = defaultdict(list)
    for row in rows:
        if row.reminder.next_date <= days[row.owner_id]:
            by_owner[row.owner_id].append(row)
    out = []
    for owner_id, (key, recipient) in owners.items():
        mine = by_owner.get(owner_id)
        if not mine:
            continue
        lang, today = recipient.lang, days[owner_id]
        lines = []
        for row in mine:
            r = row.reminder
            line = _("reminder_line", lang, account=row.account_name, text=r.text)
            if r.next_date < today:
                line += _("was_due", lang, date=fmt_day(r.next_date, lang))
            nxt = next_after(r, max(today, r.next_date))
            line += _("repeats", lang, every=describe_every(r, lang))
            if nxt is not None:
                line += _("next", lang, date=fmt_day(nxt, lang))
            lines.append(line)
        title = (
            _("reminder_title", lang, account=mine[0].account_name)
            if len(mine) == 1
            else _("reminders_title", lang, n=len(mine))
        )
        sent = {row.reminder.id: row.reminder.next_date for row in mine}
        after = _advance_reminders(sent, today, str(key))
        reply = Reply(title=title, lines=lines)
        for account in list(dict.fromkeys(row.account_name for row in mine))[:ACCOUNT_BUTTONS]:
            reply.actions += account_actions(account, lang)
        out.append(Outbound(key, recipient, reply, after_sent=after))
    return out


JOB = JobSpec(
    name="reminders",
    summary="Reminders set with /remind whose day has come, to the account's owner.",
    slot=lambda settings: Slot(settings.schedule.reminders_time),
    build=build,
)
