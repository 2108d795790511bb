"""``/pipeline`` (``/漏斗``): the funnel of numbers_book, every figure worked by hand.

Bob (manager of East and 华东) sees A0-A3, G0-G2 and H1:
  open   lead A1 100,000 · qualify A2 200,000 · proposal A3 300,000 + H1 1,000,000 ·
         negotiation G1 400,000  → 5 deals, 2,000,000
  weighted 10% 10,000 · 25% 50,000 · 50% 650,000 · 75% 300,000 → 1,010,000
  days in stage A1 40, A2 10, A3 5, H1 3, G1 20 → medians 40, 10, 4, 20
  stalled  A1 (lead, 40 > 30) and G1 (negotiation, 20 > 14) → 2
  conversion (entered in the last 12 months → later reached a later stage or won)
    lead: A0 A1 A2 A3 G1 entered (G0's lead is 400 days old) → A0 A2 A3 G1 advanced: 4 of 5
    qualify: A0 A2 A3 G0 → A0 A3 (G0 was lost): 2 of 4
    proposal: A0 A3 G1 H1 → A0 G1: 2 of 4
    negotiation: A0 G1 → A0 won: 1 of 2
"""

from __future__ import annotations

import pytest

from bot.config import Settings
from domain.models import Account, Deal
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import Chat, book
from tests.integration.numbers_book import numbers_book


@pytest.fixture
def chat(engine):
    numbers_book(engine)
    return Chat(engine)


def fields(reply) -> dict[str, str]:
    return {fl.label: fl.value for fl in reply.fields}


def test_a_manager_sees_the_funnel_of_the_teams_they_manage(chat):
    reply = chat.say("bob", "/pipeline")
    assert reply.title == "Pipeline · team East, 华东"
    assert fields(reply) == {"Open": "5 deals · ¥2M", "Weighted": "¥1.01M", "Stalled": "2"}
    stages, conversion = reply.sections
    assert stages.lines == (
        "lead (10%) — 1 deals · ¥100K · weighted ¥10K · median 40 days in stage · 1 stalled",
        "qualify (25%) — 1 deals · ¥200K · weighted ¥50K · median 10 days in stage · 0 stalled",
        "proposal (50%) — 2 deals · ¥1.3M · weighted ¥650K · median 4 days in stage · 0 stalled",
        "negotiation (75%) — 1 deals · ¥400K · weighted ¥300K · median 20 days in stage · "
        "1 stalled",
    )
    assert conversion.title == "Conversion, last 12 months"
    assert conversion.lines == (
        "lead → qualify: 80% (4 of 5)",
        "qualify → proposal: 50% (2 of 4)",
        "proposal → negotiation: 50% (2 of 4)",
        "negotiation → won: 50% (1 of 2)",
    )
    chart = reply.chart
    assert chart.kind == "funnel"
    assert chart.unit == "¥"
    assert chart.categories == ("lead", "qualify", "proposal", "negotiation")
    assert [s.label for s in chart.series] == ["Amount", "Weighted"]
    assert chart.series[0].values == (100000.0, 200000.0, 1300000.0, 400000.0)
    assert chart.series[1].values == (10000.0, 50000.0, 650000.0, 300000.0)


def test_in_chinese_for_wang_his_own_deals(chat):
    reply = chat.say("wang", "/漏斗")
    assert reply.title == "销售漏斗 · 王磊"
    assert fields(reply) == {"进行中": "1 个商机 · 100万", "加权金额": "50万", "停滞": "0"}
    assert reply.sections[0].lines[2] == (
        "方案（50%）— 1 个商机 · 100万 · 加权 50万 · 停留中位数 3 天 · 停滞 0 个"
    )
    assert reply.sections[1].lines == (
        "线索 → 需求确认：—（0 个中 0 个）",
        "需求确认 → 方案：—（0 个中 0 个）",
        "方案 → 谈判：0%（1 个中 0 个）",
        "谈判 → 赢单：—（0 个中 0 个）",
    )
    assert reply.chart.categories == ("线索", "需求确认", "方案", "谈判")
    assert reply.chart.series[1].label == "加权金额"
    assert chat.say("wang", "/销售漏斗 我").title == "销售漏斗 · 王磊"
    team = chat.say("wang", "/漏斗 团队 华东 本季度")
    assert team.title == "销售漏斗 · 团队 华东 · 2026年第4季度预计成交"
    assert team.fields[0].value == "0 个商机 · 0"  # H1 closes in January


def test_a_rep_sees_their_own_deals_and_not_a_colleagues(chat):
    reply = chat.say("alice", "/pipeline")
    assert reply.title == "Pipeline · Alice Chen"
    assert fields(reply)["Open"] == "3 deals · ¥600K"
    assert fields(reply)["Weighted"] == "¥210K"  # 10,000 + 50,000 + 150,000
    assert reply.sections[1].lines[0] == "lead → qualify: 75% (3 of 4)"  # A0 A2 A3 of A0-A3
    assert chat.say("alice", "/pipeline team East").title == "Pipeline · team East"
    refused = chat.say("alice", "/pipeline @wang")
    assert refused.severity == "error"
    assert "王磊" in " ".join(refused.plain_lines())
    assert chat.say("alice", "/pipeline all").severity == "error"


def test_the_admin_sees_the_whole_book_and_a_quarter_by_close_date(chat):
    reply = chat.say("admin", "/pipeline")
    assert reply.title == "Pipeline · whole book"
    assert fields(reply)["Open"] == "6 deals · ¥2.05M"  # I1 (West) too
    assert reply.sections[0].lines[0].startswith("lead (10%) — 2 deals · ¥150K · weighted ¥15K")
    q4 = chat.say("bob", "/pipeline 2026Q4")
    assert q4.title == "Pipeline · team East, 华东 · closing 2026 Q4"
    # A3 (Dec 15) and G1 (Nov 30) close in Q4: 300,000 × 50% + 400,000 × 75%
    assert fields(q4) == {"Open": "2 deals · ¥700K", "Weighted": "¥450K", "Stalled": "1"}
    assert (
        chat.say("bob", "/销售漏斗 团队 华东").title == "Pipeline · team 华东"
    )  # bob reads English


def test_other_currencies_convert_at_the_house_rate_or_are_named(engine):
    ids = numbers_book(engine)
    with unit_of_work(engine) as s:
        wang = s.get(Account, ids["huaxia"])
        owner = s.get(Deal, ids["H1"]).owner_id
        from domain.models import User

        f.deal(s, wang, "H2", owner=s.get(User, owner), amount="10000", currency="USD",
               stage="negotiation")  # fmt: skip
        f.deal(s, wang, "H3", owner=s.get(User, owner), amount="500", currency="EUR",
               stage="negotiation")  # fmt: skip
    chat = Chat(engine, settings=Settings(fx_rates={"USD": "7"}))
    reply = chat.say("wang", "/pipeline")
    # negotiation: USD 10,000 × 7 = 70,000 (EUR has no rate: left out, and said)
    assert reply.sections[0].lines[3].startswith("谈判（75%）— 2 个商机 · 7万 · 加权 5.25万")
    assert "未计入（未设置汇率）：EUR" in reply.lines


def test_an_empty_scope_says_so_and_bad_words_are_refused(engine):
    book(engine)  # no deals at all
    chat = Chat(engine)
    empty = chat.say("bob", "/pipeline")
    assert empty.title == "Pipeline · team East, 华东"
    assert empty.lines == [
        "No open deals and no stage changes in the last 12 months for team East, 华东. "
        "Add one with /deal."
    ]
    assert empty.chart is None
    zh = chat.say("wang", "/漏斗")
    assert zh.lines == ["王磊没有进行中的商机，近12个月也没有阶段变化。可用 /商机 添加。"]
    bad = chat.say("bob", "/pipeline team East 12x")
    assert bad.severity == "error"
    assert "/pipeline team East 2026Q4" in " ".join(bad.plain_lines())
    unknown = chat.say("bob", "/pipeline team Nowhere")
    assert unknown.severity == "error"
    assert "There is no team called Nowhere." in " ".join(unknown.plain_lines())


def _statements(engine, chat, handle, text) -> int:
    from sqlalchemy import event

    seen = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        chat.say(handle, text)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_statements_do_not_grow_with_the_book(engine):
    """Set-based: the same number of statements for a bigger book (no query per deal,
    account, stage or month)."""
    ids = numbers_book(engine)
    chat = Chat(engine)
    asks = [("admin", "/pipeline"), ("admin", "/forecast 2026"), ("admin", "/pyramid")]
    before = [_statements(engine, chat, who, text) for who, text in asks]
    with unit_of_work(engine) as s:
        from domain.models import User

        carol = s.get(User, ids["carol"])
        for i in range(30):
            account = f.account(s, f"Bulk {i}", owner=carol, tier="ABC"[i % 3])
            for stage in ("lead", "proposal", "won", "negotiation"):
                f.deal(s, account, f"D{stage}", owner=carol, stage=stage, amount=str(1000 + i))
    after = [_statements(engine, chat, who, text) for who, text in asks]
    assert after[:2] == before[:2]
    # /pyramid reads the listed review candidates' revenue in one more statement when it
    # lists any: none in numbers_book, a C account in the top band among the bulk ones
    assert after[2] == before[2] + 1
    assert all(n <= 20 for n in after), after
