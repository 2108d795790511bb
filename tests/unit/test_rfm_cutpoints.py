"""Stored RFM cut-points score one account exactly as ranking the whole book does
(``domain.health.rfm_cutpoints`` / ``score_rfm`` against ``rfm_scores``), ties included."""

from __future__ import annotations

import bisect
import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.health import RfmCuts, RfmInput, rfm_cutpoints, rfm_scores, score_rfm

# Small ranges, so that ties (the hard part of quintiles) are common.
days = st.one_of(st.none(), st.integers(min_value=0, max_value=30))
inputs = st.builds(
    RfmInput,
    days_since=days,
    frequency=st.integers(min_value=0, max_value=6),
    monetary=st.decimals(min_value=0, max_value=50, places=2, allow_nan=False),
)
books = st.dictionaries(st.integers(min_value=0, max_value=10_000), inputs, min_size=1, max_size=60)


@given(books)
def test_every_account_scores_against_the_cut_points_as_against_the_book(book):
    cuts = rfm_cutpoints(book.values())
    whole = rfm_scores(book)
    assert cuts.population == len(book)
    for key, one in book.items():
        assert score_rfm(one, cuts) == whole[key]


def _by_formula(ordered: list, value) -> int:
    """``1 + ⌊5 × (book values strictly below) / n⌋`` — the quintile rule, written again —
    at most 5 (a value above the whole book is in its top fifth)."""
    return min(5, 1 + (5 * bisect.bisect_left(ordered, value)) // len(ordered))


@given(books, inputs)
def test_a_new_value_is_ranked_against_the_book_it_was_cut_from(book, new):
    """An account whose figures moved since the ranking (its own /paid) is placed among
    the book as it was ranked: the quintile rule with the book's values, unchanged."""
    scored = score_rfm(new, rfm_cutpoints(book.values()))
    rec = sorted(-math.inf if i.days_since is None else -i.days_since for i in book.values())
    new_rec = -math.inf if new.days_since is None else -new.days_since
    assert scored.recency == _by_formula(rec, new_rec)
    assert scored.frequency == _by_formula(
        sorted(i.frequency for i in book.values()), new.frequency
    )
    assert scored.monetary == _by_formula(sorted(i.monetary for i in book.values()), new.monetary)
    assert scored.inputs == new


@given(books, st.integers(min_value=1, max_value=10))
def test_aged_cut_points_keep_a_quiet_account_where_it_was(book, age):
    """Cut-points ``age`` days old: every account's days have grown by ``age``; scoring
    with ``age_days`` gives what scoring on the day of the ranking gave."""
    cuts = rfm_cutpoints(book.values())
    for one in book.values():
        days = None if one.days_since is None else one.days_since + age
        later = score_rfm(RfmInput(days, one.frequency, one.monetary), cuts, age_days=age)
        then = score_rfm(one, cuts)
        assert (later.recency, later.frequency, later.monetary) == (
            then.recency,
            then.frequency,
            then.monetary,
        )


def test_an_empty_book_scores_nothing():
    assert rfm_cutpoints([]) == RfmCuts(0)
    assert score_rfm(RfmInput(1, 1, Decimal(1)), RfmCuts(0)) is None


def test_cut_points_of_ten_values_are_the_2nd_4th_6th_and_8th():
    book = [RfmInput(d, d, Decimal(d)) for d in range(10)]
    cuts = rfm_cutpoints(book)
    assert cuts.frequency == (1, 3, 5, 7)
    assert cuts.monetary == (Decimal(1), Decimal(3), Decimal(5), Decimal(7))
    assert cuts.recency == (8, 6, 4, 2)  # fewer days is better: the 2nd worst is 8 days
