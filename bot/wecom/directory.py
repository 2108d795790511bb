"""WeCom's side of the directory port (``handlers.directory``): ``user/get``."""

from __future__ import annotations

import logging

from bot.wecom.client import WecomClient
from handlers.directory import Profile
from handlers.notify import SendError

log = logging.getLogger(__name__)


class WecomDirectory:
    platform = "wecom"
    language = "zh"  # someone reached only on WeCom reads Chinese

    def __init__(self, client: WecomClient) -> None:
        self.client = client

    def address(self, external_id: str) -> str:
        return external_id  # message/send's touser is the member's userid

    def profile(self, external_id: str) -> Profile | None:
        if not self.client.can_call:
            return None
        try:
            data = self.client.get_user(external_id)
        except SendError as exc:
            log.warning("WeCom user/get %s failed: %s", external_id, exc)
            return None
        # WeCom answers third-party apps with the userid in place of the name: no name
        name = str(data.get("name") or "").strip()
        email = str(data.get("email") or "").strip()
        return Profile(
            display_name=name if name and name != external_id else None,
            email=email or None,
        )
