from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.goals import (
    GoalMetric,
    PaceStatus,
    breakdown,
    period_bounds,
    progress,
    progress_bar,
)

D = Decimal


def decimals(*values: str) -> tuple[Decimal, ...]:
    return tuple(D(v) for v in values)


# --- breakdown -------------------------------------------------------------


def test_even_split_of_a_round_target():
    result = breakdown(D("1200000"))
    assert result.months == (D("100000.00"),) * 12
    assert result.quarters == (D("300000.00"),) * 4
    assert result.target == D("1200000")


def test_even_split_hands_leftover_cents_to_the_last_months():
    result = breakdown(D("100"))
    assert result.months == decimals(*["8.33"] * 8, *["8.34"] * 4)
    assert result.quarters == decimals("24.99", "24.99", "25.00", "25.02")
    assert sum(result.months) == D("100")
    assert sum(result.quarters) == D("100")


def test_counts_split_into_whole_numbers():
    result = breakdown(D(30), quantum=GoalMetric.WON_DEALS.quantum)
    assert result.months == decimals(*["2"] * 6, *["3"] * 6)
    assert result.quarters == decimals("6", "6", "9", "9")


def test_month_weights_are_normalised():
    result = breakdown(D("1000"), month_weights=[D(1)] * 11 + [D(2)])
    # 1000 / 13 = 76.923..., December twice that = 153.846...; rounded down they
    # leave 4 cents: December lost the most, then the ties go to Nov, Oct, Sep.
    assert result.months == decimals(*["76.92"] * 8, "76.93", "76.93", "76.93", "153.85")
    assert result.quarters == decimals("230.76", "230.76", "230.77", "307.71")
    assert result.target == D("1000")


def test_months_without_weight_get_nothing():
    result = breakdown(D("100"), month_weights=[1] * 11 + [0])
    assert result.months == decimals(*["9.09"] * 10, "9.10", "0.00")
    assert result.amount("M12") == D(0)
    assert result.amount("Q4") == D("18.19")


def test_explicit_monthly_amounts_must_add_up():
    amounts = [D(0)] * 6 + [D(100)] * 6
    assert breakdown(D(600), monthly=amounts).quarters == decimals("0", "0", "300", "300")
    with pytest.raises(InvalidInput):
        breakdown(D(601), monthly=amounts)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"month_weights": [1] * 11},
        {"month_weights": [0] * 12},
        {"month_weights": [1] * 11 + [-1]},
        {"monthly": [D(1)] * 13},
        {"month_weights": [1] * 12, "monthly": [D(1)] * 12},
    ],
)
def test_bad_splits_are_refused(kwargs):
    with pytest.raises(InvalidInput):
        breakdown(D(12), **kwargs)


def test_negative_target_is_refused():
    with pytest.raises(InvalidInput):
        breakdown(D(-1))


@given(
    target=st.decimals(min_value=0, max_value=10**12, places=2),
    weights=st.lists(st.integers(0, 50), min_size=12, max_size=12).filter(any),
)
def test_breakdown_always_sums_exactly_to_the_target(target, weights):
    result = breakdown(target, month_weights=weights)
    assert sum(result.months) == target
    assert sum(result.quarters) == target
    assert all(month >= 0 for month in result.months)
    assert all(
        month == 0 for month, weight in zip(result.months, weights, strict=True) if weight == 0
    )


@given(target=st.decimals(min_value=0, max_value=10**9, places=2))
def test_even_split_months_differ_by_at_most_a_cent(target):
    months = breakdown(target).months
    assert max(months) - min(months) <= D("0.01")


# --- periods ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "period", "bounds"),
    [
        (2025, "year", (date(2025, 1, 1), date(2025, 12, 31))),
        (2024, "Q1", (date(2024, 1, 1), date(2024, 3, 31))),
        (2025, "q2", (date(2025, 4, 1), date(2025, 6, 30))),
        (2025, "Q4", (date(2025, 10, 1), date(2025, 12, 31))),
        (2024, "M2", (date(2024, 2, 1), date(2024, 2, 29))),
        (2025, "M2", (date(2025, 2, 1), date(2025, 2, 28))),
        (2025, "M12", (date(2025, 12, 1), date(2025, 12, 31))),
    ],
)
def test_period_bounds(year, period, bounds):
    assert period_bounds(year, period) == bounds


@pytest.mark.parametrize("period", ["Q5", "M0", "M13", "H1", "", "Q"])
def test_unknown_periods_are_refused(period):
    with pytest.raises(InvalidInput):
        period_bounds(2025, period)


# --- progress --------------------------------------------------------------

YEAR = period_bounds(2025, "year")
TARGET = D(1_200_000)


def test_progress_behind_pace():
    # June 30 is day 181 of 365: 49.6% of the year, 595,068.49 expected by now.
    result = progress(TARGET, D(500_000), *YEAR, date(2025, 6, 30))
    assert result.percent == D("41.7")
    assert result.expected_percent == D("49.6")
    assert result.pace == D("0.84")
    assert result.status is PaceStatus.BEHIND
    assert result.remaining == D(700_000)
    assert result.months_left == 7  # June to December
    assert result.needed_per_month == D("100000.00")


@pytest.mark.parametrize(
    ("actual", "status"),
    [
        # 90% of the 595,068.49 expected is 535,561.64383..., 110% is 654,575.34246...
        ("535561.64", PaceStatus.BEHIND),
        ("535561.65", PaceStatus.ON_PACE),
        ("600000", PaceStatus.ON_PACE),
        ("654575.34", PaceStatus.ON_PACE),
        ("654575.35", PaceStatus.AHEAD),
        ("1200000", PaceStatus.DONE),
        ("1300000", PaceStatus.DONE),
    ],
)
def test_pace_status_with_ten_percent_tolerance(actual, status):
    assert progress(TARGET, D(actual), *YEAR, date(2025, 6, 30)).status is status


def test_tolerance_is_configurable():
    result = progress(TARGET, D(500_000), *YEAR, date(2025, 6, 30), tolerance=D("0.2"))
    assert result.status is PaceStatus.ON_PACE


def test_quarter_progress_counts_today():
    start, end = period_bounds(2025, "Q2")  # 91 days
    result = progress(D(300), D(100), start, end, date(2025, 5, 15))  # day 45
    assert result.expected_percent == D("49.5")
    assert result.percent == D("33.3")
    assert result.pace == D("0.67")  # 100 / 148.35
    assert result.status is PaceStatus.BEHIND
    assert (result.months_left, result.needed_per_month) == (2, D("100.00"))


def test_needed_per_month_rounds_up():
    start, end = period_bounds(2025, "Q4")
    result = progress(D(1000), D(0), start, end, date(2025, 10, 1))
    assert result.needed_per_month == D("333.34")


def test_before_the_period_nothing_is_expected():
    result = progress(TARGET, D(0), *YEAR, date(2024, 12, 31))
    assert result.expected_percent == D(0)
    assert result.pace is None
    assert result.status is PaceStatus.ON_PACE
    assert result.months_left == 12


def test_after_the_period_nothing_is_left_to_plan():
    result = progress(TARGET, D(900_000), *YEAR, date(2026, 1, 5))
    assert result.expected_percent == D(100)
    assert result.status is PaceStatus.BEHIND
    assert result.months_left == 0
    assert result.needed_per_month is None


def test_done_needs_nothing_more():
    result = progress(TARGET, D(1_250_000), *YEAR, date(2025, 12, 1))
    assert (result.status, result.remaining, result.needed_per_month) == (
        PaceStatus.DONE,
        D(0),
        D("0.00"),
    )
    assert result.percent == D("104.2")


def test_zero_target_has_no_percent():
    result = progress(D(0), D(0), *YEAR, date(2025, 6, 1))
    assert result.percent is None
    assert result.pace is None
    assert result.status is PaceStatus.DONE


def test_counts_need_whole_numbers_per_month():
    result = progress(D(10), D(3), *YEAR, date(2025, 10, 1), quantum=GoalMetric.WON_DEALS.quantum)
    assert result.needed_per_month == D(3)  # 7 over 3 months, rounded up


def test_period_ending_before_it_starts_is_refused():
    with pytest.raises(InvalidInput):
        progress(TARGET, D(0), date(2025, 2, 1), date(2025, 1, 1), date(2025, 1, 1))


# --- text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "bar"),
    [
        (D(70), "███████░░░ 70%"),
        (D("70.0"), "███████░░░ 70%"),
        (0, "░░░░░░░░░░ 0%"),
        (D("33.3"), "███░░░░░░░ 33.3%"),
        (D("99.9"), "█████████░ 99.9%"),
        (100, "██████████ 100%"),
        (D("125"), "██████████ 125%"),
        (12.5, "█░░░░░░░░░ 12.5%"),
        (None, "░░░░░░░░░░ –"),
    ],
)
def test_progress_bar(percent, bar):
    assert progress_bar(percent) == bar


def test_progress_bar_width():
    assert progress_bar(D(50), width=5) == "██░░░ 50%"


def test_metric_labels_and_steps():
    from handlers.views.goals import metric_label

    assert metric_label(GoalMetric("won_revenue"), "zh") == "赢单金额"
    assert metric_label(GoalMetric.WON_DEALS, "zh") == "赢单数"
    assert metric_label(GoalMetric.INTERACTIONS, "zh") == "跟进次数"
    assert metric_label(GoalMetric.NEW_CONTACTS, "zh") == "新增联系人"
    assert metric_label(GoalMetric.NEW_CONTACTS, "en") == "new contacts"
    assert metric_label(GoalMetric.WON_REVENUE, "fr") == "won revenue"
    assert GoalMetric.WON_REVENUE.quantum == D("0.01")
    assert GoalMetric.INTERACTIONS.quantum == D(1)
