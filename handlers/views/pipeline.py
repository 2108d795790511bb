"""The sales funnel as a reply (``/pipeline``): a line per stage with every number, the
conversion between stages, and the same numbers as a funnel chart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from domain.forecast import conversion, median_days, stalled, weighted
from handlers.i18n import Catalog
from handlers.replies import Chart, Field, Reply, Series
from handlers.views import fmt_money, label
from handlers.views.book_scope import currency_unit
from handlers.views.health import fmt_pct

_ = Catalog("views.pipeline")


@dataclass(frozen=True)
class StageNumbers:
    stage: str
    probability: int
    deals: int
    amount: Decimal  # in the house currency
    ages: Mapping[int, int]  # days in stage: deals
    limit: int | None  # the stalled limit of the stage

    @property
    def weighted(self) -> Decimal:
        return weighted(self.amount, self.probability)

    @property
    def stalled(self) -> int:
        return stalled(self.ages, self.limit)


def _days(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:f}".removesuffix(".0")


def pipeline_reply(
    *,
    title: str,
    lang: str,
    currency: str,
    stages: Sequence[StageNumbers],
    conversions: Mapping[str, tuple[int, int]],
    notes: Sequence[str] = (),
) -> Reply:
    money = lambda amount: fmt_money(amount, currency, lang)  # noqa: E731
    deals = sum(s.deals for s in stages)
    amount = sum((s.amount for s in stages), Decimal(0))
    weighted_total = sum((s.weighted for s in stages), Decimal(0))
    stalled_total = sum(s.stalled for s in stages)
    reply = Reply(title=title)
    reply.fields += [
        Field(_("open", lang), _("open_value", lang, deals=deals, amount=money(amount))),
        Field(_("weighted", lang), money(weighted_total)),
        Field(_("stalled", lang), str(stalled_total)),
    ]
    reply.add_section(
        _("by_stage", lang),
        [
            _(
                "stage_line",
                lang,
                stage=label(s.stage, lang),
                p=s.probability,
                deals=s.deals,
                amount=money(s.amount),
                weighted=money(s.weighted),
                median=_days(median_days(s.ages)),
                stalled=s.stalled,
            )
            for s in stages
        ],
    )
    names = [s.stage for s in stages]
    lines = []
    for i, stage in enumerate(names):
        entered, advanced = conversions.get(stage, (0, 0))
        after = names[i + 1] if i + 1 < len(names) else "won"
        lines.append(
            _(
                "conversion_line",
                lang,
                stage=label(stage, lang),
                next=label(after, lang),
                pct=fmt_pct(conversion(entered, advanced)),
                advanced=advanced,
                entered=entered,
            )
        )
    reply.add_section(_("conversion", lang), lines)
    reply.lines += list(notes)
    reply.footer = _("footer", lang)
    reply.chart = Chart(
        kind="funnel",
        lang=lang,
        title=title,
        categories=tuple(label(s.stage, lang) for s in stages),
        series=(
            Series(_("series_amount", lang), tuple(float(s.amount) for s in stages)),
            Series(_("series_weighted", lang), tuple(float(s.weighted) for s in stages)),
        ),
        alt=_("alt", lang, deals=deals, amount=money(amount), weighted=money(weighted_total)),
        unit=currency_unit(currency),
    )
    return reply
