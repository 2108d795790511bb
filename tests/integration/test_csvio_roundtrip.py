"""Export → import → export of every kind, formula-looking cells included: same bytes.

And the import grammar is chat's: amounts like ``120万`` or ``1.2m``, year-first dates
in any of chat's spellings, names in any case, people by handle or display name.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import select

from domain.models import Account, Contact, Deal, Invoice, Payment, Team, User
from storage.csvio import BOM, KINDS
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work
from tests import factories as f
from tests.csvkit import dry_run, export, run_import, state
from tests.harness import book

TRAIL = ("audit_entry",)


def _dress_up(engine) -> None:
    """Cells a spreadsheet would run as formulas, and every column a team keeps."""
    b = book(engine)
    with unit_of_work(engine) as s:
        globex = s.get(Account, b["globex"])
        globex.industry = '=HYPERLINK("http://evil.example","Click")'
        globex.growth_pct = -3.5
        globex.credit_limit = Decimal("5000000.00")
        globex.acquisition_cost = Decimal("120000.00")
        globex.expected_years = 4.5
        globex.snoozed_until = date(2026, 12, 1)
        globex.snooze_reason = "@finance says wait"
        s.add(globex)
        tom = s.get(Contact, b["tom"])
        tom.phone = "+86 138 0013 8000"
        tom.title = "\tIT lead"
        s.add(tom)
        acme = s.get(Account, b["acme"])
        alice = s.get(User, b["alice"])
        f.deal(s, acme, "Line 3", owner=alice, amount="2400000", stage="lost",
               close_date=date(2026, 10, 1))  # fmt: skip
        deal = s.exec(select(Deal).where(Deal.name == "Line 3")).one()
        deal.lost_reason = "-5% price cut"
        s.add(deal)
        invoice = Invoice(
            number="FP-7", account_id=acme.id, amount=Decimal("300000.00"),
            issued_on=date(2026, 10, 1), due_on=date(2026, 10, 31), note="@ap team",
        )  # fmt: skip
        s.add(invoice)
        s.flush()
        s.add(
            Payment(
                number="SK-7", account_id=acme.id, amount=Decimal("100000.00"),
                received_on=date(2026, 10, 20), invoice_id=invoice.id, note="-5% early",
            )
        )  # fmt: skip
        west = s.get(Team, b["west"])
        west.wecom_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET"
        s.add(west)


def test_every_kind_round_trips_byte_for_byte(engine, empty_database_url):
    _dress_up(engine)
    first = {kind: export(engine, kind) for kind in KINDS}
    # formula-looking cells are written as text, with a leading quote
    assert '"\'=HYPERLINK(""http://evil.example"",""Click"")"' in first["accounts"]
    assert ",'-3.5," in first["accounts"] and ",'@finance says wait\r\n" in first["accounts"]
    assert "'+86 138 0013 8000" in first["contacts"] and ",'\tIT lead," in first["contacts"]
    assert ",'-5% price cut\r\n" in first["deals"]
    assert "FP-7,Acme,300000.00,CNY,2026-10-01,2026-10-31,'@ap team\r\n" in first["invoices"]
    assert "SK-7,Acme,100000.00,CNY,2026-10-20,FP-7,'-5% early\r\n" in first["payments"]
    # the webhook's secret key never leaves the server
    assert (
        first["teams"].removeprefix(BOM).startswith("name,managers,slack_channel,wecom_chat_id\r\n")
    )
    assert "SECRET" not in first["teams"]
    assert "East,bob,C0EAST,\r\n" in first["teams"]

    # importing the export into the same book changes nothing
    before = state(engine)
    for kind in KINDS:
        plan = dry_run(engine, kind, first[kind].encode())
        assert {row.action for row in plan.rows} == {"unchanged"}, kind
        assert run_import(engine, kind, first[kind].encode()).updated == 0
    assert state(engine) == before

    # into an empty book, then out again: the same bytes
    other = make_engine(empty_database_url)
    try:
        upgrade(other)
        with unit_of_work(other) as s:
            s.add(User(handle="admin", display_name="Admin", role="admin"))
        run_import(other, "teams", "name\nEast\n华东\nWest\n")  # users name their team
        for kind in KINDS:
            run_import(other, kind, first[kind].encode())
        second = {kind: export(other, kind) for kind in KINDS}
        for kind in KINDS:
            assert second[kind].encode() == first[kind].encode(), kind
        with unit_of_work(other, write=False) as s:
            tom = s.exec(select(Contact).where(Contact.name == "Tom Brown")).one()
            assert (tom.phone, tom.title) == ("+86 138 0013 8000", "\tIT lead")
            globex = s.exec(select(Account).where(Account.name == "Globex")).one()
            assert globex.industry == '=HYPERLINK("http://evil.example","Click")'
            assert (globex.growth_pct, globex.expected_years) == (-3.5, 4.5)
            assert (globex.credit_limit, globex.snoozed_until) == (
                Decimal("5000000.00"),
                date(2026, 12, 1),
            )
    finally:
        other.dispose()


def test_amounts_dates_and_names_as_chat_reads_them(engine):
    b = book(engine)
    before_accounts = state(engine)["account"]
    run_import(
        engine,
        "accounts",
        "name,owner,annual_revenue,credit_limit,acquisition_cost,partnership_start,snoozed_until\n"
        'acme,Alice Chen,120万,"¥1,200,000",300k,2026/3/5,2026年3月5日\n'
        "GLOBEX,@carol,1.2m,1.5亿,3千,2026.3.5,2026-03-05\n",
    )
    with unit_of_work(engine, write=False) as s:
        accounts = s.exec(select(Account).order_by(Account.id)).all()
        assert len(accounts) == len(before_accounts)  # no duplicate took over /account acme
        acme, globex = s.get(Account, b["acme"]), s.get(Account, b["globex"])
        assert (acme.name, acme.owner_id) == ("Acme", b["alice"])
        assert acme.annual_revenue == Decimal("1200000.00")
        assert acme.credit_limit == Decimal("1200000.00")
        assert acme.acquisition_cost == Decimal("300000.00")
        assert acme.partnership_start == date(2026, 3, 5) == acme.snoozed_until
        assert (globex.name, globex.owner_id) == ("Globex", b["carol"])
        assert globex.annual_revenue == Decimal("1200000.00")
        assert globex.credit_limit == Decimal("150000000.00")
        assert globex.acquisition_cost == Decimal("3000.00")
        assert globex.partnership_start == date(2026, 3, 5) == globex.snoozed_until

    result = run_import(
        engine,
        "deals",
        "account,name,amount,stage,close_date,owner\n"
        "华夏,二期,$20k,proposal,2026年12月31日,王磊\n"
        "acme corp,Renewal,1.2m,qualify,2027-01-15,\n",
    )
    assert result.created == 2
    with unit_of_work(engine, write=False) as s:
        phase2 = s.exec(select(Deal).where(Deal.name == "二期")).one()
        assert (phase2.account_id, phase2.owner_id) == (b["huaxia"], b["wang"])
        assert (phase2.amount, phase2.currency) == (Decimal("20000.00"), "USD")
        assert phase2.close_date == date(2026, 12, 31)
        renewal = s.exec(select(Deal).where(Deal.name == "Renewal")).one()
        assert (renewal.account_id, renewal.owner_id) == (b["acme"], b["alice"])
        assert (renewal.amount, renewal.currency) == (Decimal("1200000.00"), "CNY")


def test_a_webhook_can_be_imported_but_its_key_is_never_shown(engine):
    b = book(engine)
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-SECRET-123"
    text = f"name,wecom_webhook\n华东,{url}\n"
    plan = dry_run(engine, "teams", text)
    assert [(c.column, c.old, c.new) for c in plan.rows[0].changes] == [
        ("wecom_webhook", "", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…")
    ]
    run_import(engine, "teams", text)
    with unit_of_work(engine, write=False) as s:
        assert s.get(Team, b["huadong"]).wecom_webhook == url
        from domain.models import AuditEntry

        summaries = [e.summary for e in s.exec(select(AuditEntry)).all()]
    assert summaries == ["import teams.csv line 2: 华东: wecom_webhook — → "
                         "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"]  # fmt: skip
    assert "SECRET" not in export(engine, "teams")
