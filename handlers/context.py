"""What a command sees: who is asking, when, in which language, and one session.

``ParseContext`` is enough to turn text into a typed command (no writes); ``Context``
adds the open unit of work, the audit helper and the outbox of notifications that are
sent only after the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, SQLModel

from domain.models import Account, User
from domain.policy import Policy
from handlers.replies import Reply
from storage import audit

if TYPE_CHECKING:
    from handlers.parsing.entities import NameBook
    from handlers.registry import CommandSpec, CommandTable


@dataclass(frozen=True)
class IdentityRef:
    """Someone a message names through a platform's mention (see ``bot/*/markup.py``).

    The platform's adapter writes ``@token`` in the text where the mention was and
    carries this alongside (``Incoming.mentions``), so handlers read ``@carol`` like any
    typed handle and never see a platform's mention syntax; ``people.find_user`` then
    looks the person up by this identity first.
    """

    platform: str
    external_id: str
    token: str  # the text says @token
    name: str | None = None  # the name the mention showed, if any


@dataclass
class ParseContext:
    now: datetime  # aware, in the actor's timezone
    lang: str
    currency: str
    settings: Policy
    # Which of these strings are account names or aliases (case-insensitive)?
    known_accounts: Callable[[list[str]], set[str]] = lambda names: set()
    # The account this text is the name or alias of (``storage.accounts.find_exact``),
    # if any; None: not offered, ``known_accounts`` is asked instead
    find_account: Callable[[str], Account | None] | None = None
    # names the parser found exact, with their account (read in the command's session):
    # the command takes it from here (``handlers.lookup.resolve_account``), not again
    confirmed: dict[str, Account] = field(default_factory=dict)
    # the message's mentions by token (casefolded): ``@carol`` → IdentityRef
    mentions: Mapping[str, IdentityRef] = field(default_factory=dict)
    # the language of someone reached only on a platform, where it has one (Directory)
    languages: Mapping[str, str] = field(default_factory=dict)
    # the book's account names, to find them anywhere and read typos (handlers.book_names)
    names: NameBook | None = None
    # how loosely typed words were read ("read “Acme Crop” as Acme"): shown first
    readings: list[str] = field(default_factory=list)
    # the message as typed (commands get it normalised): what is stored is sliced from it
    text: str = ""

    def mention(self, word: str | None) -> IdentityRef | None:
        """The mention ``@word`` stands for, if the platform put it there."""
        return self.mentions.get(word.lstrip("@").casefold()) if word else None

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
    settings: Policy
    now: datetime
    platform: str
    channel: str | None
    request_id: str
    parse: ParseContext
    commands: CommandTable  # the app's command table (``/help`` reads it back)
    outbox: list[Outgoing] = field(default_factory=list)
    events: list[object] = field(default_factory=list)  # handlers.events, after commit
    readings: list[str] = field(default_factory=list)  # how a loose name was read: shown
    # the command running and its arguments (the dispatcher's ``_run``): a command that
    # names an unknown account offers to create it and run this again (issue 17)
    command: CommandSpec | None = None
    args: str | None = None

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
        # A new, changed or deleted ``obj`` is written first (a new row gets its id); one
        # already written is not, so the entries of a command's rows written together
        # (``/visit``: the interaction, its links and tasks) go in one statement.
        state = sa_inspect(obj)
        if not state.persistent or state.modified or obj in self.session.deleted:
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

    def emit(self, event: object) -> None:
        """Publish ``event`` (``handlers.events``) once this command has committed."""
        self.events.append(event)

    def notify_user(self, user_id: int, reply: Reply) -> None:
        if user_id != self.actor.id:
            self.outbox.append(Outgoing(reply=reply, user_id=user_id))
