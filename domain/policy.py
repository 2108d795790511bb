"""kam's policies: the rules the domain and the handlers apply, as plain models.

Where they come from (``kam.toml``, the environment) is the edge's business
(``bot.config``); here they are only validated values with defaults.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.cadence import CadencePolicy
from domain.health import HealthPolicy
from domain.risks import RiskPolicy
from domain.tiers import TierPolicy


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduleConfig(Strict):
    """When the scheduled pushes go out (in each recipient's own timezone)."""

    lapse_time: time = time(9, 0)
    birthdays_time: time = time(8, 30)
    tasks_time: time = time(9, 0)
    reminders_time: time = time(9, 0)
    goals_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    goals_time: time = time(9, 0)
    week_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "fri"  # 周报
    week_time: time = time(16, 0)
    digest_time: time = time(9, 0)
    birthday_days_ahead: tuple[Annotated[int, Field(ge=0, le=366)], ...] = (3, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    skip_weekends: bool = True
    send_empty_digest: bool = False
    misfire_grace_hours: int = Field(default=6, ge=1, le=48)
    claim_timeout_minutes: int = Field(default=10, ge=1, le=1440)
    max_attempts: int = Field(default=5, ge=1, le=100)
    # every scheduler process records a heartbeat this often; /healthz and kam doctor
    # report the scheduler stopped after two of these without one
    heartbeat_seconds: int = Field(default=60, ge=1, le=3600)
    healthz_degraded_status: Literal[200, 503] = 200  # /healthz's code when degraded


class CalendarConfig(Strict):
    """Which country's working days the pushes follow (``domain.workdays``): ``country``
    for everyone (``"CN"``, ``"US"``; ``""`` for Monday to Friday without holidays),
    by default each recipient's from their time zone; ``teams`` overrides it for a
    team's chat and its people (``teams = { "West" = "US" }``)."""

    country: str | None = Field(default=None, max_length=2)
    teams: dict[str, Annotated[str, Field(max_length=2)]] = Field(default_factory=dict)


class DealConfig(Strict):
    """Deal stages in order, with the win probability of each."""

    probabilities: dict[str, Annotated[int, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: {
            "lead": 10,
            "qualify": 25,
            "proposal": 50,
            "negotiation": 75,
            "won": 100,
            "lost": 0,
        }
    )

    @field_validator("probabilities")
    @classmethod
    def _valid(cls, v: dict[str, int]) -> dict[str, int]:
        for required in ("won", "lost"):
            if required not in v:
                raise ValueError(f"stage '{required}' is required")
        for stage, p in v.items():
            if not 0 <= p <= 100:
                raise ValueError(f"probability of '{stage}' must be 0-100")
        return v

    @property
    def open_stages(self) -> list[str]:
        return [s for s in self.probabilities if s not in ("won", "lost")]


class Policy(Strict):
    """How kam judges and words the book: the house time zone, language and currency,
    tiers, cadences, risks, health, schedules and deal stages.  ``bot.config.Settings``
    adds where kam runs; the neutral layers only ever see these policies."""

    timezone: str = "Asia/Shanghai"
    language: Literal["en", "zh"] = "en"
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    # Every number has both bounds: a value out of them is refused at start, naming the key
    # (``undo_minutes = 99999999999999999999`` used to overflow ``timedelta`` in /undo).
    undo_minutes: int = Field(default=10, ge=1, le=7 * 24 * 60)  # an import, by chat
    undo_own_hours: int = Field(default=48, ge=1, le=30 * 24)  # the person's own last command
    question_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)  # a question kam asked
    max_note_chars: int = Field(default=4000, ge=1, le=100_000)
    # Units of the house currency per one unit of the keyed currency: positive and finite.
    fx_rates: dict[
        Annotated[str, Field(min_length=3, max_length=3)],
        Annotated[Decimal, Field(gt=0, le=Decimal(10) ** 9, allow_inf_nan=False)],
    ] = Field(default_factory=dict)
    tiers: TierPolicy = Field(default_factory=TierPolicy)
    cadence: CadencePolicy = Field(default_factory=CadencePolicy)
    risks: RiskPolicy = Field(default_factory=RiskPolicy)
    health: HealthPolicy = Field(default_factory=HealthPolicy)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    deals: DealConfig = Field(default_factory=DealConfig)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown timezone {v!r} (use an IANA name like Asia/Shanghai)"
            ) from exc
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
