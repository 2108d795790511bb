"""WeCom's mention markup → the ``@token`` and ``IdentityRef`` kam's handlers read.

WeCom writes a member mention as ``<@userid>`` (the form its markdown messages use to
notify someone); the adapter turns each into ``@userid`` in the text and an
``IdentityRef("wecom", userid)``, so ``/用户 添加 <@zhangwei> 销售`` reads like
``/用户 添加 @zhangwei 销售`` with the member's identity attached.  ``<@all>`` names
nobody in particular and is left as text.
"""

from __future__ import annotations

import re

from handlers.context import IdentityRef
from handlers.people import mention_token

PLATFORM = "wecom"
_MENTION = re.compile(r"<@([A-Za-z0-9_.@\-]{1,64})>")


def read(content: str) -> tuple[str, tuple[IdentityRef, ...]]:
    """A member's message text → text with ``@token`` mentions, and who they are."""
    mentions: dict[str, IdentityRef] = {}

    def token(m: re.Match[str]) -> str:
        userid = m.group(1)
        if userid == "all":
            return m.group(0)
        for ref in mentions.values():
            if ref.external_id == userid:
                return "@" + ref.token
        word = mention_token(userid, userid, taken=mentions)
        mentions[word.casefold()] = IdentityRef(PLATFORM, userid, word)
        return "@" + word

    return _MENTION.sub(token, content), tuple(mentions.values())
