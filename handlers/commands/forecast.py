"""``/forecast [team T | @person | me] [quarter | year]`` (``/预测``): expected bookings and
回款预测 (receivables) by month, for the deals and accounts the asker may see.

Bookings, by the month of the close date (``domain.forecast``): won in the month, plus
the open deals closing in it weighted by their stage's probability — **commit** counts
the negotiation deals only, **best case** every open stage (the expected bookings) —
against the revenue goals of the person, the teams or (the whole book) every team,
split by month.  Open deals whose close date is in a month already past, or that have
none, are shown apart.  Receivables: the open invoices not yet due by the month they
are expected, their due day moved by the account's average days late on its settled
invoices; the overdue apart.  The period defaults to this quarter.  Read-only.

    /forecast          /forecast team East 2026         /预测 @王磊 本季度
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from domain.forecast import (
    days_late,
    forecast_months,
    month_of,
    months_between,
    receipts_by_month,
    weighted,
)
from domain.goals import GoalMetric, period_bounds
from domain.health import CurrencyMismatch, convert
from domain.models import Goal
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.parsing.periods import current_quarter
from handlers.registry import command
from handlers.replies import Reply
from handlers.views.book_scope import (
    ScopeArgs,
    by_currency,
    house_total,
    parse_scope,
    period_label,
    resolve_scope,
    unconverted_line,
)
from handlers.views.forecast import Receipts, Unplaced, forecast_reply
from handlers.views.goals import split_of
from storage import goals as goal_repo
from storage.pipeline import (
    BookScope,
    open_by_close_month,
    open_unplaced,
    receivables,
    won_by_month,
)

_ = Catalog("forecast")
ZERO = Decimal(0)


class ForecastQuery(BaseModel):
    command: str = "forecast"
    scope: ScopeArgs


def parse_forecast(args: str, pctx: ParseContext) -> ForecastQuery:
    scope = parse_scope(args, pctx, example=_("example", pctx.lang))
    if scope.period is None:
        today = pctx.now.date()
        scope = ScopeArgs(scope.who, scope.name, today.year, current_quarter(today))
    return ForecastQuery(scope=scope)


@command(name="forecast", aliases=("预测", "回款预测", "forecasts"), parse=parse_forecast,
         group="health")  # fmt: skip
def run_forecast(ctx: Context, cmd: ForecastQuery) -> Reply:
    lang, session, settings = ctx.lang, ctx.session, ctx.settings
    house, rates = settings.currency, settings.fx_rates
    scope, who = resolve_scope(ctx, cmd.scope)
    year, period = cmd.scope.year or ctx.now.year, cmd.scope.period or "year"
    label = period_label(year, period, lang)
    title = _("title", lang, who=who, period=label)
    first, last = period_bounds(year, period)
    months = months_between(first, last)
    today = ctx.now.date()
    this_month = month_of(today)
    ahead = [m for m in months if m >= this_month]
    left_out: set[str] = set()

    def house_of(amounts: dict[str, Decimal]) -> Decimal:
        total, missing = house_total(amounts, settings)
        left_out.update(missing)
        return total

    won_rows = won_by_month(session, scope, months, ctx.tz)
    won = {m: house_of({c: a for (mm, c), a in won_rows.items() if mm == m}) for m in months}
    open_rows = open_by_close_month(session, scope, ahead)
    open_amounts = {}
    for m, stage in {(m, s) for (m, s, _c) in open_rows}:
        amounts = {c: a for (mm, s, c), (_n, a) in open_rows.items() if (mm, s) == (m, stage)}
        open_amounts[(m, stage)] = house_of(amounts)
    goals = _goals(ctx, scope, year)
    monthly_goals = _monthly_goals(goals, months, house, rates, left_out)
    probabilities = settings.deals.probabilities
    forecast = forecast_months(months, won=won, open_amounts=open_amounts,
                               probabilities=probabilities,
                               goals=monthly_goals if goals else None)  # fmt: skip

    unplaced = open_unplaced(session, scope, before=date_of(this_month))

    def weighted_total(rows: dict[tuple[str, str], Decimal]) -> Decimal:
        total = ZERO
        for stage in {s for s, _c in rows}:
            amount = house_of({c: a for (s, c), a in rows.items() if s == stage})
            total += weighted(amount, probabilities.get(stage, 0))
        return total

    owed = receivables(session, scope, today=today)
    lines_by_currency: dict[str, list] = {}
    late_payers = 0
    for (due, avg, currency), (invoices, amount) in owed.upcoming.items():
        late = days_late(avg)
        lines_by_currency.setdefault(currency, []).append((due, late, amount))
        if late:
            late_payers += invoices
    receipt_months = {m: ZERO for m in ahead}
    before = after = ZERO
    for currency, rows in lines_by_currency.items():
        by_month, early, later = receipts_by_month(rows, ahead)
        for m, amount in by_month.items():
            receipt_months[m] += house_of({currency: amount})
        before += house_of({currency: early})
        after += house_of({currency: later})
    receipts = Receipts(
        months=receipt_months, before=before, after=after,
        overdue=house_of(by_currency(owed.overdue.items())),
        overdue_invoices=owed.overdue_invoices, open_invoices=owed.upcoming_invoices,
        late_payers=late_payers,
    )  # fmt: skip
    nothing = (
        not won_rows and not open_rows and not owed.upcoming and not owed.overdue
        and not unplaced.slipped_deals and not unplaced.undated_deals
    )  # fmt: skip
    if nothing and not goals:
        return Reply(title=title, lines=[_("empty", lang, who=who, period=label)])
    return forecast_reply(
        title=title,
        period=label,
        lang=lang,
        currency=house,
        months=forecast,
        has_goal=bool(goals),
        unplaced=Unplaced(
            unplaced.slipped_deals,
            weighted_total(unplaced.slipped),
            unplaced.undated_deals,
            weighted_total(unplaced.undated),
        ),
        receipts=receipts,
        notes=unconverted_line(left_out, lang),
    )


def date_of(month: tuple[int, int]) -> date:
    return date(month[0], month[1], 1)


def _goals(ctx: Context, scope: BookScope, year: int) -> list[Goal]:
    """The revenue goals of the scope: the person's, the teams', or every team's."""
    metric = GoalMetric.WON_REVENUE.value
    if scope.owner_id is not None:
        return goal_repo.of_subject(ctx.session, year=year, scope="user",
                                    user_id=scope.owner_id, metric=metric)  # fmt: skip
    found = goal_repo.for_kpi(ctx.session, year=year, team_ids=scope.team_ids)
    return [g for g in found if g.metric == metric]


def _monthly_goals(goals, months, house, rates, left_out: set[str]) -> dict:
    out = {m: ZERO for m in months}
    for goal in goals:
        split = split_of(goal).months
        currency = goal.currency or house
        for y, m in months:
            if y != goal.year:
                continue
            try:
                out[(y, m)] += convert(split[m - 1], currency, house, house=house, rates=rates)
            except CurrencyMismatch:  # no rate: left out, and the reply says so
                left_out.add(currency)
    return {m: v.quantize(Decimal("0.01")) for m, v in out.items()}
