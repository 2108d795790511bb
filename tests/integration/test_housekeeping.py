from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.config import Settings
from domain.models import InboundEvent
from schedules.jobs import job_table
from schedules.registry import run
from storage.inbound import claim_event
from storage.session import unit_of_work


def test_housekeeping_forgets_inbound_records_older_than_any_redelivery(engine):
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        assert claim_event(s, "slack", "Ev-old")
        assert claim_event(s, "wecom-nonce", "n-new")
        old = s.exec(select(InboundEvent).where(InboundEvent.event_key == "Ev-old")).one()
        old.received_at = now - timedelta(days=3)
    run(job_table()["housekeeping"], engine, Settings(), None, now)
    with unit_of_work(engine, write=False) as s:
        assert [e.event_key for e in s.exec(select(InboundEvent))] == ["n-new"]
    with unit_of_work(engine) as s:
        assert claim_event(s, "wecom-nonce", "n-new") is False  # still remembered


def test_a_dry_run_counts_what_would_go_and_keeps_it(engine):
    now = datetime.now(UTC)
    with unit_of_work(engine) as s:
        for key in ("Ev-1", "Ev-2"):
            assert claim_event(s, "slack", key)
        for e in s.exec(select(InboundEvent)):
            e.received_at = now - timedelta(days=3)
        assert claim_event(s, "slack", "Ev-new")
    report = run(job_table()["housekeeping"], engine, Settings(), None, now, dry_run=True)
    assert report.note == "would forget 0 delivered message(s) and 2 inbound record(s)"
    with unit_of_work(engine, write=False) as s:
        assert sorted(e.event_key for e in s.exec(select(InboundEvent))) == [
            "Ev-1",
            "Ev-2",
            "Ev-new",
        ]
