"""Answering the person who asked, where they asked.

    where the question came from         private reply (personal/account data)   public reply
    slash command / button (response_url)  ephemeral through response_url          in_channel
    the bot's DM                           chat.postMessage                        chat.postMessage
    a channel (@mention)                   chat.postEphemeral                      chat.postMessage

Whatever cannot be delivered there (an expired response_url, an ephemeral to a channel
the bot is not in, a channel since archived) goes to the person as a DM instead; only
when the DM fails too is the failure logged — there is nobody left to tell.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.slack.notifier import SlackNotifier
from bot.slack.web import TIMEOUT_SECONDS, error_code, retry_handlers
from handlers.notify import Recipient, SendError
from handlers.render.slack import render_blocks
from handlers.replies import Reply, Visibility

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Where a question came from, and so where its answer goes."""

    user: str
    channel: str | None = None
    response_url: str | None = None
    thread_ts: str | None = None
    bot_dm: bool = False  # the channel is the bot's own DM with this user


class Responder:
    def __init__(self, notifier: SlackNotifier) -> None:
        self.notifier = notifier
        self.client = notifier.client

    def answer(self, origin: Origin, reply: Reply) -> None:
        """Deliver the reply to its asker; fall back to a DM; never raise."""
        public = reply.visibility == Visibility.public
        try:
            if origin.response_url:
                self._via_response_url(origin.response_url, reply, public or origin.bot_dm)
            elif origin.channel and (public or origin.bot_dm):
                self.notifier.post(origin.channel, reply, thread_ts=origin.thread_ts)
            elif origin.channel:
                self._ephemeral(origin, reply)
            else:
                self.direct(origin.user, reply)
            return
        except SendError as exc:
            log.info(
                "answer to %s in %s failed (%s); sending a DM", origin.user, origin.channel, exc
            )
        self.direct(origin.user, reply)

    def direct(self, user: str, reply: Reply) -> None:
        """A DM to the user; a failure is logged (there is nowhere else to tell them)."""
        try:
            self.notifier.send(Recipient("slack", "user", user, f"slack:{user}"), reply)
        except SendError as exc:
            log.error("could not answer %s on Slack at all: %s", user, exc)

    # -- the three ways --------------------------------------------------------------

    def _via_response_url(self, url: str, reply: Reply, in_channel: bool) -> None:
        webhook = WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers())
        kind = "in_channel" if in_channel else "ephemeral"
        for message in render_blocks(reply):
            payload: dict[str, Any] = {
                "response_type": kind,
                "replace_original": False,
                **message,
            }
            try:
                response = webhook.send_dict(payload)
            except (SlackClientError, OSError) as exc:
                raise SendError(f"response_url: {type(exc).__name__}: {exc}") from exc
            if response.status_code != 200:
                raise SendError(f"response_url answered {response.status_code}: {response.body}")

    def _ephemeral(self, origin: Origin, reply: Reply) -> None:
        assert origin.channel is not None
        for message in render_blocks(reply):
            kwargs: dict[str, Any] = dict(channel=origin.channel, user=origin.user, **message)
            if origin.thread_ts:
                kwargs["thread_ts"] = origin.thread_ts
            try:
                self.client.chat_postEphemeral(**kwargs)
            except (SlackApiError, SlackClientError, OSError) as exc:
                raise SendError(f"ephemeral in {origin.channel}: {error_code(exc)}") from exc
