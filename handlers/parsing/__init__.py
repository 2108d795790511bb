"""Pure text parsing for chat commands: dates, money, names, small text helpers.

Nothing here touches the database or a platform.  Bad input raises
``domain.errors.ParseError`` (the handler layer adds a correct example);
optional phrases that are simply absent come back as ``None``.
"""

from __future__ import annotations

from .dates import (
    Span,
    extract_due,
    extract_leading_when,
    parse_date,
    parse_duration,
    parse_recurrence,
    parse_when,
)
from .money import Money, find_money, format_money, parse_money
from .names import (
    Candidate,
    ContactMatches,
    NewContact,
    closest,
    extract_new_contacts,
    match_contacts,
    resolve,
    split_account_and_rest,
)
from .text import normalize, split_next_step, tokenize_quoted

__all__ = [
    "Candidate",
    "ContactMatches",
    "Money",
    "NewContact",
    "Span",
    "closest",
    "extract_due",
    "extract_leading_when",
    "extract_new_contacts",
    "find_money",
    "format_money",
    "match_contacts",
    "normalize",
    "parse_date",
    "parse_duration",
    "parse_money",
    "parse_recurrence",
    "parse_when",
    "resolve",
    "split_account_and_rest",
    "split_next_step",
    "tokenize_quoted",
]
