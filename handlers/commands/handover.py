"""``/handover`` (``/交接``): hand a person's accounts to someone else, and all that
hangs off them.

    /handover @alice to @carol Acme, Globex note Li Wei prefers WeChat
    /handover @alice to @carol all with goals
    /交接 @王磊 给 @carol 全部 备注 华夏重工下周要续约
    /handover @alice to @carol          (which accounts? kam asks: all of them, or one)

What moves, in one transaction: the accounts' owner (and their team, to the new
owner's: the account follows whoever is accountable for it, and the reply says so);
the open deals and open next steps the previous owner holds on them; their active
reminders (a reminder is pushed to the account's owner, so it now reaches the new
owner; those the previous owner set become the new owner's to change); a snooze
stays on its account and is named.  Closed deals, done next steps and other
people's next steps stay as they are.  A supporting membership of the new owner on
one of the accounts ends (an owner is not also a member).  Goals stay with the
person, unless ``with goals`` / ``含目标``: then the previous owner's own goals of this
year and later go to the new owner (added to a goal the new owner already has for
the same metric and year); account goals stay with their accounts, team goals with
their teams.

Who: a manager within the teams they manage (both people and the accounts), an admin
anywhere; a rep asks their manager.  The new owner must be active; the previous owner
may already be deactivated (``/user remove`` offers this command).  Every changed row
is in the audit trail, so ``/undo`` by the same person takes it all back.

The new owner gets a handover brief per account (``handlers.views.handover``), in
their language; the previous owner and the managers get one line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from pydantic import BaseModel

from domain.errors import Forbidden, InvalidInput, ParseError
from domain.goals import GoalMetric
from domain.models import Account, Goal, Role, Team, User
from handlers.clarify import Choice, Choose
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.text import normalize
from handlers.people import UserRef, resolve_user
from handlers.registry import command
from handlers.replies import Field, Reply, Severity
from handlers.views import fmt_day, fmt_money
from handlers.views.goals import metric_label
from handlers.views.handover import BRIEF_LIMIT, Handed, confirmation, handover_messages, importance
from handlers.views.health import fmt_amounts
from storage import audit
from storage import handover as repo
from storage.users import display_names, managed_team_ids, managers_of, teams_by_ids

MAX_NOTE = 1000
MAX_ACCOUNTS = 200  # named one by one; more than that is `all`
NAMES_SHOWN = 8
CHOICE_ACCOUNTS = 4  # single accounts offered when asking which

_ = Catalog("handover")

ALL_WORDS = {"all", "everything", "全部", "所有", "全部客户", "所有客户", "全部的客户"}
ME_WORDS = {"me", "myself", "我", "自己"}
_NOTE = re.compile(
    r"(?:^|\s)(?:note|notes|memo)\s*[:：]?\s+|(?:^|\s)(?:note|notes|memo)\s*[:：]\s*"
    r"|(?:备注|留言|交接说明)\s*[:：]?\s*",
    re.IGNORECASE,
)
_GOALS = re.compile(
    r"(?:^|\s)(?:with|incl(?:uding)?|and|plus)\s+(?:the\s+|their\s+|her\s+|his\s+)?goals?(?=\s|$)"
    r"|(?:含|包括|包含|连同|带上?)\s*目标",
    re.IGNORECASE,
)
_PEOPLE = re.compile(
    r"^\s*(?P<giver>[@＠]\S+?|me|我)\s*"
    r"(?:(?<=\s)(?:to|->|=>|→)(?=\s)|交给|转给|移交给|给|→|->|=>)?\s*"
    r"(?P<receiver>[@＠][^\s,，;；:：]+|me(?=\s|$)|我(?=\s|$)|自己)"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_SEPARATORS = " \t\n,，、;；/"
_AND = re.compile(r"^(?:and|&|和|及|以及|与)\s+", re.IGNORECASE)


class Handover(BaseModel):
    command: str = "handover"
    giver: UserRef
    receiver: UserRef
    accounts: list[str] = []
    all: bool = False
    with_goals: bool = False
    note: str | None = None


def _ref(word: str) -> UserRef:
    word = word.strip()
    if word.casefold() in ME_WORDS:
        return UserRef(me=True)
    return UserRef(handle=word.lstrip("@＠"))


def parse_handover(args: str, pctx: ParseContext) -> Handover:
    lang = pctx.lang
    text = normalize(args)
    note = None
    m = _NOTE.search(text)
    if m:
        # the note as typed (full-width punctuation and all), not as normalised
        typed = _NOTE.search(pctx.text) if pctx.text else None
        note = (pctx.text[typed.end() :] if typed else text[m.end() :]).strip() or None
        text = text[: m.start()]
        if note and len(note) > MAX_NOTE:
            raise ParseError(_("note_long", lang, n=len(note), max=MAX_NOTE))
    with_goals = False
    g = _GOALS.search(text)
    if g:
        with_goals = True
        text = (text[: g.start()] + " " + text[g.end() :]).strip()
    people = _PEOPLE.match(text)
    if not people:
        raise ParseError(_("who", lang))
    giver, receiver = _ref(people["giver"]), _ref(people["receiver"])
    if giver == receiver:
        raise ParseError(_("same_person", lang))
    rest = people["rest"].strip(_SEPARATORS)
    if rest.casefold() in ALL_WORDS:
        return Handover(giver=giver, receiver=receiver, all=True, with_goals=with_goals, note=note)
    names: list[str] = []
    while rest:
        name, rest = split_account(rest, pctx)
        name = name.strip(_SEPARATORS)
        if not name:
            break
        if name.casefold() in ALL_WORDS:
            raise ParseError(_("all_or_names", lang))
        if name not in names:
            names.append(name)
        if len(names) > MAX_ACCOUNTS:
            raise ParseError(_("too_many", lang, max=MAX_ACCOUNTS))
        rest = _AND.sub("", rest.strip(_SEPARATORS)).strip(_SEPARATORS)
    return Handover(
        giver=giver, receiver=receiver, accounts=names, with_goals=with_goals, note=note
    )


@command(
    name="handover",
    aliases=("交接", "移交", "转交"),
    parse=parse_handover,
    writes=True,
    group="admin",
)
def run_handover(ctx: Context, cmd: Handover) -> Reply:
    lang, session, actor = ctx.lang, ctx.session, ctx.actor
    if actor.role == Role.rep:
        raise Forbidden(_("reps_cannot", lang, manager=_manager_name(ctx)))
    giver = resolve_user(ctx, cmd.giver)
    receiver = resolve_user(ctx, cmd.receiver)
    if giver.id == receiver.id:
        raise InvalidInput(_("same_person", lang))
    if not receiver.active:
        raise InvalidInput(_("receiver_inactive", lang, name=receiver.display_name))
    managed = None if actor.role == Role.admin else managed_team_ids(session, actor)
    for person in (giver, receiver):
        if managed is not None and person.team_id not in managed:
            raise Forbidden(
                _("person_not_yours", lang, name=person.display_name, teams=_teams(ctx, managed))
            )
    if not cmd.accounts and not cmd.all:
        _ask_which(ctx, cmd, giver, receiver)
    ids = _account_ids(ctx, cmd, giver)
    if not ids:
        return Reply(title=_("nothing_owned", lang, name=giver.display_name))
    accounts = repo.lock_accounts(session, ids)
    # read again under the lock: moved by someone else a moment ago?
    gone = [a.name for a in accounts if a.owner_id != giver.id]
    if gone and not cmd.all:
        raise InvalidInput(_("not_theirs", lang, name=giver.display_name,
                             accounts=_names(gone, lang)))  # fmt: skip
    accounts = [a for a in accounts if a.owner_id == giver.id]
    if not accounts:
        return Reply(title=_("nothing_owned", lang, name=giver.display_name))
    if managed is not None:
        outside = [a.name for a in accounts if a.team_id not in managed]
        if outside:
            raise Forbidden(
                _("accounts_not_yours", lang, accounts=_names(outside, lang),
                  teams=_teams(ctx, managed))
            )  # fmt: skip
    return _hand_over(ctx, cmd, giver, receiver, accounts)


def _manager_name(ctx: Context) -> str:
    found = managers_of(ctx.session, ctx.actor)
    return found[0].display_name if found else _("your_manager", ctx.lang)


def _teams(ctx: Context, ids: set[int]) -> str:
    if not ids:
        return "—"
    return ", ".join(sorted(t.name for t in teams_by_ids(ctx.session, ids)))


def _names(names: list[str], lang: str) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    if len(names) > NAMES_SHOWN:
        shown += _("and_more", lang, n=len(names) - NAMES_SHOWN)
    return shown


def _command_text(cmd: Handover, giver: User, receiver: User, what: str) -> str:
    """The message a choice runs: this handover with ``what`` as the accounts."""
    parts = [f"/handover @{giver.handle} to @{receiver.handle} {what}"]
    if cmd.with_goals:
        parts.append("with goals")
    if cmd.note:
        parts.append(f"note {cmd.note}")
    return " ".join(parts)


def _ask_which(ctx: Context, cmd: Handover, giver: User, receiver: User) -> None:
    """No accounts named: never all of them silently — ask, offering all or one."""
    lang = ctx.lang
    owned = sorted(repo.owned(ctx.session, giver.id), key=importance)
    if not owned:
        raise InvalidInput(_("nothing_owned", lang, name=giver.display_name))
    choices = [
        Choice(
            _("choice_all", lang, n=len(owned), name=giver.display_name),
            _command_text(cmd, giver, receiver, "all"),
        )
    ]
    for a in owned[:CHOICE_ACCOUNTS]:
        quoted = f'"{a.name}"' if '"' not in a.name else a.name
        choices.append(
            Choice(
                _("choice_one", lang, account=a.name, tier=a.tier_override or a.tier),
                _command_text(cmd, giver, receiver, quoted),
            )
        )
    example = _command_text(cmd, giver, receiver, ", ".join(a.name for a in owned[:2]))
    raise Choose(
        _("which", lang, giver=giver.display_name, receiver=receiver.display_name, n=len(owned)),
        choices,
        lines=[_("which_line", lang, example=example)],
    )


def _account_ids(ctx: Context, cmd: Handover, giver: User) -> list[int]:
    if cmd.all:
        return repo.owned_ids(ctx.session, giver.id)
    found: dict[int, Account] = {}
    for name in cmd.accounts:
        account = resolve_account(ctx, name)
        found[account.id] = account
    others = [a for a in found.values() if a.owner_id != giver.id]
    if others:
        owners = display_names(ctx.session, {a.owner_id for a in others})
        detail = ", ".join(
            _("owned_by", ctx.lang, account=a.name, owner=owners.get(a.owner_id, "?"))
            for a in others[:NAMES_SHOWN]
        )
        raise InvalidInput(_("not_theirs", ctx.lang, name=giver.display_name, accounts=detail))
    return sorted(found)


# --- moving ---------------------------------------------------------------------------


def _hand_over(
    ctx: Context, cmd: Handover, giver: User, receiver: User, accounts: list[Account]
) -> Reply:
    session, now = ctx.session, ctx.now
    ids = [a.id for a in accounts]
    linked = repo.linked(session, ids, owner_id=giver.id, to_id=receiver.id)
    changed_team = [a for a in accounts if receiver.team_id and a.team_id != receiver.team_id]
    why = f"handover @{giver.handle} → @{receiver.handle}"

    # every row changed in memory first: the first audit entry writes them in one flush
    updates = []
    for a in accounts:
        updates.append((a, audit.snapshot(a), a.id))
        a.owner_id = receiver.id
        if receiver.team_id is not None:
            a.team_id = receiver.team_id
        a.updated_at = now
    for d in linked.deals:
        updates.append((d, audit.snapshot(d), d.account_id))
        d.owner_id = receiver.id
        d.updated_at = now
    for t in linked.tasks:
        updates.append((t, audit.snapshot(t), t.account_id))
        t.owner_id = receiver.id
    mine = [r for r in linked.reminders if r.created_by_id == giver.id]
    for r in mine:
        updates.append((r, audit.snapshot(r), r.account_id))
        r.created_by_id = receiver.id
    deletes = []
    for m in linked.memberships:
        deletes.append((m, audit.snapshot(m), m.account_id))
        session.delete(m)
    for obj, _before, _account_id in updates:
        session.add(obj)
    repo.record_changes(
        session,
        [("update", *u) for u in updates] + [("delete", *d) for d in deletes],
        actor_id=ctx.actor.id,
        channel=ctx.platform,
        request_id=ctx.request_id,
        at=now,
        summary=why,
    )
    goal_lines = _move_goals(ctx, giver, receiver, why) if cmd.with_goals else []

    handed = Handed(giver=giver, receiver=receiver, actor=ctx.actor, note=cmd.note)
    messages = handover_messages(session, accounts, handed, now=now, settings=ctx.settings)
    for message in messages:
        ctx.notify_user(receiver.id, message)
    _confirm(ctx, handed, accounts)
    return _reply(ctx, cmd, handed, accounts, linked, changed_team, goal_lines, messages)


def _move_goals(ctx: Context, giver: User, receiver: User, why: str) -> list[str]:
    """The giver's own goals of this year and later go to the receiver: moved whole, or
    added to the receiver's goal of the same metric and year (same currency)."""
    lang, session = ctx.lang, ctx.session
    goals = repo.user_goals(session, [giver.id, receiver.id], from_year=ctx.now.year)
    theirs = {(g.year, g.metric): g for g in goals if g.user_id == receiver.id}
    lines = []
    for g in (g for g in goals if g.user_id == giver.id):
        what = _("goal_what", lang, metric=metric_label(GoalMetric(g.metric), lang), year=g.year)
        target = theirs.get((g.year, g.metric))
        if target is None:
            before = audit.snapshot(g)
            g.user_id = receiver.id
            session.add(g)
            ctx.audit("update", g, before=before, summary=why)
            lines.append(_("goal_moved", lang, what=what, target=_target(ctx, g)))
            continue
        if (g.currency or None) != (target.currency or None):
            lines.append(_("goal_kept", lang, what=what))
            continue
        before_t, old = audit.snapshot(target), _target(ctx, target)
        target.months = _months_sum(target, g)
        target.target = target.target + g.target
        session.add(target)
        before_g = audit.snapshot(g)
        session.delete(g)
        ctx.audit("delete", g, before=before_g, summary=why)
        ctx.audit("update", target, before=before_t, summary=why)
        lines.append(_("goal_added", lang, what=what, old=old, new=_target(ctx, target)))
    if not lines:
        lines.append(_("no_goals", lang, name=giver.display_name))
    return lines


def _months_sum(a: Goal, b: Goal) -> list[str] | None:
    """Two goals' monthly split added month by month (None when both split evenly)."""
    if not a.months and not b.months:
        return None

    def split(g: Goal) -> list[Decimal]:
        if g.months:
            return [Decimal(m) for m in g.months]
        return [g.target / 12] * 12

    return [str(x + y) for x, y in zip(split(a), split(b), strict=True)]


def _target(ctx: Context, goal: Goal) -> str:
    if GoalMetric(goal.metric).is_money:
        return fmt_money(goal.target, goal.currency or ctx.settings.currency, ctx.lang)
    return f"{goal.target:.0f}"


def _confirm(ctx: Context, handed: Handed, accounts: list[Account]) -> None:
    """One line to the previous owner (if still active) and the managers of both."""
    giver, receiver, session = handed.giver, handed.receiver, ctx.session
    told: set[int] = {receiver.id}
    if giver.active:
        ctx.notify_user(giver.id, confirmation(handed, accounts, giver.language, to_giver=True))
        told.add(giver.id)
    for person in (giver, receiver):
        for manager in managers_of(session, person):
            if manager.id in told or not manager.active:
                continue
            told.add(manager.id)
            ctx.notify_user(
                manager.id, confirmation(handed, accounts, manager.language, to_giver=False)
            )


def _reply(
    ctx: Context,
    cmd: Handover,
    handed: Handed,
    accounts: list[Account],
    linked: repo.Linked,
    changed_team: list[Account],
    goal_lines: list[str],
    messages: list[Reply],
) -> Reply:
    lang, giver, receiver = ctx.lang, handed.giver, handed.receiver
    names = [a.name for a in sorted(accounts, key=importance)]
    reply = Reply(
        title=_("done" if len(accounts) > 1 else "done_one", lang, n=len(accounts), giver=giver.display_name,
                receiver=receiver.display_name),
        severity=Severity.success,
    )  # fmt: skip
    reply.fields.append(Field(_("accounts", lang), _names(names, lang)))
    money: dict[str, Decimal] = defaultdict(Decimal)
    for d in linked.deals:
        money[d.currency] += d.amount
    deals = str(len(linked.deals))
    if linked.deals:
        deals += f" · {fmt_amounts(money, lang)}"
    reply.fields.append(Field(_("deals", lang), deals))
    reply.fields.append(Field(_("tasks", lang), str(len(linked.tasks))))
    reply.fields.append(Field(_("reminders", lang), str(len(linked.reminders))))
    today = ctx.now.date()
    snoozed = [a for a in accounts if a.snoozed_until and a.snoozed_until >= today]
    if snoozed:
        reply.fields.append(
            Field(_("snoozed", lang), ", ".join(
                _("snoozed_one", lang, account=a.name, until=fmt_day(a.snoozed_until, lang))
                for a in snoozed[:NAMES_SHOWN]
            ))
        )  # fmt: skip
    if cmd.note:
        reply.fields.append(Field(_("note", lang), cmd.note))
    if changed_team:
        team = ctx.session.get(Team, receiver.team_id)
        reply.lines.append(
            _("team_moved", lang, accounts=_names([a.name for a in changed_team], lang),
              team=team.name if team else "—", receiver=receiver.display_name)
        )  # fmt: skip
    reply.lines.append(_("stays", lang))
    if linked.memberships:
        member_of = [a.name for a in accounts if a.id in {m.account_id for m in linked.memberships}]
        reply.lines.append(
            _("member_ended", lang, name=receiver.display_name, accounts=_names(member_of, lang))
        )
    if cmd.with_goals:
        reply.add_section(_("goals", lang), goal_lines)
    else:
        reply.lines.append(_("goals_stay", lang, name=giver.display_name))
    briefs = min(len(accounts), BRIEF_LIMIT)
    if briefs < len(accounts):
        reply.lines.append(
            _("briefs_index", lang, name=receiver.display_name, n=briefs,
              rest=len(accounts) - briefs)
        )  # fmt: skip
    else:
        reply.lines.append(_("briefs", lang, name=receiver.display_name, n=briefs))
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    return reply
