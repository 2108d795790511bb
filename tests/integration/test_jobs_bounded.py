"""The digest and the tier review hold what they send, not the book (issue 16).

Both read the book a page of accounts at a time.  These tests grow a book well past
one page and check, deterministically, that no statement returns more rows than a
page (rows are counted as the driver hands them over), that the digest's counts
still cover every account while it lists the first ones by name, and that the page
size changes nothing in what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, CsatScore, Invoice, TierProposal, User
from handlers import digest
from handlers.digest import digest_reply, gather_risks
from handlers.notify import RecordingNotifier
from schedules.jobs import job_table
from schedules.jobs.tier_review import run_tier_review
from schedules.registry import run
from storage import health
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import book

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 18, 9, 5, tzinfo=SHANGHAI)  # a Wednesday
MANY = 47  # risky accounts in East, well past a page and past what a message lists
PAGE = 8


@dataclass
class Fetched:
    """Rows each statement returned to us, counted at the driver."""

    statements: list[list] = field(default_factory=list)

    @property
    def widest(self) -> int:
        return max((n for _sql, n in self.statements), default=0)

    def widest_sql(self) -> str:
        return max(self.statements, key=lambda s: s[1])[0][:200] if self.statements else ""


def count_rows(engine: Engine) -> Fetched:
    """Count the rows of every SELECT: SQLite through a row factory on the connection,
    PostgreSQL (client-side cursors: the whole result comes back) from ``rowcount``."""
    fetched = Fetched()
    current: dict[int, list] = {}

    def tally(cursor, row):
        current[id(cursor)][1] += 1  # the first row comes during execute: see below
        return row

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, _record, _proxy):
        if engine.dialect.name == "sqlite":
            dbapi_connection.row_factory = tally

    @event.listens_for(engine, "before_cursor_execute")
    def _before(_conn, cursor, statement, _params, _context, _many):
        record = [statement, 0]
        current[id(cursor)] = record
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            fetched.statements.append(record)

    @event.listens_for(engine, "after_cursor_execute")
    def _after(_conn, cursor, _statement, _params, _context, _many):
        if engine.dialect.name != "sqlite":
            current[id(cursor)][1] = max(cursor.rowcount, 0)

    engine.dispose()  # fresh connections: each gets the row factory at checkout
    return fetched


def _east_book(engine: Engine) -> dict:
    """``MANY`` accounts in East with a deal stalled long (high) — names in mixed case so
    the order is the case-insensitive one — and every third also overdue on a step
    (medium); every fifth has an open invoice past due (a health risk)."""
    ids = book(engine)
    with unit_of_work(engine) as s:
        carol = s.get(User, ids["carol"])
        alice = s.get(User, ids["alice"])
        for n in range(MANY):
            name = f"{'bulk' if n % 4 == 0 else 'Bulk'} {MANY - n:02d}"
            owner = carol if n % 2 else alice
            a = f.account(s, name, owner=owner, tier="C")
            f.deal(s, a, f"D{n}", owner=owner, stage="lead", stage_changed_at=AT - timedelta(70))
            if n % 3 == 0:
                f.task(s, a, "Call back", owner=owner, due_at=AT - timedelta(days=2))
            if n % 5 == 0:
                s.add(Invoice(account_id=a.id, amount=Decimal(1000), issued_on=AT.date() - timedelta(60),
                              due_on=AT.date() - timedelta(40)))  # fmt: skip
    return ids


def _digest(engine: Engine, *, batch: int | None = None, limit: int = 20):
    settings = Settings()
    with unit_of_work(engine, write=False) as s:
        east = s.exec(select(User.team_id).where(User.handle == "alice")).one()
        teams = gather_risks(s, settings=settings, now=AT, team_ids={east}, limit=limit,
                             batch=batch)  # fmt: skip
        return digest_reply(teams, lang="en", today=AT.date(), settings=settings)


def test_the_digest_counts_every_account_and_lists_the_first_by_value(engine):
    _east_book(engine)
    reply = _digest(engine, batch=PAGE)
    lines = reply.plain_lines()
    assert lines[1] == "First digest: every risk below is new."
    assert lines[2].startswith(f"Accounts with risks: {MANY + 1} · ")
    invoiced = len(range(0, MANY, 5))
    stalled = next(line for line in lines if line.startswith("Stalled deals"))
    assert stalled.startswith(f"Stalled deals {MANY}")
    receivables = next(line for line in lines if line.startswith("Overdue receivables"))
    # by value: the accounts with an overdue invoice first (¥1K), then by name
    assert (
        receivables
        == f"Overdue receivables {invoiced} · ¥{invoiced}K: Bulk 02 ¥1K, bulk 07 ¥1K, Bulk 12 ¥1K, …"
    )
    assert len(lines) <= 15


def test_the_page_size_changes_nothing_in_the_digest(engine):
    _east_book(engine)
    one_page = _digest(engine, batch=10_000, limit=25)
    for batch in (1, 3, PAGE):
        paged = _digest(engine, batch=batch, limit=25)
        assert paged.plain_lines() == one_page.plain_lines()
        assert paged.fields == one_page.fields


def test_no_digest_statement_returns_more_than_a_page(engine, monkeypatch):
    _east_book(engine)
    monkeypatch.setattr(digest, "BATCH", PAGE)
    fetched = count_rows(engine)
    notifier = RecordingNotifier()
    run(job_table()["digest"], engine, Settings(), notifier, AT)
    (east,) = notifier.to("team:East")
    assert east.lines[0] == "First digest: every risk below is new."
    # a page of accounts, their deals (one each) and the like; never the whole team
    assert 0 < fetched.widest <= 2 * PAGE, fetched.widest_sql()
    assert len(fetched.statements) < 15 * (MANY // PAGE + 2)  # O(pages)


def _tier_book(engine: Engine) -> None:
    """``MANY`` accounts stored as A (score 80) whose customers now score them poorly."""
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice = s.get(User, ids["alice"])
        for n in range(MANY):
            a = f.account(s, f"Tiered {n:02d}", owner=alice, tier="A", score=80.0)
            a.annual_revenue, a.margin_pct, a.payment_days = Decimal(10_000_000), 40.0, 30
            a.years_together, a.executive_contact, a.satisfaction = 5.0, True, 9.0
            s.add(a)
            if n % 2 == 0:
                for days, value in ((60, 2), (5, 1)):
                    s.add(CsatScore(account_id=a.id, score=value, author_id=alice.id,
                                    recorded_at=AT - timedelta(days=days)))  # fmt: skip


def test_the_tier_review_reads_the_book_a_page_at_a_time(engine, monkeypatch):
    _tier_book(engine)
    monkeypatch.setattr(health, "REVIEW_PAGE", PAGE)
    fetched = count_rows(engine)
    report = run_tier_review(engine, Settings(), RecordingNotifier(), AT, on_demand=True)
    assert report.sent
    with unit_of_work(engine, write=False) as s:
        proposed = s.exec(
            select(Account.name).join(TierProposal, TierProposal.account_id == Account.id)
        ).all()
    assert {f"Tiered {n:02d}" for n in range(0, MANY, 2)} <= set(proposed)  # CSAT 1 and 2
    # the accounts come a page at a time; only the proposals (what is sent) come whole
    reads = [(sql, n) for sql, n in fetched.statements if "tier_proposal" not in sql]
    assert 0 < max(n for _sql, n in reads) <= PAGE


def test_the_page_size_changes_nothing_in_the_tier_review(engine, monkeypatch):
    _tier_book(engine)
    settings = Settings()
    whole = run_tier_review(engine, settings, None, AT, on_demand=True, dry_run=True)
    monkeypatch.setattr(health, "REVIEW_PAGE", 3)
    paged = run_tier_review(engine, settings, None, AT, on_demand=True, dry_run=True)
    assert [m.reply.plain_lines() for m in paged.messages] == [
        m.reply.plain_lines() for m in whole.messages
    ]
    assert whole.messages


@pytest.mark.parametrize("size", [0, -1])
def test_a_page_must_hold_something(engine, size):
    book(engine)
    with unit_of_work(engine, write=False) as s, pytest.raises(ValueError):
        next(health.review_pages(s, now=datetime.now(UTC), settings=Settings(), tz=SHANGHAI,
                                 size=size))  # fmt: skip
