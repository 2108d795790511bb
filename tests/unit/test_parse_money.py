from __future__ import annotations

from decimal import Decimal

import pytest

from domain.errors import ParseError
from handlers.parsing.money import Money, find_money, format_money, parse_money


def money(amount: str, currency: str = "CNY") -> Money:
    return Money(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2m", money("1200000")),
        ("1.2M", money("1200000")),
        ("300k", money("300000")),
        ("1,200,000", money("1200000")),
        ("¥1.2M", money("1200000")),
        ("￥300万", money("3000000")),
        ("120万", money("1200000")),
        ("1.5亿", money("150000000")),
        ("3千", money("3000")),
        ("USD 20k", money("20000", "USD")),
        ("$20,000", money("20000", "USD")),
        ("20k USD", money("20000", "USD")),
        ("€5k", money("5000", "EUR")),
        ("RMB 1m", money("1000000")),
        ("CNY 2,000", money("2000")),
        ("1.2 million", money("1200000")),
        ("£3.5k", money("3500", "GBP")),
        ("HK$3.5m", money("3500000", "HKD")),
        ("JPY 500k", money("500000", "JPY")),
        ("一百二十万", money("1200000")),
        ("两百万", money("2000000")),
        ("三千", money("3000")),
        ("50万元", money("500000")),
        ("2万美元", money("20000", "USD")),
        ("120w", money("1200000")),
        ("0", money("0")),
        ("1234.56", money("1234.56")),
        ("0.1k", money("100")),
        ("１２０万", money("1200000")),  # full-width digits
    ],
)
def test_parse_money(text: str, expected: Money) -> None:
    got = parse_money(text)
    assert got == expected
    assert got.amount.as_tuple().exponent >= -2  # no float noise


def test_parse_money_is_exact() -> None:
    # 0.1 + 0.2 style float noise would show up here
    assert parse_money("0.3m").amount == Decimal("300000")
    assert parse_money("1.23456789k").amount == Decimal("1234.56789")


def test_default_currency() -> None:
    assert parse_money("20k", default_currency="usd") == money("20000", "USD")
    assert parse_money("¥20k", default_currency="USD") == money("20000", "CNY")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "-5k",
        "负5万",
        "$-5",
        "1.2.3m",
        "1,2,3",
        "1,20,000",
        "1e5",
        "$5 元",
        "5 USD EUR",
        "k",
        "万",
        "NaN",
        "Infinity",
        "1" + "0" * 30,
    ],
)
def test_parse_money_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_money(text)


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("Budget approved 1.2m, signing Q3", money("1200000"), "Budget approved, signing Q3"),
        ("预算120万已批", money("1200000"), "预算已批"),
        ("deal ¥5,000 closed", money("5000"), "deal closed"),
        ("2万美元的单子", money("20000", "USD"), "的单子"),
        ("quote USD 20k today", money("20000", "USD"), "quote today"),
        ("first 300k then 400k", money("300000"), "first then 400k"),
    ],
)
def test_find_money(text: str, expected: Money, rest: str) -> None:
    assert find_money(text) == (expected, rest)


@pytest.mark.parametrize(
    "text",
    [
        "met 3 people",
        "signing Q3",
        "2-3m",
        "snooze 2w",
        "due 2027-01-10",
        "3 months",
        "10d",
        "budget: -5k",
        "12月5日",
    ],
)
def test_find_money_none(text: str) -> None:
    assert find_money(text) == (None, text)


@pytest.mark.parametrize(
    ("value", "lang", "compact", "expected"),
    [
        (money("1200000"), "en", True, "¥1.2M"),
        (money("20000", "USD"), "en", True, "$20K"),
        (money("950", "EUR"), "en", True, "€950"),
        (money("12.5", "USD"), "en", True, "$12.50"),
        (money("1234567", "USD"), "en", True, "$1.23M"),
        (money("999999", "USD"), "en", True, "$1M"),
        (money("2500000000"), "en", True, "¥2.5B"),
        (money("20000", "CHF"), "en", True, "CHF 20K"),
        (money("1200000"), "zh", True, "120万"),
        (money("150000000"), "zh", True, "1.5亿"),
        (money("9500"), "zh", True, "9500"),
        (money("20000", "USD"), "zh", True, "2万美元"),
        (money("99999999"), "zh", True, "1亿"),
        (money("1200000"), "en", False, "¥1,200,000.00"),
        (money("20000", "USD"), "zh", False, "$20,000.00"),
        (money("1000", "JPY"), "en", False, "JP¥1,000"),
    ],
)
def test_format_money(value: Money, lang: str, compact: bool, expected: str) -> None:
    assert format_money(value, lang, compact=compact) == expected


def test_str_is_unambiguous() -> None:
    assert str(money("1200000")) == "CNY 1,200,000.00"
    assert str(money("1000", "JPY")) == "JPY 1,000"
