"""The book's names found anywhere in a message (handlers.parsing.entities)."""

from __future__ import annotations

import pytest

from handlers.parsing.entities import NameBook, compact, compact_map

BOOK = NameBook(
    [
        (1, "Acme", ("Acme Corp",)),
        (2, "华夏重工", ("华夏",)),
        (3, "Blue Harbor Shipping", ()),
        (4, "Globex Logistics", ("Globex",)),
        (5, "Stark Energy", ("Stark",)),
        (6, "东方物流", ("东方",)),
    ]
)


def _found(text: str) -> list[tuple[str, int]]:
    return [(text[h.start : h.end], h.key) for h in BOOK.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("visited acme corp yesterday", [("acme corp", 1)]),
        ("Acme: visited today", [("Acme", 1)]),
        ("拜访华夏重工昨天见了王总", [("华夏重工", 2)]),
        ("客户：华夏，昨天", [("华夏", 2)]),
        ("Blue Harbor Shipping, paid 300k", [("Blue Harbor Shipping", 3)]),
        ("Blue-Harbor  shipping paid", [("Blue-Harbor  shipping", 3)]),
        ("ＡＣＭＥ　ｃｏｒｐ 拜访", [("ＡＣＭＥ　ｃｏｒｐ", 1)]),
        ("Acmeville is not a customer", []),
        ("the stark reality", [("stark", 5)]),
        ("Globex and Acme", [("Globex", 4), ("Acme", 1)]),
    ],
)
def test_names_are_found_wherever_they_stand(text, expected):
    assert _found(text) == expected


def test_offsets_index_what_was_typed_even_full_width():
    text = "昨天，拜访了 ＡＣＭＥ ｃｏｒｐ。"
    (hit,) = BOOK.find(text)
    assert text[hit.start : hit.end] == "ＡＣＭＥ ｃｏｒｐ"


def test_compact_ignores_case_width_spaces_and_punctuation():
    assert compact("Acme-Corp, Inc.") == "acmecorpinc"
    assert compact("华夏 重工（集团）") == "华夏重工集团"
    short, where = compact_map("A-b c")
    assert short == "abc" and where == [0, 2, 4]


@pytest.mark.parametrize(
    ("typed", "name"),
    [("Acme Crop", "Acme Corp"), ("Blue Harbr", "Blue Harbor Shipping"), ("Globx", "Globex")],
)
def test_typos_are_scored_and_a_long_names_first_words_count(typed, name):
    assert BOOK.fuzzy(typed)[0][1] == name


def test_short_or_unlike_words_are_no_typos():
    assert BOOK.fuzzy("met") == []
    assert BOOK.fuzzy("budget approved") == []


def test_prefix_and_closest():
    assert BOOK.prefixed("Blue Harbor") == [(3, "Blue Harbor Shipping")]
    assert BOOK.prefixed("B") == []
    assert BOOK.closest("Zzyzx Holdings") == ["Acme", "Blue Harbor Shipping", "Globex Logistics"]
    assert BOOK.closest("Acme Crp")[0] == "Acme"


def test_a_shared_alias_names_every_account_that_has_it():
    book = NameBook([(1, "Acme East", ("Acme",)), (2, "Acme West", ("Acme",))])
    assert {h.key for h in book.find("visited Acme")} == {1, 2}


def test_a_longer_name_continued_by_a_typo():
    assert [(k, label) for k, label, _s in BOOK.continued("Acme", "Acme Crop")] == [
        (1, "Acme Corp")
    ]
    assert BOOK.continued("Acme", "Acme Thursday") == []


def test_prefixes_are_found_by_bisection_in_a_big_book():
    big = NameBook([(i, f"Acct {i:05d}", ()) for i in range(50_000)] + [(-1, "Acme", ())])
    assert big.prefixed("Acme") == [(-1, "Acme")]
    assert len(big.prefixed("Acct 0", limit=4)) == 5
