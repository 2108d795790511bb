"""Reading ``/user`` (``/用户``): the action (add, list, set, remove, show), whom it is about
and the options (``rep``, ``team East``, ``manager @bob``, ``lang zh``, ``tz Asia/Shanghai`` …)
— into a ``UserCommand``.

Refusals are worded here; ``handlers.commands.users`` runs it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, Field

from domain.errors import ParseError
from domain.models import Role
from handlers.context import IdentityRef, ParseContext
from handlers.i18n import Catalog, languages
from handlers.paging import split_page
from handlers.parsing.text import tokenize_quoted
from handlers.people import (
    HANDLE,
    ME_WORDS,
    OPTION_WORDS,
    UserRef,
    looks_like_user_ref,
    parse_user_ref,
)

_ = Catalog("parsing.users")


SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
WECOM_ID = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
IDENTITY = "identity:"  # OPTION_WORDS: "slack" → "identity:slack"
# how the ``slack …`` / ``企业微信 …`` options' ids look, and how they are spelled
IDENTITY_FORMATS = {"slack": (SLACK_ID, str.upper), "wecom": (WECOM_ID, str)}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

ROLE_WORDS = {
    "rep": Role.rep,
    "销售": Role.rep,
    "manager": Role.manager,
    "经理": Role.manager,
    "admin": Role.admin,
    "管理员": Role.admin,
}
LANG_WORDS = {
    "en": "en",
    "english": "en",
    "英文": "en",
    "英语": "en",
    "zh": "zh",
    "cn": "zh",
    "chinese": "zh",
    "中文": "zh",
    "汉语": "zh",
}
GREEDY = {"team", "display_name", "manages"}
ACTIONS = {
    "add": "add",
    "new": "add",
    "添加": "add",
    "新增": "add",
    "list": "list",
    "ls": "list",
    "列表": "list",
    "set": "set",
    "update": "set",
    "edit": "set",
    "设置": "set",
    "修改": "set",
    "remove": "remove",
    "deactivate": "remove",
    "删除": "remove",
    "移除": "remove",
    "停用": "remove",
    "show": "show",
    "查看": "show",
}
ALL_WORDS = {"all", "全部", "所有"}


class UserOptions(BaseModel):
    role: Role | None = None
    team: str | None = None
    manages: list[str] | None = None
    manager: UserRef | None = None
    language: str | None = None  # one of handlers.i18n.languages()
    timezone: str | None = None
    display_name: str | None = None
    identities: dict[str, str] | None = None  # platform → external id
    email: str | None = None
    handle: str | None = None


class UserCommand(BaseModel):
    command: str = "user"
    action: Literal["add", "list", "set", "remove", "show"]
    target: UserRef | None = None
    team: str | None = None  # list: one team
    include_inactive: bool = False
    page: int | None = Field(default=None, exclude=True)  # list: which page ("page 2")
    options: UserOptions = UserOptions()


# --- parsing -------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return tokenize_quoted(text)


@cache
def _zones_by_lower() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def _timezone(value: str, lang: str) -> str:
    try:
        ZoneInfo(value)
        return value
    except (ZoneInfoNotFoundError, ValueError):
        pass
    found = _zones_by_lower().get(value.lower())
    if found is None:
        raise ParseError(_("bad_tz", lang, value=value))
    return found


def _set_option(
    opts: dict,
    field: str,
    word: str,
    value: str,
    lang: str,
    mentions: Mapping[str, IdentityRef],
) -> None:
    if not value:
        raise ParseError(_("needs_value", lang, word=word))
    if field == "role":
        role = ROLE_WORDS.get(value.lower())
        if role is None:
            raise ParseError(_("unknown_option", lang, word=value))
        opts["role"] = role
    elif field == "language":
        code = LANG_WORDS.get(value.lower(), value if value in languages() else None)
        if code is None:
            raise ParseError(_("bad_lang", lang, value=value))
        opts["language"] = code
    elif field == "timezone":
        opts["timezone"] = _timezone(value, lang)
    elif field.startswith(IDENTITY):
        platform = field.removeprefix(IDENTITY)
        pattern, spelled = IDENTITY_FORMATS[platform]
        mention = mentions.get(value.lstrip("@").casefold()) if value.startswith("@") else None
        if mention is not None and mention.platform == platform:
            value = mention.external_id
        external_id = spelled(value)
        if not pattern.fullmatch(external_id):
            raise ParseError(_(f"bad_{platform}", lang, value=value))
        opts.setdefault("identities", {})[platform] = external_id
    elif field == "email":
        if not EMAIL.fullmatch(value) or len(value) > 200:
            raise ParseError(_("bad_email", lang, value=value))
        opts["email"] = value
    elif field == "handle":
        handle = value.lstrip("@＠")
        if not HANDLE.fullmatch(handle) or handle.lower() in ME_WORDS:
            raise ParseError(_("bad_handle", lang, handle=value))
        opts["handle"] = handle
    elif field == "manager":
        opts["manager"] = parse_user_ref(value, lang)
    elif field == "manages":
        opts["manages"] = [t.strip() for t in re.split(r"[,，、]", value) if t.strip()]
    elif field == "display_name":
        if len(value) > 100:
            raise ParseError(_("too_long", lang, what=_("name_field", lang), n=100))
        opts["display_name"] = value
    else:  # team
        if len(value) > 100:
            raise ParseError(_("too_long", lang, what=_("team_field", lang), n=100))
        opts[field] = value


def parse_options(
    tokens: list[str], lang: str, mentions: Mapping[str, IdentityRef] | None = None
) -> UserOptions:
    """``rep team East manager @bob lang zh …`` → ``UserOptions``."""
    opts: dict = {}
    i = 0
    while i < len(tokens):
        word = tokens[i]
        low = word.lower()
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if low in ("manager", "经理") and following and looks_like_user_ref(following):
            _set_option(opts, "manager", word, following, lang, mentions or {})
            i += 2
            continue
        if low in ROLE_WORDS:
            opts["role"] = ROLE_WORDS[low]
            i += 1
            continue
        field = OPTION_WORDS.get(low)
        if field is None:
            raise ParseError(_("unknown_option", lang, word=word))
        j = i + 1
        if field in GREEDY:
            while j < len(tokens) and not _is_keyword(tokens[j]):
                j += 1
        else:
            j = min(i + 2, len(tokens))
        value = " ".join(tokens[i + 1 : j]).strip()
        _set_option(opts, field, word, value, lang, mentions or {})
        i = j
    return UserOptions(**opts)


def _is_keyword(word: str) -> bool:
    low = word.lower()
    return low in OPTION_WORDS or low in ROLE_WORDS


def parse_user(args: str, pctx: ParseContext) -> UserCommand:
    lang = pctx.lang
    tokens = _tokens(args.strip())
    if not tokens:
        return UserCommand(action="list")
    action = ACTIONS.get(tokens[0].lower())
    if action is None:
        if len(tokens) == 1 and (looks_like_user_ref(tokens[0]) or tokens[0].lower() in ME_WORDS):
            return UserCommand(action="show", target=parse_user_ref(tokens[0], lang))
        raise ParseError(_("unknown_option", lang, word=tokens[0]))
    rest = tokens[1:]
    if action == "list":
        body, page = split_page(" ".join(rest))
        rest = body.split() if page is not None else rest
        include_inactive = bool(rest) and rest[-1].lower() in ALL_WORDS
        if include_inactive:
            rest = rest[:-1]
        return UserCommand(
            action="list",
            team=" ".join(rest) or None,
            include_inactive=include_inactive,
            page=page,
        )
    if not rest:
        raise ParseError(_("who", lang))
    target = parse_user_ref(rest[0], lang)
    if action in ("remove", "show"):
        if len(rest) > 1:
            raise ParseError(_("unknown_option", lang, word=rest[1]))
        return UserCommand(action=action, target=target)
    options = parse_options(rest[1:], lang, pctx.mentions)
    if action == "add" and target.me:
        raise ParseError(_("who", lang))
    if action == "set" and not options.model_dump(exclude_none=True):
        raise ParseError(_("nothing_to_set", lang))
    return UserCommand(action=action, target=target, options=options)
