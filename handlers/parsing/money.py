"""Amounts of money as people type them in chat.

    parse_money(text, *, default_currency="CNY") -> Money    (raises ParseError)
    find_money(text) -> (Money | None, rest)
    format_money(money, lang="en", *, compact=True) -> str

Understood: ``1.2m``, ``300k``, ``1,200,000``, ``¥1.2M``, ``￥300万``, ``120万``,
``1.5亿``, ``3千``, ``120w`` (万), ``USD 20k``, ``$20,000``, ``20k USD``, ``€5k``,
``RMB 1m``, ``CNY 2,000``, ``1.2 million``, ``一百二十万``, ``两百万``, ``50万元``,
``2万美元``.  Currencies: ``¥ ￥ RMB CNY 元 块 人民币`` → CNY, ``$ US$ USD 美元 美金``
→ USD, ``€ EUR 欧元``, ``£ GBP 英镑``, ``HK$ HKD 港币 港元``, ``JP¥ JPY 日元``.
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
    "jp¥": "JPY",
    "rmb": "CNY",
    "cny": "CNY",
    "usd": "USD",
    "eur": "EUR",
    "gbp": "GBP",
    "hkd": "HKD",
    "jpy": "JPY",
    "¥": "CNY",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "dollar": "USD",
    "dollars": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "元": "CNY",
    "块": "CNY",
    "块钱": "CNY",
    "人民币": "CNY",
    "美元": "USD",
    "美金": "USD",
    "欧元": "EUR",
    "英镑": "GBP",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
}
_MULTIPLIERS = {
    "k": 10**3,
    "thousand": 10**3,
    "千": 10**3,
    "w": 10**4,
    "万": 10**4,
    "m": 10**6,
    "mm": 10**6,
    "mn": 10**6,
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

_PREFIX = r"(?P<pre>hk\$|us\$|jp¥|rmb|cny|usd|eur|gbp|hkd|jpy|[¥$€£])"
_NUMBER = (
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
    r"|[零〇一二两三四五六七八九十百千]+)"
)
_MULT = r"(?P<mult>万亿|千亿|百亿|十亿|百万|千万|亿|万|千|thousand|million|billion|mm|mn|bn|[kmbw])"
_SUFFIX = (
    r"(?P<suf>usd|rmb|cny|eur|gbp|hkd|jpy|dollars?|euros?|块钱|人民币|美元|美金|欧元|英镑|港币|"
    r"港元|日元|元|块)"
)
_TOKEN = (
    rf"(?:{_PREFIX}\s*)?(?P<neg>[-−]|负)?\s*{_NUMBER}"
    rf"(?:\s*{_MULT}(?![a-z]))?(?:\s*{_SUFFIX}(?![a-z]))?"
)
_FULL = re.compile(_TOKEN, re.IGNORECASE)
_SEARCH = re.compile(r"(?<![a-z0-9.,_$¥€£-])" + _TOKEN + r"(?![a-z0-9])", re.IGNORECASE)


def _currency(pre: str | None, suf: str | None, default: str) -> str:
    codes = {_CURRENCY_WORDS[w.lower()] for w in (pre, suf) if w}
    if len(codes) > 1:
        raise ParseError("two different currencies in one amount", currencies=sorted(codes))
    return codes.pop() if codes else default


def _amount(m: re.Match[str]) -> Decimal:
    num = m.group("num")
    if num[0].isascii():
        try:
            value = Decimal(num.replace(",", ""))
        except InvalidOperation:
            raise ParseError("not a number", number=num) from None
    else:
        whole = cn_to_int(num)
        if whole is None:
            raise ParseError("cannot read the Chinese number", number=num)
        value = Decimal(whole)
    mult = m.group("mult")
    if mult:
        value *= _MULTIPLIERS[mult.lower()]
    if value > MAX_AMOUNT:
        raise ParseError("that amount is too large", amount=num)
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _money(m: re.Match[str], default_currency: str) -> Money:
    if m.group("neg"):
        raise ParseError("an amount cannot be negative")
    return Money(_amount(m), _currency(m.group("pre"), m.group("suf"), default_currency))


def parse_money(text: str, *, default_currency: str = "CNY") -> Money:
    """Read ``text`` as exactly one amount of money; ParseError if it isn't one.

    Without a currency marker the amount is in ``default_currency``.  Rejected:
    negative amounts, two conflicting currencies, malformed numbers (``1.2.3m``,
    ``1,2,3``) and anything above 10^15.
    """
    s = normalize(text)
    m = _FULL.fullmatch(s)
    if m is None:
        raise ParseError("not an amount of money", text=text)
    return _money(m, default_currency.upper())


def is_currency_word(word: str) -> bool:
    """Is ``word`` a currency on its own (``USD``, ``美元``, ``¥``), as in ``USD 20k``?"""
    for probe in (f"{word} 1", f"1 {word}"):
        try:
            if parse_money(probe, default_currency="XXX").currency != "XXX":
                return True
        except ParseError:
            pass
    return False


def find_money(text: str, *, default_currency: str = "CNY") -> tuple[Money | None, str]:
    """The first amount of money in free text, and the text without it (normalised).

    In free text a number only counts as money with a currency, a magnitude
    (``k``/``m``/``万``/``亿``…) or thousands separators: ``met 3 people`` and
    ``Q3`` are not money, ``300k`` and ``¥5,000`` are.  ``w`` for 万 is not
    recognised here (``2w`` in free text is more likely two weeks); negative or
    oversized amounts are skipped.  Never raises.
    """
    s = normalize(text)
    for m in _SEARCH.finditer(s):
        if m.group("neg"):
            continue
        num, mult = m.group("num"), m.group("mult")
        marked = m.group("pre") or m.group("suf") or ("," in num and num[0].isascii())
        if mult and mult.lower() == "w":
            if not marked:
                continue
        elif mult:
            marked = True
        if not marked:
            continue
        try:
            money = _money(m, default_currency.upper())
        except ParseError:
            continue
        return money, join_text(s[: m.start()], s[m.end() :])
    return None, s


@dataclass(frozen=True)
class MoneyHit:
    """An amount found in a text: ``text[start:end]`` (offsets into the caller's text)."""

    start: int
    end: int
    money: Money


def find_amounts(
    text: str, *, default_currency: str = "CNY", taken: Sequence[tuple[int, int]] = ()
) -> list[MoneyHit]:
    """Every amount of money in ``text`` (same rules as ``find_money``), left to right,
    skipping any that overlaps a span in ``taken`` (a date's, say: the 五 of 上周五
    is never an amount).  Offsets index ``text``; never raises.
    """
    s = fold(text)
    hits: list[MoneyHit] = []
    for m in _SEARCH.finditer(s):
        if m.group("neg") or any(m.start() < e and s0 < m.end() for s0, e in taken):
            continue
        num, mult = m.group("num"), m.group("mult")
        marked = m.group("pre") or m.group("suf") or ("," in num and num[0].isascii())
        if mult and mult.lower() == "w":
            if not marked:
                continue
        elif mult:
            marked = True
        if not marked:
            continue
        try:
            money = _money(m, default_currency.upper())
        except ParseError:
            continue
        hits.append(MoneyHit(m.start(), m.end(), money))
    return hits


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
    for n in (2, 1):
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
