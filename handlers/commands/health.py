"""Account health: ``/csat``, ``/complaint``, ``/invoice``, ``/paid``, ``/ltv`` and ``/kpi``.

    /csat Acme 8 quick fix on the rollout        /满意度 华夏重工 9 交付很及时
    /csat Acme          /csat team East          (history; the team's accounts)
    /complaint Acme late delivery                /投诉 华夏重工 交货延迟
    /complaint resolve 12 replaced the batch     /投诉 解决 12 已补发
    /complaint [Acme]                            (open complaints)
    /invoice Acme 300k due 2026-12-31 Q4 fee     /应收 华夏重工 30万 到期 2026-12-31
    /invoice Acme limit 2m                       /应收 华夏重工 额度 200万
    /paid Acme 300k [#12] [yesterday]            /回款 华夏重工 30万
    /ltv Acme [years 6] [cost 200k]              /价值 华夏重工 [年限 6] [获客成本 20万]
    /kpi [team East | @alice | all] [2026 | 2026Q4 | 2026-11]      /指标 团队 华东 2026年11月

The formulas live in ``domain.health``; ``/kpi help`` shows them.  Whoever may change an
account (``handlers.auth``) records scores, complaints, invoices and payments for it;
credit limits are for managers and admins.  ``health_lines`` words the health part of
``/account``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import or_
from sqlmodel import select

from domain.errors import Forbidden, InvalidInput, NotFound, ParseError
from domain.goals import GoalMetric, breakdown, period_bounds
from domain.health import (
    Balance,
    CsatSummary,
    CurrencyMismatch,
    HealthSignals,
    Receivables,
    allocate,
    assess_health,
    convert,
    customer_counts,
    days_overdue,
    expected_interactions,
    goal_attainment,
    lifetime_value,
    policy_of,
    retention_rate,
    split_total,
    team_csat,
    win_rate,
)
from domain.health import CadenceCoverage as Coverage
from domain.health import complaint_rate as complaint_rate_of
from domain.health import resolution_rate as resolution_rate_of
from domain.models import (
    Account,
    Complaint,
    CsatScore,
    Goal,
    Invoice,
    Payment,
    Role,
    Team,
    User,
)
from handlers.auth import is_manager, require_read, require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog, pick
from handlers.lookup import resolve_account, split_account
from handlers.parsing.dates import extract_due, extract_leading_when
from handlers.parsing.money import Money, find_money, parse_money
from handlers.parsing.periods import current_quarter, period_of
from handlers.parsing.text import cn_to_int, is_cjk, normalize
from handlers.people import (
    TEAM_WORDS,
    resolve_user,
    tell_owner_and_managers,
    user_ref_of,
    visible_teams,
)
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import clip, describe_risk, fmt_date, fmt_day, fmt_money
from handlers.views.health import fmt_amounts, fmt_pct, fmt_score, ltv_text, rfm_inputs_text
from storage import audit, users
from storage.goals import actuals
from storage.health import (
    KpiInputs,
    Scope,
    account_names,
    account_receivables,
    complaint_age,
    complaints_of,
    csat_history,
    csat_summaries,
    day_start,
    days_in_period,
    invoices_of,
    kpi_inputs,
    open_complaints,
    payment_record_of,
    rfm_book,
    unapplied_payments,
)

MAX_COMMENT = 1000  # CsatScore.comment, Complaint.text, Complaint.resolution
MAX_NOTE = 200  # Invoice.note, Payment.note
LIST_LIMIT = 20

_ = Catalog(
    {
        # /csat
        "csat_recorded": {
            "en": "CSAT {score}/10 recorded for {account}",
            "zh": "已记录 {account} 的满意度：{score}/10",
        },
        "csat_title": {"en": "CSAT · {account}", "zh": "满意度 · {account}"},
        "csat_team_title": {"en": "CSAT · {team}", "zh": "满意度 · {team}"},
        "average": {"en": "Average (12 months)", "zh": "平均（近 12 个月）"},
        "average_value": {"en": "{avg} from {n} scores", "zh": "{avg}（{n} 次评分）"},
        "team_average": {"en": "Team average", "zh": "团队平均"},
        "team_average_value": {
            "en": "{avg} · mean of {n} accounts' averages",
            "zh": "{avg} · {n} 个客户平均分的平均",
        },
        "previous": {"en": "Before", "zh": "上次"},
        "csat_line": {
            "en": "{date} {score}/10 · {who}{comment}",
            "zh": "{date} {score}/10 · {who}{comment}",
        },
        "csat_account_line": {
            "en": "{account} {avg} ({n} scores, latest {last}{was})",
            "zh": "{account} {avg}（{n} 次，最近 {last}{was}）",
        },
        "was": {"en": ", was {previous}", "zh": "，上次 {previous}"},
        "no_scores": {"en": "No CSAT scores yet.", "zh": "还没有满意度评分。"},
        "no_team_scores": {
            "en": "No CSAT scores in the last 12 months.",
            "zh": "近 12 个月没有满意度评分。",
        },
        "csat_how": {
            "en": "Record one: /csat {account} 8 what they said",
            "zh": "记录评分：/满意度 {account} 8 客户反馈",
        },
        "csat_told": {
            "en": "{who} recorded CSAT {score}/10 for {account}{was}",
            "zh": "{who} 记录了 {account} 的满意度 {score}/10{was}",
        },
        "csat_told_was": {"en": " (before: {previous})", "zh": "（上次 {previous}）"},
        "bad_score": {
            "en": "CSAT is a whole number from 0 to 10, e.g. /csat {account} 8 …",
            "zh": "满意度是 0 到 10 的整数，例如：/满意度 {account} 8 …",
        },
        "long_text": {
            "en": "That is {n} characters; the limit is {limit}.",
            "zh": "内容有 {n} 个字，上限是 {limit} 个字。",
        },
        # /complaint
        "complaint_opened": {
            "en": "Complaint #{id} opened for {account}",
            "zh": "已登记 {account} 的投诉 #{id}",
        },
        "complaint_resolved": {
            "en": "Complaint #{id} at {account} resolved after {days} days",
            "zh": "{account} 的投诉 #{id} 已解决，历时 {days} 天",
        },
        "complaint_limit": {
            "en": "Open longer than {days} days, it shows as a risk. "
            "Close it with /complaint resolve {id} how it was fixed.",
            "zh": "超过 {days} 天未解决将列为风险。解决后请发送：/投诉 解决 {id} 处理结果",
        },
        "complaint": {"en": "Complaint", "zh": "投诉内容"},
        "resolution": {"en": "Fixed by", "zh": "处理结果"},
        "opened": {"en": "Opened", "zh": "登记时间"},
        "resolve_button": {"en": "Resolve #{id}", "zh": "解决 #{id}"},
        "complaints_title": {"en": "Open complaints", "zh": "未解决的投诉"},
        "complaints_of": {"en": "Open complaints · {account}", "zh": "未解决的投诉 · {account}"},
        "complaint_line": {
            "en": "#{id} {account} · {days}d open · {text}",
            "zh": "#{id} {account} · 已 {days} 天 · {text}",
        },
        "more_complaints": {
            "en": "…and more: /complaint ACCOUNT lists an account's",
            "zh": "……还有更多：/投诉 客户 查看该客户的全部投诉",
        },
        "no_complaints": {"en": "No open complaints.", "zh": "没有未解决的投诉。"},
        "complaint_told": {
            "en": "{who} opened complaint #{id} for {account}: {text}",
            "zh": "{who} 登记了 {account} 的投诉 #{id}：{text}",
        },
        "complaint_told_resolved": {
            "en": "{who} resolved complaint #{id} at {account}: {text}",
            "zh": "{who} 解决了 {account} 的投诉 #{id}：{text}",
        },
        "no_complaint_text": {
            "en": "What is the complaint? e.g. /complaint {account} late delivery",
            "zh": "投诉内容是什么？例如：/投诉 {account} 交货延迟",
        },
        "resolve_which": {
            "en": "Which complaint? e.g. /complaint resolve 12 replaced the batch",
            "zh": "哪一条投诉？例如：/投诉 解决 12 已补发",
        },
        "resolve_how": {
            "en": "Say how it was fixed: /complaint resolve {id} …",
            "zh": "请写明处理结果：/投诉 解决 {id} …",
        },
        "no_such_complaint": {"en": "There is no complaint #{id}.", "zh": "没有投诉 #{id}。"},
        "already_resolved": {
            "en": "Complaint #{id} was already resolved on {date}: {text}",
            "zh": "投诉 #{id} 已于 {date} 解决：{text}",
        },
        # /invoice and /paid
        "invoice_added": {
            "en": "Invoice #{id} for {account}: {amount}, due {due}",
            "zh": "已登记 {account} 的应收 #{id}：{amount}，{due} 到期",
        },
        "default_terms": {
            "en": "No due date given: {days} days from today.",
            "zh": "未写到期日：按 {days} 天账期计算。",
        },
        "credit_applied": {
            "en": "{amount} of earlier payments applied to it.",
            "zh": "已用此前多付的 {amount} 冲抵。",
        },
        "receivables_title": {"en": "Receivables · {account}", "zh": "应收账款 · {account}"},
        "open": {"en": "Open", "zh": "未收"},
        "overdue": {"en": "Overdue", "zh": "逾期"},
        "overdue_value": {
            "en": "{amounts} — oldest {days} days past due",
            "zh": "{amounts} — 最久逾期 {days} 天",
        },
        "credit": {"en": "Credit", "zh": "预收/多付"},
        "exposure": {"en": "Exposure", "zh": "敞口"},
        "exposure_value": {"en": "{exposure} of {limit} limit", "zh": "{exposure} / 额度 {limit}"},
        "no_limit": {"en": "{exposure} (no credit limit)", "zh": "{exposure}（未设信用额度）"},
        "unconverted": {
            "en": "— ({currencies} has no exchange rate; set fx_rates in kam.toml)",
            "zh": "—（{currencies} 没有汇率，请在 kam.toml 设置 fx_rates）",
        },
        "over_limit": {
            "en": "Open exposure {exposure} is above the credit limit {limit} by {excess}.",
            "zh": "未结敞口 {exposure}，超出信用额度 {limit} 共 {excess}。",
        },
        "on_time": {"en": "Paid on time (12 months)", "zh": "按时回款（近 12 个月）"},
        "on_time_value": {
            "en": "{on_time} of {due} invoices{days}",
            "zh": "{due} 张中 {on_time} 张{days}",
        },
        "days_to_pay": {"en": ", {days} days to pay on average", "zh": "，平均 {days} 天回款"},
        "invoice_line": {
            "en": "#{id} {open} of {amount} · due {due}{late}{note}",
            "zh": "#{id} 未收 {open} / {amount} · {due} 到期{late}{note}",
        },
        "late": {"en": " · {days}d overdue", "zh": " · 逾期 {days} 天"},
        "invoices": {"en": "Open invoices", "zh": "未结发票"},
        "no_invoices": {"en": "No open invoices.", "zh": "没有未结的应收。"},
        "limit_set": {
            "en": "Credit limit of {account} set to {limit}",
            "zh": "{account} 的信用额度已设为 {limit}",
        },
        "limit_cleared": {
            "en": "Credit limit of {account} removed",
            "zh": "已取消 {account} 的信用额度",
        },
        "limit_unchanged": {
            "en": "The credit limit of {account} is already {limit}",
            "zh": "{account} 的信用额度已经是 {limit}",
        },
        "limit_was": {"en": "Was", "zh": "原额度"},
        "limit_extra": {
            "en": "A credit limit is one amount; “{text}” is more. e.g. /invoice {account} limit 2m",
            "zh": "信用额度只写一个金额，“{text}”无法识别。例如：/应收 {account} 额度 200万",
        },
        "managers_only_limit": {
            "en": "Only managers and admins set credit limits.",
            "zh": "只有经理和管理员可以设置信用额度。",
        },
        "no_amount": {
            "en": "How much? e.g. /{cmd} {account} 300k",
            "zh": "金额是多少？例如：/{cmd} {account} 30万",
        },
        "zero_amount": {"en": "The amount must be more than zero.", "zh": "金额必须大于零。"},
        "negative": {"en": "An amount cannot be negative.", "zh": "金额不能为负数。"},
        "paid_recorded": {
            "en": "Payment of {amount} recorded for {account}",
            "zh": "已登记 {account} 的回款 {amount}",
        },
        "applied_line": {"en": "#{id}: {amount} — {state}", "zh": "#{id}：{amount} — {state}"},
        "settled": {"en": "paid in full", "zh": "已结清"},
        "settled_late": {"en": "paid in full, {days} days late", "zh": "已结清，逾期 {days} 天"},
        "still_open": {"en": "{open} still open", "zh": "尚欠 {open}"},
        "applied": {"en": "Applied to", "zh": "冲抵"},
        "unapplied": {
            "en": "{amount} is more than the open invoices in {currency}: kept as a credit "
            "for the next invoice.",
            "zh": "{amount} 超出 {currency} 未结发票，作为预收款冲抵下一张发票。",
        },
        "received": {"en": "Received", "zh": "到账日期"},
        "remaining": {"en": "Still open", "zh": "仍未收"},
        "paid_told": {
            "en": "{who} recorded a payment of {amount} from {account}",
            "zh": "{who} 登记了 {account} 的回款 {amount}",
        },
        "no_such_invoice": {
            "en": "{account} has no open invoice #{id}.",
            "zh": "{account} 没有未结的应收 #{id}。",
        },
        "invoice_currency": {
            "en": "Invoice #{id} is in {currency}; record the payment in {currency} too.",
            "zh": "应收 #{id} 以 {currency} 计价，请用 {currency} 登记回款。",
        },
        "future_payment": {
            "en": "{date} is in the future: record a payment once it has arrived.",
            "zh": "{date} 还没到：请在到账后再登记回款。",
        },
        "over_limit_told": {
            "en": "{account} is over its credit limit: exposure {exposure}, limit {limit}",
            "zh": "{account} 超出信用额度：敞口 {exposure}，额度 {limit}",
        },
        # /ltv
        "ltv_title": {"en": "Value · {account}", "zh": "客户价值 · {account}"},
        "rfm": {"en": "RFM", "zh": "RFM"},
        "rfm_value": {
            "en": "{code} — recency {r}, frequency {f}, monetary {m} (1-5, quintiles of the book)",
            "zh": "{code} — 最近 {r}，频次 {f}，金额 {m}（1-5 分，全部客户五等分）",
        },
        "ltv": {"en": "Lifetime value", "zh": "客户终身价值"},
        "ltv_from_book": {
            "en": "No annual revenue recorded: the last 12 months' won deals or payments stand in.",
            "zh": "未填写年收入：以近 12 个月的赢单或回款金额代替。",
        },
        "ltv_set": {
            "en": "Lifetime value inputs of {account} updated",
            "zh": "已更新 {account} 的价值参数",
        },
        "left_out": {
            "en": "{currencies} left out: no exchange rate.",
            "zh": "{currencies} 没有汇率，未计入。",
        },
        "bad_years": {
            "en": "Expected years is a number from 0 to 100, e.g. /ltv {account} years 6",
            "zh": "预期合作年限是 0 到 100 的数，例如：/价值 {account} 年限 6",
        },
        "bad_ltv_args": {
            "en": "I understand years N and cost AMOUNT, e.g. /ltv {account} years 6 cost 200k",
            "zh": "可以设置“年限 N”和“获客成本 金额”，例如：/价值 {account} 年限 6 获客成本 20万",
        },
        # /kpi
        "kpi_title": {"en": "KPIs · {who} · {period}", "zh": "指标 · {who} · {period}"},
        "to_date": {"en": "{period} to {date}", "zh": "{period}（截至 {date}）"},
        "me": {"en": "my accounts", "zh": "我的客户"},
        "book": {"en": "all accounts", "zh": "全部客户"},
        "team_label": {"en": "team {name}", "zh": "团队 {name}"},
        "retention": {"en": "Retention", "zh": "客户留存率"},
        "retention_value": {
            "en": "{value} · ({end} at end − {new} new) ÷ {start} at start",
            "zh": "{value} ·（期末 {end} − 新增 {new}）÷ 期初 {start}",
        },
        "win_rate": {"en": "Win rate", "zh": "赢单率"},
        "win_rate_value": {
            "en": "{value} · {won} won ÷ {closed} closed{amount}",
            "zh": "{value} · 赢单 {won} ÷ 关闭 {closed}{amount}",
        },
        "won_amount": {"en": " ({amount} won)", "zh": "（赢单金额 {amount}）"},
        "complaint_rate": {"en": "Complaint rate", "zh": "投诉率"},
        "complaint_rate_value": {
            "en": "{value} · {accounts} accounts with complaints ÷ {served} served",
            "zh": "{value} · 有投诉的客户 {accounts} ÷ 服务客户 {served}",
        },
        "resolution_rate": {"en": "Resolution rate", "zh": "投诉解决率"},
        "resolution_rate_value": {
            "en": "{value} · {resolved} resolved ÷ {open} open in the period",
            "zh": "{value} · 已解决 {resolved} ÷ 期间未结 {open}",
        },
        "avg_csat": {"en": "Average CSAT", "zh": "平均满意度"},
        "avg_csat_value": {
            "en": "{value} · mean of {accounts} accounts' averages ({scores} scores)",
            "zh": "{value} · {accounts} 个客户平均分的平均（{scores} 次评分）",
        },
        "interactions": {"en": "Interactions per account", "zh": "户均跟进"},
        "interactions_value": {
            "en": "{per} · {n} ÷ {accounts} accounts; the cadence expects {expected} ({share} of it)",
            "zh": "{per} · {n} ÷ {accounts} 个客户；按跟进周期应为 {expected}（完成 {share}）",
        },
        "attainment": {"en": "Goal attainment", "zh": "目标达成率"},
        "attainment_value": {
            "en": "{value} · mean of {n} goals: {goals}",
            "zh": "{value} · {n} 项目标的平均：{goals}",
        },
        "collected": {"en": "Collected", "zh": "回款"},
        "overdue_now": {"en": "Overdue now", "zh": "当前逾期"},
        "kpi_footer": {
            "en": "— means nothing to measure (division by zero). /kpi help shows every formula.",
            "zh": "— 表示没有可计算的数据（分母为零）。/指标 帮助 查看全部公式。",
        },
        "kpi_help_title": {"en": "How /kpi counts", "zh": "/指标 的计算方法"},
        "kpi_help": {
            "en": "Retention = (customers at end − new customers) ÷ customers at start\n"
            "Win rate = deals won ÷ deals closed (won + lost) in the period\n"
            "Complaint rate = accounts with a complaint opened ÷ accounts served "
            "(customers at start + new)\n"
            "Resolution rate = complaints resolved ÷ complaints open at any time in the period\n"
            "Average CSAT = mean of each account's average score in the period\n"
            "Interactions per account = interactions ÷ accounts, against "
            "Σ(days in period ÷ cadence days) ÷ accounts\n"
            "Goal attainment = mean over the goals of actual ÷ target for the period\n"
            "A customer is an active or at-risk account; prospects and churned accounts are "
            "not. Status history comes from the audit trail. Money in other currencies is "
            "converted with fx_rates; without a rate it is shown as —.",
            "zh": "客户留存率 =（期末客户数 − 新增客户数）÷ 期初客户数\n"
            "赢单率 = 期间赢单数 ÷ 关闭商机数（赢单 + 输单）\n"
            "投诉率 = 期间有新投诉的客户数 ÷ 服务客户数（期初客户 + 新增客户）\n"
            "投诉解决率 = 期间解决的投诉数 ÷ 期间内未结过的投诉数\n"
            "平均满意度 = 各客户期间平均分的平均\n"
            "户均跟进 = 跟进次数 ÷ 客户数，对比 Σ(期间天数 ÷ 跟进周期天数) ÷ 客户数\n"
            "目标达成率 = 各目标（实际 ÷ 期间目标）的平均\n"
            "客户指合作中或有风险的客户，不含潜在和已流失客户；状态变化取自操作记录。"
            "其他币种按 fx_rates 换算，没有汇率时显示 —。",
        },
        "period_year": {"en": "{year}", "zh": "{year} 年"},
        "period_q": {"en": "{year} Q{q}", "zh": "{year} 年第 {q} 季度"},
        "period_m": {"en": "{year}-{m:02d}", "zh": "{year} 年 {m} 月"},
        "future_period": {
            "en": "{period} has not started yet.",
            "zh": "{period} 还没有开始。",
        },
        "bad_period": {
            "en": "“{text}” is not a period I know: say 2026, 2026Q4 or 2026-11.",
            "zh": "看不懂时间段“{text}”：请写 2026、2026Q4 或 2026-11。",
        },
        "no_user": {"en": "There is no kam user @{name}.", "zh": "没有 kam 用户 @{name}。"},
        "no_team": {"en": "There is no team {name}.", "zh": "没有团队 {name}。"},
        "no_team_yet": {
            "en": "You are not in a team; name one, e.g. team East.",
            "zh": "你不属于任何团队，请指定团队，例如：团队 华东。",
        },
        "forbid_user": {
            "en": "Only {name}, their manager and admins see {name}'s KPIs.",
            "zh": "只有 {name} 本人、其经理和管理员可以查看 {name} 的指标。",
        },
        "forbid_team": {
            "en": "Only members and managers of {name} see its KPIs.",
            "zh": "只有 {name} 的成员和经理可以查看该团队的指标。",
        },
        "forbid_all": {
            "en": "Only admins see KPIs of the whole book.",
            "zh": "只有管理员可以查看全部客户的指标。",
        },
    }
)


# --- small shared pieces ------------------------------------------------------------


def _check_length(text: str, limit: int, lang: str) -> str:
    if len(text) > limit:
        raise ParseError(_("long_text", lang, n=len(text), limit=limit))
    return text


def _readable(ctx: Context):
    """A condition on ``Account``: the accounts the actor may read (None: all)."""
    if ctx.actor.role == Role.admin:
        return None
    teams = sorted(users.visible_team_ids(ctx.session, ctx.actor))
    return or_(Account.owner_id == ctx.actor.id, Account.team_id.in_(teams))


_AMOUNT_NEGATIVE = re.compile(r"^\s*[-−]")


def _leading_money(text: str, currency: str, lang: str) -> tuple[Money | None, str]:
    """The amount at the start of ``text`` (or, failing that, the first one in it)."""
    if _AMOUNT_NEGATIVE.match(text):
        raise ParseError(_("negative", lang))
    tokens = text.split()
    for n in (2, 1):
        if len(tokens) >= n:
            try:
                money = parse_money(" ".join(tokens[:n]), default_currency=currency)
            except ParseError:
                continue
            return money, " ".join(tokens[n:])
    return find_money(text, default_currency=currency)


def _money_or_refuse(text: str, pctx: ParseContext, cmd: str, account: str) -> tuple[Money, str]:
    money, rest = _leading_money(text, pctx.currency, pctx.lang)
    if money is None:
        raise ParseError(_("no_amount", pctx.lang, cmd=cmd, account=account))
    if money.amount <= 0:
        raise ParseError(_("zero_amount", pctx.lang))
    return money, rest.strip()


# --- /csat --------------------------------------------------------------------------


_SCORE = re.compile(
    r"^(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十]+)(?:\s*(?P<unit>/\s*10|分))?(?P<rest>.*)$",
    re.DOTALL,
)
_SCORE_END = re.compile(r"^(?:$|[\s,，.。:：;；!！-])")


class CsatCommand(BaseModel):
    command: str = "csat"
    account: str | None = None
    team: str | None = None  # "" = the actor's own team(s)
    score: int | None = None
    comment: str = ""


def parse_csat(args: str, pctx: ParseContext) -> CsatCommand:
    args = normalize(args).strip()
    if not args:
        return CsatCommand(team="")
    first, _sep, after = args.partition(" ")
    if first.casefold() in TEAM_WORDS:
        return CsatCommand(team=after.strip())
    account, rest = split_account(args, pctx)
    if not rest:
        return CsatCommand(account=account)
    m = _SCORE.match(rest)
    value = _score_value(m) if m is not None else None
    if value is None or not 0 <= value <= 10:
        raise ParseError(_("bad_score", pctx.lang, account=account))
    comment = _check_length(m["rest"].strip(" ,，.。:：;；!！-"), MAX_COMMENT, pctx.lang)
    return CsatCommand(account=account, score=value, comment=comment)


def _score_value(m: re.Match[str]) -> int | None:
    """The whole number a score match holds; None for a fraction or a number that runs on.

    ``8``, ``8/10``, ``8分``, ``八分`` and ``8分交付及时`` are 8; ``8.5`` and ``80km`` are
    not scores.  Without a unit an ASCII number may be followed by Chinese text.
    """
    raw, rest = m["n"], m["rest"]
    runs_on = m["unit"] is None and not _SCORE_END.match(rest)
    if runs_on and not (raw.isascii() and is_cjk(rest[0])):
        return None
    if not raw.isascii():
        return cn_to_int(raw)
    number = Decimal(raw)
    return int(number) if number == number.to_integral_value() else None


@command(
    name="csat",
    aliases=("满意度", "satisfaction"),
    summary={
        "en": "Record a customer-satisfaction score (0-10); see averages",
        "zh": "记录客户满意度（0-10 分）；查看平均分",
    },
    usage={
        "en": "/csat ACCOUNT SCORE [comment]  ·  /csat ACCOUNT  ·  /csat team [NAME]",
        "zh": "/满意度 客户 分数 [反馈]  ·  /满意度 客户  ·  /满意度 团队 [名称]",
    },
    example={"en": "/csat Acme 8 quick fix on the rollout", "zh": "/满意度 华夏重工 9 交付很及时"},
    parse=parse_csat,
    writes=True,
    group="health",
)
def run_csat(ctx: Context, cmd: CsatCommand) -> Reply:
    if cmd.team is not None:
        return _csat_team(ctx, cmd.team)
    account = resolve_account(ctx, cmd.account or "")
    if cmd.score is None:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _csat_view(ctx, account)
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    return _csat_record(ctx, account, cmd)


def _summary(ctx: Context, account: Account):
    policy = policy_of(ctx.settings)
    since = ctx.now - timedelta(days=policy.csat_window_days)
    return csat_summaries(ctx.session, since=since, where=account.id).get(account.id)


def _csat_record(ctx: Context, account: Account, cmd: CsatCommand) -> Reply:
    lang, policy = ctx.lang, policy_of(ctx.settings)
    score = CsatScore(
        account_id=account.id,
        score=cmd.score,
        comment=cmd.comment,
        recorded_at=ctx.now,
        author_id=ctx.actor.id,
    )
    ctx.session.add(score)
    ctx.audit("create", score, account_id=account.id, summary=f"CSAT {cmd.score}/10")
    summary = _summary(ctx, account)
    reply = Reply(
        title=_("csat_recorded", lang, score=cmd.score, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(
        Field(
            _("average", lang),
            _("average_value", lang, avg=fmt_score(summary.average), n=summary.count),
        )
    )
    if summary.previous is not None:
        reply.fields.append(Field(_("previous", lang), f"{summary.previous}/10"))
    risks = assess_health(_csat_signals(summary), policy)
    for risk in risks:
        reply.lines.append(describe_risk(risk, lang))
    if risks:
        reply.severity = Severity.warning

    def note(reader_lang: str) -> Reply:
        was = (
            _("csat_told_was", reader_lang, previous=summary.previous)
            if summary.previous is not None
            else ""
        )
        told = Reply(
            title=_(
                "csat_told",
                reader_lang,
                who=ctx.actor.display_name,
                score=cmd.score,
                account=account.name,
                was=was,
            ),
            lines=[cmd.comment] if cmd.comment else [],
            actions=[
                Action(pick(reader_lang, "View account", "查看客户"), f"account {account.name}")
            ],
        )
        told.lines += [describe_risk(r, reader_lang) for r in risks]
        if risks:
            told.severity = Severity.warning
        return told

    tell_owner_and_managers(ctx, account, note, managers=bool(risks))
    return reply


def _csat_signals(summary: CsatSummary) -> HealthSignals:
    return HealthSignals(csat_last=summary.last, csat_previous=summary.previous)


def _csat_view(ctx: Context, account: Account) -> Reply:
    lang, tz = ctx.lang, ctx.tz
    reply = Reply(title=_("csat_title", lang, account=account.name))
    summary = _summary(ctx, account)
    history = csat_history(ctx.session, account.id)
    if summary is not None:
        reply.fields.append(
            Field(
                _("average", lang),
                _("average_value", lang, avg=fmt_score(summary.average), n=summary.count),
            )
        )
        for risk in assess_health(_csat_signals(summary), policy_of(ctx.settings)):
            reply.lines.append(describe_risk(risk, lang))
            reply.severity = Severity.warning
    if not history:
        reply.lines.append(_("no_scores", lang))
        reply.lines.append(_("csat_how", lang, account=account.name))
        return reply
    authors = _names(ctx, {s.author_id for s in history})
    reply.add_section(
        None,
        [
            _(
                "csat_line",
                lang,
                date=fmt_day(s.recorded_at, lang, tz),
                score=s.score,
                who=authors.get(s.author_id, "—"),
                comment=f" — {clip(s.comment, 80)}" if s.comment else "",
            )
            for s in history
        ],
    )
    return reply


def _names(ctx: Context, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = ctx.session.exec(select(User.id, User.display_name).where(User.id.in_(sorted(ids))))
    return dict(rows.all())


def _teams_named(ctx: Context, name: str) -> list[Team]:
    """The team called ``name``, or (no name) the actor's own and managed teams — every
    team for an admin."""
    teams = visible_teams(
        ctx,
        name,
        unknown=lambda typed: _("no_team", ctx.lang, name=typed),
        forbidden=lambda team: _("forbid_team", ctx.lang, name=team),
    )
    if not teams:
        raise InvalidInput(_("no_team_yet", ctx.lang))
    return teams


def _csat_team(ctx: Context, name: str) -> Reply:
    lang = ctx.lang
    teams = _teams_named(ctx, name)
    policy = policy_of(ctx.settings)
    team_ids = [t.id for t in teams]
    summaries = csat_summaries(
        ctx.session,
        since=ctx.now - timedelta(days=policy.csat_window_days),
        where=Account.team_id.in_(team_ids),
    )
    names = account_names(ctx.session, summaries)
    reply = Reply(title=_("csat_team_title", lang, team=", ".join(t.name for t in teams)))
    average = team_csat(s.average for s in summaries.values())
    reply.fields.append(
        Field(
            _("team_average", lang),
            _("team_average_value", lang, avg=fmt_score(average), n=len(summaries)),
        )
    )
    if not summaries:
        reply.lines.append(_("no_team_scores", lang))
        return reply
    ordered = sorted(summaries.items(), key=lambda kv: (kv[1].average, names[kv[0]].casefold()))
    lines = []
    for account_id, s in ordered:
        was = _("was", lang, previous=s.previous) if s.previous is not None else ""
        lines.append(
            _(
                "csat_account_line",
                lang,
                account=names[account_id],
                avg=fmt_score(s.average),
                n=s.count,
                last=s.last,
                was=was,
            )
        )
    reply.add_section(None, lines)
    return reply


# --- /complaint ---------------------------------------------------------------------


_RESOLVE_WORDS = {
    "resolve",
    "resolved",
    "close",
    "closed",
    "fix",
    "fixed",
    "解决",
    "已解决",
    "关闭",
    "结案",
}
_ID = re.compile(r"^#?(?P<id>\d{1,9})\b[\s,，:：.。-]*(?P<rest>.*)$", re.DOTALL)


class ComplaintCommand(BaseModel):
    command: str = "complaint"
    action: Literal["open", "resolve", "list"]
    account: str | None = None
    number: int | None = None
    text: str = ""


def parse_complaint(args: str, pctx: ParseContext) -> ComplaintCommand:
    lang = pctx.lang
    args = normalize(args).strip()
    if not args:
        return ComplaintCommand(action="list")
    first, _sep, after = args.partition(" ")
    glued = next((w for w in _RESOLVE_WORDS if not w.isascii() and first.startswith(w)), None)
    if first.casefold() in _RESOLVE_WORDS or glued:
        rest = (first[len(glued) :] + " " + after).strip() if glued else after.strip()
        m = _ID.match(rest)
        if m is None:
            raise ParseError(_("resolve_which", lang))
        number, how = int(m["id"]), m["rest"].strip()
        if not how:
            raise ParseError(_("resolve_how", lang, id=number))
        return ComplaintCommand(
            action="resolve", number=number, text=_check_length(how, MAX_COMMENT, lang)
        )
    account, rest = split_account(args, pctx)
    if not rest:
        return ComplaintCommand(action="list", account=account)
    return ComplaintCommand(
        action="open", account=account, text=_check_length(rest, MAX_COMMENT, lang)
    )


@command(
    name="complaint",
    aliases=("投诉",),
    summary={
        "en": "Open a complaint, resolve it, list the open ones",
        "zh": "登记、解决、查看客户投诉",
    },
    usage={
        "en": "/complaint ACCOUNT what happened  ·  /complaint resolve N how it was fixed  ·  "
        "/complaint [ACCOUNT]",
        "zh": "/投诉 客户 投诉内容  ·  /投诉 解决 编号 处理结果  ·  /投诉 [客户]",
    },
    example={
        "en": "/complaint Acme late delivery of the March batch",
        "zh": "/投诉 华夏重工 交货延迟",
    },
    parse=parse_complaint,
    writes=True,
    group="health",
)
def run_complaint(ctx: Context, cmd: ComplaintCommand) -> Reply:
    if cmd.action == "resolve":
        return _resolve_complaint(ctx, cmd)
    if cmd.action == "list":
        return _list_complaints(ctx, cmd.account)
    account = resolve_account(ctx, cmd.account or "")
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    return _open_complaint(ctx, account, cmd.text)


def _open_complaint(ctx: Context, account: Account, text: str) -> Reply:
    lang = ctx.lang
    complaint = Complaint(
        account_id=account.id, text=text, opened_at=ctx.now, opened_by_id=ctx.actor.id
    )
    ctx.session.add(complaint)
    ctx.audit("create", complaint, account_id=account.id, summary=f"complaint: {clip(text, 200)}")
    reply = Reply(
        title=_("complaint_opened", lang, id=complaint.id, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("complaint", lang), text))
    limit = ctx.settings.risks.complaint_days
    reply.lines.append(_("complaint_limit", lang, days=limit, id=complaint.id))
    reply.actions.append(
        Action(
            _("resolve_button", lang, id=complaint.id),
            f"{pick(lang, 'complaint resolve', '投诉 解决')} {complaint.id} ",
            kind="modal",
        )
    )

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_(
                "complaint_told",
                reader_lang,
                who=ctx.actor.display_name,
                id=complaint.id,
                account=account.name,
                text=clip(text, 300),
            ),
            severity=Severity.warning,
            actions=[
                Action(pick(reader_lang, "View account", "查看客户"), f"account {account.name}")
            ],
        )

    tell_owner_and_managers(ctx, account, note, managers=True)
    return reply


def _resolve_complaint(ctx: Context, cmd: ComplaintCommand) -> Reply:
    lang = ctx.lang
    complaint = ctx.session.get(Complaint, cmd.number)
    if complaint is None:
        raise NotFound(_("no_such_complaint", lang, id=cmd.number))
    account = ctx.session.get(Account, complaint.account_id)
    require_write(ctx.session, ctx.actor, account, lang)
    if complaint.resolved_at is not None:
        raise InvalidInput(
            _(
                "already_resolved",
                lang,
                id=complaint.id,
                date=fmt_day(complaint.resolved_at, lang, ctx.tz),
                text=complaint.resolution or "—",
            )
        )
    before = audit.snapshot(complaint)
    complaint.resolved_at = ctx.now
    complaint.resolved_by_id = ctx.actor.id
    complaint.resolution = cmd.text
    ctx.session.add(complaint)
    ctx.audit(
        "update",
        complaint,
        before=before,
        account_id=account.id,
        summary=f"complaint #{complaint.id} resolved: {clip(cmd.text, 200)}",
    )
    days = complaint_age(complaint.opened_at, ctx.now.date(), ctx.tz)
    reply = Reply(
        title=_("complaint_resolved", lang, id=complaint.id, account=account.name, days=days),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("complaint", lang), complaint.text))
    reply.fields.append(Field(_("resolution", lang), cmd.text))
    reply.fields.append(Field(_("opened", lang), fmt_day(complaint.opened_at, lang, ctx.tz)))

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_(
                "complaint_told_resolved",
                reader_lang,
                who=ctx.actor.display_name,
                id=complaint.id,
                account=account.name,
                text=clip(cmd.text, 300),
            ),
            severity=Severity.success,
        )

    tell_owner_and_managers(ctx, account, note, managers=False)
    return reply


def _list_complaints(ctx: Context, account_name: str | None) -> Reply:
    lang, today = ctx.lang, ctx.now.date()
    if account_name:
        account = resolve_account(ctx, account_name)
        require_read(ctx.session, ctx.actor, account, lang)
        found = complaints_of(ctx.session, account.id)
        names = {account.id: account.name}
        reply = Reply(title=_("complaints_of", lang, account=account.name))
    else:
        found = open_complaints(ctx.session, where=_readable(ctx), limit=LIST_LIMIT + 1)
        names = account_names(ctx.session, {c.account_id for c in found})
        reply = Reply(title=_("complaints_title", lang))
    if not found:
        reply.lines.append(_("no_complaints", lang))
        reply.severity = Severity.success
        return reply
    limit = ctx.settings.risks.complaint_days
    lines = []
    for c in found[:LIST_LIMIT]:
        days = complaint_age(c.opened_at, today, ctx.tz)
        mark = "● " if days > limit else ""
        lines.append(
            mark
            + _(
                "complaint_line",
                lang,
                id=c.id,
                account=names.get(c.account_id, "—"),
                days=days,
                text=clip(c.text, 80),
            )
        )
    if len(found) > LIST_LIMIT:
        lines.append(_("more_complaints", lang))
    reply.add_section(None, lines)
    reply.actions = [
        Action(
            _("resolve_button", lang, id=c.id),
            f"{pick(lang, 'complaint resolve', '投诉 解决')} {c.id} ",
            kind="modal",
        )
        for c in found[:5]
    ]
    return reply


# --- /invoice -----------------------------------------------------------------------


_LIMIT_WORDS = ("credit limit", "信用额度", "limit", "credit", "额度")
_CLEAR_WORDS = {"none", "clear", "remove", "off", "无", "取消", "清除", "不限"}
_TERMS = re.compile(
    r"(?:\bnet\s*(?P<net>\d{1,4})\b(?:\s*days?)?|账期\s*(?P<zh>\d{1,4})\s*天?)", re.IGNORECASE
)
_DUE_WORDS = re.compile(r"^(?:due(?:\s+on)?|到期日?|截止(?:日期)?)\s*[:：]?\s*", re.IGNORECASE)


class InvoiceCommand(BaseModel):
    command: str = "invoice"
    account: str
    amount: Decimal | None = None
    currency: str | None = None
    due_on: date | None = None
    terms_days: int | None = None
    note: str = ""
    limit: Decimal | None = None
    limit_currency: str | None = None
    clear_limit: bool = False

    @property
    def sets_limit(self) -> bool:
        return self.limit is not None or self.clear_limit


def parse_invoice(args: str, pctx: ParseContext) -> InvoiceCommand:
    lang = pctx.lang
    account, rest = split_account(normalize(args), pctx)
    cmd = InvoiceCommand(account=account)
    if not rest:
        return cmd
    lowered = rest.casefold()
    word = next((w for w in _LIMIT_WORDS if lowered.startswith(w)), None)
    if word is not None:
        value = rest[len(word) :].strip(" :：")
        if value.casefold() in _CLEAR_WORDS:
            cmd.clear_limit = True
            return cmd
        money, extra = _money_or_refuse(value, pctx, pick(lang, "invoice", "应收"), account)
        if extra:
            raise ParseError(_("limit_extra", lang, text=extra, account=account))
        cmd.limit, cmd.limit_currency = money.amount, money.currency
        return cmd
    money, rest = _money_or_refuse(rest, pctx, pick(lang, "invoice", "应收"), account)
    cmd.amount, cmd.currency = money.amount, money.currency
    terms = _TERMS.search(rest)
    if terms is not None:
        cmd.terms_days = int(terms["net"] or terms["zh"])
        rest = (rest[: terms.start()] + " " + rest[terms.end() :]).strip()
    else:
        due, rest = extract_due(rest, now=pctx.now)
        if due is not None:
            cmd.due_on = due.date()
    note = _DUE_WORDS.sub("", rest.strip()).strip(" ,，;；")
    cmd.note = _check_length(note, MAX_NOTE, lang)
    return cmd


@command(
    name="invoice",
    aliases=("应收", "receivable", "receivables", "ar"),
    summary={
        "en": "Record an invoice (money owed); see receivables; set a credit limit",
        "zh": "登记应收账款；查看应收；设置信用额度",
    },
    usage={
        "en": "/invoice ACCOUNT AMOUNT [due DATE | net DAYS] [note]  ·  /invoice ACCOUNT  ·  "
        "/invoice ACCOUNT limit AMOUNT|none",
        "zh": "/应收 客户 金额 [到期 日期 | 账期 天数] [备注]  ·  /应收 客户  ·  "
        "/应收 客户 额度 金额|取消",
    },
    example={
        "en": "/invoice Acme 300k due 2026-12-31",
        "zh": "/应收 华夏重工 30万 到期 2026-12-31",
    },
    parse=parse_invoice,
    writes=True,
    group="health",
)
def run_invoice(ctx: Context, cmd: InvoiceCommand) -> Reply:
    account = resolve_account(ctx, cmd.account)
    if cmd.sets_limit:
        if not is_manager(ctx.actor):
            raise Forbidden(_("managers_only_limit", ctx.lang))
        require_write(ctx.session, ctx.actor, account, ctx.lang)
        return _set_limit(ctx, account, cmd)
    if cmd.amount is None:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _receivables_view(ctx, account)
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    return _add_invoice(ctx, account, cmd)


def _add_invoice(ctx: Context, account: Account, cmd: InvoiceCommand) -> Reply:
    lang, today = ctx.lang, ctx.now.date()
    policy = policy_of(ctx.settings)
    default_terms = cmd.due_on is None and cmd.terms_days is None
    due_on = cmd.due_on or today + timedelta(days=cmd.terms_days or policy.payment_terms_days)
    invoice = Invoice(
        account_id=account.id,
        amount=cmd.amount,
        currency=cmd.currency,
        issued_on=min(today, due_on),
        due_on=due_on,
        note=cmd.note,
        created_by_id=ctx.actor.id,
    )
    ctx.session.add(invoice)
    ctx.audit(
        "create",
        invoice,
        account_id=account.id,
        summary=f"invoice {cmd.currency} {cmd.amount} due {due_on.isoformat()}",
    )
    credit_used = _apply_credits(ctx, account, invoice)
    amount = fmt_money(invoice.amount, invoice.currency, lang)
    reply = Reply(
        title=_("invoice_added", lang, id=invoice.id, account=account.name, amount=amount,
                due=fmt_day(due_on, lang)),
        severity=Severity.success,
    )  # fmt: skip
    if default_terms:
        reply.lines.append(_("default_terms", lang, days=policy.payment_terms_days))
    if credit_used:
        reply.lines.append(
            _("credit_applied", lang, amount=fmt_money(credit_used, invoice.currency, lang))
        )
    r = account_receivables(ctx.session, account, today=today, settings=ctx.settings)
    _exposure_fields(ctx, reply, r)
    if r.over_limit is not None:
        reply.severity = Severity.warning
        _warn_over_limit(ctx, account, r)
    return reply


def _apply_credits(ctx: Context, account: Account, invoice: Invoice) -> Decimal:
    """Let earlier overpayments in the invoice's currency pay it; returns how much."""
    used = Decimal(0)
    for payment in unapplied_payments(ctx.session, account.id, invoice.currency):
        need = invoice.open_amount
        if need <= 0:
            break
        take = min(need, payment.unapplied)
        before = audit.snapshot(payment)
        payment.unapplied -= take
        ctx.session.add(payment)
        ctx.audit("update", payment, before=before, account_id=account.id,
                  summary=f"credit applied to invoice #{invoice.id}")  # fmt: skip
        before = audit.snapshot(invoice)
        invoice.paid_amount += take
        if invoice.open_amount <= 0:
            invoice.settled_on = ctx.now.date()
        ctx.session.add(invoice)
        ctx.audit("update", invoice, before=before, account_id=account.id,
                  summary=f"paid from credit {take}")  # fmt: skip
        used += take
    return used


def _exposure_fields(ctx: Context, reply: Reply, r: Receivables) -> None:
    lang, currency = ctx.lang, ctx.settings.currency
    if r.open:
        reply.fields.append(Field(_("open", lang), fmt_amounts(r.open, lang)))
    if r.overdue:
        reply.fields.append(
            Field(
                _("overdue", lang),
                _("overdue_value", lang, amounts=fmt_amounts(r.overdue, lang),
                  days=r.oldest_overdue_days),
            )
        )  # fmt: skip
    if r.credit:
        reply.fields.append(Field(_("credit", lang), fmt_amounts(r.credit, lang)))
    if r.exposure is None:
        value = _("unconverted", lang, currencies=", ".join(sorted(r.unconverted)))
    elif r.credit_limit is None:
        value = _("no_limit", lang, exposure=fmt_money(r.exposure, currency, lang))
    else:
        value = _(
            "exposure_value",
            lang,
            exposure=fmt_money(r.exposure, currency, lang),
            limit=fmt_money(r.credit_limit, currency, lang),
        )
    reply.fields.append(Field(_("exposure", lang), value))
    if r.over_limit is not None:
        reply.lines.append(
            _(
                "over_limit",
                lang,
                exposure=fmt_money(r.exposure, currency, lang),
                limit=fmt_money(r.credit_limit, currency, lang),
                excess=fmt_money(r.over_limit, currency, lang),
            )
        )


def _warn_over_limit(ctx: Context, account: Account, r: Receivables) -> None:
    currency = ctx.settings.currency

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_(
                "over_limit_told",
                reader_lang,
                account=account.name,
                exposure=fmt_money(r.exposure, currency, reader_lang),
                limit=fmt_money(r.credit_limit, currency, reader_lang),
            ),
            severity=Severity.warning,
            actions=[
                Action(pick(reader_lang, "Receivables", "应收账款"), f"invoice {account.name}")
            ],
        )

    tell_owner_and_managers(ctx, account, note, managers=True)


def _set_limit(ctx: Context, account: Account, cmd: InvoiceCommand) -> Reply:
    lang, house = ctx.lang, ctx.settings.currency
    limit = None
    if not cmd.clear_limit:
        try:
            limit = convert(cmd.limit, cmd.limit_currency, house, house=house,
                            rates=ctx.settings.fx_rates).quantize(Decimal("0.01"))  # fmt: skip
        except CurrencyMismatch as exc:
            raise InvalidInput(
                pick(
                    lang,
                    f"Credit limits are kept in {house}, and there is no rate for "
                    f"{cmd.limit_currency}.",
                    f"信用额度以 {house} 计，{cmd.limit_currency} 没有汇率。",
                ),
                hint=exc.hint,
            ) from exc
    if limit == account.credit_limit:
        shown = fmt_money(limit, house, lang) if limit is not None else "—"
        return Reply(title=_("limit_unchanged", lang, account=account.name, limit=shown))
    before = audit.snapshot(account)
    was = account.credit_limit
    account.credit_limit = limit
    account.updated_at = ctx.now
    ctx.session.add(account)
    ctx.audit("update", account, before=before, account_id=account.id,
              summary=f"credit limit {was} → {limit}")  # fmt: skip
    if limit is None:
        reply = Reply(
            title=_("limit_cleared", lang, account=account.name), severity=Severity.success
        )
    else:
        reply = Reply(
            title=_("limit_set", lang, account=account.name, limit=fmt_money(limit, house, lang)),
            severity=Severity.success,
        )
    if was is not None:
        reply.fields.append(Field(_("limit_was", lang), fmt_money(was, house, lang)))
    r = account_receivables(ctx.session, account, today=ctx.now.date(), settings=ctx.settings)
    _exposure_fields(ctx, reply, r)
    if r.over_limit is not None:
        reply.severity = Severity.warning
    return reply


def _receivables_view(ctx: Context, account: Account) -> Reply:
    lang, today = ctx.lang, ctx.now.date()
    reply = Reply(title=_("receivables_title", lang, account=account.name))
    r = account_receivables(ctx.session, account, today=today, settings=ctx.settings)
    _exposure_fields(ctx, reply, r)
    policy = policy_of(ctx.settings)
    record = payment_record_of(
        ctx.session, account.id, since=today - timedelta(days=policy.rfm_window_days), today=today
    )
    if record.due:
        days = (
            _("days_to_pay", lang, days=fmt_score(record.days_to_pay))
            if record.days_to_pay is not None
            else ""
        )
        reply.fields.append(
            Field(_("on_time", lang),
                  _("on_time_value", lang, on_time=record.on_time, due=record.due, days=days))
        )  # fmt: skip
    invoices = invoices_of(ctx.session, account.id)
    if not invoices:
        reply.lines.append(_("no_invoices", lang))
    reply.add_section(_("invoices", lang), [_invoice_line(i, lang, today) for i in invoices])
    if r.overdue or r.over_limit is not None:
        reply.severity = Severity.warning
    return reply


def _invoice_line(i: Invoice, lang: str, today: date) -> str:
    late = days_overdue(i.due_on, today)
    return _(
        "invoice_line",
        lang,
        id=i.id,
        open=fmt_money(i.open_amount, i.currency, lang),
        amount=fmt_money(i.amount, i.currency, lang),
        due=fmt_day(i.due_on, lang),
        late=_("late", lang, days=late) if late else "",
        note=f" · {i.note}" if i.note else "",
    )


# --- /paid --------------------------------------------------------------------------


_INVOICE_REF = re.compile(
    r"(?:(?<!\S)#|\b(?:invoice|inv)\s*#?|发票\s*#?|应收\s*#?)(?P<id>\d{1,9})\b", re.IGNORECASE
)


class PaidCommand(BaseModel):
    command: str = "paid"
    account: str
    amount: Decimal
    currency: str
    invoice_id: int | None = None
    received_on: date
    note: str = ""


def parse_paid(args: str, pctx: ParseContext) -> PaidCommand:
    lang = pctx.lang
    account, rest = split_account(normalize(args), pctx)
    money, rest = _money_or_refuse(rest, pctx, pick(lang, "paid", "回款"), account)
    invoice_id = None
    ref = _INVOICE_REF.search(rest)
    if ref is not None:
        invoice_id = int(ref["id"])
        rest = (rest[: ref.start()] + " " + rest[ref.end() :]).strip()
    when, rest = extract_leading_when(rest, now=pctx.now, prefer="past")
    received_on = pctx.now.date()
    if when is not None:
        if when.date() > pctx.now.date():
            raise ParseError(_("future_payment", lang, date=fmt_day(when.date(), lang)))
        received_on = when.date()
    note = _check_length(rest.strip(" ,，;；"), MAX_NOTE, lang)
    return PaidCommand(
        account=account,
        amount=money.amount,
        currency=money.currency,
        invoice_id=invoice_id,
        received_on=received_on,
        note=note,
    )


@command(
    name="paid",
    aliases=("回款", "payment", "收款"),
    summary={"en": "Record a payment received", "zh": "登记回款"},
    usage={
        "en": "/paid ACCOUNT AMOUNT [#INVOICE] [when] [note]",
        "zh": "/回款 客户 金额 [#应收编号] [日期] [备注]",
    },
    example={"en": "/paid Acme 300k", "zh": "/回款 华夏重工 30万"},
    parse=parse_paid,
    writes=True,
    group="health",
)
def run_paid(ctx: Context, cmd: PaidCommand) -> Reply:
    lang = ctx.lang
    account = resolve_account(ctx, cmd.account)
    require_write(ctx.session, ctx.actor, account, lang)
    invoices = invoices_of(ctx.session, account.id)
    by_id = {i.id: i for i in invoices}
    first: list[Invoice] = []
    if cmd.invoice_id is not None:
        target = by_id.get(cmd.invoice_id)
        if target is None:
            raise NotFound(_("no_such_invoice", lang, account=account.name, id=cmd.invoice_id))
        if target.currency != cmd.currency:
            raise InvalidInput(_("invoice_currency", lang, id=target.id, currency=target.currency))
        first = [target]
    applied, left = allocate(cmd.amount, cmd.currency, _balances(first))
    rest = [i for i in invoices if i not in first]
    more, left = allocate(left, cmd.currency, _balances(rest))
    applied += more
    payment = Payment(
        account_id=account.id,
        amount=cmd.amount,
        currency=cmd.currency,
        received_on=cmd.received_on,
        unapplied=left,
        note=cmd.note,
        recorded_by_id=ctx.actor.id,
    )
    ctx.session.add(payment)
    ctx.audit("create", payment, account_id=account.id,
              summary=f"payment {cmd.currency} {cmd.amount}")  # fmt: skip
    amount = fmt_money(cmd.amount, cmd.currency, lang)
    reply = Reply(
        title=_("paid_recorded", lang, amount=amount, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("received", lang), fmt_day(cmd.received_on, lang)))
    lines = []
    for invoice_id, take in applied:
        invoice = by_id[invoice_id]
        before = audit.snapshot(invoice)
        invoice.paid_amount += take
        if invoice.open_amount <= 0:
            invoice.settled_on = cmd.received_on
        ctx.session.add(invoice)
        ctx.audit("update", invoice, before=before, account_id=account.id,
                  summary=f"paid {take} by payment #{payment.id}")  # fmt: skip
        lines.append(_applied_line(invoice, take, lang))
    reply.add_section(_("applied", lang), lines)
    if left > 0:
        reply.lines.append(
            _("unapplied", lang, amount=fmt_money(left, cmd.currency, lang), currency=cmd.currency)
        )
    r = account_receivables(ctx.session, account, today=ctx.now.date(), settings=ctx.settings)
    _exposure_fields(ctx, reply, r)

    def note(reader_lang: str) -> Reply:
        return Reply(
            title=_("paid_told", reader_lang, who=ctx.actor.display_name,
                    amount=fmt_money(cmd.amount, cmd.currency, reader_lang),
                    account=account.name),
            severity=Severity.success,
        )  # fmt: skip

    tell_owner_and_managers(ctx, account, note, managers=False)
    return reply


def _balances(invoices: list[Invoice]) -> list[Balance]:
    return [Balance(i.id, i.open_amount, i.currency, i.due_on) for i in invoices]


def _applied_line(invoice: Invoice, take: Decimal, lang: str) -> str:
    if invoice.settled_on is None:
        state = _("still_open", lang, open=fmt_money(invoice.open_amount, invoice.currency, lang))
    else:
        late = days_overdue(invoice.due_on, invoice.settled_on)
        state = _("settled_late", lang, days=late) if late else _("settled", lang)
    return _("applied_line", lang, id=invoice.id, amount=fmt_money(take, invoice.currency, lang),
             state=state)  # fmt: skip


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
        money, after = _leading_money(rest[c.end() :], pctx.currency, lang)
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
    summary={
        "en": "An account's RFM and lifetime value; set expected years and acquisition cost",
        "zh": "查看客户 RFM 与终身价值；设置预期合作年限和获客成本",
    },
    usage={
        "en": "/ltv ACCOUNT [years N] [cost AMOUNT]",
        "zh": "/价值 客户 [年限 N] [获客成本 金额]",
    },
    example={"en": "/ltv Acme years 6 cost 200k", "zh": "/价值 华夏重工 年限 6 获客成本 20万"},
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
    book = rfm_book(ctx.session, now=ctx.now, settings=ctx.settings, tz=ctx.tz, of=[account.id])
    rfm = book.scores.get(account.id)
    if rfm is not None:
        reply.fields.append(
            Field(
                _("rfm", lang),
                _("rfm_value", lang, code=rfm.code, r=rfm.recency, f=rfm.frequency,
                  m=rfm.monetary),
            )
        )  # fmt: skip
        reply.lines.append(rfm_inputs_text(rfm, lang, house))
    left_out = book.unconverted.get(account.id)
    if left_out:
        reply.lines.append(_("left_out", lang, currencies=", ".join(sorted(left_out))))
    revenue, from_book = account.annual_revenue, False
    if revenue is None and rfm is not None and rfm.inputs.monetary:
        revenue, from_book = rfm.inputs.monetary, True
    ltv = lifetime_value(
        revenue,
        account.expected_years or policy.expected_years,
        account.margin_pct,
        account.acquisition_cost,
    )
    reply.fields.append(Field(_("ltv", lang), ltv_text(ltv, lang, house, account.name)))
    if ltv is not None and from_book:
        reply.lines.append(_("ltv_from_book", lang))
    return reply


# --- /kpi ---------------------------------------------------------------------------


_HELP_WORDS = {"help", "formulas", "帮助", "公式", "?", "？"}
_ALL_WORDS = {"all", "book", "全部", "全公司", "所有"}
_ME_WORDS = {"me", "mine", "my", "我", "我的"}


class KpiCommand(BaseModel):
    command: str = "kpi"
    help: bool = False
    who: Literal["default", "me", "user", "team", "all"] = "default"
    name: str | None = None
    year: int
    period: str = "Q1"  # "year", "Q1".."Q4", "M1".."M12"


def parse_kpi(args: str, pctx: ParseContext) -> KpiCommand:
    lang, today = pctx.lang, pctx.now.date()
    text = normalize(args).strip()
    year, period = today.year, current_quarter(today)
    if text.casefold() in _HELP_WORDS:
        return KpiCommand(help=True, year=year, period=period)
    cmd = KpiCommand(year=year, period=period)
    words = text.split()
    # a period may be one word ("2026Q4") or a few ("2026 Q4", "last quarter")
    for size in (3, 2, 1):
        found = False
        for i in range(len(words) - size + 1):
            got = period_of(" ".join(words[i : i + size]), today)
            if got is not None:
                cmd.year, cmd.period = got
                del words[i : i + size]
                found = True
                break
        if found:
            break
    if not words:
        return cmd
    head = words[0].casefold()
    if head in TEAM_WORDS:
        cmd.who, cmd.name = "team", " ".join(words[1:]) or None
    elif head in _ALL_WORDS and len(words) == 1:
        cmd.who = "all"
    elif head in _ME_WORDS and len(words) == 1:
        cmd.who = "me"
    elif words[0].startswith(("@", "<@")) and len(words) == 1:
        cmd.who, cmd.name = "user", words[0]
    elif any(ch.isdigit() for ch in " ".join(words)) and len(words) == 1:
        raise ParseError(_("bad_period", lang, text=words[0]))
    else:
        cmd.who, cmd.name = "team", " ".join(words)
    return cmd


@command(
    name="kpi",
    aliases=("指标", "kpis"),
    summary={
        "en": "KPIs: retention, win rate, complaints, CSAT, cadence, goals (/kpi help: formulas)",
        "zh": "关键指标：留存、赢单率、投诉、满意度、跟进、目标（/指标 帮助 查看公式）",
    },
    usage={
        "en": "/kpi [team NAME | @user | me | all] [2026 | 2026Q4 | 2026-11]  ·  /kpi help",
        "zh": "/指标 [团队 名称 | @某人 | 我 | 全部] [2026 | 2026Q4 | 2026-11]  ·  /指标 帮助",
    },
    example={"en": "/kpi team East 2026Q4", "zh": "/指标 团队 华东 2026年11月"},
    parse=parse_kpi,
    group="health",
)
def run_kpi(ctx: Context, cmd: KpiCommand) -> Reply:
    lang = ctx.lang
    if cmd.help:
        return Reply(title=_("kpi_help_title", lang), lines=_("kpi_help", lang).split("\n"))
    scope, who = _kpi_scope(ctx, cmd)
    first, last = period_bounds(cmd.year, cmd.period)
    label = _period_label(cmd, lang)
    today = ctx.now.date()
    if first > today:
        raise InvalidInput(_("future_period", lang, period=label))
    start = day_start(first, ctx.tz)
    end = min(day_start(last + timedelta(days=1), ctx.tz), ctx.now)
    last_day = min(last, today)
    if last > today:
        label = _("to_date", lang, period=label, date=fmt_date(today, lang))
    k = kpi_inputs(ctx.session, scope, start=start, end=end, today=today, tz=ctx.tz)
    reply = Reply(title=_("kpi_title", lang, who=who, period=label))
    house, rates = ctx.settings.currency, ctx.settings.fx_rates

    counts = customer_counts(k.histories, start, end)
    reply.fields.append(Field(_("retention", lang), _(
        "retention_value", lang, value=fmt_pct(retention_rate(counts)), end=counts.at_end,
        new=counts.new, start=counts.at_start)))  # fmt: skip

    won_amount = ""
    if k.won_value:
        won_amount = _("won_amount", lang, amount=_money_total(k.won_value, lang, house, rates))
    reply.fields.append(Field(_("win_rate", lang), _(
        "win_rate_value", lang, value=fmt_pct(win_rate(k.won, k.lost)), won=k.won,
        closed=k.won + k.lost, amount=won_amount)))  # fmt: skip

    reply.fields.append(Field(_("complaint_rate", lang), _(
        "complaint_rate_value", lang,
        value=fmt_pct(complaint_rate_of(k.accounts_with_complaints, counts.served)),
        accounts=k.accounts_with_complaints, served=counts.served)))  # fmt: skip
    reply.fields.append(Field(_("resolution_rate", lang), _(
        "resolution_rate_value", lang,
        value=fmt_pct(resolution_rate_of(k.complaints_resolved, k.complaints_open_during)),
        resolved=k.complaints_resolved, open=k.complaints_open_during)))  # fmt: skip

    reply.fields.append(Field(_("avg_csat", lang), _(
        "avg_csat_value", lang, value=fmt_score(team_csat(k.csat_averages.values())),
        accounts=len(k.csat_averages), scores=k.csat_scores)))  # fmt: skip

    coverage = _coverage(ctx, k, end, first, last_day)
    reply.fields.append(Field(_("interactions", lang), _(
        "interactions_value", lang, per=fmt_score(coverage.per_account),
        expected=fmt_score(coverage.expected_per_account),
        share=fmt_pct(coverage.against_cadence), n=coverage.interactions,
        accounts=coverage.accounts)))  # fmt: skip

    attainment, goal_texts = _attainment(ctx, cmd, scope)
    if goal_texts:
        reply.fields.append(Field(_("attainment", lang), _(
            "attainment_value", lang, value=fmt_pct(attainment), n=len(goal_texts),
            goals=" · ".join(goal_texts))))  # fmt: skip
    else:
        reply.fields.append(Field(_("attainment", lang), "—"))

    reply.fields.append(Field(_("collected", lang), _money_total(k.collected, lang, house, rates)))
    reply.fields.append(Field(_("overdue_now", lang), _money_total(k.overdue, lang, house, rates)))
    reply.footer = _("kpi_footer", lang)
    return reply


def _money_total(
    amounts: Mapping[str, Decimal], lang: str, house: str, rates: Mapping[str, Decimal]
) -> str:
    """The amounts in the house currency; without a rate, refused: "—" naming the currency."""
    total, left_out = split_total(amounts, house, house=house, rates=rates)
    if left_out:
        return _("unconverted", lang, currencies=", ".join(sorted(left_out)))
    return fmt_money(total, house, lang)


def _coverage(ctx: Context, k: KpiInputs, end: datetime, first: date, last: date) -> Coverage:
    cadence = ctx.settings.cadence
    days = []
    for history, tier in zip(k.histories, k.tiers, strict=True):
        status = history.status_at(end)
        if status is None or status == "churned":
            continue
        days.append((days_in_period(history, first, last, ctx.tz), cadence.days_for(tier)))
    return Coverage(
        interactions=k.interactions,
        accounts=len(days),
        expected=expected_interactions(days),
    )


def _attainment(ctx: Context, cmd: KpiCommand, scope: Scope) -> tuple[Decimal | None, list[str]]:
    lang = ctx.lang
    stmt = select(Goal).where(Goal.year == cmd.year)
    if scope.owner_id is not None:
        stmt = stmt.where(Goal.scope == "user", Goal.user_id == scope.owner_id)
    elif scope.team_ids is not None:
        stmt = stmt.where(Goal.scope == "team", Goal.team_id.in_(sorted(scope.team_ids)))
    else:
        stmt = stmt.where(Goal.scope == "team")
    goals = list(ctx.session.exec(stmt.order_by(Goal.id)))
    teams = {g.team_id for g in goals if g.team_id is not None}
    team_names = (
        dict(ctx.session.exec(select(Team.id, Team.name).where(Team.id.in_(sorted(teams)))).all())
        if len(teams) > 1
        else {}
    )
    if not goals:
        return None, []
    first, last = period_bounds(cmd.year, cmd.period)
    got = actuals(ctx.session, goals, start=first, end=last, tz=ctx.tz,
                  fx_rates=ctx.settings.fx_rates)  # fmt: skip
    pairs, texts = [], []
    for g in goals:
        metric = GoalMetric(g.metric)
        split = (
            breakdown(g.target, monthly=[Decimal(m) for m in g.months])
            if g.months
            else breakdown(g.target, quantum=metric.quantum)
        )
        target = split.amount(cmd.period)
        actual = got.get(g.id, Decimal(0))
        pairs.append((actual, target))
        if metric.is_money:
            currency = g.currency or ctx.settings.currency
            nums = f"{fmt_money(actual, currency, lang)}/{fmt_money(target, currency, lang)}"
        else:
            nums = f"{actual:.0f}/{target:.0f}"
        share = fmt_pct(actual / target) if target else "—"
        whose = f"{team_names[g.team_id]} " if g.team_id in team_names else ""
        texts.append(f"{whose}{metric.label(lang)} {nums} {share}")
    return goal_attainment(pairs), texts


def _period_label(cmd: KpiCommand, lang: str) -> str:
    if cmd.period == "year":
        return _("period_year", lang, year=cmd.year)
    if cmd.period.startswith("Q"):
        return _("period_q", lang, year=cmd.year, q=int(cmd.period[1:]))
    return _("period_m", lang, year=cmd.year, m=int(cmd.period[1:]))


def _kpi_scope(ctx: Context, cmd: KpiCommand) -> tuple[Scope, str]:
    lang, actor, session = ctx.lang, ctx.actor, ctx.session
    who = cmd.who
    if who == "default":
        if actor.role == Role.admin:
            who = "all"
        elif actor.role == Role.manager and users.managed_team_ids(session, actor):
            ids = users.managed_team_ids(session, actor)
            teams = session.exec(select(Team.name).where(Team.id.in_(sorted(ids)))).all()
            label = _("team_label", lang, name=", ".join(sorted(teams)))
            return Scope(team_ids=frozenset(ids)), label
        else:
            who = "me"
    if who == "all":
        if actor.role != Role.admin:
            raise Forbidden(_("forbid_all", lang))
        return Scope(), _("book", lang)
    if who == "me":
        return Scope(owner_id=actor.id), _("me", lang)
    if who == "user":
        user = _user(ctx, cmd.name or "")
        if not _may_see_user(ctx, user):
            raise Forbidden(_("forbid_user", lang, name=user.display_name))
        return Scope(owner_id=user.id), user.display_name
    teams = _teams_named(ctx, cmd.name or "")
    label = _("team_label", lang, name=", ".join(t.name for t in teams))
    return Scope(team_ids=frozenset(t.id for t in teams)), label


def _user(ctx: Context, ref: str) -> User:
    return resolve_user(
        ctx, user_ref_of(ref), unknown=lambda who: _("no_user", ctx.lang, name=who), suggest=3
    )


def _may_see_user(ctx: Context, user: User) -> bool:
    actor = ctx.actor
    if actor.role == Role.admin or user.id == actor.id or user.manager_id == actor.id:
        return True
    return (
        actor.role == Role.manager
        and user.team_id is not None
        and user.team_id in users.managed_team_ids(ctx.session, actor)
    )
