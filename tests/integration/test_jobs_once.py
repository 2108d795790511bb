"""Exactly once: repeated runs, failed sends, killed processes, two processes at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, Contact, Delivery, Reminder, User
from handlers.notify import RecordingNotifier, SendError
from schedules.delivery import JobReport, Outbound, deliver
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.conftest import PG_URL
from tests.harness import book
from tests.ledger_time import age

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 18, 9, 5, tzinfo=SHANGHAI)
ROOT = Path(__file__).resolve().parents[2]
JOBS = job_table()
LAPSE, TASKS = JOBS["lapse"], JOBS["tasks"]


@pytest.fixture
def ids(engine):
    """The harness book, nobody contacted yet: every owner has a lapse warning due."""
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice = s.get(User, ids["alice"])
        for name in ("Stark", "Wayne", "Tyrell"):
            account = f.account(s, name, owner=alice, tier="A")
            f.task(s, account, f"Call {name}", owner=alice, due_at=AT - timedelta(days=2))
    return ids


def deliveries(engine) -> list[Delivery]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(Delivery).order_by(Delivery.id)).all())


def test_running_a_job_twice_sends_each_message_once(engine, ids):
    notifier = RecordingNotifier()
    first = run(LAPSE, engine, Settings(), notifier, AT)
    assert len(first.sent) == len(notifier.sent) == 3  # alice, wang, eve (carol: New York)
    second = run(LAPSE, engine, Settings(), notifier, AT)
    assert second.messages == second.sent == second.skipped == []
    third = run(LAPSE, engine, Settings(), notifier, AT, on_demand=True)
    assert [m.recipient.key for m in third.sent] == ["user:carol"]
    assert len(notifier.sent) == 4
    assert all(d.status == "sent" for d in deliveries(engine))


def test_a_send_that_fails_once_is_retried_and_sent_once(engine, ids):
    notifier = RecordingNotifier(fail_next=1)
    first = run(TASKS, engine, Settings(), notifier, AT)
    assert [key.recipient for key, _error, _retry in first.failed] == ["user:alice"]
    (failed,) = deliveries(engine)
    assert (failed.status, failed.attempts) == ("failed", 1)
    backoff = failed.next_attempt_at - failed.claimed_at  # both by the database's clock
    assert timedelta(minutes=5) <= backoff < timedelta(minutes=5, seconds=30)

    # the next tick comes before the backoff is over: not yet
    age(engine, timedelta(minutes=3))
    assert run(TASKS, engine, Settings(), notifier, AT + timedelta(minutes=3)).sent == []
    age(engine, timedelta(minutes=12))
    retry = run(TASKS, engine, Settings(), notifier, AT + timedelta(minutes=15))
    assert [m.recipient.key for m in retry.sent] == ["user:alice"]
    assert run(TASKS, engine, Settings(), notifier, AT + timedelta(minutes=30)).sent == []
    assert [rec.key for rec, _ in notifier.sent] == ["user:alice"]
    (sent,) = deliveries(engine)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)


class Broken:
    """A notifier with a bug: not even a SendError."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, recipient, reply) -> None:
        self.calls += 1
        raise RuntimeError("boom")


def test_a_notifier_bug_is_a_failure_to_retry_not_a_claim_left_hanging(engine, ids):
    report = run(TASKS, engine, Settings(), Broken(), AT)
    assert report.failed[0][1] == "RuntimeError: boom"
    assert [d.status for d in deliveries(engine)] == ["failed"]
    notifier = RecordingNotifier()
    age(engine, timedelta(minutes=15))
    run(TASKS, engine, Settings(), notifier, AT + timedelta(minutes=15))
    assert len(notifier.sent) == 1


class Refuses:
    def send(self, recipient, reply) -> None:
        raise SendError("channel_not_found", retryable=False)


def test_a_permanent_failure_is_given_up_and_not_retried(engine, ids):
    run(TASKS, engine, Settings(), Refuses(), AT)
    notifier = RecordingNotifier()
    run(TASKS, engine, Settings(), notifier, AT + timedelta(hours=2))
    assert notifier.sent == []
    (d,) = deliveries(engine)
    assert (d.status, d.next_attempt_at, d.last_error) == ("failed", None, "channel_not_found")


DIES_WHILE_SENDING = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from bot.config import Settings
    from schedules.jobs import job_table
    from schedules.registry import run
    from storage.engine import make_engine

    url, job, now = sys.argv[1:4]

    class Dies:
        def send(self, recipient, reply):
            os.kill(os.getpid(), signal.SIGKILL)  # killed before the platform had it

    run(job_table()[job], make_engine(url), Settings(), Dies(), datetime.fromisoformat(now))
    """
)


def test_a_claim_left_pending_by_a_killed_process_is_sent_once_after_its_timeout(
    engine, database_url, ids
):
    done = subprocess.run(
        [sys.executable, "-c", DIES_WHILE_SENDING, database_url, "lapse", AT.isoformat()],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == -9, done.stderr.decode()
    (pending,) = deliveries(engine)
    assert pending.status == "pending"

    notifier = RecordingNotifier()
    soon = run(LAPSE, engine, Settings(), notifier, AT + timedelta(minutes=5))
    assert pending.recipient not in {rec.key for rec, _ in notifier.sent}
    assert len(soon.sent) == 2 and len(soon.skipped) == 0  # the stuck key is not even built
    timeout = Settings().schedule.claim_timeout_minutes
    age(engine, timedelta(minutes=timeout + 1))  # by the database's clock, the claim is stale
    later = run(LAPSE, engine, Settings(), notifier, AT + timedelta(minutes=timeout + 5))
    assert [m.recipient.key for m in later.sent] == [pending.recipient]
    assert Counter(rec.key for rec, _ in notifier.sent) == {
        "user:alice": 1,
        "user:wang": 1,
        "user:eve": 1,
    }
    retried = next(d for d in deliveries(engine) if d.recipient == pending.recipient)
    assert (retried.status, retried.attempts) == ("sent", 2)


RACER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from bot.config import Settings
    from schedules.jobs import job_table
    from schedules.registry import run
    from storage.engine import make_engine

    url, now, out, start_at = sys.argv[1:5]

    class Appends:
        def send(self, recipient, reply):
            line = f"{recipient.key}|{recipient.platform}|{recipient.kind}|{reply.title}\\n"
            fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
            time.sleep(0.02)  # a platform takes a while: widen the race

    import os
    engine = make_engine(url)
    while time.time() < float(start_at):
        time.sleep(0.001)
    for spec in job_table():
        if spec.push:
            run(spec, engine, Settings(), Appends(), datetime.fromisoformat(now), on_demand=True)
    """
)


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="needs KAM_TEST_DATABASE_URL (PostgreSQL)")
def test_two_processes_running_every_job_at_once_send_each_message_once(
    engine, database_url, ids, tmp_path
):
    with unit_of_work(engine) as s:  # something for every job
        acme = s.exec(select(Account).where(Account.name == "Acme")).one()
        alice = s.get(User, ids["alice"])
        f.deal(s, acme, "Stalled pilot", owner=alice, stage_changed_at=AT - timedelta(days=60))
        f.goal(s, year=2026, metric="won_deals", target="10", user=alice)
        li_wei = s.get(Contact, ids["li_wei"])
        li_wei.birthday_day = 18
        s.add(li_wei)
        s.add(Reminder(account_id=acme.id, text="QBR", every_months=3,
                       start_date=date(2026, 8, 18), next_date=date(2026, 11, 18)))  # fmt: skip
    expected = Counter()
    for spec in JOBS:
        if not spec.push:
            continue
        report = run(spec, engine, Settings(), None, AT, dry_run=True, on_demand=True)
        for m in report.messages:
            r = m.recipient
            expected[f"{r.key}|{r.platform}|{r.kind}|{m.reply.title}"] += 1
    assert {key.split("|")[0] for key in expected} >= {"user:alice", "user:bob", "team:East"}
    assert sum(expected.values()) >= 10

    out = tmp_path / "sent.txt"
    start_at = time.time() + 3
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, database_url, AT.isoformat(), str(out), str(start_at)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for p in procs:
        _, err = p.communicate(timeout=180)
        assert p.returncode == 0, err.decode()
    sent = Counter(out.read_text(encoding="utf-8").splitlines())
    assert sent == expected
    assert all(d.status == "sent" and d.attempts == 1 for d in deliveries(engine))
    assert os.path.getsize(out) > 0


def test_a_follow_up_that_fails_never_causes_a_second_send(engine, ids):
    report = run(TASKS, engine, Settings(), None, AT, dry_run=True)
    (message,) = report.messages

    def boom(session, now) -> None:
        session.add(Delivery(job="x", recipient="y", subject="z", period="w"))
        session.flush()
        raise RuntimeError("follow-up failed")

    notifier = RecordingNotifier()
    out = JobReport("tasks", AT)
    broken = Outbound(message.key, message.recipient, message.reply, after_sent=boom)
    deliver(engine, Settings(), notifier, [broken], now=AT, report=out)
    deliver(engine, Settings(), notifier, [broken], now=AT + timedelta(hours=1), report=out)
    assert len(notifier.sent) == 1
    assert [(d.job, d.status) for d in deliveries(engine)] == [("tasks", "sent")]  # rolled back
