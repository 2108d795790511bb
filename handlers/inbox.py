"""Running what the inbox took in, once: the platform-neutral half of ``storage.inbound``.

A transport (Slack, WeCom) takes a message in before it acknowledges the platform
(``Inbox.take``), runs it (``Inbox.run``: the dispatcher marks it done in the command's
own transaction), delivers the answer its own way and says so (``Inbox.answered``).
After a crash the sweeper (``bot.sweeper``) hands each unfinished row back to its
transport (``Inbox.due``), which runs or answers it then.

Messages and answers are kept as JSON: ``incoming_to_dict``/``reply_to_dict`` and back.
A done message keeps its answer *and* the notifications its command sends to others
(``outbox``) until they are out, so a kill between the commit and those sends loses
neither: whoever finishes the message sends what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from handlers import failpoints
from handlers.context import IdentityRef
from handlers.i18n import Catalog
from handlers.notify import Recipient
from handlers.replies import (
    Action,
    Chart,
    Field,
    Reply,
    Section,
    Series,
    Severity,
    Visibility,
)
from storage import inbound
from storage.inbound import AlreadyDone, Entry, Taken
from storage.session import unit_of_work

if TYPE_CHECKING:
    from handlers.dispatcher import Dispatcher, Incoming

log = logging.getLogger(__name__)

_ = Catalog("inbox")

TAKE_WAIT_MS = 2000  # a platform wants its ack within 3 s (Slack) or 5 s (WeCom)
MAX_ATTEMPTS = 3  # runs of one message that never committed: then it is given up, said so


# -- the JSON kept for a message and its answer -------------------------------------------


def incoming_to_dict(incoming: Incoming) -> dict[str, Any]:
    return {
        "text": incoming.text,
        "actor": incoming.actor,
        "platform": incoming.platform,
        "channel": incoming.channel,
        "is_direct": incoming.is_direct,
        "request_id": incoming.request_id,
        "received_at": incoming.received_at.isoformat() if incoming.received_at else None,
        "mentions": [asdict(ref) for ref in incoming.mentions],
    }


def incoming_from_dict(data: dict[str, Any]) -> Incoming:
    from handlers.dispatcher import Incoming

    received = data.get("received_at")
    return Incoming(
        text=data["text"],
        actor=data["actor"],
        platform=data["platform"],
        channel=data.get("channel"),
        is_direct=bool(data.get("is_direct", True)),
        request_id=data.get("request_id") or "",
        received_at=datetime.fromisoformat(received) if received else None,
        mentions=tuple(IdentityRef(**ref) for ref in data.get("mentions") or ()),
    )


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    return asdict(reply)


def outcome_to_dict(reply: Reply, outbox: list[tuple[Recipient, Reply]] = ()) -> dict[str, Any]:
    """What a done message keeps: its answer, and the notifications not yet sent."""
    return {
        "answer": reply_to_dict(reply),
        "outbox": [{"to": asdict(to), "reply": reply_to_dict(r)} for to, r in outbox],
    }


def outcome_from_dict(data: dict[str, Any]) -> tuple[Reply, list[tuple[Recipient, Reply]]]:
    outbox = [(Recipient(**item["to"]), reply_from_dict(item["reply"])) for item in data["outbox"]]
    return reply_from_dict(data["answer"]), outbox


def reply_from_dict(data: dict[str, Any]) -> Reply:
    return Reply(
        title=data["title"],
        fields=[Field(**f) for f in data.get("fields") or ()],
        sections=[Section(s["title"], tuple(s["lines"])) for s in data.get("sections") or ()],
        lines=list(data.get("lines") or ()),
        actions=[Action(**a) for a in data.get("actions") or ()],
        footer=data.get("footer"),
        severity=Severity(data.get("severity", Severity.info)),
        visibility=Visibility(data.get("visibility", Visibility.private)),
        once=bool(data.get("once", False)),
        question=data.get("question"),
        chart=chart_from_dict(data.get("chart")),
    )


def chart_from_dict(data: dict[str, Any] | None) -> Chart | None:
    """A reply's chart back from its JSON (lists become the model's tuples again)."""
    if not data:
        return None
    reference = data.get("reference")
    return Chart(
        kind=data["kind"],
        title=data["title"],
        categories=tuple(data["categories"]),
        series=tuple(
            Series(s["label"], tuple(s["values"]), s.get("kind", "bar"), bool(s.get("stacked")))
            for s in data["series"]
        ),
        alt=data.get("alt", ""),
        unit=data.get("unit", ""),
        reference=tuple(reference) if reference is not None else None,
        reference_label=data.get("reference_label", ""),
        lang=data.get("lang", ""),
    )


def crash_reply(lang: str) -> Reply:
    """What someone hears when their message hit a bug in kam (rolled back whole)."""
    return Reply(title=_("crashed", lang), lines=[_("crashed_line", lang)], severity=Severity.error)


def outbox_sent(engine: Engine, platform: str, key: str, reply: Reply) -> None:
    """The notifications of a done message are out: keep only its answer."""
    try:
        with unit_of_work(engine) as session:
            inbound.keep_reply(session, platform, key, outcome_to_dict(reply))
    except (OperationalError, PoolTimeout) as exc:  # sent again if it is finished anew
        log.warning("%s %s: notifications sent but not marked (%s)", platform, key,
                    type(exc).__name__)  # fmt: skip


# -- the runner ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """A message in the inbox, ready to run or answer: its transport's ``route`` says
    where the answer goes (Slack's response_url and channel, WeCom's userid…)."""

    key: str
    incoming: Incoming
    route: dict[str, Any]
    reply: Reply | None = None  # the answer kept, for a message that already ran
    outbox: tuple[tuple[Recipient, Reply], ...] = ()  # … and its notifications not yet sent
    attempts: int = 1

    @classmethod
    def of(cls, entry: Entry) -> Kept:
        reply, outbox = outcome_from_dict(entry.reply) if entry.reply else (None, [])
        return cls(
            key=entry.key,
            incoming=incoming_from_dict(entry.payload["incoming"]),
            route=entry.payload.get("route") or {},
            reply=reply,
            outbox=tuple(outbox),
            attempts=entry.attempts,
        )


class Inbox:
    def __init__(self, engine: Engine, dispatcher: Dispatcher, lease: timedelta) -> None:
        self.engine = engine
        self.dispatcher = dispatcher
        self.lease = lease
        dispatcher.inbox_lease = lease  # the command's transaction leases its answer too
        # Each transport's way to finish one of its messages left by a dead process:
        # run it if it never ran, deliver its answer (``bot.sweeper`` calls them).
        self.finishers: dict[str, Callable[[Kept], None]] = {}

    def take(
        self,
        key: str,
        incoming: Incoming,
        route: dict[str, Any],
        *,
        first_time: Callable[[Session], None] | None = None,
    ) -> tuple[Taken, Kept | None]:
        """Keep the message before the platform is acknowledged (committed on return).

        ``first_time`` runs in the same transaction when the message is new (WeCom
        claims the request's nonce there: a redelivery reuses its nonce legitimately)."""
        payload = {"incoming": incoming_to_dict(incoming), "route": route}
        with unit_of_work(self.engine, wait_ms=TAKE_WAIT_MS) as session:
            taken, entry = inbound.take_in(session, incoming.platform, key, payload, self.lease)
            if taken == Taken.new and first_time is not None:
                first_time(session)
        failpoints.hit("inbound.received")
        if entry is None:
            return taken, None
        if taken == Taken.new:
            return taken, Kept(key, incoming, route)
        return taken, Kept.of(entry)

    def answer(self, kept: Kept) -> Reply | None:
        """The answer to deliver for a kept message: run it if it never ran; if it ran,
        first send the notifications its run left unsent.  None: nothing to deliver now
        (another process has it, or the database is away and the sweep will retry)."""
        if kept.reply is None:
            return self.run(kept)
        if kept.outbox:
            self.dispatcher.send_outbox(list(kept.outbox))
            outbox_sent(self.engine, kept.incoming.platform, kept.key, kept.reply)
        return kept.reply

    def run(self, kept: Kept) -> Reply | None:
        """Run the message; its answer, or None when there is none to give now."""
        if kept.attempts > MAX_ATTEMPTS:
            return self.close(
                kept,
                Reply(
                    title=_("given_up", self._lang(kept)),
                    lines=[_("given_up_line", self._lang(kept))],
                    severity=Severity.error,
                ),
            )
        try:
            return self.dispatcher.handle(replace(kept.incoming, inbox_key=kept.key))
        except AlreadyDone:
            log.info("%s %s was already run elsewhere", kept.incoming.platform, kept.key)
            return None
        except (OperationalError, PoolTimeout) as exc:  # kept: the sweep runs it later
            log.warning("%s %s not run, database unavailable (%s): kept for later",
                        kept.incoming.platform, kept.key, type(exc).__name__)  # fmt: skip
            return None
        except Exception:  # a bug: rolled back; retrying would only fail again
            log.exception("%s %s failed", kept.incoming.platform, kept.key)
            return self.close(kept, crash_reply(self._lang(kept)))

    def _lang(self, kept: Kept) -> str:
        return self.dispatcher.language_of(kept.incoming.platform)

    def close(self, kept: Kept, reply: Reply) -> Reply | None:
        """Finish a message that will not run: done with ``reply``, an apology."""
        log.error("%s %s closed unrun: %s (attempt %d)", kept.incoming.platform, kept.key,
                  reply.title, kept.attempts)  # fmt: skip
        try:
            with unit_of_work(self.engine) as session:
                inbound.complete(
                    session, kept.incoming.platform, kept.key, outcome_to_dict(reply), self.lease
                )
        except AlreadyDone:
            return None
        except (OperationalError, PoolTimeout):
            pass  # said now; the sweep finds it again later
        return reply

    def answered(self, platform: str, key: str) -> None:
        """The answer is delivered: the message is finished.  Not recorded (the database
        went away): it is delivered again once its lease runs out — said twice."""
        failpoints.hit("reply.sent")
        try:
            with unit_of_work(self.engine) as session:
                inbound.mark_answered(session, platform, key)
        except (OperationalError, PoolTimeout) as exc:
            log.warning("%s %s answered but not marked (%s)", platform, key, type(exc).__name__)

    def due(self, platforms: list[str]) -> list[Kept]:
        """Messages whose process died before finishing them, leased to this one."""
        with unit_of_work(self.engine) as session:
            entries = inbound.due(session, platforms, self.lease)
        kept = []
        for entry in entries:
            try:
                kept.append(Kept.of(entry))
            except (KeyError, TypeError, ValueError):
                log.exception("inbox row %s %s is unreadable: dropped", entry.platform, entry.key)
                with unit_of_work(self.engine) as session:
                    inbound.mark_answered(session, entry.platform, entry.key)
        return kept
