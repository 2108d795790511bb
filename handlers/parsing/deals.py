"""Reading ``/deal`` (``/商机``): the account, the deal's name, an amount, a stage, a close
date and a reason, in any order, in English or Chinese — into a ``DealCommand``.

Refusals are worded here, with a correct example; ``handlers.commands.deal`` runs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel

from domain.errors import ParseError
from domain.models import DealStage
from domain.policy import Policy
from handlers.context import ParseContext
from handlers.i18n import Catalog, languages
from handlers.lookup import split_account
from handlers.parsing.dates import extract_leading_when
from handlers.parsing.money import find_money, is_currency_word, parse_money
from handlers.parsing.text import is_cjk, normalize
from handlers.views import label

NO_CURRENCY = "XXX"  # ISO 4217 "no currency": the amount named none, keep the deal's own
MAX_CLOSE_YEARS = 10
MAX_NAME = 200  # Deal.name
MAX_REASON = 500  # Deal.lost_reason

_ = Catalog("parsing.deals")


# Words for each default stage besides its name and its Chinese label (views.label).
_STAGE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "lead": ("leads",),
    "qualify": ("qualified", "qualification", "qualifying", "需求"),
    "proposal": ("propose", "proposed", "报价"),
    "negotiation": ("negotiate", "negotiating", "商务谈判"),
    "won": ("win", "签单", "签约"),
    "lost": ("lose", "丢单"),
}

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "stage": ("stage", "阶段"),
    "close": ("close", "closes", "closing", "close-date", "成交日期", "预计成交", "成交日", "成交"),
    "reason": ("reason", "because", "原因", "因为"),
    "amount": ("amount", "value", "金额"),
}
_CJK_KEYWORDS = sorted(
    ((word, kind) for kind, words in _KEYWORDS.items() for word in words if is_cjk(word[0])),
    key=lambda pair: len(pair[0]),
    reverse=True,
)
_ASCII_KEYWORDS = {
    word: kind for kind, words in _KEYWORDS.items() for word in words if word.isascii()
}
_QUOTES = {'"': '"', "“": "”", "”": "”", "「": "」", "『": "』", "'": "'"}
_TOKEN = re.compile(r"(?:[^\s,;、]|(?<=\d),(?=\d))+")  # 1,200,000 is one token
_TRAILING = ",.;:!。，；：！"
_MONEYISH = re.compile(
    r"^(?:hk\$|us\$|jp¥|rmb|cny|usd|eur|gbp|hkd|jpy|[¥$€£])?[-−]?[\d.,]", re.IGNORECASE
)
_CN_MONEYISH = re.compile(r"^[零〇一二两三四五六七八九十百千]+[万亿千百]")
_DATEISH = re.compile(r"\d[-/]\d|\d\s*月|^\d{4}\.\d")


class DealCommand(BaseModel):
    command: str = "deal"
    account: str
    deal: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    stage: str | None = None
    close_date: date | None = None
    reason: str | None = None

    @property
    def changes(self) -> bool:
        return any(v is not None for v in (self.amount, self.stage, self.close_date, self.reason))


# --- parsing ----------------------------------------------------------------------


def stage_words(settings: Policy) -> dict[str, str]:
    """Every word that names a configured stage (casefolded), and the stage it names."""
    words: dict[str, str] = {}
    for stage in settings.deals.probabilities:
        for word in (
            stage,
            *(label(stage, lang) for lang in languages()),
            *_STAGE_SYNONYMS.get(stage, ()),
        ):
            words.setdefault(word.casefold(), stage)
    return words


def _stage_list(settings: Policy, lang: str) -> str:
    sep = _("stage_sep", lang)
    return sep.join(label(s, lang) for s in settings.deals.probabilities)


@dataclass
class _Tok:
    text: str  # as typed
    end: int  # where it ends in the scanned text

    @property
    def word(self) -> str:
        return self.text.rstrip(_TRAILING).casefold()


class _Scanner:
    """Walks the text after the deal name token by token, keeping positions."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.s = text
        self.pos = pos

    def peek(self, ahead: int = 0) -> _Tok | None:
        pos = self.pos
        tok = None
        for _i in range(ahead + 1):
            m = _TOKEN.search(self.s, pos)
            if m is None:
                return None
            tok = _Tok(m.group(), m.end())
            pos = m.end()
        return tok

    def take(self, tok: _Tok) -> None:
        self.pos = tok.end

    def rest(self) -> str:
        return self.s[self.pos :].strip().lstrip(",;、:-—").strip()


def _keyword(tok: _Tok) -> tuple[str, str] | None:
    """(kind, glued value) when the token is a keyword: ``stage``, ``阶段方案``, ``stage:won``."""
    word = tok.word
    head, sep, _value = word.partition(":")
    if head in _ASCII_KEYWORDS:
        return _ASCII_KEYWORDS[head], tok.text[len(head) + len(sep) :] if sep else ""
    for kw, kind in _CJK_KEYWORDS:
        if tok.text.startswith(kw):
            return kind, tok.text[len(kw) :].lstrip(":")
    return None


def _marked_money(text: str) -> bool:
    """Is ``text`` wholly an amount with a currency or magnitude (``300k``, not ``2027``)?"""
    money, rest = find_money(text)
    return money is not None and not rest


def _starts_clause(tok: _Tok, words: dict[str, str]) -> bool:
    return (
        _keyword(tok) is not None
        or tok.word in words
        or is_currency_word(tok.word)
        or _marked_money(tok.text.rstrip(_TRAILING))
    )


def _split_name(rest: str, words: dict[str, str]) -> tuple[str | None, int]:
    """The deal name (quoted, or the words before the first recognised clause) and where
    the clauses start."""
    if rest and rest[0] in _QUOTES:
        close = rest.find(_QUOTES[rest[0]], 1)
        if rest[0] == "“" and close < 0:
            close = rest.find("“", 1)
        if close < 0:
            return rest[1:].strip() or None, len(rest)
        return rest[1:close].strip() or None, close + 1
    scan = _Scanner(rest)
    end = 0
    while (tok := scan.peek()) is not None and not _starts_clause(tok, words):
        scan.take(tok)
        end = tok.end
    name = rest[:end].strip(" ,;、")
    return name or None, end


def parse_deal(args: str, pctx: ParseContext) -> DealCommand:
    lang, settings = pctx.lang, pctx.settings
    account, rest = split_account(args, pctx)
    rest = normalize(rest)
    words = stage_words(settings)
    name, start = _split_name(rest, words)
    if name is not None and len(name) > MAX_NAME:
        raise ParseError(_("long_name", lang, n=MAX_NAME))
    cmd = DealCommand(account=account, deal=name)
    scan = _Scanner(rest, start)
    typed: dict[str, str] = {}

    def once(field: str, what: str, text: str) -> None:
        if field in typed:
            raise ParseError(_("two", lang, what=_(what, lang), a=typed[field], b=text))
        typed[field] = text

    while (tok := scan.peek()) is not None:
        kw = _keyword(tok)
        if kw is not None:
            kind, glued = kw
            scan.take(tok)
            if kind == "reason":
                reason = (glued + " " + scan.rest()).strip()
                if not reason:
                    raise ParseError(_("empty_reason", lang))
                cmd.reason = reason
                break
            if glued:  # 阶段方案, stage:won — the value is inside the token
                scan = _Scanner(glued + scan.s[scan.pos :])
            if kind == "stage":
                value = scan.peek()
                if value is None or value.word not in words:
                    if value is None:
                        raise ParseError(_("no_stage", lang, stages=_stage_list(settings, lang)))
                    raise ParseError(
                        _("bad_stage", lang, text=value.text, stages=_stage_list(settings, lang))
                    )
                once("stage", "what_stage", value.text)
                cmd.stage = words[value.word]
                scan.take(value)
            elif kind == "close":
                once("close", "what_date", scan.rest()[:20])
                cmd.close_date = _close_date(scan, pctx)
            else:  # amount
                value = scan.peek()
                if value is None:
                    raise ParseError(_("bad_amount", lang, text=""))
                _amount(scan, value, cmd, pctx, once)
            continue
        if tok.word in words:
            once("stage", "what_stage", tok.text)
            cmd.stage = words[tok.word]
            scan.take(tok)
            tail = scan.peek()
            if cmd.stage == DealStage.lost.value and tail and not _starts_clause(tail, words):
                cmd.reason = scan.rest()  # "lost to a competitor on price"
                break
            continue
        if _DATEISH.search(tok.text) and not _marked_money(tok.text.rstrip(_TRAILING)):
            once("close", "what_date", tok.text)
            cmd.close_date = _close_date(scan, pctx)
            continue
        if _MONEYISH.match(tok.text) or _CN_MONEYISH.match(tok.text) or is_currency_word(tok.word):
            _amount(scan, tok, cmd, pctx, once)
            continue
        raise ParseError(_("unknown_word", lang, text=tok.text.rstrip(_TRAILING)))

    if cmd.reason is not None:
        cmd.reason = cmd.reason.strip(" -—:,")
        if not cmd.reason:
            cmd.reason = None
        elif len(cmd.reason) > MAX_REASON:
            raise ParseError(_("long_reason", lang, n=MAX_REASON))
    return cmd


def _amount(
    scan: _Scanner,
    tok: _Tok,
    cmd: DealCommand,
    pctx: ParseContext,
    once: Callable[[str, str, str], None],
) -> None:
    """Read the amount at ``tok``, joining a currency word before or after it."""
    text = tok.text.rstrip(_TRAILING)
    last = tok
    nxt = scan.peek(1)
    if is_currency_word(tok.word) and nxt is not None:  # USD 20k
        text, last = f"{text} {nxt.text.rstrip(_TRAILING)}", nxt
    elif nxt is not None and is_currency_word(nxt.word):
        joined = f"{text} {nxt.text.rstrip(_TRAILING)}"  # 20k USD
        try:
            parse_money(joined, default_currency=NO_CURRENCY)
            text, last = joined, nxt
        except ParseError:
            pass
    try:
        money = parse_money(text, default_currency=NO_CURRENCY)
    except ParseError:
        raise ParseError(_("bad_amount", pctx.lang, text=text)) from None
    once("amount", "what_amount", text)
    cmd.amount = money.amount
    cmd.currency = None if money.currency == NO_CURRENCY else money.currency
    scan.take(last)


def _close_date(scan: _Scanner, pctx: ParseContext) -> date:
    lang = pctx.lang
    text = scan.s[scan.pos :]
    if not text.strip():
        raise ParseError(_("no_date", lang))
    when, rest = extract_leading_when(text, now=pctx.now, prefer="future")
    if when is None:
        shown = (scan.peek().text if scan.peek() else text).rstrip(_TRAILING)
        raise ParseError(_("bad_date", lang, text=shown))
    day = when.date()
    if day > pctx.now.date() + timedelta(days=365 * MAX_CLOSE_YEARS):
        raise ParseError(_("far_date", lang, date=day.isoformat(), years=MAX_CLOSE_YEARS))
    scan.pos = len(scan.s) - len(rest)
    return day
