"""Risk rules: what needs attention on an account, read from a plain snapshot.

The storage layer gathers an ``AccountSnapshot``; ``assess`` applies the rules
and returns ``Risk`` values, most severe first. Each risk carries a code and
parameters, not text: ``describe`` words it in English or Chinese.

    code               severity              when
    churned            low                   status is churned (no other rule runs)
    dormant            low                   status is dormant (no other rule runs)
    lost               low                   status is lost (no other rule runs)
    at_risk            high                  status is at_risk
    lapsed             high A / medium B, C  past the contact cadence, unless snoozed
    never_contacted    high A / medium B, C  no contact on record, unless snoozed
    deal_overdue       high                  an open deal's close date has passed
    deal_stalled       medium, high past 2x  an open deal sat in its stage too long
    complaint_open     high                  a complaint is open longer than allowed
    tasks_overdue      medium                any task is past due
    thin_coverage      medium                A tier with fewer contacts than required
    no_decision_maker  medium                A tier without a decision maker
    goal_behind        medium                a goal of the account is behind pace

Deal rules look at open deals only (not won or lost); a stage with no limit in
the policy never stalls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.cadence import ContactStatus
from domain.tiers import normalise_tier

CLOSED_STAGES = frozenset({"won", "lost"})

# account statuses that end the rules (``domain.models.INACTIVE_STATUSES``, kept pure here)
_OUT_OF_WORK = frozenset({"churned", "dormant", "lost"})

DEFAULT_STALLED_DAYS = {"lead": 30, "qualify": 21, "proposal": 21, "negotiation": 14}


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most severe."""
        return _RANK[self]


_RANK = {s: i for i, s in enumerate(Severity)}


class RiskPolicy(BaseModel):
    """Limits the rules apply; ``stalled_days`` entries override the defaults one by one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stalled_days: dict[str, Annotated[int, Field(gt=0, le=3660)]] = Field(
        default_factory=lambda: dict(DEFAULT_STALLED_DAYS)
    )
    complaint_days: int = Field(14, gt=0, le=3660)
    min_contacts_a: int = Field(2, ge=0, le=1000)

    @field_validator("stalled_days", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        return {**DEFAULT_STALLED_DAYS, **value} if isinstance(value, dict) else value


@dataclass(frozen=True)
class DealSnapshot:
    name: str
    stage: str
    amount: Decimal
    currency: str
    days_in_stage: int
    close_date: date | None = None

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES


@dataclass(frozen=True)
class AccountSnapshot:
    """What the rules look at; ``oldest_complaint_days`` is the age of the oldest open one."""

    name: str
    tier: str
    status: str
    contact: ContactStatus
    snoozed_until: date | None = None
    deals: list[DealSnapshot] = field(default_factory=list)
    overdue_tasks: int = 0
    contacts: int = 0
    has_decision_maker: bool = False
    goal_behind: bool = False
    oldest_complaint_days: int | None = None


@dataclass(frozen=True)
class Risk:
    code: str
    severity: Severity
    params: dict[str, Any] = field(default_factory=dict)


def assess(snapshot: AccountSnapshot, policy: RiskPolicy, today: date) -> list[Risk]:
    """Every risk on the account, by severity (high first), then code.

    A churned account yields only ``churned``: there is nothing left to keep; a dormant
    or lost one (``models.INACTIVE_STATUSES``) only its status, the same way — it is out
    of the pushes until someone sets it active again.  Snoozing (``snoozed_until`` on or after today) silences the contact rules only.
    """
    s = snapshot
    if s.status in _OUT_OF_WORK:
        return [Risk(s.status, Severity.LOW)]

    is_a = normalise_tier(s.tier) == "A"
    risks: list[Risk] = []
    if s.status == "at_risk":
        risks.append(Risk("at_risk", Severity.HIGH))

    snoozed = s.snoozed_until is not None and s.snoozed_until >= today
    if not snoozed:
        contact_severity = Severity.HIGH if is_a else Severity.MEDIUM
        if s.contact.days_since is None:
            risks.append(Risk("never_contacted", contact_severity))
        elif s.contact.lapsed:
            params = {
                "days_since": s.contact.days_since,
                "cadence": s.contact.cadence,
                "overdue_days": s.contact.overdue_days,
                "escalate": s.contact.escalate,
            }
            risks.append(Risk("lapsed", contact_severity, params))

    for deal in s.deals:
        if deal.is_open:
            risks.extend(_deal_risks(deal, policy, today))

    if s.oldest_complaint_days is not None and s.oldest_complaint_days > policy.complaint_days:
        params = {"days": s.oldest_complaint_days, "limit": policy.complaint_days}
        risks.append(Risk("complaint_open", Severity.HIGH, params))
    if s.overdue_tasks > 0:
        risks.append(Risk("tasks_overdue", Severity.MEDIUM, {"count": s.overdue_tasks}))
    if is_a and s.contacts < policy.min_contacts_a:
        params = {"contacts": s.contacts, "min_contacts": policy.min_contacts_a}
        risks.append(Risk("thin_coverage", Severity.MEDIUM, params))
    if is_a and not s.has_decision_maker:
        risks.append(Risk("no_decision_maker", Severity.MEDIUM))
    if s.goal_behind:
        risks.append(Risk("goal_behind", Severity.MEDIUM))

    return sorted(risks, key=lambda r: (r.severity.rank, r.code, str(r.params.get("deal", ""))))


def _deal_risks(deal: DealSnapshot, policy: RiskPolicy, today: date) -> list[Risk]:
    risks = []
    if deal.close_date is not None and deal.close_date < today:
        params = {"deal": deal.name, "close_date": deal.close_date.isoformat()}
        risks.append(Risk("deal_overdue", Severity.HIGH, params))
    limit = policy.stalled_days.get(deal.stage)
    if limit is not None and deal.days_in_stage > limit:
        severity = Severity.HIGH if deal.days_in_stage > 2 * limit else Severity.MEDIUM
        params = {
            "deal": deal.name,
            "stage": deal.stage,
            "days": deal.days_in_stage,
            "limit": limit,
        }
        risks.append(Risk("deal_stalled", severity, params))
    return risks


RISK_CODES = (
    *(
        "churned",
        "dormant",
        "lost",
        "at_risk",
        "lapsed",
        "never_contacted",
        "deal_overdue",
        "deal_stalled",
    ),
    *("complaint_open", "tasks_overdue", "thin_coverage", "no_decision_maker", "goal_behind"),
)
"""Every code ``assess`` can report; handlers/views/risks.py has the words for each."""
