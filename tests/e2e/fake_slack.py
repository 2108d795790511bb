"""A small fake of Slack for end-to-end tests, both ways round.

``FakeSlack`` is the Web API on 127.0.0.1 (port 0), in the spirit of bolt-python's
``tests/mock_web_api_server``: kam's clients point their base URL at ``fake.api_url``.
It records every call (method, headers with the token, JSON or form body), answers the
methods kam uses, serves ``response_url`` posts at ``fake.response_url(name)``, and
can be told to fail the next calls of a method (``fail("chat.postMessage", status=429,
retry_after=1)`` or ``fail("chat.postEphemeral", error="not_in_channel")``).

File uploads take Slack's v2 flow, checked at each step: ``files.getUploadURLExternal``
(a filename and the length to come) hands out an upload URL on the fake; the POST of the
bytes there must be exactly that length and a PNG that decodes (else HTTP 400);
``files.completeUploadExternal`` must name uploaded files and a ``channel_id``, which
must not be in ``fake.not_in`` (``not_in_channel``).  ``fake.uploads()`` lists the
files shared: bytes, size, channel, comment.

``FakeSocketMode`` is Slack's end of a Socket Mode connection: a WebSocket server kam
dials (via ``apps.connections.open``), which sends envelopes and records the acks.

``SlackCaller`` is Slack calling kam: slash commands, Events API callbacks and
interactive payloads, signed exactly as Slack signs them (``v0=`` HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import socket
import struct
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

BOT_TOKEN = "xoxb-kam-test"
APP_TOKEN = "xapp-1-A0KAM-kam-test"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER_ID = "UKAMBOT"
TEAM_ID = "T0KAM"
_JSON_FIELDS = ("blocks", "view", "attachments", "files")


@dataclass
class Call:
    method: str  # "chat.postMessage"…, or "response_url"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what the fake answered
    ok: bool
    at: float = field(default_factory=time.monotonic)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """A message's blocks, or a view's (views.open, views.publish)."""
        return self.body.get("blocks") or (self.body.get("view") or {}).get("blocks") or []

    def block_text(self) -> str:
        """Every text in the blocks, in order (escaped as Slack would receive it)."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("text"), str):
                    out.append(node["text"])
                for value in node.values():
                    if isinstance(value, dict | list):
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.blocks)
        return "\n".join(out)


@dataclass(frozen=True)
class Upload:
    """A file shared through the v2 flow, as the fake received and checked it."""

    file_id: str
    filename: str
    data: bytes
    size_px: tuple[int, int]  # the decoded PNG's width and height
    title: str | None
    alt_txt: str | None
    channel: str
    initial_comment: str | None
    thread_ts: str | None


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str | None


class FakeSlack:
    def __init__(self, token: str = BOT_TOKEN, app_token: str = APP_TOKEN) -> None:
        self.token = token
        self.app_token = app_token
        self.socket_url: str | None = None  # what apps.connections.open hands out
        self.users: dict[str, dict[str, Any]] = {}
        # method → called with the request body before the answer (what kam saw then)
        self.hooks: dict[str, Callable[[dict[str, Any]], None]] = {}
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure | None]] = defaultdict(deque)
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.not_in: set[str] = set()  # channels kam is not a member of (uploads fail)
        self._pending: dict[str, dict[str, Any]] = {}  # file id → what getUploadURL said
        self._shared: list[Upload] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/response/{name}"

    # -- arranging -------------------------------------------------------------------

    def add_user(self, user_id: str, *, name: str, real_name: str = "", tz: str = "",
                 email: str = "") -> None:  # fmt: skip
        self.users[user_id] = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": real_name,
            "tz": tz,
            "profile": {"real_name": real_name, "display_name": name, "email": email},
        }

    def fail(self, method: str, *, status: int = 200, retry_after: int | None = None,
             error: str | None = None, times: int = 1, after: int = 0) -> None:  # fmt: skip
        """Make ``times`` calls of ``method`` fail, once ``after`` more have succeeded:
        a 429 with ``Retry-After``, an HTTP error ``status``, or ``ok: false`` + ``error``."""
        if status == 200 and error is None:
            raise ValueError("say how it fails: status=429/5xx or error='…'")
        with self._lock:
            self._failures[method].extend([None] * after)
            self._failures[method].extend([_Failure(status, retry_after, error)] * times)

    # -- asserting -------------------------------------------------------------------

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[Call]:
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method) and (ok is None or c.ok == ok)
            ]

    def wait_for(self, method: str, count: int = 1, *, timeout: float = 5.0,
                 ok: bool | None = True) -> list[Call]:  # fmt: skip
        """Poll until ``count`` calls of ``method`` arrived; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [
                    c for c in self._calls if c.method == method and (ok is None or c.ok == ok)
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self._calls]
                    raise AssertionError(f"waited {timeout}s for {count} × {method}; saw {seen}")
                self._lock.wait(min(left, 0.05))

    def uploads(self) -> list[Upload]:
        """The files shared in a channel (completeUploadExternal accepted), in order."""
        with self._lock:
            return list(self._shared)

    # -- answering -------------------------------------------------------------------

    def _receive_file(self, file_id: str, data: bytes) -> tuple[int, str]:
        """The POST to an upload URL: the announced length, a PNG that decodes."""
        from tests.e2e.png import decode_png

        with self._lock:
            pending = self._pending.get(file_id)
        if pending is None:
            return 404, "no such upload URL"
        if len(data) != int(pending["length"]):
            return 400, f"length {len(data)} is not the {pending['length']} announced"
        try:
            pending["size_px"] = decode_png(data)
        except ValueError as exc:
            return 400, str(exc)
        with self._lock:
            pending["data"] = data
        return 200, f"OK - {len(data)}"

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = body.get("channel_id")
        if not channel:
            return {"ok": False, "error": "kam always shares in a channel: no channel_id"}
        if channel in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        files = body.get("files") or []
        shared = []
        with self._lock:
            for f in files:
                pending = self._pending.get(str(f.get("id")))
                if pending is None or "data" not in pending:
                    return {"ok": False, "error": "file_not_found"}
            for f in files:
                pending = self._pending.pop(str(f["id"]))
                upload = Upload(
                    file_id=str(f["id"]), filename=pending["filename"], data=pending["data"],
                    size_px=pending["size_px"], title=f.get("title"),
                    alt_txt=pending.get("alt_txt"), channel=channel,
                    initial_comment=body.get("initial_comment"), thread_ts=body.get("thread_ts"),
                )  # fmt: skip
                self._shared.append(upload)
                shared.append(
                    {"id": upload.file_id, "title": upload.title, "name": upload.filename}
                )
        return {"ok": True, "files": shared}

    def _answer(self, method: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[
        int, dict[str, str], Any
    ]:  # fmt: skip
        with self._lock:
            failure = self._failures[method].popleft() if self._failures[method] else None
        if failure is not None:
            if failure.status == 429:
                after = str(failure.retry_after if failure.retry_after is not None else 1)
                return 429, {"Retry-After": after}, {"ok": False, "error": "ratelimited"}
            if failure.error:
                return 200, {}, {"ok": False, "error": failure.error}
            return failure.status, {}, {"ok": False, "error": "fatal_error"}
        if method == "response_url":
            return 200, {}, "ok"
        if method == "apps.connections.open":
            if headers.get("authorization") != f"Bearer {self.app_token}":
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            return 200, {}, {"ok": True, "url": self.socket_url}
        if headers.get("authorization") != f"Bearer {self.token}":
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        ts = f"{1700000000 + next(self._ts)}.000100"
        if method == "auth.test":
            return 200, {}, {
                "ok": True, "url": "https://kam-test.slack.com/", "team": "Kam Test",
                "user": "kam", "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": "BKAM",
                "is_enterprise_install": False,
            }  # fmt: skip
        if method == "chat.postMessage":
            return 200, {}, {"ok": True, "channel": body.get("channel"), "ts": ts,
                             "message": {"text": body.get("text"), "ts": ts}}  # fmt: skip
        if method == "chat.update":
            return 200, {}, {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "chat.postEphemeral":
            return 200, {}, {"ok": True, "message_ts": ts}
        if method == "files.getUploadURLExternal":
            if not body.get("filename") or not str(body.get("length", "")).isdigit():
                return 200, {}, {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._file_ids):08d}"
            with self._lock:
                self._pending[file_id] = {
                    "filename": body["filename"], "length": int(body["length"]),
                    "alt_txt": body.get("alt_txt"),
                }  # fmt: skip
            return 200, {}, {"ok": True, "file_id": file_id,
                             "upload_url": f"{self.url}/upload/v1/{file_id}"}  # fmt: skip
        if method == "files.completeUploadExternal":
            return 200, {}, self._complete(body)
        if method == "conversations.open":
            return 200, {}, {"ok": True, "channel": {"id": "D" + str(body.get("users", ""))}}
        if method == "users.info":
            if (hook := self.hooks.get(method)) is not None:
                hook(body)
            user = self.users.get(str(body.get("user")))
            if user is None:
                return 200, {}, {"ok": False, "error": "user_not_found"}
            return 200, {}, {"ok": True, "user": user}
        if method in ("views.open", "views.publish"):
            return 200, {}, {"ok": True, "view": {"id": "V" + ts, **(body.get("view") or {})}}
        return 200, {}, {"ok": False, "error": "unknown_method"}

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                self._handle(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._handle(self.rfile.read(length))

            def _handle(self, raw: bytes) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith("/upload/v1/"):
                    self._upload(parts.path.removeprefix("/upload/v1/"), raw)
                    return
                if parts.path.startswith("/response/"):
                    method = "response_url"
                else:
                    method = parts.path.removeprefix("/api/").strip("/")
                headers = {k.lower(): v for k, v in self.headers.items()}
                body: dict[str, Any] = dict(parse_qsl(parts.query))
                if raw:
                    if headers.get("content-type", "").startswith("application/json"):
                        body.update(json.loads(raw))
                    else:
                        body.update(parse_qsl(raw.decode()))
                for key in _JSON_FIELDS:
                    if isinstance(body.get(key), str):
                        body[key] = json.loads(body[key])
                status, extra, answer = fake._answer(method, body, headers)
                ok = status == 200 and (answer == "ok" or bool(answer.get("ok")))
                fake._record(Call(method, self.path, headers, body, status, ok))
                self._send(status, extra, answer)

            def _upload(self, file_id: str, raw: bytes) -> None:
                status, text = fake._receive_file(file_id, raw)
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = {"file_id": file_id, "size": len(raw), "answer": text}
                fake._record(Call("upload", self.path, headers, body, status, status == 200))
                self._send(status, {}, text)

            def _send(self, status: int, extra: dict[str, str], answer: Any) -> None:
                data = answer.encode() if isinstance(answer, str) else json.dumps(answer).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(answer, str) else "application/json"
                self.send_header("Content-Type", f"{ctype}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA


class FakeSocketMode:
    """Slack's end of Socket Mode: a minimal WebSocket server (RFC 6455) on 127.0.0.1.

    It greets with ``hello``, sends envelopes (``send_envelope``), answers pings and
    records every ack (``wait_for_ack``).  One connection at a time is enough for kam.
    """

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._conn: socket.socket | None = None
        self._connected = threading.Event()
        self._send_lock = threading.Lock()
        self._acks: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        port = self._listener.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=kam-test"

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for sock in (self._conn, self._listener):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._thread.join(timeout=2)

    def send_envelope(self, kind: str, payload: dict[str, Any], *,
                      accepts_response_payload: bool = False) -> str:  # fmt: skip
        """Send ``events_api`` / ``slash_commands`` / ``interactive``; returns its id."""
        if not self._connected.wait(5):
            raise AssertionError("kam never connected over Socket Mode")
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        self._send(_TEXT, json.dumps(envelope).encode())
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} in {timeout}s")
            return self._acks[envelope_id]

    # -- the wire --------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            conn, _ = self._listener.accept()
            self._conn = conn
            request = b""
            while b"\r\n\r\n" not in request:
                request += conn.recv(4096)
            key = next(
                line.split(":", 1)[1].strip()
                for line in request.decode().split("\r\n")
                if line.lower().startswith("sec-websocket-key:")
            )
            accept = base64.b64encode(hashlib.sha1((key + _WS_GUID).encode()).digest())
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
            )
            self._connected.set()
            hello = {"type": "hello", "num_connections": 1,
                     "connection_info": {"app_id": "A0KAM"}}  # fmt: skip
            self._send(_TEXT, json.dumps(hello).encode())
            while (frame := self._read_frame(conn)) is not None:
                opcode, data = frame
                if opcode == _PING:
                    self._send(_PONG, data)
                elif opcode == _CLOSE:
                    return
                elif opcode == _TEXT:
                    message = json.loads(data)
                    if "envelope_id" in message:
                        with self._cond:
                            self._acks[message["envelope_id"]] = message
                            self._cond.notify_all()
        except (OSError, StopIteration):
            return

    def _send(self, opcode: int, data: bytes) -> None:
        n = len(data)
        if n < 126:
            head = bytes([0x80 | opcode, n])
        elif n < 65536:
            head = bytes([0x80 | opcode, 126]) + struct.pack(">H", n)
        else:
            head = bytes([0x80 | opcode, 127]) + struct.pack(">Q", n)
        assert self._conn is not None
        with self._send_lock:
            self._conn.sendall(head + data)

    @staticmethod
    def _read_frame(conn: socket.socket) -> tuple[int, bytes] | None:
        def exactly(n: int) -> bytes:
            buf = b""
            while len(buf) < n:
                chunk = conn.recv(n - len(buf))
                if not chunk:
                    raise OSError("connection closed")
                buf += chunk
            return buf

        try:
            b0, b1 = exactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", exactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", exactly(8))[0]
            mask = exactly(4) if b1 & 0x80 else b""
            data = exactly(n)
        except OSError:
            return None
        if mask:
            data = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
        return b0 & 0x0F, data


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def slash_payload(command: str, text: str, *, user: str, channel: str = "C0EAST",
                  response_url: str, trigger_id: str | None = None) -> dict[str, str]:  # fmt: skip
    """The fields Slack sends for a slash command (a trigger_id is unique per request)."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "kam-test",
        "channel_id": channel,
        "channel_name": "east" if channel.startswith("C") else "directmessage",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0KAM",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def new_trigger_id() -> str:
    """A fresh trigger_id, shaped like Slack's (unique for every request it sends)."""
    return f"{int(time.time())}.{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:20]}"


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API callback wrapping ``event``."""
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0KAM",
        "event": {"event_ts": event.get("ts", f"{time.time():.6f}"), **event},
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
    }


def dm_event(user: str, text: str) -> dict[str, Any]:
    """A ``message.im`` event: ``user`` writing to kam in their DM with it."""
    return {"type": "message", "channel_type": "im", "channel": "D" + user,
            "user": user, "text": text, "ts": f"{time.time():.6f}"}  # fmt: skip


class SlackCaller:
    """Slack calling kam's ``/slack/events``, with correctly signed requests."""

    def __init__(self, kam_url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = f"{kam_url}/slack/events"
        self.secret = secret
        self._ids = itertools.count(1)

    def post(self, body: str, content_type: str, *, timestamp: int | None = None,
             signature: str | None = None, headers: dict[str, str] | None = None
             ) -> httpx.Response:  # fmt: skip
        """POST a body; ``signature=""`` sends none, ``None`` signs it properly."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts}
        if signature is None:
            signature = sign(self.secret, ts, body)
        if signature:
            sent["X-Slack-Signature"] = signature
        sent.update(headers or {})
        return httpx.post(self.url, content=body.encode(), headers=sent, timeout=10)

    def slash_body(self, command: str, text: str, *, user: str, channel: str = "C0EAST",
                   response_url: str) -> str:  # fmt: skip
        n = next(self._ids)
        return urlencode(slash_payload(command, text, user=user, channel=channel,
                                       response_url=response_url, trigger_id=f"{n}.{new_trigger_id()}"))  # fmt: skip

    def slash(self, command: str, text: str, *, user: str, channel: str = "C0EAST",
              response_url: str, **kw: Any) -> httpx.Response:  # fmt: skip
        body = self.slash_body(command, text, user=user, channel=channel, response_url=response_url)
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict[str, Any], *, event_id: str | None = None,
              retry_num: int | None = None) -> httpx.Response:  # fmt: skip
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        body = json.dumps(event_callback(event, event_id))
        return self.post(body, "application/json", headers=headers)

    def dm(self, user: str, text: str, **kw: Any) -> httpx.Response:
        return self.event(dm_event(user, text), **kw)

    def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded")


# -- the pieces of a test's fixtures ------------------------------------------------


@dataclass
class SlackEnv:
    """kam's server with Slack configured against the fake, and the crafted book."""

    slack: SlackCaller
    fake: FakeSlack
    book: Any  # tests.harness.Book
    server: Any  # bot.server.BotServer

    @property
    def url(self) -> str:
        return self.server.url


def running_fake() -> Iterator[FakeSlack]:
    """For a fixture: ``yield from running_fake()``."""
    with FakeSlack() as fake:
        yield fake


def slack_env(fake: FakeSlack, start_server, engine) -> SlackEnv:
    """kam's server on a fresh database holding ``tests.harness.book``, Slack pointed at
    the fake (request ``fake`` before ``start_server``, so the server stops first)."""
    from bot.config import Settings, SlackSettings
    from tests.harness import book

    ids = book(engine)
    slack = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url)
    server = start_server(Settings(slack=slack))
    return SlackEnv(SlackCaller(server.url), fake, ids, server)
