"""``/goal`` (``/目标``): set a year's goal for a person, a team or an account; see progress.

    /goal 2027 revenue 10m for @alice            /目标 2027 销售额 1000万 给 @wang
    /goal 2027 deals 12 for team East            /目标 2027 赢单数 12 团队 华东
    /goal 2027 visits 200 for Acme               /目标 2027 拜访 200 客户 华夏重工
    /goal 2027 revenue 12m months 0.5m,0.5m,1m,1m,1m,1m,1m,1m,1m,1m,2m,2m
    /goal            my goals this year          /goal 2026Q4     one quarter
    /goal team East  /goal @alice  /goal Acme    (views, with an optional period)

A view carries a chart (issue 18): its first goal's done-to-date by month against the
target's pace line (``handlers.views.goals.month_chart``); the text has every number.

Metrics: won revenue (``revenue``, ``sales``, ``赢单金额``, ``销售额``), won deals
(``deals``, ``wins``, ``赢单数``), interactions (``visits``, ``interactions``,
``跟进次数``, ``拜访``) and new contacts (``contacts``, ``新增联系人``).  A year's target is
split evenly over the months unless ``months`` gives all twelve.  Progress is counted
from the book (``storage.goals.actuals``), never typed in.  The command is read by
``handlers.parsing.goals`` and its progress shown by ``handlers.views.goals``.

Who may set what: anyone their own goals and goals for the accounts they own; a manager
those of the people, teams and accounts of the teams they manage; an admin everything.
Goals are read by the person, their managers and admins; a team's by its members and
managers; an account's by whoever may read the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import Forbidden, InvalidInput
from domain.goals import GoalMetric, breakdown
from domain.models import Account, Goal, GoalScope, Role, Team, User
from handlers.auth import can_read, is_manager, may_see_person
from handlers.context import Context
from handlers.errors import error_text
from handlers.i18n import Catalog
from handlers.lookup import resolve_account
from handlers.parsing.goals import GoalCommand, parse_goal
from handlers.people import find_team, resolve_user, user_ref_of
from handlers.registry import command
from handlers.replies import Field, Reply, Severity
from handlers.views.goals import (
    goal_section,
    metric_label,
    month_chart,
    period_actuals,
    show_amount_fn,
    split_of,
)
from storage import accounts, audit, locks, users
from storage import goals as goal_repo

_ = Catalog("goal")

# --- whom a goal is for -----------------------------------------------------------


@dataclass
class Subject:
    scope: GoalScope
    user: User | None = None
    team: Team | None = None
    account: Account | None = None

    def name(self, lang: str) -> str:
        if self.user is not None:
            return self.user.display_name
        if self.team is not None:
            return _("team_label", lang, name=self.team.name)
        assert self.account is not None
        return self.account.name

    def columns(self) -> dict[str, int | None]:
        return {
            "scope": self.scope.value,
            "user_id": self.user.id if self.user else None,
            "team_id": self.team.id if self.team else None,
            "account_id": self.account.id if self.account else None,
        }


def _user(ctx: Context, ref: str) -> User:
    return resolve_user(
        ctx, user_ref_of(ref), unknown=lambda who: _("no_user", ctx.lang, name=who), suggest=3
    )


def _team(ctx: Context, name: str) -> Team:
    return find_team(
        ctx, name, unknown=lambda typed: _("no_team", ctx.lang, name=typed), suggest_cutoff=40
    )


def _subject(ctx: Context, cmd: GoalCommand) -> Subject:
    if cmd.scope == "me" or cmd.who is None:
        return Subject(GoalScope.user, user=ctx.actor)
    if cmd.scope == "user":
        return Subject(GoalScope.user, user=_user(ctx, cmd.who))
    if cmd.scope == "team":
        return Subject(GoalScope.team, team=_team(ctx, cmd.who))
    if cmd.scope == "account":
        return Subject(GoalScope.account, account=resolve_account(ctx, cmd.who))
    # a bare name: a person's handle, then a team, then an account
    user = users.by_handle(ctx.session, cmd.who)
    if user is not None:
        return Subject(GoalScope.user, user=user)
    team = users.team_by_name(ctx.session, cmd.who)
    if team is not None:
        return Subject(GoalScope.team, team=team)
    account = accounts.find_exact(ctx.session, cmd.who)
    return Subject(GoalScope.account, account=account or resolve_account(ctx, cmd.who))


def _manages_user(ctx: Context, user: User) -> bool:
    return may_see_person(ctx.session, ctx.actor, user)


def _manages_team(ctx: Context, team_id: int | None) -> bool:
    return (
        ctx.actor.role == Role.manager
        and team_id is not None
        and team_id in users.managed_team_ids(ctx.session, ctx.actor)
    )


def _require_set(ctx: Context, s: Subject) -> None:
    actor, lang = ctx.actor, ctx.lang
    if actor.role == Role.admin:
        return
    if s.user is not None:
        if s.user.id == actor.id or (is_manager(actor) and _manages_user(ctx, s.user)):
            return
        raise Forbidden(_("forbid_user", lang, name=s.user.display_name))
    if s.team is not None:
        if _manages_team(ctx, s.team.id):
            return
        raise Forbidden(_("forbid_team", lang, name=s.team.name))
    assert s.account is not None
    if s.account.owner_id == actor.id or _manages_team(ctx, s.account.team_id):
        return
    raise Forbidden(_("forbid_account", lang, name=s.account.name))


def _require_view(ctx: Context, s: Subject) -> None:
    actor, lang = ctx.actor, ctx.lang
    if actor.role == Role.admin:
        return
    if s.user is not None:
        if s.user.id == actor.id or _manages_user(ctx, s.user):
            return
        raise Forbidden(_("forbid_view_user", lang, name=s.user.display_name))
    if s.team is not None:
        if s.team.id in users.visible_team_ids(ctx.session, actor):
            return
        raise Forbidden(_("forbid_view_team", lang, name=s.team.name))
    assert s.account is not None
    if not can_read(ctx.session, actor, s.account):
        raise Forbidden(_("forbid_view_account", lang, name=s.account.name))


# --- running ----------------------------------------------------------------------


@command(
    name="goal",
    aliases=("目标",),
    parse=parse_goal,
    writes=True,
    slash=True,
)
def run_goal(ctx: Context, cmd: GoalCommand) -> Reply:
    subject = _subject(ctx, cmd)
    if not cmd.sets:
        _require_view(ctx, subject)
        return _view(ctx, subject, cmd.year, cmd.quarter)
    _require_set(ctx, subject)
    return _set(ctx, subject, cmd)


def _set(ctx: Context, s: Subject, cmd: GoalCommand) -> Reply:
    assert cmd.metric is not None and cmd.target is not None
    lang, metric = ctx.lang, cmd.metric
    currency = (cmd.currency or ctx.settings.currency) if metric.is_money else None
    target = cmd.target.quantize(metric.quantum)
    months = [str(m) for m in cmd.months] if cmd.months is not None else None
    try:
        breakdown(target, monthly=cmd.months, quantum=metric.quantum)
    except InvalidInput as exc:  # parse checked these; the domain has the last word
        raise InvalidInput(error_text(exc, lang)) from exc
    _lock(ctx, s)  # one goal per subject, metric and year: whoever sets it at once waits
    found = goal_repo.of_subject(ctx.session, year=cmd.year, metric=metric.value, **s.columns())
    existing = found[0] if found else None
    show = show_amount_fn(metric, currency, lang)
    what = _("what", lang, metric=metric_label(metric, lang), year=cmd.year, who=s.name(lang))
    if existing is None:
        goal = Goal(
            year=cmd.year,
            metric=metric.value,
            target=target,
            currency=currency,
            months=months,
            created_by_id=ctx.actor.id,
            created_at=ctx.now,
            **s.columns(),
        )
        ctx.session.add(goal)
        ctx.audit("create", goal, account_id=s.account.id if s.account else None, summary=what)
        title, old_target = _("set", lang, what=what), None
    else:
        goal = existing
        before = audit.snapshot(goal)
        old_target = goal.target
        if (goal.target, goal.currency, goal.months) == (target, currency, months):
            title, old_target = _("unchanged", lang, what=what), None
        else:
            goal.target, goal.currency, goal.months = target, currency, months
            ctx.session.add(goal)
            ctx.audit(
                "update",
                goal,
                before=before,
                account_id=s.account.id if s.account else None,
                summary=what,
            )
            title = _("changed", lang, what=what)
            old_target = None if old_target == target else old_target

    reply = Reply(title=title, severity=Severity.success)
    target_text = show(target)
    if old_target is not None:
        target_text = _("was", lang, new=target_text, old=show(old_target))
    reply.fields.append(Field(_("target", lang), target_text))
    split = split_of(goal)
    reply.fields.append(
        Field(
            _("quarters", lang),
            " · ".join(f"Q{i} {show(q)}" for i, q in enumerate(split.quarters, 1)),
        )
    )
    reply.fields.append(
        Field(_("split", lang), _("split_custom" if goal.months else "split_even", lang))
    )
    if cmd.year == ctx.now.year:
        section = goal_section(ctx, goal, cmd.year, None, period_actuals(ctx, [goal], cmd.year))
        reply.lines += section.lines
    _tell(ctx, s, metric, cmd.year, goal)
    return reply


def _lock(ctx: Context, s: Subject) -> None:
    if s.user is not None:
        locks.rows(ctx.session, User, [s.user.id])
    elif s.team is not None:
        locks.rows(ctx.session, Team, [s.team.id])
    elif s.account is not None:
        locks.account(ctx.session, s.account)


def _tell(ctx: Context, s: Subject, metric: GoalMetric, year: int, goal: Goal) -> None:
    if s.user is not None:
        recipient, key, account = s.user, "told", ""
    elif s.account is not None:
        recipient = ctx.session.get(User, s.account.owner_id)
        key, account = "told_account", s.account.name
    else:
        return
    if recipient is None or recipient.id == ctx.actor.id or not recipient.active:
        return
    lang = recipient.language
    target = show_amount_fn(metric, goal.currency, lang)(goal.target)
    ctx.notify_user(
        recipient.id,
        Reply(
            title=_(
                key,
                lang,
                who=ctx.actor.display_name,
                metric=metric_label(metric, lang),
                year=year,
                target=target,
                account=account,
            )
        ),
    )


# --- progress ---------------------------------------------------------------------


def _view(ctx: Context, s: Subject, year: int, quarter: int | None) -> Reply:
    lang = ctx.lang
    order = {m.value: i for i, m in enumerate(GoalMetric)}
    goals = sorted(
        goal_repo.of_subject(ctx.session, year=year, **s.columns()),
        key=lambda g: order.get(g.metric, len(order)),
    )
    period_text = (
        _("period_year", lang, year=year)
        if quarter is None
        else _("period_q", lang, year=year, q=quarter)
    )
    reply = Reply(title=_("view_title", lang, period=period_text, who=s.name(lang)))
    if not goals:
        reply.lines.append(_("none", lang, period=period_text))
        if s.user is not None and s.user.id == ctx.actor.id:
            reply.lines.append(_("how_to_set", lang, year=year, suffix=""))
        elif s.user is not None and (ctx.actor.role == Role.admin or _manages_user(ctx, s.user)):
            suffix = _("for_user", lang, handle=s.user.handle)
            reply.lines.append(_("how_to_set", lang, year=year, suffix=suffix))
        return reply
    period = "year" if quarter is None else f"Q{quarter}"
    got = period_actuals(ctx, goals, year, period)
    quarterly = (
        [period_actuals(ctx, goals, year, f"Q{q}") for q in range(1, 5)]
        if quarter is None
        else None
    )
    behind = False
    for goal in goals:
        section = goal_section(ctx, goal, year, quarter, got, quarterly)
        reply.add_section(section.title, section.lines)
        behind |= section.behind
    if behind and year == ctx.now.year:
        reply.severity = Severity.warning
    # The chart: the first goal (won revenue before the counts) by month, with its pace.
    reply.chart = month_chart(ctx, goals[0], year, quarter, s.name(lang))
    return reply
