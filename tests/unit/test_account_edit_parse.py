"""Reading ``/account NAME set …`` (handlers/commands/account/edit.py): every field kind in
English and Chinese, several at once, the refusals, and ``mentions_set`` never missing a
set (a write read in a read transaction would be lost)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ParseError
from domain.policy import Policy
from handlers.commands.account import AccountQuery, parse_account
from handlers.commands.account.edit import AccountSet, AliasChange, mentions_set
from handlers.context import ParseContext
from handlers.parsing.account_fields import first_field_word
from handlers.parsing.values import read_bool, read_number, read_whole

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ACCOUNTS = {"acme", "acme corp", "华夏重工", "华夏", "growth partners"}


def _pctx(lang: str = "en") -> ParseContext:
    return ParseContext(
        now=NOW,
        lang=lang,
        currency="CNY",
        settings=Policy(),
        known_accounts=lambda names: {n.lower() for n in names if n.lower() in ACCOUNTS},
    )


def parse(text: str, lang: str = "en"):
    return parse_account(text, _pctx(lang))


def changes(text: str, lang: str = "en") -> dict:
    cmd = parse(text, lang)
    assert isinstance(cmd, AccountSet), cmd
    return cmd.changes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Acme set industry Robotics", {"industry": "Robotics"}),
        ("Acme set industry to Robotics", {"industry": "Robotics"}),
        ("Acme set region East China", {"region": "East China"}),
        ("Acme set region none", {"region": None}),
        ("Acme set revenue 12m", {"annual_revenue": Decimal("12000000.00")}),
        ("Acme set annual revenue ¥12,000,000", {"annual_revenue": Decimal("12000000.00")}),
        ("Acme set margin 22%", {"margin_pct": 22.0}),
        ("Acme set growth -5%", {"growth_pct": -5.0}),
        ("Acme set payment days 45 days", {"payment_days": 45}),
        ("Acme set cross-sell 60", {"cross_sell": 60}),
        ("Acme set cross sell 60", {"cross_sell": 60}),
        ("Acme set reference value 80", {"reference_value": 80}),
        ("Acme set brand 70", {"brand_value": 70}),
        ("Acme set innovation value 50/100", {"innovation_value": 50}),
        ("Acme set years together 3.5", {"years_together": 3.5}),
        ("Acme set executive contact yes", {"executive_contact": True}),
        ("Acme set executive contact unknown", {"executive_contact": None}),
        ("Acme set payment record 90", {"payment_record": 90}),
        ("Acme set name Acme Holdings", {"name": "Acme Holdings"}),
        ("Acme rename to Acme Holdings", {"name": "Acme Holdings"}),
        ("Acme SET Industry Robotics", {"industry": "Robotics"}),
        (
            'Acme set industry "Brand Management" region East',
            {"industry": "Brand Management", "region": "East"},
        ),
    ],
)
def test_each_field_kind_in_english(text, expected):
    assert changes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("华夏重工 设置 行业 制造", {"industry": "制造"}),
        ("华夏重工设置行业制造", {"industry": "制造"}),
        ("华夏重工 修改 区域 华东地区", {"region": "华东地区"}),  # 地区 inside the value
        ("华夏重工 设置 年收入 1200万", {"annual_revenue": Decimal("12000000.00")}),
        ("华夏重工 设置 营收1200万", {"annual_revenue": Decimal("12000000.00")}),
        ("华夏重工 设置 毛利率 22%", {"margin_pct": 22.0}),
        ("华夏重工 设置 回款天数 45天", {"payment_days": 45}),
        ("华夏重工 设置 账期 四十五", {"payment_days": 45}),
        ("华夏重工 设置 增长率 -5%", {"growth_pct": -5.0}),
        ("华夏重工 设置 交叉销售 60", {"cross_sell": 60}),
        ("华夏重工 设置 参考价值 80分", {"reference_value": 80}),
        ("华夏重工 设置 品牌价值 70", {"brand_value": 70}),
        ("华夏重工 设置 创新价值 50", {"innovation_value": 50}),
        ("华夏重工 设置 合作年限 3年", {"years_together": 3.0}),
        ("华夏重工 设置 高层联系 有", {"executive_contact": True}),
        ("华夏重工 设置 高层联系 无", {"executive_contact": False}),
        ("华夏重工 设置 回款记录 90", {"payment_record": 90}),
        ("华夏重工 改名 华夏重工集团", {"name": "华夏重工集团"}),
        ("华夏重工 设置 行业：制造", {"industry": "制造"}),
        ("华夏重工 行业改为制造", {"industry": "制造"}),
    ],
)
def test_each_field_kind_in_chinese(text, expected):
    assert changes(text, "zh") == expected


def test_several_fields_at_once_in_both_languages():
    assert changes("Acme set industry Robotics region East China revenue 12m, margin 22%") == {
        "industry": "Robotics",
        "region": "East China",
        "annual_revenue": Decimal("12000000.00"),
        "margin_pct": 22.0,
    }
    assert changes("华夏重工设置行业制造区域华东年收入1200万毛利率22%", "zh") == {
        "industry": "制造",
        "region": "华东",
        "annual_revenue": Decimal("12000000.00"),
        "margin_pct": 22.0,
    }


def test_status_and_its_reason():
    cmd = parse("Acme set status lost reason went with a competitor")
    assert cmd.changes == {"status": "lost"} and cmd.reason == "went with a competitor"
    cmd = parse("Acme set status lost went with a competitor, revenue fell")
    assert cmd.changes == {"status": "lost"}
    assert cmd.reason == "went with a competitor, revenue fell"  # a reason runs to the end
    cmd = parse("Acme set status dormant industry Robotics")
    assert cmd.changes == {"status": "dormant", "industry": "Robotics"} and cmd.reason is None
    cmd = parse("Acme set status at risk")
    assert cmd.changes == {"status": "at_risk"}
    cmd = parse("华夏重工 状态 休眠 原因 预算冻结", "zh")
    assert cmd.changes == {"status": "dormant"} and cmd.reason == "预算冻结"
    cmd = parse("华夏重工设置状态流失原因选了竞争对手，拜访也没用", "zh")
    assert cmd.changes == {"status": "churned"} and cmd.reason == "选了竞争对手，拜访也没用"
    cmd = parse("华夏重工 状态 已丢失", "zh")
    assert cmd.changes == {"status": "lost"}


def test_aliases_added_and_removed():
    cmd = parse("Acme set alias + ACME, - Acme Inc")
    assert cmd.aliases == [
        AliasChange(op="add", alias="ACME"),
        AliasChange(op="remove", alias="Acme Inc"),
    ]
    cmd = parse("Acme add alias Acme Robotics")
    assert cmd.aliases == [AliasChange(op="add", alias="Acme Robotics")]
    cmd = parse("Acme set remove alias ACME Corp")
    assert cmd.aliases == [AliasChange(op="remove", alias="ACME Corp")]
    cmd = parse("华夏重工 设置 别名 加 华重，删 华夏", "zh")
    assert cmd.aliases == [
        AliasChange(op="add", alias="华重"),
        AliasChange(op="remove", alias="华夏"),
    ]
    cmd = parse("华夏重工 删除别名华夏", "zh")
    assert cmd.aliases == [AliasChange(op="remove", alias="华夏")]


@pytest.mark.parametrize(
    ("text", "lang", "words"),
    [
        ("Acme set revenue lots", "en", ["“lots” is not an amount", "set revenue 12m"]),
        ("Acme set margin high", "en", ["not a percentage", "set margin 22%"]),
        ("Acme set payment days soon", "en", ["not a number of days"]),
        ("Acme set executive contact maybe", "en", ["not yes or no"]),
        ("Acme set status sleepy", "en", ["not a status", "dormant"]),
        ("Acme set industry", "en", ["industry needs a value"]),
        ("Acme set colour blue", "en", ["“colour blue” is not something", "Fields:"]),
        ("Acme set", "en", ["What should change on Acme"]),
        ("Acme set owner @wang", "en", ["/handover"]),
        ("Acme owner @wang", "en", ["/handover"]),
        ("Acme set tier A", "en", ["/tier Acme A"]),
        ("Acme set revenue USD 2m", "en", ["kept in CNY"]),
        ("华夏重工 设置 年收入 很多", "zh", ["不是金额", "年收入 1200万"]),
        ("华夏重工 设置 负责人 @alice", "zh", ["/交接"]),
        ("华夏重工 设置 状态 睡觉", "zh", ["不是客户状态"]),
    ],
)
def test_bad_values_are_refused_with_an_example(text, lang, words):
    with pytest.raises(ParseError) as caught:
        parse(text, lang)
    said = f"{caught.value.message}\n{caught.value.hint or ''}"
    for word in words:
        assert word in said


def test_trailing_words_are_a_set_a_refusal_or_part_of_an_unknown_name():
    assert changes("Acme industry Robotics") == {"industry": "Robotics"}
    assert changes("华夏重工 行业 制造", "zh") == {"industry": "制造"}
    with pytest.raises(ParseError, match="after Acme"):
        parse("Acme @wang")
    with pytest.raises(ParseError, match="after Acme"):
        parse("Acme please change the industry")
    # an unknown name of several words: the summary's, which says it is not found
    assert parse("Zenith Corp") == AccountQuery(account="Zenith Corp")
    assert parse("Zenith Growth Partners") == AccountQuery(account="Zenith Growth Partners")
    assert parse("Acme Holdings") == AccountQuery(account="Acme Holdings")
    # a known name that holds a field word is still just the summary
    assert parse("Growth Partners") == AccountQuery(account="Growth Partners")


SET_FORMS = [
    "Acme set industry Robotics",
    "Acme Set industry Robotics",
    "Acme update region East",
    "Acme industry Robotics",
    "Acme revenue 12m",
    "Acme payment days 45",
    "Acme cross-sell 60",
    "Acme rename Acme Holdings",
    "Acme add alias ACME",
    "Acme remove alias ACME Corp",
    "Acme status dormant reason budget",
    "Acme executive contact yes",
    "华夏重工 设置 行业 制造",
    "华夏重工设置行业制造",
    "华夏重工修改区域华东",
    "华夏重工 行业 制造",
    "华夏重工年收入1200万",
    "华夏重工毛利率22%",
    "华夏重工账期45天",
    "华夏重工改名华夏集团",
    "华夏重工加别名华重",
    "华夏重工状态休眠原因预算冻结",
    "华夏重工高层联系有",
    "ＡＣＭＥ ＳＥＴ industry Robotics",
]


@pytest.mark.parametrize("text", SET_FORMS)
def test_every_set_form_runs_in_a_write_transaction(text):
    lang = "zh" if "华夏" in text else "en"
    assert isinstance(parse(text.replace("ＡＣＭＥ ＳＥＴ", "Acme set"), lang), AccountSet)
    assert mentions_set(text)


def test_a_summary_is_a_read():
    assert not mentions_set("Acme")
    assert not mentions_set("华夏重工")
    assert not mentions_set("Zenith Corp")


def test_a_visit_told_after_a_field_word_is_an_edit_not_a_story():
    assert first_field_word("Acme payment days 45") == 5
    assert first_field_word("华夏重工 状态 流失 原因 拜访后发现") == 5
    assert first_field_word("华夏重工 今天拜访了王总") is None


def test_shared_value_readers():
    assert read_number("22%") == 22.0 and read_number("-5 %") == -5.0
    assert read_number("百分之22") == 22.0 and read_number("1,200.5") == 1200.5
    assert read_number("lots") is None and read_number("nan") is None
    assert read_whole("45") == 45 and read_whole("四十五") == 45 and read_whole("4.5") is None
    assert read_bool("有") is True and read_bool("no") is False and read_bool("maybe") is None
