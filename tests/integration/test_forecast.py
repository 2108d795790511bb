"""``/forecast`` (``/预测``): bookings by close month against the goal, and 回款预测,
on numbers_book plus goals, a slipped deal and invoices — every figure by hand.

Bob (East + 华东), 2026 Q4 (this quarter; November is this month):
  goals   East 6,000,000 + 华东 1,200,000 a year → 600,000 a month, 1,800,000 in Q4
  Oct     won A0 500,000                        → commit 500,000, best 500,000
  Nov     won G2 200,000; G1 negotiation 400,000 × 75% = 300,000
                                                → commit 500,000, best 500,000
  Dec     A3 proposal 300,000 × 50% = 150,000   → commit 0, best 150,000
  apart   A4 (qualify 80,000, close Oct 20, still open) weighted 20,000;
          A1, A2 without a close date: 10,000 + 50,000 = 60,000
  totals  won 700,000, commit 1,000,000, best 1,150,000 = 63.9% of 1,800,000, short 650,000
Receivables (not yet due; by due day + the account's average days late):
  Acme pays 20 and 10 days late → 15: 300,000 due Nov 25 → Dec 10; 100,000 due Dec 20 →
  Jan 4, after Q4.  华夏 pays 5 days early → 0: 200,000 due Nov 28 → Nov.  Globex has
  no history: 50,000 less 10,000 paid, due Dec 5 → Dec.  Overdue: Globex 70,000 due Nov 1.
  → Nov 200,000, Dec 340,000, after 100,000, overdue 70,000 (1 invoice).
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.config import Settings
from domain.models import Account, Team, User
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import Chat, book
from tests.integration.numbers_book import invoice, numbers_book


def forecast_book(engine):
    ids = numbers_book(engine)
    with unit_of_work(engine) as s:
        alice, wang = s.get(User, ids["alice"]), s.get(User, ids["wang"])
        acme = s.get(Account, ids["acme"])
        f.deal(s, acme, "A4", owner=alice, amount="80000", stage="qualify",
               close_date=date(2026, 10, 20))  # fmt: skip
        f.goal(s, year=2026, metric="won_revenue", target="6000000", team=s.get(Team, ids["east"]))
        f.goal(s, year=2026, metric="won_revenue", target="1200000",
               team=s.get(Team, ids["huadong"]))  # fmt: skip
        f.goal(s, year=2026, metric="won_revenue", target="2400000", user=wang)
        f.goal(s, year=2026, metric="interactions", target="100", user=wang)  # not revenue
        invoice(s, ids["acme"], "10000", date(2026, 8, 1), settled=date(2026, 8, 21))
        invoice(s, ids["acme"], "10000", date(2026, 9, 1), settled=date(2026, 9, 11))
        invoice(s, ids["acme"], "300000", date(2026, 11, 25))
        invoice(s, ids["acme"], "100000", date(2026, 12, 20))
        invoice(s, ids["huaxia"], "5000", date(2026, 9, 30), settled=date(2026, 9, 25))
        invoice(s, ids["huaxia"], "200000", date(2026, 11, 28))
        invoice(s, ids["globex"], "50000", date(2026, 12, 5), paid="10000")
        invoice(s, ids["globex"], "70000", date(2026, 11, 1))
        invoice(s, ids["initech"], "999", date(2026, 12, 1))  # West: not bob's
    return ids


@pytest.fixture
def chat(engine):
    forecast_book(engine)
    return Chat(engine)


def fields(reply) -> dict[str, str]:
    return {fl.label: fl.value for fl in reply.fields}


def test_a_manager_sees_bookings_against_goal_and_receivables(chat):
    reply = chat.say("bob", "/forecast")
    assert reply.title == "Forecast · team East, 华东 · 2026 Q4"
    assert fields(reply) == {
        "Revenue goal": "¥1.8M",
        "Won": "¥700K",
        "Commit (won + negotiation, weighted)": "¥1M",
        "Best case (won + all open, weighted)": "¥1.15M",
        "Best case vs goal": "63.9% of goal · short ¥650K",
    }
    bookings, receipts = reply.sections
    assert bookings.lines == (
        "Oct 2026 — won ¥500K · commit ¥500K · best case ¥500K · goal ¥600K",
        "Nov 2026 — won ¥200K · commit ¥500K · best case ¥500K · goal ¥600K",
        "Dec 2026 — won ¥0 · commit ¥0 · best case ¥150K · goal ¥600K",
        "Close date passed, still open: 1 deals · weighted ¥20K (not in the months)",
        "No close date: 2 deals · weighted ¥60K (not in the months)",
    )
    assert receipts.title == "Receivables expected (回款预测)"
    assert receipts.lines == (
        "Nov 2026 — ¥200K",
        "Dec 2026 — ¥340K",
        "After 2026 Q4: ¥100K",
        "Overdue now, not in the months: ¥70K · 1 invoices",
        "2 of them moved later by their account's average days late",
    )
    chart = reply.chart
    assert chart.kind == "stacked"
    assert chart.categories == ("Oct 2026", "Nov 2026", "Dec 2026")
    assert [(s.label, s.values, s.stacked) for s in chart.series] == [
        ("Won", (500000.0, 200000.0, 0.0), False),
        ("Commit", (0.0, 300000.0, 0.0), True),
        ("Best case", (0.0, 0.0, 150000.0), True),
    ]
    assert chart.reference == (600000.0, 600000.0, 600000.0)
    assert chart.reference_label == "Goal"


def test_wang_in_chinese_against_his_own_goal(chat):
    reply = chat.say("wang", "/预测")
    assert reply.title == "预测 · 王磊 · 2026年第4季度"
    assert fields(reply) == {
        "收入目标": "60万",
        "已赢单": "0",
        "承诺（已赢单 + 谈判阶段加权）": "0",
        "最佳情况（已赢单 + 全部进行中加权）": "0",
        "最佳情况对比目标": "达成 0% · 差额 60万",
    }
    assert reply.sections[0].lines == (
        "2026年10月 — 已赢单 0 · 承诺 0 · 最佳情况 0 · 目标 20万",
        "2026年11月 — 已赢单 0 · 承诺 0 · 最佳情况 0 · 目标 20万",
        "2026年12月 — 已赢单 0 · 承诺 0 · 最佳情况 0 · 目标 20万",
    )
    assert reply.sections[1].lines == (
        "2026年11月 — 20万",  # 华夏 pays early: on the due day
        "2026年12月 — 0",
        "当前逾期（不计入各月）：0 · 0 张发票",
    )
    assert reply.chart.categories == ("2026年10月", "2026年11月", "2026年12月")
    assert reply.chart.reference_label == "目标"
    team = chat.say("wang", "/预测 团队 华东 本季度")
    assert team.title == "预测 · 团队 华东 · 2026年第4季度"
    assert fields(team)["收入目标"] == "30万"  # the 华东 team goal: 1,200,000 a year
    q1 = chat.say("wang", "/预测 2027Q1")
    assert q1.title == "预测 · 王磊 · 2027年第1季度"
    assert fields(q1)["收入目标"] == "未设置（/目标）"
    assert q1.sections[0].lines[0] == "2027年1月 — 已赢单 0 · 承诺 0 · 最佳情况 50万"  # H1
    assert "2027年第1季度之前：20万" in q1.sections[1].lines
    assert q1.chart.reference is None


def test_a_person_a_year_and_what_a_rep_may_not_see(chat):
    alice = chat.say("bob", "/forecast @alice")
    assert alice.title == "Forecast · Alice Chen · 2026 Q4"
    assert fields(alice)["Revenue goal"] == "none set (/goal)"
    assert fields(alice)["Best case (won + all open, weighted)"] == "¥650K"  # 500,000 + 150,000
    assert alice.sections[1].lines[:3] == (
        "Nov 2026 — ¥0",
        "Dec 2026 — ¥300K",
        "After 2026 Q4: ¥100K",
    )
    year = chat.say("bob", "/forecast 2026")
    assert year.title == "Forecast · team East, 华东 · 2026"
    assert len(year.chart.categories) == 12
    assert fields(year)["Revenue goal"] == "¥7.2M"
    # the months ahead are Nov and Dec; Acme's Dec 20 invoice (→ Jan 4) is after 2026
    assert year.sections[1].lines[:3] == (
        "Nov 2026 — ¥200K",
        "Dec 2026 — ¥340K",
        "After 2026: ¥100K",
    )
    refused = chat.say("alice", "/forecast @carol")
    assert refused.severity == "error"
    assert chat.say("alice", "/forecast all").severity == "error"
    admin = chat.say("admin", "/forecast")
    assert admin.title == "Forecast · whole book · 2026 Q4"
    assert admin.sections[1].lines[1] == "Dec 2026 — ¥341K"  # Initech's 999 too


def test_invoices_in_another_currency_convert(engine):
    ids = forecast_book(engine)
    with unit_of_work(engine) as s:
        invoice(s, ids["globex"], "1000", date(2026, 12, 10), currency="USD")
    chat = Chat(engine, settings=Settings(fx_rates={"USD": "7"}))
    reply = chat.say("bob", "/forecast")
    assert reply.sections[1].lines[1] == "Dec 2026 — ¥347K"  # 340,000 + 1,000 × 7


def test_nothing_to_forecast(engine):
    book(engine)
    chat = Chat(engine)
    reply = chat.say("eve", "/forecast")
    assert reply.lines == [
        "Nothing to forecast for Eve in 2026 Q4: no deals, invoices or revenue goal."
    ]
    assert reply.chart is None


def test_above_the_goal_says_by_how_much(engine):
    ids = forecast_book(engine)
    with unit_of_work(engine) as s:
        f.goal(s, year=2026, metric="won_revenue", target="120000", user=s.get(User, ids["alice"]))
    reply = Chat(engine).say("bob", "/forecast @alice")
    # 10,000 a month: 30,000 in Q4 against a best case of 500,000 + 150,000
    assert fields(reply)["Revenue goal"] == "¥30K"
    assert fields(reply)["Best case vs goal"] == "2166.7% of goal · above by ¥620K"
    assert reply.chart.unit == "¥"
