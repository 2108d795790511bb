"""``/pipeline [team T | @person | me] [quarter]`` (``/漏斗``, ``/销售漏斗``): the sales
funnel of the deals the asker may see.

Per open stage (``[deals.probabilities]`` order, lead → negotiation): how many open
deals, their amount and weighted amount (amount × the stage's probability), the median
days they have sat in the stage and how many are stalled past the stage's limit
(``[risks.stalled_days]``, the digest's rule).  Then the conversion between stages over
the last 12 months, from the stage history (``domain.forecast.conversion``).  A period
keeps the open deals closing in it (the conversion always covers 12 months).  Amounts
in the house currency (``fx_rates``).  Read-only; the numbers are grouped in the
database (``storage.pipeline``), never loaded deal by deal.

    /pipeline            /pipeline team East 2026Q4          /漏斗 @王磊 本季度
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from domain.goals import period_bounds
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.registry import command
from handlers.replies import Reply
from handlers.views.book_scope import (
    ScopeArgs,
    house_total,
    parse_scope,
    period_label,
    resolve_scope,
    unconverted_line,
)
from handlers.views.pipeline import StageNumbers, pipeline_reply
from storage.pipeline import conversions, open_by_stage, stage_ages

_ = Catalog("pipeline")

WINDOW_DAYS = 365
"""The conversion window: the last 12 months."""


class PipelineQuery(BaseModel):
    command: str = "pipeline"
    scope: ScopeArgs


def parse_pipeline(args: str, pctx: ParseContext) -> PipelineQuery:
    return PipelineQuery(scope=parse_scope(args, pctx, example=_("example", pctx.lang)))


@command(
    name="pipeline",
    aliases=("漏斗", "销售漏斗", "funnel"),
    parse=parse_pipeline,
    group="health",
)
def run_pipeline(ctx: Context, cmd: PipelineQuery) -> Reply:
    lang, session, settings = ctx.lang, ctx.session, ctx.settings
    scope, who = resolve_scope(ctx, cmd.scope)
    close_from = close_to = None
    title = _("title", lang, who=who)
    if cmd.scope.period is not None and cmd.scope.year is not None:
        close_from, close_to = period_bounds(cmd.scope.year, cmd.scope.period)
        title = _("title_period", lang, who=who,
                  period=period_label(cmd.scope.year, cmd.scope.period, lang))  # fmt: skip
    stages = settings.deals.open_stages
    today = ctx.now.date()
    totals = open_by_stage(session, scope, close_from=close_from, close_to=close_to)
    ages = stage_ages(session, scope, today=today, tz=ctx.tz,
                      close_from=close_from, close_to=close_to)  # fmt: skip
    converted = conversions(session, scope, since=ctx.now - timedelta(days=WINDOW_DAYS),
                            until=ctx.now, stages=stages)  # fmt: skip
    if not totals and not any(entered for entered, _a in converted.values()):
        return Reply(title=title, lines=[_("empty", lang, who=who)])
    left_out: set[str] = set()
    numbers = []
    for stage in stages:
        amounts = {c: a for (s, c), (_n, a) in totals.items() if s == stage}
        amount, missing = house_total(amounts, settings)
        left_out |= missing
        numbers.append(
            StageNumbers(
                stage=stage,
                probability=settings.deals.probabilities[stage],
                deals=sum(n for (s, _c), (n, _a) in totals.items() if s == stage),
                amount=amount,
                ages=ages.get(stage, {}),
                limit=settings.risks.stalled_days.get(stage),
            )
        )
    return pipeline_reply(
        title=title,
        lang=lang,
        currency=settings.currency,
        stages=numbers,
        conversions=converted,
        notes=unconverted_line(left_out, lang),
    )
