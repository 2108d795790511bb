"""Showing goals against the book: a progress bar with the expected pace, the numbers,
what is needed per month when behind, and the quarters (``/goal``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.goals import (
    Breakdown,
    GoalMetric,
    GoalProgress,
    PaceStatus,
    breakdown,
    period_bounds,
    progress,
    progress_bar,
)
from domain.models import Goal
from handlers.context import Context
from handlers.i18n import Catalog
from handlers.views import fmt_money
from storage.goals import actuals

_ = Catalog("views.goals")

_metrics = Catalog("views.goals.metrics")


def metric_label(metric: GoalMetric, lang: str) -> str:
    """What a goal counts, in words: ``won revenue`` / ``赢单金额``."""
    return _metrics(metric.value, lang)


def show_amount_fn(metric: GoalMetric, currency: str | None, lang: str):
    if metric.is_money:
        return lambda amount: fmt_money(amount, currency or "CNY", lang)
    return lambda amount: f"{amount:.0f}"


def split_of(goal: Goal) -> Breakdown:
    metric = GoalMetric(goal.metric)
    if goal.months:
        return breakdown(goal.target, monthly=[Decimal(m) for m in goal.months])
    return breakdown(goal.target, quantum=metric.quantum)


# --- progress ---------------------------------------------------------------------


@dataclass
class Section:
    title: str
    lines: list[str]
    behind: bool


def period_actuals(
    ctx: Context, goals: list[Goal], year: int, period: str = "year"
) -> dict[int, Decimal]:
    start, end = period_bounds(year, period)
    return actuals(
        ctx.session, goals, start=start, end=end, tz=ctx.tz, fx_rates=ctx.settings.fx_rates
    )


def _progress(
    goal: Goal, period_target: Decimal, actual: Decimal, start: date, end: date, today: date
) -> GoalProgress:
    return progress(
        period_target, actual, start, end, today, quantum=GoalMetric(goal.metric).quantum
    )


def goal_section(
    ctx: Context,
    goal: Goal,
    year: int,
    quarter: int | None,
    got: dict[int, Decimal],
    quarterly: list[dict[int, Decimal]] | None = None,
) -> Section:
    lang, today = ctx.lang, ctx.now.date()
    metric = GoalMetric(goal.metric)
    show = show_amount_fn(metric, goal.currency or ctx.settings.currency, lang)
    period = "year" if quarter is None else f"Q{quarter}"
    start, end = period_bounds(year, period)
    split = split_of(goal)
    p = _progress(goal, split.amount(period), got.get(goal.id, Decimal(0)), start, end, today)
    lines = [
        _(
            "bar",
            lang,
            bar=progress_bar(p.percent),
            expected=f"{p.expected_percent:.0f}",
            status=_(p.status.value, lang),
        ),
        _("numbers", lang, actual=show(p.actual), target=show(p.target)),
    ]
    if p.status is PaceStatus.BEHIND and p.needed_per_month and p.months_left > 1:
        lines.append(_("needed", lang, amount=show(p.needed_per_month), months=p.months_left))
    if quarterly is not None:
        cells = []
        for q, got_q in enumerate(quarterly, 1):
            q_start, _q_end = period_bounds(year, f"Q{q}")
            q_actual = got_q.get(goal.id, Decimal(0))
            started = q_start <= today
            actual = show(q_actual) if started else "–"
            met = started and split.quarters[q - 1] and q_actual >= split.quarters[q - 1]
            cells.append(
                _(
                    "quarter_cell",
                    lang,
                    q=q,
                    actual=actual,
                    target=show(split.quarters[q - 1]),
                    done=" ✓" if met else "",
                )
            )
        lines.append(" · ".join(cells))
    return Section(metric_label(metric, lang), lines, p.status is PaceStatus.BEHIND)
