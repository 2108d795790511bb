"""``/deal`` (``/商机``): create, update, win or lose a deal in one line; list an account's deals.

    /deal Acme "2027 renewal" 1.2m stage proposal close 2027-03-31
    /deal Acme "2027 renewal" won
    /deal Acme "2027 renewal" lost reason price
    /deal Acme                                  (the account's deals)
    /商机 华夏重工 "二期扩容" 120万 阶段 方案 成交 2027-03-31
    /商机 华夏重工 "二期扩容" 输单 原因 价格

The deal is the account's deal of that name (case-insensitive); else the one open deal
the name clearly means (``robotics pilot`` → “Warehouse robotics pilot”: missing words,
word order, case, a typo), echoed first in the reply; a name near a deal but not clearly
it (another number, extra words, a closed deal) is asked about (``handlers.clarify.Choose``,
"update …" / "new deal …", each a complete message); a new deal is made only when no deal
is near — never by ``won``/``lost`` alone — or when asked for with ``new "…"`` / ``新建``.
After the name, in any order: an amount (``1.2m``, ``¥1.2M``, ``120万``, ``USD 20k``…),
a stage (``stage proposal``, ``moved to proposal``, ``进入谈判``, ``签了``, ``黄了``…), a
close date before or after its word (``close 2027-03-31``, ``下月底成交``), for a lost
deal a reason (``reason price``, ``lost to Siemens``, ``输给了西门子``), and free words,
kept with the change as its note (in the audit trail) and echoed.  A close date already
past is refused for an open deal.  Stages and their win probabilities come from
``settings.deals.probabilities``; every stage change is kept in ``DealStageChange``.
Without a name, the change goes to the account's only open deal.
The line is read by ``handlers.parsing.deals``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from domain.errors import Ambiguous, InvalidInput, NotFound
from domain.models import Account, Deal, DealStage, DealStageChange, User
from domain.policy import Policy
from handlers.auth import require_read, require_write
from handlers.clarify import Choice, Choose
from handlers.context import Context
from handlers.i18n import Catalog
from handlers.lookup import resolve_account
from handlers.paging import page_of, paged
from handlers.parsing.deals import SURE, DealCommand, match_deal, parse_deal
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import clip, fmt_date, fmt_day, fmt_money, label
from storage import audit
from storage import deals as deal_repo
from storage.summary import days_in_stage

CLOSED_SHOWN = 5

_ = Catalog("deal")


# --- running ----------------------------------------------------------------------


@command(
    name="deal",
    aliases=("商机",),
    parse=parse_deal,
    writes=True,
    slash=True,
)
def run_deal(ctx: Context, cmd: DealCommand) -> Reply:
    account = resolve_account(ctx, cmd.account)
    if cmd.deal is None and not cmd.changes and cmd.note is None:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _list(ctx, account, cmd.page)
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    if cmd.deal is None:
        deal = _only_open_deal(ctx, account)
    elif cmd.new:
        deal = deal_repo.by_name(ctx.session, account.id, cmd.deal)
        if deal is not None:
            raise InvalidInput(
                _("exists", ctx.lang, deal=deal.name, account=account.name, clauses=cmd.clauses)
            )
    else:
        deal = _find(ctx, account, cmd)
    _check_close_date(ctx, account, cmd, cmd.stage or (deal.stage if deal else None))
    if deal is None:
        if not (cmd.new or cmd.exact or cmd.changes):  # only loose words: make sure
            new = _message(account, cmd.deal or "", cmd.clauses, new=True)
            raise Choose(
                _("confirm_new", ctx.lang, deal=cmd.deal, account=account.name),
                [Choice(_("choice_new", ctx.lang, deal=cmd.deal), new)],
            )
        return _create(ctx, account, cmd)
    if not cmd.changes:
        reply = _deal_reply(ctx, account, deal, f"{deal.name} · {account.name}")
        if cmd.note:
            reply.lines.append(_("note_not_kept", ctx.lang, note=cmd.note, account=account.name))
        return reply
    return _update(ctx, account, deal, cmd)


def _check_close_date(ctx: Context, account: Account, cmd: DealCommand, stage: str | None) -> None:
    """A close date already past is refused for a deal still open: kam stores no guess."""
    if cmd.close_date is None or cmd.close_date >= ctx.now.date():
        return
    if stage in (DealStage.won.value, DealStage.lost.value):
        return  # when it closed
    raise InvalidInput(
        _("close_in_past", ctx.lang, date=fmt_day(cmd.close_date, ctx.lang), account=account.name)
    )


def _message(account: Account, name: str, clauses: str, *, new: bool = False) -> str:
    """The message that does it, as the person would type it (a choice's text)."""
    head = f'/deal {account.name} {"new " if new else ""}"{name}"'
    return f"{head} {clauses}".strip()


def _with_extra(clauses: str, typed: str, name: str) -> str:
    """The clauses, plus the words typed after a deal's whole name as its note:
    ``二期扩容 客户反馈不错`` updating “二期扩容” keeps ``客户反馈不错``."""
    extra = typed[len(name) :].strip() if typed.casefold().startswith(name.casefold()) else ""
    return f"{clauses} - {extra}".strip(" -") if extra else clauses


def _find(ctx: Context, account: Account, cmd: DealCommand) -> Deal | None:
    """The deal ``cmd.deal`` names: the same name; or one open deal it clearly means
    (echoed); None when no deal is close (a new one is made — never for won or lost
    alone); and otherwise the person is asked, with complete messages to answer."""
    assert cmd.deal is not None
    lang = ctx.lang
    same = deal_repo.by_name(ctx.session, account.id, cmd.deal)
    if same is not None:
        return same
    deals = deal_repo.of_account(ctx.session, account.id)
    found = match_deal(cmd.deal, [(d.name, d.is_open) for d in deals])
    sure = [deals[i] for i, kind, _score in found if kind == SURE]
    closing = cmd.stage in (DealStage.won.value, DealStage.lost.value)
    if len(sure) == 1:
        deal = sure[0]
        ctx.readings.append(_("matched", lang, deal=deal.name, typed=cmd.deal))
        return deal
    if found:
        close = [deals[i] for i, _kind, _score in found[:3]]
        choices = [
            Choice(
                _("choice_update", lang, deal=d.name),
                _message(account, d.name, _with_extra(cmd.clauses, cmd.deal, d.name)),
            )
            for d in close
        ]
        if not closing and not sure:
            choices.append(
                Choice(
                    _("choice_new", lang, deal=cmd.deal),
                    _message(account, cmd.deal, cmd.clauses, new=True),
                )
            )
        question = "which_deal" if sure else "did_you_mean" if closing else "update_or_new"
        lines = []
        if closing and not sure:
            new = _message(account, cmd.deal, cmd.clauses, new=True)
            lines.append(_("new_explicitly", lang, message=new))
        raise Choose(_(question, lang, typed=cmd.deal, account=account.name), choices, lines=lines)
    if closing:
        open_deals = [d for d in deals if d.is_open]
        raise NotFound(
            _(
                "no_such_deal",
                lang,
                typed=cmd.deal,
                account=account.name,
                stage=label(cmd.stage, lang),
                message=_message(account, cmd.deal, cmd.clauses, new=True),
            ),
            candidates=[f"“{d.name}”" for d in open_deals[:5]],
        )
    return None


def _only_open_deal(ctx: Context, account: Account) -> Deal:
    open_deals = deal_repo.open_of_account(ctx.session, account.id)
    if not open_deals:
        raise NotFound(_("no_open", ctx.lang, account=account.name))
    if len(open_deals) > 1:
        raise Ambiguous(
            _("several_open", ctx.lang, account=account.name, n=len(open_deals)),
            candidates=[f"“{d.name}”" for d in open_deals[:3]],
        )
    return open_deals[0]


def _create(ctx: Context, account: Account, cmd: DealCommand) -> Reply:
    assert cmd.deal is not None
    stage = cmd.stage or ctx.settings.deals.open_stages[0]
    if cmd.reason and stage != DealStage.lost.value:
        raise InvalidInput(
            _(
                "reason_not_lost",
                ctx.lang,
                deal=cmd.deal,
                stage=label(stage, ctx.lang),
                account=account.name,
            )
        )
    now = ctx.now
    deal = Deal(
        account_id=account.id,
        name=cmd.deal,
        amount=cmd.amount if cmd.amount is not None else Decimal("0"),
        currency=cmd.currency or ctx.settings.currency,
        stage=stage,
        close_date=cmd.close_date,
        owner_id=account.owner_id,
        lost_reason=cmd.reason,
        stage_changed_at=now,
        closed_at=now if stage in (DealStage.won.value, DealStage.lost.value) else None,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(deal)
    summary = f"new deal {deal.name} ({stage})" + _note_summary(cmd)
    ctx.audit("create", deal, account_id=account.id, summary=summary)
    change = DealStageChange(
        deal_id=deal.id, from_stage=None, to_stage=stage, changed_at=now, changed_by_id=ctx.actor.id
    )
    ctx.session.add(change)
    ctx.audit("create", change, account_id=account.id)
    reply = _deal_reply(
        ctx,
        account,
        deal,
        _("created", ctx.lang, deal=deal.name, account=account.name),
        note=cmd.note,
    )
    reply.severity = Severity.success
    if cmd.amount is None:
        reply.lines.append(_("no_amount", ctx.lang, account=account.name, deal=deal.name))
    _tell_owners(ctx, account, deal, created=True)
    return reply


def _update(ctx: Context, account: Account, deal: Deal, cmd: DealCommand) -> Reply:
    lang, now = ctx.lang, ctx.now
    before = audit.snapshot(deal)
    was = _columns(deal)
    old_stage = deal.stage
    new_stage = cmd.stage or deal.stage
    if cmd.reason and new_stage != DealStage.lost.value:
        raise InvalidInput(
            _(
                "reason_not_lost",
                lang,
                deal=deal.name,
                stage=label(new_stage, lang),
                account=account.name,
            )
        )
    if cmd.amount is not None:
        deal.amount = cmd.amount
        if cmd.currency:
            deal.currency = cmd.currency
    if cmd.close_date is not None:
        deal.close_date = cmd.close_date
    change = deal_repo.change_stage(ctx.session, deal, new_stage, at=now, actor_id=ctx.actor.id)
    if cmd.reason:
        deal.lost_reason = cmd.reason

    current = _columns(deal)
    moved = {k for k in current if current[k] != was[k]} - {"updated_at"}
    if not moved:
        reply = _deal_reply(
            ctx, account, deal, _("unchanged", lang, deal=deal.name, account=account.name)
        )
        if cmd.note:
            reply.lines.append(_("note_not_kept", lang, note=cmd.note, account=account.name))
        return reply
    deal.updated_at = now
    ctx.session.add(deal)
    summary = f"deal {deal.name}: " + ", ".join(sorted(moved - {"stage_changed_at", "closed_at"}))
    summary += _note_summary(cmd)
    ctx.audit("update", deal, before=before, account_id=account.id, summary=summary)
    if change is not None:
        ctx.audit(
            "create",
            change,
            account_id=account.id,
            summary=f"{old_stage} → {new_stage}" + _note_summary(cmd),
        )

    if change is None:
        title_key = "updated"
    elif new_stage == DealStage.won.value:
        title_key = "won"
    elif new_stage == DealStage.lost.value:
        title_key = "lost"
    elif old_stage in (DealStage.won.value, DealStage.lost.value):
        title_key = "reopened"
    else:
        title_key = "updated"
    reply = _deal_reply(
        ctx,
        account,
        deal,
        _(title_key, lang, deal=deal.name, account=account.name),
        moved_from=old_stage if change is not None else None,
        note=cmd.note,
    )
    reply.severity = Severity.success
    _tell_owners(ctx, account, deal, created=False, moved_from=old_stage if change else None)
    return reply


def _note_summary(cmd: DealCommand) -> str:
    """The free words around the change, kept with it in the audit trail (a deal has no
    notes column)."""
    return f" — {cmd.note}" if cmd.note else ""


def _columns(deal: Deal) -> dict[str, object]:
    """The deal's column values as Python values (Decimal compares by value: 1.20 == 1.2)."""
    return {key: getattr(deal, key) for key in Deal.model_fields}


# --- showing ----------------------------------------------------------------------


def probability(settings: Policy, stage: str) -> int | None:
    return settings.deals.probabilities.get(stage)


def weighted(deal: Deal, settings: Policy) -> Decimal | None:
    p = probability(settings, deal.stage)
    if p is None:
        return None
    return (deal.amount * p / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def next_stage(settings: Policy, stage: str) -> str | None:
    """The stage after ``stage`` on the way to won (None once closed)."""
    order = settings.deals.open_stages
    if stage not in order:
        return None
    i = order.index(stage)
    return order[i + 1] if i + 1 < len(order) else DealStage.won.value


def _deal_reply(
    ctx: Context,
    account: Account,
    deal: Deal,
    title: str,
    *,
    moved_from: str | None = None,
    note: str | None = None,
) -> Reply:
    lang, settings, today = ctx.lang, ctx.settings, ctx.now.date()
    reply = Reply(title=title)
    stage = label(deal.stage, lang)
    if moved_from is not None:
        stage = _("stage_move", lang, old=label(moved_from, lang), new=stage)
    reply.fields.append(Field(_("stage", lang), stage))
    reply.fields.append(Field(_("amount", lang), fmt_money(deal.amount, deal.currency, lang)))
    p = probability(settings, deal.stage)
    reply.fields.append(Field(_("probability", lang), "—" if p is None else f"{p}%"))
    reply.fields.append(Field(_("close", lang), fmt_day(deal.close_date, lang)))
    if deal.is_open:
        reply.fields.append(Field(_("in_stage", lang), str(days_in_stage(deal, today, ctx.tz))))
    else:
        reply.fields.append(Field(_("closed", lang), fmt_day(deal.closed_at, lang, ctx.tz)))
    w = weighted(deal, settings)
    reply.fields.append(
        Field(_("weighted", lang), "—" if w is None else fmt_money(w, deal.currency, lang))
    )
    if deal.stage == DealStage.lost.value and deal.lost_reason:
        reply.fields.append(Field(_("reason", lang), deal.lost_reason))
    if note:
        reply.fields.append(Field(_("note", lang), note))
    if deal.stage == DealStage.won.value and not deal.amount:
        reply.lines.append(_("won_no_amount", lang))
    if deal.is_open and deal.close_date is not None and deal.close_date < today:
        reply.lines.append(_("past_close", lang, date=fmt_day(deal.close_date, lang)))
        reply.severity = Severity.warning
    reply.add_section(_("history", lang), _history_lines(ctx, deal))
    nxt = next_stage(settings, deal.stage)
    if nxt is not None:
        reply.actions.append(
            Action(
                _("next_stage", lang, stage=label(nxt, lang)),
                f'deal {account.name} "{deal.name}" stage {nxt}',
                style="primary",
            )
        )
    return reply


def _history_lines(ctx: Context, deal: Deal, limit: int = 5) -> list[str]:
    lang = ctx.lang
    lines = []
    for change, who in deal_repo.history(ctx.session, deal.id, limit=limit):
        if change.from_stage is None:
            move = _("created_at", lang, stage=label(change.to_stage, lang))
        else:
            move = _(
                "stage_move",
                lang,
                old=label(change.from_stage, lang),
                new=label(change.to_stage, lang),
            )
        lines.append(
            _(
                "history_line",
                lang,
                when=fmt_date(change.changed_at, lang, ctx.tz),
                move=move,
                who=who or "—",
            )
        )
    return lines


def _list(ctx: Context, account: Account, number: int | None = None) -> Reply:
    lang, settings, today = ctx.lang, ctx.settings, ctx.now.date()
    deals = deal_repo.of_account(ctx.session, account.id)
    reply = Reply(title=_("list_title", lang, account=account.name))
    if not deals:
        reply.lines.append(_("list_none", lang, account=account.name))
        return reply
    open_deals = [d for d in deals if d.is_open]
    closed = [d for d in deals if not d.is_open]
    page = page_of(len(open_deals), number)
    open_lines = []
    for d in open_deals[page.offset : page.offset + page.size]:
        p = probability(settings, d.stage)
        open_lines.append(
            _(
                "open_line",
                lang,
                deal=d.name,
                stage=label(d.stage, lang),
                prob="" if p is None else f"{p}%",
                amount=fmt_money(d.amount, d.currency, lang),
                close=fmt_day(d.close_date, lang),
                days=days_in_stage(d, today, ctx.tz),
            )
        )
    reply.add_section(_("open", lang), open_lines)
    closed_lines = []
    for d in closed[:CLOSED_SHOWN]:
        reason = f" · {clip(d.lost_reason, 60)}" if d.lost_reason else ""
        closed_lines.append(
            _(
                "closed_line",
                lang,
                deal=d.name,
                stage=label(d.stage, lang),
                when=fmt_date(d.closed_at, lang, ctx.tz),
                amount=fmt_money(d.amount, d.currency, lang),
                reason=reason,
            )
        )
    if len(closed) > CLOSED_SHOWN:
        closed_lines.append(_("more_closed", lang, n=len(closed) - CLOSED_SHOWN))
    reply.add_section(_("recently_closed", lang), closed_lines)
    if open_deals:
        totals: dict[str, tuple[Decimal, Decimal]] = {}
        for d in open_deals:
            total, weight = totals.get(d.currency, (Decimal("0"), Decimal("0")))
            totals[d.currency] = (total + d.amount, weight + (weighted(d, settings) or 0))
        reply.footer = " · ".join(
            _(
                "pipeline",
                lang,
                total=fmt_money(total, cur, lang),
                weighted=fmt_money(weight, cur, lang),
            )
            for cur, (total, weight) in sorted(totals.items())
        )
    return paged(reply, page, lang, _("page_command", lang, account=account.name))


def _tell_owners(
    ctx: Context, account: Account, deal: Deal, *, created: bool, moved_from: str | None = None
) -> None:
    """Tell the account's owner (and the deal's, if another person) what someone else did."""
    for owner_id in dict.fromkeys((account.owner_id, deal.owner_id)):
        if owner_id == ctx.actor.id:
            continue
        owner = ctx.session.get(User, owner_id)
        if owner is None or not owner.active:
            continue
        lang = owner.language
        key = "owner_new" if created else "owner_note"
        note = Reply(
            title=_(key, lang, who=ctx.actor.display_name, deal=deal.name, account=account.name)
        )
        stage = label(deal.stage, lang)
        if moved_from is not None:
            stage = _("stage_move", lang, old=label(moved_from, lang), new=stage)
        note.fields.append(Field(_("stage", lang), stage))
        note.fields.append(Field(_("amount", lang), fmt_money(deal.amount, deal.currency, lang)))
        note.fields.append(Field(_("close", lang), fmt_day(deal.close_date, lang)))
        if deal.stage == DealStage.lost.value and deal.lost_reason:
            note.fields.append(Field(_("reason", lang), deal.lost_reason))
        note.actions.append(Action(_("view", lang), f'deal {account.name} "{deal.name}"'))
        ctx.notify_user(owner_id, note)
