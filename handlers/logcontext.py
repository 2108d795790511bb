"""The request id of the message being handled, for every log line written meanwhile.

The dispatcher binds each message's ``request_id`` for as long as it handles it, so the
handler's logs and the notifications sent afterwards all carry it (``bot.logging_setup``
puts it on every record).  A context variable follows the code onto Starlette's thread
pool and into ``asyncio`` tasks without being passed around; a scheduled job may bind
its own id the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("kam_request_id", default=None)


def current_request_id() -> str | None:
    return request_id.get()


@contextmanager
def bind_request(rid: str | None) -> Iterator[str | None]:
    """Make ``rid`` the current request id inside the block (restored afterwards)."""
    token = request_id.set(rid)
    try:
        yield rid
    finally:
        request_id.reset(token)
