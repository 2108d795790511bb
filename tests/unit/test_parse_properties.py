"""Whatever people type, the parsers answer or raise ParseError — nothing else.

Random text mixes arbitrary Unicode (control characters included), Chinese, and
fragments of the phrases the parsers look for, so the deep paths get exercised too.
"""

from __future__ import annotations

import contextlib
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import Ambiguous, NotFound, ParseError
from handlers.parsing import (
    Candidate,
    Money,
    closest,
    extract_due,
    extract_leading_when,
    extract_new_contacts,
    find_money,
    format_money,
    match_contacts,
    normalize,
    parse_date,
    parse_duration,
    parse_money,
    parse_recurrence,
    parse_when,
    resolve,
    split_account_and_rest,
    split_next_step,
    tokenize_quoted,
)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    # dates
    "昨天",
    "明天",
    "下周三",
    "周五前",
    "月底",
    "下午3点",
    "12月5日",
    "3天后",
    "两周后",
    "下个月",
    "15号",
    "周末",
    "星期五",
    "礼拜天",
    "年底",
    "季度末",
    "今晚",
    "二〇二六年",
    "半个月后",
    "yesterday",
    "today",
    "tomorrow",
    "Friday",
    "next",
    "last",
    "by",
    "before",
    "due",
    "in",
    "2 weeks",
    "ago",
    "Mar",
    "31",
    "3/31",
    "2027-03-31",
    "EOM",
    "end of",
    "month",
    "3pm",
    "15:30",
    "at",
    "the",
    "may",
    "13/45",
    "99999",
    "0",
    "24点",
    "2月30日",
    # money
    "1.2m",
    "300k",
    "¥",
    "$",
    "USD",
    "万",
    "亿",
    "千",
    "1,200,000",
    "1,2,3",
    "一百二十万",
    "-",
    "元",
    "HK$",
    "€",
    "1.2.3",
    # durations
    "2w",
    "10d",
    "每",
    "every",
    "个月",
    "两周",
    "半年",
    "other",
    # names
    "met",
    "with",
    "见了",
    "拜访了",
    "王总",
    "李经理",
    "欧阳",
    "Mr.",
    "Li Wei",
    "CFO",
    "(",
    ")",
    "（",
    "）",
    ",",
    "，",
    "、",
    "和",
    "and",
    '"',
    "“",
    "”",
    "「",
    "」",
    "next:",
    "下一步：",
]
ALPHABET = st.one_of(
    st.characters(),  # anything, control characters and surrogates-free Unicode included
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0x0000, max_codepoint=0x001F),
    st.sampled_from(" \t\n\u3000\u200b\ufeff０１２３ＡＢＣ"),
)
TEXT = st.one_of(
    st.text(ALPHABET, max_size=40),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(ALPHABET, max_size=3)), max_size=8).map(
        "".join
    ),
    st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(" ".join),
)
NOWS = st.sampled_from(
    [
        datetime(2026, 11, 18, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 11, 20, 23, 59, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2028, 2, 29, 0, 0, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 12, 31, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2027, 1, 31, 8, tzinfo=UTC),
    ]
)
PREFER = st.sampled_from(["past", "future"])

ACCOUNTS = [
    Candidate(1, "Acme Corp", ("ACME",)),
    Candidate(2, "Acme Ltd"),
    Candidate(3, "华夏重工", ("华夏",)),
    Candidate(4, "Globex Inc"),
]
CONTACTS = [
    Candidate("lw", "Li Wei"),
    Candidate("tl", "Tom Li"),
    Candidate("wjg", "王建国"),
    Candidate("wm", "王明"),
    Candidate("oyf", "欧阳锋"),
]


@FAST
@given(TEXT, NOWS, PREFER)
def test_parse_when_answers_or_says_none(text: str, now: datetime, prefer) -> None:
    got = parse_when(text, now=now, prefer=prefer)
    if got is not None:
        assert got.tzinfo is not None
        assert got.utcoffset() == got.astimezone(now.tzinfo).utcoffset()
        assert parse_date(text, now=now, prefer=prefer) == got.date()


@FAST
@given(TEXT, NOWS, PREFER)
def test_extract_leading_when_never_eats_text_without_a_date(text: str, now, prefer) -> None:
    when, rest = extract_leading_when(text, now=now, prefer=prefer)
    if when is None:
        assert rest == normalize(text)
    else:
        assert len(rest) < len(normalize(text))


@FAST
@given(TEXT, NOWS)
def test_extract_due(text: str, now: datetime) -> None:
    when, rest = extract_due(text, now=now)
    if when is None:
        assert rest == normalize(text)
    else:
        assert when.tzinfo is not None


@FAST
@given(TEXT)
def test_duration_and_recurrence(text: str) -> None:
    for parse in (parse_duration, parse_recurrence):
        try:
            span = parse(text)
        except ParseError:
            continue
        assert span.days > 0 or span.months > 0
        assert span.add_to(date(2026, 1, 31)) > date(2026, 1, 31)


@FAST
@given(TEXT)
def test_parse_money(text: str) -> None:
    try:
        money = parse_money(text)
    except ParseError:
        return
    assert money.amount >= 0
    assert format_money(money, "en") and format_money(money, "zh", compact=False)


@FAST
@given(TEXT)
def test_find_money(text: str) -> None:
    money, rest = find_money(text)
    if money is None:
        assert rest == normalize(text)
    else:
        assert money.amount >= 0
        assert format_money(money, "zh")


@FAST
@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_money_round_trips_through_grouped_digits(amount: Decimal) -> None:
    assert parse_money(f"{amount:,}").amount == amount
    assert parse_money(f"USD {amount}") == Money(amount, "USD")


@FAST
@given(TEXT)
def test_names(text: str) -> None:
    with contextlib.suppress(NotFound, Ambiguous, ParseError):
        resolve(text, ACCOUNTS)
    with contextlib.suppress(NotFound, Ambiguous, ParseError):
        split_account_and_rest(text, ACCOUNTS)
    assert len(closest(text, ACCOUNTS)) == 3
    found = match_contacts(text, CONTACTS)
    assert set(found.linked) <= {c.key for c in CONTACTS}
    for person in extract_new_contacts(text):
        assert person.name


@FAST
@given(TEXT)
def test_text_helpers(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in once)
    _note, step = split_next_step(text)
    assert step is None or step
    tokenize_quoted(text)


@FAST
@given(st.lists(st.text(st.characters(blacklist_characters='"“”「」『』«»'), min_size=1)))
def test_tokenize_without_quotes_is_split(words: list[str]) -> None:
    text = " ".join(words)
    assert tokenize_quoted(text) == text.split()


# --- text helpers, by example ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ('Acme "Acme Corp" x', ["Acme", "Acme Corp", "x"]),
        ("“华夏 重工” 昨天", ["华夏 重工", "昨天"]),
        ("「华夏 重工」 昨天", ["华夏 重工", "昨天"]),
        ('name="Acme Corp"', ["name=Acme Corp"]),
        ('unclosed "rest of it', ["unclosed", "rest of it"]),
        ('empty "" token', ["empty", "", "token"]),
        ("O'Brien's deal", ["O'Brien's", "deal"]),
        ("", []),
    ],
)
def test_tokenize_quoted(text: str, tokens: list[str]) -> None:
    assert tokenize_quoted(text) == tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Budget approved. next: send proposal by Friday",
            ("Budget approved.", "send proposal by Friday"),
        ),
        ("预算已批 下一步：周五前发方案", ("预算已批", "周五前发方案")),
        ("预算已批，下一步:周五前发方案", ("预算已批", "周五前发方案")),
        ("ok. Next step: call", ("ok.", "call")),
        ("ok; TODO: call", ("ok", "call")),
        ("context: none", ("context: none", None)),
        ("no marker", ("no marker", None)),
        ("next:", ("", None)),
    ],
)
def test_split_next_step(text: str, expected: tuple[str, str | None]) -> None:
    assert split_next_step(text) == expected


def test_normalize() -> None:
    assert normalize("  ＡＣＭＥ\u3000\u200bcorp\x00\x07 \t x\r\ny ") == "ACME corp x\ny"
    assert normalize("１２０万，下一步：") == "120万,下一步:"
