"""The weekly report (周报): one person's week from what was logged, a team's roll-up,
and the Friday / Monday pushes.  NOW is Wednesday 2026-11-18 10:00 in Shanghai: the
week is Monday 16 to Sunday 22 November."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.config import Settings
from domain.models import Account, DealStageChange, User
from handlers.notify import RecordingNotifier
from handlers.render.text import render_text
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Chat, book

MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def chat(engine) -> Chat:
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, wang = s.get(User, ids["alice"]), s.get(User, ids["wang"])
        acme, huaxia = s.get(Account, ids["acme"]), s.get(Account, ids["huaxia"])
        globex = s.get(Account, ids["globex"])
        # this week: Acme visited and called, Globex (carol's, same team) visited
        f.interaction(s, acme, author=alice, at=MONDAY + timedelta(hours=1))
        f.interaction(s, acme, author=alice, at=MONDAY + timedelta(days=1), kind="call")
        f.interaction(s, globex, author=alice, at=MONDAY + timedelta(days=1, hours=2))
        # last week: one meal at Acme
        f.interaction(s, acme, author=alice, at=MONDAY - timedelta(days=3), kind="meal")
        # a deal moved proposal → negotiation, one won this week
        renewal = f.deal(s, acme, "Renewal", owner=alice, stage="proposal", amount="1200000",
                         stage_changed_at=MONDAY - timedelta(days=20))  # fmt: skip
        renewal.stage = "negotiation"
        s.add(DealStageChange(deal_id=renewal.id, from_stage="proposal", to_stage="negotiation",
                              changed_at=MONDAY + timedelta(hours=3)))  # fmt: skip
        f.deal(s, acme, "Spare parts", owner=alice, stage="won", amount="300000",
               stage_changed_at=MONDAY + timedelta(days=1))  # fmt: skip
        # next steps: one done this week, one overdue, one due next week
        f.task(s, acme, "Send the quote", owner=alice, due_at=MONDAY,
               done_at=MONDAY + timedelta(hours=5))  # fmt: skip
        f.task(s, acme, "Book the QBR", owner=alice, due_at=MONDAY - timedelta(days=2))
        f.task(s, acme, "Pilot review", owner=alice, due_at=MONDAY + timedelta(days=8))
        # a deal closing next week
        f.deal(s, acme, "Expansion", owner=alice, stage="qualify", amount="500000",
               close_date=date(2026, 11, 25))  # fmt: skip
        # Stark (A, 14 days): last contact Nov 2, lapsed Monday the 16th
        stark = f.account(s, "Stark", owner=alice, tier="A")
        f.interaction(s, stark, author=alice, at=datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))
        # wang: one visit this week
        f.interaction(s, huaxia, author=wang, at=MONDAY + timedelta(hours=2))
    return Chat(engine)


def test_my_week_lists_contacts_deals_steps_lapses_and_next_week(chat):
    reply = chat.say("alice", "/week")
    assert reply.title == "My week · 2026-11-16 – 2026-11-22"
    assert reply.lines[0] == (
        "3 contacts at 2 accounts · 2 deals moved, 1 won · 1 steps done, 1 overdue"
    )
    sections = {s.title: s.lines for s in reply.sections}
    assert sections["Contacts (3)"] == ("Acme — visit ×1, call ×1", "Globex — visit ×1")
    deals = sections["Deals moved (2) · won ¥300K"]
    assert "Acme · Renewal: proposal → negotiation · ¥1.2M" in deals
    assert "Acme · Spare parts: — → won · ¥300K" in deals
    assert sections["Next steps: 1 done, 1 overdue"] == (
        "✓ Acme · Send the quote",
        "⚠ Acme · Book the QBR · due 2026-11-14",
    )
    assert sections["Lapsed this week (1)"] == ("Stark (A) · last contact 2026-11-02",)
    assert sections["Next week"] == (
        "2026-11-24 · Acme · Pilot review",
        "2026-11-25 · Acme · Expansion closes (qualify, ¥500K)",
    )


def test_last_week_is_the_week_before(chat):
    reply = chat.say("alice", "/week last")
    assert reply.title == "My week · 2026-11-09 – 2026-11-15"
    sections = {s.title: s.lines for s in reply.sections}
    assert sections["Contacts (1)"] == ("Acme — meal ×1",)
    assert "Lapsed this week (1)" not in sections  # Stark lapsed on the 16th


def test_wang_gets_his_week_in_chinese(chat):
    reply = chat.say("wang", "/周报")
    assert reply.title == "我的周报 · 2026年11月16日 – 2026年11月22日"
    assert reply.lines[0].startswith("接触 1 次，涉及 1 个客户")
    assert {s.title: s.lines for s in reply.sections}["客户接触（1）"] == ("华夏重工 — 拜访 ×1",)


def test_a_manager_sees_a_persons_week_and_the_teams_roll_up(chat):
    assert chat.say("bob", "/week @alice").title == "Alice Chen's week · 2026-11-16 – 2026-11-22"
    team = chat.say("bob", "/week team East")
    assert team.title == "East · week 2026-11-16 – 2026-11-22"
    (rows,) = [s.lines for s in team.sections]
    assert rows[0] == (
        "Alice Chen: 3 contacts (2 accounts) · 2 deals moved · won ¥300K · 1 done · "
        "1 overdue · 1 lapsed"
    )
    assert len(rows) == 3  # alice, bob, carol


@pytest.mark.parametrize(
    ("who", "text", "needle"),
    [
        ("carol", "/week @alice", "Alice Chen's week is for them and their managers."),
        ("carol", "/week team East", "Only the team's managers and admins"),
        ("bob", "/week team West", "West"),
        ("alice", "/week @alice team East", "A person or a team, not both."),
        ("alice", "/week @nobody", "nobody"),
    ],
)
def test_refusals_say_why_and_change_nothing(chat, who, text, needle):
    out = render_text(chat.say(who, text))
    assert needle in out


def test_the_friday_push_sends_each_person_their_week_once(chat, engine):
    week_job = job_table()["week"]
    notifier = RecordingNotifier()
    friday = datetime(2026, 11, 20, 16, 5, tzinfo=SHANGHAI)
    run(week_job, engine, Settings(), notifier, friday)
    got = {rec.key: reply for rec, reply in notifier.sent}
    assert got["user:alice"].title == "My week · 2026-11-16 – 2026-11-22"
    assert got["user:wang"].title == "我的周报 · 2026年11月16日 – 2026年11月22日"
    assert "user:eve" not in got  # nothing in her week: no message
    run(week_job, engine, Settings(), notifier, friday + timedelta(minutes=15))
    assert len(notifier.sent) == len(got)  # once
    thursday = datetime(2026, 11, 19, 16, 5, tzinfo=SHANGHAI)
    assert run(week_job, engine, Settings(), RecordingNotifier(), thursday).messages == []


def test_managers_get_last_weeks_roll_up_on_monday(chat, engine):
    notifier = RecordingNotifier()
    next_monday = datetime(2026, 11, 23, 9, 5, tzinfo=SHANGHAI)
    run(job_table()["week-team"], engine, Settings(), notifier, next_monday)
    titles = sorted(reply.title for rec, reply in notifier.sent if rec.key == "user:bob")
    assert titles == ["East · week 2026-11-16 – 2026-11-22", "华东 · week 2026-11-16 – 2026-11-22"]
    assert NOW.date() == date(2026, 11, 18)
