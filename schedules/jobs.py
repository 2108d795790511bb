"""The scheduled pushes, one function per job, free of APScheduler.

    run_lapse      daily    owners: their accounts past the tier's cadence; managers:
                            those past twice the cadence
    run_birthdays  daily    owners: contacts' birthdays (Gregorian and lunar) and
                            partnership anniversaries, days ahead and on the day
    run_tasks      daily    owners: next steps due today or overdue
    run_reminders  daily    owners: their /remind reminders whose day has come
    run_goals      weekly   everyone with goals: progress; managers: their teams' table
    run_digest     weekdays team chats: the risk digest; managers: what only they may see

Each is ``run_x(engine, settings, notifier, now, *, dry_run=False, on_demand=False)``
and returns a ``JobReport``; every message is one per recipient, job and period.
A run has two phases:

1. **build** (one read-only transaction): find the recipients whose local slot is due
   (``schedules.timing``), drop those whose message for the period is settled in the
   ledger, and — only if anyone is left — scan the book set-based
   (``storage.queries``) and word one ``Outbound`` message per key;
2. **deliver** (``schedules.delivery``): per message, claim the key, send, mark it
   sent.  A failed send is marked for retry with backoff; a later tick inside the
   slot's window rebuilds the message from the current book and tries again.

A recipient with nothing to be told gets no message, and their key stays open: a later
tick inside the window looks again, so what comes up meanwhile still goes out, once.

``on_demand`` (``kam jobs run``) treats every recipient as due now, whatever the time of
day, quiet hours or weekend; the ledger still sends each key once.  ``dry_run`` builds
and reports what would be sent, without claiming or sending anything.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert
from sqlmodel import Session, select

from domain.goals import GoalMetric, PaceStatus
from domain.models import AuditEntry, Reminder, User
from domain.recurrence import Every, advance
from domain.settings import Settings
from domain.tiers import TIERS
from handlers.digest import (
    GoalStatus,
    TeamRisks,
    digest_reply,
    find_lapsed,
    gather_risks,
    goal_line,
    goal_statuses,
    lapsed_line,
    log_visit,
    private_title,
)
from handlers.i18n import Catalog
from handlers.notify import Notifier, Recipient, team_recipients, user_recipient
from handlers.replies import Action, Reply, Severity
from handlers.views import fmt_date, fmt_day
from schedules.delivery import (
    JobReport,
    Outbound,
    deliver,
    ledger_name,
)
from schedules.timing import (
    WEEKDAYS,
    Slot,
    due_day,
    period_of,
    working_days_from,
    zone,
)
from storage import audit, inbound, ledger, queries
from storage.ledger import DeliveryKey
from storage.queries import People
from storage.session import unit_of_work

log = logging.getLogger(__name__)

LAPSE, BIRTHDAYS, TASKS, REMINDERS, GOALS, DIGEST = (
    "lapse",
    "birthdays",
    "tasks",
    "reminders",
    "goals",
    "digest",
)
MAX_LINES = 50
"""Accounts or steps listed in one pushed message; ``/mine`` lists the rest."""
MAX_BUTTONS = 20

_ = Catalog(
    {
        "lapse_title": {
            "en": "{n} of your accounts need contact",
            "zh": "你有 {n} 个客户需要跟进",
        },
        "lapse_title_one": {
            "en": "One of your accounts needs contact",
            "zh": "你有 1 个客户需要跟进",
        },
        "unplanned": {"en": "Nothing planned — {n}", "zh": "尚无安排 — {n}"},
        "planned": {"en": "Planned — {n}", "zh": "已有安排 — {n}"},
        "more_mine": {
            "en": "…and {n} more — /mine lists all",
            "zh": "……还有 {n} 个，发送 /我的 查看全部",
        },
        "escalation_title": {
            "en": "{n} of your team's accounts are past twice their cadence",
            "zh": "团队有 {n} 个客户已超过两倍跟进周期未联系",
        },
        "escalation_title_one": {
            "en": "One of your team's accounts is past twice its cadence",
            "zh": "团队有 1 个客户已超过两倍跟进周期未联系",
        },
        "escalation_line": {"en": "{owner}: {line}", "zh": "{owner}：{line}"},
        "view": {"en": "View {name}", "zh": "查看 {name}"},
        "bd_title": {"en": "Birthdays and anniversaries", "zh": "生日与纪念日"},
        "today": {"en": "Today", "zh": "今天"},
        "tomorrow": {"en": "Tomorrow", "zh": "明天"},
        "in_days": {"en": "In {n} days ({date})", "zh": "{n} 天后（{date}）"},
        "birthday": {
            "en": "{when}: {name}{title} at {account} — birthday{age} ({birthday})",
            "zh": "{when}：{account} {name}{title} — 生日{age}（{birthday}）",
        },
        "age": {"en": ", turns {n}", "zh": "，{n} 岁"},
        "anniversary": {
            "en": "{when}: {account} — {n} years of partnership (since {start})",
            "zh": "{when}：{account} — 合作 {n} 周年（{start} 起）",
        },
        "anniversary_one": {
            "en": "{when}: {account} — one year of partnership (since {start})",
            "zh": "{when}：{account} — 合作 1 周年（{start} 起）",
        },
        "tip_day": {
            "en": "    Tip: call or message them today; a small gift from the team goes a long way.",
            "zh": "    建议：今天打个电话或发条祝福，团队的一份小礼物很加分。",
        },
        "tip_ahead": {
            "en": "    Tip: order a card or gift now so it arrives on the day.",
            "zh": "    建议：现在准备贺卡或礼物，确保当天送到。",
        },
        "tip_lunar": {
            "en": "    Tip: a lunar birthday is often the one family celebrates — a call means a lot.",
            "zh": "    建议：农历生日往往是家人一起过的，打个电话祝福很有心意。",
        },
        "tip_dm": {
            "en": "    Tip: {name} decides — a good moment to ask for a short meeting.",
            "zh": "    建议：{name} 是决策人，正好约个简短的见面。",
        },
        "tip_anniversary": {
            "en": "    Tip: thank them — a note from your manager, or an executive visit.",
            "zh": "    建议：表达感谢——请经理写封感谢信，或安排高层拜访。",
        },
        "tasks_title": {
            "en": "Next steps: {overdue} overdue, {today} due today",
            "zh": "待办：逾期 {overdue} 项，今天到期 {today} 项",
        },
        "overdue": {"en": "Overdue", "zh": "已逾期"},
        "due_today": {"en": "Due today", "zh": "今天到期"},
        "task_overdue": {
            "en": "#{id} {account} — {text} · due {date}, {n} days ago",
            "zh": "#{id} {account} — {text} · {date} 到期，已逾期 {n} 天",
        },
        "task_overdue_one": {
            "en": "#{id} {account} — {text} · due yesterday",
            "zh": "#{id} {account} — {text} · 昨天到期",
        },
        "task_today": {"en": "#{id} {account} — {text}", "zh": "#{id} {account} — {text}"},
        "done": {"en": "Done #{id}", "zh": "完成 #{id}"},
        "reminder_title": {"en": "Reminder: {account}", "zh": "提醒：{account}"},
        "reminders_title": {"en": "{n} reminders today", "zh": "今天有 {n} 条提醒"},
        "reminder_line": {"en": "{account} — {text}", "zh": "{account} — {text}"},
        "was_due": {"en": " (due {date})", "zh": "（原定 {date}）"},
        "repeats": {"en": " · {every}", "zh": " · {every}"},
        "next": {"en": ", next {date}", "zh": "，下次 {date}"},
        "once": {"en": "once", "zh": "仅一次"},
        "every_days": {"en": "every {n} days", "zh": "每 {n} 天"},
        "every_day": {"en": "every day", "zh": "每天"},
        "every_weeks": {"en": "every {n} weeks", "zh": "每 {n} 周"},
        "every_week": {"en": "every week", "zh": "每周"},
        "every_months": {"en": "every {n} months", "zh": "每 {n} 个月"},
        "every_month": {"en": "every month", "zh": "每月"},
        "every_years": {"en": "every {n} years", "zh": "每 {n} 年"},
        "every_year": {"en": "every year", "zh": "每年"},
        "goals_title": {
            "en": "Goal progress · week {week}",
            "zh": "目标进度 · 第 {week} 周",
        },
        "your_goals": {"en": "Your goals", "zh": "你的目标"},
        "team_table": {"en": "{team} — team", "zh": "{team} — 团队"},
        "pace": {"en": "{line} · {status}", "zh": "{line} · {status}"},
        "ahead": {"en": "ahead", "zh": "领先"},
        "on_pace": {"en": "on pace", "zh": "正常"},
        "behind": {"en": "behind", "zh": "落后"},
        "done_goal": {"en": "done", "zh": "已完成"},
        "goals_summary": {
            "en": "{behind} behind pace, {ok} on pace or ahead, {done} done",
            "zh": "落后 {behind} 项，正常或领先 {ok} 项，已完成 {done} 项",
        },
    }
)


# --- the build phase ----------------------------------------------------------------


class Plan:
    """A job's view while building: who is due, and which keys are still open."""

    def __init__(
        self, session: Session, settings: Settings, now: datetime, slot: Slot, on_demand: bool
    ) -> None:
        self.session = session
        self.settings = settings
        self.now = now
        self.slot = slot
        self.on_demand = on_demand
        self.due_count = 0

    @cached_property
    def people(self) -> People:
        return queries.people(self.session)

    def tz(self, user: User | None) -> ZoneInfo:
        return zone(user.timezone if user else None, self.settings)

    def due(self, tz: ZoneInfo) -> date | None:
        """The local day whose slot is due for someone in ``tz``, or None."""
        if self.on_demand:
            return self.now.astimezone(tz).date()
        return due_day(self.now, tz, self.slot, self.settings.schedule)

    def period(self, day: date) -> str:
        return period_of(day, self.slot)

    def due_users(self) -> dict[int, date]:
        """Every active user whose slot is due, with their local day."""
        out = {}
        for user in self.people.users.values():
            day = self.due(self.tz(user))
            if day is not None:
                out[user.id] = day
        return out

    def open(self, keys) -> set[DeliveryKey]:
        """The keys not yet settled in the ledger (nothing else is worth building)."""
        cfg = self.settings.schedule
        found = ledger.claimable(
            self.session,
            keys,
            now=self.now,
            stale_after=timedelta(minutes=cfg.claim_timeout_minutes),
            max_attempts=cfg.max_attempts,
        )
        self.due_count += len(found)
        return found


def slot_of(job: str, settings: Settings) -> Slot:
    cfg = settings.schedule
    return {
        LAPSE: Slot(cfg.lapse_time),
        BIRTHDAYS: Slot(cfg.birthdays_time),
        TASKS: Slot(cfg.tasks_time),
        REMINDERS: Slot(cfg.reminders_time),
        GOALS: Slot(cfg.goals_time, weekday=WEEKDAYS.index(cfg.goals_day)),
        DIGEST: Slot(cfg.digest_time, weekdays_only=True),
    }[job]


def _user_keys(
    plan: Plan, job: str, subject: str, due: dict[int, date]
) -> dict[int, tuple[DeliveryKey, Recipient]]:
    """One key per due user, keeping only the keys still open."""
    candidates = {}
    for user_id, day in due.items():
        recipient = user_recipient(plan.people.users[user_id])
        candidates[user_id] = (
            DeliveryKey(job, ledger_name(recipient), subject, plan.period(day)),
            recipient,
        )
    still_open = plan.open(k for k, _ in candidates.values())
    return {u: kr for u, kr in candidates.items() if kr[0] in still_open}


# --- lapse warnings -----------------------------------------------------------------


def _build_lapse(plan: Plan) -> list[Outbound]:
    due = plan.due_users()
    owners = _user_keys(plan, LAPSE, "accounts", due)
    managers = _user_keys(
        plan, LAPSE, "escalations", {u: d for u, d in due.items() if plan.people.is_manager(u)}
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
                lines.append(_("more_mine", lang, n=len(group) - len(shown)))
            reply.add_section(_(title_key, lang, n=len(group)), lines)
        reply.actions = [log_visit(i.account.name, lang) for i in items[:MAX_BUTTONS]]
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
            lines.append(_("more_mine", lang, n=len(items) - MAX_LINES))
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


# --- birthdays and anniversaries ----------------------------------------------------


def _when(event: date, today: date, lang: str) -> str:
    n = (event - today).days
    if n <= 0:
        return _("today", lang)
    if n == 1:
        return _("tomorrow", lang)
    return _("in_days", lang, n=n, date=fmt_date(event, lang))


def _build_birthdays(plan: Plan) -> list[Outbound]:
    from domain.calendar import format_birthday

    cfg = plan.settings.schedule
    owners = _user_keys(plan, BIRTHDAYS, "upcoming", plan.due_users())
    if not owners:
        return []
    people = plan.people
    offsets = sorted(set(cfg.birthday_days_ahead))
    windows: dict[int, tuple[date, list[date]]] = {}
    events: set[date] = set()
    for owner_id in owners:
        today = plan.due(plan.tz(people.users[owner_id]))
        notice_days = working_days_from(today, cfg)
        windows[owner_id] = (today, notice_days)
        events |= {d + timedelta(days=k) for d in notice_days for k in offsets}
    owner_ids = set(owners)

    items: dict[int, list[tuple[date, int, str, list[str]]]] = defaultdict(list)

    def announced(owner_id: int, event: date) -> bool:
        _today, notice_days = windows[owner_id]
        return any(event - timedelta(days=k) in notice_days for k in offsets)

    for event, row in queries.birthdays_on(plan.session, sorted(events)):
        if row.owner_id not in owner_ids or not announced(row.owner_id, event):
            continue
        lang = owners[row.owner_id][1].lang
        today = windows[row.owner_id][0]
        b = row.birthday
        age = ""
        if b.year and not b.lunar and event.year > b.year:
            age = _("age", lang, n=event.year - b.year)
        line = _(
            "birthday",
            lang,
            when=_when(event, today, lang),
            name=row.name,
            title=(f"（{row.title}）" if lang == "zh" else f" ({row.title})") if row.title else "",
            account=row.account_name,
            age=age,
            birthday=format_birthday(replace(b, year=None), lang),
        )
        tips = [_("tip_day", lang) if event <= today else _("tip_ahead", lang)]
        if b.lunar:
            tips.append(_("tip_lunar", lang))
        if row.role == "decision_maker":
            tips.append(_("tip_dm", lang, name=row.name))
        items[row.owner_id].append((event, 0, line, tips))

    for event, row in queries.anniversaries_on(plan.session, sorted(events)):
        if row.owner_id not in owner_ids or not announced(row.owner_id, event):
            continue
        lang = owners[row.owner_id][1].lang
        today = windows[row.owner_id][0]
        line = _(
            "anniversary_one" if row.years == 1 else "anniversary",
            lang,
            when=_when(event, today, lang),
            account=row.account_name,
            n=row.years,
            start=fmt_day(row.start, lang),
        )
        items[row.owner_id].append((event, 1, line, [_("tip_anniversary", lang)]))

    out = []
    for owner_id, (key, recipient) in owners.items():
        mine = sorted(items.get(owner_id, []), key=lambda t: (t[0], t[1], t[2]))
        if not mine:
            continue
        lines: list[str] = []
        for _event, _kind, line, tips in mine:
            lines.append(line)
            lines.extend(tips)
        reply = Reply(title=_("bd_title", recipient.lang), lines=lines)
        out.append(Outbound(key, recipient, reply))
    return out


# --- next steps due -----------------------------------------------------------------


def _build_tasks(plan: Plan) -> list[Outbound]:
    owners = _user_keys(plan, TASKS, "due", plan.due_users())
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
        today = plan.due(tz)
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
            overdue_lines.append(_("more_mine", lang, n=len(overdue) - MAX_LINES))
        reply.add_section(_("overdue", lang), overdue_lines)
        reply.add_section(
            _("due_today", lang),
            [
                _("task_today", lang, id=t.id, account=t.account_name, text=t.text)
                for t in due_today[:MAX_LINES]
            ],
        )
        reply.actions = [
            Action(_("done", lang, id=t.id), f"done {t.id}") for t in mine[:MAX_BUTTONS]
        ]
        out.append(Outbound(key, recipient, reply))
    return out


def _overdue_line(t, today: date, lang: str, tz: ZoneInfo) -> str:
    days = (today - t.due_at.astimezone(tz).date()).days
    if days == 1:
        return _("task_overdue_one", lang, id=t.id, account=t.account_name, text=t.text)
    date_text = fmt_date(t.due_at, lang, tz)
    return _(
        "task_overdue", lang, id=t.id, account=t.account_name, text=t.text, date=date_text, n=days
    )


# --- recurring reminders ------------------------------------------------------------


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


def _build_reminders(plan: Plan) -> list[Outbound]:
    owners = _user_keys(plan, REMINDERS, "due", plan.due_users())
    if not owners:
        return []
    days = {u: plan.due(plan.tz(plan.people.users[u])) for u in owners}
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
        out.append(Outbound(key, recipient, Reply(title=title, lines=lines), after_sent=after))
    return out


# --- weekly goal progress -----------------------------------------------------------


_PACE_WORD = {
    PaceStatus.AHEAD: "ahead",
    PaceStatus.ON_PACE: "on_pace",
    PaceStatus.BEHIND: "behind",
    PaceStatus.DONE: "done_goal",
}


def _paced(gs: GoalStatus, lang: str, settings: Settings, *, who: bool = True) -> str:
    return _(
        "pace",
        lang,
        line=goal_line(gs, lang, settings, who=who),
        status=_(_PACE_WORD[gs.progress.status], lang),
    )


def _goal_order(gs: GoalStatus) -> tuple:
    order = [PaceStatus.BEHIND, PaceStatus.ON_PACE, PaceStatus.AHEAD, PaceStatus.DONE]
    return (gs.who.casefold(), list(GoalMetric).index(GoalMetric(gs.goal.metric)),
            order.index(gs.progress.status))  # fmt: skip


def _build_goals(plan: Plan) -> list[Outbound]:
    due = plan.due_users()
    keyed = _user_keys(plan, GOALS, "weekly", due)
    if not keyed:
        return []
    people, settings = plan.people, plan.settings
    today = plan.now.astimezone(settings.tz).date()
    rows = queries.goals_of_year(plan.session, today.year)
    statuses = goal_statuses(plan.session, rows, people=people, settings=settings, today=today)
    owner_of = {g.id: owner for g, _name, owner in rows}
    out = []
    for user_id, (key, recipient) in keyed.items():
        lang = recipient.lang
        own = [
            gs
            for gs in statuses
            if (gs.goal.scope == "user" and gs.goal.user_id == user_id)
            or (gs.goal.scope == "account" and owner_of.get(gs.goal.id) == user_id)
        ]
        tables = []
        for team_id in people.managed_teams(user_id):
            team = people.teams[team_id]
            members = {u.id for u in people.users.values() if u.team_id == team_id}
            table = [
                gs
                for gs in statuses
                if (gs.goal.scope == "team" and gs.goal.team_id == team_id)
                or (gs.goal.scope == "user" and gs.goal.user_id in members)
            ]
            if table:
                tables.append((team, sorted(table, key=_goal_order)))
        if not own and not tables:
            continue
        shown = own + [gs for _t, table in tables for gs in table]
        counts = {s: sum(1 for gs in shown if gs.progress.status is s) for s in PaceStatus}
        reply = Reply(
            title=_("goals_title", lang, week=due[user_id].isocalendar()[1]),
            lines=[
                _(
                    "goals_summary",
                    lang,
                    behind=counts[PaceStatus.BEHIND],
                    ok=counts[PaceStatus.ON_PACE] + counts[PaceStatus.AHEAD],
                    done=counts[PaceStatus.DONE],
                )
            ],
            severity=Severity.warning if counts[PaceStatus.BEHIND] else Severity.info,
        )
        reply.add_section(
            _("your_goals", lang),
            [
                _paced(gs, lang, settings, who=gs.goal.scope != "user")
                for gs in sorted(own, key=_goal_order)
            ],
        )
        for team, table in tables:
            reply.add_section(
                _("team_table", lang, team=team.name), [_paced(gs, lang, settings) for gs in table]
            )
        out.append(Outbound(key, recipient, reply))
    return out


# --- daily risk digest --------------------------------------------------------------


def _build_digest(plan: Plan) -> list[Outbound]:
    people, settings = plan.people, plan.settings
    cfg = settings.schedule
    team_day = plan.due(settings.tz)
    chats: list[tuple[DeliveryKey, Recipient, int]] = []
    if team_day is not None:
        for team in people.teams.values():
            for recipient in team_recipients(team, settings.language):
                key = DeliveryKey(DIGEST, ledger_name(recipient), "risks", plan.period(team_day))
                chats.append((key, recipient, team.id))
    managers = {u: d for u, d in plan.due_users().items() if people.managed_teams(u)}
    private = _user_keys(plan, DIGEST, "private", managers)
    still_open = plan.open(k for k, _r, _t in chats)
    chats = [c for c in chats if c[0] in still_open]
    if not chats and not private:
        return []
    wanted = {t for _k, _r, t in chats}
    for manager_id in private:
        wanted |= set(people.managed_teams(manager_id))
    digests = {
        t.team.id: t
        for t in gather_risks(plan.session, settings=settings, now=plan.now, team_ids=wanted)
    }
    has_chat = {t.id for t in people.teams.values() if team_recipients(t)}
    out = []
    for key, recipient, team_id in chats:
        digest = digests[team_id]
        if digest.is_empty(private=False) and not cfg.send_empty_digest:
            continue
        reply = digest_reply(
            [digest], lang=recipient.lang, today=team_day, settings=settings, private_teams=()
        )
        out.append(Outbound(key, recipient, reply))
    for manager_id, (key, recipient) in private.items():
        teams = []
        for team_id in people.managed_teams(manager_id):
            digest = digests[team_id]
            if team_id in has_chat:  # the chat has the rest: only what it may not see
                digest = TeamRisks(digest.team, member_goals=digest.member_goals)
            teams.append(digest)
        shown = [t for t in teams if not t.is_empty(private=True)]
        if not shown:
            without_chat = [t for t in teams if t.team.id not in has_chat]
            if not (without_chat and cfg.send_empty_digest):
                continue
            shown = without_chat
        today = plan.due(plan.tz(people.users[manager_id]))
        reply = digest_reply(
            shown,
            lang=recipient.lang,
            today=today,
            settings=settings,
            private_teams={t.team.id for t in teams},
            title=private_title(shown, recipient.lang, today),
        )
        out.append(Outbound(key, recipient, reply))
    return out


# --- running ------------------------------------------------------------------------


BUILDERS: dict[str, Callable[[Plan], list[Outbound]]] = {
    LAPSE: _build_lapse,
    BIRTHDAYS: _build_birthdays,
    TASKS: _build_tasks,
    REMINDERS: _build_reminders,
    GOALS: _build_goals,
    DIGEST: _build_digest,
}


def run(
    job: str,
    engine: Engine,
    settings: Settings,
    notifier: Notifier | None,
    now: datetime,
    *,
    dry_run: bool = False,
    on_demand: bool = False,
    worker: str | None = None,
) -> JobReport:
    """Build the job's messages as of ``now`` and deliver each one once."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    build = BUILDERS[job]
    with unit_of_work(engine, write=False) as session:
        plan = Plan(session, settings, now, slot_of(job, settings), on_demand)
        messages = build(plan)
    report = JobReport(job, now, dry_run=dry_run, due=plan.due_count, messages=messages)
    if dry_run:
        return report
    if messages:
        if notifier is None:
            raise ValueError("a notifier is needed to send")
        deliver(engine, settings, notifier, messages, now=now, report=report, worker=worker)
    log.info("%s", report.summary())
    return report


def run_lapse(engine, settings, notifier, now, **kw) -> JobReport:
    """Lapse-in-contact warnings to owners, and to managers past twice the cadence."""
    return run(LAPSE, engine, settings, notifier, now, **kw)


def run_birthdays(engine, settings, notifier, now, **kw) -> JobReport:
    """Contacts' birthdays and partnership anniversaries, ahead and on the day."""
    return run(BIRTHDAYS, engine, settings, notifier, now, **kw)


def run_tasks(engine, settings, notifier, now, **kw) -> JobReport:
    """Next steps due today or overdue, to their owners."""
    return run(TASKS, engine, settings, notifier, now, **kw)


def run_reminders(engine, settings, notifier, now, **kw) -> JobReport:
    """Reminders set with /remind whose day has come, to the account's owner."""
    return run(REMINDERS, engine, settings, notifier, now, **kw)


def run_goals(engine, settings, notifier, now, **kw) -> JobReport:
    """Weekly goal progress to owners, and each manager's team table."""
    return run(GOALS, engine, settings, notifier, now, **kw)


def run_digest(engine, settings, notifier, now, **kw) -> JobReport:
    """The daily risk digest to team chats, and managers' private details."""
    return run(DIGEST, engine, settings, notifier, now, **kw)


JOBS: dict[str, Callable[..., JobReport]] = {
    LAPSE: run_lapse,
    BIRTHDAYS: run_birthdays,
    TASKS: run_tasks,
    REMINDERS: run_reminders,
    GOALS: run_goals,
    DIGEST: run_digest,
}
"""Every scheduled push by name, in the order ``kam jobs list`` shows them."""


INBOUND_KEEP = timedelta(days=2)
"""Slack retries an event for about an hour, WeCom a callback for seconds; nonces matter
for ten minutes.  Two days of inbound records is ample."""


def housekeeping(engine: Engine, now: datetime, *, keep_days: int = 90) -> int:
    """Forget ledger rows of messages sent long ago (their periods will not come back)
    and inbound records (event ids, MsgIds, nonces) older than any redelivery."""
    with unit_of_work(engine) as session:
        inbound.forget_before(session, now - INBOUND_KEEP)
        return ledger.forget_sent_before(session, now - timedelta(days=keep_days))
