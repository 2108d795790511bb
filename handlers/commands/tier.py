"""``/tier`` (``/分级``): why an account is A, B or C — and, for managers, setting it by hand.

    /tier Acme                                        the score, its four dimensions, the factors
    /tier Acme A because strategic partner in the region
    /分级 华夏重工 A 原因 区域战略合作伙伴
    /tier Acme auto                                   back to the computed tier

Anyone who may read the account sees how its tier is computed.  Setting or clearing the
override is for managers (of the account's team) and admins, and needs a reason; the
computed tier is refreshed from the factors at the same time, and the owner is told.
"""

from __future__ import annotations

import re
from contextlib import suppress
from functools import cache

from pydantic import BaseModel

from domain.errors import Forbidden, InvalidInput, ParseError
from domain.models import Account, User
from domain.tiers import TIERS, TierFactors, TierPolicy, TierScore, score
from handlers.auth import is_manager, require_read, require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog, languages
from handlers.lookup import resolve_account, split_account
from handlers.parsing.text import normalize
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import fmt_day, fmt_money
from handlers.views.tiers import tier_label
from storage import audit
from storage.tiering import decision_chain_depth, factors_of, rescore

MAX_REASON = 500  # Account.tier_override_reason

_ = Catalog("tier")

_AUTO = {"auto", "automatic", "clear", "reset", "none", "自动", "取消", "恢复", "清除"}


@cache
def _tier_words() -> dict[str, str]:
    """``A``, ``strategic``, ``战略``… → the tier letter (built on first use, not at import)."""
    return {t.casefold(): t for t in TIERS} | {
        tier_label(t, lang).casefold(): t for t in TIERS for lang in languages()
    }


_TIER_TOKEN = re.compile(r"(?P<word>[^\s:：,，]+?)(?:级|类|档)?(?=$|[\s:：,，])", re.IGNORECASE)
_GLUED = re.compile(r"(?P<tier>[ABCabc])(?:级|类|档)(?P<rest>.*)", re.DOTALL)
_REASON_LEAD = re.compile(
    r"^(?:because(?:\s+of)?|reason\s*:?|since|as|due\s+to|原因是?|理由是?|因为|由于)\s*:?\s*",
    re.IGNORECASE,
)

DIMENSIONS = {
    "current": ("annual_revenue", "margin_pct", "payment_days"),
    "potential": ("growth_pct", "cross_sell"),
    "strategic": ("reference_value", "brand_value", "innovation_value"),
    "relationship": (
        "years_together",
        "executive_contact",
        "decision_chain_depth",
        "payment_record",
        "satisfaction",
    ),
}


class TierCommand(BaseModel):
    command: str = "tier"
    account: str
    tier: str | None = None  # A | B | C
    clear: bool = False
    reason: str | None = None

    @property
    def changes(self) -> bool:
        return self.clear or self.tier is not None


def parse_tier(args: str, pctx: ParseContext) -> TierCommand:
    lang = pctx.lang
    account, rest = split_account(args, pctx)
    rest = normalize(rest)
    cmd = TierCommand(account=account)
    if not rest:
        return cmd
    word, after = _tier_word(rest)
    if word.casefold() not in _AUTO | _tier_words().keys():
        # An account name kam does not know, of several words (``Nowhere Ltd A because…``):
        # keep the words before the tier with the name, so the reply suggests the closest.
        words = rest.split()
        at = next((i for i, w in enumerate(words) if _is_tier(w)), None)
        if at is not None and at <= 5:
            cmd.account = account = " ".join([account, *words[:at]])
            word, after = _tier_word(" ".join(words[at:]))
    key = word.casefold()
    if key in _AUTO:
        cmd.clear = True
    elif key in _tier_words():
        cmd.tier = _tier_words()[key]
    else:
        raise ParseError(_("bad_tier", lang, text=word))
    reason = _REASON_LEAD.sub("", after.strip(" :：,，-—")).strip()
    if len(reason) > MAX_REASON:
        raise ParseError(_("long_reason", lang, n=MAX_REASON))
    cmd.reason = reason or None
    if cmd.tier is not None and cmd.reason is None:
        raise ParseError(_("no_reason", lang, account=account, tier=cmd.tier))
    return cmd


def _tier_word(text: str) -> tuple[str, str]:
    """The first word of ``text`` as a tier (``A``, ``A级``, ``auto``…) and what follows."""
    if (glued := _GLUED.fullmatch(text)) is not None:  # A级原因…
        return glued["tier"], glued["rest"]
    m = _TIER_TOKEN.match(text)
    return (m["word"], text[m.end() :]) if m else (text.split()[0], "")


def _is_tier(word: str) -> bool:
    return _tier_word(word)[0].casefold() in _AUTO | _tier_words().keys()


@command(
    name="tier",
    aliases=("分级",),
    parse=parse_tier,
    writes=True,
)
def run_tier(ctx: Context, cmd: TierCommand) -> Reply:
    account = resolve_account(ctx, cmd.account)
    if not cmd.changes:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _view(ctx, account)
    if not is_manager(ctx.actor):
        raise Forbidden(_("managers_only", ctx.lang, account=account.name))
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    if cmd.clear:
        return _clear(ctx, account)
    return _set(ctx, account, cmd)


def _rescore(ctx: Context, account: Account) -> None:
    """Refresh the computed tier; a factor out of range must not block a manager's call."""
    with suppress(InvalidInput):
        rescore(ctx.session, account, ctx.settings.tiers)


def _set(ctx: Context, account: Account, cmd: TierCommand) -> Reply:
    lang = ctx.lang
    assert cmd.tier is not None and cmd.reason is not None
    if account.tier_override == cmd.tier and account.tier_override_reason == cmd.reason:
        return Reply(title=_("unchanged", lang, account=account.name, tier=cmd.tier))
    before = audit.snapshot(account)
    was = account.effective_tier
    account.tier_override = cmd.tier
    account.tier_override_reason = cmd.reason
    account.tier_override_by_id = ctx.actor.id
    account.tier_override_at = ctx.now
    _rescore(ctx, account)
    account.updated_at = ctx.now
    ctx.session.add(account)
    ctx.audit(
        "update",
        account,
        before=before,
        account_id=account.id,
        summary=f"tier {was} → {cmd.tier} by hand: {cmd.reason}",
    )
    reply = Reply(
        title=_("set_title", lang, account=account.name, tier=cmd.tier), severity=Severity.success
    )
    reply.fields.append(Field(_("tier", lang), _tier_label(cmd.tier, lang)))
    reply.fields.append(Field(_("reason", lang), cmd.reason))
    reply.fields.append(Field(_("was", lang), _tier_label(was, lang)))
    reply.fields.append(
        Field(_("computed", lang), _computed_text(ctx, account.tier, account.score))
    )
    reply.lines.append(_("auto_hint", lang, account=account.name))
    reply.actions.append(Action(_("clear", lang), f"tier {account.name} auto"))
    _tell_owner(ctx, account, "owner_set", tier=cmd.tier, reason=cmd.reason)
    return reply


def _clear(ctx: Context, account: Account) -> Reply:
    """Drop the override (if any) and refresh the computed tier from the factors."""
    lang = ctx.lang
    before = audit.snapshot(account)
    was = account.effective_tier
    had = account.tier_override
    account.tier_override = None
    account.tier_override_reason = None
    account.tier_override_by_id = None
    account.tier_override_at = None
    _rescore(ctx, account)
    if audit.snapshot(account) == before:
        return Reply(title=_("no_override", lang, account=account.name, tier=account.tier))
    account.updated_at = ctx.now
    ctx.session.add(account)
    summary = f"tier override {had} cleared" if had else f"tier rescored {was} → {account.tier}"
    ctx.audit("update", account, before=before, account_id=account.id, summary=summary)
    reply = Reply(
        title=_("cleared_title", lang, account=account.name, tier=account.tier),
        severity=Severity.success,
    )
    reply.fields.append(
        Field(_("computed", lang), _computed_text(ctx, account.tier, account.score))
    )
    reply.fields.append(Field(_("was", lang), _tier_label(was, lang)))
    if was != account.tier:
        _tell_owner(ctx, account, "owner_cleared", tier=account.tier, reason="")
    return reply


def _tier_label(tier: str, lang: str) -> str:
    return f"{tier} {tier_label(tier, lang)}" if tier in TIERS else tier


def _computed_text(ctx: Context, tier: str, total: float) -> str:
    th = ctx.settings.tiers.thresholds
    return _(
        "computed_value",
        ctx.lang,
        tier=tier,
        score=f"{total:.1f}",
        a=f"{th.a:g}",
        b=f"{th.b:g}",
    )


def _tell_owner(ctx: Context, account: Account, key: str, *, tier: str, reason: str) -> None:
    owner = ctx.session.get(User, account.owner_id)
    if owner is None or owner.id == ctx.actor.id or not owner.active:
        return
    note = Reply(
        title=_(
            key,
            owner.language,
            who=ctx.actor.display_name,
            account=account.name,
            tier=tier,
            reason=reason,
        )
    )
    note.actions.append(Action(_("tier", owner.language), f"tier {account.name}"))
    ctx.notify_user(owner.id, note)


# --- the explanation --------------------------------------------------------------


def _view(ctx: Context, account: Account) -> Reply:
    lang, policy = ctx.lang, ctx.settings.tiers
    depth = decision_chain_depth(ctx.session, account.id)
    factors = factors_of(account, decision_chain_depth=depth)
    try:
        result: TierScore | None = score(factors, policy)
    except InvalidInput:
        result = None
    effective = account.effective_tier
    reply = Reply(
        title=_(
            "view_title",
            lang,
            account=account.name,
            tier=effective,
            label=tier_label(effective, lang),
        )
    )
    computed_tier = result.tier if result else account.tier
    computed_total = result.total if result else account.score
    reply.fields.append(
        Field(_("computed", lang), _computed_text(ctx, computed_tier, computed_total))
    )
    if account.tier_override:
        who = (
            ctx.session.get(User, account.tier_override_by_id)
            if account.tier_override_by_id
            else None
        )
        reply.fields.append(
            Field(
                _("override", lang),
                _(
                    "override_value",
                    lang,
                    tier=account.tier_override,
                    reason=account.tier_override_reason or "—",
                    who=who.display_name if who else "—",
                    when=fmt_day(account.tier_override_at, lang, ctx.tz),
                ),
            )
        )
    if not account.tier_override and result is not None and result.tier != account.tier:
        reply.lines.append(
            _("stale", lang, account=account.name, stored=account.tier, live=result.tier)
        )
        reply.severity = Severity.warning
    dims = result.dimensions if result else None
    weights = policy.weights
    for dim, fields in DIMENSIONS.items():
        value = getattr(dims, dim) if dims else getattr(account, f"score_{dim}")
        title = _(
            "dimension",
            lang,
            name=_(dim, lang),
            score=f"{value:.0f}",
            weight=f"{getattr(weights, dim) * 100:.0f}",
        )
        reply.add_section(title, [_factor_line(ctx, factors, name, policy) for name in fields])
    reply.footer = _("unknown_note", lang)
    if is_manager(ctx.actor) and account.tier_override:
        reply.actions.append(Action(_("clear", lang), f"tier {account.name} auto"))
    return reply


def _factor_line(ctx: Context, f: TierFactors, name: str, policy: TierPolicy) -> str:
    lang = ctx.lang
    value = getattr(f, name)
    if value is None:
        shown = "—"
    elif name == "annual_revenue":
        shown = fmt_money(value, ctx.settings.currency, lang)
    elif name in ("margin_pct",):
        shown = f"{value:g}%"
    elif name == "growth_pct":
        shown = f"{value:+g}%"
    elif name == "payment_days":
        shown = _("days", lang, n=value)
    elif name == "years_together":
        shown = _("years", lang, n=f"{value:g}")
    elif name == "executive_contact":
        shown = _("yes" if value else "no", lang)
    elif name == "decision_chain_depth":
        shown = _("of", lang, n=value, full=policy.anchors.decision_roles_full)
    elif name == "satisfaction":
        shown = f"{value:g}/10"
    else:
        shown = f"{value:g}/100"
    return f"{_(name, lang)}: {shown}"
