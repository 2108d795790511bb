"""``kam import invoices|payments``: keyed by the finance system's number, reallocated
after every import, audited and revertible; the samples of docs/finance.md import."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlmodel import select

from bot.config import Settings
from domain.models import AuditEntry, Invoice, Payment
from storage.demo import seed_demo
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work
from tests.csvkit import dry_run, export, run_import, state
from tests.harness import Chat, book

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
TRAIL = ("audit_entry",)

INVOICES = (
    "number,account,amount,currency,issued_on,due_on,note\n"
    "FP-001,acme,30万,,2026/10/1,2026年10月31日,=SUM(A1:A9)\n"
    'FP-002,Acme,"¥200,000",CNY,2026-11-01,2026-11-30,\n'
    "INV-9,华夏,$50k,,2026-11-05,2026-12-05,-5% early-payment discount\n"
)
PAYMENTS = (
    "number,account,amount,currency,received_on,invoice,note\n"
    "SK-001,Acme,40万,CNY,2026-11-10,FP-002,+86 wire\n"  # FP-002 first, then FP-001
    "SK-002,华夏重工,$20k,,2026-11-20,INV-9,\n"
)


def _by_number(engine):
    with unit_of_work(engine, write=False) as s:
        invoices = {i.number: i for i in s.exec(select(Invoice)).all()}
        payments = {p.number: p for p in s.exec(select(Payment)).all()}
    return invoices, payments


def test_import_reallocates_and_reimport_updates_never_duplicates(engine):
    book(engine)
    assert run_import(engine, "invoices", INVOICES).created == 3
    assert run_import(engine, "payments", PAYMENTS).created == 2
    invoices, payments = _by_number(engine)
    # SK-001 (400,000) names FP-002 (200,000): pays it, then FP-001 (300,000) due first
    assert (invoices["FP-002"].paid_amount, invoices["FP-002"].settled_on) == (
        Decimal("200000.00"), date(2026, 11, 10),
    )  # fmt: skip
    assert (invoices["FP-001"].paid_amount, invoices["FP-001"].settled_on) == (
        Decimal("200000.00"), None,
    )  # fmt: skip
    assert payments["SK-001"].unapplied == Decimal("0.00")
    assert (invoices["INV-9"].currency, invoices["INV-9"].paid_amount) == (
        "USD",
        Decimal("20000.00"),
    )
    assert invoices["FP-001"].note == "=SUM(A1:A9)"
    assert invoices["FP-001"].issued_on == date(2026, 10, 1)

    # the same month again: nothing changes; a corrected amount updates in place
    again = run_import(engine, "payments", PAYMENTS, request_id="import-again")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    corrected = PAYMENTS.replace("SK-001,Acme,40万", "SK-001,Acme,60万")
    plan = dry_run(engine, "payments", corrected)
    assert [
        (r.label, r.action, [(c.column, c.old, c.new) for c in r.changes]) for r in plan.rows
    ] == [
        ("SK-001", "updated", [("amount", "400000.00", "600000.00")]),
        ("SK-002", "unchanged", []),
    ]
    run_import(engine, "payments", corrected, request_id="import-fix")
    invoices, payments = _by_number(engine)
    assert len(payments) == 2
    assert (invoices["FP-001"].paid_amount, invoices["FP-001"].settled_on) == (
        Decimal("300000.00"), date(2026, 11, 10),
    )  # fmt: skip
    assert payments["SK-001"].unapplied == Decimal("100000.00")  # 600k - 200k - 300k


def test_revert_puts_the_reallocated_figures_back_too(engine):
    book(engine)
    run_import(engine, "invoices", INVOICES, request_id="import-inv")
    before = state(engine, skip=TRAIL)
    run_import(engine, "payments", PAYMENTS, request_id="import-pay")
    with unit_of_work(engine, write=False) as s:
        moved = s.exec(
            select(AuditEntry).where(
                AuditEntry.request_id == "import-pay", AuditEntry.entity == "invoice"
            )
        ).all()
    assert {e.after["number"] for e in moved} == {"FP-001", "FP-002", "INV-9"}
    assert all("(after the rows)" in e.summary for e in moved)

    # the invoices import cannot be reverted while the payments import stands on it
    chat = Chat(engine)
    snapshot = state(engine)
    from handlers.csvimport import RevertRefused, revert_import

    with unit_of_work(engine) as s:
        try:
            revert_import(s, "import-inv", actor_id=None, now=chat.now, new_request_id="r1")
        except RevertRefused as exc:
            assert "was changed since" in str(exc)
        else:
            raise AssertionError("the revert should have been refused")
    assert state(engine) == snapshot

    with unit_of_work(engine) as s:
        revert_import(s, "import-pay", actor_id=None, now=chat.now, new_request_id="r2")
    assert state(engine, skip=TRAIL) == before


def test_invoices_and_payments_round_trip_byte_for_byte(engine, empty_database_url):
    book(engine)
    run_import(engine, "invoices", INVOICES)
    run_import(engine, "payments", PAYMENTS)
    first = {kind: export(engine, kind) for kind in ("invoices", "payments")}
    assert ",'=SUM(A1:A9)\r\n" in first["invoices"]
    assert ",'-5% early-payment discount\r\n" in first["invoices"]
    assert "SK-001,Acme,400000.00,CNY,2026-11-10,FP-002,'+86 wire\r\n" in first["payments"]
    other = make_engine(empty_database_url)
    try:
        upgrade(other)
        book(other)
        for kind in ("invoices", "payments"):
            run_import(other, kind, first[kind].encode())
        for kind in ("invoices", "payments"):
            assert export(other, kind).encode() == first[kind].encode(), kind
        assert _by_number(other)[0]["FP-001"].paid_amount == Decimal("200000.00")
    finally:
        other.dispose()


def test_the_samples_of_docs_finance_import_into_the_demo_book(engine):
    from datetime import date as day

    with unit_of_work(engine) as s:
        seed_demo(s, settings=Settings(), today=day(2026, 12, 6))
    run_import(engine, "invoices", (SAMPLES / "invoices.csv").read_bytes())
    run_import(engine, "payments", (SAMPLES / "payments.csv").read_bytes())
    invoices, payments = _by_number(engine)
    assert invoices["FP20261008-0003"].settled_on == date(2026, 11, 6)
    # Acme's unnamed 180,000 pays the 150,000 workshop invoice and leaves a credit
    assert invoices["FP20261125-0031"].settled_on == date(2026, 12, 3)
    assert payments["SK20261203-0021"].unapplied == Decimal("30000.00")
    assert invoices["FP20261101-0007"].paid_amount == Decimal("600000.00")
    assert invoices["FP20261101-0007"].settled_on is None
