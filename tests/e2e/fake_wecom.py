"""WeCom, both ways, on 127.0.0.1: a fake of its server API, and its callback sender.

``FakeWecom`` — a threaded ``http.server`` on a free port that answers like
``qyapi.weixin.qq.com/cgi-bin/`` and records every call:

    GET  gettoken?corpid&corpsecret        counts fetches; ``token_delay`` slows it
    POST message/send?access_token         records deliveries; unknown userids come
                                           back in ``invaliduser``
    POST appchat/send?access_token
    GET  user/get?access_token&userid      names from ``members``
    POST webhook/send?key                  at most 20 messages a minute per key
    POST media/upload?access_token&type    multipart ``media``: kept by media_id

Pictures are checked as WeCom would and more: ``media/upload`` takes ``type=image`` and
a ``media`` part that must be a PNG that decodes (≤ 10 MB); an ``image`` message must
name a media_id uploaded before (else 40007); a robot's ``image`` must carry base64
that decodes to a PNG of at most 2 MB whose md5 is the one given (else 40058).
``pictures(path)`` lists the PNGs delivered as image messages.

A ``message/send`` with ``"enable_duplicate_check": 1`` whose request JSON is the same
as one accepted within ``duplicate_check_interval`` seconds (default 1800) is answered
ok and not delivered, as WeCom documents it; ``duplicates(path)`` lists those.

Like WeCom it answers 42001 for an expired token (``expire_tokens()``), 40014 for an
unknown one, 40058 for content over the byte limit (markdown 4096, text 2048) and
45009 past the robot's rate; ``fail(path, errcode, times)`` makes the next calls fail.

``WecomPeer`` — builds callbacks exactly as WeCom does (wechatpy's crypto with the
app's Token, EncodingAESKey and CorpID) and posts them to kam's callback URL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import xmltodict
from wechatpy.enterprise.crypto import PrpCrypto, WeChatCrypto

from bot.config import Settings, WecomSettings

CORP_ID = "wwkam0000test0001"
AGENT_ID = 1000002
SECRET = "kam-app-secret-for-tests"
TOKEN = "kamCallbackToken"
AES_KEY = "kAmTeStEnCoDiNgAeSkEy0123456789abcdefghijkl"  # 43 characters, like WeCom's
LIMITS = {"markdown": 4096, "text": 2048}


@dataclass
class Call:
    method: str
    path: str  # e.g. "message/send"
    query: dict[str, str]
    body: dict[str, Any] | None
    answer: dict[str, Any] = field(default_factory=dict)
    duplicate: bool = False  # answered ok, dropped by WeCom's duplicate check


@dataclass(frozen=True)
class Media:
    """A file kam uploaded (media/upload), as the fake received and decoded it."""

    filename: str
    content_type: str
    data: bytes
    size_px: tuple[int, int]


class FakeWecom:
    def __init__(
        self,
        *,
        corp_id: str = CORP_ID,
        secret: str = SECRET,
        agent_id: int = AGENT_ID,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self.members: dict[str, str] = {"wanglei": "王磊", "bob": "Bob Li"}
        # path → called with the query before the answer (what kam had done by then)
        self.hooks: dict[str, Callable[[dict[str, str]], None]] = {}
        self.token_delay = 0.0
        self.token_fetches = 0
        self.calls: list[Call] = []
        self._tokens: dict[str, bool] = {}  # token → still valid
        self._fail: dict[str, deque[int]] = defaultdict(deque)
        self._robot_sent: dict[str, deque[float]] = defaultdict(deque)
        self._checked: dict[str, float] = {}  # request JSON → when it was delivered
        self._used_codes: set[str] = set()  # update_template_card's spent ResponseCodes
        self.media: dict[str, Media] = {}  # media_id → the uploaded file
        self._clock = clock
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/cgi-bin/"

    def start(self) -> FakeWecom:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- steering -------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token handed out so far expires early (WeCom may do that any time)."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, False)

    def fail(self, path: str, errcode: int, times: int = 1) -> None:
        with self._lock:
            self._fail[path].extend([errcode] * times)

    # -- what happened --------------------------------------------------------------------

    def delivered(self, path: str) -> list[dict[str, Any]]:
        """Bodies of the successful calls to ``path`` (e.g. ``message/send``)."""
        with self._lock:
            return [
                c.body or {}
                for c in self.calls
                if c.path == path
                and c.answer.get("errcode") == 0
                and not c.answer.get("invaliduser")
                and not c.duplicate
            ]

    def duplicates(self, path: str = "message/send") -> list[dict[str, Any]]:
        """Bodies answered ok but dropped by the duplicate check (nobody received them)."""
        with self._lock:
            return [c.body or {} for c in self.calls if c.path == path and c.duplicate]

    def pictures(self, path: str) -> list[tuple[dict[str, Any], bytes]]:
        """Image messages delivered to ``path`` (``message/send``, ``appchat/send`` or
        ``webhook/send``): each body with the PNG it showed."""
        out = []
        for body in self.delivered(path):
            if body.get("msgtype") != "image":
                continue
            image = body.get("image") or {}
            if "media_id" in image:
                out.append((body, self.media[image["media_id"]].data))
            else:
                out.append((body, base64.b64decode(image["base64"])))
        return out

    def answers(self, path: str) -> list[int]:
        with self._lock:
            return [c.answer.get("errcode", 0) for c in self.calls if c.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.delivered(path)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries to {path}, got {self.delivered(path)}")

    # -- the API --------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> dict[str, Any]:
        if path == "gettoken":
            return self._gettoken(query)
        if path == "webhook/send":
            return self._webhook(query, body)
        with self._lock:
            valid = self._tokens.get(query.get("access_token", ""))
            if valid is None:
                return {"errcode": 40014, "errmsg": "invalid access_token"}
            if not valid:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            if self._fail[path]:
                return {"errcode": self._fail[path].popleft(), "errmsg": "failing on purpose"}
        if path == "media/upload":
            return self._upload(query, body)
        if path == "message/update_template_card":  # a ResponseCode works once
            code = (body or {}).get("response_code")
            with self._lock:
                if not code or code in self._used_codes:
                    return {"errcode": 40000, "errmsg": "invalid response_code"}
                self._used_codes.add(code)
            return {"errcode": 0, "errmsg": "ok"}
        if path == "user/get":
            if (hook := self.hooks.get(path)) is not None:
                hook(query)
            name = self.members.get(query.get("userid", ""))
            if name is None:
                return {"errcode": 60111, "errmsg": "userid not found"}
            return {"errcode": 0, "errmsg": "ok", "userid": query["userid"], "name": name}
        if path in ("message/send", "appchat/send"):
            if path == "message/send" and body.get("agentid") != self.agent_id:
                return {"errcode": 40056, "errmsg": "invalid agentid"}
            error = self._image_error(body)
            if error is None:
                error = _content_error(body)
            if error:
                return error
            if path == "message/send" and body.get("touser") not in self.members:
                return {"errcode": 0, "errmsg": "ok", "invaliduser": body.get("touser")}
            if path == "message/send" and self._seen_within_interval(body):
                return {"errcode": 0, "errmsg": "ok", "msgid": secrets.token_hex(8),
                        "_duplicate": True}  # fmt: skip
            return {"errcode": 0, "errmsg": "ok", "msgid": secrets.token_hex(8)}
        return {"errcode": 404, "errmsg": f"no such API: {path}"}

    def _upload(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        from tests.e2e.png import decode_png

        if query.get("type") != "image":
            return {"errcode": 40004, "errmsg": "invalid media type"}
        part = (body or {}).get("media")
        if part is None:
            return {"errcode": 41001, "errmsg": "missing media part"}
        filename, content_type, data = part
        if len(data) > 10 * 1024 * 1024:
            return {"errcode": 40009, "errmsg": "invalid image size"}
        try:
            size_px = decode_png(data)
        except ValueError as exc:
            return {"errcode": 40113, "errmsg": f"unsupported file type: {exc}"}
        media_id = "3" + secrets.token_hex(16)
        with self._lock:
            self.media[media_id] = Media(filename, content_type, data, size_px)
        return {"errcode": 0, "errmsg": "ok", "type": "image", "media_id": media_id,
                "created_at": str(int(time.time()))}  # fmt: skip

    def _image_error(self, body: Any) -> dict[str, Any] | None:
        """An app's ``image`` message: a media_id uploaded before."""
        if not isinstance(body, dict) or body.get("msgtype") != "image":
            return None
        media_id = (body.get("image") or {}).get("media_id")
        with self._lock:
            if media_id not in self.media:
                return {"errcode": 40007, "errmsg": "invalid media_id"}
        return {}  # checked: ``_content_error`` has nothing to add

    def _seen_within_interval(self, body: dict[str, Any]) -> bool:
        """WeCom's duplicate check: the same request JSON within the interval."""
        if body.get("enable_duplicate_check") != 1:
            return False
        request = json.dumps(body, sort_keys=True, ensure_ascii=False)
        interval = float(body.get("duplicate_check_interval") or 1800)
        with self._lock:
            now = self._clock()
            seen = self._checked.get(request)
            if seen is not None and now - seen < interval:
                return True
            self._checked[request] = now
        return False

    def _gettoken(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        time.sleep(self.token_delay)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.token_fetches += 1
            self._tokens[token] = True
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _webhook(self, query: dict[str, str], body: Any) -> dict[str, Any]:
        key = query.get("key", "")
        with self._lock:
            if self._fail["webhook/send"]:
                return {"errcode": self._fail["webhook/send"].popleft(), "errmsg": "failing"}
            now, sent = self._clock(), self._robot_sent[key]
            while sent and sent[0] <= now - 60:
                sent.popleft()
            if len(sent) >= 20:
                return {"errcode": 45009, "errmsg": "api freq out of limit"}
            error = _robot_image_error(body) if body.get("msgtype") == "image" else None
            if error is None:
                error = _content_error(body) if body.get("msgtype") != "image" else None
            if error is not None:
                return error
            sent.append(now)
        return {"errcode": 0, "errmsg": "ok"}


_TASK_ID = re.compile(r"^[A-Za-z0-9_\-@]{1,128}$")


def _card_error(card: Any) -> dict[str, Any] | None:
    """A button_interaction template card as WeCom checks it: task_id, title, 1–6 buttons."""
    if not isinstance(card, dict) or card.get("card_type") != "button_interaction":
        return {"errcode": 40058, "errmsg": "template_card.card_type"}
    if not _TASK_ID.match(str(card.get("task_id") or "")):
        return {"errcode": 40058, "errmsg": "template_card.task_id"}
    if not (card.get("main_title") or {}).get("title"):
        return {"errcode": 40058, "errmsg": "template_card.main_title"}
    buttons = card.get("button_list") or []
    if not 1 <= len(buttons) <= 6 or not all(b.get("text") and b.get("key") for b in buttons):
        return {"errcode": 40058, "errmsg": "template_card.button_list"}
    return None


def _robot_image_error(body: dict[str, Any]) -> dict[str, Any] | None:
    """A group robot's image: base64 of a PNG of at most 2 MB, and its md5."""
    from tests.e2e.png import decode_png

    image = body.get("image") or {}
    try:
        data = base64.b64decode(image.get("base64") or "", validate=True)
    except ValueError:
        return {"errcode": 40058, "errmsg": "image.base64 is not base64"}
    if not data or len(data) > 2 * 1024 * 1024:
        return {"errcode": 40058, "errmsg": "image size must be 1 byte to 2 MB"}
    if hashlib.md5(data).hexdigest() != image.get("md5"):
        return {"errcode": 40058, "errmsg": "image.md5 does not match"}
    try:
        decode_png(data)
    except ValueError as exc:
        return {"errcode": 40058, "errmsg": f"image: {exc}"}
    return None


def _content_error(body: Any) -> dict[str, Any] | None:
    msgtype = body.get("msgtype") if isinstance(body, dict) else None
    if msgtype == "template_card":
        return _card_error(body.get("template_card"))
    if msgtype not in LIMITS:
        return {"errcode": 40008, "errmsg": "invalid message type"}
    content = (body.get(msgtype) or {}).get("content", "")
    if not content:
        return {"errcode": 41016, "errmsg": "missing content"}
    if len(content.encode("utf-8")) > LIMITS[msgtype]:
        return {"errcode": 40058, "errmsg": f"{msgtype}.content exceed max length"}
    return None


def _handler_for(fake: FakeWecom) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve(None)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if urlsplit(self.path).path.endswith("/media/upload"):
                self._serve(_multipart(self.headers.get("Content-Type", ""), raw))
                return
            try:
                body = json.loads(raw.decode("utf-8"))  # strict UTF-8: a split character fails
            except (UnicodeDecodeError, ValueError):
                self._reply({"errcode": 40058, "errmsg": "invalid json or utf-8"})
                return
            self._serve(body)

        def _serve(self, body: Any) -> None:
            url = urlsplit(self.path)
            path = url.path.removeprefix("/cgi-bin/")
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            answer = fake.answer(self.command, path, query, body)
            duplicate = bool(answer.pop("_duplicate", False))
            with fake._lock:
                fake.calls.append(Call(self.command, path, query, body, answer, duplicate))
            self._reply(answer)

        def _reply(self, answer: dict[str, Any]) -> None:
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, str, bytes]]:
    """A multipart/form-data body: each part by its name, as (filename, type, bytes)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    if not content_type.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            parts[str(name)] = (part.get_filename() or "", part.get_content_type(), payload)
    return parts


@contextmanager
def running_fake(**kw: Any) -> Iterator[FakeWecom]:
    fake = FakeWecom(**kw).start()
    try:
        yield fake
    finally:
        fake.stop()


def wecom_settings(fake: FakeWecom, **kw: Any) -> Settings:
    """kam's settings for a WeCom app whose API is ``fake``."""
    return Settings(
        wecom=WecomSettings(
            corp_id=fake.corp_id,
            agent_id=fake.agent_id,
            secret=fake.secret,
            token=TOKEN,
            encoding_aes_key=AES_KEY,
            api_base_url=fake.api_base_url,
        ),
        **kw,
    )


# -- WeCom's side of the callback -------------------------------------------------------


class WecomPeer:
    """Sends callbacks to kam the way WeCom does: encrypted, signed, with a fresh nonce."""

    def __init__(
        self,
        server_url: str,
        *,
        token: str = TOKEN,
        aes_key: str = AES_KEY,
        corp_id: str = CORP_ID,
        agent_id: int = AGENT_ID,
    ) -> None:
        self.url = f"{server_url}/wecom/callback"
        self.token, self.corp_id, self.agent_id = token, corp_id, agent_id
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self._key = base64.b64decode(aes_key + "=")
        self._msg_ids = iter(range(7_300_000_000_000_000_001, 7_400_000_000_000_000_000))

    # -- plain messages --------------------------------------------------------------

    def text(self, sender: str, content: str, *, msg_id: int | None = None) -> str:
        msg_id = msg_id if msg_id is not None else next(self._msg_ids)
        return (
            "<xml>"
            f"<ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId>"
            f"<AgentID>{self.agent_id}</AgentID>"
            "</xml>"
        )

    def image(self, sender: str) -> str:
        return (
            "<xml>"
            f"<ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[image]]></MsgType>"
            "<PicUrl><![CDATA[https://example.invalid/p.png]]></PicUrl>"
            "<MediaId><![CDATA[media-1]]></MediaId>"
            f"<MsgId>{next(self._msg_ids)}</MsgId>"
            f"<AgentID>{self.agent_id}</AgentID>"
            "</xml>"
        )

    def event(self, sender: str, event: str, *, created: int | None = None) -> str:
        return (
            "<xml>"
            f"<ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event>"
            f"<AgentID>{self.agent_id}</AgentID>"
            "</xml>"
        )

    def card_event(self, sender: str, task_id: str, key: str, *, created: int | None = None,
                   response_code: str = "response-code-1") -> str:  # fmt: skip
        """A click on a button of a template card kam sent (模板卡片事件推送)."""
        return (
            "<xml>"
            f"<ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{created or int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[template_card_event]]></Event>"
            f"<EventKey><![CDATA[{key}]]></EventKey>"
            f"<TaskId><![CDATA[{task_id}]]></TaskId>"
            "<CardType><![CDATA[button_interaction]]></CardType>"
            f"<ResponseCode><![CDATA[{response_code}]]></ResponseCode>"
            f"<AgentID>{self.agent_id}</AgentID>"
            "</xml>"
        )

    # -- over HTTP --------------------------------------------------------------------

    def seal(
        self, plain_xml: str, *, timestamp: int | None = None, nonce: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """One callback request, encrypted and signed: (query parameters, body).  WeCom
        redelivers exactly this, byte for byte (``resend``)."""
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        envelope = xmltodict.parse(self.crypto.encrypt_message(plain_xml, nonce, ts))["xml"]
        body = (
            "<xml>"
            f"<ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt>"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID>"
            "</xml>"
        )
        params = {"msg_signature": envelope["MsgSignature"], "timestamp": ts, "nonce": nonce}
        return params, body.encode()

    def resend(self, sealed: tuple[dict[str, str], bytes]) -> httpx.Response:
        """POST a sealed request (again): WeCom's own redelivery."""
        params, body = sealed
        return httpx.post(self.url, params=params, content=body, timeout=15)

    def post(
        self,
        plain_xml: str,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        msg_signature: str | None = None,
    ) -> httpx.Response:
        """Send a callback, freshly encrypted (``msg_signature`` forges the signature)."""
        params, body = self.seal(plain_xml, timestamp=timestamp, nonce=nonce)
        if msg_signature:
            params["msg_signature"] = msg_signature
        return self.resend((params, body))

    def verify(
        self,
        echo: str,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        msg_signature: str | None = None,
    ) -> httpx.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        echostr = PrpCrypto(self._key).encrypt(echo, self.corp_id).decode()
        params = {
            "msg_signature": msg_signature or _sign(self.token, ts, nonce, echostr),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }
        return httpx.get(self.url, params=params, timeout=15)

    def open_reply(self, response: httpx.Response) -> dict[str, str]:
        """Check a passive reply's signature and decrypt it, as WeCom does."""
        envelope = xmltodict.parse(response.text)["xml"]
        plain = self.crypto.decrypt_message(
            envelope, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
        )
        return xmltodict.parse(plain)["xml"]


def _sign(*parts: str) -> str:
    """WeCom's msg_signature: sha1 over the sorted token, timestamp, nonce and ciphertext."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()
