"""Slack over HTTP: ``POST /slack/events`` for events, slash commands and interactivity.

Every request is checked here before bolt sees it, in this order:

1. its size: at most ``MAX_BODY`` bytes (Slack's payloads are a few KB), else 413 —
   ``bot.http_limits`` refuses it before the body is read, by ``Content-Length`` and
   by counting what arrives;
2. its signature: ``X-Slack-Signature`` is ``v0=`` + HMAC-SHA256 of
   ``v0:{timestamp}:{body}`` with ``SLACK_SIGNING_SECRET``, and the
   ``X-Slack-Request-Timestamp`` (digits) at most five minutes off (replays).  Any
   failure — a header missing, a timestamp that is not a number, a wrong signature — is
   a 401 and one log line that says why, with the body's size and a short escaped
   preview, never the body itself;
3. its shape: a signed body that is not UTF-8, not JSON or form data, or whose JSON is
   not an object Slack would send is a 400 and one log line.

Only then does bolt run (its own signature check is off: this one is the check).  bolt's dispatch is
synchronous; it runs on Starlette's thread pool so a slow moment (the first
``auth.test``) never blocks the server's event loop.  The listeners only acknowledge
(``bot.slack.app``), so the response goes back well within Slack's 3 s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl

from slack_bolt import App as BoltApp
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.bootstrap import App
from bot.slack.app import create_bolt_app

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # bytes; Slack's largest payloads (a modal's view) are tens of KB
MAX_SKEW = 5 * 60  # seconds a request's timestamp may be off (Slack's own advice)
PREVIEW = 64  # characters of an unauthenticated body shown in its log line


class Refused(Exception):
    """A request answered before bolt: ``status`` and why (for the log line)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def preview(body: bytes, limit: int = PREVIEW) -> str:
    """The start of a body for a log line: bounded, one line, control characters shown
    as escapes (``repr`` of the decoded text, without its quotes)."""
    decoded = body[: limit * 4].decode("utf-8", "replace")
    shown = repr(decoded[:limit])[1:-1]
    return shown + ("…" if len(decoded) > limit or len(body) > limit * 4 else "")


def check_signature(
    secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None
) -> None:
    """Raise ``Refused(401)`` unless Slack signed ``body`` within the last five minutes."""
    if not secret:
        raise Refused(401, "SLACK_SIGNING_SECRET is not set: nothing can be verified")
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise Refused(401, "no X-Slack-Request-Timestamp or X-Slack-Signature header")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Refused(401, "X-Slack-Request-Timestamp is not a number")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SKEW:
        raise Refused(401, "X-Slack-Request-Timestamp is more than five minutes off")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise Refused(401, "wrong X-Slack-Signature")


_TEXT = (str,)
_OBJECT = (dict,)
_NAMED = (str, dict, type(None))  # an id, or the object it names
# The fields bolt and kam read before a listener runs, and what Slack sends in each,
# wherever they appear in a payload: anything else is not Slack's, and bolt would fail
# on it (e.g. ``body["event"].get(…)`` on a ``null`` event).
SHAPES: dict[str, tuple[type, ...]] = {
    "type": _TEXT,
    "event": _OBJECT,
    "authorizations": (list,),
    "enterprise": _NAMED,
    "team": _NAMED,
    "user": _NAMED,
    "channel": _NAMED,
    "view": (dict, type(None)),
    "container": (dict, type(None)),
    "message": (dict, type(None)),
    "state": (dict, type(None)),
    "actions": (list,),
    "event_id": _TEXT,
    "team_id": (str, type(None)),
    "enterprise_id": (str, type(None)),
    "bot_id": (str, type(None)),
    "user_id": (str, type(None)),
    "channel_id": (str, type(None)),
    "subtype": (str, type(None)),
    "command": _TEXT,
    "trigger_id": _TEXT,
    "response_url": _TEXT,
    "callback_id": (str, type(None)),
    "api_app_id": _TEXT,
    "is_enterprise_install": (bool, str),
    "is_ext_shared_channel": (bool, str),
}
_LISTS_OF_OBJECTS = ("authorizations", "actions")
_MAX_DEPTH = 32


def check_shape(body: bytes, content_type: str) -> None:
    """Raise ``Refused(400)`` for a signed body bolt could not read as Slack's."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, "the body is not UTF-8") from exc
    try:
        if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
            data = json.loads(text)
        elif "payload" in text:
            payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
            data = json.loads(payload) if payload is not None else {}
        else:  # form fields (a slash command)
            data = dict(parse_qsl(text, keep_blank_values=True))
    except (ValueError, RecursionError) as exc:  # json.JSONDecodeError, parse_qsl's own
        raise Refused(400, f"the body is not JSON or form data ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise Refused(400, f"the JSON is {type(data).__name__}, not an object")
    _check_fields(data, "", 0)


def _check_fields(node: object, where: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise Refused(400, "the JSON is nested too deep")
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_fields(item, f"{where}[{i}]", depth + 1)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        allowed = SHAPES.get(key)
        if allowed is not None and not isinstance(value, allowed):
            raise Refused(400, f"{where}{key} is {type(value).__name__}: not what Slack sends")
        if key in _LISTS_OF_OBJECTS and not all(isinstance(v, dict) for v in value):
            raise Refused(400, f"{where}{key} holds something that is not an object")
        _check_fields(value, f"{where}{key}.", depth + 1)


def slack_endpoint(bolt: BoltApp, secret: str) -> Callable[[Request], object]:
    async def endpoint(request: Request) -> Response:
        body = await request.body()  # at most MAX_BODY: bot.http_limits counts it
        try:
            if len(body) > MAX_BODY:  # mounted without the limit (a test app)
                raise Refused(413, "body too large")
            check_signature(secret, request.headers, body)
            check_shape(body, request.headers.get("content-type", ""))
            bolt_request = to_bolt_request(request, body)
        except Refused as exc:
            log.warning(
                "Slack request refused (%d): %s; %d bytes: %s",
                exc.status, exc.reason, len(body), preview(body),
            )  # fmt: skip
            return JSONResponse({"error": "invalid request"}, exc.status)
        except Exception as exc:  # noqa: BLE001 (bolt's own reading of a signed body)
            log.warning(
                "Slack request refused (400): bolt cannot read it (%s: %s); %d bytes: %s",
                type(exc).__name__, preview(str(exc).encode()), len(body), preview(body),
            )  # fmt: skip
            return JSONResponse({"error": "invalid request"}, 400)
        bolt_response = await run_in_threadpool(bolt.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    return endpoint


def slack_routes(kam: App, bolt: BoltApp | None = None) -> list[Route]:
    """The Slack route for ``kam run``'s server (``bot.server``)."""
    bolt = bolt or create_bolt_app(kam)
    secret = kam.settings.slack.signing_secret or ""
    return [Route(EVENTS_PATH, slack_endpoint(bolt, secret), methods=["POST"])]
