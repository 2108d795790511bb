"""A client that sends its request a byte at a time is cut off (issue 15 item 10): the
connection is closed once the request is not wholly in after request_timeout_seconds,
while a normal request on the same server is answered at once."""

import socket
import time

import httpx

from bot.config import Settings


def _slowloris(server, stop_after: float) -> tuple[float, bytes]:
    """Send headers a byte at a time; return when the server hung up, and what it said."""
    sock = socket.create_connection((server.host, server.port), timeout=stop_after + 5)
    started = time.monotonic()
    request = b"GET /healthz HTTP/1.1\r\nHost: kam\r\nX-Slow: " + b"a" * 1000
    said = b""
    try:
        for byte in request:
            sock.sendall(bytes([byte]))
            time.sleep(0.2)
            if time.monotonic() - started > stop_after:
                break
        sock.settimeout(2)
        said = sock.recv(1024)
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        sock.close()
    return time.monotonic() - started, said


def test_slow_headers_are_cut_off_and_others_still_served(start_server):
    server = start_server(Settings(request_timeout_seconds=1.0))
    took, said = _slowloris(server, stop_after=8)
    assert took < 5, "the slow connection was held"
    assert said == b"" or said.startswith(b"HTTP/1.1 408")  # a reset may drop the 408
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code in (200, 503)


def test_a_silent_connection_is_closed(start_server):
    server = start_server(Settings(request_timeout_seconds=1.0))
    sock = socket.create_connection((server.host, server.port), timeout=10)
    started = time.monotonic()
    try:
        said = sock.recv(1024)  # nothing sent: the server hangs up within the deadline
    finally:
        sock.close()
    assert time.monotonic() - started < 5
    assert said.startswith(b"HTTP/1.1 408")


def test_keep_alive_requests_are_each_given_the_deadline(start_server):
    server = start_server(Settings(request_timeout_seconds=1.0))
    with httpx.Client(base_url=server.url, timeout=5) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code in (200, 503)
            time.sleep(0.6)  # under the keep-alive timeout; the deadline restarts per request


def test_the_server_is_configured_with_bounded_headers_and_connections(start_server):
    server = start_server(Settings())
    config = server.server.config
    assert config.timeout_keep_alive == 5
    assert config.h11_max_incomplete_event_size == 16 * 1024
    assert config.limit_concurrency == 500
