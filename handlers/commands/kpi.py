"""``/kpi`` (``/指标``): retention, win rate, complaints, CSAT, cadence and goal attainment
of a person, a team or the whole book, for a year, a quarter or a month.

    /kpi [team East | @alice | me | all] [2026 | 2026Q4 | 2026-11]      /指标 团队 华东 2026年11月
    /kpi help                                    (every formula)

The formulas live in ``domain.health``; ``/kpi help`` shows them.  Periods are read by
``handlers.parsing.periods``.  Everyone sees their own KPIs, managers those of their
teams and people, admins the whole book's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from domain.errors import Forbidden, InvalidInput, ParseError
from domain.goals import GoalMetric, breakdown, period_bounds
from domain.health import CadenceCoverage as Coverage
from domain.health import complaint_rate as complaint_rate_of
from domain.health import (
    customer_counts,
    expected_interactions,
    goal_attainment,
    retention_rate,
    split_total,
    team_csat,
    win_rate,
)
from domain.health import resolution_rate as resolution_rate_of
from domain.models import INACTIVE_STATUSES, Role, User
from handlers.auth import may_see_person
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.parsing.periods import current_quarter, period_of
from handlers.parsing.text import normalize
from handlers.people import TEAM_WORDS, resolve_user, user_ref_of, visible_teams
from handlers.registry import command
from handlers.replies import Field, Reply
from handlers.views import fmt_date, fmt_money
from handlers.views.goals import metric_label
from handlers.views.health import fmt_pct, fmt_score
from storage import goals as goal_repo
from storage import users
from storage.clock import day_start
from storage.goals import actuals
from storage.health import KpiInputs, Scope, days_in_period, kpi_inputs

_ = Catalog("kpi")


# --- /kpi ---------------------------------------------------------------------------


_HELP_WORDS = {"help", "formulas", "帮助", "公式", "?", "？"}
_ALL_WORDS = {"all", "book", "全部", "全公司", "所有"}
_ME_WORDS = {"me", "mine", "my", "我", "我的"}


class KpiCommand(BaseModel):
    command: str = "kpi"
    help: bool = False
    who: Literal["default", "me", "user", "team", "all"] = "default"
    name: str | None = None
    year: int
    period: str = "Q1"  # "year", "Q1".."Q4", "M1".."M12"


def parse_kpi(args: str, pctx: ParseContext) -> KpiCommand:
    lang, today = pctx.lang, pctx.now.date()
    text = normalize(args).strip()
    year, period = today.year, current_quarter(today)
    if text.casefold() in _HELP_WORDS:
        return KpiCommand(help=True, year=year, period=period)
    cmd = KpiCommand(year=year, period=period)
    words = text.split()
    # a period may be one word ("2026Q4") or a few ("2026 Q4", "last quarter")
    for size in (3, 2, 1):
        found = False
        for i in range(len(words) - size + 1):
            got = period_of(" ".join(words[i : i + size]), today)
            if got is not None:
                cmd.year, cmd.period = got
                del words[i : i + size]
                found = True
                break
        if found:
            break
    if not words:
        return cmd
    head = words[0].casefold()
    if head in TEAM_WORDS:
        cmd.who, cmd.name = "team", " ".join(words[1:]) or None
    elif head in _ALL_WORDS and len(words) == 1:
        cmd.who = "all"
    elif head in _ME_WORDS and len(words) == 1:
        cmd.who = "me"
    elif words[0].startswith("@") and len(words) == 1:
        cmd.who, cmd.name = "user", words[0]
    elif any(ch.isdigit() for ch in " ".join(words)) and len(words) == 1:
        raise ParseError(_("bad_period", lang, text=words[0]))
    else:
        cmd.who, cmd.name = "team", " ".join(words)
    return cmd


@command(
    name="kpi",
    aliases=("指标", "kpis"),
    parse=parse_kpi,
    group="health",
)
def run_kpi(ctx: Context, cmd: KpiCommand) -> Reply:
    lang = ctx.lang
    if cmd.help:
        return Reply(title=_("kpi_help_title", lang), lines=_("kpi_help", lang).split("\n"))
    scope, who = _kpi_scope(ctx, cmd)
    first, last = period_bounds(cmd.year, cmd.period)
    label = _period_label(cmd, lang)
    today = ctx.now.date()
    if first > today:
        raise InvalidInput(_("future_period", lang, period=label))
    start = day_start(first, ctx.tz)
    end = min(day_start(last + timedelta(days=1), ctx.tz), ctx.now)
    last_day = min(last, today)
    if last > today:
        label = _("to_date", lang, period=label, date=fmt_date(today, lang))
    k = kpi_inputs(ctx.session, scope, start=start, end=end, today=today, tz=ctx.tz)
    reply = Reply(title=_("kpi_title", lang, who=who, period=label))
    house, rates = ctx.settings.currency, ctx.settings.fx_rates

    counts = customer_counts(k.histories, start, end)
    reply.fields.append(Field(_("retention", lang), _(
        "retention_value", lang, value=fmt_pct(retention_rate(counts)), end=counts.at_end,
        new=counts.new, start=counts.at_start)))  # fmt: skip

    won_amount = ""
    if k.won_value:
        won_amount = _("won_amount", lang, amount=_money_total(k.won_value, lang, house, rates))
    reply.fields.append(Field(_("win_rate", lang), _(
        "win_rate_value", lang, value=fmt_pct(win_rate(k.won, k.lost)), won=k.won,
        closed=k.won + k.lost, amount=won_amount)))  # fmt: skip

    reply.fields.append(Field(_("complaint_rate", lang), _(
        "complaint_rate_value", lang,
        value=fmt_pct(complaint_rate_of(k.accounts_with_complaints, counts.served)),
        accounts=k.accounts_with_complaints, served=counts.served)))  # fmt: skip
    reply.fields.append(Field(_("resolution_rate", lang), _(
        "resolution_rate_value", lang,
        value=fmt_pct(resolution_rate_of(k.complaints_resolved, k.complaints_open_during)),
        resolved=k.complaints_resolved, open=k.complaints_open_during)))  # fmt: skip

    reply.fields.append(Field(_("avg_csat", lang), _(
        "avg_csat_value", lang, value=fmt_score(team_csat(k.csat_averages.values())),
        accounts=len(k.csat_averages), scores=k.csat_scores)))  # fmt: skip

    coverage = _coverage(ctx, k, end, first, last_day)
    reply.fields.append(Field(_("interactions", lang), _(
        "interactions_value", lang, per=fmt_score(coverage.per_account),
        expected=fmt_score(coverage.expected_per_account),
        share=fmt_pct(coverage.against_cadence), n=coverage.interactions,
        accounts=coverage.accounts)))  # fmt: skip

    attainment, goal_texts = _attainment(ctx, cmd, scope)
    if goal_texts:
        reply.fields.append(Field(_("attainment", lang), _(
            "attainment_value", lang, value=fmt_pct(attainment), n=len(goal_texts),
            goals=" · ".join(goal_texts))))  # fmt: skip
    else:
        reply.fields.append(Field(_("attainment", lang), "—"))

    reply.fields.append(Field(_("collected", lang), _money_total(k.collected, lang, house, rates)))
    reply.fields.append(Field(_("overdue_now", lang), _money_total(k.overdue, lang, house, rates)))
    reply.footer = _("kpi_footer", lang)
    return reply


def _money_total(
    amounts: Mapping[str, Decimal], lang: str, house: str, rates: Mapping[str, Decimal]
) -> str:
    """The amounts in the house currency; without a rate, refused: "—" naming the currency."""
    total, left_out = split_total(amounts, house, house=house, rates=rates)
    if left_out:
        return _("unconverted", lang, currencies=", ".join(sorted(left_out)))
    return fmt_money(total, house, lang)


def _coverage(ctx: Context, k: KpiInputs, end: datetime, first: date, last: date) -> Coverage:
    cadence = ctx.settings.cadence
    days = []
    for history, tier in zip(k.histories, k.tiers, strict=True):
        status = history.status_at(end)
        if status is None or status in INACTIVE_STATUSES:  # out of the book's work
            continue
        days.append((days_in_period(history, first, last, ctx.tz), cadence.days_for(tier)))
    return Coverage(
        interactions=k.interactions,
        accounts=len(days),
        expected=expected_interactions(days),
    )


def _attainment(ctx: Context, cmd: KpiCommand, scope: Scope) -> tuple[Decimal | None, list[str]]:
    lang = ctx.lang
    goals = goal_repo.for_kpi(
        ctx.session, year=cmd.year, owner_id=scope.owner_id, team_ids=scope.team_ids
    )
    teams = {g.team_id for g in goals if g.team_id is not None}
    team_names = users.team_names(ctx.session, teams) if len(teams) > 1 else {}
    if not goals:
        return None, []
    first, last = period_bounds(cmd.year, cmd.period)
    got = actuals(ctx.session, goals, start=first, end=last, tz=ctx.tz,
                  fx_rates=ctx.settings.fx_rates)  # fmt: skip
    pairs, texts = [], []
    for g in goals:
        metric = GoalMetric(g.metric)
        split = (
            breakdown(g.target, monthly=[Decimal(m) for m in g.months])
            if g.months
            else breakdown(g.target, quantum=metric.quantum)
        )
        target = split.amount(cmd.period)
        actual = got.get(g.id, Decimal(0))
        pairs.append((actual, target))
        if metric.is_money:
            currency = g.currency or ctx.settings.currency
            nums = f"{fmt_money(actual, currency, lang)}/{fmt_money(target, currency, lang)}"
        else:
            nums = f"{actual:.0f}/{target:.0f}"
        share = fmt_pct(actual / target) if target else "—"
        whose = f"{team_names[g.team_id]} " if g.team_id in team_names else ""
        texts.append(f"{whose}{metric_label(metric, lang)} {nums} {share}")
    return goal_attainment(pairs), texts


def _period_label(cmd: KpiCommand, lang: str) -> str:
    if cmd.period == "year":
        return _("period_year", lang, year=cmd.year)
    if cmd.period.startswith("Q"):
        return _("period_q", lang, year=cmd.year, q=int(cmd.period[1:]))
    return _("period_m", lang, year=cmd.year, m=int(cmd.period[1:]))


def _kpi_scope(ctx: Context, cmd: KpiCommand) -> tuple[Scope, str]:
    lang, actor, session = ctx.lang, ctx.actor, ctx.session
    who = cmd.who
    if who == "default":
        if actor.role == Role.admin:
            who = "all"
        elif actor.role == Role.manager and users.managed_team_ids(session, actor):
            ids = users.managed_team_ids(session, actor)
            teams = users.team_names(session, ids).values()
            label = _("team_label", lang, name=", ".join(sorted(teams)))
            return Scope(team_ids=frozenset(ids)), label
        else:
            who = "me"
    if who == "all":
        if actor.role != Role.admin:
            raise Forbidden(_("forbid_all", lang))
        return Scope(), _("book", lang)
    if who == "me":
        return Scope(owner_id=actor.id), _("me", lang)
    if who == "user":
        user = _user(ctx, cmd.name or "")
        if not _may_see_user(ctx, user):
            raise Forbidden(_("forbid_user", lang, name=user.display_name))
        return Scope(owner_id=user.id), user.display_name
    teams = visible_teams(
        ctx,
        cmd.name or "",
        unknown=lambda typed: _("no_team", lang, name=typed),
        forbidden=lambda team: _("forbid_team", lang, name=team),
        empty=_("no_team_yet", lang),
    )
    label = _("team_label", lang, name=", ".join(t.name for t in teams))
    return Scope(team_ids=frozenset(t.id for t in teams)), label


def _user(ctx: Context, ref: str) -> User:
    return resolve_user(
        ctx, user_ref_of(ref), unknown=lambda who: _("no_user", ctx.lang, name=who), suggest=3
    )


def _may_see_user(ctx: Context, user: User) -> bool:
    return may_see_person(ctx.session, ctx.actor, user)
