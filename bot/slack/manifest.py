"""The Slack app manifest, generated from the command table.

``slack/manifest.json`` in the repository is this module's output for Socket Mode
(no public URL needed); ``kam slack manifest --url https://kam.example.com`` prints
the HTTP variant, with every request URL pointing at ``/slack/events``.  A test keeps
the committed file equal to what the command table generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.slack.http import EVENTS_PATH
from handlers.registry import CommandSpec, CommandTable

MANIFEST_PATH = Path("slack") / "manifest.json"

BOT_SCOPES = (
    "app_mentions:read",  # app_mention: "@kam risks" in a channel
    "chat:write",  # replies, DMs and ephemeral answers
    "chat:write.public",  # team digests to public channels kam was not invited to
    "commands",  # /kam and the short forms
    "files:write",  # charts, uploaded with files_upload_v2 (issue 18)
    "im:history",  # message.im: direct messages to kam
    "im:write",  # conversations.open, to DM reminders
    "users:read",  # users.info: name and timezone of a newly registered user
    "users:read.email",  # … and their email
)
BOT_EVENTS = ("app_home_opened", "app_mention", "message.im")
DESCRIPTION_LIMIT = 140


def _both(spec: CommandSpec, what: str) -> str:
    en, zh = spec.text(what, "en"), spec.text(what, "zh")
    return en if en == zh else f"{en} · {zh}"


def _usage_hint(spec: CommandSpec) -> str:
    usage = spec.text("usage", "en")
    return usage.removeprefix(f"/{spec.name}").strip() or usage


def _slash_commands(base_url: str | None, table: CommandTable) -> list[dict[str, Any]]:
    commands: list[dict[str, Any]] = [
        {
            "command": "/kam",
            "description": "Any kam command: /kam help lists them · 全部命令，/kam help 查看",
            "usage_hint": "account Acme · visit Acme met Li Wei · help",
        }
    ]
    for spec in table:
        if spec.slash:
            commands.append(
                {
                    "command": f"/{spec.name}",
                    "description": _both(spec, "summary"),
                    "usage_hint": _usage_hint(spec),
                }
            )
    for command in commands:
        command["should_escape"] = True  # @mentions arrive as <@U123|name>: the Slack id
        if base_url:
            command["url"] = base_url
    return commands


def build_manifest(url: str | None = None, commands: CommandTable | None = None) -> dict[str, Any]:
    """The manifest; with ``url`` (the server's public base URL) for HTTP, else Socket Mode.

    ``commands`` is the app's command table (by default the one ``bot.bootstrap`` builds).
    """
    from bot.bootstrap import build_commands

    table = commands if commands is not None else build_commands()
    events_url = url.rstrip("/") + EVENTS_PATH if url else None
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if events_url:
        events["request_url"] = events_url
        interactivity["request_url"] = events_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "kam",
            "description": (
                "Key-account management: log visits in one line, see an account on one "
                "screen, never miss a follow-up. 大客户管理"
            )[:DESCRIPTION_LIMIT],
            "background_color": "#1f3a5f",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "kam", "always_online": True},
            "slash_commands": _slash_commands(events_url, table),
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": events_url is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_json(url: str | None = None) -> str:
    return json.dumps(build_manifest(url), ensure_ascii=False, indent=2) + "\n"
