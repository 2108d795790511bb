from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.cadence import CadencePolicy, ContactStatus, contact_status
from domain.models import INACTIVE_STATUSES
from domain.risks import (
    RISK_CODES,
    AccountSnapshot,
    DealSnapshot,
    Risk,
    RiskPolicy,
    Severity,
    assess,
)
from handlers.views.risks import describe

TODAY = date(2025, 6, 16)
SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = RiskPolicy()


def contact(days_ago: int | None, tier: str = "B") -> ContactStatus:
    now = datetime(2025, 6, 16, 10, 0, tzinfo=SHANGHAI)
    last = None if days_ago is None else now - timedelta(days=days_ago)
    return contact_status(last, tier, now, CadencePolicy(), SHANGHAI)


def deal(name: str = "ERP rollout", **fields) -> DealSnapshot:
    values = {
        "stage": "proposal",
        "amount": Decimal("250000.00"),
        "currency": "CNY",
        "days_in_stage": 5,
        "close_date": date(2025, 9, 30),
    }
    return DealSnapshot(name=name, **(values | fields))


def account(**fields) -> AccountSnapshot:
    """A healthy B-tier account; override what a test is about."""
    tier = fields.get("tier", "B")
    values = {
        "name": "Acme",
        "tier": tier,
        "status": "active",
        "contact": contact(3, tier),
        "deals": [deal()],
        "contacts": 3,
        "has_decision_maker": True,
    }
    return AccountSnapshot(**(values | fields))


def codes(risks: list[Risk]) -> list[str]:
    return [r.code for r in risks]


def test_healthy_account_has_no_risks():
    assert assess(account(), POLICY, TODAY) == []
    assert assess(account(tier="A"), POLICY, TODAY) == []


@pytest.mark.parametrize(("tier", "severity"), [("A", "high"), ("B", "medium"), ("C", "medium")])
def test_lapsed(tier, severity):
    days = {"A": 20, "B": 40, "C": 70}[tier]
    risks = assess(account(tier=tier, contact=contact(days, tier)), POLICY, TODAY)
    assert codes(risks) == ["lapsed"]
    assert risks[0].severity == severity


def test_lapsed_params():
    [risk] = assess(account(tier="A", contact=contact(30, "A")), POLICY, TODAY)
    assert risk == Risk(
        "lapsed",
        Severity.HIGH,
        {"days_since": 30, "cadence": 14, "overdue_days": 16, "escalate": True},
    )


def test_snoozed_account_has_no_contact_risk_until_the_snooze_ends():
    lapsed = account(contact=contact(40))
    assert assess(replace(lapsed, snoozed_until=TODAY), POLICY, TODAY) == []
    yesterday = TODAY - timedelta(days=1)
    assert codes(assess(replace(lapsed, snoozed_until=yesterday), POLICY, TODAY)) == ["lapsed"]
    silent = account(contact=contact(None), snoozed_until=TODAY + timedelta(days=7))
    assert assess(silent, POLICY, TODAY) == []


def test_never_contacted():
    assert assess(account(tier="A", contact=contact(None, "A")), POLICY, TODAY) == [
        Risk("never_contacted", Severity.HIGH)
    ]
    assert assess(account(contact=contact(None)), POLICY, TODAY) == [
        Risk("never_contacted", Severity.MEDIUM)
    ]


@pytest.mark.parametrize(
    ("stage", "days", "severity"),
    [
        ("lead", 30, None),
        ("lead", 31, Severity.MEDIUM),
        ("qualify", 22, Severity.MEDIUM),
        ("proposal", 42, Severity.MEDIUM),
        ("proposal", 43, Severity.HIGH),  # more than twice the limit
        ("negotiation", 15, Severity.MEDIUM),
        ("won", 400, None),  # closed
        ("lost", 400, None),
        ("pilot", 400, None),  # no limit for this stage
    ],
)
def test_deal_stalled(stage, days, severity):
    snapshot = account(deals=[deal("CRM", stage=stage, days_in_stage=days)])
    risks = assess(snapshot, POLICY, TODAY)
    if severity is None:
        assert risks == []
    else:
        limit = POLICY.stalled_days[stage]
        params = {"deal": "CRM", "stage": stage, "days": days, "limit": limit}
        assert risks == [Risk("deal_stalled", severity, params)]


def test_stall_limits_override_the_defaults_one_by_one():
    policy = RiskPolicy(stalled_days={"lead": 10, "pilot": 5})
    assert policy.stalled_days == {
        "lead": 10,
        "qualify": 21,
        "proposal": 21,
        "negotiation": 14,
        "pilot": 5,
    }
    snapshot = account(deals=[deal(stage="lead", days_in_stage=11)])
    assert codes(assess(snapshot, policy, TODAY)) == ["deal_stalled"]


def test_deal_overdue():
    overdue = deal("CRM", close_date=TODAY - timedelta(days=1))
    assert assess(account(deals=[overdue]), POLICY, TODAY) == [
        Risk("deal_overdue", Severity.HIGH, {"deal": "CRM", "close_date": "2025-06-15"})
    ]
    assert assess(account(deals=[deal(close_date=TODAY)]), POLICY, TODAY) == []
    assert assess(account(deals=[deal(close_date=None)]), POLICY, TODAY) == []
    won_late = deal(stage="won", close_date=TODAY - timedelta(days=30))
    assert assess(account(deals=[won_late]), POLICY, TODAY) == []


def test_tasks_overdue():
    assert assess(account(overdue_tasks=3), POLICY, TODAY) == [
        Risk("tasks_overdue", Severity.MEDIUM, {"count": 3})
    ]


def test_thin_coverage_only_for_a_tier():
    assert assess(account(tier="A", contacts=1), POLICY, TODAY) == [
        Risk("thin_coverage", Severity.MEDIUM, {"contacts": 1, "min_contacts": 2})
    ]
    assert assess(account(tier="B", contacts=1), POLICY, TODAY) == []
    assert codes(assess(account(tier="A", contacts=2), RiskPolicy(min_contacts_a=3), TODAY)) == [
        "thin_coverage"
    ]


def test_no_decision_maker_only_for_a_tier():
    assert assess(account(tier="A", has_decision_maker=False), POLICY, TODAY) == [
        Risk("no_decision_maker", Severity.MEDIUM)
    ]
    assert assess(account(tier="C", has_decision_maker=False), POLICY, TODAY) == []


def test_goal_behind():
    assert assess(account(goal_behind=True), POLICY, TODAY) == [
        Risk("goal_behind", Severity.MEDIUM)
    ]


def test_complaint_open_too_long():
    assert assess(account(oldest_complaint_days=14), POLICY, TODAY) == []
    assert assess(account(oldest_complaint_days=15), POLICY, TODAY) == [
        Risk("complaint_open", Severity.HIGH, {"days": 15, "limit": 14})
    ]


def test_at_risk_status():
    assert assess(account(status="at_risk"), POLICY, TODAY) == [Risk("at_risk", Severity.HIGH)]


def test_churned_account_reports_only_that():
    snapshot = account(status="churned", contact=contact(None), overdue_tasks=4)
    assert assess(snapshot, POLICY, TODAY) == [Risk("churned", Severity.LOW)]


@pytest.mark.parametrize("status", ["dormant", "lost"])
def test_dormant_and_lost_accounts_report_only_their_status(status):
    """Out of the pushes like a churned one: no lapse, no overdue-task or deal risks."""
    snapshot = account(
        status=status,
        tier="A",
        contact=contact(90, "A"),
        overdue_tasks=2,
        deals=[deal(stage="lead", days_in_stage=99, close_date=TODAY - timedelta(days=3))],
    )
    assert assess(snapshot, POLICY, TODAY) == [Risk(status, Severity.LOW)]
    assert set(INACTIVE_STATUSES) == {"churned", "dormant", "lost"}  # the rules' list agrees
    assert describe(Risk(status, Severity.LOW), "zh") != describe(Risk(status, Severity.LOW), "en")


def test_risks_are_sorted_by_severity_then_code():
    snapshot = account(
        tier="A",
        status="at_risk",
        contact=contact(20, "A"),
        deals=[
            deal("Zeta", stage="negotiation", days_in_stage=20),
            deal("Alpha", stage="negotiation", days_in_stage=20),
            deal("Late", close_date=TODAY - timedelta(days=3)),
        ],
        overdue_tasks=1,
        contacts=1,
        has_decision_maker=False,
        goal_behind=True,
    )
    risks = assess(snapshot, POLICY, TODAY)
    assert [(r.severity.value, r.code, r.params.get("deal")) for r in risks] == [
        ("high", "at_risk", None),
        ("high", "deal_overdue", "Late"),
        ("high", "lapsed", None),
        ("medium", "deal_stalled", "Alpha"),
        ("medium", "deal_stalled", "Zeta"),
        ("medium", "goal_behind", None),
        ("medium", "no_decision_maker", None),
        ("medium", "tasks_overdue", None),
        ("medium", "thin_coverage", None),
    ]


def test_describe_in_both_languages():
    stalled = Risk(
        "deal_stalled",
        Severity.MEDIUM,
        {"deal": "ERP", "stage": "negotiation", "days": 20, "limit": 14},
    )
    assert describe(stalled, "en") == "Deal ERP has been in negotiation for 20 days (limit 14)"
    assert describe(stalled, "zh") == "商机「ERP」停留在谈判阶段20天（上限14天）"
    lapsed = assess(account(contact=contact(40)), POLICY, TODAY)[0]
    assert describe(lapsed, "en") == "No contact for 40 days (cadence 30 days)"
    assert describe(lapsed, "zh") == "已40天未联系（跟进周期30天）"
    assert describe(Risk("churned", Severity.LOW), "fr") == "Churned"


def test_every_code_has_text_in_both_languages():
    snapshot = account(
        tier="A",
        status="at_risk",
        contact=contact(20, "A"),
        deals=[deal(stage="lead", days_in_stage=99, close_date=TODAY - timedelta(days=1))],
        overdue_tasks=2,
        contacts=0,
        has_decision_maker=False,
        goal_behind=True,
        oldest_complaint_days=30,
    )
    risks = [
        *assess(snapshot, POLICY, TODAY),
        *assess(replace(snapshot, contact=contact(None, "A")), POLICY, TODAY),
        *assess(replace(snapshot, status="churned"), POLICY, TODAY),
        *assess(replace(snapshot, status="dormant"), POLICY, TODAY),
        *assess(replace(snapshot, status="lost"), POLICY, TODAY),
    ]
    assert {r.code for r in risks} == set(RISK_CODES)
    for risk in risks:
        for lang in ("en", "zh"):
            text = describe(risk, lang)
            assert text and "{" not in text and "}" not in text
