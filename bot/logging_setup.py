"""kam's logs: one line per event, as text for people or JSON for a log collector.

``KAM_LOG_FORMAT=json`` writes one JSON object per line::

    {"time": "2026-11-18T02:00:00.123Z", "level": "INFO", "logger": "bot.metrics",
     "message": "notification sent", "request_id": "9f2c1e…", "channel": "slack", …}

— the record's ``extra`` fields after the fixed ones.  Text is the same in one line:
``2026-11-18 10:00:00,123 INFO bot.metrics [9f2c1e…] notification sent channel=slack``.

``request_id`` is the message being handled (``handlers.logcontext``, bound by the
dispatcher), so everything logged for one message — handler, database, sends — can
be found together.

What never reaches a log line, whatever the level:

* Slack tokens (``xoxb-…``, ``xoxp-…``, ``xapp-…``), ``access_token=`` and
  ``corpsecret=`` query values, ``Bearer`` credentials, the password in a database
  URL, and every secret kam is configured with (``SLACK_*``, ``WECOM_*``);
* at INFO and above, message bodies: an ``extra`` field named ``text``, ``body``,
  ``content`` or ``notes`` is replaced by its length (kept verbatim at DEBUG).

No line can be forged, and none is unbounded.  A message is cut after
``MAX_MESSAGE`` characters (``… [N chars]``), secrets redacted before the cut.  In the
text format a record is one line: line breaks and other control characters in the
message, in ``extra`` values and in the request id are written as escapes (``\\n``,
``\\r``, ``\\x1b``…), and the lines of a traceback below it are indented, so user text
inside an exception's message cannot start a line of its own.  JSON lines escape them
anyway.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config import Settings
from handlers.logcontext import current_request_id

REDACTED = "[redacted]"
BODY_FIELDS = frozenset({"text", "body", "content", "notes"})
# Shorter configured values are not searched for: they would redact ordinary words.
MIN_SECRET_LENGTH = 6
MAX_MESSAGE = 4000  # characters of a record's message; the rest is counted, not shown
# What would end or redraw a line: C0/C1 controls but the tab, and Unicode's separators.
_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")

_PATTERNS = (
    re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"),
    re.compile(r"\bxapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)\b((?:access_token|corpsecret|client_secret|token)=)[^&\s\"']+"),
    re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(://[^:/@\s]+:)[^@\s/]+(@)"),  # scheme://user:password@host
)
# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


class Redactor:
    """Replaces tokens, secrets and URL passwords in a piece of text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(_keep_groups, text)
        return text


def _keep_groups(m: re.Match[str]) -> str:
    groups = [g for g in m.groups() if g is not None]
    if not groups:
        return REDACTED
    return groups[0] + REDACTED + ("".join(groups[1:]) if len(groups) > 1 else "")


def one_line(text: str) -> str:
    """``text`` with line breaks and control characters as visible escapes."""
    return _BREAKS.sub(_escape_char, text)


def _escape_char(m: re.Match[str]) -> str:
    return {"\n": "\\n", "\r": "\\r"}.get(m[0]) or repr(m[0])[1:-1]


def bounded(text: str, redact: Redactor, limit: int = MAX_MESSAGE) -> str:
    """At most ``limit`` characters of ``text``: redacted first, so a cut never leaves
    part of a secret behind."""
    if len(text) <= limit:
        return text
    text = redact(text)
    return text[:limit] + f"… [{len(text)} chars]" if len(text) > limit else text


def indented(block: str) -> str:
    """A traceback below its record's line: every line indented, so none looks like
    the start of a record whatever an exception's message holds."""
    return "\n".join("  " + line.replace("\r", "\\r") for line in block.split("\n"))


def secrets_of(settings: Settings) -> list[str | None]:
    """Every configured value that must never be logged."""
    out: list[str | None] = [
        settings.slack.bot_token,
        settings.slack.signing_secret,
        settings.slack.app_token,
        settings.wecom.secret,
        settings.wecom.token,
        settings.wecom.encoding_aes_key,
    ]
    with contextlib.suppress(ArgumentError, ValueError):  # a bad URL is reported elsewhere
        out.append(make_url(settings.database_url).password)
    return out


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``None`` outside a message)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The record's ``extra`` fields, with message bodies hidden at INFO and above."""
    out: dict[str, Any] = {}
    for key, value in vars(record).items():
        if key in _STANDARD or key.startswith("_"):
            continue
        if key in BODY_FIELDS and record.levelno >= logging.INFO:
            value = f"[{len(str(value))} chars]"
        out[key] = value
    return out


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC)
        data: dict[str, Any] = {
            "time": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": bounded(record.getMessage(), self.redact),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in extras(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return self.redact(json.dumps(_safe(data), ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor | None = None) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(rid)s %(message)s")
        self.redact = redact or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        rid = getattr(record, "request_id", None)
        record.rid = f" [{one_line(str(rid))}]" if rid else ""
        try:
            line = super().format(record)
        finally:
            del record.rid
        fields = {k: v for k, v in extras(record).items() if k != "rid"}
        first, nl, rest = line.partition("\n")  # the message is one line: a traceback follows
        first += "".join(f" {one_line(str(k))}={one_line(str(v))}" for k, v in fields.items())
        return self.redact(first + nl + indented(rest) if nl else first)

    def formatMessage(self, record: logging.LogRecord) -> str:
        original = record.message
        record.message = one_line(bounded(original, self.redact))
        try:
            return super().formatMessage(record)
        finally:
            record.message = original


def _safe(data: dict[str, Any]) -> dict[str, Any]:
    """JSON cannot hold every Python value; show the rest as text."""
    out = {}
    for key, value in data.items():
        if not isinstance(value, str | int | float | bool | type(None) | list | dict):
            value = str(value)
        out[key] = value
    return out


def configure_logging(
    settings: Settings | None = None,
    *,
    fmt: str | None = None,
    level: int | str = logging.INFO,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) in kam's format; safe to call again.

    ``fmt`` is ``text`` or ``json`` (default: ``settings.log_format``, i.e.
    ``KAM_LOG_FORMAT``).  uvicorn's own loggers are routed here too.
    """
    fmt = fmt or (settings.log_format if settings else "text")
    if fmt not in ("text", "json"):
        raise ValueError(f"log format must be text or json, not {fmt!r}")
    redact = Redactor(secrets_of(settings) if settings else ())
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(redact) if fmt == "json" else TextFormatter(redact))
    handler.addFilter(RequestIdFilter())
    handler._kam = True  # type: ignore[attr-defined]  # ours, to replace on a second call

    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_kam", False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    return handler
