"""The forecast as a reply (``/forecast``): expected bookings by close month against
the goal, commit vs best case, and 回款预测 — receivables by expected month, the overdue
apart — with the bookings as a stacked chart and the goal line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.forecast import Month, MonthForecast, ratio
from handlers.i18n import Catalog
from handlers.replies import Chart, Field, Reply, Series
from handlers.views import fmt_money
from handlers.views.book_scope import currency_unit, month_label
from handlers.views.health import fmt_pct

_ = Catalog("views.forecast")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Receipts:
    months: dict[Month, Decimal]
    before: Decimal
    after: Decimal
    overdue: Decimal
    overdue_invoices: int
    open_invoices: int  # not yet due
    late_payers: int  # of those, invoices moved by their account's days late


@dataclass(frozen=True)
class Unplaced:
    slipped_deals: int
    slipped: Decimal  # weighted
    undated_deals: int
    undated: Decimal  # weighted


def forecast_reply(
    *,
    title: str,
    period: str,
    lang: str,
    currency: str,
    months: Sequence[MonthForecast],
    has_goal: bool,
    unplaced: Unplaced,
    receipts: Receipts,
    notes: Sequence[str] = (),
) -> Reply:
    money = lambda amount: fmt_money(amount, currency, lang)  # noqa: E731
    won = sum((m.won for m in months), ZERO)
    commit = sum((m.commit_total for m in months), ZERO)
    best = sum((m.best_case for m in months), ZERO)
    goal = sum((m.goal or ZERO for m in months), ZERO)
    reply = Reply(title=title)
    reply.fields += [
        Field(_("goal", lang), money(goal) if has_goal else _("no_goal", lang)),
        Field(_("won", lang), money(won)),
        Field(_("commit", lang), money(commit)),
        Field(_("best_case", lang), money(best)),
    ]
    if has_goal:
        pct = fmt_pct(ratio(best, goal))
        value = (
            _("against_goal_short", lang, pct=pct, gap=money(goal - best))
            if best < goal
            else _("against_goal_above", lang, pct=pct, gap=money(best - goal))
        )
        reply.fields.append(Field(_("against_goal", lang), value))
    lines = []
    for m in months:
        key = "month_line_goal" if has_goal else "month_line"
        lines.append(_(key, lang, month=month_label(m.month, lang), won=money(m.won),
                       commit=money(m.commit_total), best=money(m.best_case),
                       goal=money(m.goal or ZERO)))  # fmt: skip
    if unplaced.slipped_deals:
        lines.append(_("slipped", lang, deals=unplaced.slipped_deals,
                       amount=money(unplaced.slipped)))  # fmt: skip
    if unplaced.undated_deals:
        lines.append(_("undated", lang, deals=unplaced.undated_deals,
                       amount=money(unplaced.undated)))  # fmt: skip
    reply.add_section(_("bookings", lang), lines)

    lines = [_("receipt_line", lang, month=month_label(m, lang), amount=money(a))
             for m, a in receipts.months.items()]  # fmt: skip
    if receipts.before:
        lines.append(_("receipts_before", lang, period=period, amount=money(receipts.before)))
    if receipts.after:
        lines.append(_("receipts_after", lang, period=period, amount=money(receipts.after)))
    lines.append(_("overdue", lang, amount=money(receipts.overdue),
                   invoices=receipts.overdue_invoices))  # fmt: skip
    if receipts.late_payers:
        lines.append(_("late_payers", lang, invoices=receipts.late_payers))
    reply.add_section(_("receipts", lang), lines)
    reply.lines += list(notes)
    reply.footer = _("footer", lang)
    reply.chart = Chart(
        kind="stacked",
        lang=lang,
        title=title,
        categories=tuple(month_label(m.month, lang) for m in months),
        series=(
            Series(_("series_won", lang), tuple(float(m.won) for m in months)),
            Series(_("series_commit", lang), tuple(float(m.commit) for m in months), stacked=True),
            Series(_("series_upside", lang), tuple(float(m.upside) for m in months), stacked=True),
        ),
        alt=_("alt", lang, period=period, won=money(won), best=money(best)),
        unit=currency_unit(currency),
        reference=tuple(float(m.goal or 0) for m in months) if has_goal else None,
        reference_label=_("series_goal", lang) if has_goal else "",
    )
    return reply
