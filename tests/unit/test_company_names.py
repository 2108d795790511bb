"""Company names as people write them (handlers.parsing.company_names): the legal form
is not the name, a Chinese short name is the company, and where an unknown name ends."""

import pytest

from handlers.parsing.company_names import chinese_head, core, readings, related, short_of


@pytest.mark.parametrize(
    ("name", "expect"),
    [
        ("Acme", "acme"),
        ("ACME Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("Acme, Inc.", "acme"),
        ("Acme Co., Ltd.", "acme"),
        ("Acme Holdings LLC", "acme"),
        ("Siemens GmbH", "siemens"),
        ("The Acme Group", "acme"),
        ("Corp", "corp"),  # nothing but a legal form: the name stands
        ("华夏重工股份有限公司", "华夏重工"),
        ("华夏重工集团", "华夏重工"),
        ("华夏重工集团有限公司", "华夏重工"),
        ("华夏重工有限责任公司", "华夏重工"),
        ("新星科技股份", "新星科技"),
        ("公司", "公司"),
    ],
)
def test_core_drops_the_legal_form(name, expect):
    assert core(name) == expect


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("华夏", "华夏重工股份有限公司", True),  # a Chinese short name
        ("华夏重工", "华夏重工集团", True),
        ("Acme", "Acme Widgets", True),  # the first words of a Latin name
        ("ACME Inc.", "Acme Corp", True),
        ("Acme", "Acmeville", False),  # not as a whole word
        ("Zenith Corp", "Acme Corp", False),  # sharing only the legal form
        ("Ac", "Acme Corp", False),  # too short to be a name
        ("华", "华夏重工", False),
    ],
)
def test_related_names(a, b, same):
    assert related(a, b) is same
    assert related(b, a) is same


def test_short_of_either_way():
    assert short_of("华夏", "华夏重工") and short_of("华夏重工", "华夏")


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("Zenith Corp met the CEO", ["Zenith Corp", "Zenith"]),
        ("Zenith Robotics met the CEO", ["Zenith Robotics", "Zenith"]),
        ("Zenith Robotics Inc. met the CEO", ["Zenith Robotics Inc.", "Zenith"]),
        ("zenith corp met the ceo", ["zenith corp", "zenith"]),
        ("Zenith, met the CEO", ["Zenith"]),
        ("Johnson & Johnson met the buyer", ["Johnson & Johnson", "Johnson"]),
        ("新星科技 今天见了王总", ["新星科技"]),
        ("新星科技今天见了王总", ["新星科技"]),
        ("星海科技有限公司今天见了李总", ["星海科技有限公司"]),
        ("华夏重工集团", ["华夏重工集团"]),
        ("with Nancy today, she wants samples", []),  # a word that leads to a name
    ],
)
def test_readings_best_first(text, expect):
    assert readings(text, first=text.split()[0].rstrip(",")) == expect


def test_chinese_head():
    assert chinese_head("新星科技昨天拜访了王总") == "新星科技"
    assert chinese_head("星海科技有限公司下周见") == "星海科技有限公司"
    assert chinese_head("美的集团") == "美的集团"
    assert chinese_head("远航物流") == "远航物流"


def test_pinyin_brand_of_a_chinese_name():
    from handlers.parsing.company_names import pinyin_brand

    assert pinyin_brand("中兴通讯股份有限公司") == "zhongxing"
    assert pinyin_brand("华夏重工") == "huaxia"
    assert pinyin_brand("Acme Corp") == ""
