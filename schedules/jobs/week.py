"""The weekly report (周报) to each person, drafted from what they logged: Fridays at
``week_time`` (16:00) in their own time zone (``week_day``), to forward as it is.
Someone with nothing in their week — no contacts, deals, next steps or due items —
gets nothing.  Managers get their teams' roll-up on Mondays (``week_team``)."""

from __future__ import annotations

from handlers.views.week import Week, gather, person_reply
from schedules.delivery import Outbound
from schedules.plan import Plan
from schedules.registry import JobSpec
from schedules.timing import WEEKDAYS, Slot


def build(plan: Plan) -> list[Outbound]:
    keyed = plan.user_keys("week", plan.due_users())
    if not keyed:
        return []
    people, settings = plan.people, plan.settings
    out = []
    # one week per time zone: people in one zone are gathered together
    by_zone: dict[str, list[int]] = {}
    for user_id in keyed:
        by_zone.setdefault(plan.tz(people.users[user_id]).key, []).append(user_id)
    for ids in by_zone.values():
        tz = plan.tz(people.users[ids[0]])
        the_week = Week.of(plan.now, tz)
        weeks = gather(
            plan.session, [people.users[i] for i in ids], the_week, now=plan.now, settings=settings
        )
        for user_id in ids:
            if weeks[user_id].empty:
                continue
            key, recipient = keyed[user_id]
            reply = person_reply(
                weeks[user_id], the_week, lang=recipient.lang, settings=settings, own=True
            )
            out.append(Outbound(key, recipient, reply))
    return out


JOB = JobSpec(
    name="week",
    summary="The weekly report (周报) to each person, drafted from what they logged.",
    slot=lambda s: Slot(s.schedule.week_time, weekday=WEEKDAYS.index(s.schedule.week_day)),
    build=build,
)
