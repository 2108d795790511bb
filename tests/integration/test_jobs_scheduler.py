"""The scheduler: fixed ids, explicit time zones, coalescing, no shared job store, and a bot
that was down at 09:00 sending the morning's messages once when it comes back."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import inspect
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, Delivery, User
from domain.policy import ScheduleConfig
from handlers.notify import RecordingNotifier
from schedules import scheduler
from schedules.jobs import job_table
from schedules.registry import JobSpec
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import book

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY = datetime(2026, 11, 18, tzinfo=SHANGHAI)
JOBS = job_table()
DIGEST = JOBS["digest"]


def on(day: datetime, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day.date(), time(hour, minute), SHANGHAI)


@pytest.fixture
def ids(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:  # Acme (A) lapsed: a lapse warning and a digest line
        acme = s.get(Account, ids["acme"])
        f.interaction(s, acme, author=s.get(User, ids["alice"]), at=WEDNESDAY - timedelta(days=20))
    return ids


def test_jobs_have_fixed_ids_explicit_timezones_and_hours_of_grace(engine):
    settings = Settings(schedule=ScheduleConfig(misfire_grace_hours=5))
    sched = scheduler.create_scheduler(JOBS, engine, settings, RecordingNotifier())
    found = {job.id: job for job in sched.get_jobs()}
    beat = found.pop("kam.heartbeat")  # every heartbeat_seconds, first at start
    assert beat.next_run_time is not None and beat.trigger.interval.total_seconds() == 60
    pushes = [
        "lapse",
        "birthdays",
        "tasks",
        "reminders",
        "goals",
        "week",
        "week-team",
        "digest",
        "team",
    ]
    assert sorted(found) == sorted(
        f"kam.{name}" for name in [*pushes, "tier-review", "housekeeping", "rfm", "watchdog"]
    )
    for job in found.values():
        assert isinstance(job.trigger, CronTrigger)
        assert job.coalesce is True
        assert job.misfire_grace_time == 5 * 3600
        assert job.max_instances == 1
    assert str(found["kam.digest"].trigger.timezone) == "UTC"
    assert str(found["kam.housekeeping"].trigger.timezone) == "Asia/Shanghai"
    # every tick job runs once at start: the catch-up (rfm ranks a book with nothing stored)
    ticking = [*pushes, "tier-review", "rfm", "watchdog"]
    assert all(found[f"kam.{name}"].next_run_time is not None for name in ticking)


def run_scheduler(engine, settings, notifier, now: datetime) -> None:
    """Start a scheduler whose jobs see ``now``, let the start-up ticks run, stop it."""
    sched = scheduler.create_scheduler(JOBS, engine, settings, notifier, clock=lambda: now)
    done = threading.Event()
    ran: set[str] = set()
    ticks = {f"kam.{spec.name}" for spec in JOBS if spec.ticks}

    def listen(event) -> None:
        assert event.code != EVENT_JOB_ERROR, event.exception
        ran.add(event.job_id)
        if ticks <= ran:
            done.set()

    sched.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    sched.start()
    try:
        assert done.wait(60), f"only {sorted(ran)} ran"
    finally:
        sched.shutdown(wait=True)


def digests(engine) -> list[str]:
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(select(Delivery).where(Delivery.job == "digest")).all()
        return sorted(f"{d.recipient} {d.period} {d.status}" for d in rows)


def test_a_bot_down_over_nine_sends_the_morning_once_when_it_comes_back(engine, ids):
    settings, notifier = Settings(), RecordingNotifier()
    scheduler.tick(DIGEST, engine, settings, notifier, clock=lambda: on(WEDNESDAY, 8, 50))
    assert notifier.sent == []  # then the bot goes down at 08:55

    run_scheduler(engine, settings, notifier, on(WEDNESDAY, 11, 20))  # back at 11:20
    assert len(notifier.to("team:East")) == 1
    assert len(notifier.to("user:alice")) == 1  # the lapse warning too
    run_scheduler(engine, settings, notifier, on(WEDNESDAY, 11, 35))  # restarted again
    assert len(notifier.to("team:East")) == 1
    assert digests(engine) == ["team:East:slack:channel 2026-11-18 sent"]


def test_down_for_days_sends_today_once_not_once_per_missed_day(engine, ids):
    settings, notifier = Settings(), RecordingNotifier()
    run_scheduler(engine, settings, notifier, on(WEDNESDAY + timedelta(days=2), 10))  # Friday
    assert len(notifier.to("team:East")) == 1
    assert digests(engine) == ["team:East:slack:channel 2026-11-20 sent"]


def test_back_after_the_grace_period_waits_for_the_next_morning(engine, ids):
    settings, notifier = Settings(), RecordingNotifier()  # 09:00 + 6 hours of grace
    run_scheduler(engine, settings, notifier, on(WEDNESDAY, 15, 10))
    assert notifier.to("team:East") == []
    scheduler.tick(DIGEST, engine, settings, notifier, clock=lambda: on(WEDNESDAY, 14, 50))
    assert len(notifier.to("team:East")) == 1  # (had it come back at 14:50)
    scheduler.tick(
        DIGEST, engine, settings, notifier, clock=lambda: on(WEDNESDAY + timedelta(days=1), 9)
    )
    assert len(notifier.to("team:East")) == 2


def test_the_scheduler_keeps_no_job_store_in_the_database(engine, ids):
    run_scheduler(engine, Settings(), RecordingNotifier(), on(WEDNESDAY, 9, 5))
    tables = inspect(engine).get_table_names()
    assert not [t for t in tables if "apscheduler" in t]


def test_a_failing_job_is_logged_and_the_scheduler_goes_on(engine, ids, caplog):
    class Exploding:
        def send(self, recipient, reply):
            raise RuntimeError("boom")

    report = scheduler.tick(
        DIGEST, engine, Settings(), Exploding(), clock=lambda: on(WEDNESDAY, 9, 5)
    )
    assert report is not None and report.failed  # a notifier bug: a failed delivery

    def crashes(*_args, **_kw):
        raise RuntimeError("a bug in the job")

    buggy = JobSpec(name="buggy", summary="Crashes.", runner=crashes)
    broken = scheduler.tick(buggy, engine, Settings(), Exploding(), clock=datetime.now)
    assert broken is None
    assert "scheduled job buggy failed" in caplog.text


def test_job_infos_show_the_next_slot_in_kams_time_zone():
    now = datetime(2026, 11, 18, 2, 1, tzinfo=UTC)  # 10:01 Wednesday in Shanghai
    infos = {i.name: i for i in scheduler.job_infos(JOBS, Settings(), now)}
    assert infos["lapse"].next_slot == datetime(2026, 11, 19, 9, 0, tzinfo=SHANGHAI)
    assert infos["goals"].next_slot == datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    assert infos["digest"].when == "working days 09:00 in each recipient's time zone"
    assert infos["lapse"].next_tick == datetime(2026, 11, 18, 2, 15, tzinfo=UTC)
    # 2027-01-01 is 元旦, a holiday: the first working day of 2027 Q1 is Monday Jan 4
    assert infos["tier-review"].next_slot == datetime(2027, 1, 4, 9, 0, tzinfo=SHANGHAI)
