from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.errors import InvalidInput
from domain.tiers import (
    DimensionScores,
    TierFactors,
    TierPolicy,
    dimension_scores,
    effective_tier,
    score,
)

# Revenue 10m, margin 40%, 30 payment days: current value is full, the rest unknown.
BIG_AND_UNKNOWN = TierFactors(annual_revenue=Decimal(10_000_000), margin_pct=40, payment_days=30)


def test_every_factor_known():
    factors = TierFactors(
        annual_revenue=Decimal(1_000_000),  # log scale: 50
        margin_pct=20,  # 20 of 40: 50
        payment_days=75,  # halfway between 120 and 30: 50
        growth_pct=5,  # (5 - -20) / (30 - -20): 50
        cross_sell=60,
        reference_value=80,
        brand_value=70,
        innovation_value=None,  # neutral 50
        years_together=2.5,  # of 5: 50
        executive_contact=True,  # 100
        decision_chain_depth=2,  # of 4: 50
        payment_record=90,
        satisfaction=8,  # 80
    )
    result = score(factors, TierPolicy())
    assert result.dimensions == DimensionScores(
        current=50.0,  # 0.6 * 50 + 0.25 * 50 + 0.15 * 50
        potential=55.0,  # (50 + 60) / 2
        strategic=66.7,  # (80 + 70 + 50) / 3
        relationship=74.0,  # (50 + 100 + 50 + 90 + 80) / 5
    )
    # 0.4 * 50 + 0.25 * 55 + 0.15 * 66.7 + 0.2 * 74 = 58.555
    assert result.total == 58.6
    assert result.tier == "B"


def test_nothing_known_scores_neutral_except_current_value():
    result = score(TierFactors(), TierPolicy())
    assert result.dimensions == DimensionScores(0.0, 50.0, 50.0, 50.0)
    assert result.total == 30.0  # 0.25 * 50 + 0.15 * 50 + 0.2 * 50
    assert result.tier == "C"


def test_zero_revenue_has_no_current_value_whatever_the_margin():
    factors = TierFactors(annual_revenue=Decimal(0), margin_pct=40, payment_days=10)
    assert dimension_scores(factors, TierPolicy()).current == 0.0


@pytest.mark.parametrize(
    ("revenue", "current"),
    [
        (50_000, 40.0),  # below the floor: revenue part 0, margin and payment full
        (100_000, 40.0),
        (1_000_000, 70.0),  # one tenfold step of two: 0.6 * 50 + 40
        (3_000_000, 84.3),  # 0.6 * 100 * log10(30) / log10(100) + 40 = 84.31
        (10_000_000, 100.0),
        (20_000_000, 100.0),  # saturated
    ],
)
def test_revenue_is_scored_on_a_log_scale(revenue, current):
    factors = TierFactors(annual_revenue=Decimal(revenue), margin_pct=40, payment_days=30)
    assert dimension_scores(factors, TierPolicy()).current == current


def test_missing_margin_and_payment_days_count_as_neutral():
    factors = TierFactors(annual_revenue=Decimal(10_000_000))
    # 0.6 * 100 + 0.25 * 50 + 0.15 * 50
    assert dimension_scores(factors, TierPolicy()).current == 80.0


def test_anchors_come_from_the_policy():
    policy = TierPolicy(anchors={"revenue_saturation": 1_000_000, "payment_days_bad": 60})
    factors = TierFactors(annual_revenue=Decimal(1_000_000), margin_pct=40, payment_days=45)
    # revenue saturates at 1m: 60; margin 25; payment halfway between 60 and 30: 7.5
    assert dimension_scores(factors, policy).current == 92.5


def test_growth_below_the_floor_scores_zero_not_less():
    factors = TierFactors(growth_pct=-50, cross_sell=40)
    assert dimension_scores(factors, TierPolicy()).potential == 20.0


def test_default_weights_make_a_big_unknown_account_b():
    result = score(BIG_AND_UNKNOWN, TierPolicy())
    assert result.dimensions == DimensionScores(100.0, 50.0, 50.0, 50.0)
    assert result.total == 70.0  # 40 + 12.5 + 7.5 + 10
    assert result.tier == "B"


def test_custom_weights_are_normalised():
    policy = TierPolicy(weights={"current": 2, "potential": 1, "strategic": 1, "relationship": 0})
    assert policy.weights.current == 0.5
    assert policy.weights.potential == 0.25
    assert policy.weights.relationship == 0.0
    result = score(BIG_AND_UNKNOWN, policy)
    assert result.total == 75.0  # 0.5 * 100 + 0.25 * 50 + 0.25 * 50
    assert result.tier == "A"


def test_custom_thresholds():
    policy = TierPolicy(thresholds={"a": 65, "b": 40})
    assert score(BIG_AND_UNKNOWN, policy).tier == "A"
    assert score(TierFactors(), policy).tier == "C"
    assert policy.tier_for(40) == "B"
    assert policy.tier_for(39.9) == "C"


def test_default_thresholds_are_inclusive():
    policy = TierPolicy()
    assert [policy.tier_for(t) for t in (75, 74.9, 50, 49.9)] == ["A", "B", "B", "C"]


@pytest.mark.parametrize(
    "settings",
    [
        {"weights": {"current": -1}},
        {"weights": {"current": 0, "potential": 0, "strategic": 0, "relationship": 0}},
        {"thresholds": {"a": 50, "b": 50}},
        {"thresholds": {"a": 40, "b": 60}},
        {"anchors": {"revenue_floor": 10_000_000}},
        {"anchors": {"payment_days_good": 120}},
        {"unknown": 1},
    ],
)
def test_bad_policies_are_refused(settings):
    with pytest.raises(ValidationError):
        TierPolicy.model_validate(settings)


@pytest.mark.parametrize(
    "factors",
    [
        {"annual_revenue": Decimal(-1)},
        {"margin_pct": 120},
        {"cross_sell": 101},
        {"satisfaction": 11},
        {"payment_days": -3},
    ],
)
def test_out_of_range_factors_are_refused(factors):
    with pytest.raises(InvalidInput):
        TierFactors(**factors)


def test_override_wins():
    computed = score(TierFactors(), TierPolicy()).tier
    assert computed == "C"
    assert effective_tier(computed, "A") == "A"
    assert effective_tier(computed, "b") == "B"
    assert effective_tier(computed, None) == "C"
    assert effective_tier(computed, "") == "C"
    with pytest.raises(InvalidInput):
        effective_tier(computed, "S")


def test_labels():
    from handlers.views.tiers import tier_label

    assert (tier_label("A", "en"), tier_label("A", "zh")) == ("strategic", "战略")
    assert tier_label("B", "zh") == "重点"
    assert tier_label("C", "en") == "maintain"


judgement = st.none() | st.integers(0, 100)


@given(
    revenue=st.none() | st.decimals(0, 10**9, places=2),
    margin=st.none() | st.floats(-50, 100),
    growth=st.none() | st.floats(-100, 500),
    judgements=st.tuples(judgement, judgement, judgement, judgement, judgement),
    satisfaction=st.none() | st.floats(0, 10),
)
def test_scores_stay_within_bounds_and_match_thresholds(
    revenue, margin, growth, judgements, satisfaction
):
    cross_sell, reference, brand, innovation, record = judgements
    factors = TierFactors(
        annual_revenue=revenue,
        margin_pct=margin,
        growth_pct=growth,
        cross_sell=cross_sell,
        reference_value=reference,
        brand_value=brand,
        innovation_value=innovation,
        payment_record=record,
        satisfaction=satisfaction,
    )
    policy = TierPolicy()
    result = score(factors, policy)
    for value in vars(result.dimensions).values():
        assert 0 <= value <= 100
    assert 0 <= result.total <= 100
    expected = "A" if result.total >= 75 else "B" if result.total >= 50 else "C"
    assert result.tier == expected
