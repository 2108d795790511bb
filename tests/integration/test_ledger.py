"""The delivery ledger: claims, take-overs, retries with backoff, giving up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from domain.models import Delivery
from storage import ledger
from storage.ledger import DeliveryKey
from storage.session import unit_of_work

T0 = datetime(2026, 11, 18, 1, 0, tzinfo=UTC)
KEY = DeliveryKey("lapse", "user:alice", "accounts", "2026-11-18")
STALE = timedelta(minutes=10)
MAX = 3


def claim(engine, at=T0, worker="w1", key=KEY):
    with unit_of_work(engine) as s:
        return ledger.claim(s, key, now=at, worker=worker, stale_after=STALE, max_attempts=MAX)


def fail(engine, held, at=T0, retryable=True):
    with unit_of_work(engine) as s:
        return ledger.mark_failed(
            s, held, now=at, error="platform said no", retryable=retryable, max_attempts=MAX
        )


def row(engine, key=KEY) -> Delivery:
    with unit_of_work(engine, write=False) as s:
        return s.exec(
            select(Delivery).where(Delivery.job == key.job, Delivery.period == key.period)
        ).one()


def test_a_key_is_claimed_once_and_stays_taken_once_sent(engine):
    held = claim(engine)
    assert held is not None and held.attempts == 1
    assert claim(engine, worker="w2") is None  # pending and fresh: someone is sending
    with unit_of_work(engine) as s:
        assert ledger.mark_sent(s, held, now=T0 + timedelta(seconds=1))
    assert claim(engine, at=T0 + timedelta(days=30), worker="w2") is None
    r = row(engine)
    assert (r.status, r.attempts, r.claimed_by) == ("sent", 1, "w1")
    assert r.sent_at == T0 + timedelta(seconds=1)


def test_other_keys_are_independent(engine):
    assert claim(engine) is not None
    for other in (
        DeliveryKey("lapse", "user:alice", "accounts", "2026-11-19"),
        DeliveryKey("lapse", "user:bob", "accounts", "2026-11-18"),
        DeliveryKey("lapse", "user:alice", "escalations", "2026-11-18"),
        DeliveryKey("tasks", "user:alice", "accounts", "2026-11-18"),
    ):
        assert claim(engine, key=other) is not None


def test_a_claim_abandoned_past_the_timeout_is_taken_over(engine):
    first = claim(engine, worker="dead")
    assert claim(engine, at=T0 + STALE - timedelta(seconds=1), worker="w2") is None
    second = claim(engine, at=T0 + STALE + timedelta(seconds=1), worker="w2")
    assert second is not None and second.attempts == 2
    # the dead worker, had it come back, could no longer mark the key as its own
    with unit_of_work(engine) as s:
        assert not ledger.mark_sent(s, first, now=T0 + STALE)
        assert ledger.mark_sent(s, second, now=T0 + STALE + timedelta(seconds=2))
    assert row(engine).status == "sent"


def test_a_failed_send_is_retried_after_its_backoff(engine):
    held = claim(engine)
    retry_at = fail(engine, held)
    assert retry_at == T0 + timedelta(minutes=5)
    assert claim(engine, at=retry_at - timedelta(seconds=1)) is None
    again = claim(engine, at=retry_at)
    assert again is not None and again.attempts == 2
    assert fail(engine, again, at=retry_at) == retry_at + timedelta(minutes=10)
    r = row(engine)
    assert (r.status, r.last_error) == ("failed", "platform said no")


def test_after_max_attempts_the_key_is_given_up(engine):
    at = T0
    for attempt in range(1, MAX + 1):
        held = claim(engine, at=at)
        assert held is not None and held.attempts == attempt
        retry_at = fail(engine, held, at=at)
        if attempt < MAX:
            at = retry_at
    assert retry_at is None
    assert claim(engine, at=T0 + timedelta(days=1)) is None
    r = row(engine)
    assert (r.status, r.attempts, r.next_attempt_at) == ("failed", MAX, None)


def test_a_permanent_failure_is_not_retried(engine):
    held = claim(engine)
    assert fail(engine, held, retryable=False) is None
    assert claim(engine, at=T0 + timedelta(days=1)) is None


def test_a_claim_abandoned_too_often_is_given_up_and_shown(engine):
    at = T0
    for _ in range(MAX):
        assert claim(engine, at=at, worker=f"dies-{at.minute}") is not None
        at += STALE + timedelta(minutes=1)
    assert claim(engine, at=at) is None
    r = row(engine)
    assert r.status == "failed" and "abandoned" in r.last_error
    with unit_of_work(engine, write=False) as s:
        assert [d.id for d in ledger.problems(s, now=at, stale_after=STALE)] == [r.id]


def test_claimable_reads_the_ledger_as_claim_would(engine):
    sent_key = KEY
    pending = DeliveryKey("lapse", "user:bob", "accounts", "2026-11-18")
    stale = DeliveryKey("lapse", "user:carol", "accounts", "2026-11-18")
    failed = DeliveryKey("lapse", "user:eve", "accounts", "2026-11-18")
    fresh = DeliveryKey("lapse", "user:wang", "accounts", "2026-11-18")
    held = claim(engine, key=sent_key)
    with unit_of_work(engine) as s:
        ledger.mark_sent(s, held, now=T0)
    claim(engine, key=pending, at=T0 + timedelta(minutes=5))
    claim(engine, key=stale, at=T0 - timedelta(hours=1))
    fail(engine, claim(engine, key=failed))
    now = T0 + timedelta(minutes=6)
    with unit_of_work(engine, write=False) as s:
        keys = [sent_key, pending, stale, failed, fresh]
        found = ledger.claimable(s, keys, now=now, stale_after=STALE, max_attempts=MAX)
        assert found == {stale, failed, fresh}
        assert ledger.is_sent(s, [sent_key, pending, fresh]) == {sent_key}


def test_status_counts_and_problems(engine):
    with unit_of_work(engine) as s:
        for period in ("2026-11-16", "2026-11-17"):
            key = DeliveryKey("digest", "team:East:slack:channel", "risks", period)
            held = ledger.claim(s, key, now=T0, worker="w", stale_after=STALE, max_attempts=MAX)
            ledger.mark_sent(s, held, now=T0)
    fail(engine, claim(engine))
    with unit_of_work(engine, write=False) as s:
        counts = {c.job: c for c in ledger.counts_since(s, T0 - timedelta(days=1))}
        problems = ledger.problems(s, now=T0, stale_after=STALE)
    assert (counts["digest"].sent, counts["digest"].failed) == (2, 0)
    assert (counts["lapse"].sent, counts["lapse"].failed) == (0, 1)
    assert counts["digest"].last_sent_at == T0
    assert [p.recipient for p in problems] == ["user:alice"]


def test_old_sent_rows_are_forgotten(engine):
    with unit_of_work(engine) as s:
        held = ledger.claim(s, KEY, now=T0, worker="w", stale_after=STALE, max_attempts=MAX)
        ledger.mark_sent(s, held, now=T0)
    with unit_of_work(engine) as s:
        assert ledger.forget_sent_before(s, T0) == 0
        assert ledger.forget_sent_before(s, T0 + timedelta(days=1)) == 1


@pytest.mark.parametrize("bad", ["", "x" * 65])
def test_keys_are_never_empty_or_too_long(bad):
    with pytest.raises(ValueError):
        DeliveryKey(bad, "user:alice", "accounts", "2026-11-18")


def test_threads_racing_for_one_key_claim_it_once(engine):
    winners: list[str] = []
    barrier = threading.Barrier(8)

    def race(n: int) -> None:
        barrier.wait()
        held = claim(engine, worker=f"t{n}")
        if held is not None:
            winners.append(held.worker)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert row(engine).claimed_by == winners[0]


def test_threads_racing_to_take_over_a_stale_claim_take_it_once(engine):
    claim(engine, worker="dead")
    winners: list[str] = []
    barrier = threading.Barrier(6)
    later = T0 + STALE + timedelta(minutes=1)

    def race(n: int) -> None:
        barrier.wait()
        held = claim(engine, at=later, worker=f"t{n}")
        if held is not None:
            winners.append(held.worker)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert row(engine).attempts == 2
