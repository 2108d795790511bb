"""``/review`` (``/复核``): managers decide the tier changes the quarterly review proposes.

    /review                       the proposals waiting for you
    /review accept all            /复核 全部接受
    /review accept 12 15          /复核 接受 12 15
    /review reject 12 renewal still open        /复核 拒绝 12 续约还在谈

The review (``schedules.tier_review``) re-scores every account with what the book
knows (CSAT, payments, revenue — ``domain.health.BookFactors``) and proposes a change
where the tier moves.  Accepting writes those factor values onto the account, re-scores
it and clears a tier set by hand, all audited (``/undo`` reverts it); rejecting keeps
everything as it is, and the account is not proposed again that quarter.  A proposal
whose account changed tier or factors since is outdated: it is marked expired, and
nothing else changes.  Managers decide for the accounts they may change; admins for all.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from sqlmodel import Session

from domain.errors import Forbidden, InvalidInput, NotFound, ParseError
from domain.models import Account, ProposalStatus, Role, TierProposal, User
from domain.tiers import score
from handlers.auth import can_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.parsing.text import normalize
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views.tiers import proposals_reply, tier_label
from storage import audit, locks, tiering, users
from storage.tiering import apply_score, factors_of

MAX_NOTE = 500  # TierProposal.decision_note

_ = Catalog("review")

_ACCEPT = {"accept", "approve", "ok", "yes", "接受", "同意", "通过", "批准"}
_REJECT = {"reject", "decline", "no", "拒绝", "驳回", "不同意", "否决"}
_ALL = {"all", "全部", "所有"}
_GLUED = re.compile(r"^(全部|所有)?(接受|同意|通过|批准|拒绝|驳回|否决)(全部|所有)?$")
_ID = re.compile(r"^#?(\d{1,9})[,，]?$")


class ReviewCommand(BaseModel):
    command: str = "review"
    action: Literal["list", "accept", "reject"] = "list"
    all: bool = False
    ids: list[int] = []
    note: str | None = None


def parse_review(args: str, pctx: ParseContext) -> ReviewCommand:
    lang = pctx.lang
    words = normalize(args).split()
    if not words:
        return ReviewCommand()
    cmd = ReviewCommand()
    head = words.pop(0)
    glued = _GLUED.match(head)
    if glued:  # 全部接受, 接受全部, 拒绝
        head = glued[2]
        cmd.all = bool(glued[1] or glued[3])
    elif head.casefold() in _ALL and words:  # "all accept"
        cmd.all, head = True, words.pop(0)
    key = head.casefold()
    if key in _ACCEPT:
        cmd.action = "accept"
    elif key in _REJECT:
        cmd.action = "reject"
    else:
        raise ParseError(_("bad_word", lang, word=head))
    if words and words[0].casefold() in _ALL:
        cmd.all = True
        words.pop(0)
    while words and (m := _ID.match(words[0])):
        cmd.ids.append(int(m[1]))
        words.pop(0)
    if not cmd.all and not cmd.ids:
        raise ParseError(_("which", lang))
    note = " ".join(words).strip()
    if note:
        if len(note) > MAX_NOTE:
            raise ParseError(_("long_note", lang, n=MAX_NOTE))
        cmd.note = note
    return cmd


@command(
    name="review",
    aliases=("复核", "分级复核", "评审"),
    parse=parse_review,
    writes=True,
    roles=frozenset({"manager", "admin"}),
    group="health",
)
def run_review(ctx: Context, cmd: ReviewCommand) -> Reply:
    if cmd.action == "list":
        return _list(ctx)
    proposals = _chosen(ctx, cmd)
    if cmd.action == "accept":
        return _accept(ctx, proposals, cmd.note)
    return _reject(ctx, proposals, cmd.note)


# --- who decides what ---------------------------------------------------------------


def pending_for(session: Session, actor: User) -> list[tuple[TierProposal, Account]]:
    """The pending proposals ``actor`` decides: an admin all of them, anyone else those
    of the accounts they own or their own or managed teams hold."""
    if actor.role == Role.admin:
        return tiering.pending_proposals(session)
    teams = users.managed_team_ids(session, actor)
    if actor.team_id is not None:
        teams.add(actor.team_id)
    return tiering.pending_proposals(session, owner_id=actor.id, team_ids=teams)


def _chosen(ctx: Context, cmd: ReviewCommand) -> list[tuple[TierProposal, Account]]:
    """The proposals to decide, locked (their accounts, then themselves: ``storage.locks``)
    and read again, so one decided a moment ago by someone else is seen as decided."""
    lang = ctx.lang
    if cmd.all:
        rows = pending_for(ctx.session, ctx.actor)
        _lock(ctx.session, rows)
        return [(p, a) for p, a in rows if p.status == ProposalStatus.pending.value]
    found: list[TierProposal] = []
    for pid in dict.fromkeys(cmd.ids):
        proposal = ctx.session.get(TierProposal, pid)
        if proposal is None:
            raise NotFound(_("no_proposal", lang, id=pid))
        found.append(proposal)
    _lock(ctx.session, [(p, ctx.session.get(Account, p.account_id)) for p in found])
    out = []
    for proposal in found:
        pid = proposal.id
        account = ctx.session.get(Account, proposal.account_id)
        if proposal.status != ProposalStatus.pending.value:
            status = _("s_" + proposal.status, lang)
            raise InvalidInput(_("decided", lang, id=pid, account=account.name, status=status))
        if not can_write(ctx.session, ctx.actor, account):
            raise Forbidden(_("not_yours", lang, id=pid, account=account.name))
        out.append((proposal, account))
    return out


def _lock(session: Session, rows: list[tuple[TierProposal, Account]]) -> None:
    locks.accounts(session, [a.id for _p, a in rows])
    locks.rows(session, TierProposal, [p.id for p, _a in rows])


def _list(ctx: Context) -> Reply:
    rows = pending_for(ctx.session, ctx.actor)
    if not rows:
        return Reply(title=_("none", ctx.lang), severity=Severity.success)
    quarters = sorted({p.quarter for p, _a in rows})
    return proposals_reply(rows, lang=ctx.lang, settings=ctx.settings, quarter=quarters[-1])


# --- deciding -----------------------------------------------------------------------


def _depths(session: Session, account_ids: list[int]) -> dict[int, int]:
    return tiering.decision_chain_depths(session, account_ids)


def _factor_value(name: str, value):
    return Decimal(str(value)) if name == "annual_revenue" and value is not None else value


def _decide(ctx: Context, p: TierProposal, status: str, note: str | None) -> None:
    before = audit.snapshot(p)
    p.status = status
    p.decided_at = ctx.now
    p.decided_by_id = ctx.actor.id
    p.decision_note = note
    ctx.session.add(p)
    ctx.audit(
        "update",
        p,
        before=before,
        account_id=p.account_id,
        summary=f"tier proposal #{p.id} {status}",
    )


def _accept(ctx: Context, rows: list[tuple[TierProposal, Account]], note: str | None) -> Reply:
    lang, policy = ctx.lang, ctx.settings.tiers
    depths = _depths(ctx.session, [a.id for _p, a in rows])
    done, outdated = [], []
    for p, account in rows:
        factors = factors_of(account, decision_chain_depth=depths.get(account.id, 0))
        changed = {k: _factor_value(k, v) for k, v in (p.factors or {}).items()}
        result = score(replace(factors, **changed), policy)
        if account.effective_tier != p.from_tier or result.tier != p.to_tier:
            _decide(ctx, p, ProposalStatus.expired.value, note)
            outdated.append((p, account))
            continue
        before = audit.snapshot(account)
        for name, value in changed.items():
            setattr(account, name, value)
        account.tier_override = None
        account.tier_override_reason = None
        account.tier_override_by_id = None
        account.tier_override_at = None
        apply_score(account, policy, decision_chain_depth=depths.get(account.id, 0))
        account.updated_at = ctx.now
        ctx.session.add(account)
        ctx.audit(
            "update",
            account,
            before=before,
            account_id=account.id,
            summary=f"tier {p.from_tier} → {p.to_tier} (quarterly review {p.quarter}, #{p.id})",
        )
        _decide(ctx, p, ProposalStatus.accepted.value, note)
        done.append((p, account))
        _tell_owner(ctx, p, account)
    reply = Reply(
        title=_("accepted_title", lang, n=len(done)),
        severity=Severity.success if done else Severity.warning,
    )
    reply.lines += [
        _("accepted_line", lang, id=p.id, account=a.name, tier=_tier(a.effective_tier, lang),
          score=f"{a.score:.1f}")
        for p, a in done
    ]  # fmt: skip
    reply.lines += [
        _("outdated_line", lang, id=p.id, account=a.name, tier=a.effective_tier,
          from_tier=p.from_tier, to_tier=p.to_tier)
        for p, a in outdated
    ]  # fmt: skip
    if not rows:
        reply.lines.append(_("none", lang))
    if note:
        reply.fields.append(Field(_("note", lang), note))
    if done:
        reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    return reply


def _reject(ctx: Context, rows: list[tuple[TierProposal, Account]], note: str | None) -> Reply:
    lang = ctx.lang
    for p, _a in rows:
        _decide(ctx, p, ProposalStatus.rejected.value, note)
    reply = Reply(title=_("rejected_title", lang, n=len(rows)), severity=Severity.success)
    reply.lines += [
        _("rejected_line", lang, id=p.id, account=a.name, tier=a.effective_tier) for p, a in rows
    ]
    if not rows:
        reply.lines.append(_("none", lang))
    if note:
        reply.fields.append(Field(_("note", lang), note))
    return reply


def _tier(tier: str, lang: str) -> str:
    return f"{tier} {tier_label(tier, lang)}"


def _tell_owner(ctx: Context, p: TierProposal, account: Account) -> None:
    owner = ctx.session.get(User, account.owner_id)
    if owner is None or not owner.active:
        return
    ctx.notify_user(
        owner.id,
        Reply(
            title=_(
                "owner_told",
                owner.language,
                account=account.name,
                from_tier=p.from_tier,
                to_tier=p.to_tier,
                who=ctx.actor.display_name,
            ),
            actions=[Action(_("tier_button", owner.language), f"tier {account.name}")],
        ),
    )
