"""The daily digest leads with what changed since the team's last one, then the standing
risks as counts per kind with the first few by value and the money at risk; a team's
digest fits a phone (issue 19)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, DigestSnapshot, Invoice, User
from handlers.notify import RecordingNotifier
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import Chat
from tests.integration.test_jobs_digest import AT, DIGEST, ids  # noqa: F401

NEXT = AT + timedelta(days=1)  # Thursday


def _digest(engine, now, key="team:East"):
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, now)
    (reply,) = notifier.to(key)
    return reply


@pytest.fixture
def owed(engine, ids):  # noqa: F811
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        s.add(Invoice(account_id=acme.id, amount=Decimal(300_000), issued_on=date(2026, 9, 1),
                      due_on=date(2026, 10, 1)))  # fmt: skip
    return ids


def test_new_cleared_and_standing_risks_with_money(engine, owed):
    first = _digest(engine, AT)
    lines = first.plain_lines()
    assert lines[:5] == [
        "Risk digest · East · Nov 18",
        "First digest: every risk below is new.",
        "Accounts with risks: 3 · ¥600K at risk",  # Acme ¥100K + ¥300K owed, Globex ¥200K
        "Overdue receivables 1 · ¥300K: Acme ¥300K",
        "Stalled deals 1 · ¥200K: Globex ¥200K",
    ]
    assert "Lapsed A-tier 1 · ¥100K: Acme ¥100K" in lines
    assert lines[-1] == "Details: /risks East receivables · by value: /risks East all"
    with unit_of_work(engine, write=False) as s:
        (snap,) = s.exec(select(DigestSnapshot).where(DigestSnapshot.team_id == owed["east"])).all()
        assert snap.day == AT.date() and "lapsed" in snap.marks[str(owed["acme"])]
        assert snap.values[str(owed["acme"])] == "400000.00"

    # Acme is visited (the lapse clears), Stark moves to B, a new A account lapses
    with unit_of_work(engine) as s:
        alice = s.get(User, owed["alice"])
        f.interaction(s, s.get(Account, owed["acme"]), author=alice, at=AT)
        stark = s.exec(select(Account).where(Account.name == "Stark")).one()
        stark.tier = "B"
        s.add(stark)
        f.account(s, "Umbrella", owner=alice, tier="A")
    second = _digest(engine, NEXT)
    lines = second.plain_lines()
    assert lines[:5] == [
        "Risk digest · East · Nov 19",
        "Since Nov 18: 1 new · 2 cleared · 1 moved tier",
        "+ Umbrella — Lapsed A-tier, Thin A-tier coverage, No decision maker",
        "✓ Cleared: Acme (Lapsed A-tier), Stark (Thin A-tier coverage, No decision maker)",
        "⇅ Tier: Stark A→B",
    ]
    assert "Lapsed A-tier 1 (1 new): Umbrella" in lines
    assert len(lines) <= 15


def test_the_next_day_says_briefly_that_nothing_is_new(engine, owed):
    _digest(engine, AT)
    again = _digest(engine, NEXT)
    lines = again.plain_lines()
    assert lines[1] == "Nothing new since Nov 18."
    assert lines[2] == "Accounts with risks: 3 · ¥600K at risk"
    assert "Stalled deals 1 · ¥200K: Globex ¥200K" in lines
    assert not any(line.startswith(("+ ", "✓", "⇅")) for line in lines)
    # the same day again sends nothing and keeps one snapshot per team and day
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, NEXT + timedelta(minutes=15))
    assert notifier.to("team:East") == []
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(select(DigestSnapshot).where(DigestSnapshot.team_id == owed["east"])).all()
        days = sorted(r.day for r in rows)
    assert days == [AT.date(), NEXT.date()]


def test_chinese_digest(engine, owed):
    with unit_of_work(engine) as s:
        huaxia = s.get(Account, owed["huaxia"])
        huaxia.tier = "A"
        s.add(huaxia)
    first = _digest(engine, AT, "team:华东")
    assert first.plain_lines()[:3] == [
        "风险日报 · 华东 · 11月18日",
        "首份日报：以下风险均为新增。",
        "有风险的客户：1 个",
    ]
    assert first.plain_lines()[-1] == "详情：/风险 华东 失联 · 按金额：/风险 华东 全部"
    again = _digest(engine, NEXT, "team:华东")
    assert again.plain_lines()[1] == "自 11月18日 以来没有新风险。"


def test_risks_pages_and_one_kind(engine, owed):
    _digest(engine, AT)
    chat = Chat(engine, now=NEXT)
    overview = chat.say("bob", "/risks East")
    text = overview.plain_lines()
    assert text[0].startswith("Risks · East")
    assert "Nothing new since Nov 18." in text
    assert len([ln for ln in text if not ln.startswith("  ")]) <= 20
    one = chat.say("bob", "/risks East lapsed")
    assert one.plain_lines()[1:] == [
        "Accounts: 1 · ¥100K",
        "Acme · Alice Chen · ¥400K — No contact for 21 days (cadence 14 days)",
    ]
    every = chat.say("bob", "/risks East all")
    names = [ln.split(" · ")[0] for ln in every.plain_lines()[2:]]
    assert names == ["Acme", "Globex", "Stark"]  # by value
    zh = chat.say("wang", "/风险 华东 更多")
    assert zh.plain_lines()[0].startswith("风险 · 华东 · 全部风险")
    bad = chat.say("admin", "/risks lapsed")
    assert bad.plain_lines()[0] == "Which team?"


def test_a_team_digest_of_the_demo_book_fits_a_phone(engine):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from storage.demo import seed_demo

    with unit_of_work(engine) as s:
        seed_demo(s, settings=Settings(), today=date(2026, 12, 6))
    at = datetime(2026, 12, 7, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    notifier = RecordingNotifier()
    run(DIGEST, engine, Settings(), notifier, at, on_demand=True)
    chats = [(rec, reply) for rec, reply in notifier.sent if rec.key.startswith("team:")]
    assert chats
    for _rec, reply in chats:
        assert 5 <= len(reply.plain_lines()) <= 15, reply.plain_lines()
