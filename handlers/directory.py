"""The directory port: what kam asks a chat platform about its people.

Each platform folder under ``bot/`` implements ``Directory`` (``bot.slack.directory``,
``bot.wecom.directory``) and ``bot.bootstrap`` hands them to the dispatcher by
platform name, so nothing here or in ``schedules/`` knows one platform from another:

    language          the language of someone reached only there (None: kam's own)
    address(id)       how the notifier addresses that user (``Recipient.address``)
    profile(id)       name, email and timezone as the platform knows them, or None
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Profile:
    """A person as their chat platform describes them; anything unknown is None."""

    display_name: str | None = None
    email: str | None = None
    timezone: str | None = None
    # the platform's account name (Slack's username): no better a name than the handle
    username: str | None = None


class Directory(Protocol):
    platform: str
    language: str | None

    def address(self, external_id: str) -> str:
        """The address the platform's notifier sends a direct message to."""

    def profile(self, external_id: str) -> Profile | None:
        """The person's profile; None when the platform cannot say (logged, not raised)."""
