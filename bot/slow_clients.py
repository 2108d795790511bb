"""How long and how much a client may take to send kam one request (uvicorn, h11).

uvicorn times out an idle keep-alive connection, but not a client that connects and then
sends its request headers (or a small body) a byte at a time: each such connection was
held for as long as the client liked (a "slowloris").  ``ReadTimeoutH11`` closes a
connection whose request is not wholly received within ``request_timeout_seconds`` of
its first byte (or of the connection).  A reverse proxy in front (docs/operations.md)
should bound the same things; this is the floor when there is none.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEADER_BYTES = 16 * 1024  # h11's default, said out loud: larger headers get a 400
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this
MAX_CONNECTIONS = 500  # beyond this many open connections, a new request gets a 503

_RECEIVING = (h11.IDLE, h11.SEND_BODY)  # the client is still sending this request


class ReadTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for receiving each whole request."""

    timeout_seconds: float = 15.0  # set per server by ``protocol_with_timeout``

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._read_deadline: asyncio.TimerHandle | None = None
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state in _RECEIVING:
            self._arm()  # a request under way: it has until the deadline to arrive whole
        else:
            self._disarm()  # received whole: the app's own time is not the client's

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._read_deadline is None:
            self._read_deadline = self.loop.call_later(self.timeout_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._read_deadline is not None:
            self._read_deadline.cancel()
            self._read_deadline = None

    def _too_slow(self) -> None:
        self._read_deadline = None
        if self.conn.their_state in _RECEIVING and not self.transport.is_closing():
            if self.cycle is None or self.cycle.response_complete:
                # Nothing of this request reached the app: say why, then hang up.
                self.transport.write(
                    b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n"
                    b"connection: close\r\n\r\n"
                )
            self.transport.close()


def protocol_with_timeout(seconds: float) -> type[ReadTimeoutH11]:
    """The protocol class for one server, with its deadline."""
    return type("ReadTimeoutH11", (ReadTimeoutH11,), {"timeout_seconds": seconds})
