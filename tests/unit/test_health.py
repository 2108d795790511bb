"""domain.health: every formula against numbers worked out by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.config import Settings
from domain.health import (
    AccountHistory,
    Balance,
    BookFactors,
    CadenceCoverage,
    CsatSummary,
    CurrencyMismatch,
    CustomerCounts,
    HealthPolicy,
    HealthSignals,
    PaymentRecord,
    Rfm,
    RfmInput,
    account_lifetime_value,
    allocate,
    assess_health,
    complaint_rate,
    convert,
    customer_counts,
    days_overdue,
    expected_interactions,
    goal_attainment,
    lifetime_value,
    mean,
    payment_record,
    policy_of,
    propose_tier,
    quarter_of,
    quintiles,
    ratio,
    receivables,
    resolution_rate,
    retention_rate,
    rfm_scores,
    split_total,
    status_at,
    team_csat,
    total_in,
    win_rate,
    with_book,
)
from domain.tiers import TierFactors, TierPolicy, score
from handlers.views.risks import describe

D = Decimal
RATES = {"USD": D("7.2"), "EUR": D("7.8")}
POLICY = HealthPolicy()


def at(y, m, d):
    return datetime(y, m, d, tzinfo=UTC)


# --- arithmetic and money -----------------------------------------------------------


def test_ratio_and_mean_have_no_answer_for_nothing():
    assert ratio(3, 4) == D("0.75")
    assert ratio(0, 5) == 0
    assert ratio(5, 0) is None
    assert ratio(0, 0) is None
    assert mean([]) is None
    assert mean([None, None]) is None
    assert mean([7, None, 9]) == 8.0


def test_conversion_goes_through_the_house_currency():
    assert convert(D(100), "CNY", "CNY", house="CNY", rates=RATES) == 100
    assert convert(D(100), "USD", "CNY", house="CNY", rates=RATES) == D(720)
    assert convert(D(720), "CNY", "USD", house="CNY", rates=RATES) == D(100)
    # EUR → USD: 78 EUR = 608.4 CNY = 84.5 USD
    assert convert(D(78), "EUR", "USD", house="CNY", rates=RATES) == D("84.5")
    with pytest.raises(CurrencyMismatch) as err:
        convert(D(1), "GBP", "CNY", house="CNY", rates=RATES)
    assert err.value.currencies == ["GBP"] and err.value.hint == "no_rate_hint"  # words: handlers


def test_mixed_currencies_are_converted_by_the_rate_or_refused():
    amounts = {"CNY": D("1000"), "USD": D("100"), "GBP": D("50"), "JPY": D("0")}
    total, left_out = split_total(amounts, "CNY", house="CNY", rates=RATES)
    assert total == D("1720.00") and left_out == {"GBP"}
    assert total_in({"CNY": D(1), "USD": D(1)}, "CNY", house="CNY", rates=RATES) == D("8.20")
    with pytest.raises(CurrencyMismatch) as err:
        total_in(amounts | {"HKD": D(1)}, "CNY", house="CNY", rates=RATES)
    assert err.value.currencies == ["GBP", "HKD"]
    assert total_in({}, "CNY", house="CNY", rates={}) == 0


# --- satisfaction -------------------------------------------------------------------


def test_csat_drop_and_team_average():
    assert CsatSummary(average=7.0, count=2, last=5, previous=9).drop == 4
    assert CsatSummary(average=8.0, count=2, last=9, previous=7).drop == -2
    assert CsatSummary(average=5.0, count=1, last=5).drop is None
    # the team's average is the mean of its accounts' averages, not of all scores
    assert team_csat([9.0, 6.0, None, 7.5]) == 7.5
    assert team_csat([]) is None


@pytest.mark.parametrize(
    ("last", "previous", "codes"),
    [
        (7, None, []),
        (6, None, ["csat_low"]),  # 6 or less is a risk
        (6, 9, ["csat_low"]),  # low and fallen: reported once, as low
        (7, 10, ["csat_drop"]),  # a drop of exactly 3
        (7, 9, []),  # a drop of 2
        (10, 4, []),  # a rise
        (0, 0, ["csat_low"]),
    ],
)
def test_csat_risks(last, previous, codes):
    risks = assess_health(HealthSignals(csat_last=last, csat_previous=previous), POLICY)
    assert [r.code for r in risks] == codes


def test_csat_limits_come_from_the_policy():
    strict = HealthPolicy(csat_low=7, csat_drop=2)
    assert [r.code for r in assess_health(HealthSignals(csat_last=7), strict)] == ["csat_low"]
    risks = assess_health(HealthSignals(csat_last=8, csat_previous=10), strict)
    assert [r.code for r in risks] == ["csat_drop"]
    with pytest.raises(ValueError):
        HealthPolicy(review_factors=("satisfaction", "growth_pct"))


def test_policy_falls_back_to_the_defaults():
    assert policy_of(Settings()) == HealthPolicy()
    assert policy_of(object()) is not None


# --- receivables --------------------------------------------------------------------


def test_a_payment_goes_to_the_earliest_due_invoices_in_its_currency():
    balances = [
        Balance(1, D(300), "CNY", date(2026, 12, 31)),
        Balance(2, D(200), "CNY", date(2026, 10, 31)),
        Balance(3, D(100), "USD", date(2026, 9, 30)),
        Balance(4, D(50), "CNY", date(2026, 10, 31)),
    ]
    applied, left = allocate(D(400), "CNY", balances)
    assert applied == [(2, D(200)), (4, D(50)), (1, D(150))] and left == 0
    applied, left = allocate(D(700), "CNY", balances)
    assert applied == [(2, D(200)), (4, D(50)), (1, D(300))] and left == D(150)
    applied, left = allocate(D(10), "EUR", balances)
    assert applied == [] and left == D(10)
    with pytest.raises(Exception, match="negative"):
        allocate(D(-1), "CNY", balances)


def test_receivables_overdue_credit_and_exposure_against_the_limit():
    today = date(2026, 11, 18)
    balances = [
        Balance(1, D(300_000), "CNY", date(2026, 12, 31)),
        Balance(2, D(200_000), "CNY", date(2026, 10, 31)),  # 18 days overdue
        Balance(3, D(10_000), "USD", date(2026, 11, 17)),  # 1 day overdue
        Balance(4, D(0), "CNY", date(2026, 1, 1)),  # paid: ignored
    ]
    r = receivables(
        balances, {"CNY": D(50_000)}, today=today, credit_limit=D(500_000), house="CNY", rates=RATES
    )
    assert r.open == {"CNY": D(500_000), "USD": D(10_000)}
    assert r.overdue == {"CNY": D(200_000), "USD": D(10_000)}
    assert r.oldest_overdue_days == 18
    assert (r.open_invoices, r.overdue_invoices) == (3, 2)
    # 500,000 + 72,000 − 50,000 credit = 522,000, 22,000 above the limit
    assert r.exposure == D(522_000) and r.over_limit == D(22_000)
    # without a USD rate exposure cannot be told, and is not compared with the limit
    r = receivables(balances, {}, today=today, credit_limit=D(1), house="CNY", rates={})
    assert r.exposure is None and r.unconverted == {"USD"} and r.over_limit is None
    r = receivables([], {}, today=today, credit_limit=None, house="CNY", rates={})
    assert r.exposure == 0 and r.oldest_overdue_days is None and r.over_limit is None
    assert days_overdue(date(2026, 11, 18), today) == 0


def test_receivable_risks():
    overdue = {"CNY": D(200_000), "USD": D(10_000)}
    medium = assess_health(HealthSignals(overdue=overdue, oldest_overdue_days=30), POLICY)
    assert [(r.code, r.severity.value) for r in medium] == [("receivables_overdue", "medium")]
    high = assess_health(HealthSignals(overdue=overdue, oldest_overdue_days=31), POLICY)
    assert high[0].severity.value == "high"
    over = assess_health(HealthSignals(exposure=D(522_000), credit_limit=D(500_000)), POLICY)
    assert [r.code for r in over] == ["credit_limit_exceeded"]
    assert over[0].params["excess"] == D(22_000)
    at_limit = HealthSignals(exposure=D(500_000), credit_limit=D(500_000))
    assert assess_health(at_limit, POLICY) == []
    # the words live in handlers/views/risks.py, the amounts as fmt_money shows them
    assert describe(high[0], "en") == (
        "Overdue receivables ¥200K + $10K, the oldest 31 days past due"
    )
    assert describe(over[0], "zh") == "未结敞口 52.2万，超出信用额度 50万 共 2.2万"


def test_payment_record_counts_unpaid_invoices_as_late():
    invoices = [
        (date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 31)),  # on the due day: on time
        (date(2026, 2, 1), date(2026, 3, 3), date(2026, 3, 10)),  # 7 days late
        (date(2026, 4, 1), date(2026, 5, 1), None),  # still unpaid
        (date(2026, 6, 1), date(2026, 7, 1), date(2026, 6, 11)),
    ]
    record = payment_record(invoices)
    assert (record.due, record.on_time) == (4, 2)
    assert record.on_time_rate == D("0.5")
    # days to pay of the paid ones: 30, 37, 10 → 25.67
    assert record.days_to_pay == pytest.approx(77 / 3)
    empty = payment_record([])
    assert empty.on_time_rate is None and empty.days_to_pay is None


# --- RFM and lifetime value ---------------------------------------------------------


def test_quintiles_of_five_and_of_ten_values():
    assert quintiles({k: v for k, v in zip("abcde", [10, 40, 20, 50, 30], strict=True)}) == {
        "a": 1, "c": 2, "e": 3, "b": 4, "d": 5,
    }  # fmt: skip
    ten = quintiles({i: i * 10 for i in range(10)})
    assert [ten[i] for i in range(10)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_quintiles_share_a_score_on_ties_and_start_at_one():
    assert quintiles({"a": 0, "b": 0, "c": 0, "d": 100}) == {"a": 1, "b": 1, "c": 1, "d": 4}
    assert quintiles({"only": 42}) == {"only": 1}
    assert quintiles({"a": 5, "b": 5}) == {"a": 1, "b": 1}
    assert quintiles({}) == {}


def test_quintiles_of_some_keys_are_still_ranked_against_all():
    values = {i: i * 10 for i in range(10)}
    assert quintiles(values, of=[9, 0, 42]) == {9: 5, 0: 1}


def test_rfm_scores_each_letter_over_the_book():
    book = {
        "acme": RfmInput(days_since=3, frequency=6, monetary=D(2_000_000)),
        "globex": RfmInput(days_since=40, frequency=2, monetary=D(300_000)),
        "initech": RfmInput(days_since=200, frequency=1, monetary=D(900_000)),
        "umbrella": RfmInput(days_since=None, frequency=0, monetary=D(0)),
        "hooli": RfmInput(days_since=40, frequency=3, monetary=D(50_000)),
    }
    rfm = rfm_scores(book)
    # recency: never < 200 < 40 = 40 < 3 → worse counts 0, 1, 2, 2, 4
    assert {k: v.recency for k, v in rfm.items()} == {
        "umbrella": 1, "initech": 2, "globex": 3, "hooli": 3, "acme": 5,
    }  # fmt: skip
    assert {k: v.frequency for k, v in rfm.items()} == {
        "umbrella": 1, "initech": 2, "globex": 3, "hooli": 4, "acme": 5,
    }  # fmt: skip
    assert {k: v.monetary for k, v in rfm.items()} == {
        "umbrella": 1, "hooli": 2, "globex": 3, "initech": 4, "acme": 5,
    }  # fmt: skip
    assert rfm["acme"].code == "555" and rfm["globex"].total == 9
    assert rfm_scores(book, of=["globex"]) == {"globex": rfm["globex"]}
    assert rfm_scores({}) == {}


def test_lifetime_value():
    ltv = lifetime_value(D(1_200_000), 5, 30, D(200_000))
    assert ltv.value == D("1600000.00")  # 1.2m × 5 × 30% − 200k
    assert lifetime_value(D(1_000_000), 2.5, 12.5, None).value == D("312500.00")
    assert lifetime_value(D(100_000), 1, 10, D(50_000)).value == D("-40000.00")
    assert lifetime_value(None, 5, 30) is None
    assert lifetime_value(D(1), 5, None) is None


# --- KPIs ---------------------------------------------------------------------------


START, END = at(2026, 10, 1), at(2027, 1, 1)
OLD = at(2025, 1, 1)


def test_status_at_a_moment_reads_the_changes_after_it():
    changes = [(at(2026, 11, 1), "active", "churned"), (at(2026, 12, 1), "churned", "active")]
    assert status_at("active", changes, at(2026, 10, 15)) == "active"
    assert status_at("active", changes, at(2026, 11, 15)) == "churned"
    assert status_at("active", changes, at(2026, 12, 15)) == "active"
    assert status_at("prospect", [], START) == "prospect"
    assert AccountHistory(at(2026, 11, 10), "active").status_at(START) is None


def test_retention_complaint_rate_and_served_on_a_crafted_book():
    book = [
        AccountHistory(OLD, "active"),  # a customer throughout
        AccountHistory(OLD, "churned", ((at(2026, 11, 1), "active", "churned"),)),  # lost
        AccountHistory(at(2026, 11, 10), "active"),  # new in the book
        AccountHistory(OLD, "active", ((at(2026, 12, 1), "prospect", "active"),)),  # won
        AccountHistory(OLD, "churned", ((at(2025, 9, 1), "active", "churned"),)),  # long gone
        AccountHistory(  # churned and won back within the period
            OLD,
            "active",
            ((at(2026, 11, 5), "active", "churned"), (at(2026, 12, 5), "churned", "active")),
        ),
        AccountHistory(OLD, "at_risk"),  # still a customer
    ]
    counts = customer_counts(book, START, END)
    assert counts == CustomerCounts(at_start=4, at_end=5, new=2)
    assert counts.retained == 3 and counts.served == 6
    assert retention_rate(counts) == D(3) / D(4)
    assert complaint_rate(2, counts.served) == D(1) / D(3)


def test_empty_periods_divide_by_nothing():
    counts = customer_counts([], START, END)
    assert counts == CustomerCounts(0, 0, 0)
    assert retention_rate(counts) is None
    assert win_rate(0, 0) is None
    assert complaint_rate(0, 0) is None
    assert resolution_rate(0, 0) is None
    assert goal_attainment([]) is None
    assert goal_attainment([(D(5), D(0))]) is None  # a zero target is left out
    empty = CadenceCoverage(interactions=0, accounts=0, expected=D(0))
    assert (empty.per_account, empty.expected_per_account, empty.against_cadence) == (
        None, None, None,
    )  # fmt: skip


def test_win_rate_resolution_rate_and_goal_attainment():
    assert win_rate(3, 2) == D("0.6")
    assert win_rate(4, 0) == 1
    assert resolution_rate(3, 4) == D("0.75")
    # (50/100 + 30/20) / 2, the zero target left out
    assert goal_attainment([(D(50), D(100)), (D(30), D(20)), (D(5), D(0))]) == 1


def test_interactions_against_cadence():
    # Q4: 92 days; an A account (14), a B account (30), a C account in the book 46 days (60)
    expected = expected_interactions([(92, 14), (92, 30), (46, 60)])
    assert expected == D(92) / 14 + D(92) / 30 + D(46) / 60
    coverage = CadenceCoverage(interactions=8, accounts=3, expected=expected)
    assert float(coverage.per_account) == pytest.approx(8 / 3)
    assert float(coverage.expected_per_account) == pytest.approx(10.404762 / 3, rel=1e-6)
    assert float(coverage.against_cadence) == pytest.approx(8 / 10.404762, rel=1e-6)


# --- the quarterly tier review ------------------------------------------------------


STRONG = TierFactors(
    annual_revenue=D(10_000_000),  # saturates: revenue 100
    margin_pct=40,  # 100
    payment_days=30,  # 100
    years_together=5,  # 100
    executive_contact=True,  # 100
    satisfaction=9,  # 90
)


def test_book_factors_from_csat_and_payments():
    book = BookFactors.measure(
        monetary=D(2_500_000),
        csat=CsatSummary(average=7.26, count=4, last=7, previous=8),
        payments=PaymentRecord(due=20, on_time=19, days_to_pay=12.6),
    )
    assert book == BookFactors(D(2_500_000), 7.3, 95, 13, 4, 20, 19)
    nothing = BookFactors.measure(
        monetary=D(0), csat=CsatSummary(), payments=PaymentRecord(0, 0, None)
    )
    assert nothing == BookFactors()


def test_a_worse_book_moves_a_to_b():
    # stored: current 100, potential 50, strategic 50, relationship (100+100+50+50+90)/5 = 78
    # total 0.4×100 + 0.25×50 + 0.15×50 + 0.2×78 = 75.6 → A
    assert score(STRONG).total == 75.6
    book = BookFactors(satisfaction=3.0, payment_record=20, csat_count=3, invoices_due=5)
    change = propose_tier(
        current_tier="A",
        current_score=75.6,
        stored=STRONG,
        book=book,
        policy=TierPolicy(),
        use=POLICY.review_factors,
    )
    # relationship (100+100+50+20+30)/5 = 60 → total 72.0 → B
    assert (change.from_tier, change.to_tier, change.to_score) == ("A", "B", 72.0)
    assert change.direction == "down"
    assert [(c.factor, c.old, c.new) for c in change.changes] == [
        ("satisfaction", 9, 3.0),
        ("payment_record", None, 20),
    ]


def test_no_change_is_proposed_when_the_tier_holds_or_the_book_is_not_used():
    same = BookFactors(satisfaction=8.9)
    assert propose_tier(
        current_tier="A", current_score=75.6, stored=STRONG, book=same, policy=TierPolicy(),
        use=POLICY.review_factors,
    ) is None  # fmt: skip
    worse = BookFactors(satisfaction=3.0, payment_record=20)
    assert propose_tier(
        current_tier="A", current_score=75.6, stored=STRONG, book=worse, policy=TierPolicy(),
        use=(),
    ) is None  # fmt: skip
    # a tier set by hand is revisited like any other
    change = propose_tier(
        current_tier="C", current_score=75.6, stored=STRONG, book=same, policy=TierPolicy(),
        use=POLICY.review_factors,
    )  # fmt: skip
    assert (change.from_tier, change.to_tier, change.direction) == ("C", "A", "up")


def test_revenue_from_the_book_only_when_configured():
    book = BookFactors(annual_revenue=D(100_000))
    factors, changes = with_book(STRONG, book, ("annual_revenue",))
    assert factors.annual_revenue == D(100_000) and changes[0].factor == "annual_revenue"
    factors, changes = with_book(STRONG, book, POLICY.review_factors)
    assert factors == STRONG and changes == ()


def test_quarter_names():
    assert quarter_of(date(2026, 1, 1)) == "2026Q1"
    assert quarter_of(date(2026, 3, 31)) == "2026Q1"
    assert quarter_of(date(2026, 11, 18)) == "2026Q4"


def test_an_accounts_lifetime_value_takes_the_books_revenue_only_when_none_is_recorded():
    rfm = Rfm(3, 2, 4, RfmInput(days_since=10, frequency=2, monetary=D(500_000)))
    inputs = {"expected_years": None, "margin_pct": 20, "acquisition_cost": D(10_000)}
    recorded, from_book = account_lifetime_value(
        annual_revenue=D(1_000_000), default_years=3, book_revenue=rfm.inputs.monetary, **inputs
    )
    assert (recorded.value, from_book) == (D("590000.00"), False)  # 1M × 3 × 20% − 10k
    booked, from_book = account_lifetime_value(
        annual_revenue=None, default_years=3, book_revenue=rfm.inputs.monetary, **inputs
    )
    assert (booked.value, from_book) == (D("290000.00"), True)  # 500k × 3 × 20% − 10k
    assert account_lifetime_value(
        annual_revenue=None, default_years=3, book_revenue=None, **inputs
    ) == (
        None,
        False,
    )
