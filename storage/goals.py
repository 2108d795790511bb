"""Goal progress, computed from the book (never typed in), for many goals at once.

``actuals`` answers every goal in one grouped query per (metric, scope) pair that is
actually asked for — at most twelve statements however large the book is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, select

from domain.goals import GoalMetric
from domain.models import Account, Contact, Deal, DealStage, Goal, Interaction

ZERO = Decimal("0")


def local_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in ``tz``, as aware datetimes."""
    return (
        datetime.combine(start, time(), tz),
        datetime.combine(date.fromordinal(end.toordinal() + 1), time(), tz),
    )


def _scope_key(metric: str, scope: str):
    """The column a (metric, scope) pair groups by."""
    if scope == "team":
        return Account.team_id
    if scope == "account":
        return {
            GoalMetric.WON_REVENUE: Deal.account_id,
            GoalMetric.WON_DEALS: Deal.account_id,
            GoalMetric.INTERACTIONS: Interaction.account_id,
            GoalMetric.NEW_CONTACTS: Contact.account_id,
        }[GoalMetric(metric)]
    return {
        GoalMetric.WON_REVENUE: Deal.owner_id,
        GoalMetric.WON_DEALS: Deal.owner_id,
        GoalMetric.INTERACTIONS: Interaction.author_id,
        GoalMetric.NEW_CONTACTS: Contact.created_by_id,
    }[GoalMetric(metric)]


def _grouped(
    session: Session, metric: str, scope: str, ids: list[int], lo: datetime, hi: datetime
) -> dict[tuple[int, str | None], Decimal]:
    key = _scope_key(metric, scope)
    m = GoalMetric(metric)
    if m in (GoalMetric.WON_REVENUE, GoalMetric.WON_DEALS):
        value = func.sum(Deal.amount) if m is GoalMetric.WON_REVENUE else func.count(Deal.id)
        currency = Deal.currency if m is GoalMetric.WON_REVENUE else None
        cols = [key, value] + ([currency] if currency is not None else [])
        stmt = (
            select(*cols)
            .join(Account, Account.id == Deal.account_id)
            .where(Deal.stage == DealStage.won.value, Deal.closed_at >= lo, Deal.closed_at < hi)
        )
        group = [key] + ([currency] if currency is not None else [])
    elif m is GoalMetric.INTERACTIONS:
        stmt = (
            select(key, func.count(Interaction.id))
            .join(Account, Account.id == Interaction.account_id)
            .where(Interaction.happened_at >= lo, Interaction.happened_at < hi)
        )
        group = [key]
    else:
        stmt = (
            select(key, func.count(Contact.id))
            .join(Account, Account.id == Contact.account_id)
            .where(Contact.created_at >= lo, Contact.created_at < hi)
        )
        group = [key]
    stmt = stmt.where(key.in_(ids)).group_by(*group)
    out: dict[tuple[int, str | None], Decimal] = {}
    for row in session.exec(stmt):
        cur = row[2] if len(row) > 2 else None
        out[(row[0], cur)] = Decimal(row[1] or 0)
    return out


def _owner_of(goal: Goal) -> int | None:
    return {"user": goal.user_id, "team": goal.team_id, "account": goal.account_id}[goal.scope]


def actuals(
    session: Session,
    goals: Iterable[Goal],
    *,
    start: date,
    end: date,
    tz: ZoneInfo,
    fx_rates: Mapping[str, Decimal] | None = None,
) -> dict[int, Decimal]:
    """Each goal's actual over [start, end] (local dates in ``tz``), by goal id.

    Won revenue in another currency than the goal's counts when ``fx_rates`` (units of
    the goal's currency per unit of the other, keyed by currency code) knows the rate;
    otherwise it is left out rather than added at a wrong value.
    """
    goals = list(goals)
    lo, hi = local_bounds(start, end, tz)
    wanted: dict[tuple[str, str], set[int]] = {}
    for g in goals:
        ref = _owner_of(g)
        if ref is not None:
            wanted.setdefault((g.metric, g.scope), set()).add(ref)
    results = {
        pair: _grouped(session, pair[0], pair[1], sorted(ids), lo, hi)
        for pair, ids in wanted.items()
    }
    return sum_actuals(goals, results, fx_rates or {})


def sum_actuals(
    goals: Iterable[Goal],
    results: Mapping[tuple[str, str], Mapping[tuple[int, str | None], Decimal]],
    rates: Mapping[str, Decimal],
) -> dict[int, Decimal]:
    """Each goal's actual from the grouped sums: by (metric, scope), the amount of each
    (owner, currency) — currency None for counts — converted to the goal's currency."""
    out: dict[int, Decimal] = {}
    for g in goals:
        total = ZERO
        for (ref, currency), value in results.get((g.metric, g.scope), {}).items():
            if ref != _owner_of(g):
                continue
            if currency is None or currency == (g.currency or currency):
                total += value
            elif currency in rates:
                total += (value * Decimal(rates[currency])).quantize(Decimal("0.01"))
        out[g.id] = total
    return out


def of_subject(
    session: Session,
    *,
    year: int,
    scope: str,
    user_id: int | None = None,
    team_id: int | None = None,
    account_id: int | None = None,
    metric: str | None = None,
) -> list[Goal]:
    """The goals of one user, team or account for ``year`` (of one metric, if given)."""
    column = {"user": Goal.user_id, "team": Goal.team_id, "account": Goal.account_id}[scope]
    whose = {"user": user_id, "team": team_id, "account": account_id}[scope]
    query = select(Goal).where(Goal.year == year, Goal.scope == scope, column == whose)
    if metric is not None:
        query = query.where(Goal.metric == metric)
    return list(session.exec(query.order_by(Goal.id)).all())


def for_kpi(
    session: Session,
    *,
    year: int,
    owner_id: int | None = None,
    team_ids: Collection[int] | None = None,
) -> list[Goal]:
    """The goals a KPI view weighs: one rep's, some teams', else every team's."""
    query = select(Goal).where(Goal.year == year)
    if owner_id is not None:
        query = query.where(Goal.scope == "user", Goal.user_id == owner_id)
    elif team_ids is not None:
        query = query.where(Goal.scope == "team", Goal.team_id.in_(sorted(team_ids)))
    else:
        query = query.where(Goal.scope == "team")
    return list(session.exec(query.order_by(Goal.id)).all())
