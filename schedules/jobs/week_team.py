"""Each manager's teams' last week, a line per person, on Mondays with the goals push
(``goals_day`` at ``goals_time``, in the manager's time zone)."""

from __future__ import annotations

from handlers.notify import user_recipient
from handlers.views.week import Week, gather, team_reply
from schedules.delivery import Outbound
from schedules.plan import Plan
from schedules.registry import JobSpec
from schedules.timing import WEEKDAYS, Slot


def build(plan: Plan) -> list[Outbound]:
    people, settings = plan.people, plan.settings
    due = {u: d for u, d in plan.due_users().items() if people.managed_teams(u)}
    wanted = []  # one message per manager and team, each its own ledger key
    for manager_id, day in due.items():
        recipient = user_recipient(people.users[manager_id], people.identities.get(manager_id, {}))
        for team_id in people.managed_teams(manager_id):
            key = plan.key(recipient, f"team-{team_id}", day)
            wanted.append((key, recipient, manager_id, team_id))
    still_open = plan.open(key for key, *_rest in wanted)
    out = []
    for key, recipient, manager_id, team_id in wanted:
        if key not in still_open:
            continue
        members = [u for u in people.users.values() if u.team_id == team_id]
        last_week = Week.of(plan.now, plan.tz(people.users[manager_id]), shift=-1)
        weeks = gather(plan.session, members, last_week, now=plan.now, settings=settings)
        if all(w.empty for w in weeks.values()):
            continue
        reply = team_reply(
            people.teams[team_id].name,
            list(weeks.values()),
            last_week,
            lang=recipient.lang,
            settings=settings,
        )
        out.append(Outbound(key, recipient, reply))
    return out


JOB = JobSpec(
    name="week-team",
    summary="Each manager's teams' last week, a line per person, with Monday's goals.",
    slot=lambda s: Slot(s.schedule.goals_time, weekday=WEEKDAYS.index(s.schedule.goals_day)),
    build=build,
)
