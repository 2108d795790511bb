"""kam's configuration: environment variables plus an optional ``kam.toml``.

Policies (tier weights and thresholds, cadences, risk thresholds, schedule times,
deal-stage probabilities) may live in ``kam.toml``; secrets come only from the
environment.  ``load_settings`` validates everything at start and names the key that
is wrong.  The environment wins over the file.

Environment variables: ``KAM_DATABASE_URL``, ``KAM_CONFIG`` (path of kam.toml),
``KAM_HOST``, ``KAM_PORT``, ``KAM_TIMEZONE``, ``KAM_LANGUAGE``, ``KAM_CURRENCY``,
``KAM_LOG_FORMAT``, ``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``,
``SLACK_API_URL``, ``WECOM_CORP_ID``, ``WECOM_AGENT_ID``, ``WECOM_SECRET``,
``WECOM_TOKEN``, ``WECOM_ENCODING_AES_KEY``, ``WECOM_API_BASE_URL``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from domain.cadence import CadencePolicy
from domain.errors import InvalidInput
from domain.health import HealthPolicy
from domain.risks import RiskPolicy
from domain.tiers import TierPolicy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduleConfig(_Strict):
    """When the scheduled pushes go out (in each recipient's own timezone)."""

    lapse_time: time = time(9, 0)
    birthdays_time: time = time(8, 30)
    tasks_time: time = time(9, 0)
    reminders_time: time = time(9, 0)
    goals_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    goals_time: time = time(9, 0)
    digest_time: time = time(9, 0)
    birthday_days_ahead: tuple[int, ...] = (3, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    skip_weekends: bool = True
    send_empty_digest: bool = False
    misfire_grace_hours: int = Field(default=6, ge=1, le=48)
    claim_timeout_minutes: int = Field(default=10, ge=1)
    max_attempts: int = Field(default=5, ge=1)


class DealConfig(_Strict):
    """Deal stages in order, with the win probability of each."""

    probabilities: dict[str, int] = Field(
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


class SlackSettings(_Strict):
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = "https://slack.com/api/"

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token)


class WecomSettings(_Strict):
    corp_id: str | None = None
    agent_id: int | None = None
    secret: str | None = None
    token: str | None = None
    encoding_aes_key: str | None = None
    api_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"

    @property
    def enabled(self) -> bool:
        return bool(self.corp_id and self.token and self.encoding_aes_key)


class Settings(_Strict):
    database_url: str = "sqlite:///kam.db"
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)
    timezone: str = "Asia/Shanghai"
    language: Literal["en", "zh"] = "en"
    currency: str = Field(default="CNY", min_length=3, max_length=3)
    log_format: Literal["text", "json"] = "text"
    drain_seconds: float = Field(default=10.0, ge=0)
    undo_minutes: int = Field(default=10, ge=1)
    max_note_chars: int = Field(default=4000, ge=1)
    fx_rates: dict[str, Decimal] = Field(default_factory=dict)
    tiers: TierPolicy = Field(default_factory=TierPolicy)
    cadence: CadencePolicy = Field(default_factory=CadencePolicy)
    risks: RiskPolicy = Field(default_factory=RiskPolicy)
    health: HealthPolicy = Field(default_factory=HealthPolicy)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    deals: DealConfig = Field(default_factory=DealConfig)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    wecom: WecomSettings = Field(default_factory=WecomSettings)

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


SECRET_KEYS = {
    ("slack", "bot_token"),
    ("slack", "signing_secret"),
    ("slack", "app_token"),
    ("wecom", "secret"),
    ("wecom", "token"),
    ("wecom", "encoding_aes_key"),
}

_ENV: dict[str, tuple[str, ...]] = {
    "KAM_DATABASE_URL": ("database_url",),
    "KAM_HOST": ("host",),
    "KAM_PORT": ("port",),
    "KAM_TIMEZONE": ("timezone",),
    "KAM_LANGUAGE": ("language",),
    "KAM_CURRENCY": ("currency",),
    "KAM_LOG_FORMAT": ("log_format",),
    "KAM_DRAIN_SECONDS": ("drain_seconds",),
    "SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "SLACK_APP_TOKEN": ("slack", "app_token"),
    "SLACK_API_URL": ("slack", "api_url"),
    "WECOM_CORP_ID": ("wecom", "corp_id"),
    "WECOM_AGENT_ID": ("wecom", "agent_id"),
    "WECOM_SECRET": ("wecom", "secret"),
    "WECOM_TOKEN": ("wecom", "token"),
    "WECOM_ENCODING_AES_KEY": ("wecom", "encoding_aes_key"),
    "WECOM_API_BASE_URL": ("wecom", "api_base_url"),
}


def load_settings(
    env: Mapping[str, str] | None = None, config_file: str | Path | None = None
) -> Settings:
    """Read kam.toml (if any) and the environment; raise ``InvalidInput`` naming the bad key."""
    env = os.environ if env is None else env
    path = Path(config_file or env.get("KAM_CONFIG") or "kam.toml")
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInput(f"{path}: not valid TOML: {exc}") from exc
        for section, key in SECRET_KEYS:
            if key in data.get(section, {}):
                raise InvalidInput(
                    f"{path}: '{section}.{key}' is a secret; set it in the environment "
                    f"({section.upper()}_{key.upper()}), never in a file"
                )
    elif config_file or env.get("KAM_CONFIG"):
        raise InvalidInput(f"configuration file {path} does not exist (KAM_CONFIG)")
    for var, keys in _ENV.items():
        value = env.get(var)
        if value in (None, ""):
            continue
        target = data
        for k in keys[:-1]:
            target = target.setdefault(k, {})
        target[keys[-1]] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        env_names = [v for v, k in _ENV.items() if ".".join(k) == key]
        where = f" (environment variable {env_names[0]})" if env_names else f" (in {path})"
        raise InvalidInput(f"invalid configuration '{key}'{where}: {first['msg']}") from exc
