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
* **The quarterly tier review** (``schedules.tier_review``) ticks like the pushes and
  acts on the first working day of a quarter.
* **Housekeeping** forgets ledger rows of messages sent long ago, nightly at 03:30
  in kam's time zone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine

from domain.settings import Settings
from handlers.metrics import job_timer
from handlers.notify import Notifier
from schedules import jobs
from schedules.tier_review import TIER_REVIEW, run_tier_review
from schedules.timing import Slot, next_slot, runs_on

log = logging.getLogger(__name__)

TICK_MINUTES = 15
JOB_ID_PREFIX = "kam."
HOUSEKEEPING = "housekeeping"

Clock = Callable[[], datetime]

SCHEDULED: dict[str, Callable[..., jobs.JobReport]] = {**jobs.JOBS, TIER_REVIEW: run_tier_review}
"""Every job the scheduler ticks, by name: the pushes, and the quarterly tier review."""


def _tick_trigger() -> CronTrigger:
    return CronTrigger(minute=f"*/{TICK_MINUTES}", timezone=UTC)


def _housekeeping_trigger(settings: Settings) -> CronTrigger:
    return CronTrigger(hour=3, minute=30, timezone=settings.tz)


def tick(
    job: str, engine: Engine, settings: Settings, notifier: Notifier, clock: Clock | None = None
) -> jobs.JobReport | None:
    """One tick of one job, timed for the metrics; errors are logged, never raised into
    the scheduler."""
    now = clock() if clock else datetime.now(UTC)
    try:
        with job_timer(job):
            return SCHEDULED[job](engine, settings, notifier, now)
    except Exception:
        log.exception("scheduled job %s failed at %s", job, now.isoformat())
        return None


def _housekeeping(engine: Engine, clock: Clock | None = None) -> None:
    now = clock() if clock else datetime.now(UTC)
    try:
        forgotten = jobs.housekeeping(engine, now)
        log.info("housekeeping: forgot %d delivered message(s)", forgotten)
    except Exception:
        log.exception("housekeeping failed")


def create_scheduler(
    engine: Engine, settings: Settings, notifier: Notifier, *, clock: Clock | None = None
) -> BackgroundScheduler:
    """A scheduler with every job added, not started (``start()`` it, ``shutdown()`` it).

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
    for name in SCHEDULED:
        scheduler.add_job(
            tick,
            trigger=_tick_trigger(),
            args=(name, engine, settings, notifier, clock),
            id=JOB_ID_PREFIX + name,
            name=name,
            replace_existing=True,
            next_run_time=first,
            **once,
        )
    scheduler.add_job(
        _housekeeping,
        trigger=_housekeeping_trigger(settings),
        args=(engine, clock),
        id=JOB_ID_PREFIX + HOUSEKEEPING,
        name=HOUSEKEEPING,
        replace_existing=True,
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


def _when(slot: Slot) -> str:
    at = slot.at.strftime("%H:%M")
    if slot.weekly:
        return f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[slot.weekday]} {at}"
    return f"weekdays {at}" if slot.weekdays_only else f"daily {at}"


def job_infos(settings: Settings, now: datetime) -> list[JobInfo]:
    """Each job, its slot, and when it next runs (ticks, and the slot in kam's zone)."""
    tz: ZoneInfo = settings.tz
    tick_at = _tick_trigger().get_next_fire_time(None, now.astimezone(UTC))
    out = []
    for name, run in jobs.JOBS.items():
        slot = jobs.slot_of(name, settings)
        out.append(
            JobInfo(
                name=name,
                summary=_summary(run),
                when=_when(slot) + " in each recipient's time zone",
                next_slot=next_slot(now, tz, slot, settings.schedule),
                next_tick=tick_at,
            )
        )
    digest = Slot(settings.schedule.digest_time, weekdays_only=True)
    out.append(
        JobInfo(
            name=TIER_REVIEW,
            summary=_summary(run_tier_review),
            when=f"first working day of each quarter, {digest.at:%H:%M} in {settings.timezone}",
            next_slot=_next_quarter_start(now, tz, digest, settings),
            next_tick=tick_at,
        )
    )
    housekeeping_at = _housekeeping_trigger(settings).get_next_fire_time(None, now.astimezone(tz))
    out.append(
        JobInfo(
            name=HOUSEKEEPING,
            summary="Forget ledger rows of messages sent over 90 days ago.",
            when="daily 03:30",
            next_slot=housekeeping_at,
            next_tick=housekeeping_at,
        )
    )
    return out


def _summary(run: Callable[..., object]) -> str:
    return (run.__doc__ or "").strip().splitlines()[0]


def _next_quarter_start(now: datetime, tz: ZoneInfo, slot: Slot, settings: Settings) -> datetime:
    """The slot on the first working day of the next quarter (or of this one, if ahead)."""
    local = now.astimezone(tz)
    year, month = local.year, (local.month - 1) // 3 * 3 + 1
    for _ in range(2):
        day = datetime(year, month, 1, slot.at.hour, slot.at.minute, tzinfo=tz)
        while not runs_on(day.date(), slot, settings.schedule):
            day += timedelta(days=1)
        if day > local:
            return day
        year, month = (year + 1, 1) if month == 10 else (year, month + 3)
    raise AssertionError("unreachable: the next quarter starts after now")
