"""Account health as numbers: satisfaction, complaints, receivables, RFM, lifetime value, KPIs.

Everything here is pure — the storage layer gathers the inputs set-based
(``storage.health``), handlers word the results.  The formulas:

    CSAT average      mean of an account's scores in the window (default 365 days); a
                      team's average is the mean of its accounts' averages, so one
                      chatty account does not outweigh the rest
    CSAT drop         previous score − latest score; a drop of ``csat_drop`` (3) or more
                      is a risk, and so is a latest score of ``csat_low`` (6) or less
    receivables       open = amount − paid per invoice; overdue = open past its due day;
                      exposure = open invoices − unapplied payments (credits), in the
                      house currency; above the account's credit limit is a risk
    RFM               Recency (days since the last won deal or payment), Frequency (won
                      deals and payments in the window), Monetary (the larger of won
                      value and payments received in the window): each scored 1-5 by
                      quintile over the book, ``1 + ⌊5 × accounts strictly worse / n⌋``
    lifetime value    annual revenue × expected relationship years × margin − acquisition
                      cost
    retention         (customers at end − new customers) / customers at start
    win rate          won deals / closed deals (won + lost)
    complaint rate    accounts with a complaint opened in the period / accounts served
                      (customers at start + new customers)
    resolution rate   complaints resolved in the period / complaints open at any time
                      in it
    interactions      interactions / accounts, against what the cadence expects:
    vs cadence        Σ (days in the period ÷ the account's cadence days) / accounts
    goal attainment   mean over the goals of actual / target for the period

A customer is an account whose status is ``active`` or ``at_risk``.  Where a formula
divides by zero or a period holds nothing to measure, the answer is None (shown as
"—"), never a made-up 0.  Money in several currencies is converted into one with
``fx_rates`` (units of the house currency per unit of the other); a currency without a
rate is refused (``CurrencyMismatch``) rather than added at a wrong value.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.errors import InvalidInput
from domain.risks import Risk, Severity
from domain.tiers import TierFactors, TierPolicy, score

CENT = Decimal("0.01")
ZERO = Decimal(0)

CSAT_MIN, CSAT_MAX = 0, 10
CUSTOMER_STATUSES = frozenset({"active", "at_risk"})

BOOK_FACTORS = ("annual_revenue", "satisfaction", "payment_record", "payment_days")
"""Tier factors the quarterly review can read from the book instead of typed-in values."""

K = TypeVar("K", bound=Hashable)


class HealthPolicy(BaseModel):
    """Limits and defaults of the health rules (``[health]`` in kam.toml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    csat_low: int = Field(6, ge=CSAT_MIN, le=CSAT_MAX)
    csat_drop: int = Field(3, ge=1, le=CSAT_MAX)
    csat_window_days: int = Field(365, gt=0, le=3660)
    rfm_window_days: int = Field(365, gt=0, le=3660)
    expected_years: float = Field(5.0, gt=0, le=100, allow_inf_nan=False)
    payment_terms_days: int = Field(30, ge=0, le=3650)
    overdue_high_days: int = Field(30, gt=0, le=3660)
    review_factors: tuple[str, ...] = ("satisfaction", "payment_record", "payment_days")

    @field_validator("review_factors")
    @classmethod
    def _known_factors(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(BOOK_FACTORS))
        if unknown:
            raise ValueError(f"unknown factor(s) {unknown}; choose from {list(BOOK_FACTORS)}")
        return value


DEFAULT_POLICY = HealthPolicy()


def policy_of(settings: object) -> HealthPolicy:
    """The settings' ``health`` section, or the defaults when the settings have none."""
    policy = getattr(settings, "health", None)
    return policy if isinstance(policy, HealthPolicy) else DEFAULT_POLICY


# --- plain arithmetic ---------------------------------------------------------------


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """``numerator / denominator`` as a Decimal, or None when there is nothing to divide by."""
    if denominator == 0:
        return None
    return Decimal(numerator) / Decimal(denominator)


def mean(values: Iterable[float | int | None]) -> float | None:
    """The mean of the known values; None when none is known."""
    known = [float(v) for v in values if v is not None]
    return sum(known) / len(known) if known else None


# --- money in several currencies ----------------------------------------------------


class CurrencyMismatch(InvalidInput):
    """Amounts in a currency that has no configured rate to the one asked for."""

    def __init__(self, currencies: Collection[str], target: str) -> None:
        missing = sorted(set(currencies))
        super().__init__("no_rate", hint="no_rate_hint", currencies=missing, target=target)
        self.currencies = missing
        self.target = target


def convert(
    amount: Decimal, currency: str, to: str, *, house: str, rates: Mapping[str, Decimal]
) -> Decimal:
    """``amount`` of ``currency`` in ``to``, through the house currency; unrounded.

    ``rates[c]`` is how many units of ``house`` one unit of ``c`` is worth.
    """
    if currency == to:
        return amount
    if currency == house:
        in_house = amount
    elif currency in rates and rates[currency] > 0:
        in_house = amount * Decimal(rates[currency])
    else:
        raise CurrencyMismatch([currency], to)
    if to == house:
        return in_house
    if to in rates and rates[to] > 0:
        return in_house / Decimal(rates[to])
    raise CurrencyMismatch([to], house)


def split_total(
    amounts: Mapping[str, Decimal], to: str, *, house: str, rates: Mapping[str, Decimal]
) -> tuple[Decimal, frozenset[str]]:
    """The amounts that can be converted, summed in ``to`` (to the cent), and the
    currencies left out for want of a rate."""
    total, left_out = ZERO, set()
    for currency, amount in amounts.items():
        if not amount:
            continue
        try:
            total += convert(amount, currency, to, house=house, rates=rates)
        except CurrencyMismatch:
            left_out.add(currency)
    return total.quantize(CENT, ROUND_HALF_UP), frozenset(left_out)


def total_in(
    amounts: Mapping[str, Decimal], to: str, *, house: str, rates: Mapping[str, Decimal]
) -> Decimal:
    """All the amounts in ``to`` (to the cent); ``CurrencyMismatch`` names every
    currency that has no rate."""
    total, left_out = split_total(amounts, to, house=house, rates=rates)
    if left_out:
        raise CurrencyMismatch(left_out, to)
    return total


def add_money(into: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    into[currency] = into.get(currency, ZERO) + amount


# --- satisfaction -------------------------------------------------------------------


@dataclass(frozen=True)
class CsatSummary:
    """An account's scores in the window: their mean, how many, the latest two."""

    average: float | None = None
    count: int = 0
    last: int | None = None
    previous: int | None = None
    last_at: datetime | None = None

    @property
    def drop(self) -> int | None:
        """How far the latest score fell below the one before (negative: it rose)."""
        if self.last is None or self.previous is None:
            return None
        return self.previous - self.last


def team_csat(account_averages: Iterable[float | None]) -> float | None:
    """A team's CSAT: the mean of its accounts' averages (accounts without scores left out)."""
    return mean(account_averages)


# --- receivables ----------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """What is still open on one invoice."""

    invoice_id: int
    open: Decimal
    currency: str
    due_on: date


def allocate(
    amount: Decimal, currency: str, balances: Sequence[Balance]
) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Spread a payment over open invoices in its currency, earliest due first.

    Returns ``(invoice id, amount applied)`` pairs and what is left over — a credit the
    next invoice in that currency takes.
    """
    if amount < 0:
        raise InvalidInput("payment_negative", value=amount)
    left = amount
    applied = []
    for b in sorted(balances, key=lambda b: (b.due_on, b.invoice_id)):
        if left <= 0:
            break
        if b.currency != currency or b.open <= 0:
            continue
        take = min(left, b.open)
        applied.append((b.invoice_id, take))
        left -= take
    return applied, left


def days_overdue(due_on: date, today: date) -> int:
    """Days past the due day (0 on the due day itself and before it)."""
    return max((today - due_on).days, 0)


@dataclass(frozen=True)
class Receivables:
    """An account's open invoices and credits, by currency, and its exposure.

    ``exposure`` (open − credits, in the house currency) is None when a currency
    has no rate: it is then not compared with the credit limit.
    """

    open: Mapping[str, Decimal] = field(default_factory=dict)
    overdue: Mapping[str, Decimal] = field(default_factory=dict)
    oldest_overdue_days: int | None = None
    open_invoices: int = 0
    overdue_invoices: int = 0
    credit: Mapping[str, Decimal] = field(default_factory=dict)
    exposure: Decimal | None = ZERO
    unconverted: frozenset[str] = frozenset()
    credit_limit: Decimal | None = None

    @property
    def over_limit(self) -> Decimal | None:
        """By how much exposure exceeds the credit limit; None when it does not (or
        cannot be told)."""
        if self.exposure is None or self.credit_limit is None:
            return None
        excess = self.exposure - self.credit_limit
        return excess if excess > 0 else None


def receivables(
    balances: Iterable[Balance],
    credits: Mapping[str, Decimal],
    *,
    today: date,
    credit_limit: Decimal | None,
    house: str,
    rates: Mapping[str, Decimal],
) -> Receivables:
    """Sum open invoices and credits, find what is overdue, and measure exposure."""
    open_by: dict[str, Decimal] = {}
    overdue_by: dict[str, Decimal] = {}
    oldest: int | None = None
    n_open = n_overdue = 0
    for b in balances:
        if b.open <= 0:
            continue
        n_open += 1
        add_money(open_by, b.currency, b.open)
        late = days_overdue(b.due_on, today)
        if late > 0:
            n_overdue += 1
            add_money(overdue_by, b.currency, b.open)
            oldest = late if oldest is None else max(oldest, late)
    net = dict(open_by)
    for currency, amount in credits.items():
        if amount:
            add_money(net, currency, -amount)
    exposure, unconverted = split_total(net, house, house=house, rates=rates)
    return Receivables(
        open=open_by,
        overdue=overdue_by,
        oldest_overdue_days=oldest,
        open_invoices=n_open,
        overdue_invoices=n_overdue,
        credit={c: a for c, a in credits.items() if a},
        exposure=None if unconverted else exposure,
        unconverted=unconverted,
        credit_limit=credit_limit,
    )


@dataclass(frozen=True)
class PaymentRecord:
    """How an account paid the invoices that fell due in the window."""

    due: int  # invoices due in the window (paid or not)
    on_time: int  # of those, paid in full by their due day
    days_to_pay: float | None  # mean days from issue to full payment, of those paid

    @property
    def on_time_rate(self) -> Decimal | None:
        return ratio(self.on_time, self.due)


def payment_record(invoices: Iterable[tuple[date, date, date | None]]) -> PaymentRecord:
    """From ``(issued_on, due_on, settled_on)`` of the invoices due in the window.

    An invoice still unpaid counts as late; paid on its due day is on time.
    """
    due = on_time = 0
    days: list[int] = []
    for issued_on, due_on, settled_on in invoices:
        due += 1
        if settled_on is not None:
            days.append(max((settled_on - issued_on).days, 0))
            if settled_on <= due_on:
                on_time += 1
    return PaymentRecord(due=due, on_time=on_time, days_to_pay=mean(days))


# --- RFM ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RfmInput:
    """One account's raw RFM figures; ``days_since`` is None when it never bought or paid."""

    days_since: int | None
    frequency: int
    monetary: Decimal


@dataclass(frozen=True)
class Rfm:
    recency: int
    frequency: int
    monetary: int
    inputs: RfmInput

    @property
    def code(self) -> str:
        """The usual three-digit form, e.g. ``"545"``."""
        return f"{self.recency}{self.frequency}{self.monetary}"

    @property
    def total(self) -> int:
        return self.recency + self.frequency + self.monetary


def quintiles(values: Mapping[K, float | Decimal], of: Collection[K] | None = None) -> dict[K, int]:
    """Score values 1-5 by quintile among all of them (higher value, higher score).

    ``1 + ⌊5 × (values strictly below) / n⌋``: equal values share a score, the
    lowest value always scores 1, and only the top fifth of a large enough book
    reaches 5.  ``of`` limits the answer to some keys (ranked among all values).
    """
    ordered = sorted(values.values())
    n = len(ordered)
    keys = values if of is None else [k for k in of if k in values]
    return {k: 1 + (5 * bisect.bisect_left(ordered, values[k])) // n for k in keys}


def rfm_scores(inputs: Mapping[K, RfmInput], of: Collection[K] | None = None) -> dict[K, Rfm]:
    """RFM scores, each 1-5 by quintile over every account in ``inputs`` (the book).

    Recency ranks the fewest days since the last transaction best and "never" worst.
    ``of`` limits the answer to some accounts, still ranked against the whole book.
    """
    recency = quintiles(
        {k: -math.inf if i.days_since is None else -i.days_since for k, i in inputs.items()}, of
    )
    frequency = quintiles({k: i.frequency for k, i in inputs.items()}, of)
    monetary = quintiles({k: i.monetary for k, i in inputs.items()}, of)
    return {k: Rfm(recency[k], frequency[k], monetary[k], inputs[k]) for k in recency}


# Stored cut-points: the book ranked once (by the scheduler), one account scored later.
#
# ``quintiles`` gives ``1 + ⌊5 × below / n⌋`` where ``below`` counts the book's values
# strictly below v.  The score is at least k + 1 exactly when ``below ≥ ⌈k × n / 5⌉``,
# that is when v is above the ``⌈k × n / 5⌉``-th smallest value.  Those four values
# (k = 1…4) are the cut-points, and ``1 + (how many cut-points v is above)`` is the same
# score, ties included, for any v of the book; a new v (an account's figures since the
# ranking) gets the same rule against the book as it was ranked, at most 5.


def _cut_ranks(n: int) -> list[int]:
    """The 0-based positions in the sorted book of the four cut-points (n ≥ 1)."""
    return [(k * n + 4) // 5 - 1 for k in range(1, 5)]


@dataclass(frozen=True)
class RfmCuts:
    """The book's RFM quintile cut-points: four per letter, ascending.

    ``recency`` holds days since the last transaction (None: never), ``frequency``
    counts, ``monetary`` amounts in the house currency; ``population`` is how many
    accounts were ranked (0: none, nothing can be scored).
    """

    population: int
    recency: tuple[int | None, ...] = ()
    frequency: tuple[int, ...] = ()
    monetary: tuple[Decimal, ...] = ()


def rfm_cutpoints(inputs: Iterable[RfmInput]) -> RfmCuts:
    """The cut-points of a book's RFM inputs (every account that is not churned)."""
    book = list(inputs)
    n = len(book)
    if not n:
        return RfmCuts(0)
    ranks = _cut_ranks(n)
    recency = sorted(_recency_value(i.days_since) for i in book)
    frequency = sorted(i.frequency for i in book)
    monetary = sorted(i.monetary for i in book)
    return RfmCuts(
        population=n,
        recency=tuple(None if recency[r] == -math.inf else int(-recency[r]) for r in ranks),
        frequency=tuple(frequency[r] for r in ranks),
        monetary=tuple(monetary[r] for r in ranks),
    )


def _recency_value(days_since: int | None) -> float:
    """Higher is better: fewer days since; "never" is worst."""
    return -math.inf if days_since is None else -days_since


def score_rfm(inputs: RfmInput, cuts: RfmCuts, *, age_days: int = 0) -> Rfm | None:
    """One account's RFM against the book's stored cut-points; None when none are stored.

    Equal to ``rfm_scores`` over the book the cut-points came from.  ``age_days`` is how
    many days old the cut-points are: the book's recency has grown by as many days since,
    so the account's days are counted back to the day they were cut (a quiet account
    keeps its recency score while the cut-points age, as it would in a fresh ranking).
    """
    if cuts.population == 0:
        return None
    days = inputs.days_since
    r = _recency_value(None if days is None else days - age_days)
    return Rfm(
        recency=1 + sum(r > _recency_value(c) for c in cuts.recency),
        frequency=1 + sum(inputs.frequency > c for c in cuts.frequency),
        monetary=1 + sum(inputs.monetary > c for c in cuts.monetary),
        inputs=inputs,
    )


# --- lifetime value -----------------------------------------------------------------


@dataclass(frozen=True)
class LifetimeValue:
    annual_revenue: Decimal
    years: float
    margin_pct: float
    acquisition_cost: Decimal
    value: Decimal


def lifetime_value(
    annual_revenue: Decimal | None,
    years: float | None,
    margin_pct: float | None,
    acquisition_cost: Decimal | None = None,
) -> LifetimeValue | None:
    """annual revenue × expected years × margin − acquisition cost, to the cent.

    None when revenue, years or margin is unknown; an unknown acquisition cost is 0.
    """
    if annual_revenue is None or years is None or margin_pct is None:
        return None
    if annual_revenue < 0 or years < 0:
        raise InvalidInput("ltv_negative")
    cost = acquisition_cost or ZERO
    value = (annual_revenue * Decimal(str(years)) * Decimal(str(margin_pct)) / 100 - cost).quantize(
        CENT, ROUND_HALF_UP
    )
    return LifetimeValue(annual_revenue, years, margin_pct, cost, value)


def account_lifetime_value(
    *,
    annual_revenue: Decimal | None,
    expected_years: float | None,
    margin_pct: float | None,
    acquisition_cost: Decimal | None,
    default_years: float | None,
    book_revenue: Decimal | None,
) -> tuple[LifetimeValue | None, bool]:
    """An account's lifetime value, and whether its revenue came from the book.

    The recorded annual revenue when there is one, else ``book_revenue`` (the RFM
    window's monetary value); the account's expected years, else the policy's
    ``default_years``.  The flag is True only when there is a value and its revenue
    is the RFM window's.
    """
    revenue, from_book = annual_revenue, False
    if revenue is None and book_revenue:
        revenue, from_book = book_revenue, True
    ltv = lifetime_value(revenue, expected_years or default_years, margin_pct, acquisition_cost)
    return ltv, from_book and ltv is not None


# --- KPIs ---------------------------------------------------------------------------


def is_customer(status: str | None) -> bool:
    return status in CUSTOMER_STATUSES


def status_at(
    current: str, changes: Iterable[tuple[datetime, str | None, str | None]], moment: datetime
) -> str:
    """The status an account had at ``moment``, from its status changes.

    ``changes`` are ``(when, before, after)``; the status at a moment is the
    ``before`` of the first change after it, or the current status if none came later.
    """
    later = sorted((c for c in changes if c[0] > moment), key=lambda c: c[0])
    if later and later[0][1] is not None:
        return later[0][1]
    return current


@dataclass(frozen=True)
class AccountHistory:
    """When an account entered the book, its status now, and its status changes."""

    since: datetime
    status: str
    changes: tuple[tuple[datetime, str | None, str | None], ...] = ()

    def status_at(self, moment: datetime) -> str | None:
        """None before the account existed."""
        if self.since >= moment:
            return None
        return status_at(self.status, self.changes, moment)


@dataclass(frozen=True)
class CustomerCounts:
    at_start: int
    at_end: int
    new: int

    @property
    def retained(self) -> int:
        return self.at_end - self.new

    @property
    def served(self) -> int:
        """Customers at any point: those at the start plus those won during the period."""
        return self.at_start + self.new


def customer_counts(
    histories: Iterable[AccountHistory], start: datetime, end: datetime
) -> CustomerCounts:
    """Customers at ``start``, at ``end``, and new ones: customers at the end that were
    not at the start (added to the book, or a prospect won, during the period)."""
    at_start = at_end = new = 0
    for h in histories:
        before = is_customer(h.status_at(start))
        after = is_customer(h.status_at(end))
        at_start += before
        at_end += after
        new += after and not before
    return CustomerCounts(at_start, at_end, new)


def retention_rate(counts: CustomerCounts) -> Decimal | None:
    """(customers at end − new customers) / customers at start."""
    return ratio(counts.retained, counts.at_start)


def win_rate(won: int, lost: int) -> Decimal | None:
    """won / closed, closed being won + lost."""
    return ratio(won, won + lost)


def complaint_rate(accounts_with_complaints: int, served: int) -> Decimal | None:
    """accounts with a complaint opened in the period / accounts served."""
    return ratio(accounts_with_complaints, served)


def resolution_rate(resolved: int, open_during: int) -> Decimal | None:
    """complaints resolved in the period / complaints open at any time in it."""
    return ratio(resolved, open_during)


def expected_interactions(days: Iterable[tuple[int, int]]) -> Decimal:
    """Σ days ÷ cadence over ``(days in the period, cadence days)`` of each account."""
    return sum((Decimal(d) / Decimal(c) for d, c in days if c > 0), ZERO)


@dataclass(frozen=True)
class CadenceCoverage:
    interactions: int
    accounts: int
    expected: Decimal

    @property
    def per_account(self) -> Decimal | None:
        return ratio(self.interactions, self.accounts)

    @property
    def expected_per_account(self) -> Decimal | None:
        return ratio(self.expected, self.accounts)

    @property
    def against_cadence(self) -> Decimal | None:
        """Interactions over what the cadence expects (1 = exactly on cadence)."""
        return ratio(self.interactions, self.expected)


def goal_attainment(pairs: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """The mean of actual / target over ``(actual, target)``; zero targets are left out."""
    shares = [Decimal(a) / Decimal(t) for a, t in pairs if t]
    return sum(shares, ZERO) / len(shares) if shares else None


# --- quarterly tier review ----------------------------------------------------------


@dataclass(frozen=True)
class BookFactors:
    """Tier factors as the book measures them (None: the book does not know).

    ``annual_revenue`` is the RFM monetary value of the window; ``satisfaction`` the
    CSAT average; ``payment_record`` the share of invoices paid on time × 100;
    ``payment_days`` the mean days from issue to payment.
    """

    annual_revenue: Decimal | None = None
    satisfaction: float | None = None
    payment_record: int | None = None
    payment_days: int | None = None
    csat_count: int = 0
    invoices_due: int = 0
    invoices_on_time: int = 0

    @classmethod
    def measure(
        cls,
        *,
        monetary: Decimal | None,
        csat: CsatSummary,
        payments: PaymentRecord,
    ) -> BookFactors:
        rate = payments.on_time_rate
        return cls(
            annual_revenue=monetary if monetary else None,
            satisfaction=None if csat.average is None else round(csat.average, 1),
            payment_record=None if rate is None else int((rate * 100).to_integral_value()),
            payment_days=(None if payments.days_to_pay is None else round(payments.days_to_pay)),
            csat_count=csat.count,
            invoices_due=payments.due,
            invoices_on_time=payments.on_time,
        )


@dataclass(frozen=True)
class FactorChange:
    factor: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TierChange:
    """What the review proposes for one account, and why."""

    from_tier: str
    to_tier: str
    from_score: float
    to_score: float
    changes: tuple[FactorChange, ...]
    factors: TierFactors

    @property
    def direction(self) -> str:
        return "up" if self.to_tier < self.from_tier else "down"  # "A" < "B" < "C"


def with_book(
    stored: TierFactors, book: BookFactors, use: Collection[str]
) -> tuple[TierFactors, tuple[FactorChange, ...]]:
    """The stored factors with those in ``use`` replaced by what the book knows."""
    updates: dict[str, Any] = {}
    changes = []
    for name in BOOK_FACTORS:
        new = getattr(book, name)
        if name not in use or new is None:
            continue
        old = getattr(stored, name)
        if old is None or _differs(old, new):
            updates[name] = new
            changes.append(FactorChange(name, old, new))
    return replace(stored, **updates), tuple(changes)


def _differs(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return Decimal(str(old)).quantize(CENT) != Decimal(str(new)).quantize(CENT)
    return not math.isclose(float(old), float(new), abs_tol=0.05)


def propose_tier(
    *,
    current_tier: str,
    current_score: float,
    stored: TierFactors,
    book: BookFactors,
    policy: TierPolicy,
    use: Collection[str],
) -> TierChange | None:
    """Re-score the account with the book's figures; a change when the tier moves.

    ``current_tier`` is the tier that applies now (a hand-set one included): a
    quarterly review revisits it like any other.
    """
    factors, changes = with_book(stored, book, use)
    result = score(factors, policy)
    if result.tier == current_tier:
        return None
    return TierChange(
        from_tier=current_tier,
        to_tier=result.tier,
        from_score=current_score,
        to_score=result.total,
        changes=changes,
        factors=factors,
    )


def quarter_of(day: date) -> str:
    """``"2026Q4"`` for any day of October-December 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


# --- risks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthSignals:
    """What the health risk rules look at for one account (amounts by currency)."""

    csat_last: int | None = None
    csat_previous: int | None = None
    open_complaints: int = 0
    oldest_complaint_days: int | None = None
    overdue: Mapping[str, Decimal] = field(default_factory=dict)
    oldest_overdue_days: int | None = None
    exposure: Decimal | None = None
    credit_limit: Decimal | None = None
    currency: str = "CNY"

    @property
    def over_limit(self) -> Decimal | None:
        if self.exposure is None or self.credit_limit is None:
            return None
        excess = self.exposure - self.credit_limit
        return excess if excess > 0 else None


def assess_health(signals: HealthSignals, policy: HealthPolicy) -> list[Risk]:
    """Risks from satisfaction and receivables, most severe first.

    ========================  ===================  =====================================
    code                      severity             when
    ========================  ===================  =====================================
    csat_low                  high                 the latest score is ≤ ``csat_low``
    csat_drop                 medium               it fell ``csat_drop`` or more points
                                                   (and is not already low)
    receivables_overdue       medium, high past    an invoice is past its due day
                              ``overdue_high_days``
    credit_limit_exceeded     high                 exposure is above the credit limit
    ========================  ===================  =====================================

    Open complaints are judged by ``domain.risks`` (``complaint_open``) from
    ``oldest_complaint_days``.
    """
    s = signals
    risks: list[Risk] = []
    if s.csat_last is not None and s.csat_last <= policy.csat_low:
        params = {"score": s.csat_last, "limit": policy.csat_low}
        if s.csat_previous is not None:
            params["previous"] = s.csat_previous
        risks.append(Risk("csat_low", Severity.HIGH, params))
    elif (
        s.csat_last is not None
        and s.csat_previous is not None
        and s.csat_previous - s.csat_last >= policy.csat_drop
    ):
        params = {"score": s.csat_last, "previous": s.csat_previous}
        risks.append(Risk("csat_drop", Severity.MEDIUM, params))
    if s.overdue:
        days = s.oldest_overdue_days or 0
        severity = Severity.HIGH if days > policy.overdue_high_days else Severity.MEDIUM
        params = {"amounts": dict(sorted(s.overdue.items())), "days": days}
        risks.append(Risk("receivables_overdue", severity, params))
    excess = s.over_limit
    if excess is not None:
        params = {
            "exposure": s.exposure,
            "limit": s.credit_limit,
            "excess": excess,
            "currency": s.currency,
        }
        risks.append(Risk("credit_limit_exceeded", Severity.HIGH, params))
    return sorted(risks, key=lambda r: (r.severity.rank, r.code))


HEALTH_RISK_CODES = ("csat_low", "csat_drop", "receivables_overdue", "credit_limit_exceeded")
"""Every code ``assess_health`` can report; handlers/views/risks.py has the words for each."""
