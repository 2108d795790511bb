"""Messages that do not start with a command word (handlers.understand)."""

from __future__ import annotations

import pytest

from handlers.clarify import Choose
from handlers.commands import command_table
from handlers.parsing.entities import NameBook
from handlers.understand import understand

TABLE = command_table()
BOOK = NameBook(
    [
        (1, "Acme", ("Acme Corp",)),
        (2, "华夏重工", ("华夏",)),
        (3, "Blue Harbor Shipping", ()),
        (4, "Initech", ()),
        (5, "太湖食品", ()),
    ]
)


def _read(text: str, lang: str = "en", people=None) -> tuple[str, str]:
    reading = understand(text, TABLE, BOOK, lang, people=people)
    assert reading is not None, text
    return reading.command, reading.args


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("Acme: visited today, met Li Wei", "visit", '"Acme" today, met Li Wei'),
        ("太湖食品 20号上门拜访", "visit", '"太湖食品" 20号上门拜访'),
        ("今天上午去了趟华夏重工", "visit", '"华夏重工" 今天上午'),
        ("Blue Harbor Shipping finally paid 300k", "paid", '"Blue Harbor Shipping" finally 300k'),
        ("给华夏重工开了发票 50万", "invoice", '"华夏重工" 50万'),
        ("opp at Initech 800k, in negotiation", "deal", '"Initech" 800k, in negotiation'),
        (
            "had lunch with Li Wei at Acme Corp yesterday",
            "meal",
            '"Acme" had lunch with Li Wei yesterday',
        ),
        ("Acme", "account", '"Acme"'),
        ("acme corp?", "account", '"Acme"'),
        ("华夏重工怎么样", "account", '"华夏重工"'),
        ("met Li Wei at Acme yesterday", "meet", '"Acme" Li Wei yesterday'),
        ("show me Acme", "account", '"Acme"'),
        ("看看华夏重工", "account", '"华夏重工"'),
        ("太湖食", "account", '"太湖食品"'),
        ("华厦重工 昨天拜访 王总", "visit", '"华夏重工" 昨天拜访 王总'),
        ("Acme 拜坊 today", "visit", '"Acme" today'),
        ("太湖食品今天汇款 8.5万", "paid", '"太湖食品" 今天 8.5万'),
        ("Acme - called about the invoice", "call", '"Acme" about the invoice'),
    ],
)
def test_the_command_and_account_wherever_they_stand(text, command, args):
    assert _read(text) == (command, args)


def test_the_persons_own_characters_are_kept():
    assert _read("拜访华夏重工，见了王总，预算已批")[1] == '"华夏重工" 见了王总，预算已批'


def test_a_typo_or_sound_alike_is_read_and_said():
    reading = understand("vist Acme yesterday", TABLE, BOOK, "en")
    assert (reading.command, reading.args) == ("visit", '"Acme" yesterday')
    assert reading.readings == ["(read “vist” as /visit)"]
    reading = understand("拜坊华夏重工 见了王总", TABLE, BOOK, "zh")
    assert reading.command == "visit" and reading.readings == ["（已将“拜坊”理解为 /拜访）"]


def test_a_typod_account_name_is_read_and_said():
    reading = understand("Blue Harbr finally paid 300k", TABLE, BOOK, "en")
    assert reading.args == '"Blue Harbor Shipping" finally 300k'
    assert reading.readings == ["(read “Blue Harbr” as Blue Harbor Shipping)"]


@pytest.mark.parametrize(
    ("text", "question", "choices"),
    [
        ("talked to Li Wei at Acme", "What was it with Acme?", ["visit", "call", "meet"]),
        ("Acme yesterday, budget approved", "What was it with Acme?", ["visit", "call", "meet"]),
        ("called Acme, they paid 300k", "What should I record for Acme?", ["call", "paid"]),
        ("visited Acme and Initech", "Which account do you mean?", ["visit", "visit"]),
    ],
)
def test_two_readings_equally_likely_are_asked_about(text, question, choices):
    with pytest.raises(Choose) as asked:
        understand(text, TABLE, BOOK, "en")
    assert asked.value.question == question
    assert [c.text.split()[0] for c in asked.value.choices] == choices


def test_nothing_recognisable_is_none():
    assert understand("hello there", TABLE, BOOK, "en") is None


def test_a_contact_named_says_which_account():
    reading = understand("刚跟王总通了电话", TABLE, BOOK, "zh", people=lambda text: [2])
    assert (reading.command, reading.args) == ("call", '"华夏重工" 刚跟王总通了电话')
    with pytest.raises(Choose) as asked:
        understand("刚跟王总通了电话", TABLE, BOOK, "zh", people=lambda text: [2, 5])
    assert [c.label for c in asked.value.choices] == ["华夏重工", "太湖食品"]
