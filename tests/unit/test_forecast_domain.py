"""domain.forecast: weighting, conversion, medians, month shifting and revenue bands,
each against numbers worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from domain.forecast import (
    MonthForecast,
    band_cuts,
    conversion,
    days_late,
    disagrees,
    expected_receipt,
    forecast_months,
    median_days,
    month_bounds,
    months_between,
    ratio,
    receipts_by_month,
    revenue_band,
    stalled,
    weighted,
)

PROBS = {"lead": 10, "qualify": 25, "proposal": 50, "negotiation": 75, "won": 100, "lost": 0}


def test_weighted_is_amount_times_probability_to_the_cent():
    assert weighted(D("1300000"), 50) == D("650000.00")
    assert weighted(D("333.33"), 25) == D("83.33")  # 83.3325 rounds half up to .33
    assert weighted(D("0.02"), 75) == D("0.02")  # 0.015 → 0.02
    assert weighted(D("100"), 0) == D("0.00")


def test_conversion_is_the_share_that_advanced():
    assert conversion(5, 4) == D("0.8")
    assert conversion(3, 1) == D("0.3333")
    assert conversion(0, 0) is None
    with pytest.raises(ValueError):
        conversion(2, 3)


def test_ratio_of_nothing_is_none():
    assert ratio(1, 0) is None
    assert ratio(D("500000"), D("1850000")) == D("0.2703")


def test_median_of_a_histogram():
    assert median_days({40: 1}) == D("40")
    assert median_days({5: 1, 3: 1}) == D("4")  # mean of the two middle values
    assert median_days({1: 2, 10: 1}) == D("1")
    assert median_days({1: 1, 2: 1, 7: 1, 30: 1}) == D("4.5")
    assert median_days({}) is None
    assert median_days({3: 0}) is None


def test_stalled_counts_deals_past_the_limit_only():
    ages = {14: 2, 15: 1, 40: 3}
    assert stalled(ages, 14) == 4  # 14 days is not past a 14-day limit
    assert stalled(ages, 30) == 3
    assert stalled(ages, None) == 0


def test_months_and_their_bounds():
    assert months_between(date(2026, 11, 1), date(2027, 2, 28)) == [
        (2026, 11), (2026, 12), (2027, 1), (2027, 2),
    ]  # fmt: skip
    assert month_bounds((2028, 2)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_days_late_rounds_half_up_and_never_goes_early():
    assert days_late(None) == 0
    assert days_late(15.0) == 15
    assert days_late(D("14.5")) == 15
    assert days_late(D("14.49")) == 14
    assert days_late(-5.0) == 0  # an early payer is expected on the due day


def test_a_late_payer_moves_to_the_next_month():
    # due Nov 25, pays 15 days late on average: expected Dec 10
    assert expected_receipt(date(2026, 11, 25), 15.0) == date(2026, 12, 10)
    assert expected_receipt(date(2026, 11, 25), None) == date(2026, 11, 25)
    months = [(2026, 11), (2026, 12)]
    by_month, before, after = receipts_by_month(
        [
            (date(2026, 11, 25), 15, D("300000")),  # → Dec 10
            (date(2026, 12, 20), 15, D("100000")),  # → Jan 4: after
            (date(2026, 11, 28), 0, D("200000")),  # → Nov
            (date(2026, 12, 5), 0, D("40000")),  # → Dec
            (date(2026, 10, 30), 0, D("1")),  # before the months
        ],
        months,
    )
    assert by_month == {(2026, 11): D("200000"), (2026, 12): D("340000")}
    assert (before, after) == (D("1"), D("100000"))


def test_forecast_months_weight_commit_and_upside():
    months = [(2026, 10), (2026, 11), (2026, 12)]
    out = forecast_months(
        months,
        won={(2026, 10): D("500000"), (2026, 11): D("200000")},
        open_amounts={
            ((2026, 11), "negotiation"): D("400000"),
            ((2026, 12), "proposal"): D("300000"),
        },
        probabilities=PROBS,
        goals={m: D("600000") for m in months},
    )
    assert out[0] == MonthForecast((2026, 10), D("500000"), D(0), D(0), D("600000"))
    assert (out[1].commit_total, out[1].best_case) == (D("500000"), D("500000"))
    assert (out[2].commit_total, out[2].best_case) == (D("0"), D("150000"))
    assert out[2].gap == D("450000")
    assert forecast_months(months, won={}, open_amounts={}, probabilities=PROBS)[0].goal is None


def test_revenue_bands_top_20_and_next_30_percent():
    assert band_cuts(6) == (2, 3)  # ceil(1.2), ceil(3)
    assert band_cuts(4) == (1, 2)
    assert band_cuts(10) == (2, 5)
    assert band_cuts(1) == (1, 1)
    assert [revenue_band(r, 6, D("1")) for r in range(1, 7)] == ["A", "A", "B", "C", "C", "C"]
    assert revenue_band(1, 6, D("0")) == "C"  # no revenue is never a top account
    assert disagrees("C", "A") and disagrees("A", "C")
    assert not disagrees("A", "B") and not disagrees("B", "C") and not disagrees("A", "A")
