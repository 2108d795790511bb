"""``/pyramid [team T]`` (``/金字塔``, ``/价值金字塔``): the customer-value pyramid of the
accounts the asker may see.

Per tier (A/B/C, the override if any): how many accounts, their share of the 12-month
revenue — **won deals closed in the last 12 months** (bookings: every team has deals,
not every team imports payments) — and of the open pipeline (open deal amounts).  Then
the accounts whose tier disagrees with their revenue band (``domain.forecast``: a C in
the top 20% by revenue, an A in the bottom band or without revenue), up to ten, as
candidates for the quarterly tier review.  Read-only.

    /pyramid          /pyramid team East          /金字塔 华东
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pydantic import BaseModel

from domain.tiers import TIERS
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.registry import command
from handlers.replies import Reply
from handlers.views.book_scope import (
    ScopeArgs,
    house_total,
    parse_scope,
    resolve_scope,
    unconverted_line,
)
from handlers.views.pyramid import Disagreement, TierRow, pyramid_reply
from storage.pipeline import review_candidates, tier_totals

_ = Catalog("pyramid")

WINDOW_DAYS = 365
LISTED = 10
"""Review candidates listed; the rest are counted ("… 3 more")."""


class PyramidQuery(BaseModel):
    command: str = "pyramid"
    scope: ScopeArgs


def parse_pyramid(args: str, pctx: ParseContext) -> PyramidQuery:
    scope = parse_scope(args, pctx, people=False, example=_("example", pctx.lang))
    return PyramidQuery(scope=ScopeArgs(scope.who, scope.name))


@command(name="pyramid", aliases=("金字塔", "价值金字塔", "客户金字塔"), parse=parse_pyramid,
         group="health")  # fmt: skip
def run_pyramid(ctx: Context, cmd: PyramidQuery) -> Reply:
    lang, session, settings = ctx.lang, ctx.session, ctx.settings
    scope, who = resolve_scope(ctx, cmd.scope, own_default="teams")
    title = _("title", lang, who=who)
    since = ctx.now - timedelta(days=WINDOW_DAYS)
    totals = tier_totals(session, scope, since=since)
    if not sum(totals.accounts.values()):
        return Reply(title=title, lines=[_("empty", lang, who=who)])
    left_out: set[str] = set()

    def house_of(rows: dict[tuple[str, str], Decimal], tier: str) -> Decimal:
        total, missing = house_total({c: a for (t, c), a in rows.items() if t == tier}, settings)
        left_out.update(missing)
        return total

    tiers = [
        TierRow(t, totals.accounts.get(t, 0), house_of(totals.revenue, t),
                house_of(totals.pipeline, t))
        for t in TIERS
    ]  # fmt: skip
    ranked, count, found = review_candidates(
        session, scope, since=since, house=settings.currency, rates=settings.fx_rates,
        limit=LISTED,
    )  # fmt: skip
    listed = []
    for c in found:
        revenue, missing = house_total(c.revenue, settings)
        left_out.update(missing)
        listed.append(Disagreement(c.name, c.tier, c.rank, revenue))
    return pyramid_reply(
        title=title,
        lang=lang,
        currency=settings.currency,
        tiers=tiers,
        ranked=ranked,
        disagreements=listed,
        more=count - len(listed),
        notes=unconverted_line(left_out, lang),
    )
