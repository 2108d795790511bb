"""storage.receivables: invoices and payments by number, upserts, and reallocation.

Every expected figure is worked out by hand in the comments next to it.
"""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from domain.errors import InvalidInput, NotFound
from domain.models import Invoice, Payment
from handlers.parsing.money import parse_money
from storage import receivables as r
from storage.receivables import InvoiceIn, PaymentIn
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book

D = Decimal


def statements(engine):
    seen: list[str] = []

    def _count(conn, cursor, statement, *args):
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", _count)
    return seen, lambda: event.remove(engine, "before_cursor_execute", _count)


def inv(number, account_id, amount, issued, due, currency="CNY", note=""):
    return InvoiceIn(number=number, account_id=account_id, amount=D(amount), issued_on=issued,
                     due_on=due, currency=currency, note=note)  # fmt: skip


def pay(number, account_id, amount, received, invoice=None, currency="CNY", note=""):
    return PaymentIn(number=number, account_id=account_id, amount=D(amount), received_on=received,
                     invoice=invoice, currency=currency, note=note)  # fmt: skip


def state(s, account_id):
    """{number: (paid_amount, settled_on)} of invoices, {number: unapplied} of payments."""
    invoices = s.exec(select(Invoice).where(Invoice.account_id == account_id)).all()
    payments = s.exec(select(Payment).where(Payment.account_id == account_id)).all()
    return (
        {i.number: (i.paid_amount, i.settled_on) for i in invoices},
        {p.number: p.unapplied for p in payments},
    )


THREE_INVOICES = [
    ("FP20260901-0001", "100000", date(2026, 9, 1), date(2026, 10, 1)),
    ("FP20260915-0002", "50000", date(2026, 9, 15), date(2026, 10, 15)),
    ("FP20261001-0003", "80000", date(2026, 10, 1), date(2026, 11, 30)),
]


def three_invoices(s, account_id):
    for number, amount, issued, due in THREE_INVOICES:
        r.upsert_invoice(s, inv(number, account_id, amount, issued, due))


# --- allocation ---------------------------------------------------------------------


def test_partial_payments_settle_earliest_due_first_and_the_rest_is_credit(engine):
    ids = book(engine)
    acme = ids["acme"]
    with unit_of_work(engine) as s:
        three_invoices(s, acme)
        changes = [
            r.upsert_payment(s, pay("SK-1001", acme, "60000", date(2026, 10, 5))),
            r.upsert_payment(s, pay("SK-1002", acme, "70000", date(2026, 10, 20))),
            r.upsert_payment(s, pay("SK-1003", acme, "120000", date(2026, 11, 10))),
        ]
        r.reallocate_all(s, changes)
    with unit_of_work(engine, write=False) as s:
        invoices, payments = state(s, acme)
    # SK-1001 60k → 0001 60k (40k open)
    # SK-1002 70k → 0001 40k (settled 10-20), 0002 30k (20k open)
    # SK-1003 120k → 0002 20k (settled 11-10), 0003 80k (settled 11-10), 20k left over
    assert invoices == {
        "FP20260901-0001": (D("100000.00"), date(2026, 10, 20)),
        "FP20260915-0002": (D("50000.00"), date(2026, 11, 10)),
        "FP20261001-0003": (D("80000.00"), date(2026, 11, 10)),
    }
    assert payments == {"SK-1001": D("0.00"), "SK-1002": D("0.00"), "SK-1003": D("20000.00")}


def test_a_linked_payment_pays_its_invoice_first_and_a_changed_amount_reallocates(engine):
    ids = book(engine)
    acme = ids["acme"]
    with unit_of_work(engine) as s:
        three_invoices(s, acme)
        changes = [
            r.upsert_payment(
                s, pay("SK-1001", acme, "60000", date(2026, 10, 5), invoice="FP20261001-0003")
            ),
            r.upsert_payment(s, pay("SK-1002", acme, "70000", date(2026, 10, 20))),
            r.upsert_payment(s, pay("SK-1003", acme, "90000", date(2026, 11, 10))),
        ]
        r.reallocate_all(s, changes)
    with unit_of_work(engine, write=False) as s:
        invoices, payments = state(s, acme)
    # SK-1001 60k → 0003 (its invoice, due last) 60k (20k open)
    # SK-1002 70k → 0001 70k (30k open)
    # SK-1003 90k → 0001 30k (settled 11-10), 0002 50k (settled 11-10), 0003 10k (10k open)
    assert invoices == {
        "FP20260901-0001": (D("100000.00"), date(2026, 11, 10)),
        "FP20260915-0002": (D("50000.00"), date(2026, 11, 10)),
        "FP20261001-0003": (D("70000.00"), None),
    }
    assert payments == {"SK-1001": D("0.00"), "SK-1002": D("0.00"), "SK-1003": D("0.00")}

    # the finance system corrects SK-1001 to 100k; the re-import says so and reallocates
    with unit_of_work(engine) as s:
        change = r.upsert_payment(s, pay("SK-1001", acme, "100000", date(2026, 10, 5),
                                         invoice="FP20261001-0003"))  # fmt: skip
        assert (change.action, change.fields) == (
            "update",
            {"amount": (D("60000.00"), D("100000.00"))},
        )
        assert change.affected == {(acme, "CNY")}
        r.reallocate_all(s, [change])
    with unit_of_work(engine, write=False) as s:
        invoices, payments = state(s, acme)
    # SK-1001 100k → 0003 80k (settled 10-05), then earliest due: 0001 20k
    # SK-1002 70k → 0001 70k (90k paid)
    # SK-1003 90k → 0001 10k (settled 11-10), 0002 50k (settled 11-10), 30k left over
    assert invoices == {
        "FP20260901-0001": (D("100000.00"), date(2026, 11, 10)),
        "FP20260915-0002": (D("50000.00"), date(2026, 11, 10)),
        "FP20261001-0003": (D("80000.00"), date(2026, 10, 5)),
    }
    assert payments == {"SK-1001": D("0.00"), "SK-1002": D("0.00"), "SK-1003": D("30000.00")}


def test_two_currencies_are_kept_apart(engine):
    ids = book(engine)
    acme = ids["acme"]
    with unit_of_work(engine) as s:
        r.upsert_invoice(s, inv("FP-CNY-1", acme, "50000", date(2026, 9, 1), date(2026, 10, 1)))
        r.upsert_invoice(s, inv("INV-USD-1", acme, "10000", date(2026, 9, 1), date(2026, 9, 30),
                                currency="USD"))  # fmt: skip
        cny = r.upsert_payment(s, pay("SK-CNY-1", acme, "80000", date(2026, 10, 8)))
        usd = r.upsert_payment(s, pay("SK-USD-1", acme, "4000", date(2026, 10, 9),
                                      currency="usd"))  # fmt: skip
        assert cny.affected == {(acme, "CNY")} and usd.affected == {(acme, "USD")}
        r.reallocate(s, acme, "CNY")
        # the USD book is not touched by a CNY reallocation
        assert s.exec(select(Invoice).where(Invoice.number == "INV-USD-1")).one().paid_amount == 0
        r.reallocate(s, acme, "USD")
    with unit_of_work(engine, write=False) as s:
        invoices, payments = state(s, acme)
    # CNY: 80k pays the 50k invoice (settled 10-08), 30k credit; the USD invoice is
    # older and due earlier but CNY never pays it.  USD: 4k of 10k paid.
    assert invoices == {
        "FP-CNY-1": (D("50000.00"), date(2026, 10, 8)),
        "INV-USD-1": (D("4000.00"), None),
    }
    assert payments == {"SK-CNY-1": D("30000.00"), "SK-USD-1": D("0.00")}


def test_reallocation_is_idempotent_and_bounded_to_one_account_and_currency(engine):
    ids = book(engine)
    acme, globex = ids["acme"], ids["globex"]
    with unit_of_work(engine) as s:
        three_invoices(s, acme)
        r.upsert_payment(s, pay("SK-1001", acme, "120000", date(2026, 10, 5)))
        r.reallocate(s, acme, "CNY")
        # Globex's row is deliberately wrong: a reallocation of Acme must not see it
        wrong = r.upsert_invoice(s, inv("FP-G-1", globex, "1000", date(2026, 9, 1),
                                        date(2026, 10, 1))).row  # fmt: skip
        wrong.paid_amount = D("999")
        s.add(wrong)
    with unit_of_work(engine, write=False) as s:
        before = state(s, acme)
    assert before[0]["FP20260915-0002"] == (D("20000.00"), None)  # 120k − 100k
    seen, stop = statements(engine)
    with unit_of_work(engine) as s:
        r.reallocate(s, acme, "CNY")
        r.reallocate(s, acme, "CNY")
    stop()
    assert seen.count("SELECT") == 4  # invoices and payments, twice
    assert "UPDATE" not in seen  # nothing to change
    with unit_of_work(engine, write=False) as s:
        assert state(s, acme) == before
        assert s.exec(select(Invoice).where(Invoice.number == "FP-G-1")).one().paid_amount == 999


def test_allocation_rule_on_plain_values():
    owed = [r.Owed(1, D("100"), date(2026, 1, 1), date(2026, 2, 1)),
            r.Owed(2, D("0"), date(2026, 1, 5), date(2026, 1, 5)),
            r.Owed(3, D("50"), date(2026, 1, 2), date(2026, 1, 20))]  # fmt: skip
    received = [r.Received(7, D("80"), date(2026, 3, 1), invoice_id=1),
                r.Received(6, D("90"), date(2026, 3, 1))]  # fmt: skip
    result = r.allocation(owed, received)
    # same day: payment 6 before 7 (id); 6 → #3 50 (settled), #1 40; 7 → #1 60 (its
    # invoice, settled), 20 left.  The invoice of zero is settled on its issue day.
    assert result.paid == {1: D("100"), 2: D("0"), 3: D("50")}
    assert result.settled_on == {1: date(2026, 3, 1), 2: date(2026, 1, 5), 3: date(2026, 3, 1)}
    assert result.unapplied == {6: D("0"), 7: D("20")}
    assert r.allocation(owed, []).unapplied == {}


# --- consistency with chat ----------------------------------------------------------


def test_reallocation_changes_nothing_chat_invoice_and_paid_produced(engine):
    ids = book(engine)
    chat = Chat(engine)
    for handle, line in [
        ("alice", "/invoice Acme 300k due 2026-12-31"),
        ("alice", "/invoice Acme 200k due 2026-10-31"),
        ("carol", "/paid Acme 250k"),  # New York: received the 17th
        ("alice", "/paid Acme 300k #1 yesterday wire transfer"),  # 50k left: a credit
        ("alice", "/invoice Acme 80k due 2027-01-31"),  # takes the 50k credit
        ("alice", "/paid Acme USD 5k"),  # a USD credit …
        ("alice", "/invoice Acme USD 3k due 2026-12-31"),  # … that pays this in full
        ("wang", "/应收 华夏重工 30万 到期 2026-12-31"),
        ("wang", "/应收 华夏重工 12万 到期 2026-10-31"),
        ("wang", "/回款 华夏重工 20万 昨天"),
    ]:
        assert chat.say(handle, line).severity.value != "error", line
    with unit_of_work(engine, write=False) as s:
        acme_before, huaxia_before = state(s, ids["acme"]), state(s, ids["huaxia"])
    # chat numbered every row from its id
    assert set(acme_before[0]) == {"KAM-000001", "KAM-000002", "KAM-000003", "KAM-000004"}
    assert set(acme_before[1]) == {"KAM-000001", "KAM-000002", "KAM-000003"}
    # the figures chat produced (the thing reallocation must reproduce), by hand:
    assert acme_before == (
        {
            "KAM-000001": (D("300000.00"), date(2026, 11, 17)),
            "KAM-000002": (D("200000.00"), date(2026, 11, 17)),
            "KAM-000003": (D("50000.00"), None),
            "KAM-000004": (D("3000.00"), NOW.date()),
        },
        {"KAM-000001": D("0.00"), "KAM-000002": D("0.00"), "KAM-000003": D("2000.00")},
    )
    seen, stop = statements(engine)
    with unit_of_work(engine) as s:
        for account in ("acme", "huaxia"):
            for currency in ("CNY", "USD"):
                r.reallocate(s, ids[account], currency)
    stop()
    assert "SELECT" in seen and "UPDATE" not in seen
    with unit_of_work(engine, write=False) as s:
        assert state(s, ids["acme"]) == acme_before
        assert state(s, ids["huaxia"]) == huaxia_before
        # 20万 → the 12万 due 10-31 (settled the 17th), 8万 of the 30万
        assert huaxia_before[0] == {
            "KAM-000005": (D("80000.00"), None),
            "KAM-000006": (D("120000.00"), date(2026, 11, 17)),
        }


# --- numbers and upserts ------------------------------------------------------------


def test_chat_rows_round_trip_by_their_kam_number(engine):
    ids = book(engine)
    Chat(engine).say("alice", "/invoice Acme 300k due 2026-12-31 Q4 licences")
    with unit_of_work(engine) as s:
        chat_row = r.invoice_by_number(s, " KAM-000001 ")
        assert chat_row is not None and chat_row.note == "Q4 licences"
        same = inv("KAM-000001", ids["acme"], "300000", NOW.date(), date(2026, 12, 31),
                   note="Q4 licences")  # fmt: skip
        change = r.upsert_invoice(s, same)
        assert (change.action, change.fields, change.affected) == ("unchanged", {}, frozenset())
        assert change.row.id == chat_row.id
        assert r.invoice_by_number(s, "FP-unknown") is None and r.payment_by_number(s, "") is None
        with pytest.raises(InvalidInput, match="KAM- numbers"):
            r.upsert_invoice(s, inv("KAM-000099", ids["acme"], "1", NOW.date(), NOW.date()))
    with unit_of_work(engine, write=False) as s:
        assert len(s.exec(select(Invoice)).all()) == 1


def test_upsert_creates_updates_and_leaves_alone_and_a_dry_run_writes_nothing(engine):
    ids = book(engine)
    acme = ids["acme"]
    with unit_of_work(engine) as s:
        created = r.upsert_invoice(s, inv(" FP20261101-0007 ", acme, "1200000",
                                          date(2026, 11, 1), date(2026, 12, 1),
                                          note="二期首付款"))  # fmt: skip
        assert created.action == "create" and created.number == "FP20261101-0007"
        assert created.fields["amount"] == (None, D("1200000.00"))
        assert created.row.number == "FP20261101-0007" and created.row.id is not None
        again = r.upsert_invoice(s, inv("FP20261101-0007", acme, "1200000.00",
                                        date(2026, 11, 1), date(2026, 12, 1),
                                        note="二期首付款"))  # fmt: skip
        assert again.action == "unchanged"
    changed = inv("FP20261101-0007", acme, "1000000", date(2026, 11, 1), date(2026, 12, 15),
                  note="二期首付款")  # fmt: skip
    with unit_of_work(engine) as s:
        dry = r.upsert_invoice(s, changed, dry_run=True)
        assert dry.action == "update" and dry.before["amount"] == "1200000.00"
        assert dry.fields == {
            "amount": (D("1200000.00"), D("1000000.00")),
            "due_on": (date(2026, 12, 1), date(2026, 12, 15)),
        }
        assert not s.dirty and not s.new
        new = r.upsert_payment(s, pay("SK-1", acme, "5", date(2026, 11, 2)), dry_run=True)
        assert new.action == "create" and new.row is None and not s.new
    with unit_of_work(engine, write=False) as s:
        assert r.invoice_by_number(s, "FP20261101-0007").amount == D("1200000.00")
        assert s.exec(select(Payment)).all() == []
    with unit_of_work(engine) as s:
        done = r.upsert_invoice(s, changed)
        assert done.fields == dry.fields
    with unit_of_work(engine, write=False) as s:
        row = r.invoice_by_number(s, "FP20261101-0007")
        assert (row.amount, row.due_on) == (D("1000000.00"), date(2026, 12, 15))
        assert len(s.exec(select(Invoice)).all()) == 1


def test_payment_link_is_shown_by_invoice_number_and_a_moved_payment_touches_both_books(engine):
    ids = book(engine)
    acme = ids["acme"]
    with unit_of_work(engine) as s:
        three_invoices(s, acme)
        created = r.upsert_payment(s, pay("SK-1", acme, "1000", date(2026, 10, 2),
                                          invoice="FP20260901-0001"))  # fmt: skip
        assert created.fields["invoice"] == (None, "FP20260901-0001")
        assert created.row.invoice_id == r.invoice_by_number(s, "FP20260901-0001").id
        relinked = r.upsert_payment(s, pay("SK-1", acme, "1000", date(2026, 10, 2),
                                           invoice="FP20260915-0002"))  # fmt: skip
        assert relinked.fields == {"invoice": ("FP20260901-0001", "FP20260915-0002")}
        moved = r.upsert_payment(s, pay("SK-1", acme, "1000", date(2026, 10, 2),
                                        currency="USD"))  # fmt: skip
        assert moved.affected == {(acme, "CNY"), (acme, "USD")}
        assert moved.fields == {"currency": ("CNY", "USD"),
                                "invoice": ("FP20260915-0002", None)}  # fmt: skip


@pytest.mark.parametrize(
    ("row", "error", "needle"),
    [
        (pay("SK-9", "acme", "1", date(2026, 10, 1), invoice="FP-none"), NotFound, "no invoice"),
        (pay("SK-9", "globex", "1", date(2026, 10, 1), invoice="FP-A"), InvalidInput, "another account"),
        (pay("SK-9", "acme", "1", date(2026, 10, 1), invoice="FP-A", currency="USD"), InvalidInput, "another currency"),
        (pay("SK-9", "acme", "0", date(2026, 10, 1)), InvalidInput, "more than zero"),
        (pay("  ", "acme", "1", date(2026, 10, 1)), InvalidInput, "number is required"),
        (pay("SK-9", "acme", "1", date(2026, 10, 1), currency="RMB¥"), InvalidInput, "three-letter"),
        (inv("FP-9", "acme", "-5", date(2026, 10, 1), date(2026, 11, 1)), InvalidInput, "more than zero"),
        (inv("FP-9", "acme", "5", date(2026, 10, 1), date(2026, 9, 1)), InvalidInput, "due before"),
        (inv("X" * 65, "acme", "5", date(2026, 10, 1), date(2026, 11, 1)), InvalidInput, "at most 64"),
        (inv("FP-9", "acme", "5", date(2026, 10, 1), date(2026, 11, 1), note="x" * 201), InvalidInput, "at most 200"),
    ],
)  # fmt: skip
def test_upsert_refusals(engine, row, error, needle):
    ids = book(engine)
    row = type(row)(**{**row.__dict__, "account_id": ids[row.account_id]})
    with unit_of_work(engine) as s:
        r.upsert_invoice(s, inv("FP-A", ids["acme"], "100", date(2026, 9, 1), date(2026, 10, 1)))
        upsert = r.upsert_invoice if isinstance(row, InvoiceIn) else r.upsert_payment
        with pytest.raises(error, match=needle):
            upsert(s, row)


def test_numbers_are_unique_in_the_database(engine):
    ids = book(engine)
    with pytest.raises(IntegrityError), unit_of_work(engine) as s:
        owner = f.user(s, "zoe")
        other = f.account(s, "Zeta", owner=owner)
        for account_id in (ids["acme"], other.id):
            s.add(Invoice(number="FP-1", account_id=account_id, amount=D(1),
                          issued_on=date(2026, 1, 1), due_on=date(2026, 1, 1)))  # fmt: skip
        s.flush()


# --- the sample files in docs/ ------------------------------------------------------


SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def import_samples(s, accounts):
    """What the CSV import does with the samples: resolve, parse, upsert, reallocate."""
    changes = []

    def money(row):
        return parse_money(row["amount"], default_currency=row["currency"] or "CNY")

    with (SAMPLES / "invoices.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            m = money(row)
            changes.append(r.upsert_invoice(s, InvoiceIn(
                number=row["number"], account_id=accounts[row["account"]], amount=m.amount,
                currency=m.currency, issued_on=date.fromisoformat(row["issued_on"]),
                due_on=date.fromisoformat(row["due_on"]), note=row["note"])))  # fmt: skip
    with (SAMPLES / "payments.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            m = money(row)
            changes.append(r.upsert_payment(s, PaymentIn(
                number=row["number"], account_id=accounts[row["account"]], amount=m.amount,
                currency=m.currency, received_on=date.fromisoformat(row["received_on"]),
                invoice=row["invoice"] or None, note=row["note"])))  # fmt: skip
    r.reallocate_all(s, changes)
    return changes


def test_the_sample_files_import_as_documented_and_twice_is_once(engine):
    with unit_of_work(engine) as s:
        owner = f.user(s, "alice")
        names = (
            "Acme",
            "华夏重工",
            "长江能源",
            "Stark Energy",
            "Vertex Semiconductors",
            "东方物流",
        )
        accounts = {name: f.account(s, name, owner=owner).id for name in names}
        first = import_samples(s, accounts)
    assert [c.action for c in first] == ["create"] * 13
    with unit_of_work(engine, write=False) as s:
        paid = {i.number: (i.paid_amount, i.settled_on) for i in s.exec(select(Invoice))}
        credit = {p.number: p.unapplied for p in s.exec(select(Payment)) if p.unapplied}
    assert paid == {
        "FP20261008-0003": (D("300000.00"), date(2026, 11, 6)),
        "FP20261101-0007": (D("600000.00"), None),  # 60万 of 120万
        "FP20261105-0012": (D("200000.00"), None),
        "FP20261112-0018": (D("0.00"), None),
        "INV-2026-0041": (D("85000.00"), date(2026, 12, 1)),
        "FP20261120-0025": (D("360000.00"), date(2026, 12, 4)),
        "FP20261125-0031": (D("150000.00"), date(2026, 12, 3)),  # from the unlinked 180k
    }
    assert credit == {"SK20261203-0021": D("30000.00")}  # 180k − 150k
    seen, stop = statements(engine)
    with unit_of_work(engine) as s:
        again = import_samples(s, accounts)
    stop()
    assert [c.action for c in again] == ["unchanged"] * 13
    assert "SELECT" in seen and "INSERT" not in seen and "UPDATE" not in seen
