"""/paid and /invoice read natural lines: the amount (words, currencies before or after),
the date (a payment's in the past, a due date ahead), the invoice named, the rest as a
note — and the reply says what was understood.  Two amounts are asked about, two dates
or a payment in the future are refused; nothing is written then."""

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from domain.models import Account, Invoice, Payment, User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book

D = Decimal
TODAY = NOW.date()  # Wednesday 2026-11-18
YESTERDAY = date(2026, 11, 17)
LAST_FRIDAY = date(2026, 11, 13)


def text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _book(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, wang = s.get(User, ids["alice"]), s.get(User, ids["wang"])
        f.account(s, "Blue Harbor", owner=alice)
        f.account(s, "宁波港航", owner=wang)
    return ids


def payments(engine) -> list[tuple]:
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(select(Payment).order_by(Payment.id)).all()
        names = {a.id: a.name for a in s.exec(select(Account)).all()}
        return [
            (names[p.account_id], p.amount, p.currency, p.received_on, p.invoice_id, p.note)
            for p in rows
        ]


@pytest.mark.parametrize(
    ("who", "line", "expected"),
    [
        ("alice", "/paid Blue Harbor 300k", ("Blue Harbor", D("300000"), "CNY", TODAY, "")),
        ("wang", "回款 宁波港航 上周五 USD 52,000", ("宁波港航", D("52000"), "USD", LAST_FRIDAY, "")),
        ("wang", "收款 华夏重工 50万 昨天", ("华夏重工", D("500000"), "CNY", YESTERDAY, "")),
        ("wang", "回款 华夏重工 USD 52,000 yesterday", ("华夏重工", D("52000"), "USD", YESTERDAY, "")),
        ("alice", "/paid Acme today - half a million", ("Acme", D("500000"), "CNY", TODAY, "")),
        ("alice", "/payment from Blue Harbor came in, USD 80,000",
         ("Blue Harbor", D("80000"), "USD", TODAY, "")),
        ("wang", "/回款 华夏重工 昨天 一百二十万", ("华夏重工", D("1200000"), "CNY", YESTERDAY, "")),
        ("wang", "/回款 华夏重工 3万5 上周五", ("华夏重工", D("35000"), "CNY", LAST_FRIDAY, "")),
        ("wang", "/回款 华夏重工 35万美元", ("华夏重工", D("350000"), "USD", TODAY, "")),
        ("alice", "/paid Acme half a million", ("Acme", D("500000"), "CNY", TODAY, "")),
        ("alice", "/paid Acme 350 grand yesterday", ("Acme", D("350000"), "CNY", YESTERDAY, "")),
        ("alice", "/paid Acme US$2M", ("Acme", D("2000000"), "USD", TODAY, "")),
        ("alice", "/paid Acme 52,000 USD", ("Acme", D("52000"), "USD", TODAY, "")),
        ("alice", "/paid Acme 5000", ("Acme", D("5000"), "CNY", TODAY, "")),
        ("alice", "/payment Acme yesterday 1.2 mil wire from HQ",
         ("Acme", D("1200000"), "CNY", YESTERDAY, "wire from HQ")),
        ("alice", "/paid Blue Harbor finally paid 300k", ("Blue Harbor", D("300000"), "CNY", TODAY, "")),
        ("alice", "/paid Acme 300k (300,000) via wire", ("Acme", D("300000"), "CNY", TODAY, "via wire")),
        ("alice", "/paid Acme 5000 for 2 invoices", ("Acme", D("5000"), "CNY", TODAY, "for 2 invoices")),
        ("alice", "/paid Acme 300k for the Q3 licences, 5 people",
         ("Acme", D("300000"), "CNY", TODAY, "for the Q3 licences, 5 people")),
    ],
)  # fmt: skip
def test_natural_payment_lines(engine, who, line, expected):
    _book(engine)
    reply = Chat(engine).say(who, line)
    assert reply.severity is Severity.success, text(reply)
    [(account, amount, currency, received_on, _invoice, note)] = payments(engine)
    assert (account, amount, currency, received_on, note) == expected


def test_the_reply_echoes_amount_date_and_invoice(engine):
    ids = _book(engine)
    chat = Chat(engine)
    chat.say("alice", "/invoice Acme 2m due 2026-12-31")
    with unit_of_work(engine) as s:
        invoice = s.get(Invoice, 1)
        invoice.number = "INV-001"
        s.add(invoice)
    reply = chat.say("alice", "/paid Acme 1.2m yesterday #INV-001")
    assert reply.title == "Payment of ¥1.2M recorded for Acme"
    assert "Received: 2026-11-17 (“yesterday”)" in text(reply)
    assert "Invoice: #1 · INV-001" in text(reply)
    assert reply.sections[0].lines == ("#1: ¥1.2M — ¥800K still open",)
    assert payments(engine) == [("Acme", D("1200000.00"), "CNY", YESTERDAY, 1, "")]
    zh = Chat(engine).say("wang", "回款 宁波港航 上周五 USD 52,000")
    assert zh.title == "已登记 宁波港航 的回款 5.2万美元"
    assert "2026年11月13日（“上周五”）" in text(zh)
    assert ids  # the book is there


def _choices(line: str, lang: str = "en") -> list[str]:
    """The messages offered when ``line`` holds two amounts (read by the parser itself)."""
    from bot.config import Settings
    from handlers.clarify import Choose
    from handlers.commands.receivables import parse_paid
    from handlers.context import ParseContext

    known = {"blue harbor", "acme", "华夏重工"}
    pctx = ParseContext(now=NOW, lang=lang, currency="CNY", settings=Settings(),
                        known_accounts=lambda names: {n.casefold() for n in names} & known)  # fmt: skip
    with pytest.raises(Choose) as asked:
        parse_paid(line, pctx)
    return [c.text for c in asked.value.choices]


def test_two_amounts_ask_which_with_complete_messages(engine):
    _book(engine)
    chat = Chat(engine)
    reply = chat.say("alice", "/paid Blue Harbor 300k yesterday 200k")
    assert reply.severity is Severity.warning
    assert reply.title == "Which amount?"
    assert "Two amounts in one line: “300k”, “200k”." in text(reply)
    assert payments(engine) == []
    choices = _choices("Blue Harbor 300k yesterday 200k")
    assert choices == ['/paid "Blue Harbor" 300k yesterday', '/paid "Blue Harbor" yesterday 200k']
    chosen = chat.say("alice", choices[1])
    assert chosen.severity is Severity.success
    assert payments(engine) == [("Blue Harbor", D("200000.00"), "CNY", YESTERDAY, None, "")]


def test_two_amounts_in_chinese(engine):
    _book(engine)
    reply = Chat(engine).say("wang", "收款 华夏重工 50万 另外20万 昨天")
    assert reply.title == "是哪个金额？"
    assert payments(engine) == []
    assert _choices("华夏重工 50万 另外20万 昨天", "zh") == [
        "/回款 华夏重工 50万 另外昨天",
        "/回款 华夏重工 另外20万 昨天",
    ]


@pytest.mark.parametrize(
    ("who", "line", "needle"),
    [
        ("alice", "/paid Acme 100k next friday", "in the future"),
        ("alice", "/paid Acme 100k tomorrow", "“tomorrow” is 2026-11-19, in the future"),
        ("wang", "/回款 华夏重工 10万 下周一", "还没到"),
        ("alice", "/paid Acme 100k yesterday or 2026-11-10", "Two dates in one line"),
        ("alice", "/paid Acme 100多万", "Couldn't read an amount in “100多万”"),
        ("alice", "/paid Acme 30-50万", "Couldn't read an amount in “30-50万”"),
        ("alice", "/paid Acme 300k #INV-404", "Acme has no open invoice INV-404."),
        ("alice", "/paid Acme 300k #1 #2", "One invoice per payment"),
        ("alice", "/paid Acme -300k", "cannot be negative"),
        ("alice", "/paid Acme yesterday", "How much?"),
        ("alice", "/paid Acme 0", "more than zero"),
    ],
)
def test_payment_refusals_change_nothing(engine, who, line, needle):
    _book(engine)
    chat = Chat(engine)
    chat.say("alice", "/invoice Acme 300k due 2026-12-31")
    reply = chat.say(who, line)
    assert reply.severity is Severity.error, text(reply)
    assert needle in text(reply)
    assert payments(engine) == []


@pytest.mark.parametrize(
    ("line", "amount", "currency", "due_on", "note"),
    [
        ("/invoice Acme 500k due end of month", D("500000"), "CNY", date(2026, 11, 30), ""),
        ("/invoice Acme two hundred k due friday Q4 fee", D("200000"), "CNY", date(2026, 11, 20),
         "Q4 fee"),
        ("/invoice Acme USD 52,000 by 12/15", D("52000"), "USD", date(2026, 12, 15), ""),
        ("/invoice Acme invoiced 500k to be paid by end of month", D("500000"), "CNY",
         date(2026, 11, 30), ""),
        ("/应收 华夏重工 开了发票 50万 下周五前付", D("500000"), "CNY", date(2026, 11, 27), ""),
        ("/invoice Acme invoiced 1.2m today, net 45", D("1200000"), "CNY", date(2027, 1, 2), ""),
        ("/invoice Acme 300k yesterday", D("300000"), "CNY", date(2026, 12, 17), ""),
        ("/invoice Acme 30w net 45 first milestone", D("300000"), "CNY", date(2027, 1, 2),
         "first milestone"),
        ("/应收 华夏重工 一百二十万 月底到期 二期首付款", D("1200000"), "CNY", date(2026, 11, 30),
         "二期首付款"),
    ],
)  # fmt: skip
def test_natural_invoice_lines(engine, line, amount, currency, due_on, note):
    _book(engine)
    who = "wang" if "华夏" in line else "alice"
    reply = Chat(engine).say(who, line)
    assert reply.severity is Severity.success, text(reply)
    with unit_of_work(engine, write=False) as s:
        [i] = s.exec(select(Invoice)).all()
        assert (i.amount, i.currency, i.due_on, i.note) == (amount, currency, due_on, note)


def test_invoice_reply_echoes_the_due_phrase_and_two_dates_are_refused(engine):
    _book(engine)
    chat = Chat(engine)
    reply = chat.say("alice", "/invoice Acme 500k due end of month")
    assert reply.title == "Invoice #1 for Acme: ¥500K, due 2026-11-30"
    assert "Due: 2026-11-30 (“due end of month”)" in text(reply)
    refused = chat.say("alice", "/invoice Acme 500k due friday or end of month")
    assert refused.severity is Severity.error and "Two dates in one line" in text(refused)
    both = chat.say("alice", "/invoice Acme 500k net 30 due friday")
    assert both.severity is Severity.error and "give one" in text(both)
    late = chat.say("alice", "/invoice Acme 80k due 2026-10-31")
    assert late.severity is Severity.warning
    assert "Due 2026-10-31, already past: recorded as overdue." in text(late)
    asked = chat.say("alice", "/invoice Acme 500k 300k")
    assert asked.title == "Which amount?"
    with unit_of_work(engine, write=False) as s:
        assert len(s.exec(select(Invoice)).all()) == 2
