"""Pipeline, forecast and value-pyramid arithmetic (issue 18): pure functions on the
grouped numbers ``storage.pipeline`` reads, no text.

Definitions (the README and the replies use the same words):

* **Weighted amount** of a stage: its open amount times the stage's win probability
  (``[deals.probabilities]``, percent), to the cent.
* **Conversion X → next** over a window: of the deals that *entered* stage X in the
  window (a stage change to X dated in it), the share that later reached any stage after
  X (the next one, a later one skipped to, or won).  ``None`` when none entered X.
* **Days in stage**: the local calendar days since the deal's last stage change, as the
  stalled rule counts them (``domain.risks``); a deal is stalled past its stage's limit.
* **Expected bookings** of a month: won in the month plus the weighted open deals whose
  close date falls in it (best case); **commit** is won plus the weighted negotiation
  deals only.
* **Expected receipt** of an open invoice: its due day moved by the account's average
  days late over its settled invoices (``settled_on - due_on``), rounded; an account
  that pays early or on time is expected on the due day.
* **Revenue band** of an account: ranked by 12-month won revenue, the top 20% of the
  accounts (by count, rounded up) are band A, the next up to 50% band B, the rest and
  every account without revenue band C.  A tier two bands from its revenue band (a C
  earning like an A, an A earning like a C) is a candidate for the tier review.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0")

Month = tuple[int, int]  # (year, month)

TOP_BAND = Decimal("0.2")
MIDDLE_BAND = Decimal("0.5")


def weighted(amount: Decimal, probability: int) -> Decimal:
    """``amount`` at a ``probability`` percent chance, to the cent."""
    return (amount * Decimal(probability) / 100).quantize(CENT, ROUND_HALF_UP)


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part / whole`` (a fraction, four places), None when ``whole`` is zero."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def conversion(entered: int, advanced: int) -> Decimal | None:
    """The share of the deals that entered a stage which reached a later one."""
    if advanced > entered or advanced < 0:
        raise ValueError("more deals advanced than entered")
    return ratio(advanced, entered)


def median_days(histogram: Mapping[int, int]) -> Decimal | None:
    """The median of a multiset given as {days: how many}; the mean of the two middle
    values for an even count; None when empty."""
    total = sum(n for n in histogram.values() if n > 0)
    if total == 0:
        return None
    ordered = sorted((d, n) for d, n in histogram.items() if n > 0)

    def nth(k: int) -> int:  # the k-th smallest value, 0-based
        seen = 0
        for days, n in ordered:
            seen += n
            if k < seen:
                return days
        raise IndexError(k)

    low, high = nth((total - 1) // 2), nth(total // 2)
    return (Decimal(low + high) / 2).quantize(Decimal("0.1"), ROUND_HALF_UP)


def stalled(histogram: Mapping[int, int], limit: int | None) -> int:
    """How many deals of a stage sat in it longer than ``limit`` days (none without one)."""
    if limit is None:
        return 0
    return sum(n for days, n in histogram.items() if days > limit)


# --- months ---------------------------------------------------------------------------


def month_of(day: date) -> Month:
    return day.year, day.month


def months_between(first: date, last: date) -> list[Month]:
    """Every month from ``first``'s through ``last``'s."""
    out, (y, m) = [], month_of(first)
    while (y, m) <= month_of(last):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_bounds(month: Month) -> tuple[date, date]:
    """First and last day of a month."""
    y, m = month
    return date(y, m, 1), date(y, m, monthrange(y, m)[1])


def days_late(average: Decimal | float | None) -> int:
    """The whole days an account is expected to pay after the due day: its average
    days late rounded half up, never below zero (early payers count as on time)."""
    if average is None:
        return 0
    value = Decimal(str(average)).quantize(Decimal(1), ROUND_HALF_UP)
    return max(int(value), 0)


def expected_receipt(due_on: date, average_days_late: Decimal | float | None) -> date:
    """When an open invoice is expected to be paid, from its account's habits."""
    return due_on + timedelta(days=days_late(average_days_late))


# --- the forecast ---------------------------------------------------------------------


@dataclass(frozen=True)
class MonthForecast:
    """Expected bookings of one month, in one currency."""

    month: Month
    won: Decimal = ZERO
    commit: Decimal = ZERO  # weighted negotiation deals closing in the month
    upside: Decimal = ZERO  # weighted open deals of the other stages
    goal: Decimal | None = None

    @property
    def commit_total(self) -> Decimal:
        return self.won + self.commit

    @property
    def best_case(self) -> Decimal:
        """Won plus every open deal weighted: the expected bookings."""
        return self.won + self.commit + self.upside

    @property
    def gap(self) -> Decimal | None:
        """What the best case falls short of the goal by (negative: above it)."""
        return None if self.goal is None else self.goal - self.best_case


def forecast_months(
    months: Sequence[Month],
    *,
    won: Mapping[Month, Decimal],
    open_amounts: Mapping[tuple[Month, str], Decimal],
    probabilities: Mapping[str, int],
    goals: Mapping[Month, Decimal] | None = None,
    commit_stage: str = "negotiation",
) -> list[MonthForecast]:
    """Each month's won, commit and upside from the won amounts by month and the open
    amounts by (month, stage), weighting each stage by its probability."""
    out = []
    for month in months:
        commit = upside = ZERO
        for (m, stage), amount in open_amounts.items():
            if m != month:
                continue
            w = weighted(amount, probabilities.get(stage, 0))
            if stage == commit_stage:
                commit += w
            else:
                upside += w
        goal = None if goals is None else goals.get(month, ZERO)
        out.append(MonthForecast(month, won.get(month, ZERO), commit, upside, goal))
    return out


def receipts_by_month(
    invoices: Iterable[tuple[date, int, Decimal]], months: Sequence[Month]
) -> tuple[dict[Month, Decimal], Decimal, Decimal]:
    """Open amounts by expected month (the due day moved by the days late) from
    ``(due_on, days_late, amount)``: the months', what is expected before the first
    month and what after the last."""
    by_month = {m: ZERO for m in months}
    before = after = ZERO
    for due_on, late, amount in invoices:
        month = month_of(due_on + timedelta(days=late))
        if month in by_month:
            by_month[month] += amount
        elif months and month < months[0]:
            before += amount
        else:
            after += amount
    return by_month, before, after


# --- the value pyramid ----------------------------------------------------------------


def band_cuts(accounts: int) -> tuple[int, int]:
    """The last rank of band A and of band B among ``accounts`` ranked by revenue."""
    top = int((Decimal(accounts) * TOP_BAND).to_integral_value(rounding="ROUND_CEILING"))
    middle = int((Decimal(accounts) * MIDDLE_BAND).to_integral_value(rounding="ROUND_CEILING"))
    return top, middle


def revenue_band(rank: int, accounts: int, revenue: Decimal) -> str:
    """The band (A, B, C) of the account ranked ``rank`` (1 = most revenue)."""
    if revenue <= 0:
        return "C"
    top, middle = band_cuts(accounts)
    if rank <= top:
        return "A"
    if rank <= middle:
        return "B"
    return "C"


def disagrees(tier: str, band: str) -> bool:
    """A tier two bands from its revenue band: a C earning like an A, or an A like a C."""
    return {tier, band} == {"A", "C"}
