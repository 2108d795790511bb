"""Amounts of money as people type them in chat.

    parse_money(text, *, default_currency="CNY") -> Money    (raises ParseError)
    find_amounts(text, *, default_currency, taken, plain=False) -> [MoneyHit(start, end, money)]
    find_money(text) -> (Money | None, rest)
    format_money(money, lang="en", *, compact=True) -> str

Understood: ``1.2m``, ``300k``, ``1,200,000``, ``¥1.2M``, ``￥300万``, ``120万``,
``1.5亿``, ``3千``, ``120w`` (万), ``USD 20k``, ``$20,000``, ``20k USD``, ``€5k``,
``RMB 1m``, ``CNY 2,000``, ``1.2 million``, ``1.2 mil``, ``350 grand``, ``two hundred
k``, ``half a million``, ``一百二十万``, ``两百万``, ``2.5百万``, ``1千万``, ``一万五`` and
``3万5`` (15,000 and 35,000), ``50万元``, ``2万美元``.  Currencies: ``¥ ￥ RMB CNY 元 块
人民币`` → CNY, ``$ US$ USD dollars bucks 美元 美金 美刀`` → USD, ``€ EUR 欧元``, ``£ GBP
英镑``, ``HK$ HKD 港币 港元``, ``JP¥ JPY 日元``, ``A$ AUD``, ``S$ SGD``, ``C$ CAD``.
Amounts are exact ``Decimal`` values built from the digits, never via float.
Zero is allowed, negative amounts are not.

Rendering (``format_money``)
----------------------------
* English, compact: symbol + at most two decimals + K/M/B: ``¥1.2M``, ``$20K``,
  ``€950``, ``HK$3.5M``; currencies without a symbol: ``CHF 20K``.
* Chinese, compact: 万 and 亿: ``120万``, ``1.5亿``, ``9500``; CNY, the house
  currency, has no suffix, others are named: ``2万美元``, ``500欧元``.
* Full (``compact=False``, both languages): ``¥1,200,000.00``, ``$20,000.00``,
  ``JP¥1,000`` (no decimals for JPY).
* ``str(money)`` is the unambiguous form for logs: ``CNY 1,200,000.00``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal

from domain.errors import ParseError

from .text import cn_to_int, fold, join_text, normalize

__all__ = [
    "MAX_AMOUNT",
    "Money",
    "MoneyHit",
    "find_amounts",
    "find_money",
    "format_money",
    "leading_money",
    "parse_money",
    "starts_negative",
]

MAX_AMOUNT = Decimal(10) ** 15

_MINOR_DIGITS = {"JPY": 0}


@dataclass(frozen=True)
class Money:
    """An amount in a currency (ISO 4217 code, upper case)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:
        digits = _MINOR_DIGITS.get(self.currency, 2)
        return f"{self.currency} {self.amount:,.{digits}f}"


_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}
_ZH_NAMES = {"USD": "美元", "EUR": "欧元", "GBP": "英镑", "HKD": "港元", "JPY": "日元"}

_CURRENCY_WORDS = {
    "hk$": "HKD",
    "us$": "USD",
    "usd$": "USD",
    "a$": "AUD",
    "au$": "AUD",
    "s$": "SGD",
    "c$": "CAD",
    "ca$": "CAD",
    "nt$": "TWD",
    "jp¥": "JPY",
    "cn¥": "CNY",
    "rmb¥": "CNY",
    "cny¥": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "hkd": "HKD",
    "jpy": "JPY",
    "aud": "AUD",
    "sgd": "SGD",
    "cad": "CAD",
    "chf": "CHF",
    "twd": "TWD",
    "krw": "KRW",
    "¥": "CNY",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "yuan": "CNY",
    "dollar": "USD",
    "dollars": "USD",
    "bucks": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pounds": "GBP",
    "元": "CNY",
    "块": "CNY",
    "块钱": "CNY",
    "元人民币": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "美金": "USD",
    "美刀": "USD",
    "刀": "USD",
    "欧元": "EUR",
    "英镑": "GBP",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
    "澳元": "AUD",
    "新币": "SGD",
    "加元": "CAD",
}
_MULTIPLIERS = {
    "k": 10**3,
    "thousand": 10**3,
    "grand": 10**3,
    "千": 10**3,
    "百": 10**2,
    "w": 10**4,
    "万": 10**4,
    "m": 10**6,
    "mm": 10**6,
    "mn": 10**6,
    "mil": 10**6,
    "mill": 10**6,
    "mio": 10**6,
    "mln": 10**6,
    "million": 10**6,
    "百万": 10**6,
    "千万": 10**7,
    "亿": 10**8,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
    "十亿": 10**9,
    "百亿": 10**10,
    "千亿": 10**11,
    "万亿": 10**12,
}
# A single trailing digit after 万/亿/千 is the next unit down: 3万5 = 35,000, 一万五 = 15,000.
_TAIL_UNIT = {"万": 10**3, "亿": 10**7, "千": 10**2}


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_EN_UNITS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ]
    )
}
_EN_UNITS.update(
    {
        w: 10 * i
        for i, w in enumerate(
            ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
        )
    }
)
_EN_FIRST = _alt([*_EN_UNITS, "half", "quarter", "a", "an"])
_EN_NEXT = _alt([*_EN_UNITS, "hundred", "half", "quarter", "a", "an", "and", "point"])

_PREFIXES = [w for w in _CURRENCY_WORDS if w[-1] in "$¥€£" or (w.isascii() and len(w) == 3)]
_PREFIXES += ["人民币", "美元", "美金", "港币"]
_SUFFIXES = [w for w in _CURRENCY_WORDS if w[-1] not in "$¥€£"]
_CODES = r"(?:usd|rmb|cny|eur|gbp|hkd|jpy|aud|sgd|cad|chf|twd|krw)"
_CN_NUM = "零〇一二两三四五六七八九十百千"
# the financial ("capital") numerals of invoices and contracts: 人民币伍拾万元整
_CN_CAPITALS = str.maketrans(
    "壹贰貳叁參肆伍陆陸柒捌玖拾佰仟萬億兩", "一二二三三四五六六七八九十百千万亿两"
)

_PREFIX = rf"(?P<pre>{_alt(_PREFIXES)})"
_NUMBER = (
    # digits, not the start of a longer number (1,2,3 · 12:30 · 12/8)
    r"(?:(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?![.,:/]?\d)"
    # Chinese numerals, not the end of a vaguer one (几十万, 三四十万)
    rf"|(?<![{_CN_NUM}万亿几数上])(?=[{_CN_NUM}]*[十百千]|[{_CN_NUM}]+(?:点|\s*[万亿元块美欧英港日澳新加人刀]))"
    rf"(?P<cn>[{_CN_NUM}]+(?:点[零〇一二三四五六七八九]+)?)"
    # English number words: two hundred (k), half a (million)
    rf"|(?P<words>(?:{_EN_FIRST})\b(?:[\s-]+(?:{_EN_NEXT})\b)*))"
    r"(?![多余来几])"  # 100多万, 十来万: not an exact amount
)
_MULT = (
    r"(?P<mult>万亿|千亿|百亿|十亿|百万|千万|亿|万|千|百|thousand|million|billion|grand|mill|mil"
    r"|mio|mln|mm|mn|bn|[kmbw])(?![a-z])"
)
_TAIL = rf"(?P<tail>(?<=[万亿千])零?(?:\d{{1,4}}(?![\d.])(?:千万|百万|千|百)?|[{_CN_NUM}]+万?))?"
_SUFFIX = (
    rf"(?P<suf>(?:{_alt(_SUFFIXES)})(?![a-z])(?<!{_CODES}(?=\s*\d))"
    r"|(?<=[\dkmbw万千亿])[$€£¥](?!\s*[\d.]))"  # 700K€, 50k$ (a symbol after, touching)
)
_TOKEN = (
    rf"(?:{_PREFIX}\s*)?(?:(?P<neg>[-−](?=[\d.])|负)\s*)?{_NUMBER}"
    rf"(?:\s*{_MULT}{_TAIL})?(?:\s*{_SUFFIX})?"
)
_FULL = re.compile(_TOKEN, re.IGNORECASE)
# the characters an amount can start with: checked first, it makes the search fast
_FIRST = "".join(
    sorted(
        {w[0].lower() for w in _PREFIXES} | {w[0] for w in _EN_UNITS} | set("0123456789.hqa-−负")
    )
)
_SEARCH = re.compile(
    rf"(?=[{re.escape(_FIRST)}{_CN_NUM}])"
    r"(?<![a-z0-9_$¥€£#+\-])(?<!\d[.,:/])"
    + _TOKEN
    + r"(?![a-z0-9])"
    # not the first end of a range: 2-3m, 30到50万, 300k to 500k
    + rf"(?!\s*(?:[-~～]|到|至)\s*[\d$¥€£{_CN_NUM}])"
    + r"(?!\s+to\s+[$¥€£]?[\d.,]+\s*(?:[kmbw]|mil|million|billion|thousand|grand)\b)",
    re.IGNORECASE,
)
# what follows a number that counts things or gives a share, rather than money
_COUNT_AFTER = re.compile(
    r"\s*(?:[%‰]|个点|个|人|位|名|台|套|件|份|次|家|户|张|条|只|瓶|箱|吨|公斤|斤|千克|平米|平方|米"
    r"|岁|辆|款|批|部|本|页|成|倍|折|楼|层|栋|间|届|轮|遍|趟|所|支|把|度|笔|张发票|[x×]\b"
    r"|(?:people|persons?|ppl|guys|users?|seats?|units?|licen[cs]es?|pcs|pieces?|employees|staff"
    r"|heads?|visitors|downloads|customers|clients|accounts|orders|items|boxes|tons?|tonnes?|kg"
    r"|km|percent|pct|times|calls|meetings|visits|emails|skus?|devices|machines|sites|stores"
    r"|trucks|cars|vehicles|rooms|pallets|containers|sqm|invoices|payments|instal+ments|batches"
    r"|milestones|phases)\b)",
    re.IGNORECASE,
)
# what follows a plain number that tells a time, a date or a duration (3点, 4 pm, 5月, 3 days)
_TIME_AFTER = re.compile(
    r"\s*(?:天|日|号|小时|钟头|分钟|分|秒|周|星期|礼拜|个月|月|年|点|季度|季|期|回"
    r"|(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?|mins?|minutes?|seconds?|secs?"
    r"|am|pm|a\.m\.|p\.m\.|o'clock)\b)",
    re.IGNORECASE,
)
# a bare number after these is a document number, a phone number or an id, not money
_ID_BEFORE = re.compile(
    r"(?:#|№|\bno\.?|\bnr\.?|\bnumber|\bid|\bref|\bpo|\binv(?:oice)?|\btel|\bphone|\bmobile"
    r"|\bext\.?|编号|单号|号码|发票号?|合同号|订单号?|工号|电话|手机|分机|尾号|第)\s*[:：#.]?\s*$",
    re.IGNORECASE,
)
# words that make a bare number (500000) or a 万 written as w (30w) money in free text
_MONEY_BEFORE = re.compile(
    r"(?:预算|金额|合同额|合同金额|合同|报价|总价|总额|价格|价款|标的|成交额|成交价|订单额|回款|付款"
    r"|收款|营收|收入|销售额|费用|单价|月费|年费|服务费|尾款|首付款?|定金|订金|押金|预付款|货款|余款"
    r"|欠款|应收|\bdeposit|\bbalance|\btotal|\bowe[sd]?|\boutstanding|\bbudget|\bdeal|\bworth|\bvalued?(?:\s+at)?|\bpriced?(?:\s+at)?"
    r"|\bquoted?|\bamount|\bpaid|\bpayment|\brevenue|\bcost|\bfee)"
    r"\s*(?:[:：=]|\bis\b|\bof\b|\bat\b|\bwas\b|为|是|共|总共|约|大约|大概)?"
    r"\s*(?:about|around|approx\.?|roughly|~|约|大约|大概)?\s*$",
    re.IGNORECASE,
)
_MONEY_AFTER = re.compile(
    r"\s*(?:的)?(?:单子|单|项目|合同|订单|预算|报价|生意|deal|budget|contract|order|opportunity"
    r"|opp|project)",
    re.IGNORECASE,
)


def _currency(pre: str | None, suf: str | None, default: str) -> str:
    codes = {_CURRENCY_WORDS[w.lower()] for w in (pre, suf) if w}
    if len(codes) > 1:
        raise ParseError("two different currencies in one amount", currencies=sorted(codes))
    return codes.pop() if codes else default


def _en_number(words: str) -> Decimal | None:
    """``two hundred`` → 200, ``half a`` → 0.5, ``two and a half`` → 2.5, ``one point two``
    → 1.2, ``a`` → 1; None if the words are not one number."""
    toks = re.split(r"[\s-]+", words.lower())
    value = Decimal(0)
    decimals: str | None = None
    i = 0
    while i < len(toks):
        t = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if decimals is not None:
            if t not in _EN_UNITS or _EN_UNITS[t] > 9:
                return None
            decimals += str(_EN_UNITS[t])
        elif t in _EN_UNITS:
            if value and value % 10 == 0 and _EN_UNITS[t] < 10 and value % 100 != 0:
                value += _EN_UNITS[t]  # twenty five
            elif value and value % 100 != 0:
                return None  # "five six"
            else:
                value += _EN_UNITS[t]
        elif t == "hundred":
            if value >= 100 or value % 1:
                return None
            value = (value or 1) * 100
        elif t in ("a", "an"):
            if nxt in ("half", "quarter"):
                pass
            elif value:
                return None  # "two a"
            else:
                value += 1
        elif t in ("half", "quarter"):
            value += Decimal("0.5") if t == "half" else Decimal("0.25")
            if nxt in ("a", "an"):
                i += 1  # half a million
        elif t == "and":
            if nxt is None or not value:
                return None
        elif t == "point":
            if value % 1:
                return None
            decimals = ""
        i += 1
    if decimals == "":
        return None
    if decimals:
        value += Decimal("0." + decimals)
    return value


def _cn_number(text: str) -> Decimal | None:
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = cn_to_int(whole)
        digits = [cn_to_int(ch) for ch in frac]
        if w is None or None in digits:
            return None
        return Decimal(f"{w}.{''.join(map(str, digits))}")
    if len(text) >= 3 and text[-2] in _CN_UNIT and text[-1] in _CN_DIGIT and "零" not in text:
        head = cn_to_int(text[:-1])  # 四千五 = 4,500 and 一百五 = 150, as people say them
        if head is None:
            return None
        return Decimal(head + _CN_DIGIT[text[-1]] * _CN_UNIT[text[-2]] // 10)
    n = cn_to_int(text)
    return None if n is None else Decimal(n)


_CN_DIGIT = {ch: i for i, ch in enumerate("一二三四五六七八九", 1)} | {"两": 2}
_CN_UNIT = {"百": 100, "千": 1000, "万": 10**4, "亿": 10**8}


def _amount(m: re.Match[str], *, tail: bool = True) -> Decimal:
    num, cn, words = m.group("num"), m.group("cn"), m.group("words")
    if num is not None:
        try:
            value = Decimal(num.replace(",", ""))
        except InvalidOperation:
            raise ParseError("not a number", number=num) from None
    else:
        got = _cn_number(cn) if cn is not None else _en_number(words)
        if got is None:
            raise ParseError("cannot read the number", number=cn or words)
        value = got
    mult = m.group("mult")
    if mult:
        mult = mult.lower()
        value *= _MULTIPLIERS[mult]
        extra = m.group("tail")
        if extra and tail:
            zero = extra.startswith("零") and len(extra) > 1
            extra = extra[1:] if zero else extra  # 10万零5千
            unit = next((u for u in ("千万", "百万", "千", "百") if extra.endswith(u)), None)
            if unit and extra[0].isdigit():
                n: int | None = int(extra[: -len(unit)]) * _MULTIPLIERS[unit]
            else:
                n = cn_to_int(extra)
            if n is None:
                raise ParseError("cannot read the number", number=extra)
            if unit is None and not zero and len(extra) == 1 and mult in _TAIL_UNIT:
                n *= _TAIL_UNIT[mult]  # 3万5
            elif n >= _MULTIPLIERS[mult]:
                raise ParseError("cannot read the number", number=m.group(0))
            value += n
    if not value.is_finite() or value > MAX_AMOUNT:
        raise ParseError("that amount is too large", amount=m.group(0))
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _money(m: re.Match[str], default_currency: str, *, tail: bool = True) -> Money:
    if m.group("neg"):
        raise ParseError("an amount cannot be negative")
    if m.group("words") and not (m.group("mult") or m.group("pre") or m.group("suf")):
        raise ParseError("not an amount of money", text=m.group(0))  # "one", "a"
    amount = _amount(m, tail=tail)
    return Money(amount, _currency(m.group("pre"), m.group("suf"), default_currency))


def parse_money(text: str, *, default_currency: str = "CNY") -> Money:
    """Read ``text`` as exactly one amount of money; ParseError if it isn't one.

    Without a currency marker the amount is in ``default_currency``.  Rejected:
    negative amounts, two conflicting currencies, malformed numbers (``1.2.3m``,
    ``1,2,3``), vague ones (``100多万``), number words without a magnitude or currency
    (``two``) and anything above 10^15.
    """
    s = normalize(text).translate(_CN_CAPITALS)
    m = _FULL.fullmatch(s)
    if m is None:
        raise ParseError("not an amount of money", text=text)
    return _money(m, default_currency.upper())


def is_currency_word(word: str) -> bool:
    """Is ``word`` a currency on its own (``USD``, ``美元``, ``¥``), as in ``USD 20k``?"""
    return word.lower() in _CURRENCY_WORDS


@dataclass(frozen=True)
class MoneyHit:
    """An amount found in a text: ``text[start:end]`` (offsets into the caller's text),
    its currency word or symbol included.  ``bare`` when nothing but the place it stands
    in says it is money (``5000``, not ``5k``/``¥5000``/``5,000``)."""

    start: int
    end: int
    money: Money
    bare: bool = False


class _FoldTable(dict[int, str]):
    """``str.translate`` table doing ``fold`` one character at a time, filled as it goes."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold(chr(code)).translate(_CN_CAPITALS)
        return folded


_FOLD = _FoldTable()


def _mask(s: str, taken: Sequence[tuple[int, int]]) -> str:
    if not taken:
        return s
    chars = list(s)
    for a, b in taken:
        for i in range(max(a, 0), min(b, len(chars))):
            chars[i] = "\0"
    return "".join(chars)


def find_amounts(
    text: str,
    *,
    default_currency: str = "CNY",
    taken: Sequence[tuple[int, int]] = (),
    plain: bool = False,
) -> list[MoneyHit]:
    """Every amount of money in ``text``, left to right, with exact offsets into ``text``
    (currency words and symbols inside the span).  Never raises.

    Spans in ``taken`` (a date's, say) are never part of an amount: the 五 of 上周五 is
    not 5, and the ``USD`` after it still belongs to ``USD 52,000``.

    In free text a number is money when it has a currency (``$5``, ``5万元``, ``USD
    52,000``), a magnitude (``300k``, ``1.2 mil``, ``350 grand``, ``half a million``,
    ``一百二十万``, ``2.5百万``) or thousands separators (``52,000``).  ``30w`` and bare
    numbers (``500000``) are money next to a money word (``预算30w``, ``budget 500000``,
    ``30w的单子``).  Never money: counts (``3个人``, ``5k users``), times (``3点``,
    ``4pm``), shares (``30%``), quarters (``Q3``), ranges (``2-3m``), vague amounts
    (``100多万``), ids and phone numbers (``#12``, ``INV-2024-001``, ``13812345678``),
    negative amounts.

    ``plain=True`` is for text where an amount is expected (the line of a ``/paid``):
    ``30w`` and bare numbers count too — bare ones only when no other amount is there.
    """
    s = _mask(text.translate(_FOLD), taken)  # fold(text), faster
    currency = default_currency.upper()
    hits: list[MoneyHit] = []
    bare_hits: list[MoneyHit] = []
    for m in _SEARCH.finditer(s):
        neg, num, cn, words, mult, pre, suf, more = m.group(
            "neg", "num", "cn", "words", "mult", "pre", "suf", "tail"
        )
        if neg:
            continue
        w = mult is not None and mult in "wW"
        marked = bool(pre or suf or (mult and not w) or (num and "," in num))
        if not marked and (words or (cn and not w and not any(u in cn for u in "十百千"))):
            continue  # "a", "one", 五: no money without a magnitude or currency
        start, end = m.start(), m.end()
        tail = True
        if more and not suf and _TIME_AFTER.match(s, end):
            tail, end = False, m.end("mult")  # 50万5月: the 5 is a month's
        if not suf and _not_money_after(s, end, not mult):
            continue  # 5k users, 3点, 30%
        if _RANGE_BEFORE.search(s, max(0, start - 8), start) and not _FROM_BEFORE.search(
            s, max(0, start - 28), start
        ):
            continue  # 30到50万: the second end of a range
        bare = False
        if w and not marked:
            if not plain and not _money_context(s, start, end):
                continue  # 2w: two weeks, more likely
        elif not marked:
            if (
                _ID_BEFORE.search(s, max(0, start - 12), start)
                or len((num or "").replace(".", "")) >= 9
                or (num and len(num) == 4 and "2010" <= num <= "2039")
            ):
                continue  # #12, 13812345678, 2027 (a year)
            if not _money_context(s, start, end):
                if not plain:
                    continue
                bare = True
        try:
            money = _money(m, currency, tail=tail)
        except ParseError:
            continue
        (bare_hits if bare else hits).append(MoneyHit(start, end, money, bare))
    return _with_old_amount(s, hits, default_currency) or bare_hits


def _with_old_amount(s: str, hits: list[MoneyHit], currency: str) -> list[MoneyHit]:
    """``from 1.2m to 1.5m``: the old amount is an amount too (the caller takes the new)."""
    for m in _FROM_TO.finditer(s):
        if any(h.start == m.start("new") for h in hits) and not any(
            h.start == m.start("old") for h in hits
        ):
            try:
                money = parse_money(m.group("old"), default_currency=currency)
            except ParseError:
                continue
            hits.append(MoneyHit(m.start("old"), m.end("old"), money))
    return sorted(hits, key=lambda h: h.start)


_RANGE_BEFORE = re.compile(
    rf"[\d{_CN_NUM}kKmMwW万]\s*(?:[-~～]|到|至|to)\s*(?:{_PREFIX})?\s*$", re.IGNORECASE
)


# "from 1.2m to 1.5m": a change, not a range — the second end is the new amount
_FROM_BEFORE = re.compile(r"(?:\bfrom|从)\s*\S{1,12}\s*(?:to|到)\s*$", re.IGNORECASE)


_FROM_TO = re.compile(
    r"(?:\bfrom|从)\s*(?P<old>[$¥€£]?[\d.,]+\s*(?:[kmbw]|mil|million|万|亿)?)\s*(?:to|到)\s*(?P<new>\S)",
    re.IGNORECASE,
)


def _not_money_after(s: str, end: int, plain_number: bool) -> bool:
    return bool(_COUNT_AFTER.match(s, end) or (plain_number and _TIME_AFTER.match(s, end)))


def _money_context(s: str, start: int, end: int) -> bool:
    return bool(_MONEY_BEFORE.search(s, max(0, start - 16), start) or _MONEY_AFTER.match(s, end))


def find_money(text: str, *, default_currency: str = "CNY") -> tuple[Money | None, str]:
    """The first amount of money in free text (``find_amounts``), and the text without it
    (normalised).  ``met 3 people``, ``Q3`` and ``snooze 2w`` hold no money, ``300k``,
    ``¥5,000`` and ``35万美元`` do.  Never raises.
    """
    s = normalize(text)
    hits = find_amounts(s, default_currency=default_currency)
    if not hits:
        return None, s
    hit = hits[0]
    return hit.money, join_text(s[: hit.start], s[hit.end :])


_LEADING_MINUS = re.compile(r"^\s*[-−]")


def starts_negative(text: str) -> bool:
    """True when ``text`` opens with a minus sign (``-300k``, ``−5万``)."""
    return _LEADING_MINUS.match(text) is not None


def leading_money(text: str, *, default_currency: str = "CNY") -> tuple[Money | None, str]:
    """The amount at the start of ``text`` — its first two words (``USD 2m``) or its first
    word — or, failing that, the first amount in it (``find_money``); and the rest.

    A leading minus sign is left for the caller to refuse in its own words
    (``starts_negative``).
    """
    tokens = text.split()
    for n in (4, 3, 2, 1):  # "half a million USD", "two hundred k", "USD 2m", "2m"
        if len(tokens) >= n:
            try:
                money = parse_money(" ".join(tokens[:n]), default_currency=default_currency)
            except ParseError:
                continue
            return money, " ".join(tokens[n:])
    return find_money(text, default_currency=default_currency)


# ---------------------------------------------------------------------------
# Rendering


def _trim(value: Decimal, places: int = 2) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scaled(amount: Decimal, steps: list[tuple[Decimal, str]]) -> str:
    """``amount`` with the largest unit it reaches, promoting 999.999K to 1M."""
    for i, (size, unit) in enumerate(steps):
        if amount >= size:
            text = _trim(amount / size)
            if i > 0 and Decimal(text) >= steps[i - 1][0] / size:
                bigger, bigger_unit = steps[i - 1]
                return _trim(amount / bigger) + bigger_unit
            return text + unit
    return ""


_EN_STEPS = [(Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(10**3), "K")]
_ZH_STEPS = [(Decimal(10**8), "亿"), (Decimal(10**4), "万")]


def format_money(
    money: Money, lang: Literal["en", "zh"] | str = "en", *, compact: bool = True
) -> str:
    """Render ``money`` for people; see the module docstring for the formats."""
    amount = money.amount
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    code = money.currency
    symbol = _SYMBOLS.get(code)
    if not compact:
        digits = _MINOR_DIGITS.get(code, 2)
        number = f"{amount:,.{digits}f}"
        return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}"
    if str(lang).lower().startswith("zh"):
        number = _scaled(amount, _ZH_STEPS) or _small(amount)
        suffix = "" if code == "CNY" else _ZH_NAMES.get(code, " " + code)
        return f"{sign}{number}{suffix}"
    number = _scaled(amount, _EN_STEPS) or _small(amount)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{code} {number}"


def _small(amount: Decimal) -> str:
    if amount == amount.to_integral_value():
        return f"{amount.quantize(Decimal(1)):f}"
    return f"{amount.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
