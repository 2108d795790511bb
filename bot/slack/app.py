"""kam as a Slack app: bolt listeners that turn Slack requests into ``Incoming`` messages.

    /kam account Acme · /account Acme     slash commands  ┐
    DM "visit Acme met Li Wei"            message.im      ├─► Dispatcher.handle ─► Reply
    "@kam risks" in a channel             app_mention     │        │
    a button under a reply                block_actions   │        └─► bot.slack.delivery
    the "Log visit" form                  view_submission ┘            (ephemeral / DM / …)
    opening kam's Home tab                app_home_opened ─► /mine + /tasks ─► views.publish

Every listener acknowledges at once and does the work afterwards as a bolt *lazy
listener* on a thread pool, so Slack always gets its answer within 3 seconds however
slow the command.  ``process_before_response=True`` (the default) runs the ack in the
request's own thread: with ``False`` bolt queues the ack on the same pool as the work,
and a burst of slow commands would delay acks past Slack's 3 seconds (a test keeps
that from coming back).  Both work, because the work is in lazy listeners either way.

Before the ack, a listener middleware (``take_in``) keeps the request in the inbox
(``handlers.inbox``): the event id, or for slash commands, buttons and forms the
``trigger_id``, with what is needed to run and answer it.  So a request is never lost
once Slack has its ack — if kam dies before answering, the sweeper (``bot.sweeper``) of
any kam process runs it or delivers its answer — and never doubled: a redelivery
(``X-Slack-Retry-Num``) or a replayed signed request finds it kept and changes nothing.
The command marks it done in its own transaction.  When the database cannot be reached
Slack gets a 503 instead of the ack: it delivers an event again (three times over about
five minutes), when the database may be back; a slash command shows Slack's own error.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App as BoltApp
from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.bootstrap import App
from bot.slack.delivery import Origin, Responder
from bot.slack.markup import read, strip_mention
from bot.slack.notifier import SlackNotifier
from bot.slack.views import (
    MODAL_CALLBACK,
    ModalCommand,
    command_modal,
    home_view,
    submitted_text,
    takes_account,
)
from bot.slack.web import make_client
from domain.errors import InvalidInput
from domain.models import PendingQuestion
from handlers.clarify import answered_card, read_answer
from handlers.context import IdentityRef, ParseContext
from handlers.dispatcher import Incoming
from handlers.i18n import Catalog
from handlers.inbox import Kept, crash_reply
from handlers.lookup import split_account
from handlers.registry import CommandTable
from handlers.render.escape import slack_mrkdwn
from handlers.replies import Reply, Severity
from storage import accounts, users
from storage.session import unit_of_work

log = logging.getLogger(__name__)

MAIN_COMMAND = "/kam"
HOME_COMMANDS = ("mine", "tasks")
LISTENER_THREADS = 16
# Message subtypes that are people talking; edits, joins and bot posts are not.
_SPOKEN = (None, "file_share", "thread_broadcast")

_ = Catalog("bot.slack.app")


_BOLT_LOG = logging.getLogger("bot.slack.bolt")


def _env_token_warning(record: logging.LogRecord) -> bool:
    """bolt also reads SLACK_BOT_TOKEN from the environment and then warns that the
    client we give it (same token, kam's base URL and retries) wins: it should."""
    return "`token` will be unused" not in record.getMessage()


def slash_commands(commands: CommandTable) -> list[str]:
    """``/kam`` plus every short form the command table marks for Slack."""
    return [MAIN_COMMAND] + [f"/{spec.name}" for spec in commands if spec.slash]


def create_bolt_app(
    kam: App, *, process_before_response: bool = True, client: WebClient | None = None
) -> BoltApp:
    """The bolt app for kam (HTTP and Socket Mode alike)."""
    slack = kam.settings.slack
    if not slack.bot_token:
        raise InvalidInput("Slack needs SLACK_BOT_TOKEN (the app's xoxb- token)")
    client = client or make_client(slack)
    _BOLT_LOG.addFilter(_env_token_warning)
    bolt = BoltApp(
        client=client,
        signing_secret=slack.signing_secret or "",
        # bot.slack.http checks every HTTP request's signature before bolt sees it (and
        # Socket Mode needs none): bolt checking it again would only disagree at the
        # five-minute edge, and log the body when it did.
        request_verification_enabled=False,
        process_before_response=process_before_response,
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="kam-slack"),
        logger=_BOLT_LOG,
    )
    SlackAdapter(kam, client).register(bolt)
    return bolt


def _ack(ack) -> None:
    ack()


def _spoken_dm(event: dict[str, Any]) -> bool:
    """A person writing to kam in their DM with it (not an edit, a join or a bot)."""
    return (
        event.get("channel_type") == "im"
        and not event.get("bot_id")
        and bool(event.get("user"))
        and event.get("subtype") in _SPOKEN
    )


def _person_mentioning(event: dict[str, Any]) -> bool:
    return not event.get("bot_id") and bool(event.get("user"))


class SlackAdapter:
    """Slack payloads in, ``Incoming`` to the dispatcher, the ``Reply`` back out."""

    def __init__(self, kam: App, client: WebClient) -> None:
        self.kam = kam
        self.client = client
        self.notifier = SlackNotifier(client)
        self.responder = Responder(self.notifier)

    def register(self, bolt: BoltApp) -> None:
        self.kam.inbox.finishers["slack"] = self.finish
        for name in slash_commands(self.kam.commands):
            bolt.command(name, middleware=[self.take_in(self.slash_request)])(
                ack=_ack, lazy=[self.on_request]
            )
        bolt.event("message", middleware=[self.take_in(self.dm_request)])(
            ack=_ack, lazy=[self.on_request]
        )
        bolt.event("app_mention", middleware=[self.take_in(self.mention_request)])(
            ack=_ack, lazy=[self.on_request]
        )
        bolt.event("app_home_opened")(ack=_ack, lazy=[self.on_home_opened])
        bolt.action(
            re.compile(r"^kam_button_\d+$"), middleware=[self.take_in(self.button_request)]
        )(ack=_ack, lazy=[self.on_request])
        bolt.action(re.compile(r"^kam_modal_\d+$"))(ack=_ack, lazy=[self.on_form_button])
        bolt.view(MODAL_CALLBACK, middleware=[self.take_in(self.form_request)])(
            ack=_ack, lazy=[self.on_request]
        )

    # -- what each kind of request is, for the inbox (before the ack) -----------------

    def slash_request(self, body: dict[str, Any], context) -> Request | None:
        word = str(body.get("command") or "").lstrip("/")
        text, mentions = read(body.get("text") or "")
        # /kam carries the command in its text; /account Acme is "account Acme".
        line = f"{word} {text}" if self.kam.commands.find(word) is not None else text
        user, channel = body["user_id"], body.get("channel_id")
        route = {"user": user, "channel": channel, "response_url": body.get("response_url")}
        return _request(body.get("trigger_id"), line, route, mentions)

    def dm_request(self, body: dict[str, Any], context) -> Request | None:
        event = body.get("event") or {}
        if not _spoken_dm(event):
            return None
        text, mentions = read(event.get("text") or "")
        return _request(body.get("event_id"), text, _event_route(event, True), mentions, event=True)

    def mention_request(self, body: dict[str, Any], context) -> Request | None:
        event = body.get("event") or {}
        if not _person_mentioning(event):
            return None
        text, mentions = read(strip_mention(event.get("text") or "", context.bot_user_id))
        route = _event_route(event, False)
        return _request(body.get("event_id"), text, route, mentions, event=True)

    def button_request(self, body: dict[str, Any], context) -> Request | None:
        actions = body.get("actions") or [{}]
        command = _button_command(actions[0])
        if not command:
            return None
        route = self._route_of_click(body)
        answer = read_answer(command)
        if answer is not None and answer.question_id is not None:
            route["question"] = answer.question_id
            route["container"] = body.get("container") or {}
        elif (message := body.get("message")) and message.get("blocks"):
            # a push's button (Done, Snooze): once it changed something, its message
            # shows who did what in place of the button (``show_done``)
            route["container"] = body.get("container") or {}
            route["pressed"] = {
                "action_id": actions[0].get("action_id"),
                "label": ((actions[0].get("text") or {}).get("text") or "")[:75],
                "text": message.get("text") or "",
                "blocks": message["blocks"],
            }
        return _request(body.get("trigger_id"), command, route, ())

    def form_request(self, body: dict[str, Any], context) -> Request | None:
        text, metadata = submitted_text(body.get("view") or {})
        route = {
            "user": body["user"]["id"],
            "channel": metadata.get("channel"),
            "response_url": metadata.get("response_url"),
            "bot_dm": bool(metadata.get("bot_dm")),
        }
        view = body.get("view") or {}
        key = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
        return _request(key, text, route, ())

    # -- after the ack ---------------------------------------------------------------

    def on_request(self, context) -> None:
        """The lazy listener of every kept request: run it, or deliver its answer."""
        kept = context.get(KEPT)
        if kept is not None:
            self.finish(kept)
        elif (unkept := context.get(UNKEPT)) is not None:
            incoming, route = unkept
            self.run(incoming.text, self._origin(route), incoming.mentions)

    def finish(self, kept: Kept) -> None:
        """Run the kept request if it never ran, answer where it was asked, and mark it
        answered.  The sweeper calls this too, for requests a dead process left."""
        route = kept.route
        reply = self.kam.inbox.answer(kept)
        if reply is None:  # another process has it, or the database is away: kept for later
            return
        origin = self._origin(route)
        self.responder.answer(origin, reply)
        if route.get("question") is not None:
            self.show_answered(route.get("container") or {}, origin, int(route["question"]))
        elif route.get("pressed") and reply.severity == Severity.success:
            self.show_done(route.get("container") or {}, origin, route["pressed"])
        self.kam.inbox.answered("slack", kept.key)

    def _origin(self, route: dict[str, Any]) -> Origin:
        user, channel = route["user"], route.get("channel")
        bot_dm = route.get("bot_dm")
        if bot_dm is None:
            bot_dm = self.notifier.is_dm_with(user, channel)
        return Origin(
            user,
            channel,
            response_url=route.get("response_url"),
            thread_ts=route.get("thread_ts"),
            bot_dm=bool(bot_dm),
        )

    def on_home_opened(self, event: dict[str, Any]) -> None:
        if event.get("tab") != "home":
            return
        user = event["user"]
        lang = self.language_of(user)
        if lang is None:  # not registered: the dispatcher's "how to get added" reply
            replies = [self.kam.dispatcher.handle(self._incoming("help", user, None))]
            lang = self.kam.settings.language
        else:
            replies = [
                self.kam.dispatcher.handle(self._incoming(word, user, None))
                for word in HOME_COMMANDS
            ]
        try:
            self.client.views_publish(user_id=user, view=home_view(replies, lang))
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("could not publish the Home tab of %s: %s", user, exc)

    def show_answered(self, container: dict[str, Any], origin: Origin, question_id: int) -> None:
        """Once a question's button answered it, its message shows the choice taken,
        buttons gone (a click by someone else, or on an expired question, changes
        nothing there: the question is still as it was)."""
        with unit_of_work(self.kam.engine, write=False) as session:
            user = users.by_identity(session, "slack", origin.user)
            lang = (user.language if user else None) or self.kam.settings.language
            card = answered_card(session, question_id, lang)
            if card is None or user is None or not _asked_of(session, question_id, user.id):
                return
        self.responder.replace(
            card,
            channel=container.get("channel_id"),
            ts=container.get("message_ts") if not container.get("is_ephemeral") else None,
            response_url=origin.response_url,
        )

    def show_done(self, container: dict[str, Any], origin: Origin, pressed: dict[str, Any]) -> None:
        """A push's button that did its work (``/done 3`` closed #3): the message it was
        on shows "✓ Done #3 — Alice Chen 10:02" in place of that button.  Only a click
        that changed something gets here, so a second click (already done) leaves the
        message as the first one made it."""
        with unit_of_work(self.kam.engine, write=False) as session:
            user = users.by_identity(session, "slack", origin.user)
            if user is None:
                return
            lang = user.language or self.kam.settings.language
            name, tz = user.display_name, self.kam.settings.tz
            if user.timezone:
                with contextlib.suppress(KeyError, ValueError):
                    tz = ZoneInfo(user.timezone)
        mark = _("pressed", lang, action=pressed.get("label") or "", who=name,
                 time=datetime.now(tz).strftime("%H:%M"))  # fmt: skip
        blocks = marked_done(pressed.get("blocks") or [], pressed.get("action_id"), mark)
        self.responder.replace_blocks(
            pressed.get("text") or mark,
            blocks,
            channel=container.get("channel_id"),
            ts=container.get("message_ts") if not container.get("is_ephemeral") else None,
            response_url=origin.response_url,
        )

    def on_form_button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        command = _button_command(action)
        if not command:
            return
        user, origin = body["user"]["id"], self._origin_of_click(body)
        lang = self.language_of(user)
        if lang is None:
            self.run(command, origin)  # tells them how to get added; changes nothing
            return
        form = self.form_for(command, lang)
        metadata = {
            "channel": origin.channel,
            "response_url": origin.response_url,
            "bot_dm": origin.bot_dm,
        }
        try:
            self.client.views_open(
                trigger_id=body["trigger_id"],
                view=command_modal(form, self.kam.commands.find(form.word), lang, metadata),
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            log.warning("views.open for %s failed: %s", user, exc)
            reply = Reply(
                title=_("no_form", lang),
                lines=[_("type_it", lang, command=command.strip())],
                severity=Severity.warning,
            )
            self.responder.answer(origin, reply)

    # -- the one path ----------------------------------------------------------------

    def run(self, text: str, origin: Origin, mentions: tuple[IdentityRef, ...] = ()) -> Reply:
        """Dispatch one message as its Slack author and answer where they asked."""
        incoming = self._incoming(text, origin.user, origin.channel, direct=origin.bot_dm)
        incoming = replace(incoming, mentions=mentions)
        try:
            reply = self.kam.dispatcher.handle(incoming)
        except Exception:  # a bug: the transaction rolled back; say so rather than go quiet
            log.exception("Slack message %s from %s failed", incoming.request_id, origin.user)
            reply = crash_reply(self.kam.settings.language)
        self.responder.answer(origin, reply)
        return reply

    def take_in(
        self, request_of: Callable[[dict[str, Any], Any], Request | None]
    ) -> Callable[..., BoltResponse | None]:
        """A listener middleware: keep the request in the inbox before the ack, then let
        the listener run it.  A request kam does not take (a bot's message, an edit), a
        redelivery or replay of one kept already: acknowledged, nothing more.  A
        database that cannot be reached is a 503, so that Slack delivers it again."""

        def middleware(body: dict[str, Any], context, next: Callable[[], None]):
            request = request_of(body, context)
            if request is None:
                return BoltResponse(status=200, body="")
            key, incoming, route = request
            try:
                taken, kept = self.kam.inbox.take(key, incoming, route)
            except OperationalError as exc:
                if key.startswith("trigger:"):
                    # Slack never sends a slash command, button or form again: acknowledge
                    # it and run it unkept, so its author hears either the answer or
                    # that kam can't reach its database (nothing saved).
                    log.warning("Slack request %s not kept (%s): running it unkept", key,
                                type(exc).__name__)  # fmt: skip
                    context[UNKEPT] = (incoming, route)
                    next()
                    return None
                log.warning("Slack event %s refused, database unavailable (%s): Slack "
                            "will retry", key, type(exc).__name__)  # fmt: skip
                return BoltResponse(status=503, body="database unavailable")
            if kept is None:
                log.info("Slack delivered %s again: %s", key, taken.value)
                return BoltResponse(status=200, body="")
            context[KEPT] = kept
            next()
            return None

        return middleware

    def form_for(self, command: str, lang: str) -> ModalCommand:
        """Split a button's ``visit Acme met Li Wei`` into the form's fields."""
        word, _sep, rest = command.strip().partition(" ")
        if not takes_account(self.kam.commands.find(word)):
            return ModalCommand(word, None, rest.strip())
        settings = self.kam.settings
        with unit_of_work(self.kam.engine, write=False) as session:
            pctx = ParseContext(
                now=datetime.now(settings.tz),
                lang=lang,
                currency=settings.currency,
                settings=settings,
                known_accounts=lambda names: accounts.known_names(session, names),
            )
            account, details = split_account(rest, pctx, required=False)
        return ModalCommand(word, account, details)

    def language_of(self, slack_id: str) -> str | None:
        """The registered user's language, or None for someone kam does not know."""
        with unit_of_work(self.kam.engine, write=False) as session:
            user = users.by_identity(session, "slack", slack_id)
            return (user.language or self.kam.settings.language) if user else None

    def _incoming(
        self, text: str, user: str, channel: str | None, *, direct: bool = True
    ) -> Incoming:
        return Incoming(text=text, actor=user, platform="slack", channel=channel, is_direct=direct)

    def _origin_of_click(self, body: dict[str, Any]) -> Origin:
        return self._origin(self._route_of_click(body))

    @staticmethod
    def _route_of_click(body: dict[str, Any]) -> dict[str, Any]:
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        response_url = body.get("response_url")
        if not response_url:  # a button in the Home tab or a modal: answer by DM
            return {"user": user, "bot_dm": False}
        return {"user": user, "channel": channel, "response_url": response_url}


Request = tuple[str, Incoming, dict[str, Any]]  # the inbox key, the message, its route
KEPT = "kam_kept"  # the context key the middleware hands the kept request on under
UNKEPT = "kam_unkept"  # … and a request it could not keep (the database was away)


def _event_route(event: dict[str, Any], bot_dm: bool) -> dict[str, Any]:
    """Where an event's answer goes: its channel (and thread), as its author."""
    return {
        "user": event["user"],
        "channel": event["channel"],
        "thread_ts": event.get("thread_ts"),
        "bot_dm": bot_dm,
    }


def _request(
    key: str | None,
    text: str,
    route: dict[str, Any],
    mentions: tuple[IdentityRef, ...],
    *,
    event: bool = False,
) -> Request | None:
    """The inbox's view of a Slack request.  Events are keyed by their event id (what
    Slack's retries repeat), everything else by its trigger_id (unique per request)."""
    if not key:
        return None
    incoming = Incoming(
        text=text,
        actor=route["user"],
        platform="slack",
        channel=route.get("channel"),
        is_direct=bool(route.get("bot_dm")),
        mentions=mentions,
    )
    return (key if event else f"trigger:{key}"), incoming, route


def marked_done(blocks: list[dict[str, Any]], action_id: str | None, mark: str) -> list[dict]:
    """``blocks`` with the button ``action_id`` taken out (its actions block too, once
    empty) and a context line ``mark`` after the buttons."""
    out: list[dict[str, Any]] = []
    at = None
    for block in blocks:
        if block.get("type") == "actions":
            elements = [e for e in block.get("elements") or [] if e.get("action_id") != action_id]
            if len(elements) != len(block.get("elements") or []):
                at = len(out) + (1 if elements else 0)
            if elements:
                out.append({**block, "elements": elements})
            continue
        out.append(block)
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_mrkdwn(mark)}]}
    out.insert(len(out) if at is None else at, context)
    return out[:50]


def _asked_of(session: Session, question_id: int, user_id: int) -> bool:
    question = session.get(PendingQuestion, question_id)
    return question is not None and question.user_id == user_id


def _button_command(action: dict[str, Any]) -> str | None:
    try:
        value = json.loads(action.get("value") or "{}")
    except json.JSONDecodeError:
        log.warning("button %s has an unreadable value", action.get("action_id"))
        return None
    command = value.get("command") if isinstance(value, dict) else None
    return command if isinstance(command, str) and command.strip() else None
