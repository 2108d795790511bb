"""A cap on request bodies, before anything reads them: ``BodyLimit`` (ASGI middleware).

``kam run``'s endpoints take small bodies from the internet before they know who sent
them (a signature is checked over the whole body), so a body is refused with 413 once
it is larger than its path's limit:

* at once, by its ``Content-Length``, without reading a byte of it;
* while it streams (chunked, or a ``Content-Length`` that lies), by counting the bytes
  that arrive: the endpoint's read stops at the limit, and the answer is 413.

Either way memory stays flat whatever is sent, and the connection is closed after the
413 (what was not read is never drained).  One log line says which path, how large,
and from where.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1024 * 1024  # bytes, for any path without its own


class BodyTooLarge(Exception):
    """Raised inside the endpoint's read once the body passes its limit."""


class BodyLimit:
    def __init__(
        self, app: ASGIApp, limits: Mapping[str, int] | None = None, default: int = DEFAULT_LIMIT
    ) -> None:
        self.app = app
        self.limits = dict(limits or {})
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.limits.get(path, self.default)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _refuse(scope, send, limit, f"Content-Length {length}")
            return

        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if started:  # the endpoint answered and read on: nothing more to say
                raise
            await _refuse(scope, send, limit, f"more than {limit} bytes streamed")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses it before us (h11: 400)
    return None


async def _refuse(scope: Scope, send: Send, limit: int, what: str) -> None:
    client = scope.get("client") or ("?", 0)
    log.warning(
        "request body too large for %s (%s, limit %d bytes) from %s: 413",
        scope.get("path", "?")[:200], what, limit, client[0],
    )  # fmt: skip
    body = b'{"error": "request body too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
