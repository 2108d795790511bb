"""``/ltv`` (``/价值``): an account's RFM scores and lifetime value; set its expected years
and acquisition cost.

    /ltv Acme [years 6] [cost 200k]              /价值 华夏重工 [年限 6] [获客成本 20万]

The formulas live in ``domain.health``; the texts ``/account`` shares live in
``handlers.views.health``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from pydantic import BaseModel

from domain.errors import ParseError
from domain.health import account_lifetime_value, convert, policy_of
from domain.models import Account
from handlers.auth import require_read, require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.parsing.money import leading_money, starts_negative
from handlers.parsing.text import normalize
from handlers.registry import command
from handlers.replies import Field, Reply, Severity
from handlers.views import fmt_day
from handlers.views.health import ltv_text, rfm_inputs_text
from storage import audit
from storage.rfm import account_rfm

_ = Catalog("ltv")


# --- /ltv ---------------------------------------------------------------------------


_YEARS = re.compile(
    r"(?:\byears?\b|年限|合作年限)\s*[:：]?\s*(?P<n>\d+(?:\.\d+)?)\s*年?", re.IGNORECASE
)
_COST = re.compile(r"(?:\b(?:acquisition\s+)?cost\b|cac|获客成本)\s*[:：]?\s*", re.IGNORECASE)


class LtvCommand(BaseModel):
    command: str = "ltv"
    account: str
    years: float | None = None
    cost: Decimal | None = None
    cost_currency: str | None = None


def parse_ltv(args: str, pctx: ParseContext) -> LtvCommand:
    lang = pctx.lang
    account, rest = split_account(normalize(args), pctx)
    cmd = LtvCommand(account=account)
    m = _YEARS.search(rest)
    if m is not None:
        cmd.years = float(m["n"])
        if not 0 < cmd.years <= 100:
            raise ParseError(_("bad_years", lang, account=account))
        rest = (rest[: m.start()] + " " + rest[m.end() :]).strip()
    c = _COST.search(rest)
    if c is not None:
        after_cost = rest[c.end() :]
        if starts_negative(after_cost):
            raise ParseError(_("negative", lang))
        money, after = leading_money(after_cost, default_currency=pctx.currency)
        if money is None:
            raise ParseError(_("bad_ltv_args", lang, account=account))
        cmd.cost, cmd.cost_currency = money.amount, money.currency
        rest = (rest[: c.start()] + " " + after).strip()
    if rest.strip():
        raise ParseError(_("bad_ltv_args", lang, account=account))
    return cmd


@command(
    name="ltv",
    aliases=("价值", "客户价值", "rfm", "value"),
    parse=parse_ltv,
    writes=True,
    group="health",
)
def run_ltv(ctx: Context, cmd: LtvCommand) -> Reply:
    lang = ctx.lang
    account = resolve_account(ctx, cmd.account)
    if cmd.years is None and cmd.cost is None:
        require_read(ctx.session, ctx.actor, account, lang)
        return _ltv_view(ctx, account, Reply(title=_("ltv_title", lang, account=account.name)))
    require_write(ctx.session, ctx.actor, account, lang)
    house = ctx.settings.currency
    before = audit.snapshot(account)
    if cmd.years is not None:
        account.expected_years = cmd.years
    if cmd.cost is not None:
        account.acquisition_cost = convert(
            cmd.cost, cmd.cost_currency, house, house=house, rates=ctx.settings.fx_rates
        ).quantize(Decimal("0.01"))
    account.updated_at = ctx.now
    ctx.session.add(account)
    ctx.audit("update", account, before=before, account_id=account.id,
              summary="lifetime value inputs")  # fmt: skip
    reply = Reply(title=_("ltv_set", lang, account=account.name), severity=Severity.success)
    return _ltv_view(ctx, account, reply)


def _ltv_view(ctx: Context, account: Account, reply: Reply) -> Reply:
    lang, house = ctx.lang, ctx.settings.currency
    policy = policy_of(ctx.settings)
    of = account_rfm(ctx.session, account, now=ctx.now, settings=ctx.settings, tz=ctx.tz)
    rfm = of.rfm
    if rfm is not None:
        scores = {"code": rfm.code, "r": rfm.recency, "f": rfm.frequency, "m": rfm.monetary}
        if of.as_of is None:
            value = _("rfm_value", lang, **scores)
        else:
            value = _("rfm_value_as_of", lang, date=fmt_day(of.as_of, lang), **scores)
        reply.fields.append(Field(_("rfm", lang), value))
    elif of.state == "other_settings":
        reply.fields.append(Field(_("rfm", lang), _("rfm_other_settings", lang)))
    elif of.state == "unranked":
        reply.fields.append(Field(_("rfm", lang), _("rfm_unranked", lang)))
    if of.inputs is not None:
        reply.lines.append(rfm_inputs_text(of.inputs, lang, house))
    if of.unconverted:
        reply.lines.append(_("left_out", lang, currencies=", ".join(sorted(of.unconverted))))
    ltv, from_book = account_lifetime_value(
        annual_revenue=account.annual_revenue,
        expected_years=account.expected_years,
        margin_pct=account.margin_pct,
        acquisition_cost=account.acquisition_cost,
        default_years=policy.expected_years,
        book_revenue=of.inputs.monetary if of.inputs is not None else None,
    )
    reply.fields.append(Field(_("ltv", lang), ltv_text(ltv, lang, house, account.name)))
    if from_book:
        reply.lines.append(_("ltv_from_book", lang))
    return reply
