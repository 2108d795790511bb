"""The daily risk digest: to each team's chats what the team may see, the rest to managers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from domain.models import Account, Complaint, Team, User
from domain.policy import ScheduleConfig
from handlers.notify import RecordingNotifier
from handlers.replies import Reply
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import Chat, book

DIGEST = job_table()["digest"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 18, 9, 5, tzinfo=SHANGHAI)  # a Wednesday


def ago(days: int) -> datetime:
    return AT - timedelta(days=days)


@pytest.fixture
def ids(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, carol, eve = (s.get(User, ids[k]) for k in ("alice", "carol", "eve"))
        acme, globex = s.get(Account, ids["acme"]), s.get(Account, ids["globex"])
        initech = s.get(Account, ids["initech"])
        east, west = s.get(Team, ids["east"]), s.get(Team, ids["west"])
        # Acme (A): 20 days without contact, a deal past its close date, an overdue step,
        # and its own goal behind
        f.interaction(s, acme, author=alice, at=ago(20))
        f.deal(s, acme, "Renewal", owner=alice, stage="negotiation",
               stage_changed_at=ago(3), close_date=date(2026, 11, 17))  # fmt: skip
        f.task(s, acme, "Send the quote", owner=alice, due_at=ago(2))
        f.goal(s, year=2026, metric="won_deals", target="4", account=acme)
        # Stark (A): visited, but one contact and no decision maker
        stark = f.account(s, "Stark", owner=alice, tier="A")
        f.interaction(s, stark, author=alice, at=ago(3))
        f.contact(s, stark, "Tony", role="influencer")
        # Globex (C, carol): never contacted (not reported: not A), two stalled deals
        f.deal(s, globex, "Pilot", owner=carol, stage="proposal", stage_changed_at=ago(30))
        f.deal(s, globex, "Big", owner=carol, stage="lead", stage_changed_at=ago(70))
        # quiet: snoozed A account, churned A account
        sleepy = f.account(s, "Sleepy", owner=alice, tier="A", snoozed_until=date(2026, 12, 1))
        f.interaction(s, sleepy, author=alice, at=ago(50))
        f.contact(s, sleepy, "Sam", role="decision_maker")
        f.contact(s, sleepy, "Sue")
        f.account(s, "Gone", owner=alice, tier="A", status="churned")
        # goals: the team's (everyone in the chat may see) and alice's own (managers only)
        f.goal(s, year=2026, metric="won_revenue", target="5000000", team=east)
        f.goal(s, year=2026, metric="won_revenue", target="1000000", user=alice)
        # West: no chat, managed by wendy; Initech (eve) has a stalled deal
        f.user(s, "wendy", team=west, role="manager", manages=(west,), slack_id="U0WENDY")
        f.deal(s, initech, "Cooling", owner=eve, stage="qualify", stage_changed_at=ago(25))
    return ids


def lines(reply: Reply) -> list[str]:
    return reply.plain_lines()


def test_the_team_chat_gets_its_risks_grouped_by_severity(engine, ids):
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, AT)
    sent = sorted((rec.key, rec.kind) for rec, _ in notifier.sent)
    # 华东's digest is empty (a B account never contacted is no team risk): not sent
    assert sent == [("team:East", "channel"), ("user:bob", "user"), ("user:wendy", "user")]

    (east,) = notifier.to("team:East")
    assert east.title == "Risk digest · East · Nov 18"
    assert east.lines[:3] == [
        "First digest: every risk below is new.",
        "Accounts with risks: 3 · ¥300K at risk",
        "Stalled deals 1 · ¥200K: Globex ¥200K",
    ]
    assert "Lapsed A-tier 1 · ¥100K: Acme ¥100K" in east.lines
    assert "Thin A-tier coverage 1: Stark" in east.lines
    assert east.lines[-1] == "Details: /risks East stalled · by value: /risks East all"
    assert any(line.startswith("Team goal behind: East · won revenue") for line in east.lines)
    assert len(east.plain_lines()) <= 15
    text = "\n".join(lines(east))
    assert "Sleepy" not in text and "Gone" not in text
    assert "¥1M" not in text  # alice's own goal is for managers only


def test_managers_privately_get_what_the_chat_may_not_see(engine, ids):
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, AT)
    (bob,) = notifier.to("user:bob")
    assert bob.title == "Risk digest for managers · East · Nov 18"
    assert [s.title for s in bob.sections] == ["Reps' goals behind pace (managers only)"]
    assert bob.sections[0].lines[0].startswith("Alice Chen · won revenue ░░░░░░░░░░ 0% · ¥0 / ¥1M")
    assert "Acme" not in "\n".join(lines(bob))  # the chat already has the accounts

    # West has no chat: its manager gets the whole digest
    (wendy,) = notifier.to("user:wendy")
    assert wendy.title == "Risk digest for managers · West · Nov 18"
    assert "Stalled deals 1 · ¥100K: Initech ¥100K" in wendy.lines


def test_an_empty_digest_is_sent_only_when_configured(engine, ids):
    notifier = RecordingNotifier()
    settings = Settings(schedule=ScheduleConfig(send_empty_digest=True))
    run(DIGEST, engine, settings, notifier, AT)
    (huadong,) = notifier.to("team:华东")
    assert huadong.title == "风险日报 · 华东 · 11月18日"
    assert huadong.lines == ["华东 今天没有需要处理的风险。"]


def test_weekdays_only_and_once_a_day(engine, ids):
    notifier = RecordingNotifier()
    saturday = AT + timedelta(days=3)  # the digest is for weekdays, whatever skip_weekends says
    run(DIGEST, engine, Settings(schedule=ScheduleConfig(skip_weekends=False)), notifier, saturday)
    assert notifier.sent == []
    for minutes in (0, 15, 30, 45):
        run(DIGEST, engine, Settings(), notifier, AT + timedelta(minutes=minutes))
    assert len(notifier.to("team:East")) == 1
    run(DIGEST, engine, Settings(), notifier, AT + timedelta(days=1))
    assert len(notifier.to("team:East")) == 2


def test_a_team_with_slack_and_wecom_gets_it_in_both_once(engine, ids):
    with unit_of_work(engine) as s:
        east = s.get(Team, ids["east"])
        east.wecom_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"
        s.add(east)
    notifier = RecordingNotifier()
    for _ in range(2):
        run(DIGEST, engine, Settings(), notifier, AT)
    chats = sorted((rec.platform, rec.kind, reply.title) for rec, reply in notifier.sent
                   if rec.key == "team:East")  # fmt: skip
    assert chats == [
        ("slack", "channel", "Risk digest · East · Nov 18"),
        ("wecom", "webhook", "风险日报 · East · 11月18日"),
    ]


def test_a_lapse_is_cleared_by_any_visit(engine, ids):
    with unit_of_work(engine) as s:
        f.interaction(s, s.get(Account, ids["acme"]), author=s.get(User, ids["bob"]),
                      at=datetime(2026, 11, 17, 8, 0, tzinfo=UTC))  # fmt: skip
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, AT)
    (east,) = notifier.to("team:East")
    assert not any("No contact" in line for line in lines(east))


def test_a_complaint_open_too_long_is_a_high_risk(engine, ids):
    with unit_of_work(engine) as s:
        huaxia = s.get(Account, ids["huaxia"])
        wang = s.get(User, ids["wang"])
        for days, resolved in ((20, None), (30, ago(1)), (5, None)):
            s.add(Complaint(account_id=huaxia.id, text="交付延迟", opened_at=ago(days),
                            opened_by_id=wang.id, resolved_at=resolved))  # fmt: skip
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, AT)
    (huadong,) = notifier.to("team:华东")
    assert "投诉久未解决 1：华夏重工" in huadong.lines
    detail = Chat(engine, now=AT).say("wang", "/风险 华东 投诉")
    assert detail.plain_lines()[2] == "华夏重工 · 王磊 — 投诉已20天未解决（上限14天）"
