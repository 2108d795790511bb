"""A scheduler that cannot die silently: each scheduler process beats in the database;
``/healthz`` and ``kam doctor`` report it stopped within two intervals; the admins are
told, once, when beats resume after a gap, with what the catch-up sent; ``kam jobs
status`` shows the last beat and each job's last run."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from bot.bootstrap import build_app
from bot.config import Settings
from bot.doctor import _scheduler
from bot.server import BotServer
from domain.models import Delivery, JobRun, SchedulerBeat, User
from domain.policy import ScheduleConfig
from handlers.notify import RecordingNotifier
from schedules import scheduler
from schedules.jobs import job_table
from schedules.jobs.watchdog import run_watchdog
from storage import heartbeat as beats
from storage.clock import db_now
from storage.session import unit_of_work
from tests.harness import book

T0 = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)


def _beat(engine, worker: str, at: datetime, interval: int = 60) -> beats.Gap | None:
    with unit_of_work(engine) as s:
        return beats.beat(s, worker=worker, interval=interval, now=at)


def _health(engine, at: datetime) -> beats.SchedulerHealth:
    with unit_of_work(engine, write=False) as s:
        return beats.health(s, now=at)


def test_health_is_never_then_ok_then_stale_after_two_intervals(engine):
    assert _health(engine, T0).state == "never"
    assert _beat(engine, "a", T0) is None
    assert _health(engine, T0 + timedelta(seconds=119)).state == "ok"
    stale = _health(engine, T0 + timedelta(seconds=121))
    assert stale.state == "stale" and stale.age == timedelta(seconds=121)


def test_a_beat_after_a_gap_marks_it_and_a_regular_one_does_not(engine):
    _beat(engine, "a", T0)
    assert _beat(engine, "a", T0 + timedelta(seconds=60)) is None
    # process a dies; b starts three hours later
    gap = _beat(engine, "b", T0 + timedelta(hours=3))
    assert gap == beats.Gap(T0 + timedelta(seconds=60), T0 + timedelta(hours=3))
    with unit_of_work(engine, write=False) as s:
        row = s.get(SchedulerBeat, "b")
        assert (row.gap_from, row.resumed_at) == (gap.start, gap.end)


def test_the_admins_are_told_once_after_the_catch_up_with_what_it_sent(engine):
    book(engine)
    settings, notifier = Settings(), RecordingNotifier()
    _beat(engine, "a", T0)
    back = T0 + timedelta(hours=8)
    _beat(engine, "b", back)
    with unit_of_work(engine) as s:  # the catch-up: one job has run since, one not yet
        s.add(JobRun(job="lapse", last_run_at=back + timedelta(seconds=5), runs=1))
        s.add(JobRun(job="digest", last_run_at=back - timedelta(hours=9), runs=1))
        s.add(Delivery(job="lapse", recipient="user:alice", subject="lapsed", period="2026-12-06",
                       status="sent", sent_at=back + timedelta(seconds=4)))  # fmt: skip
    assert run_watchdog(engine, settings, notifier, back + timedelta(minutes=1)).messages == []
    with unit_of_work(engine) as s:
        s.get(JobRun, "digest").last_run_at = back + timedelta(seconds=30)
    report = run_watchdog(engine, settings, notifier, back + timedelta(minutes=2))
    assert len(report.sent) == 1
    (message,) = notifier.to("user:admin")
    text = "\n".join(message.plain_lines())
    assert message.title == "kam's scheduler is back after 8 h 0 min without one"
    assert "No scheduler ran from 2026-12-06 09:00 to 2026-12-06 17:00 (Asia/Shanghai)." in text
    assert "Caught up since: lapse 1 messages." in text
    assert "were not sent" in text  # 8 h is past the 6 h grace window
    run_watchdog(engine, settings, notifier, back + timedelta(minutes=20))
    assert len(notifier.to("user:admin")) == 1  # once per gap


def test_the_message_is_in_the_admins_language(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        s.get(User, ids["admin"]).language = "zh"
    _beat(engine, "a", T0)
    _beat(engine, "b", T0 + timedelta(minutes=30))
    notifier = RecordingNotifier()
    run_watchdog(engine, Settings(), notifier, T0 + timedelta(hours=1))
    (message,) = notifier.to("user:admin")
    assert message.title == "kam 的定时任务已恢复，此前停了 0 小时 30 分"
    assert "停运期间到期的消息已无待发。" in message.plain_lines()


def test_a_stopped_scheduler_is_reported_by_healthz_and_doctor_within_two_intervals(engine):
    book(engine)
    settings = Settings(schedule=ScheduleConfig(heartbeat_seconds=1))
    sched = scheduler.create_scheduler(job_table(), engine, settings, RecordingNotifier())
    kam = build_app(settings, engine=engine)
    server = BotServer(kam).start_in_thread()
    try:
        sched.start()
        deadline = time.monotonic() + 30
        while _health_now(engine).state != "ok":
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.2)
        assert httpx.get(f"{server.url}/healthz", timeout=10).json() == {"status": "ok"}
        assert not _scheduler(engine).failed
        sched.shutdown(wait=True)
        stopped = time.monotonic()
        while httpx.get(f"{server.url}/healthz", timeout=10).json()["status"] == "ok":
            time.sleep(0.2)
            assert time.monotonic() - stopped < 10
        noticed = time.monotonic() - stopped
        r = httpx.get(f"{server.url}/healthz", timeout=10)
        assert r.status_code == 200 and r.json()["status"] == "degraded"
        assert r.json()["reason"].startswith("scheduler stopped: no heartbeat for")
        assert noticed < 2 * 1 + 2  # two intervals, and the poll's own time
        finding = _scheduler(engine)
        assert (
            finding.failed and "stopped" in finding.detail and "kam jobs scheduler" in finding.fix
        )
    finally:
        if sched.running:
            sched.shutdown(wait=False)
        server.stop()
        kam.close()


def test_healthz_can_be_503_when_degraded(engine):
    settings = Settings(schedule=ScheduleConfig(healthz_degraded_status=503))
    _beat(engine, "a", T0 - timedelta(days=1))
    kam = build_app(settings, engine=engine)
    server = BotServer(kam).start_in_thread()
    try:
        r = httpx.get(f"{server.url}/healthz", timeout=10)
        assert r.status_code == 503 and r.json()["status"] == "degraded"
    finally:
        server.stop()
        kam.close()


def test_doctor_says_when_no_scheduler_ever_ran_without_failing_a_new_installation(engine):
    finding = _scheduler(engine)
    assert not finding.failed and "no scheduler has run on this database yet" in finding.detail


def test_a_tick_records_the_jobs_last_run_and_last_success(engine):
    book(engine)
    settings, notifier = Settings(), RecordingNotifier()
    lapse = job_table()["lapse"]
    scheduler.tick(lapse, engine, settings, notifier)
    with unit_of_work(engine, write=False) as s:
        run = s.get(JobRun, "lapse")
        assert run.runs == 1 and run.last_ok_at == run.last_run_at and run.last_error is None

    def broken(*args, **kwargs):
        raise RuntimeError("book on fire")

    scheduler.tick(replace(lapse, runner=broken, build=None), engine, settings, notifier)
    with unit_of_work(engine, write=False) as s:
        run = s.get(JobRun, "lapse")
        assert run.runs == 2 and run.last_error == "RuntimeError: book on fire"
        assert run.last_ok_at < run.last_run_at


def _health_now(engine) -> beats.SchedulerHealth:
    with unit_of_work(engine, write=False) as s:
        return beats.health(s, now=db_now(s))
