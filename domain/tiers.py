"""Weighted tier scoring: how much an account matters, as A, B or C.

An account is scored 0-100 on four dimensions:

    current       annual revenue, margin, payment days
    potential     expected growth, cross-sell judgement
    strategic     reference, brand and innovation value (judgements)
    relationship  years together, executive contact, decision-chain coverage,
                  payment record, satisfaction

Each sub-factor is first mapped to 0-100 between two anchors held in the
policy (so kam.toml can move them); revenue on a log scale (see
``TierAnchors``), the rest linearly. Current value then weighs revenue 60%,
margin 25% and payment days 15%; the other dimensions average their
sub-factors. The total is the weighted mean of the four dimension scores as
shown (one decimal), and the policy's thresholds turn it into a tier.

Missing data:

* no revenue (unknown or zero) means no proven current value: ``current`` is 0,
  whatever margin or payment terms are known;
* any other missing sub-factor counts as a neutral 50 — not knowing is neither
  good nor bad — so a dimension with no data at all scores 50.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.errors import InvalidInput

TIERS = ("A", "B", "C")

NEUTRAL = 50.0
"""Score of a sub-factor nobody has filled in."""

# Share of each sub-factor within the current-value dimension; the other
# dimensions weigh their sub-factors equally.
_REVENUE_SHARE = 0.6
_MARGIN_SHARE = 0.25
_PAYMENT_SHARE = 0.15


def normalise_tier(tier: str) -> str:
    """Return ``tier`` as one of ``TIERS`` ("a" → "A"), or raise InvalidInput."""
    code = tier.strip().upper()
    if code not in TIERS:
        raise InvalidInput("tier_unknown", value=tier, choices=TIERS)
    return code


def effective_tier(computed: str, override: str | None) -> str:
    """The tier that applies: a manual override wins over the computed one."""
    return normalise_tier(override if override else computed)


@dataclass(frozen=True)
class TierFactors:
    """What is known about an account; every factor may be left out (None)."""

    # current value
    annual_revenue: Decimal | None = None
    margin_pct: float | None = None
    payment_days: int | None = None
    # potential
    growth_pct: float | None = None
    cross_sell: int | None = None
    # strategic (judgements, 0-100)
    reference_value: int | None = None
    brand_value: int | None = None
    innovation_value: int | None = None
    # relationship
    years_together: float | None = None
    executive_contact: bool | None = None
    decision_chain_depth: int | None = None
    payment_record: int | None = None
    satisfaction: float | None = None

    def __post_init__(self) -> None:
        for name, (low, high) in _FACTOR_RANGES.items():
            value = getattr(self, name)
            if value is None:
                continue
            if (low is not None and value < low) or (high is not None and value > high):
                raise InvalidInput(
                    "value_out_of_range", field=name, value=value, low=low, high=high
                )


_FACTOR_RANGES: dict[str, tuple[float | None, float | None]] = {
    "annual_revenue": (0, None),
    "margin_pct": (None, 100),
    "payment_days": (0, None),
    "cross_sell": (0, 100),
    "reference_value": (0, 100),
    "brand_value": (0, 100),
    "innovation_value": (0, 100),
    "years_together": (0, None),
    "decision_chain_depth": (0, None),
    "payment_record": (0, 100),
    "satisfaction": (0, 10),
}
"""Allowed (low, high) per factor, None meaning unbounded; growth may be anything."""


class DimensionWeights(BaseModel):
    """Relative weight of each dimension; non-negative, not all zero."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    current: float = Field(0.4, ge=0, le=1000, allow_inf_nan=False)
    potential: float = Field(0.25, ge=0, le=1000, allow_inf_nan=False)
    strategic: float = Field(0.15, ge=0, le=1000, allow_inf_nan=False)
    relationship: float = Field(0.2, ge=0, le=1000, allow_inf_nan=False)

    @model_validator(mode="after")
    def _some_weight(self) -> DimensionWeights:
        if self.total() <= 0:
            raise ValueError("at least one dimension weight must be positive")
        return self

    def total(self) -> float:
        return self.current + self.potential + self.strategic + self.relationship

    def normalised(self) -> DimensionWeights:
        """The same proportions, summing to 1."""
        total = self.total()
        return DimensionWeights(
            current=self.current / total,
            potential=self.potential / total,
            strategic=self.strategic / total,
            relationship=self.relationship / total,
        )


class TierThresholds(BaseModel):
    """Lowest total for tier A and for tier B; anything below B is C."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    a: float = Field(75.0, gt=0, le=100, allow_inf_nan=False)
    b: float = Field(50.0, gt=0, le=100, allow_inf_nan=False)

    @model_validator(mode="after")
    def _a_above_b(self) -> TierThresholds:
        if self.a <= self.b:
            raise ValueError("threshold A must be above threshold B")
        return self


class TierAnchors(BaseModel):
    """Where each measured sub-factor scores 0 and where it scores 100.

    Revenue is scored on a log scale between ``revenue_floor`` (0) and
    ``revenue_saturation`` (100), so every tenfold step is worth the same: with
    the defaults 100k → 0, 1m → 50, 10m and above → 100. A linear scale would
    make 1m barely distinguishable from 100k; the log scale keeps mid-sized
    accounts apart while big ones saturate. The other anchors are linear.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    revenue_floor: Decimal = Field(Decimal(100_000), gt=0, le=Decimal(10) ** 15)
    revenue_saturation: Decimal = Field(Decimal(10_000_000), gt=0, le=Decimal(10) ** 15)
    margin_full_pct: float = Field(40.0, gt=0, le=100, allow_inf_nan=False)
    payment_days_good: int = Field(30, ge=0, le=3660)
    payment_days_bad: int = Field(120, gt=0, le=3660)
    growth_floor_pct: float = Field(-20.0, ge=-1000, le=1000, allow_inf_nan=False)
    growth_full_pct: float = Field(30.0, ge=-1000, le=1000, allow_inf_nan=False)
    years_full: float = Field(5.0, gt=0, le=100, allow_inf_nan=False)
    decision_roles_full: int = Field(4, gt=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> TierAnchors:
        if self.revenue_floor >= self.revenue_saturation:
            raise ValueError("revenue_floor must be below revenue_saturation")
        if self.payment_days_good >= self.payment_days_bad:
            raise ValueError("payment_days_good must be below payment_days_bad")
        if self.growth_floor_pct >= self.growth_full_pct:
            raise ValueError("growth_floor_pct must be below growth_full_pct")
        return self


class TierPolicy(BaseModel):
    """How accounts are scored and tiered; every part can be set in kam.toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weights: DimensionWeights = Field(default_factory=DimensionWeights, validate_default=True)
    thresholds: TierThresholds = Field(default_factory=TierThresholds)
    anchors: TierAnchors = Field(default_factory=TierAnchors)

    @field_validator("weights")
    @classmethod
    def _normalise(cls, weights: DimensionWeights) -> DimensionWeights:
        return weights.normalised()

    def tier_for(self, total: float) -> str:
        """The tier a total earns."""
        if total >= self.thresholds.a:
            return "A"
        if total >= self.thresholds.b:
            return "B"
        return "C"


@dataclass(frozen=True)
class DimensionScores:
    """Each dimension 0-100, one decimal."""

    current: float
    potential: float
    strategic: float
    relationship: float


@dataclass(frozen=True)
class TierScore:
    dimensions: DimensionScores
    total: float
    tier: str


def dimension_scores(factors: TierFactors, policy: TierPolicy | None = None) -> DimensionScores:
    """Score each dimension 0-100, one decimal (the module docstring explains how)."""
    anchors = (policy or TierPolicy()).anchors
    return DimensionScores(
        current=round(_current(factors, anchors), 1),
        potential=round(_potential(factors, anchors), 1),
        strategic=round(_strategic(factors), 1),
        relationship=round(_relationship(factors, anchors), 1),
    )


def score(factors: TierFactors, policy: TierPolicy | None = None) -> TierScore:
    """Score an account and place it in a tier."""
    policy = policy or TierPolicy()
    dims = dimension_scores(factors, policy)
    w = policy.weights
    total = (
        w.current * dims.current
        + w.potential * dims.potential
        + w.strategic * dims.strategic
        + w.relationship * dims.relationship
    )
    total = round(min(max(total, 0.0), 100.0), 1)
    return TierScore(dimensions=dims, total=total, tier=policy.tier_for(total))


def _current(f: TierFactors, anchors: TierAnchors) -> float:
    if not f.annual_revenue:
        return 0.0
    span = math.log(anchors.revenue_saturation / anchors.revenue_floor)
    steps = math.log(max(f.annual_revenue / anchors.revenue_floor, 1))
    revenue = 100.0 * min(steps / span, 1.0)
    margin = _scaled(f.margin_pct, 0, anchors.margin_full_pct)
    payment = _scaled(f.payment_days, anchors.payment_days_bad, anchors.payment_days_good)
    return (
        _REVENUE_SHARE * revenue
        + _MARGIN_SHARE * _or_neutral(margin)
        + _PAYMENT_SHARE * _or_neutral(payment)
    )


def _potential(f: TierFactors, anchors: TierAnchors) -> float:
    growth = _scaled(f.growth_pct, anchors.growth_floor_pct, anchors.growth_full_pct)
    return _mean([growth, f.cross_sell])


def _strategic(f: TierFactors) -> float:
    return _mean([f.reference_value, f.brand_value, f.innovation_value])


def _relationship(f: TierFactors, anchors: TierAnchors) -> float:
    executive = None if f.executive_contact is None else 100.0 * f.executive_contact
    satisfaction = None if f.satisfaction is None else 10.0 * f.satisfaction
    return _mean(
        [
            _scaled(f.years_together, 0, anchors.years_full),
            executive,
            _scaled(f.decision_chain_depth, 0, anchors.decision_roles_full),
            f.payment_record,
            satisfaction,
        ]
    )


def _scaled(value: float | None, zero_at: float, full_at: float) -> float | None:
    """Map ``value`` linearly so ``zero_at`` is 0 and ``full_at`` is 100, clamped.

    ``full_at`` may lie below ``zero_at`` for factors where less is better.
    """
    if value is None:
        return None
    fraction = (value - zero_at) / (full_at - zero_at)
    return 100.0 * min(max(fraction, 0.0), 1.0)


def _or_neutral(value: float | None) -> float:
    return NEUTRAL if value is None else float(value)


def _mean(values: Iterable[float | None]) -> float:
    scores = [_or_neutral(v) for v in values]
    return sum(scores) / len(scores)
