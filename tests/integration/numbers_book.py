"""A crafted book for /pipeline, /forecast and /pyramid, every expected number worked
out by hand in the tests (the harness book plus deals, stage histories, goals and
invoices).  NOW is Wed 2026-11-18 10:00 Shanghai; "-N d" means NOW minus N days.

    deal  account  owner  stage        amount     history (to_stage at -N d)         close
    A0    Acme     alice  won          500,000    lead 200, qualify 150, proposal     —
                                                  120, negotiation 90, won 2026-10-15
    A1    Acme     alice  lead         100,000    lead 40                              —
    A2    Acme     alice  qualify      200,000    lead 60, qualify 10                  —
    A3    Acme     alice  proposal     300,000    lead 90, qualify 50, proposal 5      2026-12-15
    G0    Globex   carol  lost          80,000    lead 400 (out of window), qualify    —
                                                  70, lost 30
    G1    Globex   carol  negotiation  400,000    lead 100, proposal 60, negotiation   2026-11-30
                                                  20
    G2    Globex   carol  won          200,000    won 2026-11-05                       —
    H1    华夏重工  wang   proposal   1,000,000    proposal 3                           2027-01-10
    I1    Initech  eve    lead          50,000    lead 5                               —
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.models import Account, DealStageChange, Invoice, User
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Book, book


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def numbers_book(engine) -> Book:
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, carol, wang, eve = (s.get(User, ids[k]) for k in ("alice", "carol", "wang", "eve"))
        acme, huaxia = s.get(Account, ids["acme"]), s.get(Account, ids["huaxia"])
        globex, initech = s.get(Account, ids["globex"]), s.get(Account, ids["initech"])

        def deal(account, name, owner, stage, amount, history, close=None, closed=None):
            last = closed or ago(history[-1][1])
            d = f.deal(s, account, name, owner=owner, amount=amount, stage=stage,
                       stage_changed_at=last, close_date=close)  # fmt: skip
            for to_stage, days in history[:-1]:
                s.add(DealStageChange(deal_id=d.id, to_stage=to_stage, changed_at=ago(days)))
            ids.ids[name] = d.id
            return d

        oct15 = datetime(2026, 10, 15, 15, 0, tzinfo=SHANGHAI)
        nov5 = datetime(2026, 11, 5, 11, 0, tzinfo=SHANGHAI)
        deal(acme, "A0", alice, "won", "500000",
             [("lead", 200), ("qualify", 150), ("proposal", 120), ("negotiation", 90),
              ("won", 0)], closed=oct15)  # fmt: skip
        deal(acme, "A1", alice, "lead", "100000", [("lead", 40)])
        deal(acme, "A2", alice, "qualify", "200000", [("lead", 60), ("qualify", 10)])
        deal(acme, "A3", alice, "proposal", "300000",
             [("lead", 90), ("qualify", 50), ("proposal", 5)], close=date(2026, 12, 15))  # fmt: skip
        deal(globex, "G0", carol, "lost", "80000", [("lead", 400), ("qualify", 70), ("lost", 30)])
        deal(globex, "G1", carol, "negotiation", "400000",
             [("lead", 100), ("proposal", 60), ("negotiation", 20)],
             close=date(2026, 11, 30))  # fmt: skip
        deal(globex, "G2", carol, "won", "200000", [("won", 0)], closed=nov5)
        deal(huaxia, "H1", wang, "proposal", "1000000", [("proposal", 3)],
             close=date(2027, 1, 10))  # fmt: skip
        deal(initech, "I1", eve, "lead", "50000", [("lead", 5)])
    return ids


def invoice(s, account_id: int, amount: str, due: date, *, settled: date | None = None,
            paid: str | None = None, currency: str = "CNY") -> Invoice:  # fmt: skip
    inv = Invoice(
        account_id=account_id,
        amount=Decimal(amount),
        currency=currency,
        paid_amount=Decimal(amount if settled else (paid or "0")),
        issued_on=due - timedelta(days=30),
        due_on=due,
        settled_on=settled,
    )
    s.add(inv)
    s.flush()
    return inv
