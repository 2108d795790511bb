"""``/user`` (``/用户``, also ``/kam user``): who may use kam, in which team and role.

    /user add @carol rep team East manager @bob lang zh tz America/New_York name "Carol Wu"
    /user add @carol rep team East   (a Slack or WeCom mention of carol also sets her id)
    /user list [TEAM | all]        /user @carol        (everyone may read the directory)
    /user set @carol team 华东      /user set me lang zh
    /user remove @carol            (deactivates; accounts and history keep their owner)
    /用户 添加 @zhangsan 销售 团队 华东 企业微信 zhangsan

Who may change whom:

* an admin: anyone and everything; a team named that does not exist yet is created;
* a manager: adds reps to the teams they manage (the new rep reports to them unless
  ``manager @who`` says otherwise), and changes or deactivates reps in those teams —
  never roles, never other managers or admins;
* anyone: their own display name, language, timezone and email (``/user set me …``).

A new person's language is ``lang`` if given, else Chinese for someone reached only on
WeCom, else the language of whoever adds them; the timezone defaults to kam's.
Handles, Slack ids and WeCom ids are unique; a clash is refused naming who holds it.
Adding a deactivated person again reactivates them.  Nobody deactivates themselves,
and the last admin can be neither removed nor demoted.
The command line is read by ``handlers.parsing.users``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field

from domain.errors import Forbidden, InvalidInput, NotFound
from domain.models import Role, Team, TeamManager, User
from handlers.auth import may_see_person
from handlers.context import Context, IdentityRef
from handlers.events import UserRegistered
from handlers.i18n import Catalog
from handlers.paging import page_of, paged
from handlers.parsing.users import UserCommand, UserOptions, parse_user
from handlers.people import (
    HANDLE,
    ME_WORDS,
    UserRef,
    find_user,
    mention_of,
    resolve_user,
)
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from storage import audit, locks, users
from storage import handover as handover_repo

SELF_SERVICE = {"display_name", "language", "timezone", "email"}

_ = Catalog("users")


# --- running -------------------------------------------------------------------------


@command(
    name="user",
    aliases=("用户", "users"),
    parse=parse_user,
    writes=True,
    group="admin",
)
def run_user(ctx: Context, cmd: UserCommand) -> Reply:
    if cmd.action == "list":
        return _list(ctx, cmd)
    assert cmd.target is not None
    if cmd.action == "show":
        user = resolve_user(ctx, cmd.target)
        return _card(ctx, user, f"{user.display_name} (@{user.handle})")
    if cmd.action == "add":
        return _add(ctx, cmd.target, cmd.options)
    if cmd.action == "set":
        return _set(ctx, resolve_user(ctx, cmd.target), cmd.options)
    return _remove(ctx, resolve_user(ctx, cmd.target))


@dataclass
class _Changes:
    """What a command did besides the user row itself: new teams, who manages what."""

    lines: list[str] = dc_field(default_factory=list)
    links: bool = False


def _add(ctx: Context, ref: UserRef, opts: UserOptions) -> Reply:
    lang, session, actor = ctx.lang, ctx.session, ctx.actor
    if actor.role == Role.rep:
        raise Forbidden(_("reps_cannot_add", lang))
    if actor.role != Role.admin and (opts.role not in (None, Role.rep) or opts.manages):
        raise Forbidden(_("admins_only", lang, what=_("what_roles", lang)))
    mention = mention_of(ctx, ref)
    _hold_names(ctx, [opts.handle, ref.handle, _handle_from(mention) if mention else None],
                opts.team)  # fmt: skip
    existing = find_user(ctx, ref) or (
        users.by_handle(session, opts.handle) if opts.handle else None
    )
    if existing is not None and existing.active:
        raise InvalidInput(_("exists", lang, name=existing.display_name, handle=existing.handle))
    changes = _Changes()
    team = _team_for_add(ctx, opts, changes)

    if existing is not None:  # adding a deactivated person again brings them back
        user = existing
        if actor.role != Role.admin and not _is_managers_rep(ctx, user, team):
            raise Forbidden(_("not_your_rep", lang, name=user.display_name))
        before = audit.snapshot(user)
        user.active = True
        pending = _apply_fields(ctx, user, opts, team)
        ctx.audit("update", user, before=before, summary=f"user {user.handle} reactivated")
        _apply_identities(ctx, user, pending)
        title = _("reactivated", lang, name=user.display_name, handle=user.handle)
    else:
        mention = mention_of(ctx, ref)
        handle = opts.handle or (_handle_from(mention) if mention else ref.handle) or ""
        if not HANDLE.fullmatch(handle):
            raise InvalidInput(_("bad_handle", lang, handle=handle))
        named = mention.name if mention else None
        display = opts.display_name or named or (handle.title() if handle.isascii() else handle)
        taken = {mention.platform: mention.external_id} if mention else {}
        user = User(
            handle=handle,
            display_name=display[:100],
            language=_language_for(ctx, {**taken, **(opts.identities or {})}),
            timezone=ctx.settings.timezone,
            manager_id=actor.id if actor.role == Role.manager else None,
        )
        _check_unique(ctx, user, handle=handle, identities=taken)
        pending = _apply_fields(ctx, user, opts.model_copy(update={"handle": None}), team)
        ctx.audit("create", user, summary=f"user {handle} added")
        pending = {**taken, **pending}
        _apply_identities(ctx, user, pending)
        title = _("added", lang, name=user.display_name, handle=user.handle)
    _apply_links(ctx, user, opts, team, changes)
    identities = users.identities_of(session, user.id)
    if identities:
        explicit = frozenset(k for k in ("display_name", "timezone", "email") if getattr(opts, k))
        ctx.emit(UserRegistered(user.id, identities, actor.id, ctx.request_id, explicit))
    ctx.notify_user(
        user.id,
        Reply(title=_("welcome", user.language, name=user.display_name, actor=actor.display_name)),
    )
    return _card(ctx, user, title, changes.lines, severity=Severity.success, undo=True)


def _language_for(ctx: Context, identities: dict[str, str]) -> str:
    """Someone reached only on platforms with a language of their own (WeCom: Chinese)
    reads that; otherwise the language of whoever adds them."""
    langs = {ctx.parse.languages.get(platform) for platform in identities}
    if len(langs) == 1 and None not in langs:
        return langs.pop() or ctx.lang
    return ctx.lang


def _handle_from(mention: IdentityRef) -> str:
    """A handle for someone known only by a mention: its display part, else the id."""
    if mention.name:
        candidate = re.sub(r"[^\w.\-]+", ".", mention.name.strip()).strip(".").lower()
        if candidate and HANDLE.fullmatch(candidate) and candidate not in ME_WORDS:
            return candidate
    return mention.external_id.lower()


def _team_for_add(ctx: Context, opts: UserOptions, changes: _Changes) -> Team | None:
    """The team a new user joins; a manager adding someone names (or implies) one of theirs."""
    if opts.team is not None:
        return _team(ctx, opts.team, changes)
    if ctx.actor.role != Role.manager:
        return None
    managed = _managed_teams(ctx)
    if len(managed) == 1:
        return managed[0]
    names = ", ".join(t.name for t in managed) or "—"
    raise InvalidInput(_("manager_team_needed", ctx.lang, teams=names))


def _managed_teams(ctx: Context) -> list[Team]:
    ids = users.managed_team_ids(ctx.session, ctx.actor)
    if not ids:
        return []
    return users.teams_by_ids(ctx.session, ids)


def _team(ctx: Context, name: str, changes: _Changes) -> Team:
    """An existing team (case-insensitive); for an admin a missing one is created (audited)."""
    team = users.team_by_name(ctx.session, name)
    if team is not None:
        if ctx.actor.role == Role.manager and team.id not in users.managed_team_ids(
            ctx.session, ctx.actor
        ):
            raise Forbidden(_("not_your_team", ctx.lang, team=team.name))
        return team
    if ctx.actor.role != Role.admin:
        teams = ", ".join(t.name for t in _managed_teams(ctx)) or "—"
        raise NotFound(_("unknown_team", ctx.lang, team=name, teams=teams))
    team = Team(name=name)
    ctx.session.add(team)
    ctx.audit("create", team, summary=f"team {name} created")
    changes.lines.append(_("new_team", ctx.lang, team=name))
    return team


def _apply_fields(ctx: Context, user: User, opts: UserOptions, team: Team | None) -> dict[str, str]:
    """Copy the options onto the user row (permission already checked); returns the
    chat identities to give them (``_apply_identities``, once the row is audited)."""
    if opts.handle and opts.handle != user.handle:
        _check_unique(ctx, user, handle=opts.handle)
        user.handle = opts.handle
    pending = {}
    for platform, external_id in (opts.identities or {}).items():
        if external_id != users.identity_of(ctx.session, user.id, platform):
            _check_unique(ctx, user, identities={platform: external_id})
            pending[platform] = external_id
    for name in ("display_name", "email", "timezone", "language"):
        value = getattr(opts, name)
        if value is not None:
            setattr(user, name, value)
    if opts.role is not None and opts.role.value != user.role:
        if user.role == Role.admin:
            _require_other_admin(ctx, user)
        user.role = opts.role.value
    if team is not None:
        user.team_id = team.id
    if opts.manager is not None:
        manager = resolve_user(ctx, opts.manager)
        _refuse_loop(ctx, user, manager)
        _require_may_name_manager(ctx, user, manager)
        user.manager_id = manager.id
    if user.id is None or opts.display_name is not None or team is not None:
        _refuse_namesake(ctx, user)
    ctx.session.add(user)
    return pending


def _refuse_namesake(ctx: Context, user: User) -> None:
    """No two people a message could be confused between share a display name."""
    other = users.namesake(ctx.session, user)
    if other is not None:
        raise InvalidInput(
            _("taken_name", ctx.lang, name=user.display_name, other=other.display_name,
              handle=other.handle)
        )  # fmt: skip


def _apply_identities(ctx: Context, user: User, pending: dict[str, str]) -> bool:
    ctx.session.flush()
    for platform, external_id in pending.items():
        _set_identity(ctx, user, platform, external_id)
    return bool(pending)


def _set_identity(ctx: Context, user: User, platform: str, external_id: str) -> None:
    """Give the user a chat identity, audited so that /undo takes it back."""
    row, before = users.set_identity(ctx.session, user, platform, external_id)
    action = "create" if before is None else "update"
    ctx.audit(action, row, before=before, summary=f"user {user.handle}: {platform} identity")


def _apply_links(
    ctx: Context, user: User, opts: UserOptions, team: Team | None, changes: _Changes
) -> None:
    """Which teams the user manages: ``manages`` sets the list; a manager placed in a team
    manages it; someone who is no longer a manager or admin manages none."""
    wanted: set[int] | None = None
    if user.role == Role.rep:
        wanted = set()
    elif opts.manages is not None:
        wanted = {_team(ctx, name, changes).id for name in opts.manages}
    elif user.role == Role.manager and team is not None:
        wanted = users.managed_team_ids(ctx.session, user) | {team.id}
    if wanted is not None:
        _set_managed(ctx, user, wanted, changes)


def _set_managed(ctx: Context, user: User, wanted: set[int], changes: _Changes) -> None:
    session = ctx.session
    current = users.manager_links(session, user)
    for team_id in sorted(wanted - set(current)):
        link = TeamManager(team_id=team_id, user_id=user.id)
        session.add(link)
        ctx.audit("create", link, summary=f"@{user.handle} manages team {team_id}")
        changes.links = True
    for team_id in sorted(set(current) - wanted):
        link = current[team_id]
        before = audit.snapshot(link)
        session.delete(link)
        ctx.audit("delete", link, before=before, summary=f"@{user.handle} leaves team {team_id}")
        changes.links = True


def _require_may_name_manager(ctx: Context, user: User, manager: User) -> None:
    """The line manager is someone the actor may see (``may_see_person``, the rule the
    reads ask) and a manager or an admin, whom that rule lets see their reports."""
    lang = ctx.lang
    if not may_see_person(ctx.session, ctx.actor, manager):
        raise Forbidden(
            _("manager_not_yours", lang, name=manager.display_name, them=user.display_name)
        )
    if manager.role == Role.rep:
        raise InvalidInput(_("manager_is_rep", lang, name=manager.display_name))


def _refuse_loop(ctx: Context, user: User, manager: User) -> None:
    """Nobody reports to themselves, directly or through others."""
    if manager.id == user.id and user.id is not None:
        raise InvalidInput(_("own_manager", ctx.lang))
    if user.id is None:
        return
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.manager_id is not None and current.id not in seen:
        seen.add(current.id)
        if current.manager_id == user.id:
            raise InvalidInput(
                _("manager_loop", ctx.lang, name=manager.display_name, them=user.display_name)
            )
        current = ctx.session.get(User, current.manager_id)


def _hold_names(ctx: Context, handles: list[str | None], team: str | None) -> None:
    """Hold the handles (then the team name) this command may create, until it commits
    (``storage.locks.name``): two adding the same person at once take turns, and the
    second finds the first's (a handle is one person, whatever its case)."""
    for handle in sorted({h.lstrip("@").casefold() for h in handles if h}):
        locks.name(ctx.session, "user_handle", handle)
    if team:
        locks.name(ctx.session, "team_name", team)


def _check_unique(
    ctx: Context,
    user: User,
    *,
    handle: str | None = None,
    identities: Mapping[str, str] | None = None,
) -> None:
    """Refuse a handle or chat identity someone else already holds, naming them."""
    lang, session = ctx.lang, ctx.session

    def state(other: User) -> str:
        return "" if other.active else _("state_inactive", lang)

    if handle:
        other = users.by_handle(session, handle)
        if other is not None and other.id != user.id:
            raise InvalidInput(
                _("taken_handle", lang, handle=handle, name=other.display_name, state=state(other))
            )
    for platform, value in (identities or {}).items():
        other = users.user_by_identity(session, platform, value)
        if other is not None and other.id != user.id:
            key = f"taken_{platform}"
            raise InvalidInput(
                _(key, lang, value=value, name=other.display_name, handle=other.handle)
                + state(other)
            )


def _require_other_admin(ctx: Context, user: User) -> None:
    # two admins removing each other at once: the second counts after the first commits
    locks.name(ctx.session, "admins", "")
    if not users.other_active_admins(ctx.session, user):
        raise InvalidInput(_("last_admin", ctx.lang, name=user.display_name))


def _is_managers_rep(ctx: Context, target: User, new_team: Team | None = None) -> bool:
    """Is ``target`` a rep the acting manager looks after (by line or by team)?"""
    if ctx.actor.role != Role.manager or target.role != Role.rep:
        return False
    if may_see_person(ctx.session, ctx.actor, target):
        return True
    return new_team is not None and new_team.id in users.managed_team_ids(ctx.session, ctx.actor)


def _require_may_change(ctx: Context, target: User, opts: UserOptions) -> None:
    """Admins change anyone; managers their reps; everyone their own basics."""
    lang, actor = ctx.lang, ctx.actor
    if actor.role == Role.admin:
        return
    if target.id == actor.id:
        if set(opts.model_dump(exclude_none=True)) - SELF_SERVICE:
            raise Forbidden(_("self_only", lang))
        return
    if _is_managers_rep(ctx, target):
        if opts.role not in (None, Role.rep) or opts.manages is not None:
            raise Forbidden(_("admins_only", lang, what=_("what_roles", lang)))
        return
    if actor.role == Role.manager:
        raise Forbidden(_("not_your_rep", lang, name=target.display_name))
    raise Forbidden(_("self_only", lang))


def _set(ctx: Context, user: User, opts: UserOptions) -> Reply:
    _require_may_change(ctx, user, opts)
    _hold_names(ctx, [opts.handle], opts.team)
    changes = _Changes()
    team = _team(ctx, opts.team, changes) if opts.team is not None else None
    before = audit.snapshot(user)
    pending = _apply_fields(ctx, user, opts, team)
    changed = audit.snapshot(user) != before
    if changed:
        ctx.audit("update", user, before=before, summary=f"user {user.handle} updated")
    changed = _apply_identities(ctx, user, pending) or changed
    _apply_links(ctx, user, opts, team, changes)
    if not (changed or changes.links or changes.lines):
        return _card(
            ctx, user, _("unchanged", ctx.lang, name=user.display_name, handle=user.handle)
        )
    title = _("updated", ctx.lang, name=user.display_name, handle=user.handle)
    return _card(ctx, user, title, changes.lines, severity=Severity.success, undo=True)


def _remove(ctx: Context, user: User) -> Reply:
    lang, session = ctx.lang, ctx.session
    if user.id == ctx.actor.id:
        raise InvalidInput(_("not_self", lang))
    _require_may_change(ctx, user, UserOptions())
    locks.name(session, "admins", "")  # names before rows (storage.locks)
    locks.rows(session, User, [user.id])  # read again: removed a moment ago?
    if not user.active:
        return _card(
            ctx, user, _("already_inactive", lang, name=user.display_name, handle=user.handle)
        )
    if user.role == Role.admin:
        _require_other_admin(ctx, user)
    before = audit.snapshot(user)
    user.active = False
    session.add(user)
    ctx.audit("update", user, before=before, summary=f"user {user.handle} deactivated")
    _set_managed(ctx, user, set(), _Changes())
    held = handover_repo.holdings(session, user.id)
    reply = Reply(
        title=_("removed", lang, name=user.display_name, handle=user.handle),
        footer=_("undo_hint", lang, hours=ctx.settings.undo_own_hours),
        severity=Severity.success,
    )
    if held.accounts or held.deals or held.tasks:
        reply.lines.append(
            _("keeps", lang, accounts=held.accounts, deals=held.deals, tasks=held.tasks)
        )
        reply.actions += _handover_actions(ctx, user)
    return reply


HANDOVER_CHOICES = 3  # teammates offered a one-tap handover when someone leaves


def _handover_actions(ctx: Context, user: User) -> list[Action]:
    """Hand over what a deactivated person still holds: one button per active teammate
    (up to ``HANDOVER_CHOICES``; ``/handover`` then asks which accounts), and a form
    prefilled with ``/handover @them to @`` for anyone else."""
    mates = [
        u
        for u in users.everyone(ctx.session, team_id=user.team_id, include_inactive=False)
        if u.id != user.id and u.role == Role.rep
    ] if user.team_id is not None else []  # fmt: skip
    actions = [
        Action(_("hand_to", ctx.lang, name=u.display_name),
               f"handover @{user.handle} to @{u.handle}")
        for u in mates[:HANDOVER_CHOICES]
    ]  # fmt: skip
    actions.append(Action(_("hand_over", ctx.lang), f"handover @{user.handle} to @", kind="modal"))
    return actions


# --- showing -------------------------------------------------------------------------


def _card(
    ctx: Context,
    user: User,
    title: str,
    lines: list[str] | None = None,
    *,
    severity: Severity = Severity.info,
    undo: bool = False,
) -> Reply:
    lang, session = ctx.lang, ctx.session
    none = _("none", lang)
    team = session.get(Team, user.team_id) if user.team_id else None
    manager = session.get(User, user.manager_id) if user.manager_id else None
    managed = users.managed_team_names(session, user)
    reply = Reply(title=title, severity=severity, lines=list(lines or []))
    reply.fields += [
        Field(_("role", lang), _role_label(user.role, lang)),
        Field(_("team", lang), team.name if team else none),
    ]
    if managed:
        reply.fields.append(Field(_("manages", lang), ", ".join(managed)))
    reply.fields += [
        Field(
            _("manager", lang), f"{manager.display_name} (@{manager.handle})" if manager else none
        ),
        Field(_("language", lang), _("language_name", user.language)),
        Field(_("timezone", lang), user.timezone),
    ]
    identities = users.identities_of(session, user.id)
    reply.fields += [Field(_(p, lang), identities.get(p) or none) for p in users.PLATFORMS]
    if user.email:
        reply.fields.append(Field(_("email", lang), user.email))
    if not user.active:
        reply.fields.append(Field(_("status", lang), _("inactive", lang)))
    if undo:
        reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    return reply


def _role_label(role: str, lang: str) -> str:
    return _(f"role_{role}", lang) if f"role_{role}" in _ else role


def _list(ctx: Context, cmd: UserCommand) -> Reply:
    lang, session = ctx.lang, ctx.session
    team = None
    if cmd.team:
        team = users.team_by_name(session, cmd.team)
        if team is None:
            names = ", ".join(users.team_names(session).values()) or "—"
            raise NotFound(_("unknown_team", lang, team=cmd.team, teams=names))
    people = users.everyone(
        session, team_id=team.id if team else None, include_inactive=cmd.include_inactive
    )
    if not people:
        return Reply(title=_("list_empty", lang))
    teams = users.team_names(session)
    by_id = {u.id: u for u in users.everyone(session)}
    identities = users.all_identities(session)
    groups: dict[str, list[str]] = {}
    for u in people:
        parts = [f"@{u.handle}", u.display_name, _role_label(u.role, lang)]
        if u.manager_id and u.manager_id in by_id:
            parts.append(f"→ {by_id[u.manager_id].display_name}")
        on = identities.get(u.id, {})
        platforms = [_(p, lang) for p in users.PLATFORMS if on.get(p)]  # "WeCom" is 企业微信
        if platforms:
            parts.append("/".join(platforms))
        if not u.active:
            parts.append(_("inactive", lang))
        name = teams.get(u.team_id) if u.team_id else None
        groups.setdefault(name or _("no_team", lang), []).append(" · ".join(parts))
    reply = Reply(title=_("list_title", lang, n=len(people)), footer=_("list_footer", lang))
    ordered = [
        (name, line)
        for name in sorted(groups, key=lambda n: (n == _("no_team", lang), n))
        for line in groups[name]
    ]
    page = page_of(len(ordered), cmd.page)
    shown: dict[str, list[str]] = {}
    for name, line in ordered[page.offset : page.offset + page.size]:
        shown.setdefault(name, []).append(line)
    for name, lines in shown.items():
        reply.add_section(_("list_team_title", lang, team=name, n=len(groups[name])), lines)
    words = [_("page_command", lang)]
    words += [cmd.team] if cmd.team else []
    words += ["all"] if cmd.include_inactive else []
    return paged(reply, page, lang, " ".join(words))
