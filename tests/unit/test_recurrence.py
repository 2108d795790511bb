"""``domain.recurrence``: occurrences counted from the start date, month ends clamped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.recurrence import Every, advance, first_on_or_after, occurrence


def test_month_ends_clamp_without_sticking():
    monthly = Every(months=1)
    start = date(2027, 1, 31)
    assert [occurrence(monthly, start, k) for k in range(5)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
    ]
    assert advance(monthly, start, date(2027, 2, 28)) == date(2027, 3, 31)
    assert advance(monthly, date(2028, 1, 31), date(2028, 1, 31)) == date(2028, 2, 29)


def test_advance_is_strictly_after():
    quarterly = Every(months=3)
    start = date(2027, 1, 15)
    assert advance(quarterly, start, date(2027, 1, 14)) == date(2027, 1, 15)
    assert advance(quarterly, start, date(2027, 1, 15)) == date(2027, 4, 15)
    assert advance(quarterly, start, date(2026, 6, 1)) == start  # not started yet
    assert first_on_or_after(quarterly, start, date(2027, 4, 15)) == date(2027, 4, 15)
    assert first_on_or_after(quarterly, start, date(2027, 4, 16)) == date(2027, 7, 15)


def test_days_weeks_and_years():
    assert advance(Every(days=14), date(2026, 1, 5), date(2026, 11, 18)) == date(2026, 11, 23)
    assert advance(Every(days=1), date(2026, 1, 1), date(2026, 11, 18)) == date(2026, 11, 19)
    leap = date(2024, 2, 29)
    assert advance(Every(months=12), leap, date(2025, 1, 1)) == date(2025, 2, 28)
    assert advance(Every(months=12), leap, date(2027, 3, 1)) == date(2028, 2, 29)


def test_a_zero_step_is_refused():
    with pytest.raises(ValueError):
        Every()
    with pytest.raises(ValueError):
        Every(days=-1)


@given(
    days=st.integers(0, 400),
    months=st.integers(0, 36),
    start=st.dates(date(1990, 1, 1), date(2060, 12, 31)),
    gap=st.integers(-500, 20000),
)
def test_advance_is_the_first_occurrence_after(days, months, start, gap):
    if not days and not months:
        return
    step = Every(days=days, months=months)
    after = start + timedelta(days=gap)
    got = advance(step, start, after)
    assert got > after
    # it is an occurrence, and the one before it (if any) is not after ``after``
    k = next(k for k in range(0, 30000) if occurrence(step, start, k) >= got)
    assert occurrence(step, start, k) == got
    assert k == 0 or occurrence(step, start, k - 1) <= after
