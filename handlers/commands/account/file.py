"""``/account Acme all`` (``/客户 华夏重工 全部``): the whole 360° file, paged for a
phone.  (Issue 17: being built.)"""

from __future__ import annotations

from pydantic import BaseModel

from handlers.context import Context, ParseContext
from handlers.replies import Reply

FILE_WORDS = ("all", "file", "360", "全部", "档案")


class AccountFile(BaseModel):
    command: str = "account_file"
    account: str


def parse_file(name: str, rest: str, pctx: ParseContext) -> AccountFile:
    raise NotImplementedError("issue 17: /account NAME all")


def run_file(ctx: Context, cmd: AccountFile) -> Reply:
    raise NotImplementedError("issue 17: /account NAME all")
