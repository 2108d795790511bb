"""Slack's message markup → the plain text kam's parser reads.

Slack sends text with ``&``, ``<`` and ``>`` HTML-escaped and with its own tokens in
angle brackets.  The tokens become what the person saw; everything else is unescaped,
so a contact typed as ``<b> & Co`` reaches kam as exactly that::

    <@U123> <@U123|bob>         → unchanged    (/kam user add <@U123|bob> … needs the id)
    <#C123|sales>               → #sales
    <!here> <!channel>          → @here @channel
    <!subteam^S1|@east>         → @east
    <!date^1392734382^{date}|Feb 18> → Feb 18
    <https://acme.com|Acme>     → Acme         <mailto:li@acme.com|li@acme.com> → li@acme.com
    &lt;b&gt; &amp; Co          → <b> & Co
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"<([^<>\n]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_MENTION = re.compile(r"^\s*<@([A-Z0-9]+)(?:\|[^>]*)?>[\s:,，：]*")


def unescape(text: str) -> str:
    """Undo Slack's escaping (only the three entities Slack uses; ``&amp;`` last)."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _token(inner: str) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):
        name = re.sub(r"[<>|]", "", label)
        return f"<{target}|{name}>" if name else f"<{target}>"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        name = target[1:].split("^", 1)[0]
        if name in ("here", "channel", "everyone"):
            return f"@{name}"
        return label
    return label or unescape(target).removeprefix("mailto:")


def to_plain(text: str) -> str:
    """Slack message or slash-command text → plain text (see the module docstring)."""
    out, pos = [], 0
    for m in _TOKEN.finditer(text):
        out.append(unescape(text[pos : m.start()]))
        out.append(_token(m.group(1)))
        pos = m.end()
    out.append(unescape(text[pos:]))
    return "".join(out)


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """``<@UBOT> visit Acme`` → ``visit Acme`` (an @mention of the bot starts the text)."""
    m = _MENTION.match(text)
    if m and (bot_user_id is None or m.group(1) == bot_user_id):
        return text[m.end() :]
    return text


def mentioned_users(text: str) -> list[str]:
    """The Slack user ids mentioned in plain text (``<@U123>``), in order, once each."""
    return list(dict.fromkeys(re.findall(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>", text)))
