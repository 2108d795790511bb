"""Showing goals against the book: a progress bar with the expected pace, the numbers,
what is needed per month when behind, and the quarters (``/goal``); and the charts of
goal progress (issue 18): done to date by month against the target's pace
(``month_chart``), and each goal's share done against the expected share
(``pace_chart``, a manager's team table)."""

from __future__ import annotations

from collections.abc import Sequence
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
from handlers.replies import Chart, Series
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


# --- charts -----------------------------------------------------------------------

PACE_CHART_ROWS = 12  # bars a phone screen shows readably; the text lists every goal


def chart_unit(metric: GoalMetric, currency: str | None) -> str:
    """What a chart writes before its numbers: the currency's symbol (``¥``, ``$``), or
    nothing for counts."""
    if not metric.is_money:
        return ""
    return fmt_money(Decimal(0), currency or "CNY", "en").removesuffix("0")


def month_chart(ctx: Context, goal: Goal, year: int, quarter: int | None, who: str) -> Chart:
    """Done to date at the end of each month of the period (bars, months not begun
    left empty) against the target's pace (the line: what the month split expects by
    then), in the reader's language.  One ``actuals`` query per month begun."""
    from babel.dates import format_date

    lang, today = ctx.lang, ctx.now.date()
    metric = GoalMetric(goal.metric)
    split = split_of(goal)
    months = range(1, 13) if quarter is None else range(3 * quarter - 2, 3 * quarter + 1)
    done: list[float] = []
    pace: list[float | None] = []
    actual = target = Decimal(0)
    for m in months:
        target += split.months[m - 1]
        pace.append(float(target))
        if date(year, m, 1) <= today:
            got = period_actuals(ctx, [goal], year, f"M{m}")
            actual += got.get(goal.id, Decimal(0))
            done.append(float(actual))
        else:
            done.append(0.0)
    show = show_amount_fn(metric, goal.currency or ctx.settings.currency, lang)
    period = str(year) if quarter is None else f"{year} Q{quarter}"
    label = metric_label(metric, lang)
    return Chart(
        kind="bars",
        lang=lang,
        title=_("chart_title", lang, metric=label, period=period, who=who),
        categories=tuple(format_date(date(year, m, 1), "MMM", locale=lang) for m in months),
        series=(Series(_("chart_done", lang), tuple(done)),),
        alt=_("chart_alt", lang, metric=label, who=who, actual=show(actual), target=show(target)),
        unit=chart_unit(metric, goal.currency or ctx.settings.currency),
        reference=tuple(pace),
        reference_label=_("chart_pace", lang),
    )


@dataclass(frozen=True)
class PaceRow:
    """One goal in a pace chart: whose and what, how much of it is done, how much is
    expected by today (percent of the period's target)."""

    label: str
    percent: Decimal
    expected: Decimal


def pace_chart(title: str, rows: Sequence[PaceRow], lang: str) -> Chart | None:
    """Each goal's share done (bars) against the share expected by now (a red tick):
    goals of different metrics and currencies side by side, per person for a
    manager's team table.  None when there is nothing to draw."""
    rows = list(rows)[:PACE_CHART_ROWS]
    if not rows:
        return None
    return Chart(
        kind="hbars",
        lang=lang,
        title=title,
        categories=tuple(r.label for r in rows),
        series=(Series(_("chart_share", lang), tuple(float(r.percent) for r in rows)),),
        alt=_("chart_pace_alt", lang, n=len(rows)),
        unit="%",
        reference=tuple(float(r.expected) for r in rows),
        reference_label=_("chart_expected", lang),
    )
