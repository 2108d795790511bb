"""``/team`` (``/协同``): an account's supporting team — who else works it, and as what.

    /team Acme                         the owner and the members with their roles
    /team Acme add @dave tech          tech · service · legal · finance · exec-sponsor · other
    /team Acme remove @dave
    /协同 华夏重工 加 @王磊 技术          技术 · 服务 · 法务 · 财务 · 高层 · 其他
    /协同 华夏重工 移除 @王磊

The one accountable owner stays the owner (``Account.owner_id``); members read the
account, log interactions, complaints and CSAT, add next steps and may be given them
(``handlers.auth.can_contribute``), and receive the pushes of their role (service:
complaints and low CSAT; finance: overdue receivables; exec sponsor: the A-tier lapse).

The team is changed by the account's owner, a manager of its team and admins — not by
a member, nor by the owner's teammates.  Adding the owner is refused, as is adding
someone inactive; adding a member again changes their role (old → new is echoed).
Every change is audited and undoable, and the person added, moved or removed is told.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from domain.errors import Forbidden, InvalidInput, ParseError
from domain.models import Account, AccountMember, MemberRole, Role, User
from handlers.auth import can_write, require_read, require_write
from handlers.clarify import Choice, Choose
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.text import normalize
from handlers.people import looks_like_user_ref, parse_user_ref, resolve_user
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views.team import role_label
from storage import audit
from storage.members import members_of, membership
from storage.tasks import count_open

_ = Catalog("team")

_ADD = {"add", "+", "加", "添加", "加入", "增加"}
_REMOVE = {"remove", "rm", "del", "delete", "-", "移除", "删除", "去掉", "删", "移出"}

ROLE_WORDS: dict[str, MemberRole] = {
    "tech": MemberRole.tech,
    "technical": MemberRole.tech,
    "engineer": MemberRole.tech,
    "presales": MemberRole.tech,
    "技术": MemberRole.tech,
    "售前": MemberRole.tech,
    "service": MemberRole.service,
    "support": MemberRole.service,
    "cs": MemberRole.service,
    "服务": MemberRole.service,
    "客服": MemberRole.service,
    "售后": MemberRole.service,
    "legal": MemberRole.legal,
    "法务": MemberRole.legal,
    "finance": MemberRole.finance,
    "财务": MemberRole.finance,
    "exec-sponsor": MemberRole.exec_sponsor,
    "exec_sponsor": MemberRole.exec_sponsor,
    "sponsor": MemberRole.exec_sponsor,
    "exec": MemberRole.exec_sponsor,
    "exec sponsor": MemberRole.exec_sponsor,
    "executive sponsor": MemberRole.exec_sponsor,
    "executive": MemberRole.exec_sponsor,
    "高层": MemberRole.exec_sponsor,
    "高管": MemberRole.exec_sponsor,
    "高层赞助": MemberRole.exec_sponsor,
    "other": MemberRole.other,
    "其他": MemberRole.other,
    "其它": MemberRole.other,
}

_WORDS = re.compile(r"[\s,，、:：]+")


class TeamCommand(BaseModel):
    command: str = "team"
    account: str
    action: Literal["list", "add", "remove"] = "list"
    user: str | None = None  # a handle (or a mention's token)
    role: MemberRole | None = None


def team_writes(args: str) -> bool:
    """``/team Acme add …`` and ``… remove …`` change the book; ``/team Acme`` reads."""
    return any(w.casefold() in _ADD | _REMOVE for w in _WORDS.split(args.strip()) if w)


def parse_team(args: str, pctx: ParseContext) -> TeamCommand:
    lang = pctx.lang
    account, rest = split_account(args, pctx)
    words = [w for w in _WORDS.split(normalize(rest)) if w]
    if not words:
        return TeamCommand(account=account)
    verb = words[0].casefold()
    if verb not in _ADD | _REMOVE:
        raise ParseError(_("bad_action", lang, text=words[0], account=account))
    action: Literal["add", "remove"] = "add" if verb in _ADD else "remove"
    if len(words) < 2 or not looks_like_user_ref(words[1]):
        raise ParseError(_("who", lang, account=account))
    ref = parse_user_ref(words[1], lang)
    handle = ref.handle if ref.handle else "me"
    cmd = TeamCommand(account=account, action=action, user=handle)
    extra = words[2:]
    if action == "remove":
        if extra:
            raise ParseError(_("remove_extra", lang, text=" ".join(extra), account=account))
        return cmd
    if not extra:
        typed = f'"{account}"' if any(ch.isspace() for ch in account) else account
        # five choices fit (``Choose``): the roles with pushes and legal; "other" is typed
        roles = [r for r in MemberRole if r != MemberRole.other]
        raise Choose(
            _("which_role", lang, who=f"@{handle}", account=account),
            [
                Choice(role_label(role.value, lang), f"team {typed} add @{handle} {role.value}")
                for role in roles
            ],
        )
    role = ROLE_WORDS.get(" ".join(extra).casefold())
    if role is None:
        raise ParseError(_("bad_role", lang, text=" ".join(extra)))
    cmd.role = role
    return cmd


@command(
    name="team",
    aliases=("协同", "协作", "团队"),
    parse=parse_team,
    writes=team_writes,
)
def run_team(ctx: Context, cmd: TeamCommand) -> Reply:
    account = resolve_account(ctx, cmd.account)
    if cmd.action == "list":
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _team_reply(ctx, account, Reply(title=_("title", ctx.lang, account=account.name)))
    _require_team_changer(ctx, account)
    assert cmd.user is not None
    ref = parse_user_ref(cmd.user, ctx.lang)
    person = resolve_user(ctx, ref)
    if cmd.action == "add":
        assert cmd.role is not None
        return _add(ctx, account, person, cmd.role)
    return _remove(ctx, account, person)


def _require_team_changer(ctx: Context, account: Account) -> None:
    """The owner, a manager of the account's team, or an admin; then the account lock."""
    actor = ctx.actor
    allowed = (
        actor.role == Role.admin
        or account.owner_id == actor.id
        or (actor.role == Role.manager and can_write(ctx.session, actor, account))
    )
    if not allowed:
        require_read(ctx.session, actor, account, ctx.lang)
        raise Forbidden(_("not_allowed", ctx.lang, account=account.name))
    require_write(ctx.session, actor, account, ctx.lang)


def _add(ctx: Context, account: Account, person: User, role: MemberRole) -> Reply:
    lang = ctx.lang
    if person.id == account.owner_id:
        raise InvalidInput(_("is_owner", lang, who=person.display_name, account=account.name))
    if not person.active:
        raise InvalidInput(_("inactive", lang, who=person.display_name))
    assert account.id is not None and person.id is not None
    row = membership(ctx.session, account.id, person.id)
    if row is not None and row.role == role.value:
        reply = Reply(
            title=_(
                "already",
                lang,
                who=person.display_name,
                account=account.name,
                role=role_label(role.value, lang),
            )
        )
        return _team_reply(ctx, account, reply)
    if row is not None:
        before = audit.snapshot(row)
        was = row.role
        row.role = role.value
        ctx.session.add(row)
        ctx.audit(
            "update",
            row,
            before=before,
            account_id=account.id,
            summary=f"team: @{person.handle} {was} → {role.value}",
        )
        title = _(
            "role_changed",
            lang,
            who=person.display_name,
            account=account.name,
            was=role_label(was, lang),
            role=role_label(role.value, lang),
        )
        told = "told_changed"
    else:
        row = AccountMember(
            account_id=account.id,
            user_id=person.id,
            role=role.value,
            added_by_id=ctx.actor.id,
            created_at=ctx.now,
        )
        ctx.session.add(row)
        ctx.audit(
            "create", row, account_id=account.id, summary=f"team: @{person.handle} {role.value}"
        )
        title = _(
            "added",
            lang,
            who=person.display_name,
            account=account.name,
            role=role_label(role.value, lang),
        )
        told = "told_added"
    reply = _team_reply(ctx, account, Reply(title=title, severity=Severity.success))
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    their = person.language
    ctx.notify_user(
        person.id,
        Reply(
            title=_(
                told,
                their,
                actor=ctx.actor.display_name,
                account=account.name,
                role=role_label(role.value, their),
            ),
            actions=[Action(_("view", their), f"account {account.name}")],
        ),
    )
    return reply


def _remove(ctx: Context, account: Account, person: User) -> Reply:
    lang = ctx.lang
    assert account.id is not None and person.id is not None
    row = membership(ctx.session, account.id, person.id)
    if row is None:
        raise InvalidInput(_("not_member", lang, who=person.display_name, account=account.name))
    was = row.role
    before = audit.snapshot(row)
    ctx.session.delete(row)
    ctx.audit(
        "delete", row, before=before, account_id=account.id, summary=f"team: @{person.handle} out"
    )
    ctx.session.flush()
    reply = Reply(
        title=_(
            "removed",
            lang,
            who=person.display_name,
            account=account.name,
            role=role_label(was, lang),
        ),
        severity=Severity.success,
    )
    left = count_open(ctx.session, owner_ids=[person.id], account_id=account.id)
    if left:
        reply.lines.append(_("open_steps", lang, who=person.display_name, n=left))
    reply = _team_reply(ctx, account, reply)
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    their = person.language
    ctx.notify_user(
        person.id,
        Reply(title=_("told_removed", their, actor=ctx.actor.display_name, account=account.name)),
    )
    return reply


def _team_reply(ctx: Context, account: Account, reply: Reply) -> Reply:
    """``reply`` with the team as it now stands: the owner, then each member's role."""
    lang = ctx.lang
    owner = ctx.session.get(User, account.owner_id)
    owner_text = f"{owner.display_name} (@{owner.handle})" if owner else "—"
    reply.fields.append(Field(_("owner", lang), owner_text))
    assert account.id is not None
    members = members_of(ctx.session, account.id)
    for m in members:
        label = f"{m.user.display_name} (@{m.user.handle})"
        if not m.user.active:
            label += " · " + _("inactive_mark", lang)
        reply.fields.append(Field(role_label(m.role, lang), label))
    if not members:
        reply.lines.append(_("none", lang, account=account.name))
    return reply
