"""The notifier port: how kam pushes a reply to someone who did not ask for it.

Command handlers (an owner told of a visit someone else logged) and scheduled jobs
send through the same ``Notifier``.  Slack and WeCom implementations live in ``bot/``;
here are the port, the console notifier and a recording one for tests.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from domain.models import Team, User
from handlers.replies import Reply


@dataclass(frozen=True)
class Recipient:
    """Where a message goes.

    ``kind`` is ``user`` (a direct message), ``channel`` (a Slack channel or WeCom app
    chat) or ``webhook`` (a WeCom group robot).  ``key`` is a stable name for the
    delivery ledger (``user:alice``, ``team:East``).
    """

    platform: str  # slack | wecom | console
    kind: str
    address: str
    key: str
    lang: str = "en"
    timezone: str = "Asia/Shanghai"


class SendError(Exception):
    """A send failed; ``retryable`` says whether trying again later may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Notifier(Protocol):
    def send(self, recipient: Recipient, reply: Reply) -> None:
        """Deliver or raise ``SendError``; never drop silently."""


def user_recipient(user: User, identities: Mapping[str, str]) -> Recipient:
    """The user's direct-message address on the first platform they are on
    (``identities`` in order of preference: ``storage.users.identities_of``)."""
    for platform, address in identities.items():
        if address:
            return Recipient(
                platform, "user", address, f"user:{user.handle}", user.language, user.timezone
            )
    return Recipient(
        "console", "user", user.handle, f"user:{user.handle}", user.language, user.timezone
    )


def team_recipients(team: Team, lang: str = "en") -> list[Recipient]:
    """Every group chat a team's digest goes to."""
    out = []
    if team.slack_channel:
        out.append(Recipient("slack", "channel", team.slack_channel, f"team:{team.name}", lang))
    if team.wecom_chat_id:
        out.append(Recipient("wecom", "channel", team.wecom_chat_id, f"team:{team.name}", "zh"))
    if team.wecom_webhook:
        out.append(Recipient("wecom", "webhook", team.wecom_webhook, f"team:{team.name}", "zh"))
    return out


class ConsoleNotifier:
    """Prints what would be pushed (``kam console``, ``kam jobs run``)."""

    def __init__(self, write=print) -> None:
        self._write = write
        self._lock = threading.Lock()

    def send(self, recipient: Recipient, reply: Reply) -> None:
        from handlers.render.text import render_text

        with self._lock:
            self._write(f"── to {recipient.key} ({recipient.platform}:{recipient.address}) ──")
            self._write(render_text(reply))
            if reply.chart is not None:  # a terminal shows no picture: what it would show
                self._write(f"📊 {reply.chart.alt}")


@dataclass
class RecordingNotifier:
    """Keeps what was sent, for tests; ``fail_next`` makes the next sends fail."""

    sent: list[tuple[Recipient, Reply]] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, recipient: Recipient, reply: Reply) -> None:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                raise SendError("simulated failure")
            self.sent.append((recipient, reply))

    def to(self, key: str) -> list[Reply]:
        return [r for rec, r in self.sent if rec.key == key]


class RoutingNotifier:
    """Sends each message through the notifier of the recipient's platform."""

    def __init__(self, by_platform: dict[str, Notifier], fallback: Notifier | None = None):
        self._by_platform = by_platform
        self._fallback = fallback

    def send(self, recipient: Recipient, reply: Reply) -> None:
        notifier = self._by_platform.get(recipient.platform, self._fallback)
        if notifier is None:
            raise SendError(f"no notifier for platform {recipient.platform!r}", retryable=False)
        notifier.send(recipient, reply)

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(self._by_platform)
