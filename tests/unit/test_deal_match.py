"""Which of the account's deals a loosely typed name means (``match_deal``): sure when
everything typed is in one open deal's name, asked (close) in the grey band, nothing
when no deal is near."""

import pytest

from handlers.parsing.deals import CLOSE, SURE, deal_score, match_deal

DEALS = [
    ("Warehouse robotics pilot", True),
    ("CRM rollout", True),
    ("Line 2", True),
    ("二期扩容", True),
    ("2026 renewal", False),
]


def _kinds(typed: str, deals=DEALS) -> list[tuple[str, str]]:
    return [(deals[i][0], kind) for i, kind, _score in match_deal(typed, deals)]


@pytest.mark.parametrize(
    "typed",
    [
        "robotics pilot",  # missing words
        "ROBOTICS PILOT",  # case
        "pilot robotics warehouse",  # word order
        "warehouse robtics pilot",  # a typo
        "Warehose robotics pilot",
        "robotics",
    ],
)
def test_loose_names_are_sure_of_the_one_open_deal(typed):
    assert _kinds(typed)[0] == ("Warehouse robotics pilot", SURE)
    assert [k for _n, k in _kinds(typed)].count(SURE) == 1


@pytest.mark.parametrize(
    ("typed", "deal"),
    [
        ("crm roll out", "CRM rollout"),
        ("crm", "CRM rollout"),
        ("扩容", "二期扩容"),
        ("二期", "二期扩容"),
    ],
)
def test_more_sure_matches(typed, deal):
    assert _kinds(typed)[0] == (deal, SURE)


@pytest.mark.parametrize(
    ("typed", "deal"),
    [
        ("Line 3", "Line 2"),  # another number is another deal
        ("CRM rollout phase 2", "CRM rollout"),  # words the deal lacks
        ("三期扩容", "二期扩容"),
        ("二期扩容 客户反馈不错", "二期扩容"),
        ("2026 renewal", "2026 renewal"),  # a closed deal: ask before reopening it
        ("2027 renewal", "2026 renewal"),
        ("warehouse pilot 2", "Warehouse robotics pilot"),  # a number the deal lacks
    ],
)
def test_the_grey_band_is_asked(typed, deal):
    kinds = _kinds(typed)
    assert (deal, CLOSE) in kinds
    assert all(k == CLOSE for _n, k in kinds)


@pytest.mark.parametrize("typed", ["Data platform", "ERP", "三期厂房", "Q3 training"])
def test_nothing_close_is_nothing(typed):
    assert _kinds(typed) == []


def test_two_open_deals_that_fit_are_both_sure():
    deals = [("Robotics pilot Shanghai", True), ("Robotics pilot Ningbo", True)]
    assert [k for _n, k in _kinds("robotics pilot", deals)] == [SURE, SURE]


def test_scores_are_symmetric_in_neither_direction():
    typed_in, name_in = deal_score("robotics pilot", "Warehouse robotics pilot")
    assert typed_in == 100 and 60 < name_in < 70
    typed_in, name_in = deal_score("CRM rollout phase 2", "CRM rollout")
    assert typed_in < 90 and name_in == 100
