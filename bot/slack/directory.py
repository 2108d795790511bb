"""Slack's side of the directory port (``handlers.directory``): ``users.info``."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from handlers.directory import Profile

log = logging.getLogger(__name__)


class SlackDirectory:
    platform = "slack"
    language = None  # a Slack workspace reads kam's configured language

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def address(self, external_id: str) -> str:
        return external_id  # chat.postMessage to a user id opens the DM

    def profile(self, external_id: str) -> Profile | None:
        try:
            info = self.client.users_info(user=external_id)["user"]
        except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
            log.warning("users.info for %s failed: %s", external_id, exc)
            return None
        profile = info.get("profile") or {}
        name = (profile.get("real_name") or info.get("real_name") or "").strip()
        name = name or (profile.get("display_name") or "").strip()
        return Profile(
            display_name=name or None,
            email=(profile.get("email") or "").strip() or None,
            timezone=info.get("tz") or None,
            username=info.get("name") or None,
        )
