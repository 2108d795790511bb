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

Slack redelivers an event it thinks was not acknowledged (``X-Slack-Retry-Num``); the
event id is claimed in the database before the ack (``storage.inbound.claim_event``, in
a listener middleware), so a redelivery — to this process or another replica — is not
handled twice.  When the database cannot be reached the claim fails and Slack gets a
503 instead of the ack: it delivers the event again (three times over about five
minutes), when the database may be back.  Slack never redelivers a slash command, so it
is acknowledged and answered "try again in a minute" by the dispatcher instead.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

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
from handlers.lookup import split_account
from handlers.registry import CommandTable
from handlers.replies import Reply, Severity
from storage import accounts, users
from storage.inbound import claim_event
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
        signing_secret=slack.signing_secret or "",  # HTTP only; Socket Mode skips the check
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
        for name in slash_commands(self.kam.commands):
            bolt.command(name)(ack=_ack, lazy=[self.on_slash_command])
        bolt.event("message", middleware=[self.take_in_once(_spoken_dm)])(
            ack=_ack, lazy=[self.on_message]
        )
        bolt.event("app_mention", middleware=[self.take_in_once(_person_mentioning)])(
            ack=_ack, lazy=[self.on_mention]
        )
        bolt.event("app_home_opened")(ack=_ack, lazy=[self.on_home_opened])
        bolt.action(re.compile(r"^kam_button_\d+$"))(ack=_ack, lazy=[self.on_button])
        bolt.action(re.compile(r"^kam_modal_\d+$"))(ack=_ack, lazy=[self.on_form_button])
        bolt.view(MODAL_CALLBACK)(ack=_ack, lazy=[self.on_form_submitted])

    # -- listeners (run after the ack) -----------------------------------------------

    def on_slash_command(self, command: dict[str, Any]) -> None:
        word = command["command"].lstrip("/")
        text, mentions = read(command.get("text") or "")
        # /kam carries the command in its text; /account Acme is "account Acme".
        line = f"{word} {text}" if self.kam.commands.find(word) is not None else text
        user, channel = command["user_id"], command.get("channel_id")
        bot_dm = self.notifier.is_dm_with(user, channel)
        origin = Origin(user, channel, response_url=command.get("response_url"), bot_dm=bot_dm)
        self.run(line, origin, mentions)

    def on_message(self, event: dict[str, Any]) -> None:
        origin = Origin(
            event["user"], event["channel"], thread_ts=event.get("thread_ts"), bot_dm=True
        )
        text, mentions = read(event.get("text") or "")
        self.run(text, origin, mentions)

    def on_mention(self, event: dict[str, Any], context) -> None:
        text, mentions = read(strip_mention(event.get("text") or "", context.bot_user_id))
        origin = Origin(event["user"], event["channel"], thread_ts=event.get("thread_ts"))
        self.run(text, origin, mentions)

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

    def on_button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        command = _button_command(action)
        if command:
            origin = self._origin_of_click(body)
            self.run(command, origin)
            answer = read_answer(command)
            if answer is not None and answer.question_id is not None:
                self.show_answered(body, origin, answer.question_id)

    def show_answered(self, body: dict[str, Any], origin: Origin, question_id: int) -> None:
        """Once a question's button answered it, its message shows the choice taken,
        buttons gone (a click by someone else, or on an expired question, changes
        nothing there: the question is still as it was)."""
        with unit_of_work(self.kam.engine, write=False) as session:
            user = users.by_identity(session, "slack", origin.user)
            lang = (user.language if user else None) or self.kam.settings.language
            card = answered_card(session, question_id, lang)
            if card is None or user is None or not _asked_of(session, question_id, user.id):
                return
        container = body.get("container") or {}
        self.responder.replace(
            card,
            channel=container.get("channel_id"),
            ts=container.get("message_ts") if not container.get("is_ephemeral") else None,
            response_url=body.get("response_url"),
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

    def on_form_submitted(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        text, metadata = submitted_text(view)
        origin = Origin(
            body["user"]["id"],
            metadata.get("channel"),
            response_url=metadata.get("response_url"),
            bot_dm=bool(metadata.get("bot_dm")),
        )
        self.run(text, origin)

    # -- the one path ----------------------------------------------------------------

    def run(self, text: str, origin: Origin, mentions: tuple[IdentityRef, ...] = ()) -> Reply:
        """Dispatch one message as its Slack author and answer where they asked."""
        incoming = self._incoming(text, origin.user, origin.channel, direct=origin.bot_dm)
        incoming = replace(incoming, mentions=mentions)
        try:
            reply = self.kam.dispatcher.handle(incoming)
        except Exception:  # a bug: the transaction rolled back; say so rather than go quiet
            log.exception("Slack message %s from %s failed", incoming.request_id, origin.user)
            lang = self.kam.settings.language
            reply = Reply(
                title=_("crashed", lang), lines=[_("crashed_line", lang)], severity=Severity.error
            )
        self.responder.answer(origin, reply)
        return reply

    def take_in_once(
        self, wanted: Callable[[dict[str, Any]], bool]
    ) -> Callable[..., BoltResponse | None]:
        """A listener middleware: run the listener for a ``wanted`` event delivered the
        first time; acknowledge anything else (a redelivery, a bot's message) and stop.
        A database that cannot be reached is a 503, so that Slack delivers it again."""

        def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
            if not wanted(body.get("event") or {}):
                return BoltResponse(status=200, body="")
            try:
                fresh = self.first_delivery(body)
            except OperationalError as exc:
                log.warning(
                    "Slack event %s refused, database unavailable (%s): Slack will retry",
                    body.get("event_id"),
                    type(exc).__name__,
                )
                return BoltResponse(status=503, body="database unavailable")
            if not fresh:
                return BoltResponse(status=200, body="")
            next()
            return None

        return middleware

    def first_delivery(self, body: dict[str, Any]) -> bool:
        """Claim the event id; False for a redelivery already taken in."""
        event_id = body.get("event_id")
        if not event_id:
            return True
        with unit_of_work(self.kam.engine) as session:
            fresh = claim_event(session, "slack", event_id)
        if not fresh:
            log.info("Slack redelivered event %s; it was already handled", event_id)
        return fresh

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
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        response_url = body.get("response_url")
        if not response_url:  # a button in the Home tab or a modal: answer by DM
            return Origin(user)
        return Origin(
            user, channel, response_url=response_url, bot_dm=self.notifier.is_dm_with(user, channel)
        )


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
