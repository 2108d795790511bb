"""Parsing ``/contact`` for a contact's life over time (left, back, merge, remove, one
field by its word), and matching mentions of contacts who left (full name only)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ParseError
from domain.models import ContactRole
from domain.policy import Policy
from handlers.commands.contact import (
    ContactCommand,
    ContactLeft,
    ContactMerge,
    ContactRemove,
    parse_contact,
)
from handlers.context import ParseContext
from handlers.parsing.names import Candidate
from handlers.parsing.people import match_contacts

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ACCOUNTS = {"acme", "华夏重工"}


def _parse(text: str, lang: str = "en"):
    pctx = ParseContext(
        now=NOW,
        lang=lang,
        currency="CNY",
        settings=Policy(),
        known_accounts=lambda names: {n for n in names if n.lower() in ACCOUNTS},
    )
    return parse_contact(text, pctx)


@pytest.mark.parametrize(
    ("text", "name", "note"),
    [
        ("Acme Sarah Miller left", "Sarah Miller", None),
        ("Acme Sarah Miller has left", "Sarah Miller", None),
        ("Acme Sarah Miller left the company", "Sarah Miller", None),
        ("Acme Sarah Miller left — joined Globex", "Sarah Miller", "joined Globex"),
        ('Acme "Sarah" left, retired', "Sarah", "retired"),
        ("华夏重工 李娜 离职", "李娜", None),
        ("华夏重工 李娜离职了", "李娜", None),
        ("华夏重工 李娜 已离职，跳槽去了三一", "李娜", "跳槽去了三一"),
        ("华夏重工 李娜 走了", "李娜", None),
    ],
)
def test_left(text, name, note):
    cmd = _parse(text)
    assert cmd == ContactLeft(account=cmd.account, name=name, note=note)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Acme Sarah Miller back", "Sarah Miller"),
        ("Acme Sarah Miller is back", "Sarah Miller"),
        ("Acme Sarah Miller rejoined", "Sarah Miller"),
        ("华夏重工 李娜 回来了", "李娜"),
        ("华夏重工 李娜 复职", "李娜"),
    ],
)
def test_back(text, name):
    cmd = _parse(text)
    assert isinstance(cmd, ContactLeft) and cmd.back and cmd.name == name


@pytest.mark.parametrize(
    ("text", "dup", "keep"),
    [
        ('Acme merge "Sarah" into "Sarah Miller"', "Sarah", "Sarah Miller"),
        ("Acme merge Sarah into Sarah Miller", "Sarah", "Sarah Miller"),
        ('华夏重工 合并 "李经理" 到 "李娜"', "李经理", "李娜"),
        ("华夏重工 合并 李经理 到 李娜", "李经理", "李娜"),
        ("华夏重工 把李经理合并到李娜", "李经理", "李娜"),
    ],
)
def test_merge(text, dup, keep):
    cmd = _parse(text)
    assert isinstance(cmd, ContactMerge) and (cmd.duplicate, cmd.keep) == (dup, keep)


@pytest.mark.parametrize(
    "text", ["Acme merge Sarah", "华夏重工 合并 李娜", "Acme merge into Sarah"]
)
def test_merge_without_both_names_is_refused(text):
    with pytest.raises(ParseError):
        _parse(text)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Acme remove Tom Brown", "Tom Brown"),
        ('Acme delete "Tom Brown"', "Tom Brown"),
        ("华夏重工 删除 李娜", "李娜"),
    ],
)
def test_remove(text, name):
    assert _parse(text) == ContactRemove(account=_parse(text).account, name=name)


def test_one_field_by_its_word():
    cmd = _parse("Acme Li Wei title CFO")
    assert isinstance(cmd, ContactCommand)
    assert (cmd.name, cmd.title, cmd.role, cmd.new_name) == ("Li Wei", "CFO", None, None)
    cmd = _parse("Acme Li Wei title Head of Purchasing role decision maker")
    assert (cmd.name, cmd.title, cmd.role) == (
        "Li Wei",
        "Head of Purchasing",
        ContactRole.decision_maker,
    )
    cmd = _parse("Acme Li Wei name Wei Li phone 13800138000")
    assert (cmd.name, cmd.new_name, cmd.phone) == ("Li Wei", "Wei Li", "13800138000")
    cmd = _parse("华夏重工 李娜 职位 采购总监", "zh")
    assert (cmd.name, cmd.title) == ("李娜", "采购总监")
    cmd = _parse("华夏重工 李娜 角色 决策人", "zh")
    assert (cmd.name, cmd.role) == ("李娜", ContactRole.decision_maker)
    cmd = _parse("华夏重工 李娜 改名为 李丽娜", "zh")
    assert (cmd.name, cmd.new_name) == ("李娜", "李丽娜")


def test_the_comma_form_reads_as_before():
    cmd = _parse("Acme Li Wei, CFO, decision maker, birthday 5-3")
    assert (cmd.name, cmd.title, cmd.role, cmd.new_name) == (
        "Li Wei",
        "CFO",
        ContactRole.decision_maker,
        None,
    )


@pytest.mark.parametrize(
    "text",
    [
        "Acme Li Wei role bossman",
        "Acme Li Wei title",
        "Acme Li Wei title CFO title CEO",
        "Acme Li Wei name CFO",
    ],
)
def test_bad_field_edits(text):
    with pytest.raises(ParseError):
        _parse(text)


BOOK = [Candidate("sarah", "Sarah Miller"), Candidate("sc", "Sarah Chen"), Candidate("li", "李娜")]


def test_who_left_links_by_full_name_only():
    gone = {"sarah"}
    assert match_contacts("met Sarah Miller", BOOK, gone).linked == ["sarah"]
    # "Sarah" alone is the Sarah still there, not ambiguous with the one who left
    assert match_contacts("met Sarah today", BOOK, gone).linked == ["sc"]
    assert match_contacts("met Sarah today", BOOK).ambiguous == ["Sarah"]
    assert match_contacts("Ms. Miller called", BOOK, gone).linked == []
    assert match_contacts("Ms. Miller called", BOOK).linked == ["sarah"]
    assert match_contacts("李经理来电", BOOK, {"li"}).linked == []
    assert match_contacts("李经理来电", BOOK).linked == ["li"]
    assert match_contacts("李娜来电", BOOK, {"li"}).linked == ["li"]


def test_a_title_with_a_life_word_is_still_a_title():
    cmd = _parse("华夏重工 张三 合并报表主管", "zh")
    assert isinstance(cmd, ContactCommand)
    assert (cmd.name, cmd.title) == ("张三", "合并报表主管")
    cmd = _parse("Acme Li Wei, CFO title CEO")
    assert (cmd.name, cmd.title) == ("Li Wei", "CEO")  # the word wins over the comma form
