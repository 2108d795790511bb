"""``/account new Zenith Corp`` (``/客户 新建 …``, ``/新客户 …``): a new account, after
checking the book for one it may already be.

    /account new Zenith Corp alias Zenith, ZC owner @carol team East industry Robotics region APAC
    /新客户 新星科技 别名 新星 负责人 @wang 行业 制造 地区 华东

The name is what comes before the first option word (quote it when it holds one:
``/account new "Dream Team Ltd"``).  A rep creates accounts for their own team (owned
by themselves or someone of their team), a manager for the teams they manage, an admin
anywhere.  Before anything is written the book is searched for the account it may
already be (``handlers.new_accounts.near_accounts``): the very name or an alias is
refused; a near one (another spelling, legal form, Chinese short name, typo) is asked
about — "Did you mean Acme? · Create Zenith Corp anyway" — where an account of a team
the asker may not see shows only that team.  ``--anyway`` (what that choice sends)
skips the question, never the refusal.  ``then /visit "Zenith Corp" …`` runs a message
on the new account in the same transaction: how a visit to an account kam did not know
creates it and is logged there in one reply.  The account's tier is scored as an
import scores it (``storage.tiering.rescore``); each row is audited, so ``/undo`` takes
the account (and what ran on it) back.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from domain.errors import Forbidden, InvalidInput, NotFound, ParseError
from domain.models import Account, AccountAlias, AccountStatus, Role, Team, User
from handlers.clarify import Choice, Choose
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.new_accounts import (
    ANYWAY,
    create_text,
    describe,
    near_accounts,
    quote,
)
from handlers.parsing.company_names import LEGAL_WORDS
from handlers.parsing.entities import compact
from handlers.parsing.text import fold
from handlers.people import find_team, find_user, user_ref_of
from handlers.replies import Action, Field, Reply, Severity
from handlers.views.tiers import tier_label
from storage.tiering import rescore
from storage.users import managed_team_ids

_ = Catalog("account.create")

NEW_WORDS = ("new", "create", "新建", "新增", "创建")
MAX_NAME = 200
MAX_TEXT = 100
_QUOTES = {'"': '"', "“": "”", "「": "」", "'": "'", "‘": "’"}
_OPTIONS = {
    "alias": "aliases",
    "aliases": "aliases",
    "aka": "aliases",
    "别名": "aliases",
    "简称": "aliases",
    "owner": "owner",
    "负责人": "owner",
    "team": "team",
    "团队": "team",
    "industry": "industry",
    "行业": "industry",
    "region": "region",
    "地区": "region",
    "区域": "region",
}
_OPTION = re.compile(
    r"(?:^|(?<=[\s,，;；]))(" + "|".join(sorted(_OPTIONS, key=len, reverse=True)) + r")",
    re.IGNORECASE,
)
_ANYWAY = re.compile(r"(?:^|(?<=\s))(?:--anyway|—anyway|仍然新建|仍然创建|照样新建)(?=\s|$)")
_THEN = re.compile(r"\s(?:then|然后)\s+(?=[/／])", re.IGNORECASE)
_LIST = re.compile(r"\s*[,，、;；/]\s*")
_EDGES = " \t\n,，、:：;；.。"


class AccountNew(BaseModel):
    command: str = "account_new"
    name: str
    aliases: list[str] = []
    owner: str | None = None
    team: str | None = None
    industry: str | None = None
    region: str | None = None
    anyway: bool = False  # the near-duplicate question was answered: create
    then: str | None = None  # a message to run on the new account, in the same transaction
    options: str = ""  # the options as typed, to write the "create anyway" message


def is_new(args: str) -> bool:
    """``args`` asks for a new account (``new Zenith Corp``)."""
    word = fold(args).strip().split(" ", 1)[0]
    return word.casefold() in NEW_WORDS


def after_new_word(args: str) -> str:
    return args.strip().split(" ", 1)[1] if " " in args.strip() else ""


# --- reading ------------------------------------------------------------------------------


def _no_name(lang: str) -> ParseError:
    return ParseError(_("no_name", lang, example=_("example", lang)))


def parse_new(args: str, pctx: ParseContext) -> AccountNew:
    lang = pctx.lang
    text = args.strip()
    quoted_end = 0
    if text[:1] in _QUOTES:
        close = text.find(_QUOTES[text[0]], 1)
        quoted_end = close + 1 if close > 1 else 0
    then = None
    found = _THEN.search(fold(text), quoted_end)
    if found:
        then = text[found.end() :].strip()
        text = text[: found.start()]
    marks = list(_ANYWAY.finditer(fold(text), quoted_end))
    anyway = bool(marks)
    for m in reversed(marks):  # cut out as typed (``fold`` keeps every position)
        text = text[: m.start()] + text[m.end() :]
    if quoted_end:
        name, rest = text[1 : quoted_end - 1].strip(), text[quoted_end:].strip()
    else:
        first = _option_at(text, 0)
        cut = first.start(1) if first else len(text)
        name, rest = text[:cut], text[cut:].strip()
    name = _name_as_written(name)
    if not compact(name):
        raise _no_name(lang)
    if len(name) > MAX_NAME:
        raise ParseError(_("too_long", lang, what=name[:30] + "…", n=MAX_NAME))
    cmd = AccountNew(name=name, anyway=anyway, then=then or None, options=rest)
    _read_options(rest, cmd, lang)
    return cmd


def _name_as_written(name: str) -> str:
    """The name without the punctuation around it, keeping the full stop of a legal
    form (``Acme Co.``, ``Zenith Inc.``)."""
    bare = name.strip(_EDGES)
    rest = name.strip(" \t\n,，、:：;；")
    if rest.endswith(".") and bare and fold(bare.split()[-1]).casefold() in LEGAL_WORDS:
        return bare + "."
    return bare


def _option_at(text: str, start: int) -> re.Match[str] | None:
    """The first option word in ``text`` from ``start`` (a Latin one as a whole word)."""
    for m in _OPTION.finditer(fold(text), start):
        word = m.group(1)
        after = text[m.end(1) : m.end(1) + 1]
        if word.isascii() and after and not (after.isspace() or after in ":："):
            continue  # ``Teamwork``, ``Regional``: not an option word
        return m
    return None


def _read_options(rest: str, cmd: AccountNew, lang: str) -> None:
    marks = []
    at = 0
    while (m := _option_at(rest, at)) is not None:
        marks.append(m)
        at = m.end(1)
    if rest and (not marks or marks[0].start(1) > 0):
        stray = rest[: marks[0].start(1)] if marks else rest
        raise ParseError(_("unread", lang, words=stray.strip(), example=_("example", lang)))
    for i, m in enumerate(marks):
        end = marks[i + 1].start(1) if i + 1 < len(marks) else len(rest)
        option = _OPTIONS[m.group(1).casefold()]
        value = rest[m.end(1) : end].strip(_EDGES)
        if not value:
            raise ParseError(_("empty_option", lang, option=m.group(1), example=_("example", lang)))
        if option == "aliases":
            for alias in _LIST.split(value):
                alias = alias.strip(_EDGES + "\"“”「」'")
                if alias and compact(alias) != compact(cmd.name) and alias not in cmd.aliases:
                    if len(alias) > MAX_NAME:
                        raise ParseError(_("too_long", lang, what=alias[:30] + "…", n=MAX_NAME))
                    cmd.aliases.append(alias)
            continue
        if getattr(cmd, option) is not None:
            raise ParseError(_("twice", lang, option=m.group(1), example=_("example", lang)))
        if option in ("industry", "region") and len(value) > MAX_TEXT:
            raise ParseError(_("too_long", lang, what=value[:30] + "…", n=MAX_TEXT))
        setattr(cmd, option, value)


# --- running ------------------------------------------------------------------------------


def run_new(ctx: Context, cmd: AccountNew) -> Reply:
    lang, session, actor = ctx.lang, ctx.session, ctx.actor
    owner = _owner(ctx, cmd)
    team = _team(ctx, cmd, owner)
    _may_create(ctx, owner, team, named_team=bool(cmd.team))
    _check_book(ctx, cmd)
    account = Account(
        name=cmd.name,
        owner_id=owner.id,
        team_id=team.id if team else None,
        industry=cmd.industry,
        region=cmd.region,
        status=AccountStatus.active.value,
    )
    session.add(account)
    session.flush()
    rescore(session, account, ctx.settings.tiers)
    ctx.audit("create", account, account_id=account.id, summary=f"account {account.name} created")
    for alias in cmd.aliases:
        link = AccountAlias(account_id=account.id, alias=alias)
        session.add(link)
        ctx.audit("create", link, account_id=account.id, summary=f"{account.name}: alias {alias}")
    if owner.id != actor.id:
        _tell_owner(ctx, account, owner, team)
    if cmd.then:
        return _run_then(ctx, cmd, account, owner, team)
    reply = Reply(title=_("created", lang, name=account.name), severity=Severity.success)
    reply.fields += _fields(ctx, account, cmd.aliases, owner, team, lang)
    reply.lines.append(_("undo_hint", lang, hours=ctx.settings.undo_own_hours))
    reply.actions.append(Action(_("log_visit", lang), f"visit {account.name} ", kind="modal"))
    return reply


def _owner(ctx: Context, cmd: AccountNew) -> User:
    if not cmd.owner:
        return ctx.actor
    owner = find_user(ctx, user_ref_of(cmd.owner))
    if owner is None:
        raise NotFound(_("no_owner", ctx.lang, who=cmd.owner, example=_("example", ctx.lang)))
    if not owner.active:
        raise InvalidInput(_("inactive_owner", ctx.lang, who=owner.display_name))
    return owner


def _team(ctx: Context, cmd: AccountNew, owner: User) -> Team | None:
    lang, session, actor = ctx.lang, ctx.session, ctx.actor
    if cmd.team:
        return find_team(
            ctx,
            cmd.team,
            unknown=lambda name: _("no_team", lang, name=name),
            suggest_cutoff=40,
        )
    team_id = owner.team_id  # the owner's team (the asker's, by default)
    if team_id is None and actor.role == Role.manager:
        managed = managed_team_ids(session, actor)
        if len(managed) != 1:
            raise InvalidInput(_("which_team", lang, example=_("example", lang)))
        team_id = next(iter(managed))
    return session.get(Team, team_id) if team_id is not None else None


def _may_create(ctx: Context, owner: User, team: Team | None, *, named_team: bool) -> None:
    """A rep for their own team, a manager for the teams they manage, an admin anywhere;
    the owner is the asker or someone of that team."""
    lang, session, actor = ctx.lang, ctx.session, ctx.actor
    if actor.role == Role.admin:
        return
    allowed = {actor.team_id} - {None}
    if actor.role == Role.manager:
        allowed |= managed_team_ids(session, actor)
    if not allowed:
        raise Forbidden(_("no_team_of_yours", lang))
    if team is None or team.id not in allowed:
        if owner.id != actor.id and not named_team:  # the owner's team, not the asker's
            yours = session.get(Team, actor.team_id) if actor.team_id else None
            where = yours.name if yours else "—"
            raise Forbidden(_("owner_not_in_team", lang, owner=owner.display_name, team=where))
        raise Forbidden(_("team_not_yours", lang, team=team.name if team else "—"))
    if owner.id != actor.id and owner.team_id != team.id:
        raise Forbidden(_("owner_not_in_team", lang, owner=owner.display_name, team=team.name))


def _check_book(ctx: Context, cmd: AccountNew) -> None:
    """Refuse a name or alias the book has; ask about a near one (unless ``anyway``)."""
    lang = ctx.lang
    near = near_accounts(ctx, [cmd.name, *cmd.aliases])
    exact = [n for n in near if n.exact]
    if exact:
        n = exact[0]
        if n.readable:
            line = _("exists", lang, typed=n.typed, what=describe(ctx, n), name=n.account.name)
        else:
            line = _("exists_elsewhere", lang, typed=n.typed, what=describe(ctx, n))
        raise InvalidInput(line)
    if not near or cmd.anyway:
        return
    choices: list[Choice] = []
    lines: list[str] = []
    for n in near:
        if not n.readable:
            lines.append(_("near_elsewhere", lang, what=describe(ctx, n)))
            continue
        if cmd.then:  # run the message on the account it was after all: nothing created
            text = cmd.then.replace(quote(cmd.name), quote(n.account.name), 1)
        else:
            text = f"/account {quote(n.account.name)}"
        choices.append(Choice(describe(ctx, n), text))
    anyway = create_text(cmd.name, cmd.options, anyway=True, then=cmd.then)
    choices = choices[:4]
    choices.append(Choice(_("create_anyway", lang, name=cmd.name), anyway))
    readable = [n for n in near if n.readable]
    question = (
        _("did_you_mean", lang, what=describe(ctx, readable[0]))
        if readable
        else _("similar_exists", lang, name=cmd.name)
    )
    raise Choose(question, choices, lines=lines)


def _fields(
    ctx: Context,
    account: Account,
    aliases: list[str],
    owner: User,
    team: Team | None,
    lang: str,
) -> list[Field]:
    out = [Field(_("name", lang), account.name)]
    if aliases:
        out.append(Field(_("aliases", lang), ", ".join(aliases)))
    who = owner.display_name + (f" · {team.name}" if team else "")
    out.append(Field(_("owner", lang), who))
    if account.industry:
        out.append(Field(_("industry", lang), account.industry))
    if account.region:
        out.append(Field(_("region", lang), account.region))
    tier = account.effective_tier
    out.append(Field(_("tier", lang), f"{tier} {tier_label(tier, lang)} · {account.score:.0f}"))
    return out


def _run_then(
    ctx: Context, cmd: AccountNew, account: Account, owner: User, team: Team | None
) -> Reply:
    """Run ``cmd.then`` on the new account, in this transaction; say both."""
    lang = ctx.lang
    assert cmd.then is not None
    word, _sep, args = cmd.then.strip().lstrip("/／").strip().partition(" ")
    spec = ctx.commands.find(word)
    if spec is None or spec.name == "newaccount" or (spec.name == "account" and is_new(args)):
        raise ParseError(_("bad_then", lang, text=cmd.then))
    if ctx.actor.role not in spec.roles:
        raise Forbidden(_("bad_then", lang, text=cmd.then))
    ctx.command, ctx.args = spec, args.strip()
    try:
        reply = spec.run(ctx, spec.parse(args.strip(), ctx.parse))
    except Choose as asked:  # the message asks: each answer creates the account too
        again = [
            Choice(
                c.label,
                create_text(
                    cmd.name, cmd.options, anyway=True, then="/" + c.text.strip().lstrip("/")
                ),
            )
            for c in asked.choices
        ]
        raise Choose(asked.question, again, lines=asked.lines) from None
    tier = account.effective_tier
    created = _(
        "created_line",
        lang,
        name=account.name,
        owner=owner.display_name + (f" · {team.name}" if team else ""),
        tier=f"{tier} {tier_label(tier, lang)}",
    )
    reply.lines.insert(0, created)
    return reply


def _tell_owner(ctx: Context, account: Account, owner: User, team: Team | None) -> None:
    lang = owner.language
    ctx.notify_user(
        owner.id,
        Reply(
            title=_("yours", lang, who=ctx.actor.display_name, name=account.name),
            fields=_fields(ctx, account, [], owner, team, lang),
            actions=[Action(_("view", lang), f"account {account.name}")],
        ),
    )


__all__ = ["ANYWAY", "AccountNew", "after_new_word", "is_new", "parse_new", "run_new"]
