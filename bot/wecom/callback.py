"""``GET/POST /wecom/callback``: where WeCom delivers what members send kam's app.

    GET   URL verification: check the signature, timestamp and nonce, decrypt
          ``echostr`` and echo it verbatim.
    POST  a message: check signature and timestamp (``crypto``); decrypt; check the
          CorpID (``ToUserName``) and the AgentID; take the message into the inbox
          (``handlers.inbox``; keyed by MsgId, or for an event FromUserName +
          CreateTime) together with its nonce, in one transaction; run the dispatcher
          on a worker thread.

WeCom waits five seconds for an answer and then delivers the callback again (three
times at most).  kam waits up to ``PASSIVE_WINDOW`` seconds for the dispatcher:

* answer ready, fits one text message (2048 bytes) → an encrypted passive text reply
  (passive replies can't be markdown);
* answer ready but longer, or with a chart (passive replies carry no picture), or not
  ready in time → an empty 200 now, and the answer as markdown through
  ``message/send`` once it is ready (``kam.notifier``; a chart follows as an image).

WeCom's redelivery is byte-identical (same timestamp, nonce and signature), so the
message is looked up *before* its nonce is claimed: a redelivery of a message already
answered gets an empty 200 and changes nothing; of one that ran but whose answer was
never delivered (kam died in between), that answer; of one that never ran, a run.  A
used nonce on a message kam has never seen is still refused (a replay).  A message
left unfinished by a dead process is finished by the sweeper (``bot.sweeper``) of any
kam process, its answer sent through ``message/send``.
Everything here translates: the command itself runs in the platform-neutral dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.exc import OperationalError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bot.wecom.crypto import CallbackCrypto, CallbackRejected, parse_xml
from bot.wecom.directory import WecomDirectory
from bot.wecom.markup import read
from bot.wecom.users import fill_sender_name
from domain.models import PendingQuestion
from handlers.clarify import answer_command, answered_card
from handlers.dispatcher import Incoming
from handlers.i18n import Catalog
from handlers.inbox import Kept
from handlers.notify import Recipient, SendError
from handlers.render.wecom import ACTION_KEY, render_question_card, render_wecom_text
from handlers.replies import Reply, Severity
from storage import users
from storage.inbound import claim_event
from storage.session import unit_of_work

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)

PASSIVE_WINDOW = 4.0  # seconds of WeCom's five we wait for a passive reply
MAX_BODY = 64 * 1024
WORKERS = 8
PLATFORM = "wecom"
CARD_EVENT = "template_card_event"  # a button of a question's card was clicked
_TASK_ID = re.compile(r"^kamq(\d{1,12})-[0-9a-f]+$")

_ = Catalog("bot.wecom.callback")


@dataclass(frozen=True)
class WecomMessage:
    """The decrypted callback: a member's message, or an event."""

    to: str  # our CorpID
    sender: str  # the member's userid
    created: int  # CreateTime, seconds since the epoch
    msgtype: str
    content: str = ""
    msg_id: str | None = None
    event: str | None = None
    event_key: str = ""  # a card button's key (template_card_event)
    task_id: str = ""  # the card's task_id (template_card_event)
    agent_id: str = ""  # AgentID: which of the corp's apps it was sent to
    response_code: str = ""  # a card event's ResponseCode: updates that card once, 72 h

    @classmethod
    def parse(cls, xml: str) -> WecomMessage:
        fields = parse_xml(xml)

        def text(name: str) -> str:
            value = fields.get(name)
            return value.strip() if isinstance(value, str) else ""

        try:
            created = int(text("CreateTime") or 0)
        except ValueError as exc:
            raise CallbackRejected("CreateTime is not a number", status=400) from exc
        if not text("FromUserName") or not text("MsgType"):
            raise CallbackRejected("no FromUserName or MsgType", status=400)
        content = fields.get("Content")
        return cls(
            to=text("ToUserName"),
            sender=text("FromUserName"),
            created=created,
            msgtype=text("MsgType").lower(),
            content=content if isinstance(content, str) else "",
            msg_id=text("MsgId") or None,
            event=text("Event").lower() or None,
            event_key=text("EventKey"),
            task_id=text("TaskId"),
            agent_id=text("AgentID"),
            response_code=text("ResponseCode"),
        )

    def route(self) -> dict[str, object]:
        """What the inbox keeps to answer it later (``from_route`` reads it back)."""
        return {
            "to": self.to,
            "sender": self.sender,
            "created": self.created,
            "msgtype": self.msgtype,
            "msg_id": self.msg_id,
            "event": self.event,
            "event_key": self.event_key,
            "task_id": self.task_id,
            "response_code": self.response_code,
        }

    @classmethod
    def from_route(cls, route: dict[str, object]) -> WecomMessage:
        return cls(
            to=str(route.get("to") or ""),
            sender=str(route["sender"]),
            created=int(route.get("created") or 0),  # type: ignore[call-overload]
            msgtype=str(route.get("msgtype") or "text"),
            msg_id=route.get("msg_id") or None,  # type: ignore[arg-type]
            event=route.get("event") or None,  # type: ignore[arg-type]
            event_key=str(route.get("event_key") or ""),
            task_id=str(route.get("task_id") or ""),
            response_code=str(route.get("response_code") or ""),
        )

    @property
    def key(self) -> str:
        """What makes a redelivery the same callback (WeCom's own advice for events)."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        if self.event == CARD_EVENT:  # two buttons clicked within one second are two events
            return f"card:{self.sender}:{self.created}:{self.task_id}:{self.event_key}"
        return f"{self.msgtype}:{self.sender}:{self.created}"

    @property
    def request_id(self) -> str:
        return f"wecom-{self.msg_id}" if self.msg_id else f"wecom-{self.sender}-{self.created}"[:64]

    @property
    def sent_at(self) -> datetime | None:
        return datetime.fromtimestamp(self.created, UTC) if self.created else None


Passive = tuple[str, BackgroundTask | None]  # the encrypted reply, and what to do once sent


class _Handoff:
    """Hands the worker's passive reply to the waiting request, unless it gave up.

    ``deliver`` returns False once the request has answered WeCom without it: the
    worker must then send the answer itself.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._ready = asyncio.Event()
        self._lock = threading.Lock()
        self._given_up = False
        self._delivered = False
        self._body: Passive | None = None

    def deliver(self, body: Passive | None) -> bool:
        with self._lock:
            if self._given_up:
                return False
            self._delivered, self._body = True, body
        with contextlib.suppress(RuntimeError):  # RuntimeError: the loop has shut down
            self._loop.call_soon_threadsafe(self._ready.set)
        return True

    async def wait(self, timeout: float) -> Passive | None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        with self._lock:
            if not self._delivered:
                self._given_up = True
            return self._body


def passive_text_xml(*, to_user: str, corp_id: str, content: str, created: int) -> str:
    """The plain XML of a passive text reply (encrypted before it is sent)."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(corp_id)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )


def passive_button_xml(*, to_user: str, corp_id: str, replace_name: str, created: int) -> str:
    """The plain XML of a passive reply that renames the clicked card button (the
    clicker's copy): 模板卡片更新消息, 更新点击用户的按钮文案."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(corp_id)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime>"
        "<MsgType><![CDATA[update_button]]></MsgType>"
        f"<Button><ReplaceName>{_cdata(replace_name)}</ReplaceName></Button>"
        "</xml>"
    )


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


class WecomCallback:
    def __init__(self, kam: App) -> None:
        self.kam = kam
        settings = kam.settings.wecom
        self.crypto = CallbackCrypto.from_settings(settings, kam.engine)
        self.directory: WecomDirectory = kam.dispatcher.directories["wecom"]  # bootstrap's
        self.client = self.directory.client
        self.inbox = kam.inbox
        self.inbox.finishers[PLATFORM] = self.finish
        self._workers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="wecom")
        if not (self.client.can_call and settings.agent_id):
            log.warning(
                "WECOM_SECRET or WECOM_AGENT_ID is not set: answers that miss WeCom's "
                "5-second window, or don't fit one text message, cannot be delivered"
            )

    async def endpoint(self, request: Request) -> Response:
        params = request.query_params
        signature, timestamp, nonce = (
            params.get("msg_signature"),
            params.get("timestamp"),
            params.get("nonce"),
        )
        if not (signature and timestamp and nonce):
            return PlainTextResponse("msg_signature, timestamp and nonce are required", 400)
        try:
            if request.method == "GET":
                echostr = params.get("echostr")
                if not echostr:
                    return PlainTextResponse("echostr is required", 400)
                plain = await run_in_threadpool(
                    self.crypto.verify_url,
                    msg_signature=signature,
                    timestamp=timestamp,
                    nonce=nonce,
                    echostr=echostr,
                )
                return PlainTextResponse(plain)
            body = await _read_body(request)
            xml = await run_in_threadpool(
                self.crypto.decrypt_message,
                body,
                msg_signature=signature,
                timestamp=timestamp,
                nonce=nonce,
            )
            message = WecomMessage.parse(xml)
            if message.to != self.crypto.corp_id:
                raise CallbackRejected("ToUserName is not our CorpID")
            agent_id = self.kam.settings.wecom.agent_id
            if agent_id and message.agent_id and message.agent_id != str(agent_id):
                raise CallbackRejected("AgentID is not our app's")
            return await self._receive(message, nonce)
        except CallbackRejected as exc:
            log.warning("WeCom callback refused: %s", exc.reason)
            return PlainTextResponse(exc.reason, exc.status)
        except OperationalError as exc:
            # WeCom will deliver it again; by then the database may be back.
            log.warning("WeCom callback: database unavailable (%s)", type(exc).__name__)
            return PlainTextResponse("database unavailable", 503)

    async def _receive(self, message: WecomMessage, nonce: str) -> Response:
        if message.msgtype == "event" and message.event not in ("subscribe", CARD_EVENT):
            return _empty()  # entering the app, menu clicks…: nothing for kam to do
        incoming = self._incoming(message)
        if incoming is None:  # an image, a card kam did not send: answered, nothing run
            return await self._answer_only(message, nonce)
        taken, kept = await run_in_threadpool(
            partial(
                self.inbox.take,
                message.key,
                incoming,
                message.route(),
                first_time=lambda session: self.crypto.claim_nonce(session, nonce),
            )
        )
        if kept is None:  # answered already, or another process is on it right now
            log.info("WeCom redelivered %s: %s", message.key, taken.value)
            return _empty()
        handoff = _Handoff(asyncio.get_running_loop())
        self._workers.submit(self._work, message, kept, handoff)
        answer = await handoff.wait(PASSIVE_WINDOW)
        if answer is None:
            return _empty()
        body, finished = answer
        return Response(body, media_type="application/xml", background=finished)

    def _incoming(self, message: WecomMessage) -> Incoming | None:
        """The message for the dispatcher; None for one kam only answers (no command)."""
        if message.msgtype == "text" or message.event == "subscribe":
            text, mentions = read(message.content if message.msgtype == "text" else "")
            command = text  # "" is /help
        elif message.event == CARD_EVENT and message.event_key.startswith(ACTION_KEY):
            # a push's button (Done, Snooze): its key carries the command, run as the clicker
            command, mentions = message.event_key[len(ACTION_KEY) :].strip(), ()
        elif message.event == CARD_EVENT:
            task = _TASK_ID.match(message.task_id)
            if task is None or not message.event_key.isdigit():
                log.info("WeCom card event with task %r, key %r: not kam's question",
                         message.task_id, message.event_key)  # fmt: skip
                return None
            command, mentions = answer_command(int(task[1]), int(message.event_key)), ()
        else:
            return None
        return Incoming(
            text=command,
            mentions=mentions,
            actor=message.sender,
            platform=PLATFORM,
            channel=None,
            is_direct=True,
            request_id=message.request_id,
            received_at=message.sent_at,
        )

    async def _answer_only(self, message: WecomMessage, nonce: str) -> Response:
        """Something kam does not read (an image, a voice note): say it reads text."""
        if not await run_in_threadpool(self._claim, message.key, nonce):
            return _empty()
        lang = await run_in_threadpool(self._language_of, message.sender)
        reply = Reply(title=_("text_only", lang))
        if message.event == CARD_EVENT:
            self._workers.submit(self._send_active, message.sender, reply)
            return _empty()
        xml = passive_text_xml(
            to_user=message.sender,
            corp_id=self.crypto.corp_id,
            content=render_wecom_text(reply)[0],
            created=int(time.time()),
        )
        return Response(self.crypto.encrypt_reply(xml), media_type="application/xml")

    def _claim(self, key: str, nonce: str) -> bool:
        with unit_of_work(self.kam.engine, write=True) as session:
            if not claim_event(session, PLATFORM, key):
                return False
            self.crypto.claim_nonce(session, nonce)
            return True

    # -- on a worker thread ----------------------------------------------------------------

    def _work(self, message: WecomMessage, kept: Kept, handoff: _Handoff | None) -> None:
        """Run the message if it has not run, and answer it: passively while WeCom is
        still waiting (``handoff``), else through ``message/send``.  The inbox row is
        marked answered once the answer is out."""
        reply = self.inbox.answer(kept)
        if reply is None:  # another process has it, or the database is away: kept for later
            if handoff is not None:
                handoff.deliver(None)
            return
        if handoff is not None and self._passive(message, reply, handoff):
            return  # marked answered once the response is sent (``_finished``)
        self._send_active(message.sender, reply)
        if message.event == CARD_EVENT and message.event_key.startswith(ACTION_KEY):
            self._mark_card(message, reply)
        self._finished(message)

    def _mark_card(self, message: WecomMessage, reply: Reply) -> None:
        """A push's button that did its work: the card shows "✓ 完成 #3 — 王磊 10:02"
        on the clicked button (message/update_template_card with the event's
        ResponseCode, single-use, 72 h).  A click that changed nothing (already done)
        leaves the card as the first click made it."""
        if reply.severity != Severity.success or not message.response_code:
            return
        with unit_of_work(self.kam.engine, write=False) as session:
            user = users.by_identity(session, PLATFORM, message.sender)
            if user is None:
                return
            lang, name, tz = user.language or "zh", user.display_name, self.kam.settings.tz
            with contextlib.suppress(KeyError, ValueError):
                tz = ZoneInfo(user.timezone)
        mark = _("pressed", lang, who=name, time=datetime.now(tz).strftime("%H:%M"))
        payload = {
            "userids": [message.sender],
            "agentid": self.kam.settings.wecom.agent_id,
            "response_code": message.response_code,
            "button": {"replace_name": mark},
        }
        try:
            self.client.call("POST", "message/update_template_card", json=payload)
        except SendError as exc:  # the answer went; the card keeps its button
            log.info("could not mark the card %s: %s", message.task_id, exc)

    def _passive(self, message: WecomMessage, reply: Reply, handoff: _Handoff) -> bool:
        """Hand the waiting request its passive reply; True when that reply *is* the
        answer (else the caller sends the answer through message/send)."""
        if message.event == CARD_EVENT:  # the passive reply renames the clicked button
            update = self._button_update(message)
            handoff.deliver((update, None) if update else None)
            return False
        texts = [] if reply.question is not None and self._cards else render_wecom_text(reply)
        if reply.chart is not None and self._pictures:  # a passive reply has no picture
            texts = []
        if message.msgtype != "text" or len(texts) != 1:  # cards are never passive
            handoff.deliver(None)
            return False
        xml = passive_text_xml(
            to_user=message.sender,
            corp_id=self.crypto.corp_id,
            content=texts[0],
            created=int(time.time()),
        )
        finished = BackgroundTask(self._finished, message)
        return handoff.deliver((self.crypto.encrypt_reply(xml), finished))

    def finish(self, kept: Kept) -> None:
        """The sweeper's way in: a message a dead process left, answered by message/send."""
        self._work(WecomMessage.from_route(kept.route), kept, None)

    def _finished(self, message: WecomMessage) -> None:
        """The answer is out: mark the message answered, then the post-command nicety."""
        self.inbox.answered(PLATFORM, message.key)
        self._after(message)

    def _button_update(self, message: WecomMessage) -> str | None:
        """The encrypted passive reply that marks the clicked button as the choice
        taken, once the sender's question is answered (None: leave the card as it is)."""
        task = _TASK_ID.match(message.task_id)
        if task is None:
            return None
        with unit_of_work(self.kam.engine, write=False) as session:
            user = users.by_identity(session, PLATFORM, message.sender)
            lang = (user.language if user else None) or self.kam.settings.language
            card = answered_card(session, int(task[1]), lang)
            question = session.get(PendingQuestion, int(task[1]))
            if card is None or user is None or question is None or question.user_id != user.id:
                return None
            name = f"✓ {question.answer}"
        xml = passive_button_xml(
            to_user=message.sender,
            corp_id=self.crypto.corp_id,
            replace_name=name,
            created=int(time.time()),
        )
        return self.crypto.encrypt_reply(xml)

    @property
    def _pictures(self) -> bool:
        """A chart can follow the answer: kam can call message/send (and media/upload)."""
        return self.client.can_call and bool(self.kam.settings.wecom.agent_id)

    @property
    def _cards(self) -> bool:
        """Questions go as template cards: switched on, and kam can call message/send."""
        settings = self.kam.settings.wecom
        return settings.question_cards and self.client.can_call and bool(settings.agent_id)

    def _send_active(self, userid: str, reply: Reply) -> None:
        if reply.question is not None and self._cards and self._send_card(userid, reply):
            return
        recipient = Recipient(PLATFORM, "user", userid, f"wecom:{userid}", "zh")
        try:
            self.kam.notifier.send(recipient, reply)
        except SendError as exc:
            log.warning("WeCom reply to %s not delivered: %s", userid, exc)

    def _send_card(self, userid: str, reply: Reply) -> bool:
        """The question as a button_interaction card; False (the caller sends the
        numbered text instead) when WeCom refuses it."""
        # task_id: unique within the app for good, so a fresh database's ids never clash
        task_id = f"kamq{reply.question}-{secrets.token_hex(4)}"
        payload = {
            "touser": userid,
            "msgtype": "template_card",
            "agentid": self.kam.settings.wecom.agent_id,
            "template_card": render_question_card(reply, task_id),
        }
        try:
            data = self.client.call("POST", "message/send", json=payload)
        except SendError as exc:
            log.warning("WeCom refused the question card to %s (%s): sending text", userid, exc)
            return False
        return not (data.get("invaliduser") or data.get("unlicenseduser"))

    def _language_of(self, userid: str) -> str:
        with unit_of_work(self.kam.engine, write=False) as session:
            user = users.by_identity(session, PLATFORM, userid)
            return (user.language if user else None) or "zh"

    def _after(self, message: WecomMessage) -> None:
        """Post-command hook: the sender's WeCom name, if kam only has a placeholder."""
        if message.msgtype != "text" or not self.client.can_call:
            return
        try:
            fill_sender_name(self.kam.engine, self.directory, sender=message.sender)
        except Exception:  # a name is a nicety; never let it cost the message
            log.exception("filling the WeCom name of %s failed", message.sender)


async def _read_body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise CallbackRejected("body too large", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


def _empty() -> Response:
    return Response(b"", status_code=200)


def wecom_routes(kam: App) -> list[BaseRoute]:
    """The callback route ``bot.server`` mounts when WeCom is configured."""
    callback = WecomCallback(kam)
    return [Route("/wecom/callback", callback.endpoint, methods=["GET", "POST"])]
