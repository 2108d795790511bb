"""Concurrency: money received and owed, from N clients at once.

The book's rule (``storage.receivables``): a payment pays the invoice it names, then the
other open invoices; what is left is a credit (``unapplied``) that a later invoice
takes.  So for an account and currency, at every moment:

    received (sum of payments) == applied (sum of invoices' paid_amount) + credit
    0 <= paid_amount <= amount for every invoice

and the stored allocation is the one ``storage.receivables.allocation`` computes from
the payments alone.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlmodel import select

from domain.models import Invoice, Payment
from storage.receivables import Owed, Received, allocation
from storage.session import unit_of_work
from tests.concurrency.race import at_once, race
from tests.csvkit import run_import
from tests.harness import NOW, Chat, book

D = Decimal
TODAY = NOW.date()


def _money(engine, account_id: int) -> tuple[list[Invoice], list[Payment]]:
    with unit_of_work(engine, write=False) as s:
        invoices = list(s.exec(select(Invoice).where(Invoice.account_id == account_id)))
        payments = list(s.exec(select(Payment).where(Payment.account_id == account_id)))
    return invoices, payments


def assert_books_balance(engine, account_id: int) -> tuple[Decimal, Decimal, Decimal]:
    invoices, payments = _money(engine, account_id)
    received = sum((p.amount for p in payments), D(0))
    applied = sum((i.paid_amount for i in invoices), D(0))
    credit = sum((p.unapplied for p in payments), D(0))
    assert received == applied + credit, (received, applied, credit)
    for i in invoices:
        assert D(0) <= i.paid_amount <= i.amount, (i.id, i.paid_amount, i.amount)
    rule = allocation(
        [Owed(i.id, i.amount, i.issued_on, i.due_on) for i in invoices],
        [Received(p.id, p.amount, p.received_on, p.invoice_id) for p in payments],
    )
    assert {i.id: i.paid_amount for i in invoices} == rule.paid
    assert {p.id: p.unapplied for p in payments} == rule.unapplied
    return received, applied, credit


def _invoice(engine, account_id: int, amount: str) -> int:
    with unit_of_work(engine) as s:
        invoice = Invoice(account_id=account_id, amount=D(amount), issued_on=TODAY,
                          due_on=TODAY + timedelta(days=30))  # fmt: skip
        s.add(invoice)
        s.flush()
        return invoice.id


def test_six_payments_against_one_invoice_pay_it_once(engine):
    ids = book(engine)
    number = _invoice(engine, ids["acme"], "100000")
    replies, _chats = race(engine, [("alice", f"/paid Acme 100k #{number}")] * 6)
    recorded = [r for r in replies if r.title == "Payment of ¥100K recorded for Acme"]
    assert len(recorded) == 1
    # once it is paid, #1 is no longer open: the others are refused, nothing recorded
    refused = [r for r in replies if r not in recorded]
    assert all(f"Acme has no open invoice #{number}." in r.lines for r in refused), refused[0]
    received, applied, credit = assert_books_balance(engine, ids["acme"])
    assert (received, applied, credit) == (D(100_000), D(100_000), D(0))


def test_a_credit_pays_one_invoice_however_many_are_recorded_at_once(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:  # ¥100K received with nothing to pay: a credit
        s.add(Payment(account_id=ids["acme"], amount=D(100_000), unapplied=D(100_000),
                      received_on=TODAY - timedelta(days=3)))  # fmt: skip
    race(engine, [("alice", "/invoice Acme 100k")] * 4)
    invoices, _payments = _money(engine, ids["acme"])
    assert len(invoices) == 4
    received, applied, credit = assert_books_balance(engine, ids["acme"])
    assert (received, applied, credit) == (D(100_000), D(100_000), D(0))


def test_payments_and_invoices_at_once_still_balance(engine):
    ids = book(engine)
    messages = [("alice", "/paid Acme 50k"), ("alice", "/invoice Acme 80k")] * 4
    race(engine, messages)
    received, applied, credit = assert_books_balance(engine, ids["acme"])
    assert received == D(200_000) and applied + credit == D(200_000)


def test_an_import_of_receipts_and_payments_in_chat_at_once_still_balance(engine):
    ids = book(engine)
    number = _invoice(engine, ids["acme"], "300000")
    receipts = (
        "number,account,amount,currency,received_on,invoice,note\n"
        f"SK-1,Acme,100000,CNY,{TODAY - timedelta(days=1)},KAM-{number:06d},\n"
        f"SK-2,Acme,50000,CNY,{TODAY - timedelta(days=1)},,\n"
    )
    chats = [Chat(engine) for _ in range(3)]
    at_once(
        engine,
        [lambda: run_import(engine, "payments", receipts)]
        + [lambda c=c: c.say("alice", "/paid Acme 80k") for c in chats],
    )
    received, applied, credit = assert_books_balance(engine, ids["acme"])
    assert received == D(390_000) and (applied, credit) == (D(300_000), D(90_000))
