"""The scheduler: APScheduler 3 running kam's jobs in the background.

The only module that imports APScheduler.  Design:

* **Ticks, not slots.**  Recipients live in different time zones, so no single cron
  time is "09:00 for everyone".  Every job ticks every ``TICK_MINUTES`` (a cron
  trigger in UTC, timezone explicit) and each tick picks the recipients whose local
  slot has come (``schedules.timing``); the delivery ledger makes the repeated ticks
  inside one slot's window harmless.
* **The ledger guarantees once, not the scheduler.**  Each process keeps its own
  ``MemoryJobStore`` — APScheduler cannot share a job store between processes, and
  does not need to: two processes ticking the same job both try to claim the same
  keys and only one wins each.
* **Catch-up after downtime.**  Jobs are added with fixed ids and
  ``replace_existing=True``, and first run at start, so a bot that was down at 09:00
  sends the morning's messages once when it comes back (while the slot's window,
  ``misfire_grace_hours``, is open) — not once per missed day, and not never.  Ticks
  themselves are coalesced, with a misfire grace of the same hours rather than
  APScheduler's default second, so a paused or overloaded process runs one tick late
  instead of skipping it or running a backlog.
* **One table.**  The jobs come from the job table (``schedules.jobs``), handed in by
  ``bot.bootstrap``: a job that ticks (the pushes, the quarterly tier review, which
  acts on the first working day of a quarter) gets the tick trigger; a job with a
  ``daily_at`` (housekeeping, 03:30) runs once a day then, in kam's time zone, with no
  catch-up at start and no job metrics (the "job failing" alert expects ticks).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from domain.policy import Policy
from handlers.notify import Notifier
from schedules.delivery import JobReport, worker_id
from schedules.registry import JobSpec, JobTable, run
from storage import heartbeat as beats
from storage.clock import db_now
from storage.session import unit_of_work

log = logging.getLogger(__name__)

TICK_MINUTES = 15
JOB_ID_PREFIX = "kam."
HEARTBEAT_ID = JOB_ID_PREFIX + "heartbeat"

Clock = Callable[[], datetime]
Scheduler = BackgroundScheduler


def _tick_trigger() -> CronTrigger:
    return CronTrigger(minute=f"*/{TICK_MINUTES}", timezone=UTC)


def _trigger(spec: JobSpec, settings: Policy) -> CronTrigger:
    if spec.ticks:
        return _tick_trigger()
    at = spec.daily_at
    return CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.tz)


# (job name, seconds, ok): told after every timed run (``bot.metrics`` counts them).
JobObserver = Callable[[str, float, bool], None]


def unobserved(name: str, seconds: float, ok: bool) -> None:
    """The default job observer: records nothing."""


@contextmanager
def job_timer(name: str, on_job: JobObserver) -> Iterator[None]:
    """``with job_timer("lapse", on_job): run()`` — tells ``on_job`` how the block went."""
    started = time.perf_counter()
    ok = False
    try:
        yield
        ok = True
    finally:
        on_job(name, time.perf_counter() - started, ok)


def tick(
    spec: JobSpec,
    engine: Engine,
    settings: Policy,
    notifier: Notifier,
    clock: Clock | None = None,
    on_job: JobObserver = unobserved,
) -> JobReport | None:
    """One scheduled run of one job (timed for the metrics when it ticks); errors are
    logged, never raised into the scheduler."""
    now = clock() if clock else datetime.now(UTC)
    try:
        if not spec.ticks:
            report = run(spec, engine, settings, notifier, now)
        else:
            with job_timer(spec.name, on_job):
                report = run(spec, engine, settings, notifier, now)
    except Exception as exc:
        log.exception("scheduled job %s failed at %s", spec.name, now.isoformat())
        _record_run(engine, spec.name, f"{type(exc).__name__}: {exc}")
        return None
    _record_run(engine, spec.name, None)
    return report


def _record_run(engine: Engine, job: str, error: str | None) -> None:
    """Note the run for ``kam jobs status``; a database that fails here is logged."""
    try:
        with unit_of_work(engine) as session:
            beats.record_run(session, job=job, ok=error is None, error=error, now=db_now(session))
    except Exception:
        log.warning("could not record the run of job %s", job, exc_info=True)


def heartbeat(engine: Engine, worker: str, interval: int) -> beats.Gap | None:
    """This process's scheduler is alive: one beat (``storage.heartbeat``).  A beat
    that ends a gap logs it; the ``watchdog`` job tells the admins after the catch-up."""
    try:
        with unit_of_work(engine) as session:
            gap = beats.beat(session, worker=worker, interval=interval, now=db_now(session))
    except Exception:
        log.warning("scheduler heartbeat failed", exc_info=True)
        return None
    if gap is not None:
        log.warning(
            "no scheduler ran from %s to %s (%s): catching up what is still due",
            gap.start.isoformat(),
            gap.end.isoformat(),
            gap.length,
        )
    return gap


def create_scheduler(
    jobs: JobTable,
    engine: Engine,
    settings: Policy,
    notifier: Notifier,
    *,
    clock: Clock | None = None,
    on_job: JobObserver = unobserved,
) -> Scheduler:
    """A scheduler with every job of the table added, not started (``start()`` it,
    ``shutdown()`` it).

    ``clock`` (default: the real time) is what the jobs take as "now"; APScheduler
    itself always runs on the real clock.
    """
    once = {
        "coalesce": True,
        "misfire_grace_time": settings.schedule.misfire_grace_hours * 3600,
        "max_instances": 1,
    }
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults=once,
        timezone=UTC,
    )
    first = datetime.now(UTC)  # catch up at start: whatever is due runs once, now
    interval = settings.schedule.heartbeat_seconds
    scheduler.add_job(
        heartbeat,
        trigger=IntervalTrigger(seconds=interval, timezone=UTC),
        args=(engine, worker_id(), interval),
        id=HEARTBEAT_ID,
        name="heartbeat",
        replace_existing=True,
        next_run_time=first,  # before the catch-up ticks: a gap is seen first
        **once,
    )
    for spec in jobs:
        at_start = {"next_run_time": first} if spec.ticks else {}
        scheduler.add_job(
            tick,
            trigger=_trigger(spec, settings),
            args=(spec, engine, settings, notifier, clock, on_job),
            id=JOB_ID_PREFIX + spec.name,
            name=spec.name,
            replace_existing=True,
            **at_start,
            **once,
        )
    return scheduler


@dataclass(frozen=True)
class JobInfo:
    """What ``kam jobs list`` shows of a job."""

    name: str
    summary: str
    when: str
    next_slot: datetime | None  # the next slot in kam's time zone
    next_tick: datetime


def job_infos(jobs: JobTable, settings: Policy, now: datetime) -> list[JobInfo]:
    """Each job, its slot, and when it next runs (ticks, and the slot in kam's zone)."""
    out = []
    for spec in jobs:
        if spec.ticks:
            fires = _tick_trigger().get_next_fire_time(None, now.astimezone(UTC))
            slot = spec.next_slot(now, settings)
        else:
            fires = _trigger(spec, settings).get_next_fire_time(None, now.astimezone(settings.tz))
            slot = spec.next_slot(now, settings) or fires
        out.append(
            JobInfo(
                name=spec.name,
                summary=spec.summary,
                when=spec.describe(settings),
                next_slot=slot,
                next_tick=fires,
            )
        )
    return out
