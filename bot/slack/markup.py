"""Slack's message markup → the plain text kam's parser reads.

Slack sends text with ``&``, ``<`` and ``>`` HTML-escaped and with its own tokens in
angle brackets.  The tokens become what the person saw; everything else is unescaped,
so a contact typed as ``<b> & Co`` reaches kam as exactly that::

    <@U123|bob>  <@U456>        → @bob  @U456  (with IdentityRefs for U123 and U456: ``read``)
    <#C123|sales>               → #sales
    <!here> <!channel>          → @here @channel
    <!subteam^S1|@east>         → @east
    <!date^1392734382^{date}|Feb 18> → Feb 18
    <https://acme.com|Acme>     → Acme         <mailto:li@acme.com|li@acme.com> → li@acme.com
    &lt;b&gt; &amp; Co          → <b> & Co
"""

from __future__ import annotations

import re

from handlers.context import IdentityRef
from handlers.people import mention_token

PLATFORM = "slack"
_TOKEN = re.compile(r"<([^<>\n]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_MENTION = re.compile(r"^\s*<@([A-Z0-9]+)(?:\|[^>]*)?>[\s:,，：]*")


def unescape(text: str) -> str:
    """Undo Slack's escaping (only the three entities Slack uses; ``&amp;`` last)."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _token(inner: str, mentions: dict[str, IdentityRef]) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        return "@" + _mention(target[1:], label.strip() or None, mentions)
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in ("here", "channel", "everyone"):
            return f"@{name}"
        return label
    return label or unescape(target).removeprefix("mailto:")


def _mention(user_id: str, name: str | None, mentions: dict[str, IdentityRef]) -> str:
    """The token for Slack user ``user_id``; the same user mentioned twice gets one."""
    for ref in mentions.values():
        if ref.external_id == user_id:
            return ref.token
    token = mention_token(name, user_id, taken=mentions)
    mentions[token.casefold()] = IdentityRef(PLATFORM, user_id, token, name)
    return token


def read(text: str) -> tuple[str, tuple[IdentityRef, ...]]:
    """Slack message or slash-command text → plain text (see the module docstring) and
    the people it mentions, each written ``@token`` in the text."""
    out, pos = [], 0
    mentions: dict[str, IdentityRef] = {}
    for m in _TOKEN.finditer(text):
        out.append(unescape(text[pos : m.start()]))
        out.append(_token(m.group(1), mentions))
        pos = m.end()
    out.append(unescape(text[pos:]))
    return "".join(out), tuple(mentions.values())


def to_plain(text: str) -> str:
    """``read`` without the mentions."""
    return read(text)[0]


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """``<@UBOT> visit Acme`` → ``visit Acme`` (an @mention of the bot starts the text)."""
    m = _MENTION.match(text)
    if m and (bot_user_id is None or m.group(1) == bot_user_id):
        return text[m.end() :]
    return text
