"""The pushes follow China's working calendar: no working-days digest on 国庆, one on a
make-up Saturday (调休) from chinese_calendar's 2026 data, and the first tier review of
2027 on its first working day, not on 元旦 (a year the package does not cover yet: the
rule-based holidays stand in)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bot.config import Settings
from domain.models import TierReview
from domain.policy import CalendarConfig
from handlers.notify import RecordingNotifier
from schedules.jobs import job_table
from schedules.jobs.tier_review import run_tier_review
from schedules.registry import run
from storage.session import unit_of_work
from tests.harness import SHANGHAI, book

DIGEST = job_table()["digest"]


def _digest_chats(engine, at: datetime, settings: Settings | None = None) -> list[str]:
    notifier = RecordingNotifier()
    run(DIGEST, engine, settings or Settings(), notifier, at)
    return sorted(rec.key for rec, _ in notifier.sent if rec.kind == "channel")


def test_no_digest_on_national_day_and_one_on_the_make_up_saturday(engine):
    book(engine)
    national_day = datetime(2026, 10, 1, 9, 5, tzinfo=SHANGHAI)  # a Thursday
    assert _digest_chats(engine, national_day) == []
    make_up_saturday = datetime(2026, 10, 10, 9, 5, tzinfo=SHANGHAI)
    assert _digest_chats(engine, make_up_saturday) == ["team:East"]
    ordinary_sunday = datetime(2026, 10, 11, 9, 5, tzinfo=SHANGHAI)
    assert _digest_chats(engine, ordinary_sunday) == []


def test_a_team_on_another_countrys_calendar_gets_its_digest_on_national_day(engine):
    book(engine)
    settings = Settings(calendar=CalendarConfig(teams={"East": "US"}))
    national_day = datetime(2026, 10, 1, 9, 5, tzinfo=SHANGHAI)
    assert _digest_chats(engine, national_day, settings) == ["team:East"]


def test_the_2027_q1_tier_review_waits_for_the_first_working_day(engine):
    book(engine)
    settings, notifier = Settings(), RecordingNotifier()
    new_years_day = datetime(2027, 1, 1, 9, 30, tzinfo=SHANGHAI)  # 元旦, a Friday
    assert run_tier_review(engine, settings, notifier, new_years_day).messages == []
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(TierReview)).all() == []
    monday = datetime(2027, 1, 4, 9, 30, tzinfo=SHANGHAI)
    run_tier_review(engine, settings, notifier, monday)
    with unit_of_work(engine, write=False) as s:
        assert [r.quarter for r in s.exec(select(TierReview))] == ["2027Q1"]
