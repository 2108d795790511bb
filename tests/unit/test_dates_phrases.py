"""The date phrases reps type (issue 14), read at fixed ``now``s in Shanghai.

Every expected date was worked out by hand from a calendar (lunar dates from the
almanac: 春节 2027 = Feb 6, 中秋 2026 = Sep 25, 中秋 2027 = Sep 15, 端午 2027 = Jun 9):

    September 2026        November 2026         December 2026         January 2027
    Mo Tu We Th Fr Sa Su  Mo Tu We Th Fr Sa Su  Mo Tu We Th Fr Sa Su  Mo Tu We Th Fr Sa Su
       1  2  3  4  5  6                     1      1  2  3  4  5  6               1  2  3
    ...                   ...                    7  8  9 10 11 12 13   4  5  6  7  8  9 10
    28 29 30              30                    28 29 30 31           11 12 ...
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.parsing.dates import DateHit, find_dates, parse_when, unread_date_phrases
from handlers.parsing.festivals import festival_day, qingming

SH = ZoneInfo("Asia/Shanghai")
SUNDAY = datetime(2026, 12, 6, 10, 0, tzinfo=SH)
FRIDAY_EVENING = datetime(2026, 12, 4, 19, 30, tzinfo=SH)
MONTH_END = datetime(2026, 11, 30, 10, 0, tzinfo=SH)  # a Monday
QUARTER_END = datetime(2026, 9, 30, 10, 0, tzinfo=SH)  # a Wednesday
DEC_31 = datetime(2026, 12, 31, 10, 0, tzinfo=SH)  # a Thursday


def at(y: int, m: int, d: int, hh: int = 18, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def past(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return at(y, m, d, hh, mm)


F, P = "future", "past"

CASES = [
    # --- said on Sunday 2026-12-06 -------------------------------------------
    (SUNDAY, "yday", P, past(2026, 12, 5)),
    (SUNDAY, "yesterday 4pm", P, past(2026, 12, 5, 16)),
    (SUNDAY, "last night", P, past(2026, 12, 5, 20)),
    (SUNDAY, "this morning", P, past(2026, 12, 6, 9)),
    (SUNDAY, "this afternoon", F, at(2026, 12, 6, 14)),
    (SUNDAY, "tonight", F, at(2026, 12, 6, 20)),
    (SUNDAY, "EOW", F, at(2026, 12, 11)),
    (SUNDAY, "by EOW", F, at(2026, 12, 11)),
    (SUNDAY, "end of week", F, at(2026, 12, 11)),
    (SUNDAY, "by this fri", F, at(2026, 12, 11)),
    (SUNDAY, "this Friday", P, past(2026, 12, 4)),
    (SUNDAY, "本周五", F, at(2026, 12, 11)),
    (SUNDAY, "这周五前", F, at(2026, 12, 11)),
    (SUNDAY, "by this week", F, at(2026, 12, 11)),
    (SUNDAY, "本周内", F, at(2026, 12, 11)),
    (SUNDAY, "EOM", F, at(2026, 12, 31)),
    (SUNDAY, "EOQ", F, at(2026, 12, 31)),
    (SUNDAY, "EOY", F, at(2026, 12, 31)),
    (SUNDAY, "end of Q1", F, at(2027, 3, 31)),
    (SUNDAY, "end of Q1", P, past(2026, 3, 31)),
    (SUNDAY, "end of March", F, at(2027, 3, 31)),
    (SUNDAY, "mid January", F, at(2027, 1, 15)),
    (SUNDAY, "mid-Jan", F, at(2027, 1, 15)),
    (SUNDAY, "early next month", F, at(2027, 1, 5)),
    (SUNDAY, "late March", F, at(2027, 3, 25)),
    (SUNDAY, "late March", P, past(2026, 3, 25)),
    (SUNDAY, "in a fortnight", F, at(2026, 12, 20)),
    (SUNDAY, "3号", F, at(2027, 1, 3)),
    (SUNDAY, "3号", P, past(2026, 12, 3)),
    (SUNDAY, "3日", F, at(2027, 1, 3)),
    (SUNDAY, "3日前", F, at(2027, 1, 3)),
    (SUNDAY, "3日前", P, past(2026, 12, 3)),  # looking back: three days ago
    (SUNDAY, "12.8", F, at(2026, 12, 8)),
    (SUNDAY, "12.8前", F, at(2026, 12, 8)),
    (SUNDAY, "by 12.8", F, at(2026, 12, 8)),
    (SUNDAY, "12/8", F, at(2026, 12, 8)),
    (SUNDAY, "12/8前", F, at(2026, 12, 8)),
    (SUNDAY, "by the 15th", F, at(2026, 12, 15)),
    (SUNDAY, "月底前", F, at(2026, 12, 31)),
    (SUNDAY, "下月底", F, at(2027, 1, 31)),
    (SUNDAY, "年底前", F, at(2026, 12, 31)),
    (SUNDAY, "下下周一", F, at(2026, 12, 14)),
    (SUNDAY, "大后天", F, at(2026, 12, 9)),
    (SUNDAY, "明年3月底", F, at(2027, 3, 31)),
    (SUNDAY, "明年3月5号", F, at(2027, 3, 5)),
    (SUNDAY, "3月底", F, at(2027, 3, 31)),
    (SUNDAY, "3月底", P, past(2026, 3, 31)),
    (SUNDAY, "3月中", F, at(2027, 3, 15)),
    (SUNDAY, "3月中旬", F, at(2027, 3, 15)),
    (SUNDAY, "3月初", F, at(2027, 3, 5)),
    (SUNDAY, "3月上旬", F, at(2027, 3, 5)),
    (SUNDAY, "三月下旬", F, at(2027, 3, 25)),
    (SUNDAY, "下旬", F, at(2026, 12, 25)),
    (SUNDAY, "下旬", P, past(2026, 11, 25)),
    (SUNDAY, "月初", F, at(2027, 1, 5)),
    (SUNDAY, "Q1底", F, at(2027, 3, 31)),
    (SUNDAY, "一季度末", F, at(2027, 3, 31)),
    (SUNDAY, "季度末", F, at(2026, 12, 31)),
    (SUNDAY, "本季度末", F, at(2026, 12, 31)),
    (SUNDAY, "元旦", F, at(2027, 1, 1)),
    (SUNDAY, "元旦", P, past(2026, 1, 1)),
    (SUNDAY, "春节", F, at(2027, 2, 6)),
    (SUNDAY, "春节前", F, at(2027, 2, 5)),
    (SUNDAY, "春节后", F, at(2027, 2, 13)),  # 正月初八: back after the 7-day break
    (SUNDAY, "元宵", F, at(2027, 2, 20)),
    (SUNDAY, "元宵节后", F, at(2027, 2, 21)),
    (SUNDAY, "清明", F, at(2027, 4, 5)),
    (SUNDAY, "五一", F, at(2027, 5, 1)),
    (SUNDAY, "劳动节前", F, at(2027, 4, 30)),
    (SUNDAY, "五一后", F, at(2027, 5, 6)),
    (SUNDAY, "端午", F, at(2027, 6, 9)),
    (SUNDAY, "中秋", F, at(2027, 9, 15)),
    (SUNDAY, "中秋节前", F, at(2027, 9, 14)),
    (SUNDAY, "国庆", P, past(2026, 10, 1)),
    (SUNDAY, "国庆后", F, at(2027, 10, 8)),
    (SUNDAY, "国庆长假后", F, at(2027, 10, 8)),
    (SUNDAY, "New Year", F, at(2027, 1, 1)),
    (SUNDAY, "Chinese New Year", F, at(2027, 2, 6)),
    (SUNDAY, "before CNY", F, at(2027, 2, 5)),
    (SUNDAY, "Mid-Autumn", F, at(2027, 9, 15)),
    (SUNDAY, "National Day", F, at(2027, 10, 1)),
    (SUNDAY, "after National Day", P, past(2026, 10, 8)),
    (SUNDAY, "Labor Day", F, at(2027, 5, 1)),
    (SUNDAY, "十一长假后", F, at(2027, 10, 8)),
    (SUNDAY, "by COB", F, at(2026, 12, 6)),
    (SUNDAY, "early next week", F, at(2026, 12, 7)),
    (SUNDAY, "本月内", F, at(2026, 12, 31)),
    (SUNDAY, "下周内", F, at(2026, 12, 11)),
    (SUNDAY, "tomorow 3pm", F, at(2026, 12, 7, 15)),
    (SUNDAY, "by thrusday", F, at(2026, 12, 10)),
    (SUNDAY, "yesturday", P, past(2026, 12, 5)),
    (SUNDAY, "by EOD Friday", F, at(2026, 12, 11)),
    (SUNDAY, "COB tomorrow", F, at(2026, 12, 7)),
    (SUNDAY, "in 2 wks", F, at(2026, 12, 20)),
    (SUNDAY, "within 2 weeks", F, at(2026, 12, 20)),
    (SUNDAY, "3 days ago", P, past(2026, 12, 3)),
    (SUNDAY, "Dec 15th", F, at(2026, 12, 15)),
    (SUNDAY, "15 Dec", P, past(2025, 12, 15)),
    (SUNDAY, "this month", F, at(2026, 12, 31)),
    (SUNDAY, "11-30前", F, at(2027, 11, 30)),
    (SUNDAY, "by 12-8", F, at(2026, 12, 8)),
    # --- said on Friday 2026-12-04 at 19:30 ---------------------------------
    (FRIDAY_EVENING, "EOW", F, at(2026, 12, 4)),
    (FRIDAY_EVENING, "by this fri", F, at(2026, 12, 4)),
    (FRIDAY_EVENING, "by this week", F, at(2026, 12, 4)),
    (FRIDAY_EVENING, "周五前", F, at(2026, 12, 4)),
    (FRIDAY_EVENING, "tonight", F, at(2026, 12, 4, 20)),
    (FRIDAY_EVENING, "下周一", F, at(2026, 12, 7)),
    (FRIDAY_EVENING, "this morning", P, past(2026, 12, 4, 9)),
    # --- said on Monday 2026-11-30, the month's last day --------------------
    (MONTH_END, "月底", F, at(2026, 11, 30)),
    (MONTH_END, "月底", P, past(2026, 11, 30)),
    (MONTH_END, "EOM", F, at(2026, 11, 30)),
    (MONTH_END, "下月底", F, at(2026, 12, 31)),
    (MONTH_END, "early next month", F, at(2026, 12, 5)),
    (MONTH_END, "月初", F, at(2026, 12, 5)),
    (MONTH_END, "月初", P, past(2026, 11, 5)),
    (MONTH_END, "30号", F, at(2026, 11, 30)),
    (MONTH_END, "31号", F, at(2026, 12, 31)),
    (MONTH_END, "31号", P, past(2026, 10, 31)),
    (MONTH_END, "EOW", F, at(2026, 12, 4)),
    (MONTH_END, "in a fortnight", F, at(2026, 12, 14)),
    # --- said on Wednesday 2026-09-30, the quarter's last day ----------------
    (QUARTER_END, "EOQ", F, at(2026, 9, 30)),
    (QUARTER_END, "季度末", F, at(2026, 9, 30)),
    (QUARTER_END, "下季度末", F, at(2026, 12, 31)),
    (QUARTER_END, "end of Q3", F, at(2026, 9, 30)),
    (QUARTER_END, "Q3底", P, past(2026, 9, 30)),
    (QUARTER_END, "end of Q2", F, at(2027, 6, 30)),
    (QUARTER_END, "中秋", F, at(2027, 9, 15)),
    (QUARTER_END, "中秋", P, past(2026, 9, 25)),
    (QUARTER_END, "国庆", F, at(2026, 10, 1)),
    (QUARTER_END, "国庆前", F, at(2026, 9, 30)),
    (QUARTER_END, "国庆后", F, at(2026, 10, 8)),
    # --- said on Thursday 2026-12-31 ----------------------------------------
    (DEC_31, "年底", F, at(2026, 12, 31)),
    (DEC_31, "年底前", F, at(2026, 12, 31)),
    (DEC_31, "EOY", F, at(2026, 12, 31)),
    (DEC_31, "明年3月底", F, at(2027, 3, 31)),
    (DEC_31, "元旦", F, at(2027, 1, 1)),
    (DEC_31, "元旦", P, past(2026, 1, 1)),
    (DEC_31, "12/8", F, at(2027, 12, 8)),
    (DEC_31, "12.8前", F, at(2027, 12, 8)),
    (DEC_31, "1号", F, at(2027, 1, 1)),
    (DEC_31, "下月底", F, at(2027, 1, 31)),
    (DEC_31, "end of March", F, at(2027, 3, 31)),
    (DEC_31, "EOW", F, at(2027, 1, 1)),
    (DEC_31, "本周五", F, at(2027, 1, 1)),
    (DEC_31, "by this week", F, at(2027, 1, 1)),
    (DEC_31, "in a fortnight", F, at(2027, 1, 14)),
    (DEC_31, "下下周一", F, at(2027, 1, 11)),
]


@pytest.mark.parametrize(("now", "phrase", "prefer", "expected"), CASES)
def test_phrase_alone(now: datetime, phrase: str, prefer, expected: datetime) -> None:
    assert parse_when(phrase, now=now, prefer=prefer) == expected


@pytest.mark.parametrize(("now", "phrase", "prefer", "expected"), CASES)
def test_phrase_found_in_a_sentence(now: datetime, phrase: str, prefer, expected) -> None:
    if phrase == "12.8":
        pytest.skip("a bare 12.8 inside a sentence may be a number: read with 前/by/号 only")
    if phrase.isascii():
        text = f"Acme: talked w/ Li Wei, {phrase} send deck"
    else:
        text = f"拜访华夏重工{phrase}发方案"
    hits = find_dates(text, now=now, prefer=prefer)
    assert [(text[h.start : h.end], h.when) for h in hits] == [(phrase, expected)]


def test_chinese_without_spaces() -> None:
    text = "拜访华夏重工昨天见了王总。下一步：周五前发方案"
    hits = find_dates(text, now=SUNDAY, prefer="past")
    assert [text[h.start : h.end] for h in hits] == ["昨天", "周五前"]
    assert hits[0].when == past(2026, 12, 5)
    due = find_dates(text, now=SUNDAY, prefer="future")[1]
    assert due.when == at(2026, 12, 11) and due.direction_ok


def test_triggers_are_part_of_the_span() -> None:
    text = "next: A due Friday; B 截止12月10号; C 12/8之前; D before Tuesday"
    hits = find_dates(text, now=SUNDAY, prefer="future")
    assert [text[h.start : h.end] for h in hits] == [
        "due Friday",
        "截止12月10号",
        "12/8之前",
        "before Tuesday",
    ]


def test_full_width_offsets_index_the_original() -> None:
    text = "周五前，发方案；１２月５日前回款"
    hits = find_dates(text, now=SUNDAY, prefer="future")
    assert [text[h.start : h.end] for h in hits] == ["周五前", "１２月５日前"]
    assert hits[1].when == at(2027, 12, 5)


@pytest.mark.parametrize(
    "text",
    [
        "3个人参加",
        "Q3 revenue is up",
        "5 people joined",
        "Line 3 upgrade",
        "预算120万",
        "2w",
        "签了12.8万的合同",
        "报价12.8",
        "拜访3号楼的客户",
        "坐3号线过去",
        "the 5th floor meeting",
        "四月初八生日",
        "Mon-Fri",
        "may we march forward a second time",
        "v1.2 shipped",
        "周报已发",
        "一周一次",
        "张清明来电",
        "一日游",
        "每年内部审计",
        "五一路店",
        "王国庆来电",
        "on the 2nd call",
        "plan for the new year",
        "7日年化",
        "mid may be fine",
        "may 5 people come",
        "price 12.8 per unit",
        "3-5天",
        "10-20人",
        "一月一次的例会",
        "地址：世纪大道100号8楼",
        "合同编号 HT-2026-1208",
        "version 2.5 released",
    ],
)
def test_numbers_of_other_things_are_not_dates(text: str) -> None:
    assert find_dates(text, now=SUNDAY, prefer="future") == []


def test_a_date_inside_a_payment_is_not_an_amount_candidate() -> None:
    text = "回款 宁波港航 上周五 USD 52,000"
    hits = find_dates(text, now=SUNDAY, prefer="past")
    assert [(text[h.start : h.end], h.when) for h in hits] == [("上周五", past(2026, 11, 27))]


def test_direction_ok_flags_the_wrong_side() -> None:
    def one(text: str, now: datetime, prefer) -> DateHit:
        (hit,) = find_dates(text, now=now, prefer=prefer)
        return hit

    assert not one("yesterday", SUNDAY, "future").direction_ok
    assert not one("tomorrow", SUNDAY, "past").direction_ok
    assert not one("明年3月底", SUNDAY, "past").direction_ok
    assert not one("this afternoon", FRIDAY_EVENING, "future").direction_ok  # 14:00 < 19:30
    assert one("today", FRIDAY_EVENING, "future").direction_ok
    assert one("this Friday", SUNDAY, "future").direction_ok  # re-read forward
    assert one("3号", SUNDAY, "future").direction_ok
    assert one("周五", SUNDAY, "past").direction_ok
    hit = one("by EOW", SUNDAY, "future")
    assert (hit.start, hit.end, hit.has_time, hit.direction_ok) == (0, 6, False, True)


def test_festivals_follow_the_almanac() -> None:
    assert [qingming(y).day for y in range(2024, 2036)] == [4, 4, 5, 5, 4, 4, 5, 5, 4, 4, 5, 5]
    assert festival_day("spring", 2025).isoformat() == "2025-01-29"
    assert festival_day("spring", 2026).isoformat() == "2026-02-17"
    assert festival_day("eve", 2026).isoformat() == "2026-02-16"
    assert festival_day("dragon", 2026).isoformat() == "2026-06-19"
    assert festival_day("mid_autumn", 2025).isoformat() == "2025-10-06"
    assert festival_day("national", 2026, side="after").isoformat() == "2026-10-08"
    assert festival_day("labour", 2026, side="after").isoformat() == "2026-05-06"


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("after the fair we'll talk", ["after the fair"]),
        ("send quote by the expo", ["by the expo"]),
        ("before the Canton fair", ["before the Canton fair"]),
        ("下次展会后再联系", ["下次展会后"]),
        ("广交会前报价", ["广交会前"]),
        ("3月份签", ["3月份"]),
        ("节后再说", ["节后"]),
        ("年前签约", ["年前"]),
        ("in December we met", ["in December"]),
        ("by Jan", ["by Jan"]),
        ("close early Q3", ["early Q3"]),
        ("Friday-ish", ["Friday-ish"]),
        # not flagged: ordinary words, numbers of other things, what was read
        ("may we march forward a second time", []),
        ("Q3 revenue is up", []),
        ("by the way he said", []),
        ("talked to COO, QBR agreed", []),
        ("approved by Tom after lunch", []),
        ("3个人参加，Line 3 升级，预算120万，2w", []),
        ("12个月的合同，每月一次", []),
        ("三年前合作过", []),
        ("on Fridays we sync", []),
        ("the sun is out, sat down", []),
        ("周报已发，每周三例会", []),
        ("on Dec 15 and 春节前", []),
    ],
)
def test_unread_date_phrases(text: str, flagged: list[str]) -> None:
    taken = [(h.start, h.end) for h in find_dates(text, now=SUNDAY, prefer="future")]
    spans = unread_date_phrases(text, taken)
    assert [text[a:b] for a, b in spans] == flagged


MESSAGES = [
    "/call Acme Crop yesterday 4pm talked w/ Li Wei",
    "Blue Harbor 2 days ago met the CFO, next: send QBR deck by this fri",
    "follow up by EOW; proposal by COB tomorrow; demo early next week",
    "回款 宁波港航 上周五 USD 52,000",
    "太湖食品 20号上门拜访，下一步：1. 周三前发报价 2. 12月10号前安排演示",
    "今天上午去了趟华夏重工，成交 明年3月底，预计月底成交，目标3月中close",
    "opp at Initech 800k, close end of Q1, Line 3 upgrade for 5 people; mid January",
    "春节前签约，国庆后再跟进；元宵节后拜访；中秋节前送礼；十一长假后开会",
    "Meeting on 2026-12-15 at 3pm, call back Monday morning, on Dec 15, in 2 weeks",
    "12.8前回款，12/8前交付，3日前确认，Q1底上线，本季度末验收，下旬发货",
    "may we march forward a second time; 3个人; 120万; 2w; 3号楼; Mon-Fri",
]


@pytest.mark.parametrize("text", MESSAGES + [phrase for _, phrase, _, _ in CASES])
def test_scanning_only_candidate_starts_loses_nothing(text: str, monkeypatch) -> None:
    from handlers.parsing import dates

    for now in (SUNDAY, FRIDAY_EVENING, DEC_31):
        for prefer in ("past", "future"):
            fast = find_dates(text, now=now, prefer=prefer)
            with monkeypatch.context() as m:
                m.setattr(dates, "_candidates", lambda s: range(len(s)))
                slow = find_dates(text, now=now, prefer=prefer)
            assert fast == slow
