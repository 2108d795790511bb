"""``/pyramid`` (``/金字塔``): accounts, 12-month revenue and pipeline per tier, and the
tiers that disagree with the revenue band, on numbers_book plus some accounts and won
deals — every figure by hand.

Won in the 12 months (since 2025-11-18): Globex 200,000 + 700,000 = 900,000, Acme
500,000 (its 1,000,000 of 2025-01 is older), 华夏 300,000, Initech 100,000, Hooli 50,000,
Umbrella nothing; OldCo (churned, C, 5,000,000) is out of every number.
Open: Acme 100,000 + 200,000 + 300,000, Globex 400,000, 华夏 1,000,000, Initech 50,000.

Admin, 6 accounts (top band = ranks 1-2, middle = 3): Globex 1, Acme 2, 华夏 3, Initech 4,
Hooli 5, Umbrella 6.
  A  Acme, Umbrella   2 (33.3%) · 500,000 of 1,850,000 (27%)   · 600,000 of 2,050,000 (29.3%)
  B  华夏, Initech    2 (33.3%) · 400,000 (21.6%)              · 1,050,000 (51.2%)
  C  Globex, Hooli    2 (33.3%) · 950,000 (51.4%)              · 400,000 (19.5%)
  review: Globex (C, rank 1: top 20%), Umbrella (A, no revenue)
Bob (East + 华东: Acme, 华夏, Globex, Hooli; top band = rank 1, middle = 2): Globex only.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from domain.models import Account, Team, User
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import SHANGHAI, Chat, book
from tests.integration.numbers_book import numbers_book


def won(s, account, name, owner, amount, day):
    when = datetime(*day, 12, 0, tzinfo=SHANGHAI)
    f.deal(s, account, name, owner=owner, amount=amount, stage="won", stage_changed_at=when)


def pyramid_book(engine):
    ids = numbers_book(engine)
    with unit_of_work(engine) as s:
        carol, wang, eve, alice = (s.get(User, ids[k]) for k in ("carol", "wang", "eve", "alice"))
        acme, globex = s.get(Account, ids["acme"]), s.get(Account, ids["globex"])
        huaxia, initech = s.get(Account, ids["huaxia"]), s.get(Account, ids["initech"])
        f.account(s, "Umbrella", owner=eve, tier="A")
        hooli = f.account(s, "Hooli", owner=carol, tier="C")
        oldco = f.account(s, "OldCo", owner=carol, tier="C", status="churned")
        won(s, globex, "G3", carol, "700000", (2026, 6, 1))
        won(s, huaxia, "H0", wang, "300000", (2026, 3, 1))
        won(s, initech, "I0", eve, "100000", (2026, 9, 1))
        won(s, hooli, "K0", carol, "50000", (2026, 8, 1))
        won(s, acme, "AX", alice, "1000000", (2025, 1, 1))
        won(s, oldco, "O0", carol, "5000000", (2026, 5, 1))
    return ids


@pytest.fixture
def chat(engine):
    pyramid_book(engine)
    return Chat(engine)


def fields(reply) -> dict[str, str]:
    return {fl.label: fl.value for fl in reply.fields}


def test_the_admin_sees_the_whole_books_pyramid_and_the_tiers_to_review(chat):
    reply = chat.say("admin", "/pyramid")
    assert reply.title == "Value pyramid · whole book"
    assert fields(reply) == {
        "Accounts": "6",
        "12-month revenue": "¥1.85M",
        "Open pipeline": "¥2.05M",
    }
    tiers, review = reply.sections
    assert tiers.lines == (
        "A strategic — 2 accounts (33.3%) · revenue ¥500K (27%) · pipeline ¥600K (29.3%)",
        "B key — 2 accounts (33.3%) · revenue ¥400K (21.6%) · pipeline ¥1.05M (51.2%)",
        "C maintain — 2 accounts (33.3%) · revenue ¥950K (51.4%) · pipeline ¥400K (19.5%)",
    )
    assert review.title == "Tier disagrees with revenue — review candidates (2)"
    assert review.lines == (
        "Globex — tier C, but revenue rank 1 of 6 (top 20%): ¥900K",
        "Umbrella — tier A, no won revenue in 12 months",
    )
    chart = reply.chart
    assert chart.kind == "hbars"
    assert chart.unit == "%"
    assert chart.categories == ("A strategic", "B key", "C maintain")
    assert [(s.label, s.values) for s in chart.series] == [
        ("Accounts %", (33.33, 33.33, 33.33)),
        ("Revenue %", (27.03, 21.62, 51.35)),
        ("Pipeline %", (29.27, 51.22, 19.51)),
    ]


def test_a_manager_sees_their_teams(chat):
    reply = chat.say("bob", "/pyramid")
    assert reply.title == "Value pyramid · team East, 华东"
    assert reply.sections[0].lines[0] == (
        "A strategic — 1 accounts (25%) · revenue ¥500K (28.6%) · pipeline ¥600K (30%)"
    )  # 500,000 of 1,750,000; 600,000 of 2,000,000
    assert reply.sections[1].lines == (
        "Globex — tier C, but revenue rank 1 of 4 (top 20%): ¥900K",
    )  # Acme ranks 2 of 4: band B, one band from A, not listed


def test_wang_in_chinese_sees_his_team_where_all_agree(chat):
    reply = chat.say("wang", "/金字塔")
    assert reply.title == "客户价值金字塔 · 团队 华东"
    assert reply.sections[0].lines == (
        "A 战略 — 0 家（0%）· 收入 0（0%）· 商机 0（0%）",
        "B 重点 — 1 家（100%）· 收入 30万（100%）· 商机 100万（100%）",
        "C 维护 — 0 家（0%）· 收入 0（0%）· 商机 0（0%）",
    )
    assert "所有客户等级与收入段一致。" in reply.lines
    assert reply.chart.series[1].label == "收入占比"


def test_a_rep_sees_only_their_team(chat):
    eve = chat.say("eve", "/pyramid")
    assert eve.title == "Value pyramid · team West"
    assert fields(eve)["Accounts"] == "2"
    assert eve.sections[1].lines == ("Umbrella — tier A, no won revenue in 12 months",)
    assert chat.say("alice", "/pyramid team 华东").severity == "error"
    assert chat.say("alice", "/pyramid all").severity == "error"


def test_many_candidates_are_cut_to_ten(engine):
    ids = pyramid_book(engine)
    with unit_of_work(engine) as s:
        eve, west = s.get(User, ids["eve"]), s.get(Team, ids["west"])
        for i in range(11):
            f.account(s, f"Zeta {i:02d}", owner=eve, team=west, tier="A")
    reply = Chat(engine).say("admin", "/pyramid")
    review = reply.sections[1]
    assert review.title == "Tier disagrees with revenue — review candidates (13)"
    assert len(review.lines) == 11
    assert review.lines[0] == "Globex — tier C, but revenue rank 1 of 17 (top 20%): ¥900K"
    assert review.lines[-1] == "… 3 more"


def test_no_accounts(engine):
    book(engine)
    with unit_of_work(engine) as s:
        f.team(s, "Empty")
    reply = Chat(engine).say("admin", "/pyramid team Empty")
    assert reply.lines == ["No active accounts for team Empty."]
    assert reply.chart is None


def test_other_currencies_rank_at_their_rate_and_an_a_in_the_bottom_band(engine):
    from sqlmodel import select

    from bot.config import Settings

    ids = pyramid_book(engine)
    with unit_of_work(engine) as s:
        eve = s.get(User, ids["eve"])
        umbrella = s.exec(select(Account).where(Account.name == "Umbrella")).one()
        initech = s.get(Account, ids["initech"])
        f.deal(s, initech, "I9", owner=eve, amount="100000", currency="USD", stage="won",
               stage_changed_at=datetime(2026, 10, 1, 12, tzinfo=SHANGHAI))  # fmt: skip
        won(s, umbrella, "U0", eve, "10000", (2026, 7, 1))
    reply = Chat(engine, settings=Settings(fx_rates={"USD": "7"})).say("admin", "/pyramid")
    # Initech: 100,000 + USD 100,000 × 7 = 800,000 → rank 2; Acme 3 (band B); Umbrella
    # 10,000 → rank 6 of 6, bottom band
    assert reply.sections[0].lines[1].startswith("B key — 2 accounts (33.3%) · revenue ¥1.1M")
    assert reply.sections[1].lines == (
        "Globex — tier C, but revenue rank 1 of 6 (top 20%): ¥900K",
        "Umbrella — tier A, but revenue rank 6 of 6 (bottom band): ¥10K",
    )
