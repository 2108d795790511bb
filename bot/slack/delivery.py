"""Answering the person who asked, where they asked.

    where the question came from         private reply (personal/account data)   public reply
    slash command / button (response_url)  ephemeral through response_url          in_channel
    the bot's DM                           chat.postMessage                        chat.postMessage
    a channel (@mention)                   chat.postEphemeral                      chat.postMessage

Whatever cannot be delivered there (an expired response_url, an ephemeral to a channel
the bot is not in, a channel since archived) goes to the person as a DM instead; only
when the DM fails too is the failure logged — there is nobody left to tell.

A reply's chart is uploaded (``SlackNotifier.upload``, the files_upload_v2 flow) after
the text, where the text went.  An ephemeral answer cannot carry a file: its chart
goes to the asker's DM with kam, and the answer says so in a line under it.  A chart
that cannot be uploaded in the channel goes to the DM too; the text holds every number.
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
from handlers.i18n import Catalog
from handlers.notify import SendError
from handlers.render.charts import chart_image, chart_lang
from handlers.render.escape import slack_mrkdwn
from handlers.render.slack import BLOCK_LIMIT, render_blocks
from handlers.replies import Image, Reply, Visibility

log = logging.getLogger(__name__)

_ = Catalog("bot.slack.delivery")


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
        nothing arrives twice and nothing is lost.  Its chart follows the text (see the
        module's docstring).  Never raises.
        """
        messages = render_blocks(reply)
        image = chart_image(reply)
        public = reply.visibility == Visibility.public
        deliver = self._way(origin, public=public)
        if deliver is None:
            self._direct(origin.user, messages, image)
            return
        shared_in = self._chart_channel(origin, public=public)
        if image is not None and shared_in is None:  # ephemeral: no files; the DM has it
            assert reply.chart is not None
            if self._chart_to_dm(origin.user, image, reply.title):
                messages = _with_note(messages, _("chart_in_dm", chart_lang(reply.chart)))
            image = None
        for i, message in enumerate(messages):
            try:
                deliver(message)
            except SendError as exc:
                log.info("answer to %s in %s failed (%s); sending a DM", origin.user,
                         origin.channel, exc)  # fmt: skip
                self._direct(origin.user, messages[i:], image)
                return
        if image is not None and shared_in is not None:
            try:
                self.notifier.upload(shared_in, image, thread_ts=origin.thread_ts)
            except SendError as exc:
                log.info("chart for %s not uploaded in %s (%s); sending it by DM", origin.user,
                         shared_in, exc)  # fmt: skip
                self._chart_to_dm(origin.user, image, reply.title)

    @staticmethod
    def _chart_channel(origin: Origin, *, public: bool) -> str | None:
        """The channel the answer shows in for everyone (where its chart can be
        shared), or None when the answer is ephemeral."""
        if origin.response_url:
            return origin.channel if (public or origin.bot_dm) else None
        if origin.channel and (public or origin.bot_dm):
            return origin.channel
        return None

    def _chart_to_dm(self, user: str, image: Image, title: str) -> bool:
        """The chart in the bot's DM with ``user``, titled with the reply; False (logged)
        when even that fails."""
        try:
            self.notifier.upload(self.notifier.dm_channel(user), image, comment=title)
        except SendError as exc:
            log.warning("chart for %s not delivered (the text was): %s", user, exc)
            return False
        return True

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

    def replace_blocks(
        self,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        channel: str | None,
        ts: str | None,
        response_url: str | None,
    ) -> None:
        """Rewrite a message kam sent with ``blocks`` as they are (a push whose button
        was pressed); like ``replace``, a failure is logged."""
        message = {"text": text[:3000], "blocks": blocks}
        try:
            if channel and ts:
                self.client.chat_update(channel=channel, ts=ts, **message)
            elif response_url:
                self._send_response(response_url, {"replace_original": True, **message})
        except (SendError, SlackApiError, SlackClientError, OSError) as exc:
            log.info("could not mark the pressed button in %s: %s", channel, exc)

    def _direct(self, user: str, messages: list[Message], image: Image | None = None) -> None:
        """A DM to the user, its chart after it; a failure is logged (there is nowhere
        else to tell them)."""
        try:
            channel = self.notifier.dm_channel(user)
            self.notifier.post(channel, messages, what=f"DM to {user}")
        except SendError as exc:
            log.error("could not answer %s on Slack at all: %s", user, exc)
            return
        if image is not None:
            try:
                self.notifier.upload(channel, image)
            except SendError as exc:
                log.warning("chart for %s not delivered (the text was): %s", user, exc)

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


def _with_note(messages: list[Message], note: str) -> list[Message]:
    """The messages with ``note`` as a context line at the end."""
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_mrkdwn(note)}]}
    *head, last = messages
    if len(last["blocks"]) < BLOCK_LIMIT:
        return [*head, {**last, "blocks": [*last["blocks"], block]}]
    return [*messages, {"text": slack_mrkdwn(note), "blocks": [block]}]
