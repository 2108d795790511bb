"""The delivery ledger: the record that makes every scheduled message go out once.

A message has a key — (job, recipient, subject, period), all NOT NULL and unique
together in ``delivery`` — and its row moves through three states::

    claim ──► pending ──► mark_sent ──► sent
                 │
                 └──────► mark_failed ──► failed ──(next_attempt_at has come)──► pending …

``claim`` is ``INSERT … ON CONFLICT DO NOTHING``: of any number of processes that try
the same key, exactly one inserts the row and may send.  A row that already exists is
taken over only when its owner has evidently stopped — pending for longer than the
claim timeout (the process died), or failed with its retry time reached — and the take-
over is an ``UPDATE`` that matches the row's ``attempts`` as read, so it also succeeds
for one process only.  ``attempts`` grows on every claim and serves as the row's
version.  After ``max_attempts`` a key is given up and stays ``failed`` for
``kam jobs status`` to show.

The claim is committed before the message is sent and ``mark_sent`` right after, each
in its own short transaction; callers must do nothing else in between.  While the send
is in flight its sender renews the claim (``renew``; ``schedules.delivery`` does it from a
heartbeat thread), so a slow send is never taken for an abandoned one: only a claim
whose owner stopped renewing — a dead process — goes stale.  A take-over matches the
staleness in its ``UPDATE`` too, so a renewal that lands between another process's read
and its update wins.

**One clock.**  Every ``now`` given to these functions must be the *database's* time
(``storage.clock.db_now``), never a process's: ``claimed_at``, ``next_attempt_at`` and
``sent_at`` are stamped with it and compared with it, so two workers whose clocks
disagree by minutes still agree on which claim is stale.  (The job's own "now" — which
period, which slot — is another matter and stays the job's.)

One window remains: a process that dies after the platform accepted a message and
before ``mark_sent`` commits leaves a pending claim that is taken over after the
timeout, so that message goes out again.  WeCom drops it when it is asked to (its
``enable_duplicate_check`` on ``message/send``: the same request within the interval
is not delivered twice); WeCom group chats and robots and Slack have no such check.

Every function takes a session and never commits: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from domain.models import Delivery, DeliveryStatus

PENDING = DeliveryStatus.pending.value
SENT = DeliveryStatus.sent.value
FAILED = DeliveryStatus.failed.value

RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=2)

_LIMITS = {"job": 64, "recipient": 200, "subject": 200, "period": 32}


@dataclass(frozen=True, order=True)
class DeliveryKey:
    """What makes a message the same message: never empty, never longer than its column."""

    job: str
    recipient: str
    subject: str
    period: str

    def __post_init__(self) -> None:
        for name, limit in _LIMITS.items():
            value = getattr(self, name)
            if not value or len(value) > limit:
                raise ValueError(f"delivery key {name} must be 1-{limit} characters: {value!r}")

    def __str__(self) -> str:
        return f"{self.job}/{self.recipient}/{self.subject}/{self.period}"


@dataclass(frozen=True)
class Claim:
    """The right to send one message, held by ``worker`` at attempt ``attempts``."""

    id: int
    key: DeliveryKey
    attempts: int
    worker: str


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: 5, 10, 20… minutes, at most 2 h."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def _insert(session: Session):
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _where_key(key: DeliveryKey):
    return (
        Delivery.job == key.job,
        Delivery.recipient == key.recipient,
        Delivery.subject == key.subject,
        Delivery.period == key.period,
    )


def claim(
    session: Session,
    key: DeliveryKey,
    *,
    now: datetime,
    worker: str,
    stale_after: timedelta,
    max_attempts: int,
) -> Claim | None:
    """Take the key for sending, or None when it is sent, being sent, or not due for retry."""
    stmt = (
        _insert(session)(Delivery)
        .values(
            job=key.job,
            recipient=key.recipient,
            subject=key.subject,
            period=key.period,
            status=PENDING,
            attempts=1,
            claimed_at=now,
            claimed_by=worker[:100],
        )
        .on_conflict_do_nothing(index_elements=["job", "recipient", "subject", "period"])
        .returning(Delivery.id)
    )
    new_id = session.execute(stmt).scalar()
    if new_id is not None:
        return Claim(new_id, key, 1, worker[:100])

    row_id, status, attempts, claimed_at, retry_at = session.exec(
        select(
            Delivery.id,
            Delivery.status,
            Delivery.attempts,
            Delivery.claimed_at,
            Delivery.next_attempt_at,
        ).where(*_where_key(key))
    ).one()
    if status == SENT:
        return None
    if status == PENDING and claimed_at > now - stale_after:
        return None
    if status == FAILED and (retry_at is None or retry_at > now):
        return None
    if attempts >= max_attempts:
        if status == PENDING:  # a claim abandoned once too often: give the key up
            session.execute(
                update(Delivery)
                .where(
                    Delivery.id == row_id, Delivery.status == PENDING, Delivery.attempts == attempts
                )
                .values(
                    status=FAILED,
                    next_attempt_at=None,
                    last_error=f"claim abandoned {attempts} times; given up",
                )
            )
        return None
    # Still as read, and still stale or due *now* (a renewal since the read wins).
    still = (
        Delivery.claimed_at <= now - stale_after
        if status == PENDING
        else Delivery.next_attempt_at <= now
    )
    taken = session.execute(
        update(Delivery)
        .where(
            Delivery.id == row_id,
            Delivery.status == status,
            Delivery.attempts == attempts,
            still,
        )
        .values(
            status=PENDING,
            attempts=attempts + 1,
            claimed_at=now,
            claimed_by=worker[:100],
            next_attempt_at=None,
        )
    ).rowcount
    return Claim(row_id, key, attempts + 1, worker[:100]) if taken == 1 else None


def _held(c: Claim):
    return (
        Delivery.id == c.id,
        Delivery.status == PENDING,
        Delivery.claimed_by == c.worker,
        Delivery.attempts == c.attempts,
    )


def renew(session: Session, c: Claim, *, now: datetime) -> bool:
    """Keep a claim fresh while its message is being sent; False if it was lost meanwhile
    (taken over after the timeout, or already marked)."""
    done = session.execute(update(Delivery).where(*_held(c)).values(claimed_at=now)).rowcount
    return done == 1


def mark_sent(session: Session, c: Claim, *, now: datetime) -> bool:
    """Record the message as sent; False if the claim had meanwhile been taken over."""
    done = session.execute(
        update(Delivery).where(*_held(c)).values(status=SENT, sent_at=now, last_error=None)
    ).rowcount
    return done == 1


def mark_failed(
    session: Session, c: Claim, *, now: datetime, error: str, retryable: bool, max_attempts: int
) -> datetime | None:
    """Record a failed send; return when it may be retried (None: given up)."""
    retry_at = None
    if retryable and c.attempts < max_attempts:
        retry_at = now + retry_delay(c.attempts)
    session.execute(
        update(Delivery)
        .where(*_held(c))
        .values(status=FAILED, next_attempt_at=retry_at, last_error=error[:1000])
    )
    return retry_at


def claimable(
    session: Session,
    keys: Iterable[DeliveryKey],
    *,
    now: datetime,
    stale_after: timedelta,
    max_attempts: int,
) -> set[DeliveryKey]:
    """Which of ``keys`` ``claim`` could take now (read-only; a claim may still lose a race).

    One query, whatever the number of keys: the rows of their jobs and periods are
    read and matched here.
    """
    keys = set(keys)
    if not keys:
        return set()
    jobs = sorted({k.job for k in keys})
    periods = sorted({k.period for k in keys})
    rows = session.exec(
        select(
            Delivery.job,
            Delivery.recipient,
            Delivery.subject,
            Delivery.period,
            Delivery.status,
            Delivery.attempts,
            Delivery.claimed_at,
            Delivery.next_attempt_at,
        ).where(Delivery.job.in_(jobs), Delivery.period.in_(periods))
    )
    taken: set[DeliveryKey] = set()
    for job, recipient, subject, period, status, attempts, claimed_at, retry_at in rows:
        key = DeliveryKey(job, recipient, subject, period)
        if key not in keys:
            continue
        if (
            status == SENT
            or attempts >= max_attempts
            or (status == PENDING and claimed_at > now - stale_after)
            or (status == FAILED and (retry_at is None or retry_at > now))
        ):
            taken.add(key)
    return keys - taken


def is_sent(session: Session, keys: Iterable[DeliveryKey]) -> set[DeliveryKey]:
    """Which of ``keys`` are already sent (for a dry run's 'already sent' count)."""
    keys = set(keys)
    if not keys:
        return set()
    rows = session.exec(
        select(Delivery.job, Delivery.recipient, Delivery.subject, Delivery.period).where(
            Delivery.job.in_(sorted({k.job for k in keys})),
            Delivery.period.in_(sorted({k.period for k in keys})),
            Delivery.status == SENT,
        )
    )
    return {DeliveryKey(*row) for row in rows} & keys


@dataclass(frozen=True)
class JobCounts:
    job: str
    sent: int
    pending: int
    failed: int
    last_sent_at: datetime | None


def counts_since(session: Session, since: datetime) -> list[JobCounts]:
    """Per job: messages sent, pending and failed among keys claimed since ``since``."""
    rows = session.exec(
        select(Delivery.job, Delivery.status, func.count(Delivery.id), func.max(Delivery.sent_at))
        .where(Delivery.claimed_at >= since)
        .group_by(Delivery.job, Delivery.status)
    )
    by_job: dict[str, dict[str, object]] = {}
    for job, status, n, last in rows:
        entry = by_job.setdefault(job, {"last": None})
        entry[status] = n
        if last is not None and (entry["last"] is None or last > entry["last"]):
            entry["last"] = last
    return [
        JobCounts(
            job,
            int(e.get(SENT, 0)),
            int(e.get(PENDING, 0)),
            int(e.get(FAILED, 0)),
            e["last"],  # type: ignore[arg-type]
        )
        for job, e in sorted(by_job.items())
    ]


def problems(
    session: Session, *, now: datetime, stale_after: timedelta, limit: int = 50
) -> list[Delivery]:
    """Failed keys and claims pending past the timeout, newest first."""
    return list(
        session.exec(
            select(Delivery)
            .where(
                (Delivery.status == FAILED)
                | ((Delivery.status == PENDING) & (Delivery.claimed_at <= now - stale_after))
            )
            .order_by(Delivery.claimed_at.desc(), Delivery.id.desc())
            .limit(limit)
        ).all()
    )


def _sent_before(cutoff: datetime):
    return (Delivery.status == SENT, Delivery.claimed_at < cutoff)


def forget_sent_before(session: Session, cutoff: datetime) -> int:
    """Drop sent rows claimed before ``cutoff`` (their periods are long over)."""
    return session.execute(delete(Delivery).where(*_sent_before(cutoff))).rowcount


def count_sent_before(session: Session, cutoff: datetime) -> int:
    """How many rows ``forget_sent_before`` would drop (a dry run reads, never writes)."""
    return session.execute(
        select(func.count()).select_from(Delivery).where(*_sent_before(cutoff))
    ).scalar_one()
