from datetime import date

import pytest

from handlers.parsing.periods import current_quarter, period_of, year_quarter

TODAY = date(2026, 11, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026", (2026, "year")),
        ("2025年", (2025, "year")),
        ("2026Q4", (2026, "Q4")),
        ("2026 年第一季度", (2026, "Q1")),
        ("第三季度", (2026, "Q3")),
        ("2026-11", (2026, "M11")),
        ("11月", (2026, "M11")),
        ("this year", (2026, "year")),
        ("去年", (2025, "year")),
        ("本季度", (2026, "Q4")),
        ("last quarter", (2026, "Q3")),
        ("上个月", (2026, "M10")),
        ("2026-13", None),
        ("East", None),
    ],
)
def test_period_of(text, expected):
    assert period_of(text, TODAY) == expected


def test_relative_periods_cross_the_year():
    new_year = date(2027, 1, 10)
    assert period_of("last quarter", new_year) == (2026, "Q4")
    assert period_of("last month", new_year) == (2026, "M12")


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("2027", (2027, None)),
        ("2026Q4", (2026, 4)),
        ("q2", (None, 2)),
        ("第四季度", (None, 4)),
        ("2026年第二季度", (2026, 2)),
        ("revenue", None),
        ("", None),
    ],
)
def test_year_quarter(token, expected):
    assert year_quarter(token) == expected


def test_current_quarter():
    assert current_quarter(TODAY) == "Q4"
    assert current_quarter(date(2026, 3, 31)) == "Q1"
