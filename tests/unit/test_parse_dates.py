"""Date phrases, due dates, durations and recurrences.

``NOW`` is Wednesday 2026-11-18 10:00 in Shanghai; every expected date below was
worked out by hand from a calendar:

    November 2026            December 2026
    Mo Tu We Th Fr Sa Su     Mo Tu We Th Fr Sa Su
     9 10 11 12 13 14 15         1  2  3  4  5  6
    16 17 18 19 20 21 22      7  8  9 10 11 12 13
    23 24 25 26 27 28 29     14 15 16 17 18 19 20
    30
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ParseError
from handlers.parsing.dates import (
    Span,
    extract_due,
    extract_leading_when,
    parse_date,
    parse_duration,
    parse_recurrence,
    parse_when,
)

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=SH)  # a Wednesday
FRIDAY_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH)


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


# Due dates get 18:00, past events 12:00, "today" in the past keeps now's time.
CHINESE = [
    ("下周三", "future", at(2026, 11, 25, 18)),
    ("12月5日", "future", at(2026, 12, 5, 18)),
    ("12月5日", "past", at(2025, 12, 5, 12)),
    ("周五前", "future", at(2026, 11, 20, 18)),
    ("月底", "future", at(2026, 11, 30, 18)),
    ("下周五下午3点", "future", at(2026, 11, 27, 15)),
    ("上周五", "past", at(2026, 11, 13, 12)),
    ("大后天", "future", at(2026, 11, 21, 18)),
    ("后天", "future", at(2026, 11, 20, 18)),
    ("明天", "future", at(2026, 11, 19, 18)),
    ("昨天", "past", at(2026, 11, 17, 12)),
    ("前天", "past", at(2026, 11, 16, 12)),
    ("今天", "past", at(2026, 11, 18, 10)),
    ("今天", "future", at(2026, 11, 18, 18)),
    ("下个月", "future", at(2026, 12, 18, 18)),
    ("下个月15号", "future", at(2026, 12, 15, 18)),
    ("两周后", "future", at(2026, 12, 2, 18)),
    ("3天后", "future", at(2026, 11, 21, 18)),
    ("周末", "future", at(2026, 11, 21, 18)),
    ("周末", "past", at(2026, 11, 14, 12)),
    ("本周五", "future", at(2026, 11, 20, 18)),
    ("这周五", "future", at(2026, 11, 20, 18)),
    ("星期五", "future", at(2026, 11, 20, 18)),
    ("星期五", "past", at(2026, 11, 13, 12)),
    ("礼拜五", "future", at(2026, 11, 20, 18)),
    ("礼拜五", "past", at(2026, 11, 13, 12)),
    ("3天前", "past", at(2026, 11, 15, 12)),
    ("二〇二六年十二月五日", "future", at(2026, 12, 5, 18)),
    ("明天上午10点半", "future", at(2026, 11, 19, 10, 30)),
    ("今晚8点", "future", at(2026, 11, 18, 20)),
    ("下周日", "future", at(2026, 11, 29, 18)),
    ("下月底", "future", at(2026, 12, 31, 18)),
    ("年底", "future", at(2026, 12, 31, 18)),
    ("季度末", "future", at(2026, 12, 31, 18)),
    ("２０２６年１２月５日", "future", at(2026, 12, 5, 18)),  # full-width digits
]

ENGLISH = [
    ("yesterday", "past", at(2026, 11, 17, 12)),
    ("today", "past", at(2026, 11, 18, 10)),
    ("tomorrow", "future", at(2026, 11, 19, 18)),
    ("Friday", "future", at(2026, 11, 20, 18)),
    ("Friday", "past", at(2026, 11, 13, 12)),
    ("by Friday", "future", at(2026, 11, 20, 18)),
    ("next Friday", "future", at(2026, 11, 27, 18)),
    ("last Friday", "past", at(2026, 11, 13, 12)),
    ("in 2 weeks", "future", at(2026, 12, 2, 18)),
    ("2 days ago", "past", at(2026, 11, 16, 12)),
    ("2027-03-31", "future", at(2027, 3, 31, 18)),
    ("3/31", "future", at(2027, 3, 31, 18)),
    ("3/31", "past", at(2026, 3, 31, 12)),
    ("Mar 31", "future", at(2027, 3, 31, 18)),
    ("Mar 31", "past", at(2026, 3, 31, 12)),
    ("end of month", "future", at(2026, 11, 30, 18)),
    ("EOM", "future", at(2026, 11, 30, 18)),
    ("tomorrow 3pm", "future", at(2026, 11, 19, 15)),
    ("Friday at 9:30", "future", at(2026, 11, 20, 9, 30)),
    ("tomorrow morning", "future", at(2026, 11, 19, 9)),
    ("this Monday", "past", at(2026, 11, 16, 12)),
    ("in two weeks", "future", at(2026, 12, 2, 18)),
    ("next week", "future", at(2026, 11, 25, 18)),
    ("2 hours ago", "past", at(2026, 11, 18, 8)),
    ("end of next month", "future", at(2026, 12, 31, 18)),
    ("TOMORROW", "future", at(2026, 11, 19, 18)),
]


@pytest.mark.parametrize(("phrase", "prefer", "expected"), CHINESE + ENGLISH)
def test_parse_when(phrase: str, prefer, expected: datetime) -> None:
    got = parse_when(phrase, now=NOW, prefer=prefer)
    assert got == expected
    assert got is not None and got.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "noise",
    [
        "",
        "   ",
        "may",
        "met",
        "a",
        "5",
        "1st",
        "the 5th",
        "March",
        "Li Wei",
        "send",
        "2 weeks",
        "一点",
        "13/1",
        "2月30日",
        "tomorrow 13pm",
        "下午25点",
        "yesterday met",
    ],
)
def test_parse_when_rejects_noise(noise: str) -> None:
    # dateparser alone reads most of these as dates ("may" → May, "5" → May,
    # "a" → January, "yesterday met" → yesterday in Middle European Time).
    assert parse_when(noise, now=NOW, prefer="future") is None


@pytest.mark.parametrize(
    ("phrase", "prefer", "expected"),
    [
        ("Friday", "future", date(2026, 11, 20)),  # today counts
        ("Friday", "past", date(2026, 11, 20)),
        ("by Friday", "future", date(2026, 11, 20)),
        ("周五前", "future", date(2026, 11, 20)),
        ("next Friday", "future", date(2026, 11, 27)),
        ("last Friday", "past", date(2026, 11, 13)),
        ("上周五", "past", date(2026, 11, 13)),
        ("下周五", "future", date(2026, 11, 27)),
    ],
)
def test_weekday_said_on_that_weekday(phrase: str, prefer, expected: date) -> None:
    assert parse_date(phrase, now=FRIDAY_NOW, prefer=prefer) == expected


def test_last_friday_said_on_saturday_is_yesterday() -> None:
    saturday = datetime(2026, 11, 21, 9, tzinfo=SH)
    assert parse_date("last Friday", now=saturday, prefer="past") == date(2026, 11, 20)
    assert parse_date("上周五", now=saturday, prefer="past") == date(2026, 11, 13)


def test_result_is_in_nows_zone() -> None:
    new_york = datetime(2026, 11, 18, 22, 0, tzinfo=ZoneInfo("America/New_York"))
    assert parse_when("tomorrow", now=new_york, prefer="future") == datetime(
        2026, 11, 19, 18, tzinfo=ZoneInfo("America/New_York")
    )
    fixed = datetime(2026, 11, 18, 10, tzinfo=timezone(timedelta(hours=-5)))
    got = parse_when("in 2 weeks", now=fixed, prefer="future")
    assert got == datetime(2026, 12, 2, 18, tzinfo=timezone(timedelta(hours=-5)))
    assert parse_when("in 2 hours", now=fixed, prefer="future") == fixed + timedelta(hours=2)


def test_naive_now_gives_naive_result() -> None:
    got = parse_when("明天", now=datetime(2026, 11, 18, 10), prefer="future")
    assert got == datetime(2026, 11, 19, 18)


def test_month_arithmetic_clamps() -> None:
    jan31 = datetime(2027, 1, 31, 10, tzinfo=SH)
    assert parse_date("下个月", now=jan31, prefer="future") == date(2027, 2, 28)
    assert parse_date("end of month", now=jan31, prefer="future") == date(2027, 1, 31)


# --- leading dates ----------------------------------------------------------

Y = at(2026, 11, 17, 12)


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("met Li Wei", None, "met Li Wei"),
        ("yesterday met Li Wei", Y, "met Li Wei"),
        ("Yesterday, met Li Wei, CFO.", Y, "met Li Wei, CFO."),
        ("昨天 见了王总", Y, "见了王总"),
        ("昨天见了王总", Y, "见了王总"),
        ("上周五见了李总", at(2026, 11, 13, 12), "见了李总"),
        ("12月5日 拜访", at(2025, 12, 5, 12), "拜访"),
        ("3天前见了王总", at(2026, 11, 15, 12), "见了王总"),
        ("last Friday 3pm met Tom", at(2026, 11, 13, 15), "met Tom"),
        ("2 days ago met Tom", at(2026, 11, 16, 12), "met Tom"),
        ("on Monday met Tom", at(2026, 11, 16, 12), "met Tom"),
        ("12/5 met Li", at(2025, 12, 5, 12), "met Li"),
        ("2026-11-05见了王总", at(2026, 11, 5, 12), "见了王总"),
        ("今天上午见了王总", at(2026, 11, 18, 9), "见了王总"),
        ("may call back", None, "may call back"),
        ("march forward", None, "march forward"),
        ("a meeting", None, "a meeting"),
        ("5 people came", None, "5 people came"),
        ("Monday-ish", None, "Monday-ish"),
        ("一点小事", None, "一点小事"),
        ("", None, ""),
    ],
)
def test_extract_leading_when(text: str, expected: datetime | None, rest: str) -> None:
    assert extract_leading_when(text, now=NOW, prefer="past") == (expected, rest)


# --- due dates --------------------------------------------------------------

FRI = at(2026, 11, 20, 18)


@pytest.mark.parametrize(
    ("text", "expected", "rest"),
    [
        ("send proposal by Friday", FRI, "send proposal"),
        ("周五前发方案", FRI, "发方案"),
        ("下周三之前 报价", at(2026, 11, 25, 18), "报价"),
        ("before 12/5", at(2026, 12, 5, 18), ""),
        ("by end of month", at(2026, 11, 30, 18), ""),
        ("月底前", at(2026, 11, 30, 18), ""),
        ("due 2027-01-10", at(2027, 1, 10, 18), ""),
        ("tomorrow call back", at(2026, 11, 19, 18), "call back"),
        ("call back on Monday", at(2026, 11, 23, 18), "call back"),
        ("send deck by Friday, then call", FRI, "send deck, then call"),
        ("follow up in 2 weeks", at(2026, 12, 2, 18), "follow up"),
        ("截止周五提交报价", FRI, "提交报价"),
        ("3天内回复", at(2026, 11, 21, 18), "回复"),
        ("下午3点前回电话", at(2026, 11, 18, 15), "回电话"),
        ("by the end of the month send contract", at(2026, 11, 30, 18), "send contract"),
        ("send proposal by next Friday 3pm", at(2026, 11, 27, 15), "send proposal"),
        ("周五前多准备一点资料", FRI, "多准备一点资料"),
    ],
)
def test_extract_due(text: str, expected: datetime, rest: str) -> None:
    assert extract_due(text, now=NOW) == (expected, rest)


@pytest.mark.parametrize(
    "text",
    [
        "send proposal",
        "send 2 samples to Li",
        "发方案给王总",
        "may call",
        "多准备一点资料",
        "每周一次回访",  # a frequency, not Monday
        "两周一次",
        "看一下周报",  # 一下 is not 下周
    ],
)
def test_extract_due_none(text: str) -> None:
    assert extract_due(text, now=NOW) == (None, text)


# --- durations and recurrences ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("2w", Span(days=14)),
        ("10d", Span(days=10)),
        ("3 days", Span(days=3)),
        ("1 month", Span(months=1)),
        ("2 weeks", Span(days=14)),
        ("两周", Span(days=14)),
        ("三天", Span(days=3)),
        ("一个月", Span(months=1)),
        ("10天", Span(days=10)),
        ("3m", Span(months=3)),
        ("1y", Span(months=12)),
        ("a month", Span(months=1)),
        ("半年", Span(months=6)),
        ("半个月", Span(days=15)),
        ("十五天", Span(days=15)),
        ("3 个月", Span(months=3)),
        ("２ｗ", Span(days=14)),
    ],
)
def test_parse_duration(text: str, span: Span) -> None:
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["", "0d", "m", "10", "soon", "1.5 months", "-2w", "99999999d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("every 3 months", Span(months=3)),
        ("every 2 weeks", Span(days=14)),
        ("every year", Span(months=12)),
        ("monthly", Span(months=1)),
        ("weekly", Span(days=7)),
        ("quarterly", Span(months=3)),
        ("every other week", Span(days=14)),
        ("每3个月", Span(months=3)),
        ("每两周", Span(days=14)),
        ("每年", Span(months=12)),
        ("每月", Span(months=1)),
        ("每季度", Span(months=3)),
        ("每隔两周", Span(days=14)),
        ("3 months", Span(months=3)),
    ],
)
def test_parse_recurrence(text: str, span: Span) -> None:
    assert parse_recurrence(text) == span


@pytest.mark.parametrize("text", ["", "every", "sometimes", "每", "every 0 days"])
def test_parse_recurrence_rejects(text: str) -> None:
    with pytest.raises(ParseError):
        parse_recurrence(text)


@pytest.mark.parametrize(
    ("span", "start", "expected"),
    [
        (Span(months=1), date(2027, 1, 31), date(2027, 2, 28)),
        (Span(months=1), date(2028, 1, 31), date(2028, 2, 29)),
        (Span(months=12), date(2028, 2, 29), date(2029, 2, 28)),
        (Span(months=3), date(2026, 11, 30), date(2027, 2, 28)),
        (Span(days=14), date(2026, 12, 25), date(2027, 1, 8)),
        (Span(days=1, months=1), date(2027, 1, 31), date(2027, 3, 1)),
    ],
)
def test_span_add_to(span: Span, start: date, expected: date) -> None:
    assert span.add_to(start) == expected


def test_span_add_to_keeps_datetimes() -> None:
    assert Span(months=1).add_to(at(2027, 1, 31, 9)) == at(2027, 2, 28, 9)


def test_span_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        Span(days=-1)
