"""Reading ``/goal`` (``/目标``): a year or quarter, a metric, a target (or twelve monthly
ones) and whom the goal is for, in any order — into a ``GoalCommand``.

    /goal 2027 revenue 10m for @alice            /目标 2027 销售额 1000万 给 @wang
    /goal 2027 revenue 12m months 0.5m,0.5m,1m,1m,1m,1m,1m,1m,1m,1m,2m,2m
    /goal 2026Q4 team East                       (a view: no metric, no target)

Refusals are worded here, with a correct example; ``handlers.commands.goal`` runs it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from domain.errors import ParseError
from domain.goals import GoalMetric
from handlers.context import ParseContext
from handlers.i18n import Catalog
from handlers.parsing.money import is_currency_word, parse_money
from handlers.parsing.periods import year_quarter
from handlers.parsing.text import cn_to_int, normalize
from handlers.views.goals import metric_label, show_amount_fn

NO_CURRENCY = "XXX"

_ = Catalog("parsing.goals")

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
_TOKEN = re.compile(r"(?:[^\s,，;]|(?<=\d),(?=\d))+")
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
        if tok.startswith("@") or low in _ME:
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
    return _(f"metric_{metric.value}", lang)


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
            raise ParseError(
                _("bad_count", lang, text=text, metric=metric_label(metric, lang))
            ) from None
        raise ParseError(_("bad_amount", lang, text=text)) from None
    currency = None if money.currency == NO_CURRENCY else money.currency
    if metric is not None and not metric.is_money:
        if currency is not None or money.amount != money.amount.to_integral_value():
            raise ParseError(_("bad_count", lang, text=text, metric=metric_label(metric, lang)))
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
            _("bad_count", pctx.lang, text="months", metric=metric_label(cmd.metric, pctx.lang))
        )
    total = sum(cmd.months, Decimal(0))
    if cmd.target is not None and total != cmd.target:
        show = show_amount_fn(cmd.metric, cmd.currency or pctx.currency, pctx.lang)
        raise ParseError(_("months_sum", pctx.lang, total=show(total), target=show(cmd.target)))
    cmd.months = [m.quantize(quantum) for m in cmd.months]
