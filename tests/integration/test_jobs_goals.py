"""Weekly goal progress: each owner their goals, each manager their teams' table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from domain.models import Account, Team, User
from handlers.notify import RecordingNotifier
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import book

GOALS = job_table()["goals"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 11, 16, 9, 5, tzinfo=SHANGHAI)  # day 320 of 365: 88% expected


@pytest.fixture
def ids(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        alice, carol, wang = (s.get(User, ids[k]) for k in ("alice", "carol", "wang"))
        acme, huaxia = s.get(Account, ids["acme"]), s.get(Account, ids["huaxia"])
        east = s.get(Team, ids["east"])
        won = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
        f.deal(s, acme, "Line A", owner=alice, amount="500000", stage="won", stage_changed_at=won)
        f.deal(
            s,
            acme,
            "Old win",
            owner=alice,
            amount="900000",
            stage="won",
            stage_changed_at=datetime(2025, 6, 1, tzinfo=UTC),  # last year: not counted
        )
        f.deal(s, huaxia, "一期", owner=wang, amount="4000000", stage="won", stage_changed_at=won)
        for n in range(10):
            f.interaction(s, acme, author=alice, at=won + timedelta(days=n))
        f.goal(s, year=2026, metric="won_revenue", target="1000000", user=alice)
        f.goal(s, year=2026, metric="interactions", target="10", user=alice)
        f.goal(s, year=2026, metric="won_deals", target="2", account=acme)
        f.goal(s, year=2026, metric="won_revenue", target="2000000", team=east)
        f.goal(s, year=2026, metric="won_revenue", target="600000", user=carol)
        f.goal(s, year=2026, metric="won_revenue", target="4500000", user=wang)
        f.goal(s, year=2025, metric="won_revenue", target="1", user=alice)  # last year's
    return ids


def test_each_owner_gets_their_goals_with_pace(engine, ids):
    notifier = RecordingNotifier()
    run(GOALS, engine, Settings(), notifier, MONDAY)
    assert sorted(rec.key for rec, _ in notifier.sent) == ["user:alice", "user:bob", "user:wang"]

    (alice,) = notifier.to("user:alice")
    assert alice.title == "Goal progress · week 47"
    assert alice.lines == ["2 behind pace, 0 on pace or ahead, 1 done"]
    (mine,) = alice.sections
    assert mine.title == "Your goals"
    assert mine.lines == (
        "Acme · won deals █████░░░░░ 50% · 1 / 2 · expected 88% · behind",
        "won revenue █████░░░░░ 50% · ¥500K / ¥1M · expected 88% · behind",
        "interactions ██████████ 100% · 10 / 10 · expected 88% · done",
    )

    (wang,) = notifier.to("user:wang")
    assert wang.sections[0].lines == (
        "赢单金额 ████████░░ 88.9% · 400万 / 450万 · 应达 88% · 正常",
    )


def test_a_manager_gets_the_table_of_each_team_they_manage(engine, ids):
    notifier = RecordingNotifier()
    run(GOALS, engine, Settings(), notifier, MONDAY)
    (bob,) = notifier.to("user:bob")
    assert [s.title for s in bob.sections] == ["East — team", "华东 — team"]
    east, huadong = bob.sections
    assert east.lines == (
        "Alice Chen · won revenue █████░░░░░ 50% · ¥500K / ¥1M · expected 88% · behind",
        "Alice Chen · interactions ██████████ 100% · 10 / 10 · expected 88% · done",
        "Carol · won revenue ░░░░░░░░░░ 0% · ¥0 / ¥600K · expected 88% · behind",
        "East · won revenue ██░░░░░░░░ 25% · ¥500K / ¥2M · expected 88% · behind",
    )
    assert huadong.lines == (
        "王磊 · won revenue ████████░░ 88.9% · ¥4M / ¥4.5M · expected 88% · on pace",
    )


def test_the_weekly_push_goes_on_its_day_in_each_timezone_once(engine, ids):
    notifier = RecordingNotifier()
    run(GOALS, engine, Settings(), notifier, MONDAY + timedelta(days=1))  # Tuesday
    assert notifier.sent == []
    run(GOALS, engine, Settings(), notifier, MONDAY)
    assert notifier.to("user:carol") == []  # Sunday evening in New York
    run(GOALS, engine, Settings(), notifier, datetime(2026, 11, 16, 9, 5, tzinfo=NEW_YORK))
    (carol,) = notifier.to("user:carol")
    assert carol.sections[0].lines[0].endswith("expected 88% · behind")
    for hours in (1, 2, 3):
        run(GOALS, engine, Settings(), notifier, MONDAY + timedelta(hours=hours))
    assert len(notifier.sent) == 4
    run(GOALS, engine, Settings(), notifier, MONDAY + timedelta(days=7))
    assert len(notifier.sent) == 7  # next week, again (New York: still Sunday)


# -- the push's chart (issue 18): share done against the share expected by now ----------


def test_an_owner_gets_a_chart_of_their_own_goals(engine, ids):
    notifier = RecordingNotifier()
    run(GOALS, engine, Settings(), notifier, MONDAY)
    (alice,) = notifier.to("user:alice")
    chart = alice.chart
    assert (chart.kind, chart.unit, chart.title) == ("hbars", "%", "Goal progress · week 47")
    assert chart.categories == ("Acme · won deals", "won revenue", "interactions")
    assert chart.series[0].values == (50, 50, 100)
    assert chart.reference == pytest.approx((87.7, 87.7, 87.7), abs=0.5)
    assert chart.reference_label == "Expected by now"


def test_a_manager_gets_a_chart_per_person_of_the_team_table(engine, ids):
    notifier = RecordingNotifier()
    run(GOALS, engine, Settings(), notifier, MONDAY)
    (bob,) = notifier.to("user:bob")
    assert bob.chart.categories == (
        "Alice Chen · won revenue",
        "Alice Chen · interactions",
        "Carol · won revenue",
        "East · won revenue",
        "王磊 · won revenue",
    )
    assert bob.chart.series[0].values == pytest.approx((50, 100, 0, 25, 88.9), abs=0.05)


def test_the_push_chart_speaks_chinese_to_a_chinese_reader(engine, ids):
    import warnings

    from handlers.render.charts import render_chart

    notifier = RecordingNotifier()
    run(GOALS, engine, Settings(), notifier, MONDAY)
    (wang,) = notifier.to("user:wang")
    assert wang.chart.categories == ("赢单金额",)
    assert wang.chart.series[0].label == "完成率（占目标 %）"
    assert wang.chart.reference_label == "当前应达"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Chinese glyph fails
        assert render_chart(wang.chart).png.startswith(b"\x89PNG")
