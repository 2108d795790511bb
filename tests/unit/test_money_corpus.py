"""Amounts in whole messages as reps type them, English, Chinese and mixed: every amount
with what was typed, and no other number taken for money.  Dates are claimed first, as
the commands do (``find_dates`` spans are ``taken``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.parsing.dates import find_dates
from handlers.parsing.money import find_amounts
from tests.harness import NOW

# (message, [(typed, amount, currency), …])
CORPUS: list[tuple[str, list[tuple[str, str, str]]]] = [
    # English
    ("Blue Harbor finally paid 300k", [("300k", "300000", "CNY")]),
    ("opp at Initech 800k, in negotiation", [("800k", "800000", "CNY")]),
    ("Acme: visited today, budget approved 1.2m, signing Q3", [("1.2m", "1200000", "CNY")]),
    ("met Li Wei and 2 engineers at 4pm, they want 500 licences", []),
    ("renewal worth half a million, decision by end of March", [("half a million", "500000", "CNY")]),
    ("they can do 350 grand if we throw in training", [("350 grand", "350000", "CNY")]),
    ("CFO ok'd 1.2 mil for phase 2", [("1.2 mil", "1200000", "CNY")]),
    ("quote sent: US$2M over 3 years", [("US$2M", "2000000", "USD")]),
    ("PO for USD 52,000 arrived yesterday", [("USD 52,000", "52000", "USD")]),
    ("wire of 52,000 USD landed on Monday", [("52,000 USD", "52000", "USD")]),
    ("pipeline 3.5m for Q4, 30% weighted", [("3.5m", "3500000", "CNY")]),
    ("pricing 12.5k per unit, 40 units", [("12.5k", "12500", "CNY")]),
    ("deal value two hundred k, maybe more", [("two hundred k", "200000", "CNY")]),
    ("call at 10:30 w/ procurement, 3 people, no numbers yet", []),
    ("sent 3 quotes: 100k, 120k and 150k", [
        ("100k", "100000", "CNY"), ("120k", "120000", "CNY"), ("150k", "150000", "CNY"),
    ]),
    ("snooze 2w, they are on holiday", []),
    ("invoice #12 still open, ref INV-2024-001", []),
    ("churn risk 20%, NPS 7", []),
    ("budget 500000 approved by the board", [("500000", "500000", "CNY")]),
    ("€5k for the workshop, 2 days on site", [("€5k", "5000", "EUR")]),
    ("RMB 300k deposit, rest on delivery", [("RMB 300k", "300000", "CNY")]),
    ("expansion 2-3m next year, not firm", []),
    ("$1.2M ARR, up from $900k", [("$1.2M", "1200000", "USD"), ("$900k", "900000", "USD")]),
    ("they have 2,000 employees across 30 sites", []),
    ("call Sarah on +86 13812345678 re the 1.5m renewal", [("1.5m", "1500000", "CNY")]),
    # Chinese
    ("回款 宁波港航 上周五 USD 52,000", [("USD 52,000", "52000", "USD")]),
    ("给华夏重工开了发票 50万", [("50万", "500000", "CNY")]),
    ("拜访华夏重工昨天见了王总。预算一百二十万，下一步：周五前发方案", [("一百二十万", "1200000", "CNY")]),
    ("客户预算150w，下周二再聊", [("150w", "1500000", "CNY")]),
    ("预计12月底签，合同额大概300万左右", [("300万", "3000000", "CNY")]),
    ("报价 35万美元，对方觉得贵", [("35万美元", "350000", "USD")]),
    ("人民币50万的首付款昨天到账了", [("人民币50万", "500000", "CNY")]),
    ("尾款5万块下个月付", [("5万块", "50000", "CNY")]),
    ("二期预算2.5百万，三期再说", [("2.5百万", "2500000", "CNY")]),
    ("年框两百万，分两期付", [("两百万", "2000000", "CNY")]),
    ("这个单子1千万，竞争很激烈", [("1千万", "10000000", "CNY")]),
    ("三十万的小单，3个人跟", [("三十万", "300000", "CNY")]),
    ("合同 30w 第二期", [("30w", "300000", "CNY")]),
    ("回款30%，剩下70%月底前", []),
    ("下午3点开会，5个人参加", []),
    ("打了9折，客户还想再谈", []),
    ("续约3年，每年80万", [("80万", "800000", "CNY")]),
    ("二期项目预算大概五六百万", []),
    ("预算100多万，还没定", []),
    ("合同号 12345，金额 一万五", [("一万五", "15000", "CNY")]),
    ("首付3万5，下周到账", [("3万5", "35000", "CNY")]),
    ("报价30到50万之间", []),
    ("王总电话13812345678，说预算没问题", []),
    ("Q3 复盘，完成率 85%", []),
    ("上周五见了李经理，聊了二期", []),
    # mixed
    ("华夏重工 deal 1.2M RMB, stage 谈判", [("1.2M RMB", "1200000", "CNY")]),
    ("Acme 预算 half a million, 下周 demo", [("half a million", "500000", "CNY")]),
    ("宁波港航 paid 30w yesterday", [("30w", "300000", "CNY")]),
    ("Blue Harbor 报价 $80k，3月底前决定", [("$80k", "80000", "USD")]),
    ("call w/ 王总 4pm, 预算 200k USD confirmed", [("200k USD", "200000", "USD")]),
]  # fmt: skip


@pytest.mark.parametrize(("message", "expected"), CORPUS)
def test_amounts_in_messages(message: str, expected: list[tuple[str, str, str]]) -> None:
    taken = [(d.start, d.end) for d in find_dates(message, now=NOW, prefer="past")]
    hits = find_amounts(message, taken=taken)
    got = [(message[h.start : h.end], h.money.amount, h.money.currency) for h in hits]
    assert got == [(t, Decimal(a), c) for t, a, c in expected]


def test_the_corpus_is_mostly_chinese_or_mixed() -> None:
    cjk = [m for m, _ in CORPUS if any("\u4e00" <= ch <= "\u9fff" for ch in m)]
    assert len(cjk) >= 0.5 * len(CORPUS)
