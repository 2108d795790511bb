"""``SlackNotifier``: scheduled jobs and command side effects push to Slack through it.

    user recipient     conversations.open(users=U…) ──► chat.postMessage(channel=D…)
    channel recipient  chat.postMessage(channel=C…)
    a reply's chart    files.getUploadURLExternal ──► POST the PNG to the upload URL
                       ──► files.completeUploadExternal(channel_id=…), after the text

A long reply goes as several messages (``render_blocks`` splits it to Slack's limits).
A chart goes after them with slack_sdk's ``files_upload_v2`` (the old ``files.upload``
is retired); if it cannot be uploaded the text, which holds every number, has arrived
and the failure is logged, not raised: raising would have the ledger send the text again.
A 429 is retried after ``Retry-After`` by the client (``bot.slack.web``); every other
failure raises ``SendError`` — with ``retryable`` set when a later try may help — so
the caller (the delivery ledger) records it and nothing is dropped silently.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.config import SlackSettings
from bot.slack.web import make_client, send_error
from handlers.notify import Recipient, SendError
from handlers.render.charts import chart_image
from handlers.render.escape import slack_mrkdwn
from handlers.render.slack import render_blocks
from handlers.replies import Image, Reply

log = logging.getLogger(__name__)


class SlackNotifier:
    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._dm_channels: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: SlackSettings) -> SlackNotifier:
        if not settings.bot_token:
            raise ValueError("SlackNotifier needs SLACK_BOT_TOKEN")
        return cls(make_client(settings))

    # -- the Notifier port -----------------------------------------------------------

    def send(self, recipient: Recipient, reply: Reply) -> None:
        if recipient.platform != "slack":
            raise SendError(
                f"SlackNotifier cannot reach {recipient.platform}:{recipient.address}",
                retryable=False,
            )
        if recipient.kind == "user":
            channel = self.dm_channel(recipient.address)
        elif recipient.kind == "channel":
            channel = recipient.address
        else:
            raise SendError(f"Slack has no recipient kind {recipient.kind!r}", retryable=False)
        self.post(channel, render_blocks(reply), what=f"message to {recipient.key}")
        image = chart_image(reply)
        if image is not None:
            try:
                self.upload(channel, image)
            except SendError as exc:
                log.warning("chart to %s not uploaded (the text went): %s", recipient.key, exc)

    # -- building blocks, also used to answer people ---------------------------------

    def dm_channel(self, user_id: str) -> str:
        """The bot's direct-message channel with a user (opened once, then remembered)."""
        with self._lock:
            known = self._dm_channels.get(user_id)
        if known:
            return known
        try:
            response = self.client.conversations_open(users=user_id)
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise send_error(exc, f"opening a DM with {user_id}") from exc
        channel = response["channel"]["id"]
        with self._lock:
            self._dm_channels[user_id] = channel
        return channel

    def is_dm_with(self, user_id: str, channel: str | None) -> bool:
        """Is ``channel`` the bot's own DM with this user (not a DM between two people)?"""
        if not channel or not channel.startswith("D"):
            return False
        try:
            return self.dm_channel(user_id) == channel
        except SendError:
            return False

    def post(
        self,
        channel: str,
        messages: list[dict[str, Any]],
        *,
        thread_ts: str | None = None,
        what: str = "message",
    ) -> None:
        """chat.postMessage each rendered message (``render_blocks``), in order."""
        for i, message in enumerate(messages):
            kwargs: dict[str, Any] = dict(channel=channel, **message)
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            try:
                self.client.chat_postMessage(**kwargs)
            except (SlackApiError, SlackClientError, OSError) as exc:
                part = f" (part {i + 1} of {len(messages)})" if len(messages) > 1 else ""
                raise send_error(exc, f"{what}{part}") from exc

    def upload(
        self,
        channel: str,
        image: Image,
        *,
        thread_ts: str | None = None,
        comment: str | None = None,
    ) -> None:
        """Share a chart in ``channel`` (a DM or a channel kam is in) through the v2
        upload flow; ``comment`` (plain text) goes with it as its message."""
        try:
            self.client.files_upload_v2(
                content=image.png,
                filename=image.name,
                title=image.alt[:250] or image.name,
                alt_txt=image.alt[:1000],
                channel=channel,
                thread_ts=thread_ts,
                initial_comment=slack_mrkdwn(comment) if comment else None,
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise send_error(exc, f"chart upload to {channel}") from exc
