"""Lapse warnings: who is told about which accounts, when, and only once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, User
from domain.policy import ScheduleConfig
from handlers.notify import RecordingNotifier
from handlers.replies import Reply
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import book

LAPSE = job_table()["lapse"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
# Wednesday 18 November 2026, five past nine in Shanghai (20:05 the day before in New York)
AT = datetime(2026, 11, 18, 9, 5, tzinfo=SHANGHAI)


def ago(days: int, hours: int = 0) -> datetime:
    return AT - timedelta(days=days, hours=hours)


@pytest.fixture
def crafted(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, carol, wang, eve = (s.get(User, ids[k]) for k in ("alice", "carol", "wang", "eve"))
        acme, globex, initech = (s.get(Account, ids[k]) for k in ("acme", "globex", "initech"))
        # Acme (A, 14 days): alice never visited, but carol did 10 days ago — not lapsed
        f.interaction(s, acme, author=alice, at=ago(40))
        f.interaction(s, acme, author=carol, at=ago(10))
        stark = f.account(s, "Stark", owner=alice, tier="A")  # 35 days: past twice 14
        f.interaction(s, stark, author=alice, at=ago(35))
        wayne = f.account(s, "Wayne", owner=alice, tier="B")  # 45 days, cadence 30
        f.interaction(s, wayne, author=alice, at=ago(45))
        tyrell = f.account(s, "Tyrell", owner=alice, tier="C", tier_override="A")
        f.interaction(s, tyrell, author=alice, at=ago(20))
        hooli = f.account(s, "Hooli", owner=alice, tier="C")  # 61 days: one over 60
        f.interaction(s, hooli, author=alice, at=ago(61))
        cyberdyne = f.account(s, "Cyberdyne", owner=alice, tier="C")  # exactly 60: not yet
        f.interaction(s, cyberdyne, author=alice, at=ago(60))
        snoozy = f.account(s, "Snoozy", owner=alice, tier="C", snoozed_until=date(2026, 11, 23))
        f.interaction(s, snoozy, author=alice, at=ago(100))
        woke = f.account(s, "Woke", owner=alice, tier="C", snoozed_until=date(2026, 11, 17))
        f.interaction(s, woke, author=alice, at=ago(100))
        umbrella = f.account(s, "Umbrella", owner=alice, tier="B")  # lapsed, but planned
        f.interaction(s, umbrella, author=alice, at=ago(40))
        f.task(s, umbrella, "Demo the new line", owner=alice, due_at=AT + timedelta(days=2))
        gone = f.account(s, "Gone", owner=alice, tier="A", status="churned")
        f.interaction(s, gone, author=alice, at=ago(300))
        # carol (New York): Globex (C) 70 days
        f.interaction(s, globex, author=carol, at=ago(70))
        # wang: 华夏重工 (B) never contacted
        # eve: Initech (B) 100 days, three times the cadence, but eve has no manager
        f.interaction(s, initech, author=eve, at=ago(100))
        # a brand-new account visited yesterday
        fresh = f.account(s, "Fresh", owner=wang, tier="A")
        f.interaction(s, fresh, author=wang, at=ago(1))
    return ids


def names(reply: Reply) -> list[str]:
    """The accounts a lapse message lists, in order (the first word of each line)."""
    return [line.split(" ")[0].split("（")[0] for s in reply.sections for line in s.lines]


def test_each_owner_is_told_of_exactly_their_lapsed_accounts_most_overdue_first(engine, crafted):
    notifier = RecordingNotifier()
    report = run(LAPSE, engine, Settings(), notifier, AT)

    assert sorted(rec.key for rec, _ in notifier.sent) == [
        "user:alice",
        "user:bob",
        "user:eve",
        "user:wang",
    ]
    (alice,) = notifier.to("user:alice")
    # unplanned by days overdue: Woke 40, Stark 21, Wayne 15, Tyrell 6, Hooli 1; then planned
    assert names(alice) == ["Woke", "Stark", "Wayne", "Tyrell", "Hooli", "Umbrella"]
    assert [s.title for s in alice.sections] == ["Nothing planned — 5", "Planned — 1"]
    assert alice.title == "6 of your accounts need contact"
    stark_line = alice.sections[0].lines[1]
    assert stark_line == ("Stark (A) — 35 days since last contact, cadence 14: 21 days overdue")
    assert "planned Nov 20: Demo the new line" in alice.sections[1].lines[0]
    # two taps per account: a form prefilled with /visit ACCOUNT, and a week's pause
    assert [(a.kind, a.command) for a in alice.actions][:4] == [
        ("modal", "visit Woke "),
        ("button", "snooze Woke 1w"),
        ("modal", "visit Stark "),
        ("button", "snooze Stark 1w"),
    ]
    assert len(alice.actions) == 10  # five accounts of six: a phone screen of buttons

    (wang,) = notifier.to("user:wang")
    assert wang.title == "你有 1 个客户需要跟进"
    assert wang.sections[0].lines == ("华夏重工（B类）— 从未联系（周期 30 天）",)
    assert notifier.to("user:eve")[0].sections[0].lines[0].startswith("Initech (B) — 100 days")
    assert report.sent and not report.failed


def test_the_manager_hears_of_accounts_past_twice_their_cadence(engine, crafted):
    notifier = RecordingNotifier()
    run(LAPSE, engine, Settings(), notifier, AT)

    (bob,) = notifier.to("user:bob")
    # Stark: 35 days > 2 x 14.  Woke (100 > 120?) no; never-contacted 华夏重工 is not escalated
    assert bob.title == "One of your team's accounts is past twice its cadence"
    assert bob.lines == [
        "Alice Chen: Stark (A) — 35 days since last contact, cadence 14: 21 days overdue"
    ]
    assert [a.command for a in bob.actions] == ["account Stark"]


def test_a_user_in_another_timezone_is_told_at_nine_in_their_morning(engine, crafted):
    notifier = RecordingNotifier()
    run(LAPSE, engine, Settings(), notifier, AT)
    assert notifier.to("user:carol") == []  # 20:05 in New York

    ny_nine = datetime(2026, 11, 18, 9, 5, tzinfo=NEW_YORK)  # 22:05 in Shanghai
    run(LAPSE, engine, Settings(), notifier, ny_nine)
    (carol,) = notifier.to("user:carol")
    assert names(carol) == ["Globex"]
    # the others were told this morning and are past their window now: nothing twice
    assert len(notifier.sent) == 5


def test_any_interaction_resets_the_clock_whoever_logged_it(engine, crafted):
    with unit_of_work(engine) as s:
        stark = s.exec(select(Account).where(Account.name == "Stark")).one()
        f.interaction(s, stark, author=s.get(User, crafted["bob"]), at=ago(2))
    notifier = RecordingNotifier()
    run(LAPSE, engine, Settings(), notifier, AT)
    assert "Stark" not in names(notifier.to("user:alice")[0])
    assert notifier.to("user:bob") == []  # nothing left past twice the cadence


def test_before_the_slot_nothing_and_every_tick_in_the_window_sends_once(engine, crafted):
    notifier = RecordingNotifier()
    run(LAPSE, engine, Settings(), notifier, AT.replace(hour=8, minute=45))
    assert notifier.sent == []
    for minutes in (0, 15, 30, 45, 60, 120):
        run(LAPSE, engine, Settings(), notifier, AT + timedelta(minutes=minutes))
    assert sorted(rec.key for rec, _ in notifier.sent) == [
        "user:alice",
        "user:bob",
        "user:eve",
        "user:wang",
    ]
    # the next day brings the next day's message
    run(LAPSE, engine, Settings(), notifier, AT + timedelta(days=1))
    assert len(notifier.to("user:alice")) == 2


def test_quiet_hours_hold_a_message_until_they_end(engine, crafted):
    settings = Settings(
        schedule=ScheduleConfig(
            lapse_time=time(7, 0), quiet_start=time(22, 0), quiet_end=time(8, 0)
        )
    )
    notifier = RecordingNotifier()
    run(LAPSE, engine, settings, notifier, AT.replace(hour=7, minute=30))
    assert notifier.sent == []
    run(LAPSE, engine, settings, notifier, AT.replace(hour=8, minute=0))
    assert len(notifier.to("user:alice")) == 1


def test_weekends_are_skipped_unless_configured(engine, crafted):
    saturday = AT + timedelta(days=3)
    notifier = RecordingNotifier()
    run(LAPSE, engine, Settings(), notifier, saturday)
    assert notifier.sent == []
    run(LAPSE, engine, Settings(schedule=ScheduleConfig(skip_weekends=False)), notifier, saturday)
    assert len(notifier.to("user:alice")) == 1


def test_a_dry_run_sends_nothing_and_claims_nothing(engine, crafted):
    notifier = RecordingNotifier()
    report = run(LAPSE, engine, Settings(), notifier, AT, dry_run=True)
    assert notifier.sent == []
    assert sorted(m.recipient.key for m in report.messages) == [
        "user:alice",
        "user:bob",
        "user:eve",
        "user:wang",
    ]
    run(LAPSE, engine, Settings(), notifier, AT)
    assert len(notifier.sent) == 4


def test_on_demand_runs_for_everyone_whatever_the_time(engine, crafted):
    notifier = RecordingNotifier()
    run(LAPSE, engine, Settings(), notifier, AT.replace(hour=16), on_demand=True)
    assert "user:carol" in {rec.key for rec, _ in notifier.sent}
    # and still once: the scheduler's tick for the same day finds it sent
    ny_nine = datetime(2026, 11, 18, 9, 5, tzinfo=NEW_YORK)
    run(LAPSE, engine, Settings(), notifier, ny_nine)
    assert len(notifier.to("user:carol")) == 1
