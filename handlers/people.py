"""Turning what people type into the kam users and teams they mean, and telling an
account's people about a change.

Several commands name a person (``/user``, ``/tasks``, ``/goal``, ``/kpi``) or a team
(``/csat``, ``/kpi``, ``/risks``, ``/goal``); they all look them up here, each with its
own words for "not found":

    parse_user_ref("@carol")  → UserRef   (strict: /user, /tasks)
    user_ref_of("@bob")       → UserRef   (lenient: anything after the @ is a handle)
    resolve_user(ctx, ref)    → User, or NotFound with the closest handles

A platform's mention (a Slack or WeCom mention of bob) reaches handlers as ``@bob`` plus an
``IdentityRef`` in ``ParseContext.mentions`` (the adapter translated it): the person
is looked up by that identity first, then by the handle.
    find_team / visible_teams → Team(s), or NotFound / Forbidden
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection

from pydantic import BaseModel
from rapidfuzz import process
from sqlmodel import select

from domain.errors import Forbidden, InvalidInput, NotFound, ParseError
from domain.models import Account, Role, Team, User
from handlers.context import Context, IdentityRef
from handlers.i18n import Catalog
from handlers.replies import Reply
from storage import members, users

_ = Catalog("people")

HANDLE = re.compile(r"^[\w.\-]{1,64}$")
ME_WORDS = {"me", "myself", "我", "自己"}
TEAM_WORDS = {"team", "团队", "小组"}
# the words naming a user's profile fields (``/user`` options; Slack sign-up keeps them)
OPTION_WORDS = {
    "role": "role",
    "角色": "role",
    "team": "team",
    "团队": "team",
    "小组": "team",
    "manages": "manages",
    "管理": "manages",
    "lang": "language",
    "language": "language",
    "语言": "language",
    "tz": "timezone",
    "timezone": "timezone",
    "时区": "timezone",
    "name": "display_name",
    "姓名": "display_name",
    "名字": "display_name",
    "slack": "identity:slack",
    "wecom": "identity:wecom",
    "企业微信": "identity:wecom",
    "企微": "identity:wecom",
    "email": "email",
    "邮箱": "email",
    "handle": "handle",
    "账号": "handle",
    "上级": "manager",
    "reports-to": "manager",
}


# --- people ---------------------------------------------------------------------------


class UserRef(BaseModel):
    """Someone named in a message: ``@carol``, ``carol`` or ``me`` (a platform's mention
    is ``@token``, see ``ParseContext.mentions``)."""

    handle: str | None = None
    me: bool = False


def looks_like_user_ref(text: str) -> bool:
    text = text.strip()
    return text.startswith(("@", "＠")) and len(text) > 1 and " " not in text


def mention_token(name: str | None, external_id: str, taken: Collection[str] = ()) -> str:
    """The word an adapter writes (after ``@``) where a platform's mention was: the name
    the mention showed, made handle-shaped, else the external id (``taken``: the tokens
    the message already uses, casefolded)."""
    if name:
        candidate = re.sub(r"[^\w.\-]+", ".", name.strip().lstrip("@")).strip(".")
        if (
            HANDLE.fullmatch(candidate)
            and candidate.lower() not in ME_WORDS
            and candidate.casefold() not in taken
        ):
            return candidate
    return external_id


def parse_user_ref(text: str, lang: str) -> UserRef:
    """A strict reference: ``me`` or a valid handle, ``@`` optional (else ParseError)."""
    text = text.strip()
    if text.lower() in ME_WORDS:
        return UserRef(me=True)
    handle = text.lstrip("@＠").strip()
    if not HANDLE.fullmatch(handle):
        raise ParseError(_("bad_handle", lang, handle=handle or text))
    return UserRef(handle=handle)


def user_ref_of(text: str) -> UserRef:
    """A lenient reference: ``@alice`` (or a mention's ``@token``) as a handle."""
    return UserRef(handle=text.lstrip("@"))


def mention_of(ctx: Context, ref: UserRef) -> IdentityRef | None:
    """The platform mention ``ref`` came from, if it came from one."""
    return None if ref.me else ctx.parse.mention(ref.handle)


def find_user(ctx: Context, ref: UserRef) -> User | None:
    """The user ``ref`` names: by the mention's identity, else by handle, else by a
    display name typed after ``@`` (``@李强``) when exactly one user has it."""
    if ref.me:
        return ctx.actor
    mention = mention_of(ctx, ref)
    if mention is not None:
        user = users.user_by_identity(ctx.session, mention.platform, mention.external_id)
        if user is not None:
            return user
    user = users.by_handle(ctx.session, ref.handle or "")
    if user is None and ref.handle:  # "@李强" typed by hand: the display name
        user = users.by_display_name(ctx.session, ref.handle)
    return user


def resolve_user(
    ctx: Context,
    ref: UserRef,
    *,
    unknown: Callable[[str], str] | None = None,
    suggest: int = 5,
) -> User:
    """The user ``ref`` names, or NotFound worded by ``unknown(who)`` with up to
    ``suggest`` close handles (when a handle was typed)."""
    user = find_user(ctx, ref)
    if user is not None:
        return user
    mention = mention_of(ctx, ref)
    typed = ref.handle is not None and mention is None
    who = ref.handle if typed else ((mention.name if mention else None) or ref.handle or "?")
    message = unknown(who) if unknown else _("unknown_user", ctx.lang, who=who)
    close = users.search(ctx.session, who if typed or mention else "", limit=suggest)
    raise NotFound(message, candidates=[f"@{u.handle}" for u in close] if typed else [])


# --- teams ----------------------------------------------------------------------------


def find_team(
    ctx: Context, name: str, *, unknown: Callable[[str], str], suggest_cutoff: int | None = None
) -> Team:
    """The team called ``name`` (any case), or NotFound worded by ``unknown(name)``, with
    the closest team names scoring at least ``suggest_cutoff`` (if given)."""
    team = users.team_by_name(ctx.session, name)
    if team is not None:
        return team
    near: list[str] = []
    if suggest_cutoff is not None:
        names = list(ctx.session.exec(select(Team.name).order_by(Team.name)).all())
        near = [m[0] for m in process.extract(name, names, limit=3, score_cutoff=suggest_cutoff)]
    raise NotFound(unknown(name), candidates=near)


def visible_teams(
    ctx: Context,
    name: str | None,
    *,
    unknown: Callable[[str], str],
    forbidden: Callable[[str], str],
    suggest_cutoff: int | None = None,
    empty: str | None = None,
) -> list[Team]:
    """The team called ``name`` if the actor may see it (Forbidden otherwise), or (no name)
    the actor's own and managed teams — every team for an admin — by name.  None at all
    is InvalidInput(``empty``) if given, else an empty list."""
    actor, session = ctx.actor, ctx.session
    if name:
        team = find_team(ctx, name, unknown=unknown, suggest_cutoff=suggest_cutoff)
        if actor.role != Role.admin and team.id not in users.visible_team_ids(session, actor):
            raise Forbidden(forbidden(team.name))
        return [team]
    if actor.role == Role.admin:
        teams = list(session.exec(select(Team).order_by(Team.name)))
    else:
        ids = sorted(users.visible_team_ids(session, actor))
        teams = list(session.exec(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))
    if not teams and empty is not None:
        raise InvalidInput(empty)
    return teams


# --- telling --------------------------------------------------------------------------


def tell_owner_and_managers(
    ctx: Context,
    account: Account,
    build: Callable[[str], Reply],
    *,
    managers: bool,
    roles: Collection[str] = (),
) -> None:
    """Queue ``build(lang)`` for the account's owner (unless the actor) and, if asked,
    the owner's managers and the members of the account's team in ``roles`` (协同:
    ``service`` hears of complaints and low CSAT) — each person once."""
    owner = ctx.session.get(User, account.owner_id)
    people = [owner] if owner is not None else []
    if managers and owner is not None:
        people += users.managers_of(ctx.session, owner)
    if roles and account.id is not None:
        for user_id in members.member_ids_with_role(ctx.session, account.id, roles):
            member = ctx.session.get(User, user_id)
            if member is not None:
                people.append(member)
    seen = set()
    for person in people:
        if person.id in seen or not person.active:
            continue
        seen.add(person.id)
        ctx.notify_user(person.id, build(person.language))
