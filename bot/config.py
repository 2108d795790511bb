"""kam's configuration, read at the edge: environment variables plus an optional ``kam.toml``.

Policies (tier weights and thresholds, cadences, risk thresholds, schedule times,
deal-stage probabilities) may live in ``kam.toml``; secrets come only from the
environment.  ``load_settings`` validates everything at start and names the key that
is wrong.  The environment wins over the file.

Environment variables: ``KAM_DATABASE_URL``, ``KAM_CONFIG`` (path of kam.toml),
``KAM_HOST``, ``KAM_PORT``, ``KAM_TIMEZONE``, ``KAM_LANGUAGE``, ``KAM_CURRENCY``,
``KAM_LOG_FORMAT``, ``KAM_DRAIN_SECONDS``, ``KAM_REQUEST_TIMEOUT_SECONDS``,
``KAM_INBOX_LEASE_SECONDS``, ``KAM_INBOX_SWEEP_SECONDS``,
``SLACK_BOT_TOKEN``, ``SLACK_SIGNING_SECRET``, ``SLACK_APP_TOKEN``, ``SLACK_API_URL``,
``WECOM_CORP_ID``, ``WECOM_AGENT_ID``, ``WECOM_SECRET``, ``WECOM_TOKEN``,
``WECOM_ENCODING_AES_KEY``, ``WECOM_API_BASE_URL``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from domain.errors import InvalidInput
from domain.policy import Policy, Strict


class SlackSettings(Strict):
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = "https://slack.com/api/"

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token)


class WecomSettings(Strict):
    corp_id: str | None = None
    agent_id: int | None = Field(default=None, ge=0, le=2**31 - 1)
    secret: str | None = None
    token: str | None = None
    encoding_aes_key: str | None = None
    api_base_url: str = "https://qyapi.weixin.qq.com/cgi-bin/"
    # Ask kam's questions as template cards with buttons (button_interaction), answered
    # through the callback's template_card_event.  Off by default: the app needs a
    # callback URL and agent id; without them the numbered text ("回复 1") is asked.
    question_cards: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.corp_id and self.token and self.encoding_aes_key)


class Settings(Policy):
    """Everything kam is configured with: the policies (``domain.policy.Policy``, which is
    all the neutral layers see) plus where it runs — database, address, logs and the
    chat platforms' credentials."""

    database_url: str = "sqlite:///kam.db"
    host: str = "127.0.0.1"
    port: int = Field(default=3000, ge=0, le=65535)
    log_format: Literal["text", "json"] = "text"
    drain_seconds: float = Field(default=10.0, ge=0, le=3600, allow_inf_nan=False)
    # How long a client has to send one whole request (headers and body) to kam's server.
    request_timeout_seconds: float = Field(default=15.0, gt=0, le=300, allow_inf_nan=False)
    # The inbox (``storage.inbound``): a message being run is leased this long (by the
    # database's clock) before another process may finish it; every ``kam run`` looks
    # for such messages this often.  Longer than the slowest command, shorter than
    # anyone waits for an answer.
    inbox_lease_seconds: float = Field(default=30.0, ge=0.5, le=3600, allow_inf_nan=False)
    inbox_sweep_seconds: float = Field(default=5.0, ge=0.1, le=600, allow_inf_nan=False)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    wecom: WecomSettings = Field(default_factory=WecomSettings)


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
    "KAM_REQUEST_TIMEOUT_SECONDS": ("request_timeout_seconds",),
    "KAM_INBOX_LEASE_SECONDS": ("inbox_lease_seconds",),
    "KAM_INBOX_SWEEP_SECONDS": ("inbox_sweep_seconds",),
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


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's TOML, or one sentence saying why it cannot be read (for the operator)."""
    if path.is_dir():
        raise InvalidInput(f"configuration file {path} is a folder, not a file (KAM_CONFIG)")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{path}: not UTF-8 text (line {line}, byte {exc.start}); save it as UTF-8"
        ) from exc
    except OSError as exc:
        raise InvalidInput(f"configuration file {path} cannot be read: {exc.strerror}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: not valid TOML: {exc}") from exc


def load_settings(
    env: Mapping[str, str] | None = None, config_file: str | Path | None = None
) -> Settings:
    """Read kam.toml (if any) and the environment; raise ``InvalidInput`` naming the bad key."""
    env = os.environ if env is None else env
    path = Path(config_file or env.get("KAM_CONFIG") or "kam.toml")
    data: dict[str, Any] = {}
    if path.exists():
        data = _read_toml(path)
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
