"""``/mine`` (``/我的``): my accounts needing attention today, most urgent first."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.models import Account, Contact, User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


@pytest.fixture
def chat(engine):
    ids = book(engine)  # NOW: Wednesday 18 November 2026, 10:00 in Shanghai
    with unit_of_work(engine) as s:
        alice, carol, bob = (s.get(User, ids[k]) for k in ("alice", "carol", "bob"))
        acme = s.get(Account, ids["acme"])
        # lapsed: Acme (A) 30 days, Wayne (B) 31 days (1 over), Umbrella (B) 50 days but planned
        f.interaction(s, acme, author=bob, at=NOW - timedelta(days=30))
        wayne = f.account(s, "Wayne", owner=alice, tier="B")
        f.interaction(s, wayne, author=alice, at=NOW - timedelta(days=31))
        umbrella = f.account(s, "Umbrella", owner=alice, tier="B")
        f.interaction(s, umbrella, author=alice, at=NOW - timedelta(days=50))
        f.task(s, umbrella, "Site visit", owner=alice, due_at=NOW + timedelta(days=3))
        # due soon: Stark (A) 12 days ago -> 2 days left; Hooli (C) 60 days -> due today
        stark = f.account(s, "Stark", owner=alice, tier="A")
        f.interaction(s, stark, author=alice, at=NOW - timedelta(days=12))
        hooli = f.account(s, "Hooli", owner=alice, tier="C")
        f.interaction(s, hooli, author=alice, at=NOW - timedelta(days=60))
        # fine: Calm (A) 2 days ago; Snoozy (C) lapsed but snoozed
        calm = f.account(s, "Calm", owner=alice, tier="A")
        f.interaction(s, calm, author=alice, at=NOW - timedelta(days=2))
        snoozy = f.account(s, "Snoozy", owner=alice, tier="C", snoozed_until=date(2026, 12, 1))
        f.interaction(s, snoozy, author=alice, at=NOW - timedelta(days=90))
        # next steps: one overdue, one due later today, one tomorrow, one of carol's
        f.task(s, calm, "Send the deck", owner=alice, due_at=NOW - timedelta(days=4))
        f.task(s, calm, "Call back", owner=alice, due_at=NOW + timedelta(hours=5))
        f.task(s, calm, "Tomorrow's thing", owner=alice, due_at=NOW + timedelta(days=1))
        f.task(s, calm, "Carol's thing", owner=carol, due_at=NOW - timedelta(days=4))
        # deals: stalled 40 days in proposal (limit 21) -> medium; 70 in lead -> high
        f.deal(s, calm, "Expansion", owner=alice, stage="proposal",
               stage_changed_at=NOW - timedelta(days=40))  # fmt: skip
        f.deal(s, stark, "Pilot", owner=alice, stage="lead",
               stage_changed_at=NOW - timedelta(days=70))  # fmt: skip
        f.deal(s, stark, "Fresh", owner=alice, stage="lead", stage_changed_at=NOW)
        # a birthday today, and one in a week (not today: not listed)
        f.contact(s, calm, "Dana", title="CEO", birthday_month=11, birthday_day=18)
        li_wei = s.get(Contact, ids["li_wei"])
        assert (li_wei.birthday_month, li_wei.birthday_day) == (11, 25)
    return Chat(engine)


def test_mine_lists_what_needs_attention_most_urgent_first(chat):
    reply = chat.say("alice", "/mine")
    assert reply.title == "Needs your attention today: 10"
    assert reply.severity is Severity.warning
    sections = {s.title: s.lines for s in reply.sections}
    assert list(sections) == [
        "Lapsed — 3",
        "Contact due soon — 2",
        "Next steps — 2",
        "Deals at risk — 2",
        "Today — 1",
    ]
    assert [line.split(" ")[0] for line in sections["Lapsed — 3"]] == ["Acme", "Wayne", "Umbrella"]
    assert sections["Lapsed — 3"][0] == (
        "Acme (A) — 30 days since last contact, cadence 14: 16 days overdue"
    )
    assert "planned Nov 21: Site visit" in sections["Lapsed — 3"][2]
    assert sections["Contact due soon — 2"] == (
        "Hooli (C) — contact due today (cadence 60)",
        "Stark (A) — contact due in 2 days (cadence 14)",
    )
    assert sections["Next steps — 2"][0].endswith("Calm — Send the deck · due Nov 14 (4d overdue)")
    assert sections["Next steps — 2"][1].endswith("Calm — Call back · due today")
    assert sections["Deals at risk — 2"] == (
        "Stark — Deal Pilot has been in lead for 70 days (limit 30)",
        "Calm — Deal Expansion has been in proposal for 40 days (limit 21)",
    )
    assert sections["Today — 1"] == ("Dana (CEO) at Calm — birthday",)
    assert [a.command for a in reply.actions] == [
        "visit Acme ",
        "visit Wayne ",
        "visit Umbrella ",
        "visit Hooli ",
        "visit Stark ",
    ]
    text = chat.text("alice", "/mine")
    assert "Snoozy" not in text and "Carol's thing" not in text and "Tomorrow" not in text


def test_mine_in_chinese_and_all_clear(chat):
    reply = chat.say("wang", "/我的")
    # 华夏重工 (B) was never contacted: lapsed by a whole cadence
    assert reply.title == "今天需要你关注：1 项"
    assert reply.sections[0].lines == ("华夏重工（B类）— 从未联系（周期 30 天）",)
    clear = chat.say("eve", "/mine")  # Initech (B) never contacted either
    assert clear.sections[0].title == "Lapsed — 1"
    assert chat.say("admin", "/mine").title == "Nothing needs your attention today"


def test_mine_takes_no_arguments(chat):
    reply = chat.say("alice", "/mine Acme")
    assert reply.severity is Severity.error
    assert "/mine takes no arguments." in reply.lines
    assert "Usage: /mine" in reply.lines
