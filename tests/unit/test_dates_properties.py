"""Whatever people type, ``find_dates`` answers with spans in the text, left to right and
never overlapping, and ``unread_date_phrases`` never flags what was read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.parsing.dates import find_dates, unread_date_phrases

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    "昨天", "周五前", "本周五", "月底前", "下月底", "3月中旬", "下旬", "Q1底", "季度末",
    "春节前", "国庆后", "中秋", "五一", "3号", "3日前", "12.8", "12.8万", "12/8", "前", "后",
    "yday", "last night", "by this fri", "EOW", "end of Q1", "mid January", "early next month",
    "in a fortnight", "by the 15th", "after the fair", "下次展会后", "3月份", "年前", "节后",
    "by", "before", "the", "截止", "3个人", "Line 3", "120万", "2w", " ", "，", "。", "-", "/",
    "Friday-ish", "may", "march", "Q3",
]  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=2)), max_size=8).map("".join),
    st.lists(st.sampled_from(FRAGMENTS), max_size=6).map(" ".join),
)
NOWS = st.sampled_from(
    [
        datetime(2026, 12, 6, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2026, 12, 4, 19, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2028, 2, 29, 0, 0, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 12, 31, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2027, 1, 31, 8, tzinfo=UTC),
    ]
)


@FAST
@given(TEXT, NOWS, st.sampled_from(["past", "future"]))
def test_find_dates_spans(text: str, now: datetime, prefer) -> None:
    hits = find_dates(text, now=now, prefer=prefer)
    last = 0
    for hit in hits:
        assert last <= hit.start < hit.end <= len(text)
        assert text[hit.start : hit.end].strip() == text[hit.start : hit.end]
        assert hit.when.utcoffset() == hit.when.astimezone(now.tzinfo).utcoffset()
        today = now.date()
        if not hit.has_time:
            assert hit.direction_ok == (
                hit.when.date() >= today if prefer == "future" else hit.when.date() <= today
            )
        last = hit.end
    taken = [(h.start, h.end) for h in hits]
    for a, b in unread_date_phrases(text, taken):
        assert 0 <= a < b <= len(text)
        assert not any(s < b and a < e for s, e in taken)
