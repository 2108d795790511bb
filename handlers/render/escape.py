"""Escaping user text for each platform, so it can't mention everyone or break layout."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """Drop control and bidi-override characters (keeps newlines and tabs as spaces)."""
    return _CONTROL.sub("", text.replace("\t", " "))


def plain(text: str) -> str:
    return strip_controls(unicodedata.normalize("NFC", text))


def slack_mrkdwn(text: str) -> str:
    """Escape Slack's three control characters, so ``<!channel>``, ``<!here>`` and
    ``<@U123>`` show as text and notify nobody; backticks become a lookalike so user
    text cannot open a code block that swallows the rest of the message."""
    text = plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("`", "\u02cb")


_WECOM_MAP = str.maketrans(
    {"<": "＜", ">": "＞", "[": "［", "]": "］", "*": "＊", "`": "｀", "_": "＿", "#": "＃"}
)


def wecom_markdown(text: str) -> str:
    """WeCom markdown has no escape character: swap its syntax characters (and the
    ``<@userid>`` / ``<@all>`` mention form) for full-width lookalikes."""
    return plain(text).translate(_WECOM_MAP)


_WECOM_TEXT_MAP = str.maketrans({"<": "＜", ">": "＞"})


def wecom_text(text: str) -> str:
    """WeCom text messages render ``<a href=…>`` as a live link (and the group robot's
    ``<@userid>`` as a mention): swap the angle brackets for full-width lookalikes, so
    user text shows as typed and can neither link nor mention."""
    return plain(text).translate(_WECOM_TEXT_MAP)
