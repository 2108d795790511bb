"""``/goal`` (``/目标``): set a year's goal for a person, a team or an account; see progress.

    /goal 2027 revenue 10m for @alice            /目标 2027 销售额 1000万 给 @wang
    /goal 2027 deals 12 for team East            /目标 2027 赢单数 12 团队 华东
    /goal 2027 visits 200 for Acme               /目标 2027 拜访 200 客户 华夏重工
    /goal 2027 revenue 12m months 0.5m,0.5m,1m,1m,1m,1m,1m,1m,1m,1m,2m,2m
    /goal            my goals this year          /goal 2026Q4     one quarter
    /goal team East  /goal @alice  /goal Acme    (views, with an optional period)

Metrics: won revenue (``revenue``, ``sales``, ``赢单金额``, ``销售额``), won deals
(``deals``, ``wins``, ``赢单数``), interactions (``visits``, ``interactions``,
``跟进次数``, ``拜访``) and new contacts (``contacts``, ``新增联系人``).  A year's target is
split evenly over the months unless ``months`` gives all twelve.  Progress is counted
from the book (``storage.goals.actuals``), never typed in.

Who may set what: anyone their own goals and goals for the accounts they own; a manager
those of the people, teams and accounts of the teams they manage; an admin everything.
Goals are read by the person, their managers and admins; a team's by its members and
managers; an account's by whoever may read the account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel
from sqlmodel import select

from domain.errors import Forbidden, InvalidInput, ParseError
from domain.goals import (
    Breakdown,
    GoalMetric,
    GoalProgress,
    PaceStatus,
    breakdown,
    period_bounds,
    progress,
    progress_bar,
)
from domain.models import Account, Goal, GoalScope, Role, Team, User
from handlers.auth import can_read, is_manager
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account
from handlers.parsing.money import is_currency_word, parse_money
from handlers.parsing.periods import year_quarter
from handlers.parsing.text import cn_to_int, normalize
from handlers.people import find_team, resolve_user, user_ref_of
from handlers.registry import command
from handlers.replies import Field, Reply, Severity
from handlers.views import fmt_money
from storage import accounts, audit, users
from storage.goals import actuals

NO_CURRENCY = "XXX"

_ = Catalog(
    {
        "set": {"en": "Goal set: {what}", "zh": "已设定目标：{what}"},
        "changed": {"en": "Goal updated: {what}", "zh": "已更新目标：{what}"},
        "unchanged": {"en": "Goal unchanged: {what}", "zh": "目标没有变化：{what}"},
        "what": {"en": "{metric} {year} for {who}", "zh": "{who} {year} 年{metric}"},
        "target": {"en": "Target", "zh": "目标"},
        "was": {"en": "{new} (was {old})", "zh": "{new}（原为 {old}）"},
        "quarters": {"en": "Quarters", "zh": "季度"},
        "split_even": {"en": "even monthly split", "zh": "按月平均分配"},
        "split_custom": {"en": "months as given", "zh": "按指定月度分配"},
        "split": {"en": "Months", "zh": "月度"},
        "told": {
            "en": "{who} set your goal: {metric} {year} {target}",
            "zh": "{who} 为你设定了目标：{year} 年{metric} {target}",
        },
        "told_account": {
            "en": "{who} set a goal for your account {account}: {metric} {year} {target}",
            "zh": "{who} 为你的客户 {account} 设定了目标：{year} 年{metric} {target}",
        },
        "view_title": {"en": "Goals {period} — {who}", "zh": "{who} · {period}目标"},
        "period_year": {"en": "{year}", "zh": "{year} 年"},
        "period_q": {"en": "{year} Q{q}", "zh": "{year} 年第 {q} 季度"},
        "none": {"en": "No goals for {period} yet.", "zh": "{period} 还没有目标。"},
        "how_to_set": {
            "en": "Set one: /goal {year} revenue 10m{suffix}",
            "zh": "设定目标：/目标 {year} 销售额 1000万{suffix}",
        },
        "bar": {
            "en": "{bar} · expected {expected}% · {status}",
            "zh": "{bar} · 按时间应达 {expected}% · {status}",
        },
        "numbers": {"en": "{actual} of {target}", "zh": "已完成 {actual} / 目标 {target}"},
        "needed": {
            "en": "{amount} a month needed over the {months} months left",
            "zh": "剩余 {months} 个月，每月需完成 {amount}",
        },
        "quarter_cell": {
            "en": "Q{q} {actual}/{target}{done}",
            "zh": "Q{q} {actual}/{target}{done}",
        },
        "ahead": {"en": "ahead of pace", "zh": "超前"},
        "on_pace": {"en": "on pace", "zh": "进度正常"},
        "behind": {"en": "behind", "zh": "落后"},
        "done": {"en": "done", "zh": "已完成"},
        "team_label": {"en": "team {name}", "zh": "团队 {name}"},
        "me": {"en": "me", "zh": "我"},
        # errors
        "no_metric": {
            "en": "Which metric? revenue, deals, visits or contacts — e.g. /goal {year} revenue 10m",
            "zh": "哪项指标？销售额、赢单数、拜访或新增联系人，例如：/目标 {year} 销售额 1000万",
        },
        "no_target": {
            "en": "What is the target? e.g. /goal {year} {metric} {example}",
            "zh": "目标是多少？例如：/目标 {year} {metric} {example}",
        },
        "bad_amount": {
            "en": "“{text}” is not an amount I can read. Write it like 10m, 800k, ¥10M or 1000万.",
            "zh": "看不懂金额“{text}”。请写成 1000万、1.5亿、10m 或 ¥10M 这样。",
        },
        "bad_count": {
            "en": "“{text}” is not a whole number; {metric} are counted one by one, e.g. 200.",
            "zh": "“{text}”不是整数。{metric}按个数计，例如 200。",
        },
        "unknown_word": {
            "en": "I don't know what “{text}” means here.",
            "zh": "这里的“{text}”看不懂。",
        },
        "two": {
            "en": "Two {what} in one message (“{a}” and “{b}”) — give one.",
            "zh": "一条消息里有两个{what}（“{a}”和“{b}”），请只写一个。",
        },
        "what_year": {"en": "periods", "zh": "期间"},
        "what_metric": {"en": "metrics", "zh": "指标"},
        "what_target": {"en": "targets", "zh": "目标值"},
        "what_who": {"en": "people, teams or accounts", "zh": "对象"},
        "bad_year": {
            "en": "{year} is outside the years kam keeps goals for ({low}-{high}).",
            "zh": "{year} 年不在可设目标的范围内（{low}-{high}）。",
        },
        "quarter_set": {
            "en": "Goals are set for a whole year; shape the quarters with “months …”.",
            "zh": "目标按年设定；如需按季节调整，请用“按月 …”给出 12 个月的数值。",
        },
        "months_count": {
            "en": "“months” needs twelve values, January first; I found {n}.",
            "zh": "“按月”需要 12 个数值（从 1 月开始），现在有 {n} 个。",
        },
        "months_sum": {
            "en": "The twelve months add up to {total}, not the target {target}.",
            "zh": "12 个月合计 {total}，与目标 {target} 不一致。",
        },
        "who_missing": {
            "en": "For whom? @someone, team NAME or an account name.",
            "zh": "给谁设定？@某人、团队 名称 或客户名。",
        },
        "no_user": {"en": "There is no kam user “{name}”.", "zh": "kam 里没有用户“{name}”。"},
        "no_team": {"en": "There is no team “{name}”.", "zh": "没有“{name}”这个团队。"},
        "forbid_user": {
            "en": "Only {name}'s manager or an admin may set {name}'s goals.",
            "zh": "只有 {name} 的经理或管理员可以设定其目标。",
        },
        "forbid_team": {
            "en": "Only a manager of team {name} or an admin may set its goals.",
            "zh": "只有团队 {name} 的经理或管理员可以设定团队目标。",
        },
        "forbid_account": {
            "en": "Only {name}'s owner, a manager of its team or an admin may set its goals.",
            "zh": "只有 {name} 的负责人、所在团队的经理或管理员可以设定其目标。",
        },
        "forbid_view_user": {
            "en": "{name}'s goals are for {name}, their managers and admins.",
            "zh": "{name} 的目标仅本人、其经理和管理员可见。",
        },
        "forbid_view_team": {
            "en": "Team {name}'s goals are for its members, its managers and admins.",
            "zh": "团队 {name} 的目标仅团队成员、经理和管理员可见。",
        },
        "forbid_view_account": {
            "en": "{name} belongs to another team; you can't see its goals.",
            "zh": "{name} 属于其他团队，你无权查看其目标。",
        },
    }
)

# The words for each metric, longest first when matching.
METRIC_WORDS: dict[GoalMetric, tuple[str, ...]] = {
    GoalMetric.WON_REVENUE: (
        "won revenue",
        "revenue",
        "sales",
        "bookings",
        "赢单金额",
        "销售额",
        "销售",
        "业绩",
    ),
    GoalMetric.WON_DEALS: ("won deals", "deals", "wins", "deals won", "赢单数", "赢单", "签单数"),
    GoalMetric.INTERACTIONS: (
        "interactions",
        "visits",
        "follow-ups",
        "followups",
        "跟进次数",
        "跟进",
        "拜访次数",
        "拜访",
    ),
    GoalMetric.NEW_CONTACTS: ("new contacts", "contacts", "新增联系人", "联系人"),
}
_METRIC_PHRASES = sorted(
    ((tuple(w.split()), m) for m, ws in METRIC_WORDS.items() for w in ws),
    key=lambda pair: len(pair[0]),
    reverse=True,
)
_FOR = {"for", "给", "为"}
_TEAM = {"team", "团队"}
_ACCOUNT = {"account", "客户"}
_MONTHS_KW = {"months", "monthly", "按月", "每月", "月度"}
_ME = {"me", "myself", "我", "自己"}
_TOKEN = re.compile(r"<@[^>]+>|(?:[^\s,，;]|(?<=\d),(?=\d))+")
YEARS = (2000, 2100)

Scope = Literal["me", "user", "team", "account", "auto"]


class GoalCommand(BaseModel):
    command: str = "goal"
    year: int
    quarter: int | None = None
    metric: GoalMetric | None = None
    target: Decimal | None = None
    currency: str | None = None
    months: list[Decimal] | None = None
    scope: Scope = "me"
    who: str | None = None

    @property
    def sets(self) -> bool:
        return self.metric is not None or self.target is not None or self.months is not None


# --- parsing ----------------------------------------------------------------------


@dataclass
class _Tokens:
    items: list[str]
    i: int = 0

    def peek(self, ahead: int = 0) -> str | None:
        j = self.i + ahead
        return self.items[j] if j < len(self.items) else None

    def next(self) -> str:
        tok = self.items[self.i]
        self.i += 1
        return tok

    def done(self) -> bool:
        return self.i >= len(self.items)


def _metric_at(toks: _Tokens) -> tuple[GoalMetric, int] | None:
    for phrase, metric in _METRIC_PHRASES:
        words = [toks.peek(k) for k in range(len(phrase))]
        if all(w is not None for w in words) and tuple(w.casefold() for w in words) == phrase:
            return metric, len(phrase)
    return None


def _is_keyword(tok: str) -> bool:
    low = tok.casefold()
    return low in _FOR | _TEAM | _ACCOUNT | _MONTHS_KW


def parse_goal(args: str, pctx: ParseContext) -> GoalCommand:
    lang = pctx.lang
    text = normalize(args)
    # 给@wang, 团队华东, 客户华夏重工: split glued Chinese keywords off their value
    text = re.sub(r"(?:(?<=\s)|^)(给|团队|客户|按月)(?=\S)", r"\1 ", text)
    toks = _Tokens(_TOKEN.findall(text))
    year: int | None = None
    cmd = GoalCommand(year=pctx.now.year)
    seen: dict[str, str] = {}

    def once(field: str, what: str, tok: str) -> None:
        if field in seen:
            raise ParseError(_("two", lang, what=_(what, lang), a=seen[field], b=tok))
        seen[field] = tok

    money_words: list[str] = []
    while not toks.done():
        tok = toks.peek()
        low = tok.casefold()
        if (found := _metric_at(toks)) is not None:
            metric, n = found
            once("metric", "what_metric", " ".join(toks.items[toks.i : toks.i + n]))
            cmd.metric = metric
            toks.i += n
            continue
        if "period" not in seen and "target" not in seen and (p := year_quarter(tok)) is not None:
            once("period", "what_year", tok)
            year, cmd.quarter = p
            toks.next()
            if year is not None and cmd.quarter is None and toks.peek() is not None:
                after = year_quarter(toks.peek())  # 2026 Q4
                if after is not None and after[0] is None:
                    cmd.quarter = after[1]
                    toks.next()
            continue
        if low in _MONTHS_KW:
            toks.next()
            cmd.months = _months(toks, pctx)
            continue
        if low in _FOR:
            toks.next()
            if toks.done():
                raise ParseError(_("who_missing", lang))
            continue
        if low in _TEAM or low in _ACCOUNT:
            toks.next()
            name = _name_until_keyword(toks)
            if not name:
                raise ParseError(_("who_missing", lang))
            once("who", "what_who", name)
            cmd.scope, cmd.who = ("team" if low in _TEAM else "account"), name
            continue
        if tok.startswith(("@", "<@")) or low in _ME:
            toks.next()
            once("who", "what_who", tok)
            if low in _ME:
                cmd.scope, cmd.who = "me", None
            else:
                cmd.scope, cmd.who = "user", tok
            continue
        if _looks_numeric(tok) or is_currency_word(tok):
            money_words = [toks.next()]
            if is_currency_word(tok) and not toks.done():
                money_words.append(toks.next())  # USD 2m
            elif toks.peek() is not None and is_currency_word(toks.peek()):
                money_words.append(toks.next())  # 2m USD
            once("target", "what_target", " ".join(money_words))
            continue
        # anything else names whom the goal is for (a handle, a team or an account)
        name = _name_until_keyword(toks)
        once("who", "what_who", name)
        cmd.scope, cmd.who = "auto", name

    if year is not None:
        if not YEARS[0] <= year <= YEARS[1]:
            raise ParseError(_("bad_year", lang, year=year, low=YEARS[0], high=YEARS[1]))
        cmd.year = year
    if money_words:
        _read_target(cmd, " ".join(money_words), pctx)
    if cmd.sets:
        if cmd.metric is None:
            raise ParseError(_("no_metric", lang, year=cmd.year))
        if cmd.quarter is not None:
            raise ParseError(_("quarter_set", lang))
        if cmd.months is not None:
            _check_months(cmd, pctx)
        if cmd.target is None:
            if cmd.months is None:
                example = "10m" if cmd.metric.is_money else "200"
                raise ParseError(
                    _(
                        "no_target",
                        lang,
                        year=cmd.year,
                        metric=_metric_word(cmd.metric, lang),
                        example=example,
                    )
                )
            cmd.target = sum(cmd.months, Decimal(0))
    return cmd


def _metric_word(metric: GoalMetric, lang: str) -> str:
    """The short word people type for a metric: ``revenue``, ``销售额``…"""
    words = METRIC_WORDS[metric]
    if lang == "zh":
        return next(w for w in words if not w.isascii())
    return words[1]


def _looks_numeric(tok: str) -> bool:
    return bool(
        re.match(
            r"^(?:hk\$|us\$|jp¥|[¥$€£])?\d|^[零〇一二两三四五六七八九十百千]+[万亿千百十]?$",
            tok,
            re.IGNORECASE,
        )
    )


def _name_until_keyword(toks: _Tokens) -> str:
    words: list[str] = []
    while not toks.done():
        tok = toks.peek()
        if _is_keyword(tok) or _metric_at(toks) is not None:
            break
        if words and (_looks_numeric(tok) or year_quarter(tok) is not None):
            break
        words.append(toks.next())
    return " ".join(words)


def _amount(text: str, metric: GoalMetric | None, pctx: ParseContext) -> tuple[Decimal, str | None]:
    lang = pctx.lang
    try:
        money = parse_money(text, default_currency=NO_CURRENCY)
    except ParseError:
        if metric is not None and not metric.is_money:
            raise ParseError(_("bad_count", lang, text=text, metric=metric.label(lang))) from None
        raise ParseError(_("bad_amount", lang, text=text)) from None
    currency = None if money.currency == NO_CURRENCY else money.currency
    if metric is not None and not metric.is_money:
        if currency is not None or money.amount != money.amount.to_integral_value():
            raise ParseError(_("bad_count", lang, text=text, metric=metric.label(lang)))
        return money.amount.quantize(Decimal(1)), None
    return money.amount, currency


def _read_target(cmd: GoalCommand, text: str, pctx: ParseContext) -> None:
    cmd.target, cmd.currency = _amount(text, cmd.metric, pctx)


def _months(toks: _Tokens, pctx: ParseContext) -> list[Decimal]:
    """Twelve amounts after ``months``, January first, with commas or spaces between."""
    raw: list[str] = []
    while not toks.done() and len(raw) < 13:
        tok = toks.peek()
        if not (_looks_numeric(tok) or cn_to_int(tok) is not None):
            break
        raw.append(toks.next())
    # "10,10,10,…" reads like one thousands-separated number; split it unless that
    # would not give twelve values and the tokens as typed do.
    split = [part for tok in raw for part in tok.split(",") if part]
    values = raw if len(raw) == 12 and len(split) != 12 else split
    if len(values) != 12:
        raise ParseError(_("months_count", pctx.lang, n=len(values)))
    out = []
    for value in values:
        try:
            out.append(parse_money(value, default_currency=NO_CURRENCY).amount)
        except ParseError:
            raise ParseError(_("bad_amount", pctx.lang, text=value)) from None
    return out


def _check_months(cmd: GoalCommand, pctx: ParseContext) -> None:
    assert cmd.months is not None and cmd.metric is not None
    quantum = cmd.metric.quantum
    if not cmd.metric.is_money and any(m != m.to_integral_value() for m in cmd.months):
        raise ParseError(
            _("bad_count", pctx.lang, text="months", metric=cmd.metric.label(pctx.lang))
        )
    total = sum(cmd.months, Decimal(0))
    if cmd.target is not None and total != cmd.target:
        show = _show_amount_fn(cmd.metric, cmd.currency or pctx.currency, pctx.lang)
        raise ParseError(_("months_sum", pctx.lang, total=show(total), target=show(cmd.target)))
    cmd.months = [m.quantize(quantum) for m in cmd.months]


# --- whom a goal is for -----------------------------------------------------------


@dataclass
class Subject:
    scope: GoalScope
    user: User | None = None
    team: Team | None = None
    account: Account | None = None

    def name(self, lang: str) -> str:
        if self.user is not None:
            return self.user.display_name
        if self.team is not None:
            return _("team_label", lang, name=self.team.name)
        assert self.account is not None
        return self.account.name

    def where(self):
        if self.scope is GoalScope.user:
            return Goal.scope == "user", Goal.user_id == self.user.id
        if self.scope is GoalScope.team:
            return Goal.scope == "team", Goal.team_id == self.team.id
        return Goal.scope == "account", Goal.account_id == self.account.id

    def columns(self) -> dict[str, int | None]:
        return {
            "scope": self.scope.value,
            "user_id": self.user.id if self.user else None,
            "team_id": self.team.id if self.team else None,
            "account_id": self.account.id if self.account else None,
        }


def _user(ctx: Context, ref: str) -> User:
    return resolve_user(
        ctx, user_ref_of(ref), unknown=lambda who: _("no_user", ctx.lang, name=who), suggest=3
    )


def _team(ctx: Context, name: str) -> Team:
    return find_team(
        ctx, name, unknown=lambda typed: _("no_team", ctx.lang, name=typed), suggest_cutoff=40
    )


def _subject(ctx: Context, cmd: GoalCommand) -> Subject:
    if cmd.scope == "me" or cmd.who is None:
        return Subject(GoalScope.user, user=ctx.actor)
    if cmd.scope == "user":
        return Subject(GoalScope.user, user=_user(ctx, cmd.who))
    if cmd.scope == "team":
        return Subject(GoalScope.team, team=_team(ctx, cmd.who))
    if cmd.scope == "account":
        return Subject(GoalScope.account, account=resolve_account(ctx, cmd.who))
    # a bare name: a person's handle, then a team, then an account
    user = users.by_handle(ctx.session, cmd.who)
    if user is not None:
        return Subject(GoalScope.user, user=user)
    team = users.team_by_name(ctx.session, cmd.who)
    if team is not None:
        return Subject(GoalScope.team, team=team)
    account = accounts.find_exact(ctx.session, cmd.who)
    return Subject(GoalScope.account, account=account or resolve_account(ctx, cmd.who))


def _manages_user(ctx: Context, user: User) -> bool:
    if user.manager_id == ctx.actor.id:
        return True
    return (
        ctx.actor.role == Role.manager
        and user.team_id is not None
        and user.team_id in users.managed_team_ids(ctx.session, ctx.actor)
    )


def _manages_team(ctx: Context, team_id: int | None) -> bool:
    return (
        ctx.actor.role == Role.manager
        and team_id is not None
        and team_id in users.managed_team_ids(ctx.session, ctx.actor)
    )


def _require_set(ctx: Context, s: Subject) -> None:
    actor, lang = ctx.actor, ctx.lang
    if actor.role == Role.admin:
        return
    if s.user is not None:
        if s.user.id == actor.id or (is_manager(actor) and _manages_user(ctx, s.user)):
            return
        raise Forbidden(_("forbid_user", lang, name=s.user.display_name))
    if s.team is not None:
        if _manages_team(ctx, s.team.id):
            return
        raise Forbidden(_("forbid_team", lang, name=s.team.name))
    assert s.account is not None
    if s.account.owner_id == actor.id or _manages_team(ctx, s.account.team_id):
        return
    raise Forbidden(_("forbid_account", lang, name=s.account.name))


def _require_view(ctx: Context, s: Subject) -> None:
    actor, lang = ctx.actor, ctx.lang
    if actor.role == Role.admin:
        return
    if s.user is not None:
        if s.user.id == actor.id or _manages_user(ctx, s.user):
            return
        raise Forbidden(_("forbid_view_user", lang, name=s.user.display_name))
    if s.team is not None:
        if s.team.id in users.visible_team_ids(ctx.session, actor):
            return
        raise Forbidden(_("forbid_view_team", lang, name=s.team.name))
    assert s.account is not None
    if not can_read(ctx.session, actor, s.account):
        raise Forbidden(_("forbid_view_account", lang, name=s.account.name))


# --- running ----------------------------------------------------------------------


@command(
    name="goal",
    aliases=("目标",),
    summary={"en": "Set goals and see progress against them", "zh": "设定目标、查看完成进度"},
    usage={
        "en": "/goal [YEAR] METRIC TARGET [for @user|team NAME|ACCOUNT] [months …] · "
        "/goal [YEAR|YEARQn] [@user|team NAME|ACCOUNT]",
        "zh": "/目标 [年份] 指标 目标值 [给 @某人|团队 名称|客户 名称] [按月 …] · "
        "/目标 [年份|季度] [@某人|团队 名称|客户 名称]",
    },
    example={
        "en": "/goal 2027 revenue 10m for @alice",
        "zh": "/目标 2027 销售额 1000万 给 @wang",
    },
    parse=parse_goal,
    writes=True,
    slash=True,
)
def run_goal(ctx: Context, cmd: GoalCommand) -> Reply:
    subject = _subject(ctx, cmd)
    if not cmd.sets:
        _require_view(ctx, subject)
        return _view(ctx, subject, cmd.year, cmd.quarter)
    _require_set(ctx, subject)
    return _set(ctx, subject, cmd)


def _show_amount_fn(metric: GoalMetric, currency: str | None, lang: str):
    if metric.is_money:
        return lambda amount: fmt_money(amount, currency or "CNY", lang)
    return lambda amount: f"{amount:.0f}"


def _split(goal: Goal) -> Breakdown:
    metric = GoalMetric(goal.metric)
    if goal.months:
        return breakdown(goal.target, monthly=[Decimal(m) for m in goal.months])
    return breakdown(goal.target, quantum=metric.quantum)


def _set(ctx: Context, s: Subject, cmd: GoalCommand) -> Reply:
    assert cmd.metric is not None and cmd.target is not None
    lang, metric = ctx.lang, cmd.metric
    currency = (cmd.currency or ctx.settings.currency) if metric.is_money else None
    target = cmd.target.quantize(metric.quantum)
    months = [str(m) for m in cmd.months] if cmd.months is not None else None
    try:
        breakdown(target, monthly=cmd.months, quantum=metric.quantum)
    except InvalidInput as exc:  # parse checked these; the domain has the last word
        raise InvalidInput(str(exc)) from exc
    existing = ctx.session.exec(
        select(Goal).where(Goal.year == cmd.year, Goal.metric == metric.value, *s.where())
    ).first()
    show = _show_amount_fn(metric, currency, lang)
    what = _("what", lang, metric=metric.label(lang), year=cmd.year, who=s.name(lang))
    if existing is None:
        goal = Goal(
            year=cmd.year,
            metric=metric.value,
            target=target,
            currency=currency,
            months=months,
            created_by_id=ctx.actor.id,
            created_at=ctx.now,
            **s.columns(),
        )
        ctx.session.add(goal)
        ctx.audit("create", goal, account_id=s.account.id if s.account else None, summary=what)
        title, old_target = _("set", lang, what=what), None
    else:
        goal = existing
        before = audit.snapshot(goal)
        old_target = goal.target
        if (goal.target, goal.currency, goal.months) == (target, currency, months):
            title, old_target = _("unchanged", lang, what=what), None
        else:
            goal.target, goal.currency, goal.months = target, currency, months
            ctx.session.add(goal)
            ctx.audit(
                "update",
                goal,
                before=before,
                account_id=s.account.id if s.account else None,
                summary=what,
            )
            title = _("changed", lang, what=what)
            old_target = None if old_target == target else old_target

    reply = Reply(title=title, severity=Severity.success)
    target_text = show(target)
    if old_target is not None:
        target_text = _("was", lang, new=target_text, old=show(old_target))
    reply.fields.append(Field(_("target", lang), target_text))
    split = _split(goal)
    reply.fields.append(
        Field(
            _("quarters", lang),
            " · ".join(f"Q{i} {show(q)}" for i, q in enumerate(split.quarters, 1)),
        )
    )
    reply.fields.append(
        Field(_("split", lang), _("split_custom" if goal.months else "split_even", lang))
    )
    if cmd.year == ctx.now.year:
        section = _goal_section(ctx, goal, cmd.year, None, _actuals(ctx, [goal], cmd.year))
        reply.lines += section.lines
    _tell(ctx, s, metric, cmd.year, goal)
    return reply


def _tell(ctx: Context, s: Subject, metric: GoalMetric, year: int, goal: Goal) -> None:
    if s.user is not None:
        recipient, key, account = s.user, "told", ""
    elif s.account is not None:
        recipient = ctx.session.get(User, s.account.owner_id)
        key, account = "told_account", s.account.name
    else:
        return
    if recipient is None or recipient.id == ctx.actor.id or not recipient.active:
        return
    lang = recipient.language
    target = _show_amount_fn(metric, goal.currency, lang)(goal.target)
    ctx.notify_user(
        recipient.id,
        Reply(
            title=_(
                key,
                lang,
                who=ctx.actor.display_name,
                metric=metric.label(lang),
                year=year,
                target=target,
                account=account,
            )
        ),
    )


# --- progress ---------------------------------------------------------------------


@dataclass
class _Section:
    title: str
    lines: list[str]
    behind: bool


def _actuals(
    ctx: Context, goals: list[Goal], year: int, period: str = "year"
) -> dict[int, Decimal]:
    start, end = period_bounds(year, period)
    return actuals(
        ctx.session, goals, start=start, end=end, tz=ctx.tz, fx_rates=ctx.settings.fx_rates
    )


def _progress(
    goal: Goal, period_target: Decimal, actual: Decimal, start: date, end: date, today: date
) -> GoalProgress:
    return progress(
        period_target, actual, start, end, today, quantum=GoalMetric(goal.metric).quantum
    )


def _goal_section(
    ctx: Context,
    goal: Goal,
    year: int,
    quarter: int | None,
    got: dict[int, Decimal],
    quarterly: list[dict[int, Decimal]] | None = None,
) -> _Section:
    lang, today = ctx.lang, ctx.now.date()
    metric = GoalMetric(goal.metric)
    show = _show_amount_fn(metric, goal.currency or ctx.settings.currency, lang)
    period = "year" if quarter is None else f"Q{quarter}"
    start, end = period_bounds(year, period)
    split = _split(goal)
    p = _progress(goal, split.amount(period), got.get(goal.id, Decimal(0)), start, end, today)
    lines = [
        _(
            "bar",
            lang,
            bar=progress_bar(p.percent),
            expected=f"{p.expected_percent:.0f}",
            status=_(p.status.value, lang),
        ),
        _("numbers", lang, actual=show(p.actual), target=show(p.target)),
    ]
    if p.status is PaceStatus.BEHIND and p.needed_per_month and p.months_left > 1:
        lines.append(_("needed", lang, amount=show(p.needed_per_month), months=p.months_left))
    if quarterly is not None:
        cells = []
        for q, got_q in enumerate(quarterly, 1):
            q_start, _q_end = period_bounds(year, f"Q{q}")
            q_actual = got_q.get(goal.id, Decimal(0))
            started = q_start <= today
            actual = show(q_actual) if started else "–"
            met = started and split.quarters[q - 1] and q_actual >= split.quarters[q - 1]
            cells.append(
                _(
                    "quarter_cell",
                    lang,
                    q=q,
                    actual=actual,
                    target=show(split.quarters[q - 1]),
                    done=" ✓" if met else "",
                )
            )
        lines.append(" · ".join(cells))
    return _Section(metric.label(lang), lines, p.status is PaceStatus.BEHIND)


def _view(ctx: Context, s: Subject, year: int, quarter: int | None) -> Reply:
    lang = ctx.lang
    order = {m.value: i for i, m in enumerate(GoalMetric)}
    goals = sorted(
        ctx.session.exec(select(Goal).where(Goal.year == year, *s.where())).all(),
        key=lambda g: order.get(g.metric, len(order)),
    )
    period_text = (
        _("period_year", lang, year=year)
        if quarter is None
        else _("period_q", lang, year=year, q=quarter)
    )
    reply = Reply(title=_("view_title", lang, period=period_text, who=s.name(lang)))
    if not goals:
        reply.lines.append(_("none", lang, period=period_text))
        if s.user is not None and s.user.id == ctx.actor.id:
            reply.lines.append(_("how_to_set", lang, year=year, suffix=""))
        elif s.user is not None and (ctx.actor.role == Role.admin or _manages_user(ctx, s.user)):
            suffix = (" for @" if lang != "zh" else " 给 @") + s.user.handle
            reply.lines.append(_("how_to_set", lang, year=year, suffix=suffix))
        return reply
    period = "year" if quarter is None else f"Q{quarter}"
    got = _actuals(ctx, goals, year, period)
    quarterly = (
        [_actuals(ctx, goals, year, f"Q{q}") for q in range(1, 5)] if quarter is None else None
    )
    behind = False
    for goal in goals:
        section = _goal_section(ctx, goal, year, quarter, got, quarterly)
        reply.add_section(section.title, section.lines)
        behind |= section.behind
    if behind and year == ctx.now.year:
        reply.severity = Severity.warning
    return reply
