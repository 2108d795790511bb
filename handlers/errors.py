"""The words for the domain's errors.

The domain raises a key and parameters — ``InvalidInput("tier_unknown", value="D")`` —
and this is where they become a sentence in the reader's language (the dispatcher's
error reply, the CSV import's row errors).  An error a handler raised with words of its
own is shown as it is.
"""

from __future__ import annotations

from typing import Any

from domain.errors import KamError
from handlers.i18n import Catalog

_ = Catalog(
    {
        # domain/cadence.py
        "tz_naive": {
            "en": "datetime must be timezone-aware",
            "zh": "时间必须带时区",
        },
        # domain/calendar.py
        "month_out_of_range": {"en": "month out of range", "zh": "月份超出范围"},
        "lunar_day_out_of_range": {"en": "lunar day out of range", "zh": "农历日期超出范围"},
        "leap_not_lunar": {
            "en": "only a lunar birthday can fall in a leap month",
            "zh": "只有农历生日才可能在闰月",
        },
        "no_such_date": {"en": "no such date", "zh": "没有这一天"},
        "not_lunar_date": {"en": "not a lunar date", "zh": "不是农历日期"},
        "lunar_years": {
            "en": "lunar dates are known only for 1900-2099",
            "zh": "农历日期只支持 1900-2099 年",
        },
        # domain/goals.py
        "target_negative": {"en": "target must not be negative", "zh": "目标不能为负数"},
        "weights_and_monthly": {
            "en": "give month weights or monthly amounts, not both",
            "zh": "月度权重和月度金额只能给一种",
        },
        "monthly_sum": {
            "en": "monthly amounts must add up to the target",
            "zh": "月度金额之和必须等于目标",
        },
        "weights_zero": {"en": "month weights must not all be zero", "zh": "月度权重不能全为零"},
        "period_reversed": {"en": "period ends before it starts", "zh": "结束日期早于开始日期"},
        "tolerance_range": {
            "en": "tolerance must be between 0 and 1",
            "zh": "容差必须在 0 到 1 之间",
        },
        "period_unknown": {"en": "unknown period", "zh": "未知的期间"},
        "not_a_number": {"en": "not a number", "zh": "不是数字"},
        "need_twelve": {"en": "need twelve monthly values", "zh": "需要十二个月度数值"},
        "monthly_negative": {
            "en": "monthly values must not be negative",
            "zh": "月度数值不能为负数",
        },
        # domain/health.py
        "payment_negative": {"en": "a payment cannot be negative", "zh": "回款金额不能为负数"},
        "ltv_negative": {
            "en": "revenue and years must not be negative",
            "zh": "收入和年数不能为负数",
        },
        "no_rate": {
            "en": "no exchange rate for {currencies} to {target}",
            "zh": "没有 {currencies} 兑 {target} 的汇率",
        },
        "no_rate_hint": {
            "en": "Set fx_rates in kam.toml, e.g. fx_rates = { USD = 7.2 } (units of the "
            "house currency per unit of the other).",
            "zh": "请在 kam.toml 中设置 fx_rates，例如 fx_rates = { USD = 7.2 }"
            "（一单位外币折合多少本币）。",
        },
        # domain/tiers.py
        "tier_unknown": {"en": "unknown tier", "zh": "未知的分级"},
        "value_out_of_range": {"en": "value out of range", "zh": "数值超出范围"},
    }
)


def _shown(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return value


def error_text(exc: KamError, lang: str) -> str:
    """The error's message in ``lang``: a domain key worded with its parameters, or the
    words a handler already chose."""
    if exc.message in _:
        return _(exc.message, lang, **{k: _shown(v) for k, v in exc.params.items()})
    return exc.message


def hint_text(exc: KamError, lang: str) -> str | None:
    """The error's hint in ``lang`` (a key, as the domain gives it, or words)."""
    if exc.hint and exc.hint in _:
        return _(exc.hint, lang)
    return exc.hint
