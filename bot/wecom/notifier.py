"""Pushing kam's messages into WeCom: to a member, an app group chat, or a group robot.

    Recipient kind   API                      notes
    user             message/send (agentid)   markdown; members outside the app's
                                              visible range come back as ``invaliduser``
    channel          appchat/send (chatid)    a group chat the app created
    webhook          a group robot's URL      群机器人; at most 20 messages a minute

Each reply is rendered as WeCom markdown and split at line boundaries into messages of
at most 4096 UTF-8 bytes (text: 2048), never inside a character.

Text fallback.  Markdown is what members see in the WeCom app.  Members who only use
the WeChat plugin (微信插件) can't display it, and WeCom does not tell us: the send
succeeds and the plugin shows a "view it in WeCom" notice.  What the API *does* say is
errcode 40008 (invalid message type — deployments without markdown, e.g. some private
deployments) or 40058 (invalid parameter — e.g. a deployment with a smaller size
limit).  On those, decided by errcode, the same reply is sent as plain text; after a
40008 every later message of that kind goes as text straight away.  A team whose
members live in the plugin should be given ``markdown=False``.

Charts (issue 18) follow the text as a picture:

    user, channel   media/upload (type=image, multipart) → media_id (lives 3 days)
                    → an ``image`` message with that media_id
    webhook         ``msgtype: image`` with the PNG as base64 and its md5 (≤ 2 MB)

A chart that cannot be sent leaves the text, which holds every number, delivered: the
failure is logged, not raised (raising would have the ledger send the text again).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import Engine

from bot.config import WecomSettings
from bot.wecom.client import WecomApiError, WecomClient
from handlers.notify import Recipient, SendError
from handlers.render.charts import chart_image
from handlers.render.wecom import (
    MARKDOWN_LIMIT,
    TEXT_LIMIT,
    render_action_card,
    render_markdown,
    render_wecom_text,
)
from handlers.replies import Image, Reply

log = logging.getLogger(__name__)

MARKDOWN_UNSUPPORTED = 40008  # invalid message type
DUPLICATE_WINDOW_S = 1800  # WeCom allows up to 4 h; longer than the ledger's claim timeout
MARKDOWN_REFUSED = frozenset({MARKDOWN_UNSUPPORTED, 40058})  # …, invalid parameter
ROBOT_IMAGE_LIMIT = 2 * 1024 * 1024  # a group robot's image, before base64


class WecomNotifier:
    def __init__(
        self,
        client: WecomClient,
        *,
        agent_id: int | None,
        markdown: bool = True,
        markdown_limit: int = MARKDOWN_LIMIT,
        text_limit: int = TEXT_LIMIT,
        cards: bool = False,
    ) -> None:
        self.client = client
        self.agent_id = agent_id
        self.cards = cards  # a push's buttons may go as a template card (wecom.question_cards)
        self.markdown_limit = markdown_limit
        self.text_limit = text_limit
        self._text_only: set[str] = set() if markdown else {"user", "channel", "webhook"}

    @classmethod
    def from_settings(cls, settings: WecomSettings, engine: Engine, **kw: Any) -> WecomNotifier:
        kw.setdefault("cards", settings.question_cards)
        return cls(WecomClient.from_settings(settings, engine), agent_id=settings.agent_id, **kw)

    def send(self, recipient: Recipient, reply: Reply) -> None:
        if recipient.platform != "wecom":
            raise SendError(f"not a WeCom recipient: {recipient.key}", retryable=False)
        to_user = partial(self._to_user, once=reply.once)
        post = {
            "user": to_user,
            "channel": self._to_chat,
            "webhook": self._to_robot,
        }.get(recipient.kind)
        if post is None:
            raise SendError(f"unknown recipient kind {recipient.kind!r}", retryable=False)
        self._deliver(
            recipient, reply, lambda msgtype, content: post(recipient.address, msgtype, content)
        )
        # a scheduled push's buttons (answers keep their short numbered lines)
        if reply.once and recipient.kind == "user" and self.cards and self.agent_id is not None:
            self._action_card(recipient, reply)
        image = chart_image(reply)
        if image is not None:
            try:
                self._picture(recipient, image)
            except SendError as exc:
                log.warning("chart to %s not sent (the text went): %s", recipient.key, exc)

    def _action_card(self, recipient: Recipient, reply: Reply) -> None:
        """The push's buttons as a card after its text; the text (with its short "回复
        完成 3" lines) has arrived already, so a refused card is only logged."""
        card = render_action_card(reply, f"kamp-{secrets.token_hex(8)}")
        if card is None:
            return
        payload = {
            "touser": recipient.address,
            "msgtype": "template_card",
            "agentid": self.agent_id,
            "template_card": card,
        }
        try:
            self.client.call("POST", "message/send", json=payload)
        except SendError as exc:
            log.warning("WeCom refused the buttons card to %s (the text went): %s",
                        recipient.key, exc)  # fmt: skip

    def _picture(self, recipient: Recipient, image: Image) -> None:
        """The chart as an image message to where the text went."""
        if recipient.kind == "webhook":
            if len(image.png) > ROBOT_IMAGE_LIMIT:
                raise SendError(f"a {len(image.png)}-byte chart is over the robot's 2 MB",
                                retryable=False)  # fmt: skip
            picture = {
                "base64": base64.b64encode(image.png).decode("ascii"),
                "md5": hashlib.md5(image.png).hexdigest(),
            }
            self.client.post_webhook(recipient.address, {"msgtype": "image", "image": picture})
            return
        if recipient.kind == "user" and self.agent_id is None:
            raise SendError("WECOM_AGENT_ID is needed to message a member", retryable=False)
        media_id = self.client.upload_media("image", image.name, image.png, "image/png")
        payload = {"msgtype": "image", "image": {"media_id": media_id}}
        if recipient.kind == "user":
            data = self.client.call(
                "POST",
                "message/send",
                json={"touser": recipient.address, "agentid": self.agent_id, **payload},
            )
            if data.get("invaliduser") or data.get("unlicenseduser"):
                raise SendError(f"WeCom did not deliver the chart to {recipient.address}",
                                retryable=False)  # fmt: skip
        else:
            self.client.call(
                "POST", "appchat/send", json={"chatid": recipient.address, **payload, "safe": 0}
            )

    # -- one reply, as markdown or as text -------------------------------------------------

    def _deliver(
        self, recipient: Recipient, reply: Reply, post: Callable[[str, str], None]
    ) -> None:
        if recipient.kind not in self._text_only:
            parts = render_markdown(reply, self.markdown_limit)
            try:
                post("markdown", parts[0])
            except WecomApiError as exc:
                if exc.errcode not in MARKDOWN_REFUSED:
                    raise
                if exc.errcode == MARKDOWN_UNSUPPORTED:
                    self._text_only.add(recipient.kind)
                log.warning(
                    "WeCom refused markdown to %s (errcode %s): sending text",
                    recipient.key,
                    exc.errcode,
                )
            else:
                self._rest(recipient, parts[1:], "markdown", post)
                return
        self._rest(recipient, render_wecom_text(reply, self.text_limit), "text", post)

    @staticmethod
    def _rest(
        recipient: Recipient, parts: list[str], msgtype: str, post: Callable[[str, str], None]
    ) -> None:
        for i, part in enumerate(parts):
            try:
                post(msgtype, part)
            except SendError as exc:
                if i == 0:
                    raise
                # Earlier parts arrived: say so in the error, for whoever reads the log.
                note = f"after {i} of {len(parts)} parts to {recipient.key}"
                if isinstance(exc, WecomApiError):
                    raise WecomApiError(exc.endpoint, exc.errcode, f"{exc.errmsg}; {note}") from exc
                raise SendError(f"{exc}; {note}", retryable=exc.retryable) from exc

    # -- the three destinations ------------------------------------------------------------

    def _to_user(self, userid: str, msgtype: str, content: str, *, once: bool = False) -> None:
        if self.agent_id is None:
            raise SendError("WECOM_AGENT_ID is needed to message a member", retryable=False)
        payload = {
            "touser": userid,
            "msgtype": msgtype,
            "agentid": self.agent_id,
            msgtype: {"content": content},
        }
        if once:
            # WeCom drops an identical message sent again within the interval: a push
            # re-sent after a process died between WeCom's accept and the ledger's commit.
            payload |= {"enable_duplicate_check": 1, "duplicate_check_interval": DUPLICATE_WINDOW_S}
        data = self.client.call("POST", "message/send", json=payload)
        # errcode 0 with the member listed here means nobody received it.
        refused = data.get("invaliduser") or data.get("unlicenseduser")
        if refused:
            raise SendError(
                f"WeCom did not deliver to {refused!r}: not in the app's visible range, "
                "not an active member, or without a licence",
                retryable=False,
            )

    def _to_chat(self, chatid: str, msgtype: str, content: str) -> None:
        self.client.call(
            "POST",
            "appchat/send",
            json={"chatid": chatid, "msgtype": msgtype, msgtype: {"content": content}, "safe": 0},
        )

    def _to_robot(self, address: str, msgtype: str, content: str) -> None:
        self.client.post_webhook(address, {"msgtype": msgtype, msgtype: {"content": content}})
