"""The scheduler's heartbeat, and each job's last run (``scheduler_beat``, ``job_run``).

Every scheduler process beats every ``interval`` seconds (``schedules.scheduler``):
its row's ``beat_at`` moves, on the database's clock so that processes on different
machines agree.  ``health`` judges the newest beat of any process: older than two
intervals is *stale* — no scheduler is running, so no reminder goes out.  A beat that
finds the newest earlier beat stale marks its row with the gap (``gap_from``,
``resumed_at``); the ``watchdog`` job tells the admins once the catch-up has run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from domain.models import Delivery, DeliveryStatus, JobRun, SchedulerBeat

STALE_AFTER_INTERVALS = 2
FORGET_AFTER = timedelta(days=7)  # a dead process's row is dropped after a week


@dataclass(frozen=True)
class Gap:
    """No scheduler beat between ``start`` (the last beat before) and ``end``."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def beat(session: Session, *, worker: str, interval: int, now: datetime) -> Gap | None:
    """Record ``worker``'s beat at ``now`` (the database's clock); the gap it ends, if
    the newest beat of any process before it was stale."""
    last = session.exec(
        select(func.max(SchedulerBeat.beat_at)).where(SchedulerBeat.worker != worker)
    ).one()
    row = session.get(SchedulerBeat, worker)
    own_last = row.beat_at if row is not None else None
    newest = max((t for t in (last, own_last) if t is not None), default=None)
    gap = None
    if newest is not None and now - newest > timedelta(seconds=STALE_AFTER_INTERVALS * interval):
        gap = Gap(newest, now)
    if row is None:
        row = SchedulerBeat(worker=worker, started_at=now, beat_at=now, interval_seconds=interval)
    row.beat_at, row.interval_seconds = now, interval
    if gap is not None:
        row.gap_from, row.resumed_at = gap.start, gap.end
    session.add(row)
    session.exec(delete(SchedulerBeat).where(SchedulerBeat.beat_at < now - FORGET_AFTER))
    return gap


@dataclass(frozen=True)
class SchedulerHealth:
    """``ok``, ``stale`` (no beat for two intervals) or ``never`` (no scheduler ever
    beat on this database); ``age`` since the newest beat."""

    state: str
    last_beat: datetime | None = None
    interval: int | None = None
    age: timedelta | None = None

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def health(session: Session, *, now: datetime) -> SchedulerHealth:
    newest = session.exec(
        select(SchedulerBeat).order_by(SchedulerBeat.beat_at.desc()).limit(1)
    ).first()
    if newest is None:
        return SchedulerHealth("never")
    age = now - newest.beat_at
    stale = age > timedelta(seconds=STALE_AFTER_INTERVALS * newest.interval_seconds)
    return SchedulerHealth("stale" if stale else "ok", newest.beat_at, newest.interval_seconds, age)


def record_run(session: Session, *, job: str, ok: bool, error: str | None, now: datetime) -> None:
    """One scheduled run of ``job`` ended, well or not."""
    row = session.get(JobRun, job) or JobRun(job=job, last_run_at=now)
    row.last_run_at, row.runs = now, row.runs + 1
    if ok:
        row.last_ok_at, row.last_error = now, None
    else:
        row.last_error = (error or "failed")[:1000]
    session.add(row)


def job_runs(session: Session) -> dict[str, JobRun]:
    return {r.job: r for r in session.exec(select(JobRun))}


def unannounced_gaps(session: Session) -> list[SchedulerBeat]:
    """The beats that ended a gap, newest first (the watchdog's ledger says which it
    has told already)."""
    stmt = (
        select(SchedulerBeat)
        .where(SchedulerBeat.gap_from.is_not(None))
        .order_by(SchedulerBeat.resumed_at.desc())
    )
    return list(session.exec(stmt))


def sent_since(session: Session, since: datetime) -> dict[str, int]:
    """Messages each job sent since ``since``: what a catch-up delivered."""
    rows = session.exec(
        select(Delivery.job, func.count())
        .where(Delivery.status == DeliveryStatus.sent.value, Delivery.sent_at >= since)
        .group_by(Delivery.job)
    ).all()
    return {job: n for job, n in rows}
