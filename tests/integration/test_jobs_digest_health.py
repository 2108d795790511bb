"""The daily digest reports the health rules too: overdue receivables and unhappy customers."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.config import Settings
from domain.models import Account, CsatScore, Invoice
from handlers.notify import RecordingNotifier
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests.harness import book

DIGEST = job_table()["digest"]

AT = datetime(2026, 11, 18, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday


def test_overdue_receivables_and_a_csat_drop_reach_the_team_chat(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        s.add(Invoice(account_id=acme.id, amount=Decimal("300000"), issued_on=date(2026, 9, 1),
                      due_on=date(2026, 10, 1)))  # fmt: skip
        s.add(CsatScore(account_id=acme.id, score=9, comment="", author_id=ids["alice"],
                        recorded_at=AT - timedelta(days=90)))  # fmt: skip
        s.add(CsatScore(account_id=acme.id, score=4, comment="", author_id=ids["alice"],
                        recorded_at=AT - timedelta(days=2)))  # fmt: skip
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, AT)
    [east] = notifier.to("team:East")
    text = "\n".join(east.plain_lines())
    assert "Overdue receivables" in text and "Unhappy customers" in text
    assert "Overdue receivables 1 · ¥300K: Acme ¥300K" in east.lines
