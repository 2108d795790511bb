"""A small fake of Slack for end-to-end tests, both ways round.

``FakeSlack`` is the Web API on 127.0.0.1 (port 0), in the spirit of bolt-python's
``tests/mock_web_api_server``: kam's clients point their base URL at ``fake.api_url``.
It records every call (method, headers with the token, JSON or form body), answers the
methods kam uses, serves ``response_url`` posts at ``fake.response_url(name)``, and
can be told to fail the next calls of a method (``fail("chat.postMessage", status=429,
retry_after=1)`` or ``fail("chat.postEphemeral", error="not_in_channel")``).

``SlackCaller`` is Slack calling kam: slash commands, Events API callbacks and
interactive payloads, signed exactly as Slack signs them (``v0=`` HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

BOT_TOKEN = "xoxb-kam-test"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER_ID = "UKAMBOT"
TEAM_ID = "T0KAM"
_JSON_FIELDS = ("blocks", "view", "attachments")


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


@dataclass
class _Failure:
    status: int
    retry_after: int | None
    error: str | None


class FakeSlack:
    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.users: dict[str, dict[str, Any]] = {}
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure | None]] = defaultdict(deque)
        self._lock = threading.Condition()
        self._ts = itertools.count(1)
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

    # -- answering -------------------------------------------------------------------

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
        if method == "chat.postEphemeral":
            return 200, {}, {"ok": True, "message_ts": ts}
        if method == "conversations.open":
            return 200, {}, {"ok": True, "channel": {"id": "D" + str(body.get("users", ""))}}
        if method == "users.info":
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


def sign(secret: str, timestamp: str, body: str) -> str:
    """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


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
        return urlencode(
            {
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
                "trigger_id": f"{n}.{n}.trigger",
            }
        )

    def slash(self, command: str, text: str, *, user: str, channel: str = "C0EAST",
              response_url: str, **kw: Any) -> httpx.Response:  # fmt: skip
        body = self.slash_body(command, text, user=user, channel=channel, response_url=response_url)
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def event(self, event: dict[str, Any], *, event_id: str | None = None,
              retry_num: int | None = None) -> httpx.Response:  # fmt: skip
        envelope = {
            "token": "deprecated-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0KAM",
            "event": {"event_ts": event.get("ts", f"{time.time():.6f}"), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(envelope), "application/json", headers=headers)

    def dm(self, user: str, text: str, **kw: Any) -> httpx.Response:
        ts = f"{time.time():.6f}"
        event = {"type": "message", "channel_type": "im", "channel": "D" + user,
                 "user": user, "text": text, "ts": ts}  # fmt: skip
        return self.event(event, **kw)

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
    url: str


def running_fake() -> Iterator[FakeSlack]:
    """For a fixture: ``yield from running_fake()``."""
    with FakeSlack() as fake:
        yield fake


def slack_env(fake: FakeSlack, start_server, engine) -> SlackEnv:
    """kam's server on a fresh database holding ``tests.harness.book``, Slack pointed at
    the fake (request ``fake`` before ``start_server``, so the server stops first)."""
    from domain.settings import Settings, SlackSettings
    from tests.harness import book

    ids = book(engine)
    slack = SlackSettings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url)
    server = start_server(Settings(slack=slack))
    return SlackEnv(SlackCaller(server.url), fake, ids, server.url)
