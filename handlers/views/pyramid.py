"""The customer-value pyramid as a reply (``/pyramid``): accounts, 12-month revenue and
open pipeline per tier with their shares — the 80/20 made visible — and the accounts
whose tier disagrees with their revenue band, as bars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.forecast import ratio
from handlers.i18n import Catalog
from handlers.replies import Chart, Field, Reply, Series
from handlers.views import fmt_money
from handlers.views.health import fmt_pct
from handlers.views.tiers import tier_label

_ = Catalog("views.pyramid")
ZERO = Decimal(0)


@dataclass(frozen=True)
class TierRow:
    tier: str
    accounts: int
    revenue: Decimal
    pipeline: Decimal


@dataclass(frozen=True)
class Disagreement:
    name: str
    tier: str
    rank: int
    revenue: Decimal


def _pct(value: Decimal | None) -> float:
    return float((value or ZERO) * 100)


def pyramid_reply(
    *,
    title: str,
    lang: str,
    currency: str,
    tiers: Sequence[TierRow],
    ranked: int,
    disagreements: Sequence[Disagreement],
    more: int,
    notes: Sequence[str] = (),
) -> Reply:
    money = lambda amount: fmt_money(amount, currency, lang)  # noqa: E731
    accounts = sum(t.accounts for t in tiers)
    revenue = sum((t.revenue for t in tiers), ZERO)
    pipeline = sum((t.pipeline for t in tiers), ZERO)
    reply = Reply(title=title)
    reply.fields += [
        Field(_("accounts", lang), str(accounts)),
        Field(_("revenue", lang), money(revenue)),
        Field(_("pipeline", lang), money(pipeline)),
    ]
    reply.add_section(_("by_tier", lang), [
        _("tier_line", lang, tier=t.tier, label=tier_label(t.tier, lang), accounts=t.accounts,
          accounts_pct=fmt_pct(ratio(t.accounts, accounts)), revenue=money(t.revenue),
          revenue_pct=fmt_pct(ratio(t.revenue, revenue)), pipeline=money(t.pipeline),
          pipeline_pct=fmt_pct(ratio(t.pipeline, pipeline)))
        for t in tiers
    ])  # fmt: skip
    lines = []
    for d in disagreements:
        if d.tier == "C":
            lines.append(_("c_like_a", lang, name=d.name, rank=d.rank, n=ranked,
                           amount=money(d.revenue)))  # fmt: skip
        elif d.revenue > 0:
            lines.append(_("a_like_c", lang, name=d.name, rank=d.rank, n=ranked,
                           amount=money(d.revenue)))  # fmt: skip
        else:
            lines.append(_("a_no_revenue", lang, name=d.name))
    if more:
        lines.append(_("more", lang, n=more))
    total = len(disagreements) + more
    if lines:
        reply.add_section(_("review", lang, n=total), lines)
    else:
        reply.lines.append(_("no_review", lang))
    reply.lines += list(notes)
    reply.footer = _("footer", lang)
    reply.chart = Chart(
        kind="hbars",
        lang=lang,
        title=title,
        categories=tuple(f"{t.tier} {tier_label(t.tier, lang)}" for t in tiers),
        series=(
            Series(
                _("series_accounts", lang), tuple(_pct(ratio(t.accounts, accounts)) for t in tiers)
            ),
            Series(
                _("series_revenue", lang), tuple(_pct(ratio(t.revenue, revenue)) for t in tiers)
            ),
            Series(
                _("series_pipeline", lang), tuple(_pct(ratio(t.pipeline, pipeline)) for t in tiers)
            ),
        ),
        alt=_("alt", lang, accounts=accounts, revenue=money(revenue)),
        unit="%",
    )
    return reply
