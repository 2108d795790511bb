"""The pieces of a CSV cell: formula escaping, and the chat grammar for dates and money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain.names import name_key
from handlers.csvimport import cells
from storage.csvio import escape_cell, unescape_cell


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 138 0013 8000", "'+86 138 0013 8000"),
        ("-5%", "'-5%"),
        ("@finance", "'@finance"),
        ("\tlead", "'\tlead"),
        ("\rx", "'\rx"),
        ("Acme", "Acme"),
        ("'quoted", "'quoted"),  # a quote alone is not an escape
        ("'=1+1", "''=1+1"),  # quotes before a formula character: one more, taken off
        ("''@x", "'''@x"),
        ("'", "'"),
        (" =1+1", "' =1+1"),  # some spreadsheets trim spaces first
        ("\n@x", "'\n@x"),
        (" x", " x"),
        ("", ""),
    ],
)
def test_formula_looking_cells_are_escaped_and_restored_exactly(value, written):
    assert escape_cell(value) == written
    assert unescape_cell(written)[0] == value


def test_only_a_quote_before_a_formula_character_is_taken_off():
    assert unescape_cell("'=x") == ("=x", True)
    assert unescape_cell("'x") == ("'x", False)
    assert unescape_cell("'") == ("'", False)
    assert unescape_cell("''=x") == ("'=x", True)
    assert unescape_cell("''x") == ("''x", False)


@pytest.mark.parametrize(
    "text", ["2026-03-05", "2026/3/5", "2026.3.5", "2026年3月5日", "2026 年 3 月 5 日"]
)
def test_year_first_dates_in_chat_spellings(text):
    assert cells.day(text) == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("text", "example"), [("03/05/2026", "2026-03-05"), ("25/12/2026", "2026-12-25")]
)
def test_day_month_order_is_refused_with_an_example(text, example):
    with pytest.raises(cells.Bad, match=f"ambiguous.*e.g. {example}"):
        cells.day(text)


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("120万", "1200000.00", "XXX"),
        ("¥1,200,000", "1200000.00", "CNY"),
        ("1.2m", "1200000.00", "XXX"),
        ("300k", "300000.00", "XXX"),
        ("$20k", "20000.00", "USD"),
        ("1.5亿", "150000000.00", "XXX"),
        ("12000000.50", "12000000.50", "XXX"),
    ],
)
def test_money_as_chat_reads_it(text, amount, currency):
    money = cells.money(text)
    assert (money.amount, money.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize("text", ["-5", "1.234", "12 apples", ""])
def test_money_chat_would_not_read_is_refused(text):
    with pytest.raises(cells.Bad):
        cells.money(text)


def test_names_match_ignoring_case_width_and_spacing():
    assert name_key("ACME  Corp") == name_key("acme corp") == name_key("ＡＣＭＥ Corp")
    assert name_key("Acme") != name_key("Acme Corp")
