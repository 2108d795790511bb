"""Annual goals: a yearly target spread over months and quarters, and progress.

A goal counts one ``GoalMetric`` over a calendar year. Amounts are Decimals: a
cent is the smallest step for money, one for counts (``GoalMetric.quantum``).
Periods are named "year", "Q1".."Q4" and "M1".."M12".
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation
from enum import StrEnum

from domain.errors import InvalidInput

CENT = Decimal("0.01")
ONE = Decimal(1)
ZERO = Decimal(0)

PERIODS = ("year", "Q1", "Q2", "Q3", "Q4", *(f"M{m}" for m in range(1, 13)))


class GoalMetric(StrEnum):
    """What a goal counts."""

    WON_REVENUE = "won_revenue"
    WON_DEALS = "won_deals"
    INTERACTIONS = "interactions"
    NEW_CONTACTS = "new_contacts"

    @property
    def is_money(self) -> bool:
        return self is GoalMetric.WON_REVENUE

    @property
    def quantum(self) -> Decimal:
        """Smallest step of an amount: a cent for money, one for counts."""
        return CENT if self.is_money else ONE


class PaceStatus(StrEnum):
    AHEAD = "ahead"
    ON_PACE = "on_pace"
    BEHIND = "behind"
    DONE = "done"


@dataclass(frozen=True)
class Breakdown:
    """A yearly target as twelve monthly amounts (January first)."""

    months: tuple[Decimal, ...]

    @property
    def target(self) -> Decimal:
        return sum(self.months, ZERO)

    @property
    def quarters(self) -> tuple[Decimal, ...]:
        return tuple(sum(self.months[q : q + 3], ZERO) for q in range(0, 12, 3))

    def amount(self, period: str) -> Decimal:
        """The target of one period: "year", "Q1".."Q4" or "M1".."M12"."""
        first, last = _months_of(period)
        return sum(self.months[first - 1 : last], ZERO)


def breakdown(
    target: Decimal,
    *,
    month_weights: Sequence[Decimal] | None = None,
    monthly: Sequence[Decimal] | None = None,
    quantum: Decimal = CENT,
) -> Breakdown:
    """Spread a yearly ``target`` over the twelve months.

    Evenly by default; ``month_weights`` (twelve non-negative numbers, only
    their proportions matter) tilt the split, and ``monthly`` gives the twelve
    amounts outright, which must add up to ``target``.

    Computed months are rounded down to ``quantum`` (a cent; pass 1 for counts),
    then the quanta this lost are handed back one each to the months that lost
    the most, later months first on a tie — so an even split of 100.00 gives
    8.33 to January-August and 8.34 to September-December, and 30 deals give
    2 a month for the first half and 3 for the second. The months always sum
    exactly to ``target``; a rest smaller than a quantum goes to the last month
    with any weight.
    """
    target = _decimal(target, "target")
    if target < 0:
        raise InvalidInput("target_negative", value=target)
    if month_weights is not None and monthly is not None:
        raise InvalidInput("weights_and_monthly")

    if monthly is not None:
        amounts = _twelve(monthly, "monthly")
        total = sum(amounts, ZERO)
        if total != target:
            raise InvalidInput("monthly_sum", target=target, total=total)
        return Breakdown(tuple(amounts))

    weights = [ONE] * 12 if month_weights is None else _twelve(month_weights, "month_weights")
    weight_sum = sum(weights, ZERO)
    if weight_sum == 0:
        raise InvalidInput("weights_zero")
    shares = [target * w / weight_sum for w in weights]
    months = [share.quantize(quantum, rounding=ROUND_DOWN) for share in shares]
    lost_quanta = int((target - sum(months, ZERO)) / quantum)
    by_loss = sorted(range(12), key=lambda i: (shares[i] - months[i], i), reverse=True)
    for i in by_loss[:lost_quanta]:
        months[i] += quantum
    last_weighted = max(i for i, w in enumerate(weights) if w > 0)
    months[last_weighted] += target - sum(months, ZERO)
    return Breakdown(tuple(months))


def period_bounds(year: int, period: str = "year") -> tuple[date, date]:
    """First and last day (inclusive) of ``period`` in ``year``."""
    first, last = _months_of(period)
    return date(year, first, 1), date(year, last, monthrange(year, last)[1])


@dataclass(frozen=True)
class GoalProgress:
    """How far a goal has come, and whether that is enough for the time spent.

    ``percent`` is None for a zero target and ``pace`` (actual over what was
    expected by now) is None before the period starts. ``months_left`` counts
    the current month; ``needed_per_month`` is None once the period is over.
    """

    target: Decimal
    actual: Decimal
    percent: Decimal | None
    expected_percent: Decimal
    pace: Decimal | None
    status: PaceStatus
    remaining: Decimal
    months_left: int
    needed_per_month: Decimal | None


def progress(
    target: Decimal,
    actual: Decimal,
    start: date,
    end: date,
    today: date,
    *,
    tolerance: Decimal = Decimal("0.1"),
    quantum: Decimal = CENT,
) -> GoalProgress:
    """Measure ``actual`` against ``target`` over ``start``..``end`` (inclusive).

    What is expected by ``today`` grows with the days elapsed, today included.
    Within ``tolerance`` (10%) of that, either way, the goal is on pace; above
    it ahead, below it behind; reaching the target is done. Nothing is expected
    before the period starts, so a goal is on pace then.
    """
    target = _decimal(target, "target")
    actual = _decimal(actual, "actual")
    if end < start:
        raise InvalidInput("period_reversed", start=start, end=end)
    if not 0 <= tolerance < 1:
        raise InvalidInput("tolerance_range", value=tolerance)

    total_days = (end - start).days + 1
    elapsed_days = min(max((today - start).days + 1, 0), total_days)
    elapsed = Decimal(elapsed_days) / Decimal(total_days)
    expected = target * elapsed

    if actual >= target:
        status = PaceStatus.DONE
    elif expected == 0 or (1 - tolerance) * expected <= actual <= (1 + tolerance) * expected:
        status = PaceStatus.ON_PACE
    elif actual > expected:
        status = PaceStatus.AHEAD
    else:
        status = PaceStatus.BEHIND

    remaining = max(target - actual, ZERO)
    months_left = _months_left(start, end, today)
    return GoalProgress(
        target=target,
        actual=actual,
        percent=None if target == 0 else _percent(actual / target),
        expected_percent=_percent(elapsed),
        pace=None if expected == 0 else (actual / expected).quantize(CENT, ROUND_HALF_UP),
        status=status,
        remaining=remaining,
        months_left=months_left,
        needed_per_month=(
            (remaining / months_left).quantize(quantum, ROUND_UP) if months_left else None
        ),
    )


FULL_CELL = "█"
EMPTY_CELL = "░"


def progress_bar(percent: Decimal | float | None, width: int = 10) -> str:
    """A text bar such as ``███████░░░ 70%``.

    Cells are filled rounding down, so the bar is full only at 100%; a percent
    above 100 fills the bar and is printed as is. None (no target) prints an
    empty bar and a dash.
    """
    if percent is None:
        return f"{EMPTY_CELL * width} –"
    value = Decimal(str(percent)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    filled = int(min(max(value, ZERO), Decimal(100)) * width / 100)
    text = f"{value:.0f}" if value == value.to_integral_value() else f"{value}"
    return f"{FULL_CELL * filled}{EMPTY_CELL * (width - filled)} {text}%"


def _months_of(period: str) -> tuple[int, int]:
    """First and last month number of a period name."""
    name = period.strip().upper()
    if name == "YEAR":
        return 1, 12
    kind, number = name[:1], name[1:]
    if number.isdigit():
        n = int(number)
        if kind == "Q" and 1 <= n <= 4:
            return 3 * n - 2, 3 * n
        if kind == "M" and 1 <= n <= 12:
            return n, n
    raise InvalidInput("period_unknown", value=period, choices=PERIODS)


def _months_left(start: date, end: date, today: date) -> int:
    """Calendar months from today's (or the start's, if later) through the end's."""
    if today > end:
        return 0
    since = max(today, start)
    return (end.year - since.year) * 12 + end.month - since.month + 1


def _percent(fraction: Decimal) -> Decimal:
    return (fraction * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _decimal(value: Decimal | int | str | float, name: str) -> Decimal:
    """``value`` as a Decimal; floats go through their shortest repr, not binary."""
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite():
        raise InvalidInput("not_a_number", field=name, value=value)
    return number


def _twelve(values: Sequence[Decimal], name: str) -> list[Decimal]:
    amounts = [_decimal(v, name) for v in values]
    if len(amounts) != 12:
        raise InvalidInput("need_twelve", field=name, count=len(amounts))
    if any(a < 0 for a in amounts):
        raise InvalidInput("monthly_negative", field=name)
    return amounts
