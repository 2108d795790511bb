"""The words for a risk: the account rules' (``domain.risks``) and the health rules'
(``domain.health``) codes and parameters as one line in the reader's language."""

from __future__ import annotations

from domain.risks import Risk
from handlers.i18n import Catalog
from handlers.views import fmt_money, label

# One text per risk code; the parameters are the rule's.
_ = Catalog(
    {
        "churned": {"en": "Churned", "zh": "已流失"},
        "at_risk": {"en": "Marked at risk", "zh": "已标记为有流失风险"},
        "lapsed": {
            "en": "No contact for {days_since} days (cadence {cadence} days)",
            "zh": "已{days_since}天未联系（跟进周期{cadence}天）",
        },
        "never_contacted": {"en": "Never contacted", "zh": "从未联系"},
        "deal_overdue": {
            "en": "Deal {deal} was due to close on {close_date} and is still open",
            "zh": "商机「{deal}」预计{close_date}成交，至今未关闭",
        },
        "deal_stalled": {
            "en": "Deal {deal} has been in {stage} for {days} days (limit {limit})",
            "zh": "商机「{deal}」停留在{stage}阶段{days}天（上限{limit}天）",
        },
        "complaint_open": {
            "en": "A complaint has been open for {days} days (limit {limit})",
            "zh": "投诉已{days}天未解决（上限{limit}天）",
        },
        "tasks_overdue": {"en": "Overdue tasks: {count}", "zh": "逾期任务{count}项"},
        "thin_coverage": {
            "en": "Contacts: {contacts}, an A-tier account needs at least {min_contacts}",
            "zh": "联系人{contacts}位，A类客户至少需要{min_contacts}位",
        },
        "no_decision_maker": {
            "en": "No decision maker among the contacts",
            "zh": "联系人中没有决策人",
        },
        "goal_behind": {"en": "Behind on its goal", "zh": "目标进度落后"},
        "csat_low": {
            "en": "CSAT {score}/10 (a risk at {limit} or less)",
            "zh": "满意度 {score}/10（{limit} 分及以下为风险）",
        },
        "csat_drop": {
            "en": "CSAT fell from {previous} to {score}",
            "zh": "满意度从 {previous} 分降到 {score} 分",
        },
        "receivables_overdue": {
            "en": "Overdue receivables {amounts}, the oldest {days} days past due",
            "zh": "逾期应收 {amounts}，最久逾期 {days} 天",
        },
        "credit_limit_exceeded": {
            "en": "Open exposure {exposure} is above the credit limit {limit} by {excess}",
            "zh": "未结敞口 {exposure}，超出信用额度 {limit} 共 {excess}",
        },
        "amounts_joiner": {"en": " + ", "zh": " + "},
    }
)


def describe(risk: Risk, lang: str) -> str:
    """Any risk as one line; amounts are formatted for the reader."""
    params = dict(risk.params)
    if "stage" in params:
        params["stage"] = label(params["stage"], lang)
    if "amounts" in params:
        params["amounts"] = _("amounts_joiner", lang).join(
            fmt_money(a, c, lang) for c, a in params["amounts"].items()
        )
    currency = params.pop("currency", None)
    if currency is not None:
        for key in ("exposure", "limit", "excess"):
            params[key] = fmt_money(params[key], currency, lang)
    return _(risk.code, lang, **params)
