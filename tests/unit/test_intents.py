"""What a message is about, wherever the word stands (handlers.parsing.intents)."""

from __future__ import annotations

import pytest

from handlers.parsing.intents import find_intents, first_word_guesses


def _first(text: str) -> tuple[str, str, str]:
    hit = find_intents(text)[0]
    return hit.command, hit.strength, text[hit.start : hit.end]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme: visited today, met Li Wei", ("visit", "strong", "visited")),
        ("给华夏重工开了发票 50万", ("invoice", "strong", "开了发票")),
        ("太湖食品 20号上门拜访", ("visit", "strong", "上门拜访")),
        ("刚跟王总通了电话", ("call", "strong", "通了电话")),
        ("今天上午去了趟华夏重工", ("visit", "strong", "去了趟")),
        ("Blue Harbor finally paid 300k", ("paid", "strong", "paid")),
        ("opp at Initech 800k, in negotiation", ("deal", "strong", "opp")),
        ("拜访了华夏重工", ("visit", "strong", "拜访了")),
        ("had lunch with Li Wei", ("meal", "strong", "lunch")),
        ("昨晚和王总吃了饭", ("meal", "strong", "吃了饭")),
        ("二期扩容黄了", ("deal", "stage", "黄了")),
        ("we're in negotiation now", ("deal", "stage", "in negotiation")),
        ("met Li Wei", ("meet", "weak", "met")),
    ],
)
def test_lexicon_words_anywhere(text, expected):
    assert _first(text) == expected


def test_english_words_stand_whole():
    assert find_intents("revisited the callout plan, visitors") == []


@pytest.mark.parametrize(
    ("text", "command", "meant"),
    [
        ("vist Acme", "visit", "visit"),
        ("visti Acme", "visit", "visit"),
        ("invoce Acme 300k", "invoice", "invoice"),
        ("meetign Acme", "meet", "meeting"),
    ],
)
def test_a_mistyped_first_word(text, command, meant):
    (hit,) = first_word_guesses(text)
    assert (hit.command, hit.strength, hit.word) == (command, "typo", meant)


@pytest.mark.parametrize(
    ("text", "command", "meant"),
    [
        ("拜坊华夏重工", "visit", "拜访"),
        ("电化华夏", "call", "电话"),
        ("回宽 宁波港航", "paid", "回款"),
    ],
)
def test_an_ime_slip_sounds_like_the_word(text, command, meant):
    (hit,) = first_word_guesses(text)
    assert (hit.command, hit.strength, hit.word) == (command, "sound", meant)


def test_two_equally_close_words_are_both_offered():
    hits = first_word_guesses("meat Acme", {"meet": "meet", "meal": "meal"})
    assert {h.command for h in hits} == {"meet", "meal"}


def test_ordinary_words_are_no_typos():
    for text in ("hello there", "thanks", "note this", "我们", "Acme"):
        assert first_word_guesses(text) == [], text
