"""``/team`` read as a typed command: the verbs and role words in English and Chinese,
the predicate that says whether it writes, and what is refused or asked."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ParseError
from domain.models import MemberRole
from domain.policy import Policy
from handlers.clarify import Choose
from handlers.commands.team import parse_team, team_writes
from handlers.context import ParseContext
from handlers.views.team import role_label, team_line

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
ACCOUNTS = {"acme", "华夏重工", "blue harbor"}


def _pctx(lang: str = "en") -> ParseContext:
    return ParseContext(
        now=NOW,
        lang=lang,
        currency="CNY",
        settings=Policy(),
        known_accounts=lambda names: {n.lower() for n in names if n.lower() in ACCOUNTS},
    )


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("Acme add @dave tech", MemberRole.tech),
        ("Acme add @dave service", MemberRole.service),
        ("Acme add @dave support", MemberRole.service),
        ("Acme + @dave legal", MemberRole.legal),
        ("Acme add @dave finance", MemberRole.finance),
        ("Acme add @dave exec-sponsor", MemberRole.exec_sponsor),
        ("Acme add @dave exec sponsor", MemberRole.exec_sponsor),
        ("Acme add @dave Other", MemberRole.other),
    ],
)
def test_english_roles(text, role):
    cmd = parse_team(text, _pctx())
    assert (cmd.account, cmd.action, cmd.user, cmd.role) == ("Acme", "add", "dave", role)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("华夏重工 加 @王磊 技术", MemberRole.tech),
        ("华夏重工 添加 @王磊 客服", MemberRole.service),
        ("华夏重工 加 @王磊 法务", MemberRole.legal),
        ("华夏重工 加入 @王磊 财务", MemberRole.finance),
        ("华夏重工 加 @王磊 高层", MemberRole.exec_sponsor),
        ("华夏重工，加 @王磊，其他", MemberRole.other),
    ],
)
def test_chinese_roles(text, role):
    cmd = parse_team(text, _pctx("zh"))
    assert (cmd.account, cmd.action, cmd.user, cmd.role) == ("华夏重工", "add", "王磊", role)


def test_list_and_remove():
    assert parse_team("Acme", _pctx()).action == "list"
    removed = parse_team("Acme remove @dave", _pctx())
    assert (removed.action, removed.user, removed.role) == ("remove", "dave", None)
    assert parse_team("华夏重工 移除 @王磊", _pctx("zh")).action == "remove"


def test_only_changes_write():
    assert not team_writes("Acme")
    assert not team_writes("Blue Harbor")
    assert team_writes("Acme add @dave tech")
    assert team_writes("Acme remove @dave")
    assert team_writes("华夏重工 加 @王磊 技术")
    assert team_writes("华夏重工 移除 @王磊")


@pytest.mark.parametrize(
    ("text", "lang", "said"),
    [
        ("Acme invite @dave tech", "en", "“invite” is not something /team does"),
        ("Acme add dave tech", "en", "Name the person with @"),
        ("Acme add @dave wizard", "en", "“wizard” is not a team role"),
        ("Acme remove @dave tech", "en", "Removing takes only the person"),
        ("华夏重工 加 @王磊 巫师", "zh", "“巫师”不是协同角色"),
        ("华夏重工 加 王磊 技术", "zh", "请用@指明成员"),
    ],
)
def test_refusals_say_what_was_wrong(text, lang, said):
    with pytest.raises(ParseError) as err:
        parse_team(text, _pctx(lang))
    assert said in str(err.value.message)


def test_a_missing_role_is_asked_with_every_role():
    with pytest.raises(Choose) as asked:
        parse_team('"Blue Harbor" add @dave', _pctx())
    texts = [c.text for c in asked.value.choices]
    assert texts[0] == 'team "Blue Harbor" add @dave tech'
    assert len(texts) == len(MemberRole) - 1  # five fit; "other" is typed, as the question says
    assert "/team Blue Harbor add @dave other" in asked.value.question
    for text in texts:  # each choice reads back as that role
        assert parse_team(text.removeprefix("team "), _pctx()).role is not None


def test_role_words_and_team_line_in_both_languages():
    assert role_label("exec_sponsor", "en") == "exec sponsor"
    assert role_label("exec_sponsor", "zh") == "高层"
    assert role_label("mystery", "en") == "mystery"
    members = [("Dave Li", "tech"), ("Erin", "service")]
    assert team_line(members, "en") == "Dave Li (tech), Erin (service)"
    assert (
        team_line([("刘芳", "service"), ("王磊", "finance")], "zh") == "刘芳（服务）、王磊（财务）"
    )
