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
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.webhook import WebhookClient

from bot.slack.notifier import SlackNotifier
from bot.slack.web import TIMEOUT_SECONDS, error_code, retry_handlers
from handlers.notify import SendError
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


Message = dict[str, Any]  # one rendered message: {"text": fallback, "blocks": [...]}


class Responder:
    def __init__(self, notifier: SlackNotifier) -> None:
        self.notifier = notifier
        self.client = notifier.client

    def answer(self, origin: Origin, reply: Reply) -> None:
        """Deliver the reply to its asker; what cannot be delivered there goes by DM.

        A long reply is several messages; if one fails, it and the rest go by DM, so
        nothing arrives twice and nothing is lost.  Never raises.
        """
        messages = render_blocks(reply)
        deliver = self._way(origin, public=reply.visibility == Visibility.public)
        if deliver is None:
            self._direct(origin.user, messages)
            return
        for i, message in enumerate(messages):
            try:
                deliver(message)
            except SendError as exc:
                log.info("answer to %s in %s failed (%s); sending a DM", origin.user,
                         origin.channel, exc)  # fmt: skip
                self._direct(origin.user, messages[i:])
                return

    def _way(self, origin: Origin, *, public: bool) -> Callable[[Message], None] | None:
        """How to answer where they asked (None: there is only the DM)."""
        if origin.response_url:
            in_channel = public or origin.bot_dm
            return partial(self._via_response_url, origin.response_url, in_channel=in_channel)
        if origin.channel and (public or origin.bot_dm):
            channel, thread_ts = origin.channel, origin.thread_ts
            return lambda message: self.notifier.post(channel, [message], thread_ts=thread_ts)
        if origin.channel:
            return partial(self._ephemeral, origin)
        return None

    def replace(
        self, reply: Reply, *, channel: str | None, ts: str | None, response_url: str | None
    ) -> None:
        """Rewrite a message kam sent (a question once answered): ``chat.update`` for a
        message with a timestamp, else its ``response_url`` (an ephemeral message has
        no timestamp to update).  A failure is logged: the answer itself went through."""
        message = render_blocks(reply)[0]
        try:
            if channel and ts:
                self.client.chat_update(channel=channel, ts=ts, **message)
            elif response_url:
                self._send_response(response_url, {"replace_original": True, **message})
        except (SendError, SlackApiError, SlackClientError, OSError) as exc:
            log.info("could not update the answered question in %s: %s", channel, exc)

    def _direct(self, user: str, messages: list[Message]) -> None:
        """A DM to the user; a failure is logged (there is nowhere else to tell them)."""
        try:
            self.notifier.post(self.notifier.dm_channel(user), messages, what=f"DM to {user}")
        except SendError as exc:
            log.error("could not answer %s on Slack at all: %s", user, exc)

    # -- the ways to answer in place -------------------------------------------------

    def _via_response_url(self, url: str, message: Message, *, in_channel: bool) -> None:
        payload: dict[str, Any] = {
            "response_type": "in_channel" if in_channel else "ephemeral",
            "replace_original": False,
            **message,
        }
        self._send_response(url, payload)

    def _send_response(self, url: str, payload: dict[str, Any]) -> None:
        webhook = WebhookClient(url, timeout=TIMEOUT_SECONDS, retry_handlers=retry_handlers())
        try:
            response = webhook.send_dict(payload)
        except (SlackClientError, OSError) as exc:
            raise SendError(f"response_url: {type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise SendError(f"response_url answered {response.status_code}: {response.body}")

    def _ephemeral(self, origin: Origin, message: Message) -> None:
        kwargs: dict[str, Any] = dict(channel=origin.channel, user=origin.user, **message)
        if origin.thread_ts:
            kwargs["thread_ts"] = origin.thread_ts
        try:
            self.client.chat_postEphemeral(**kwargs)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise SendError(f"ephemeral in {origin.channel}: {error_code(exc)}") from exc
