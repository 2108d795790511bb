"""Birthdays (Gregorian and lunar) and partnership anniversaries: owners hear of their
contacts' days ahead and on the day (daily at ``birthdays_time``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta

from handlers.i18n import Catalog
from handlers.replies import Reply
from handlers.views import fmt_date, fmt_day
from schedules.delivery import Outbound
from schedules.plan import Plan
from schedules.registry import JobSpec
from schedules.timing import Slot, working_days_from
from storage import queries

_ = Catalog("schedules.jobs.birthdays")


def _when(event: date, today: date, lang: str) -> str:
    n = (event - today).days
    if n <= 0:
        return _("today", lang)
    if n == 1:
        return _("tomorrow", lang)
    return _("in_days", lang, n=n, date=fmt_date(event, lang))


def build(plan: Plan) -> list[Outbound]:
    from handlers.views import format_birthday

    cfg = plan.settings.schedule
    owners = plan.user_keys("upcoming", plan.due_users())
    if not owners:
        return []
    people = plan.people
    offsets = sorted(set(cfg.birthday_days_ahead))
    windows: dict[int, tuple[date, list[date]]] = {}
    events: set[date] = set()
    for owner_id in owners:
        owner = people.users[owner_id]
        today = plan.due_for(owner)
        calendar = plan.calendar(plan.tz(owner), plan.team_name(owner))
        notice_days = working_days_from(today, cfg, calendar)
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
            title=_("title_suffix", lang, title=row.title) if row.title else "",
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


JOB = JobSpec(
    name="birthdays",
    summary="Contacts' birthdays and partnership anniversaries, ahead and on the day.",
    slot=lambda settings: Slot(settings.schedule.birthdays_time),
    build=build,
)
