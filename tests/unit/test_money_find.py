"""find_amounts and parse_money on amounts the way reps type them: words, currencies
before or after, Chinese units, and the numbers that are never money."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import ParseError
from handlers.parsing.dates import find_dates
from handlers.parsing.money import Money, find_amounts, find_money, parse_money
from tests.harness import NOW


def money(amount: str, currency: str = "CNY") -> Money:
    return Money(Decimal(amount), currency)


def found(text: str, **kw) -> list[tuple[str, Money]]:
    """(what the person typed, the amount) for every amount in ``text``."""
    return [(text[h.start : h.end], h.money) for h in find_amounts(text, **kw)]


WORDS = [
    ("two hundred k", money("200000")),
    ("half a million", money("500000")),
    ("350 grand", money("350000")),
    ("1.2 mil", money("1200000")),
    ("1.2 million", money("1200000")),
    ("3 million", money("3000000")),
    ("a million", money("1000000")),
    ("a grand", money("1000")),
    ("one point five million", money("1500000")),
    ("two and a half million", money("2500000")),
    ("twenty-five k", money("25000")),
    ("a hundred grand", money("100000")),
    ("quarter million", money("250000")),
    ("two hundred dollars", money("200", "USD")),
    ("一百二十万", money("1200000")),
    ("2.5百万", money("2500000")),
    ("两百万", money("2000000")),
    ("1千万", money("10000000")),
    ("三十万", money("300000")),
    ("一千五百万", money("15000000")),
    ("一万五", money("15000")),
    ("两万五", money("25000")),
    ("3万5", money("35000")),
    ("3万5千", money("35000")),
    ("12万3400", money("123400")),
    ("一亿两千万", money("120000000")),
    ("1亿2千万", money("120000000")),
    ("三点五万", money("35000")),
    ("八百块", money("800")),
    ("四千五块", money("4500")),
    ("一百五十万", money("1500000")),
    ("10万零5千", money("105000")),
    ("1万零5百", money("10500")),
    ("人民币伍拾万元", money("500000")),  # the capitals of invoices
    ("700K€", money("700000", "EUR")),
    ("50k$", money("50000", "USD")),
    ("35万美元", money("350000", "USD")),
    ("US$2M", money("2000000", "USD")),
    ("USD 52,000", money("52000", "USD")),
    ("52,000 USD", money("52000", "USD")),
    ("USD52000", money("52000", "USD")),
    ("$1.2M", money("1200000", "USD")),
    ("RMB 300k", money("300000")),
    ("人民币50万", money("500000")),
    ("50万元", money("500000")),
    ("50万元人民币", money("500000")),
    ("5万块", money("50000")),
    ("5万块钱", money("50000")),
    ("5万美金", money("50000", "USD")),
    ("2万刀", money("20000", "USD")),
    ("30k RMB", money("30000")),
    ("1.2M美元", money("1200000", "USD")),
    ("€5k", money("5000", "EUR")),
    ("S$80k", money("80000", "SGD")),
    ("50 bucks", money("50", "USD")),
    ("CNY¥5000", money("5000")),
    ("１２０万", money("1200000")),  # full-width digits
]


@pytest.mark.parametrize(("text", "expected"), WORDS)
def test_amount_words_alone(text: str, expected: Money) -> None:
    assert parse_money(text) == expected
    assert found(text) == [(text, expected)]


@pytest.mark.parametrize(("text", "expected"), WORDS)
def test_amount_words_inside_free_text_keep_their_exact_span(text: str, expected: Money) -> None:
    line = f"客户说 {text} 已经确认"
    assert found(line) == [(text, expected)]
    line = f"Blue Harbor deal worth {text}, signing soon"
    assert found(line) == [(text, expected)]


@pytest.mark.parametrize(
    ("text", "typed", "expected"),
    [
        ("预算30w", "30w", money("300000")),
        ("预算：30万", "30万", money("300000")),
        ("budget: 30w", "30w", money("300000")),
        ("30w的单子", "30w", money("300000")),
        ("合同金额 30w", "30w", money("300000")),
        ("报价 45w 左右", "45w", money("450000")),
        ("deal worth 500000", "500000", money("500000")),
        ("budget 500000 approved", "500000", money("500000")),
        ("opp at Initech 800k, in negotiation", "800k", money("800000")),
        ("签了一个50万的单", "50万", money("500000")),
        ("Budget approved 1.2m, signing Q3", "1.2m", money("1200000")),
        ("约50万", "50万", money("500000")),
        ("~300k", "300k", money("300000")),
        ("50万年费", "50万", money("500000")),
        ("月费 3000", "3000", money("3000")),
        ("尾款 120000 下月付", "120000", money("120000")),
        ("paid 300k to 5 people", "300k", money("300000")),
    ],
)
def test_money_in_context(text: str, typed: str, expected: Money) -> None:
    assert found(text) == [(typed, expected)]


@pytest.mark.parametrize(
    "text",
    [
        "snooze 2w",  # two weeks
        "met 3个人 today",
        "5 people joined",
        "5k users",
        "5万台",
        "3万5个人",
        "Q3 review",
        "FY2024",
        "30%",
        "30 percent",
        "百分之三十",
        "4pm",
        "下午3点",
        "15:00",
        "12/8",
        "2026-12-31",
        "12月5日",
        "call 13812345678",
        "+86 13812345678",
        "#12",
        "No. 123",
        "INV-2024-001",
        "2-3m",
        "300k-500k",
        "300k to 500k",
        "30到50万",
        "三十到五十万",
        "100多万",
        "十几万",
        "几十万",
        "三四十万",
        "千万别忘了",
        "万一他不付",
        "一起吃饭",
        "two people",
        "one of them",
        "budget: -5k",
        "v2.5",
        "1,2,3",
        "3 months",
        "10d",
    ],
)
def test_never_money(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(
    "text", ["两个人", "5 people", "3点", "Q3", "30%", "#12", "13812345678", "2-3m", "4pm"]
)
def test_never_money_even_where_an_amount_is_expected(text: str) -> None:
    assert found(text, plain=True) == []


def test_plain_takes_bare_numbers_only_when_nothing_else_is_money() -> None:
    assert found("5000", plain=True) == [("5000", money("5000"))]
    assert found("30w", plain=True) == [("30w", money("300000"))]
    assert found("300k batch 2", plain=True) == [("300k", money("300000"))]
    assert found("5000 batch 2", plain=True) == [("5000", money("5000")), ("2", money("2"))]
    assert found("renewal 2027", plain=True) == []  # a year
    assert found("2000", plain=True) == [("2000", money("2000"))]
    assert [h.bare for h in find_amounts("5000", plain=True)] == [True]
    assert find_amounts("5000") == []


def test_a_date_keeps_its_number_and_the_currency_goes_to_the_amount() -> None:
    text = "回款 宁波港航 上周五 USD 52,000"
    assert found(text)[-1] == ("USD 52,000", money("52000", "USD"))
    dates = find_dates(text, now=NOW, prefer="past")
    taken = [(d.start, d.end) for d in dates]
    assert text[taken[0][0] : taken[0][1]] == "上周五"
    assert found(text, taken=taken) == [("USD 52,000", money("52000", "USD"))]
    assert found("上周五USD52,000", taken=[(0, 3)]) == [("USD52,000", money("52000", "USD"))]
    assert found("上周五 5 USD", taken=[(0, 3)]) == [("5 USD", money("5", "USD"))]


def test_two_amounts_and_a_currency_between_them() -> None:
    assert found("5 USD 52,000") == [("USD 52,000", money("52000", "USD"))]
    assert found("paid 300k,200k") == [("300k", money("300000")), ("200k", money("200000"))]
    assert found("35万美元 另有 20万") == [
        ("35万美元", money("350000", "USD")),
        ("20万", money("200000")),
    ]


def test_offsets_index_the_original_text() -> None:
    text = "收款：华夏重工　５０万元，昨天"  # full-width digits and space
    assert found(text) == [("５０万元", money("500000"))]


def test_default_currency_and_exactness() -> None:
    assert found("300k", default_currency="usd") == [("300k", money("300000", "USD"))]
    [hit] = find_amounts("1.23456789k")
    assert hit.money.amount == Decimal("1234.56789")


@pytest.mark.parametrize(
    "text", ["two", "a", "one hundred", "half", "100多万", "1亿2千万5亿", "five six k", "two a k"]
)
def test_parse_money_rejects_words_that_are_not_an_amount(text: str) -> None:
    with pytest.raises(ParseError):
        parse_money(text)


def test_find_money_still_gives_the_first_amount_and_the_rest() -> None:
    assert find_money("回款 上周五 USD 52,000 ok") == (money("52000", "USD"), "回款 上周五ok")
    assert find_money("deal worth half a million") == (money("500000"), "deal worth")


def test_fast() -> None:
    text = (
        "回款 宁波港航 上周五 USD 52,000，客户说尾款下个月初付，发票号 INV-2024-001，"
        "联系人王总 13812345678，3个人参加，预算一百二十万"
    )
    assert len(text) > 80
    find_amounts(text)
    n = 200
    began = time.process_time()
    for _ in range(n):
        find_amounts(text)
    per_call = (time.process_time() - began) / n
    assert per_call < 0.001  # well under 0.2 ms on a quiet machine; loose for CI


_PIECES = [
    "1.2m", "300k", "¥", "$", "USD", "万", "亿", "千", "百", "1,200,000", "1,2,3", "一百二十万",
    "两", "五", "十", "-", "元", "块", "HK$", "€", "1.2.3", "2w", "half", "a", "million", "grand",
    "two", "hundred", "k", "3", "个人", "%", "点", "上周五", "#", "INV-", "到", "多", "Q", " ",
    "，", "：", "预算", "budget", "people", "12/8", "2026", "0", "５", "美元", "人民币",
]  # fmt: skip


@given(
    st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=3)), max_size=12).map("".join),
    st.booleans(),
    st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), max_size=2),
)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_find_amounts_properties(text: str, plain: bool, taken_raw) -> None:
    """Never raises; spans in order, inside the text, apart from each other and from
    ``taken``; each span read alone is the same amount."""
    taken = [(a, a + n) for a, n in taken_raw]
    hits = find_amounts(text, plain=plain, taken=taken)
    last = 0
    for hit in hits:
        assert last <= hit.start < hit.end <= len(text)
        assert not any(hit.start < b and a < hit.end for a, b in taken)
        assert hit.money.amount >= 0
        assert parse_money(text[hit.start : hit.end]) == hit.money
        last = hit.end
