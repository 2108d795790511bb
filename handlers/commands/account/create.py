"""``/account new Zenith Corp`` (``/客户 新建 …``, ``/新客户 …``): a new account, after
checking the book for one it may already be.  (Issue 17: being built.)"""

from __future__ import annotations

from pydantic import BaseModel

from handlers.context import Context, ParseContext
from handlers.parsing.text import fold
from handlers.replies import Reply

NEW_WORDS = ("new", "create", "新建", "新增", "创建")


class AccountNew(BaseModel):
    command: str = "account_new"
    name: str


def is_new(args: str) -> bool:
    """``args`` asks for a new account (``new Zenith Corp``)."""
    word = fold(args).strip().split(" ", 1)[0]
    return word in NEW_WORDS


def after_new_word(args: str) -> str:
    return args.strip().split(" ", 1)[1] if " " in args.strip() else ""


def parse_new(args: str, pctx: ParseContext) -> AccountNew:
    raise NotImplementedError("issue 17: /account new")


def run_new(ctx: Context, cmd: AccountNew) -> Reply:
    raise NotImplementedError("issue 17: /account new")
