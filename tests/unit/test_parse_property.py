"""Any message a rep might type, built from random pieces — a command word or none, an
account name or alias, a date phrase, an amount, filler words, punctuation, in English
or Chinese — sent through the real dispatcher on the demo book:

* kam never raises, and a reply that refuses or asks has written nothing;
* (issue 14) what it writes has every phrase placed: the account, the date and the
  amount it stored are the ones the phrases say, or the reply names the phrase it
  could not place (outside the stored notes); what it does not write, it asks about
  or refuses naming a phrase of the message.

The book is seeded once per module (``Corpus``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.replies import Reply, Severity
from tests.corpus.runner import Corpus, Sent

# (as written, the account it names)
ACCOUNTS = {
    "en": [
        ("Acme", "Acme"), ("Acme Corp", "Acme"), ("Initech", "Initech"),
        ("Globex", "Globex Logistics"), ("Globex Logistics", "Globex Logistics"),
        ("Umbrella Health", "Umbrella Health"), ("Stark", "Stark Energy"),
        ("Northwind Traders", "Northwind Traders"), ("Pioneer Steel", "Pioneer Steel"),
    ],
    "zh": [
        ("华夏重工", "华夏重工"), ("华夏", "华夏重工"), ("长江能源", "长江能源"), ("长江", "长江能源"),
        ("东方物流", "东方物流"), ("宁波港航", "宁波港航"), ("苏州精机", "苏州精密机械"),
        ("申城医药", "申城医药"),
    ],
}  # fmt: skip
USER = {"en": "alice", "zh": "wang"}
# Past phrases as of the runner's NOW (Sunday 2026-12-06 15:00 Asia/Shanghai).
DATES = {
    "en": [
        ("today", date(2026, 12, 6)), ("yesterday", date(2026, 12, 5)),
        ("2 days ago", date(2026, 12, 4)), ("on Thursday", date(2026, 12, 3)),
        ("Dec 2", date(2026, 12, 2)), ("last night", date(2026, 12, 5)),
    ],
    "zh": [
        ("今天", date(2026, 12, 6)), ("昨天", date(2026, 12, 5)), ("前天", date(2026, 12, 4)),
        ("周四", date(2026, 12, 3)), ("12月2日", date(2026, 12, 2)), ("昨晚", date(2026, 12, 5)),
    ],
}  # fmt: skip
AMOUNTS = {
    "en": [("300k", "300000"), ("1.2m", "1200000"), ("half a million", "500000"),
           ("USD 52,000", "52000"), ("45,000", "45000")],
    "zh": [("50万", "500000"), ("一百二十万", "1200000"), ("30万元", "300000"),
           ("USD 52,000", "52000"), ("8.5万", "85000")],
}  # fmt: skip
VERBS = {
    "en": {"visit": ["/visit", "visited", "visit", ""], "paid": ["/paid", "paid", "payment"]},
    "zh": {"visit": ["/拜访", "拜访", "去了趟", ""], "paid": ["/回款", "回款", "到账"]},
}
FILLERS = {
    "en": ["met Tom", "good talk", "they want a new quote", "budget ok", "all fine", ""],
    "zh": ["见了王总", "聊得不错", "要重新报价", "预算批了", "一切顺利", ""],
}
JOINS = {"en": [" ", ", ", ": ", " - "], "zh": [" ", "，", "：", ""]}


@st.composite
def messages(draw) -> dict[str, Any]:
    lang = draw(st.sampled_from(["en", "zh"]))
    kind = draw(st.sampled_from(["visit", "visit", "paid"]))
    said, account = draw(st.sampled_from(ACCOUNTS[lang]))
    when, day = draw(st.sampled_from(DATES[lang]))
    pieces = {"verb": draw(st.sampled_from(VERBS[lang][kind])), "account": said, "date": when}
    money = None
    if kind == "paid":
        money = draw(st.sampled_from(AMOUNTS[lang]))
        pieces["amount"] = money[0]
    pieces["filler"] = draw(st.sampled_from(FILLERS[lang]))
    order = list(pieces)
    if draw(st.booleans()):  # half the time the words come in any order
        order = draw(st.permutations(order))
    join = draw(st.sampled_from(JOINS[lang]))
    text = join.join(pieces[k] for k in order if pieces[k]).strip(" ,:-，：")
    if draw(st.booleans()):
        text += draw(st.sampled_from(["", ".", "。", "!", "！"]))
    return {
        "lang": lang, "as": USER[lang], "text": text, "kind": kind, "account": account,
        "said": said, "when": when, "day": day, "money": money,
    }  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    with Corpus.open(tmp_path_factory.mktemp("property")) as c:
        yield c


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(m=messages())
def test_kam_never_raises_and_never_writes_when_it_refuses_or_asks(corpus, m):
    sent = corpus.send(m["as"], m["text"])
    assert sent.error is None, f"{m['text']!r} raised {sent.error}"
    assert isinstance(sent.reply, Reply) and sent.reply.title
    written = sent.got["rows"] > 0
    refused = sent.reply.severity is Severity.error
    asked = sent.got["outcome"] == "asked"
    assert not (written and (refused or asked)), (
        f"{m['text']!r} wrote {sent.got['writes']} yet replied {sent.text!r}"
    )


NOTES = ("Notes", "内容", "Note", "备注")  # the reply fields that show the stored notes


def _outside_notes(reply: Reply, notes: str | None) -> str:
    """The reply without the stored notes: a phrase left in the notes is not placed."""

    def is_notes(value: str) -> bool:
        v = value.strip().rstrip("…").strip()
        return bool(notes) and bool(v) and v in notes

    lines = [reply.title]
    lines += [
        f"{f.label}: {f.value}"
        for f in reply.fields
        if f.label not in NOTES or not is_notes(f.value)
    ]
    lines += [line for line in reply.lines if not is_notes(line)]
    for section in reply.sections:
        lines += [line for line in section.lines if not is_notes(line)]
    return "\n".join([*lines, reply.footer or ""]).casefold()


def _echoes_date(text: str, day: date) -> bool:
    forms = (f"{day:%b} {day.day}", f"{day.month}月{day.day}日", day.isoformat())
    return any(f.casefold() in text for f in forms)


def _placed(m: dict[str, Any], sent: Sent) -> list[str]:
    """The phrases of ``m`` that were neither placed nor named; empty when all were."""
    got, reply = sent.got, sent.reply
    assert reply is not None
    outside = _outside_notes(reply, got.get("notes"))
    missed = []
    if got["rows"]:
        if got.get("account") != m["account"]:
            missed.append(f"account {m['said']!r} stored as {got.get('account')!r}")
        day_ok = got.get("date") == m["day"].isoformat() and _echoes_date(outside, m["day"])
        if not day_ok and m["when"].casefold() not in outside:
            missed.append(f"date {m['when']!r} stored as {got.get('date')!r}")
        if m["money"]:
            said, value = m["money"]
            amount_ok = got.get("amount") is not None and Decimal(got["amount"]) == Decimal(value)
            if not amount_ok and said.casefold() not in outside:
                missed.append(f"amount {said!r} stored as {got.get('amount')!r}")
    elif got["outcome"] != "asked":
        named = [m["said"], m["when"], *(m["money"][:1] if m["money"] else [])]
        if not any(p.casefold() in outside for p in named if p):
            missed.append("refused without naming a phrase of the message")
    return missed


@settings(PROPERTY)
@given(m=messages())
def test_every_phrase_is_placed_or_named(corpus, m):
    sent = corpus.send(m["as"], m["text"])
    assert sent.error is None, f"{m['text']!r} raised {sent.error}"
    missed = _placed(m, sent)
    assert not missed, f"{m['text']!r}: {missed}\nreply: {sent.text}"
