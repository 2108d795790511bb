"""Weekly goal progress: everyone with goals hears how they pace, managers get their
teams' table (weekly, ``goals_day`` at ``goals_time``).  The push carries a chart
(issue 18): each goal's share done against the share expected by now, per person of
the team table for a manager, else the recipient's own goals."""

from __future__ import annotations

from domain.goals import GoalMetric, PaceStatus
from domain.policy import Policy
from handlers.digest import GoalStatus, goal_line, goal_statuses
from handlers.i18n import Catalog
from handlers.replies import Reply, Severity
from handlers.views.goals import PaceRow, metric_label, pace_chart
from schedules.delivery import Outbound
from schedules.plan import Plan
from schedules.registry import JobSpec
from schedules.timing import WEEKDAYS, Slot
from storage import queries

_ = Catalog("schedules.jobs.goals")


_PACE_WORD = {
    PaceStatus.AHEAD: "ahead",
    PaceStatus.ON_PACE: "on_pace",
    PaceStatus.BEHIND: "behind",
    PaceStatus.DONE: "done_goal",
}


def _paced(gs: GoalStatus, lang: str, settings: Policy, *, who: bool = True) -> str:
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


def _pace_row(gs: GoalStatus, lang: str, *, who: bool) -> PaceRow:
    """A goal as a bar of the chart: what, and whose (in a team table, or an account's)."""
    metric = metric_label(GoalMetric(gs.goal.metric), lang)
    p = gs.progress
    assert p.percent is not None
    return PaceRow(f"{gs.who} · {metric}" if who else metric, p.percent, p.expected_percent)


def build(plan: Plan) -> list[Outbound]:
    due = plan.due_users()
    keyed = plan.user_keys("weekly", due)
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
        if tables:  # a manager: the team table, per person
            rows = [_pace_row(gs, lang, who=True) for _t, table in tables for gs in table
                    if gs.progress.percent is not None]  # fmt: skip
        else:
            rows = [_pace_row(gs, lang, who=gs.goal.scope != "user")
                    for gs in sorted(own, key=_goal_order) if gs.progress.percent is not None]  # fmt: skip
        reply.chart = pace_chart(reply.title, rows, lang)
        out.append(Outbound(key, recipient, reply))
    return out


JOB = JobSpec(
    name="goals",
    summary="Weekly goal progress to owners, and each manager's team table.",
    slot=lambda settings: Slot(
        settings.schedule.goals_time, weekday=WEEKDAYS.index(settings.schedule.goals_day)
    ),
    build=build,
)
