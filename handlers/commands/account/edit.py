"""``/account Acme set industry Robotics`` (``/客户 华夏重工 设置 …``): edit an account's
fields and tier factors, re-scoring its tier.  (Issue 17: being built.)"""

from __future__ import annotations

from pydantic import BaseModel

from handlers.context import Context, ParseContext
from handlers.parsing.text import fold
from handlers.replies import Reply

SET_WORDS = ("set", "设置", "修改")


class AccountSet(BaseModel):
    command: str = "account_set"
    account: str


def mentions_set(args: str) -> bool:
    """``args`` may ask to change the account (a set word after its first word)."""
    return any(word in SET_WORDS for word in fold(args).split()[1:])


def parse_set(name: str, rest: str, pctx: ParseContext) -> AccountSet:
    raise NotImplementedError("issue 17: /account NAME set")


def parse_trailing(name: str, rest: str, pctx: ParseContext) -> AccountSet | None:
    """Words after the name that are not ``set`` or ``all``: an ``AccountSet`` when they
    are one (``owner @wang``), None to read them as the summary's (``/account Acme
    Corp``, an unknown multi-word name, kept whole as before); a ``ParseError`` with an
    example refuses them."""
    return None


def run_set(ctx: Context, cmd: AccountSet) -> Reply:
    raise NotImplementedError("issue 17: /account NAME set")
