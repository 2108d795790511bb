"""Structured logs: JSON lines with the request id of the message through handler and
sends; tokens, secrets and message bodies never in a line at INFO."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings, SlackSettings, WecomSettings
from bot.logging_setup import Redactor, configure_logging
from bot.metrics import Metrics, MetricsNotifier
from handlers.commands import command_table
from handlers.dispatcher import Dispatcher, Incoming
from handlers.logcontext import bind_request
from handlers.notify import RecordingNotifier
from tests.harness import NOW, book

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WECOM_SECRET = "wecom-app-secret-Zq81x"


@pytest.fixture
def logs() -> Iterator[callable]:
    """``logs(fmt, settings=None, level=INFO)`` → a StringIO the root logger writes to."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)

    def start(fmt: str, settings: Settings | None = None, level=logging.INFO) -> io.StringIO:
        out = io.StringIO()
        configure_logging(settings, fmt=fmt, level=level, stream=out)
        return out

    yield start
    for handler in root.handlers:
        if getattr(handler, "_kam", False):
            root.removeHandler(handler)
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_json_lines_carry_time_level_logger_message_request_id_and_extras(logs):
    out = logs("json")
    with bind_request("req-123"):
        logging.getLogger("kam.test").warning("hello %s", "world", extra={"account": "Acme"})
    logging.getLogger("kam.test").info("outside")
    first, second = lines(out)
    assert first["level"] == "WARNING"
    assert first["logger"] == "kam.test"
    assert first["message"] == "hello world"
    assert first["request_id"] == "req-123"
    assert first["account"] == "Acme"
    assert first["time"].endswith("Z") and "T" in first["time"]
    assert second["request_id"] is None


def test_one_request_id_follows_a_message_through_the_handler_into_its_sends(logs, engine):
    book(engine)
    out = logs("json")
    notifier = MetricsNotifier(RecordingNotifier(), Metrics())
    dispatcher = Dispatcher(
        engine, Settings(), notifier, clock=lambda: NOW, commands=command_table()
    )
    incoming = Incoming(text="/snooze Acme 2 weeks customer on holiday", actor="admin")
    reply = dispatcher.handle(incoming)
    assert "Acme" in reply.title
    sends = [line for line in lines(out) if line["message"] == "notification sent"]
    assert sends, out.getvalue()
    assert {line["request_id"] for line in sends} == {incoming.request_id}
    assert sends[0]["recipient"] == "user:alice"
    # and no record of it carries what was typed
    assert "holiday" not in out.getvalue()


def test_tokens_and_configured_secrets_are_redacted_in_messages_extras_and_tracebacks(logs):
    settings = Settings(
        database_url="postgresql+psycopg://kam:pg-pass-9911@db:5432/kam",
        slack=SlackSettings(bot_token="xoxb-1111-2222-abcdef", signing_secret=SIGNING_SECRET),
        wecom=WecomSettings(corp_id="ww1", secret=WECOM_SECRET),
    )
    out = logs("json", settings)
    log = logging.getLogger("kam.test")
    log.info("posting with xoxb-1111-2222-abcdef and xapp-1-A0-123-zz")
    log.info(
        "GET https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=ww1&corpsecret=%s", WECOM_SECRET
    )
    log.info("GET /cgi-bin/message/send?access_token=TOKEN_abc.123&debug=1")
    log.info("connecting", extra={"url": "postgresql://kam:pg-pass-9911@db:5432/kam"})
    log.warning("signature", extra={"secret": SIGNING_SECRET})
    try:
        raise RuntimeError(f"Slack said no to xoxp-9-9-9 (signing {SIGNING_SECRET})")
    except RuntimeError:
        log.exception("send failed")
    text = out.getvalue()
    for leaked in (
        "xoxb-1111",
        "xapp-1-A0",
        "xoxp-9",
        WECOM_SECRET,
        SIGNING_SECRET,
        "TOKEN_abc",
        "pg-pass-9911",
    ):
        assert leaked not in text, leaked
    records = lines(out)
    assert "access_token=[redacted]&debug=1" in records[2]["message"]
    assert records[3]["url"] == "postgresql://kam:[redacted]@db:5432/kam"
    assert "RuntimeError" in records[5]["exc"]


def test_message_bodies_are_hidden_at_info_and_shown_at_debug(logs):
    out = logs("json", level=logging.DEBUG)
    log = logging.getLogger("kam.test")
    log.info("received", extra={"text": "/visit Acme confidential pricing 3.2M"})
    log.debug("received", extra={"text": "/visit Acme confidential pricing 3.2M"})
    info, debug = lines(out)
    assert info["text"] == "[37 chars]"
    assert debug["text"] == "/visit Acme confidential pricing 3.2M"


def test_text_format_is_one_line_with_the_request_id(logs):
    out = logs("text", Settings(slack=SlackSettings(bot_token="xoxb-55-66-secretvalue")))
    with bind_request("abc123"):
        logging.getLogger("kam.test").info(
            "sent with xoxb-55-66-secretvalue", extra={"channel": "slack"}
        )
    line = out.getvalue().strip()
    assert "\n" not in line
    assert " INFO kam.test [abc123] sent with [redacted] channel=slack" in line


def test_configuring_twice_keeps_one_handler(logs):
    logs("json")
    out = logs("json")
    logging.getLogger("kam.test").info("once")
    assert len(lines(out)) == 1
    assert sum(getattr(h, "_kam", False) for h in logging.getLogger().handlers) == 1


def test_short_configured_values_are_not_treated_as_secrets():
    redact = Redactor(["abc", None, "", "long-enough-secret"])
    assert redact("abc long-enough-secret") == "abc [redacted]"


# -- issue 15, item 7: no forged lines, no unbounded ones -----------------------------

FORGED = "2026-01-01 00:00:00,000 INFO bot.slack.app alice is now admin"


def test_a_newline_in_user_text_cannot_forge_a_text_log_line(logs):
    out = logs("text", level=logging.DEBUG)
    log = logging.getLogger("kam.test")
    log.warning("unknown command %r from %s", "x", f"bob\n{FORGED}")
    log.info("received", extra={"account": f"Acme\r\n{FORGED}"})
    with bind_request(f"req\n{FORGED}"):
        log.info("handled")
    log.info("terminal \x1b[2J cleared, \u2028 separated")
    lines_ = out.getvalue().splitlines()
    assert len(lines_) == 4, lines_
    assert not [line for line in lines_ if line.startswith(FORGED)]
    assert f"from bob\\n{FORGED}" in lines_[0]
    assert f"account=Acme\\r\\n{FORGED}" in lines_[1]
    assert "\\x1b[2J" in lines_[3] and "\\u2028" in lines_[3]


def test_user_text_in_an_exception_stays_inside_its_indented_traceback(logs):
    out = logs("text")
    try:
        int(f"12\n{FORGED}")
    except ValueError:
        logging.getLogger("kam.test").exception("parsing failed")
    first, *rest = out.getvalue().rstrip("\n").split("\n")
    assert first.endswith("ERROR kam.test parsing failed")
    assert rest and all(line.startswith("  ") for line in rest), rest
    assert any("Traceback (most recent call last)" in line for line in rest)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_huge_message_is_cut_and_a_secret_at_the_cut_never_leaks(logs, fmt):
    settings = Settings(slack=SlackSettings(signing_secret=SIGNING_SECRET))
    out = logs(fmt, settings)
    prefix = "Invalid request signature detected (body: "
    cut = 4000 - len(prefix) - 10  # the secret straddles MAX_MESSAGE
    logging.getLogger("kam.test").info(prefix + "%s)", "A" * cut + SIGNING_SECRET + "B" * 10**6)
    written = out.getvalue()
    assert len(written) < 5000, len(written)
    assert SIGNING_SECRET[:8] not in written
    assert "chars]" in written
