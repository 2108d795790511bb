"""/goal (/目标): set yearly goals for people, teams and accounts; progress from the book."""

from datetime import datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry, Goal, User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Chat, book


def _fields(reply) -> dict[str, str]:
    return {fld.label: fld.value for fld in reply.fields}


def _text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _goals(engine) -> list[tuple]:
    with unit_of_work(engine, write=False) as s:
        return [
            (g.year, g.metric, g.scope, g.user_id, g.team_id, g.account_id, g.target, g.currency)
            for g in s.exec(select(Goal).order_by(Goal.id))
        ]


def _at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 15, 0, tzinfo=SHANGHAI)


def _alices_year(engine, ids) -> None:
    """Won 3m in May and 1m in November; what must not count: a loss, last year, carol."""
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        globex = s.get(Account, ids["globex"])
        alice, carol = s.get(User, ids["alice"]), s.get(User, ids["carol"])
        for account, name, owner, amount, stage, at in (
            (acme, "May PO", alice, "3000000", "won", _at(5, 10)),
            (acme, "Nov PO", alice, "1000000", "won", _at(11, 1)),
            (acme, "Lost one", alice, "5000000", "lost", _at(6, 1)),
            (acme, "Last year", alice, "7000000", "won", _at(12, 20, 2025)),
            (globex, "Carol's", carol, "9000000", "won", _at(3, 3)),
        ):
            f.deal(s, account, name, owner=owner, amount=amount, stage=stage, stage_changed_at=at)
        for month in (2, 5, 10, 11):
            f.interaction(s, acme, author=alice, at=_at(month, 3))
        f.goal(s, year=2026, metric="won_revenue", target="10000000", user=alice)
        f.goal(s, year=2026, metric="interactions", target="100", user=alice)


def test_a_rep_sets_their_own_goal_split_evenly(engine):
    ids = book(engine)
    reply = Chat(engine).say("alice", "/goal 2027 revenue 10m")
    assert reply.severity is Severity.success
    assert reply.title == "Goal set: won revenue 2027 for Alice Chen"
    assert _fields(reply) == {
        "Target": "¥10M",
        "Quarters": "Q1 ¥2.5M · Q2 ¥2.5M · Q3 ¥2.5M · Q4 ¥2.5M",
        "Months": "even monthly split",
    }
    assert _goals(engine) == [
        (2027, "won_revenue", "user", ids["alice"], None, None, Decimal("10000000.00"), "CNY")
    ]
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Goal)).one().months is None


def test_manager_sets_a_reps_goal_and_the_rep_is_told(engine):
    ids = book(engine)
    chat = Chat(engine)
    reply = chat.say("bob", "/goal 2027 revenue 10m for @alice")
    assert reply.title == "Goal set: won revenue 2027 for Alice Chen"
    assert _goals(engine)[0][3] == ids["alice"]
    [(recipient, note)] = chat.notifier.sent
    assert recipient.key == "user:alice"
    assert note.title == "Bob set your goal: won revenue 2027 ¥10M"


def test_chinese_goal_for_oneself(engine):
    ids = book(engine)
    reply = Chat(engine).say("wang", "/目标 2027 销售额 1000万 给 @wang")
    assert reply.title == "已设定目标：王磊 2027 年赢单金额"
    assert _fields(reply)["季度"] == "Q1 250万 · Q2 250万 · Q3 250万 · Q4 250万"
    assert _goals(engine) == [
        (2027, "won_revenue", "user", ids["wang"], None, None, Decimal("10000000.00"), "CNY")
    ]


@pytest.mark.parametrize(
    ("who", "text", "scope_key", "metric", "target"),
    [
        ("bob", "/goal 2027 deals 12 for team East", ("team", "east"), "won_deals", "12"),
        ("bob", "/目标 2027 赢单数 12 团队 华东", ("team", "huadong"), "won_deals", "12"),
        ("alice", "/goal 2027 visits 50 for Acme", ("account", "acme"), "interactions", "50"),
        ("wang", "/目标 2027 拜访 200 客户 华夏重工", ("account", "huaxia"), "interactions", "200"),
        (
            "bob",
            "/goal 2027 new contacts 30 for Globex",
            ("account", "globex"),
            "new_contacts",
            "30",
        ),
        ("bob", "/目标 2027 新增联系人 30 给 @wang", ("user", "wang"), "new_contacts", "30"),
    ],
)
def test_goals_for_teams_accounts_and_each_metric(engine, who, text, scope_key, metric, target):
    ids = book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.success, _text(reply)
    [(year, m, scope, user_id, team_id, account_id, tgt, currency)] = _goals(engine)
    assert (year, m, scope, tgt, currency) == (2027, metric, scope_key[0], Decimal(target), None)
    assert {"user": user_id, "team": team_id, "account": account_id}[scope] == ids[scope_key[1]]


def test_setting_again_updates_the_one_goal_and_shows_the_old_target(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("bob", "/goal 2027 revenue 10m for @alice")
    reply = chat.say("bob", "/goal 2027 revenue 12m for @alice")
    assert reply.title == "Goal updated: won revenue 2027 for Alice Chen"
    assert _fields(reply)["Target"] == "¥12M (was ¥10M)"
    assert [g[6] for g in _goals(engine)] == [Decimal("12000000.00")]
    same = chat.say("bob", "/goal 2027 revenue 12m for @alice")
    assert same.title == "Goal unchanged: won revenue 2027 for Alice Chen"


def test_monthly_override_is_kept_and_shapes_the_quarters(engine):
    book(engine)
    reply = Chat(engine).say(
        "alice", "/goal 2027 revenue 13m months 0.5m,0.5m,1m,1m,1m,1m,1m,1m,1m,1m,2m,2m"
    )
    assert _fields(reply)["Quarters"] == "Q1 ¥2M · Q2 ¥3M · Q3 ¥3M · Q4 ¥5M"
    assert _fields(reply)["Months"] == "months as given"
    with unit_of_work(engine, write=False) as s:
        goal = s.exec(select(Goal)).one()
        thousands = (500, 500, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 2000, 2000)
        assert [Decimal(m) for m in goal.months] == [Decimal(k * 1000) for k in thousands]  # fmt: skip
        assert goal.target == Decimal("13000000.00")


def test_progress_counts_the_book_against_time_elapsed(engine):
    ids = book(engine)
    _alices_year(engine, ids)
    reply = Chat(engine).say("alice", "/goal")
    assert reply.title == "Goals 2026 — Alice Chen"
    revenue, visits = reply.sections
    assert revenue.title == "won revenue"
    # 4m of 10m; on Nov 18, 322 of 365 days are gone: 88% expected
    assert revenue.lines[0] == "████░░░░░░ 40% · expected 88% · behind"
    assert revenue.lines[1] == "¥4M of ¥10M"
    assert revenue.lines[2] == "¥3M a month needed over the 2 months left"
    assert revenue.lines[3] == "Q1 ¥0/¥2.5M · Q2 ¥3M/¥2.5M ✓ · Q3 ¥0/¥2.5M · Q4 ¥1M/¥2.5M"
    assert visits.title == "interactions"
    assert visits.lines[0].startswith("░░░░░░░░░░ 4% · expected 88% · behind")
    assert visits.lines[1] == "4 of 100"
    assert reply.severity is Severity.warning


def test_a_quarter_view(engine):
    ids = book(engine)
    _alices_year(engine, ids)
    reply = Chat(engine).say("alice", "/goal 2026Q4")
    assert reply.title == "Goals 2026 Q4 — Alice Chen"
    # Q4 target 2.5m, 1m won; 49 of Q4's 92 days are gone
    assert reply.sections[0].lines[:2] == (
        "████░░░░░░ 40% · expected 53% · behind",
        "¥1M of ¥2.5M",
    )


def test_chinese_view_of_a_team(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        from domain.models import Team

        huaxia = s.get(Account, ids["huaxia"])
        wang = s.get(User, ids["wang"])
        f.deal(
            s, huaxia, "一期", owner=wang, amount="2000000", stage="won", stage_changed_at=_at(9, 1)
        )
        f.goal(
            s, year=2026, metric="won_revenue", target="10000000", team=s.get(Team, ids["huadong"])
        )
    reply = Chat(engine).say("wang", "/目标 团队 华东")
    assert reply.title == "团队 华东 · 2026 年目标"
    [section] = reply.sections
    assert section.title == "赢单金额"
    assert section.lines[0] == "██░░░░░░░░ 20% · 按时间应达 88% · 落后"
    assert section.lines[1] == "已完成 200万 / 目标 1000万"


def test_managers_see_their_reps_goals_and_reps_do_not_see_each_other(engine):
    ids = book(engine)
    _alices_year(engine, ids)
    chat = Chat(engine)
    assert chat.say("bob", "/goal @alice").title == "Goals 2026 — Alice Chen"
    assert chat.say("admin", "/goal alice").title == "Goals 2026 — Alice Chen"
    refused = chat.say("carol", "/goal @alice")
    assert refused.severity is Severity.error
    assert "Alice Chen's goals are for Alice Chen, their managers and admins." in _text(refused)


def test_no_goals_yet_says_how_to_set_one(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/goal")
    assert reply.lines == ["No goals for 2026 yet.", "Set one: /goal 2026 revenue 10m"]


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("alice", "/goal 2027 revenue 1m for @carol", "Only Carol's manager or an admin"),
        ("alice", "/goal 2027 revenue 1m for team East", "Only a manager of team East"),
        ("alice", "/goal 2027 visits 50 for Globex", "Only Globex's owner"),
        ("bob", "/goal 2027 revenue 1m for @eve", "Only Eve's manager"),
        ("bob", "/goal 2027 revenue 1m for @nobody", "no kam user “nobody”"),
        ("bob", "/goal 2027 deals 5 for team North", "no team “North”"),
        ("alice", "/goal 2027 revenue 1.2.3m", "“1.2.3m” is not an amount"),
        ("alice", "/goal 2027 visits 1.5", "“1.5” is not a whole number"),
        ("alice", "/goal 2027 10m", "Which metric?"),
        ("alice", "/goal 2027 revenue", "What is the target?"),
        ("alice", "/goal 2027 revenue 10m months 1m,1m", "needs twelve values"),
        (
            "alice",
            "/goal 2027 revenue 10m months 1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m,1m",
            "add up to ¥12M, not the target ¥10M",
        ),
        ("eve", "/goal Acme", "you can't see its goals"),
        ("wang", "/目标 2027 销售额 1.2.3万", "看不懂金额“1.2.3万”"),
    ],
)
def test_refusals_say_why_and_change_nothing(engine, who, text, expect):
    book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error
    assert expect in _text(reply)
    assert _goals(engine) == []
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AuditEntry)).all() == []


def test_undo_takes_back_a_new_goal_and_a_change(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/goal 2027 revenue 10m")
    chat.say("alice", "/goal 2027 revenue 12m")
    assert chat.say("alice", "/undo").severity is Severity.success
    assert [g[6] for g in _goals(engine)] == [Decimal("10000000.00")]
    assert chat.say("alice", "/undo").severity is Severity.success
    assert _goals(engine) == []


def test_the_goal_year_defaults_to_this_year(engine):
    book(engine)
    Chat(engine, now=NOW).say("alice", "/goal visits 100")
    assert _goals(engine)[0][:2] == (2026, "interactions")


# -- the chart of /goal (issue 18): done to date by month against the target's pace --------


def _render_strictly(chart):
    """Draw the chart with every warning an error (a Chinese glyph missing fails)."""
    import warnings

    from handlers.render.charts import render_chart

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render_chart(chart)


def test_the_progress_chart_is_done_to_date_by_month_against_the_pace(engine):
    ids = book(engine)
    _alices_year(engine, ids)
    chart = Chat(engine).say("alice", "/goal").chart
    assert chart is not None
    assert (chart.kind, chart.unit) == ("bars", "¥")
    assert chart.title == "won revenue 2026 · Alice Chen"
    assert chart.categories == (
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    )  # fmt: skip
    [done] = chart.series
    assert done.label == "Done to date"
    # 3m won in May, 1m in November; December has not begun (an empty bar)
    assert done.values == (0, 0, 0, 0, 3e6, 3e6, 3e6, 3e6, 3e6, 3e6, 4e6, 0)
    assert chart.reference_label == "Target pace"
    assert chart.reference is not None
    assert chart.reference[0] == pytest.approx(833_333.33)
    assert chart.reference[5] == pytest.approx(5_000_000, abs=0.1)
    assert chart.reference[-1] == pytest.approx(10_000_000)
    assert chart.alt.endswith("¥4M of ¥10M")
    assert _render_strictly(chart).png.startswith(b"\x89PNG")


def test_a_quarter_chart_has_its_three_months(engine):
    ids = book(engine)
    _alices_year(engine, ids)
    chart = Chat(engine).say("alice", "/goal 2026Q4").chart
    assert chart.categories == ("Oct", "Nov", "Dec")
    assert chart.series[0].values == (0, 1e6, 0)
    assert chart.reference == pytest.approx((833_333.34, 1_666_666.68, 2_500_000.02))
    assert chart.title == "won revenue 2026 Q4 · Alice Chen"


def test_the_chart_is_in_chinese_for_a_chinese_reader(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        huaxia, wang = s.get(Account, ids["huaxia"]), s.get(User, ids["wang"])
        f.deal(s, huaxia, "一期", owner=wang, amount="2000000", stage="won",
               stage_changed_at=_at(9, 1))  # fmt: skip
        f.goal(s, year=2026, metric="won_revenue", target="12000000", user=wang)
    chart = Chat(engine).say("wang", "/目标").chart
    assert chart.title == "王磊 · 赢单金额 2026"
    assert chart.categories[:3] == ("1月", "2月", "3月")
    assert chart.series[0].label == "累计完成"
    assert chart.series[0].values[7:11] == (0, 2e6, 2e6, 2e6)
    assert chart.reference_label == "目标进度线"
    assert chart.reference[-1] == pytest.approx(12_000_000)
    assert "已完成 200万 / 1200万" in chart.alt
    image = _render_strictly(chart)
    assert 5_000 < len(image.png) <= 200 * 1024


def test_no_goals_no_chart(engine):
    book(engine)
    assert Chat(engine).say("alice", "/goal").chart is None
