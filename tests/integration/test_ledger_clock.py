"""Claims by the database's clock, renewed while a slow send is in flight (issue 15, item 9).

Two workers are two engines on the same database, each with its own "process clock"
(the ``now`` a scheduler tick hands to ``deliver``).  Whatever those clocks say, and
however long a platform takes to accept a message, one message goes out once.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Delivery
from handlers.notify import Recipient, RecordingNotifier
from handlers.replies import Reply
from schedules.delivery import JobReport, Outbound, deliver
from storage import ledger
from storage.clock import db_now
from storage.engine import make_engine
from storage.ledger import DeliveryKey
from storage.session import unit_of_work

ROOT = Path(__file__).resolve().parents[2]
KEY = DeliveryKey("lapse", "user:alice", "accounts", "2026-11-18")
ALICE = Recipient("slack", "user", "U0ALICE", "user:alice")
MESSAGE = Outbound(KEY, ALICE, Reply(title="3 accounts need a visit"))


class Slow:
    """A platform that takes its time: a send returns only when ``release`` is set (or
    after ``hold`` seconds).  Records what it accepted."""

    def __init__(self, hold: float = 30.0) -> None:
        self.hold = hold
        self.sending = threading.Event()
        self.release = threading.Event()
        self.sent: list[str] = []

    def send(self, recipient: Recipient, reply: Reply) -> None:
        self.sending.set()
        self.release.wait(self.hold)
        self.sent.append(recipient.key)


def short_claims(seconds: float) -> Settings:
    """Settings whose claim timeout is ``seconds`` (the real minimum is a minute; a test
    cannot wait for that).  ``model_copy`` skips validation on purpose."""
    settings = Settings()
    schedule = settings.schedule.model_copy(update={"claim_timeout_minutes": seconds / 60})
    return settings.model_copy(update={"schedule": schedule})


@pytest.fixture
def workers(database_url):
    """Two engines on one database: two scheduler processes."""
    engines = [make_engine(database_url), make_engine(database_url)]
    yield engines
    for e in engines:
        e.dispose()


def row(engine) -> Delivery:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(Delivery)).one()


def in_thread(fn) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def test_a_worker_whose_clock_runs_ahead_never_takes_over_a_live_claim(workers):
    """Worker B's clock is 20 minutes ahead of A's (twice the claim timeout).  Judged by
    process clocks, A's fresh claim looks 20 minutes old to B: B took it over and the
    message went out twice.  Judged by the database's clock it is seconds old."""
    a_engine, b_engine = workers
    now = datetime.now(UTC)
    skew = timedelta(minutes=2 * Settings().schedule.claim_timeout_minutes)
    slow = Slow()
    a_report = JobReport("lapse", now)
    a = in_thread(lambda: deliver(a_engine, Settings(), slow, [MESSAGE], now=now, report=a_report))
    assert slow.sending.wait(10)  # A holds the claim, its send in flight

    b_notifier = RecordingNotifier()
    b_report = JobReport("lapse", now + skew)
    deliver(b_engine, Settings(), b_notifier, [MESSAGE], now=now + skew, report=b_report)
    assert b_notifier.sent == [] and b_report.skipped == [KEY]

    slow.release.set()
    a.join(10)
    assert slow.sent == ["user:alice"] and a_report.sent == [MESSAGE]
    r = row(a_engine)
    assert (r.status, r.attempts) == ("sent", 1)
    with unit_of_work(a_engine, write=False) as s:  # stamped by the database, not by A
        assert abs(r.claimed_at - db_now(s)) < timedelta(minutes=1)


DIES_WITH_ITS_CLOCK_AHEAD = """
import os, signal, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from schedules.delivery import JobReport, deliver
from storage.engine import make_engine
from tests.integration.test_ledger_clock import MESSAGE, short_claims

class Dies:
    def send(self, recipient, reply):
        os.kill(os.getpid(), signal.SIGKILL)

ahead = datetime.now(UTC) + timedelta(minutes=20)
deliver(make_engine(sys.argv[1]), short_claims(1.0), Dies(), [MESSAGE], now=ahead,
        report=JobReport("lapse", ahead))
"""


def test_a_dead_workers_claim_is_taken_over_after_the_timeout_whatever_its_clock(
    workers, database_url
):
    """A worker whose clock ran 20 minutes ahead claims, then is killed mid-send.  Its
    claim goes stale after the timeout by the database's clock — not 20 minutes later,
    as when it was stamped with the dead worker's own clock."""
    done = subprocess.run(
        [sys.executable, "-c", DIES_WITH_ITS_CLOCK_AHEAD, database_url],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr.decode()
    engine = workers[0]
    assert row(engine).status == "pending"
    notifier = RecordingNotifier()
    now = datetime.now(UTC)
    deliver(engine, short_claims(1.0), notifier, [MESSAGE], now=now, report=JobReport("l", now))
    assert notifier.sent == []  # fresh: the worker might still be sending
    time.sleep(1.5)
    deliver(engine, short_claims(1.0), notifier, [MESSAGE], now=now, report=JobReport("l", now))
    assert [rec.key for rec, _ in notifier.sent] == ["user:alice"]
    r = row(engine)
    assert (r.status, r.attempts) == ("sent", 2)


def test_a_send_slower_than_the_claim_timeout_keeps_its_claim_and_goes_out_once(workers):
    """The claim times out after 1 s; the platform takes 4 s to accept.  Another worker
    tries the same message all the while: the sender's heartbeat keeps the claim, so the
    other never sends, and the sender's ``sent`` mark still stands."""
    a_engine, b_engine = workers
    settings = short_claims(1.0)
    now = datetime.now(UTC)
    slow = Slow(hold=4.0)
    a_report = JobReport("lapse", now)
    a = in_thread(lambda: deliver(a_engine, settings, slow, [MESSAGE], now=now, report=a_report))
    assert slow.sending.wait(10)

    b_notifier = RecordingNotifier()
    tries = 0
    while a.is_alive():
        b_now = datetime.now(UTC)  # B's tick: its own clock, right
        deliver(b_engine, settings, b_notifier, [MESSAGE], now=b_now, report=JobReport("l", b_now))
        tries += 1
        time.sleep(0.1)
    assert tries >= 20  # B kept trying for the whole send
    assert b_notifier.sent == []
    assert slow.sent == ["user:alice"] and a_report.sent == [MESSAGE]
    r = row(a_engine)
    assert (r.status, r.attempts) == ("sent", 1)
    assert r.claimed_at > now + timedelta(seconds=2)  # renewed while sending


def test_a_renewal_reports_a_claim_lost_to_a_take_over(engine):
    stale = timedelta(minutes=10)
    with unit_of_work(engine) as s:
        first = ledger.claim(s, KEY, now=db_now(s), worker="a", stale_after=stale, max_attempts=5)
    with unit_of_work(engine) as s:
        assert ledger.renew(s, first, now=db_now(s))
        later = db_now(s) + stale + timedelta(seconds=1)
        second = ledger.claim(s, KEY, now=later, worker="b", stale_after=stale, max_attempts=5)
    assert second is not None and second.attempts == 2
    with unit_of_work(engine) as s:
        assert not ledger.renew(s, first, now=db_now(s))
        assert not ledger.mark_sent(s, first, now=db_now(s))
        assert ledger.renew(s, second, now=db_now(s))
