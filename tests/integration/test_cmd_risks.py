"""``/risks [team]`` (``/风险 [团队]``): the digest on demand, for the teams one may see."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.models import Account, Team, User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


@pytest.fixture
def chat(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, wang, eve = (s.get(User, ids[k]) for k in ("alice", "wang", "eve"))
        acme, huaxia = s.get(Account, ids["acme"]), s.get(Account, ids["huaxia"])
        initech = s.get(Account, ids["initech"])
        f.interaction(s, acme, author=alice, at=NOW - timedelta(days=20))  # A lapsed: high
        twenty_days = NOW - timedelta(days=20)  # negotiation's limit is 14: medium
        f.deal(s, huaxia, "二期", owner=wang, stage="negotiation", stage_changed_at=twenty_days)
        f.deal(s, initech, "Cooling", owner=eve, stage="lead", stage_changed_at=NOW - timedelta(40))
        f.goal(s, year=2026, metric="won_revenue", target="1000000", user=alice)
        f.goal(s, year=2026, metric="interactions", target="500", team=s.get(Team, ids["east"]))
    return Chat(engine)


def section_titles(reply) -> list[str]:
    return [s.title for s in reply.sections]


def test_a_rep_sees_their_team_without_anyones_personal_goals(chat):
    reply = chat.say("alice", "/risks")
    assert reply.title == "Risks · East · Nov 18"
    assert reply.lines == [
        "Accounts with risks: 1",
        "Lapsed A-tier 1: Acme",
        "Team goal behind: East · interactions ░░░░░░░░░░ 0.2% · 1 / 500 · expected 88%",
        "Details: /risks East lapsed · by value: /risks East all",
    ]
    assert reply.severity is Severity.warning
    assert "Initech" not in chat.text("alice", "/risks")  # West is not hers to see
    assert "¥1M" not in chat.text("alice", "/risks")  # her own goal: managers only


def test_a_manager_sees_every_team_they_manage_with_reps_goals(chat):
    reply = chat.say("bob", "/risks")
    assert reply.title == "Risks · East, 华东 · Nov 18"
    assert section_titles(reply) == [
        "East",
        "East · reps' goals behind pace (managers only)",
        "华东",
    ]
    assert reply.sections[1].lines[0].startswith("Alice Chen · won revenue")
    assert reply.sections[2].lines == (
        "Accounts with risks: 1 · ¥100K at risk",
        "Stalled deals 1 · ¥100K: 华夏重工 ¥100K",
        "Details: /risks 华东 stalled · by value: /risks 华东 all",
    )
    detail = chat.say("bob", "/risks 华东 stalled")
    assert detail.lines[1] == (
        "华夏重工 · 王磊 · ¥100K — Deal 二期 has been in negotiation for 20 days (limit 14)"
    )


def test_one_team_by_name_in_chinese(chat):
    reply = chat.say("wang", "/风险 华东")
    assert reply.title == "风险 · 华东 · 11月18日"
    assert reply.lines == [
        "有风险的客户：1 个 · 涉及 10万",
        "停滞商机 1 · 10万：华夏重工 10万",
        "详情：/风险 华东 停滞 · 按金额：/风险 华东 全部",
    ]
    detail = chat.say("wang", "/风险 华东 停滞")
    assert detail.lines[1] == "华夏重工 · 王磊 · 10万 — 商机「二期」停留在谈判阶段20天（上限14天）"
    assert chat.say("wang", "/风险 华东 失联").lines == ["华东 今天没有“A类失联”。"]


def test_other_teams_are_refused_and_unknown_ones_suggested(chat):
    refused = chat.say("alice", "/risks West")
    assert refused.severity is Severity.error
    assert "West is not your team or a team you manage." in refused.lines
    unknown = chat.say("bob", "/risks Eest")
    assert "There is no team “Eest”." in unknown.lines
    assert any(line.startswith("Closest: East") for line in unknown.lines)


def test_an_admin_sees_every_team_and_a_teamless_user_is_told_why(chat):
    reply = chat.say("admin", "/risks")
    assert reply.title == "Risks · East, West, 华东 · Nov 18"
    assert section_titles(reply) == ["East", "East · reps' goals behind pace (managers only)",
                                     "West", "华东"]  # fmt: skip
    with unit_of_work(chat.engine) as s:
        f.user(s, "solo")
    solo = chat.say("solo", "/risks")
    assert solo.title == "You are not in a team yet, so there is no team digest to show."


def test_all_clear(chat):
    with unit_of_work(chat.engine) as s:
        f.user(s, "quinn", team=f.team(s, "Quiet"))
    reply = chat.say("quinn", "/risks")
    assert reply.severity is Severity.success
    assert reply.lines == ["Nothing at risk in Quiet today."]
