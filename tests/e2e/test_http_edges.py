"""The front door under abuse, over real HTTP (issue 15, items 6, 7 and 8).

* A body larger than its path's limit is refused with 413 before it is read: by its
  ``Content-Length`` (nothing of it is sent), and by counting a chunked body.
* A malformed or unsigned request gets 400/401 and exactly one log line — no 500, no
  traceback — on ``/slack/events`` and ``/wecom/callback``.
* What an unauthenticated request carries reaches the log bounded and escaped: a
  newline in it cannot forge a line, a large body cannot fill the disk.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.config import Settings, SlackSettings
from bot.logging_setup import configure_logging
from domain.models import AuditEntry, InboundEvent, Interaction
from storage.session import unit_of_work
from tests.e2e import fake_wecom
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, running_fake
from tests.harness import book

MB = 1024 * 1024
FORGED = "2026-01-01 00:00:00,000 INFO bot.slack.app alice is now admin"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def server(fake, start_server, engine):
    """kam with both Slack (HTTP) and WeCom configured."""
    book(engine)
    with fake_wecom.running_fake() as wecom:
        settings = fake_wecom.wecom_settings(
            wecom,
            slack=SlackSettings(
                bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=fake.api_url
            ),
        )
        yield start_server(settings)


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """kam's own text log format, as ``kam run`` writes it, into a StringIO."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    out = io.StringIO()
    configure_logging(Settings(), fmt="text", level=logging.INFO, stream=out)
    yield out
    root.handlers[:] = handlers
    root.setLevel(level)


def count(engine, model) -> int:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def raw_request(url: str, head: str, chunks: list[bytes] = (), timeout: float = 10.0) -> str:
    """Send ``head`` (request line and headers) and ``chunks`` on a bare socket, then
    read the answer: what a client that never finishes its body gets back."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(head.encode())
        for chunk in chunks:
            sock.sendall(chunk)
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + 10:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
        return data.decode("latin-1")


def _head(path: str, length: int | None, extra: str = "") -> str:
    size = f"Content-Length: {length}\r\n" if length is not None else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: kam\r\nContent-Type: application/json\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00\r\n"
        f"{size}{extra}\r\n"
    )


# -- item 6: bodies are capped before they are read -------------------------------------


@pytest.mark.parametrize(
    "path", ["/slack/events", "/wecom/callback?msg_signature=a&timestamp=1&nonce=1"]
)
def test_a_200_mb_content_length_is_refused_before_a_byte_of_the_body_is_read(server, path):
    started = time.monotonic()
    answer = raw_request(server.url, _head(path, 200 * MB))  # the body itself never comes
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 3


def test_a_chunked_body_is_counted_and_refused_past_one_megabyte(server, engine):
    chunk = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 17  # 1.06 MB, and no last chunk
    answer = raw_request(server.url, _head("/slack/events", None, "Transfer-Encoding: chunked\r\n"),
                         chunks)  # fmt: skip
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert count(engine, Interaction) == 0


def test_a_body_under_the_limit_still_reaches_the_signature_check(server):
    body = '{"type": "event_callback", "x": "' + "y" * (MB - 100) + '"}'
    r = httpx.post(f"{server.url}/slack/events", content=body.encode(),
                   headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=1"})  # fmt: skip
    assert r.status_code == 401


# -- item 8: malformed or unsigned bodies: 400/401, one log line ------------------------

UNSIGNED = {
    "json list": ("[1,2,3]", "application/json", {}),
    "json null": ("null", "application/json", {}),
    "bad json": ("{not json", "application/json", {}),
    "bad payload": ("payload=%7Bnot", "application/x-www-form-urlencoded", {}),
    "non-numeric timestamp": (
        "a=b",
        "application/x-www-form-urlencoded",
        {"X-Slack-Request-Timestamp": "soon"},
    ),
    "no headers": ("command=%2Fkam", "application/x-www-form-urlencoded", None),
    "not UTF-8": ("\udcff\udcfe", "application/json", {}),
    "null event": ('{"type": "event_callback", "event": null}', "application/json", {}),
    "event as a form field": ("event=x", "application/x-www-form-urlencoded", {}),
    "authorizations not a list": ('{"authorizations": 5}', "application/json", {}),
}


def _post_slack(
    url: str, body: str, ctype: str, headers: dict | None, *, signed: bool
) -> httpx.Response:
    raw = body.encode("utf-8", "surrogateescape")
    sent = {"Content-Type": ctype}
    if headers is not None:
        ts = headers.get("X-Slack-Request-Timestamp", str(int(time.time())))
        sent["X-Slack-Request-Timestamp"] = ts
        if signed:
            base = b"v0:" + ts.encode() + b":" + raw  # Slack signs bytes
            sent["X-Slack-Signature"] = (
                "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
            )
        else:
            sent["X-Slack-Signature"] = "v0=" + "0" * 64
    return httpx.post(f"{url}/slack/events", content=raw, headers=sent, timeout=10)


def _records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith(("bot.", "slack_bolt", "uvicorn"))]


@pytest.mark.parametrize("case", UNSIGNED)
def test_an_unsigned_malformed_slack_body_is_401_with_one_log_line(server, engine, caplog, case):
    body, ctype, headers = UNSIGNED[case]
    caplog.set_level(logging.INFO)
    r = _post_slack(server.url, body, ctype, headers, signed=False)
    assert r.status_code == 401, r.text
    [line] = _records(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert count(engine, Interaction) == count(engine, AuditEntry) == 0


@pytest.mark.parametrize(
    "case",
    ["json list", "json null", "bad json", "bad payload", "not UTF-8", "null event",
     "event as a form field", "authorizations not a list"],
)  # fmt: skip
def test_a_signed_malformed_slack_body_is_400_with_one_log_line(server, engine, caplog, case):
    body, ctype, headers = UNSIGNED[case]
    caplog.set_level(logging.INFO)
    r = _post_slack(server.url, body, ctype, headers, signed=True)
    assert r.status_code == 400, r.text
    [line] = _records(caplog)
    assert line.levelno == logging.WARNING and line.exc_info is None
    assert count(engine, Interaction) == count(engine, InboundEvent) == 0


WECOM = {
    "no parameters": ({}, b"<xml/>"),
    "non-numeric timestamp": ({"msg_signature": "a", "timestamp": "soon", "nonce": "1"}, b"<xml/>"),
    "json list": ({"msg_signature": "a", "timestamp": "1", "nonce": "1"}, b"[1,2,3]"),
    "bad xml": ({"msg_signature": "a", "timestamp": "1", "nonce": "1"}, b"<xml"),
    "empty": ({"msg_signature": "a", "timestamp": "1", "nonce": "1"}, b""),
    "not UTF-8": ({"msg_signature": "a", "timestamp": "1", "nonce": "1"}, b"\xff\xfe<xml>"),
    "bad Encrypt": (
        {"msg_signature": "a", "timestamp": str(int(time.time())), "nonce": "1"},
        b"<xml><Encrypt>!!</Encrypt></xml>",
    ),
}


@pytest.mark.parametrize("case", WECOM)
def test_a_malformed_wecom_callback_is_400_or_403_with_one_log_line(server, engine, caplog, case):
    params, body = WECOM[case]
    caplog.set_level(logging.INFO)
    r = httpx.post(f"{server.url}/wecom/callback", params=params, content=body, timeout=10)
    assert r.status_code in (400, 403), r.text
    assert len(_records(caplog)) <= 1 and not any(rec.exc_info for rec in _records(caplog))
    assert count(engine, Interaction) == count(engine, InboundEvent) == 0


# -- item 7: what an unauthenticated request carries, in the log ------------------------


def test_a_newline_in_an_unsigned_body_cannot_forge_a_log_line(server, log_text):
    r = _post_slack(server.url, f"x=1\n{FORGED}\r\n{FORGED}", "text/plain", {}, signed=False)
    assert r.status_code == 401
    lines = log_text.getvalue().splitlines()
    assert not [line for line in lines if line.startswith(FORGED)], lines
    [refused] = [line for line in lines if "Slack request refused" in line]
    assert "x=1\\n2026-01-01" in refused  # shown, escaped, in the one line


def test_a_large_unsigned_body_leaves_a_short_line_in_the_log(server, log_text):
    for _ in range(3):
        r = _post_slack(server.url, "A" * (MB - 10), "application/json", {}, signed=False)
        assert r.status_code == 401
    written = log_text.getvalue()
    assert len(written) < 3000, len(written)
    assert "A" * 100 not in written


def test_bolt_never_checks_a_signature_again_so_never_logs_a_body(server):
    """kam's check is the one: bolt's RequestVerification (which logs the whole body
    of what it refuses) is not among its middleware."""
    from slack_bolt.middleware.request_verification import RequestVerification

    from bot.slack.app import create_bolt_app

    bolt = create_bolt_app(server.kam)
    assert not any(isinstance(m, RequestVerification) for m in bolt._middleware_list)
