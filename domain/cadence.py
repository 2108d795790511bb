"""Contact cadence: how often each tier should hear from us, and who is overdue.

Days are counted as calendar days in the team's time zone, so a call at 23:30
yesterday in Shanghai was 1 day ago at 00:10 today, whatever UTC says. A contact
dated after ``now`` counts as today.

An account lapses once more days than its cadence have passed since the last
contact, and is escalated to the manager past ``escalate_factor`` times the
cadence. An account never contacted is lapsed by one full cadence but not
escalated: nobody can say for how long it has been waiting, and the
``never_contacted`` risk reports it on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidInput
from domain.tiers import normalise_tier


class CadencePolicy(BaseModel):
    """Days between contacts per tier, and when the manager is told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    a: int = Field(14, gt=0, le=3660)
    b: int = Field(30, gt=0, le=3660)
    c: int = Field(60, gt=0, le=3660)
    escalate_factor: float = Field(2.0, ge=1, le=100, allow_inf_nan=False)

    def days_for(self, tier: str) -> int:
        """The cadence, in days, of ``tier`` ("A", "B" or "C")."""
        return getattr(self, normalise_tier(tier).lower())


@dataclass(frozen=True)
class ContactStatus:
    """Where an account stands against its cadence.

    ``days_since`` is None when the account was never contacted; ``due_in`` is
    the number of days left before it lapses (0: contact it today), None once
    lapsed.
    """

    days_since: int | None
    cadence: int
    overdue_days: int
    lapsed: bool
    escalate: bool
    due_in: int | None

    @property
    def never_contacted(self) -> bool:
        return self.days_since is None


def contact_status(
    last_contact: datetime | None,
    tier: str,
    now: datetime,
    policy: CadencePolicy,
    tz: ZoneInfo,
) -> ContactStatus:
    """Compare the last contact with the cadence of ``tier`` as of ``now``."""
    cadence = policy.days_for(tier)
    if last_contact is None:
        return ContactStatus(
            days_since=None,
            cadence=cadence,
            overdue_days=cadence,
            lapsed=True,
            escalate=False,
            due_in=None,
        )
    days_since = max(_local_date_gap(last_contact, now, tz), 0)
    lapsed = days_since > cadence
    return ContactStatus(
        days_since=days_since,
        cadence=cadence,
        overdue_days=max(days_since - cadence, 0),
        lapsed=lapsed,
        escalate=days_since > cadence * policy.escalate_factor,
        due_in=None if lapsed else cadence - days_since,
    )


def _local_date_gap(earlier: datetime, later: datetime, tz: ZoneInfo) -> int:
    """Calendar days between two instants, as the dates read in ``tz``."""
    for moment in (earlier, later):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidInput("tz_naive", value=moment.isoformat())
    return (later.astimezone(tz).date() - earlier.astimezone(tz).date()).days
