"""What a command sees: who is asking, when, in which language, and one session.

``ParseContext`` is enough to turn text into a typed command (no writes); ``Context``
adds the open unit of work, the audit helper and the outbox of notifications that are
sent only after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel

from domain.models import User
from domain.settings import Settings
from handlers.replies import Reply
from storage import audit

if TYPE_CHECKING:
    from handlers.registry import CommandTable
    from storage.health import RfmCache


@dataclass
class ParseContext:
    now: datetime  # aware, in the actor's timezone
    lang: str
    currency: str
    settings: Settings
    # Which of these strings are account names or aliases (case-insensitive)?
    known_accounts: Callable[[list[str]], set[str]] = lambda names: set()

    @property
    def tz(self) -> ZoneInfo:
        assert isinstance(self.now.tzinfo, ZoneInfo)
        return self.now.tzinfo


@dataclass
class Outgoing:
    """A notification to send after commit: to a kam user (by id) or a team's chat."""

    reply: Reply
    user_id: int | None = None
    team_id: int | None = None


@dataclass
class Context:
    session: Session
    actor: User
    settings: Settings
    now: datetime
    platform: str
    channel: str | None
    request_id: str
    parse: ParseContext
    commands: CommandTable  # the app's command table (``/help`` reads it back)
    rfm_cache: RfmCache  # the app's (``/account`` ranks against the whole book)
    outbox: list[Outgoing] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.parse.lang

    @property
    def tz(self) -> ZoneInfo:
        return self.parse.tz

    def audit(
        self,
        action: str,
        obj: SQLModel,
        *,
        before: dict[str, Any] | None = None,
        account_id: int | None = None,
        summary: str = "",
    ) -> None:
        self.session.flush()
        entry = audit.record(
            self.session,
            action=action,
            obj=obj,
            actor_id=self.actor.id,
            channel=self.platform,
            request_id=self.request_id,
            before=before,
            account_id=account_id,
            summary=summary,
        )
        entry.at = self.now  # the dispatcher's clock: /undo's time window follows it

    def notify_user(self, user_id: int, reply: Reply) -> None:
        if user_id != self.actor.id:
            self.outbox.append(Outgoing(reply=reply, user_id=user_id))
