"""``/user`` (``/kam user``): registering people, who may, and keeping identities unique."""

from __future__ import annotations

import pytest
from sqlmodel import select

from domain.models import AuditEntry, Team, TeamManager, User
from handlers.replies import Severity
from storage import users
from storage.session import unit_of_work
from tests.harness import Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def _user(engine, handle: str) -> User | None:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(User).where(User.handle == handle)).first()


def _ids(engine, handle: str) -> dict[str, str]:
    """The user's chat identities: ``{"slack": "U0…", "wecom": "…"}``."""
    with unit_of_work(engine, write=False) as s:
        return users.identities_of(s, users.by_handle(s, handle).id)


def _managed(engine, user_id: int) -> set[str]:
    with unit_of_work(engine, write=False) as s:
        return set(
            s.exec(
                select(Team.name)
                .join(TeamManager, TeamManager.team_id == Team.id)
                .where(TeamManager.user_id == user_id)
            )
        )


def _fields(reply) -> dict[str, str]:
    return {f.label: f.value for f in reply.fields}


# --- add ----------------------------------------------------------------------------


def test_admin_adds_a_rep(engine, chat):
    b = book(engine)
    reply = chat.say("admin", "/kam user add @dave rep team East")
    assert reply.severity == Severity.success
    assert reply.title == "Added Dave (@dave)"
    dave = _user(engine, "dave")
    assert (dave.role, dave.team_id, dave.active) == ("rep", b["east"], True)
    assert (dave.language, dave.timezone, dave.manager_id) == ("en", "Asia/Shanghai", None)
    with unit_of_work(engine, write=False) as s:
        entry = s.exec(select(AuditEntry)).one()
    assert (entry.action, entry.entity, entry.entity_id) == ("create", "kam_user", dave.id)
    # the newcomer is welcomed, and can now use kam
    [welcome] = chat.notifier.to("user:dave")
    assert welcome.title == "Welcome to kam, Dave! Admin added you. Try /tasks or /help."
    assert chat.say("dave", "/tasks").title == "You have no open next steps"


def test_add_with_every_option(engine, chat):
    b = book(engine)
    reply = chat.say(
        "admin",
        "/user add carol.wu rep team East manager @bob lang zh tz america/new_york "
        'name "Carol Wu" slack u0cwu wecom carolwu email carol@example.com',
    )
    assert reply.severity == Severity.success, reply.lines
    u = _user(engine, "carol.wu")
    assert (u.display_name, u.role, u.team_id, u.manager_id) == (
        "Carol Wu",
        "rep",
        b["east"],
        b["bob"],
    )
    assert (u.language, u.timezone, u.email) == ("zh", "America/New_York", "carol@example.com")
    assert _ids(engine, "carol.wu") == {"slack": "U0CWU", "wecom": "carolwu"}
    assert _fields(reply)["Reports to"] == "Bob (@bob)"
    # welcomed in her own language, on Slack
    [(recipient, welcome)] = chat.notifier.sent
    assert (recipient.platform, recipient.address) == ("slack", "U0CWU")
    assert welcome.title.startswith("欢迎使用 kam，Carol Wu！")


def test_a_slack_mention_sets_the_slack_id(engine, chat):
    book(engine)
    chat.say_slack_markup("admin", "/user add <@U0123ABC|frank.li> rep team West")
    frank = _user(engine, "frank.li")
    assert (_ids(engine, "frank.li"), frank.display_name) == ({"slack": "U0123ABC"}, "frank.li")
    chat.say_slack_markup("admin", "/user add <@U0999XYZ> rep")
    assert _ids(engine, "u0999xyz") == {"slack": "U0999XYZ"}
    # the mention works wherever a person is named
    assert chat.say_slack_markup("admin", "/user <@U0123ABC>").title == "frank.li (@frank.li)"
    assert chat.say("frank.li", "/tasks").title == "You have no open next steps"


def test_add_in_chinese(engine, chat):
    b = book(engine)
    chat.say("admin", "/user set me lang zh")
    reply = chat.say("admin", "/用户 添加 @zhangsan 销售 团队 华东 上级 @bob 企业微信 zhangsan")
    assert reply.title == "已添加 Zhangsan（@zhangsan）"
    assert _fields(reply)["角色"] == "销售"
    z = _user(engine, "zhangsan")
    assert (z.role, z.team_id, z.manager_id, z.language) == ("rep", b["huadong"], b["bob"], "zh")
    assert _ids(engine, "zhangsan") == {"wecom": "zhangsan"}


def test_an_unknown_team_is_created_for_an_admin(engine, chat):
    book(engine)
    reply = chat.say("admin", "/user add @frank manager team South China")
    assert "New team South China created." in reply.lines
    frank = _user(engine, "frank")
    assert _managed(engine, frank.id) == {"South China"}
    assert _fields(reply)["Manages"] == "South China"


def test_reps_cannot_add_people(engine, chat):
    book(engine)
    reply = chat.say("alice", "/user add @dave rep team East")
    assert reply.title == "Not allowed"
    assert reply.lines[0] == "Only an admin or a team's manager can add people to kam."
    zh = chat.say("wang", "/用户 添加 @zhangsan 销售 团队 华东")
    assert zh.title == "没有权限"
    assert zh.lines[0] == "只有管理员或团队经理可以添加用户。"
    assert _user(engine, "dave") is None and _user(engine, "zhangsan") is None


def test_a_manager_adds_reps_to_their_own_teams(engine, chat):
    b = book(engine)
    reply = chat.say("bob", "/user add @dave team East")
    assert reply.severity == Severity.success
    dave = _user(engine, "dave")
    assert (dave.role, dave.team_id, dave.manager_id) == ("rep", b["east"], b["bob"])

    refused = {
        "/user add @gina": "Which team? You manage East, 华东",
        "/user add @gina team West": "You don't manage West",
        "/user add @gina manager team East": "Only an admin can make managers or admins",
        "/user add @gina team Nowhere": "There is no team “Nowhere”",
    }
    for text, message in refused.items():
        reply = chat.say("bob", text)
        assert reply.severity == Severity.error, text
        assert reply.lines[0].startswith(message), (text, reply.lines)
    assert _user(engine, "gina") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("/user add @Alice rep", "already a kam user"),
        ("/user add @dave rep slack U0ALICE", "Slack id U0ALICE already belongs to Alice Chen"),
        ("/user add <@U0BOB|robert> rep", "already a kam user"),
        ("/user add @dave wecom wanglei", "WeCom id wanglei already belongs to 王磊 (@wang)"),
        ("/user add @dave tz Mars/Olympus", "“Mars/Olympus” is not a timezone"),
        ("/user add @dave lang fr", "Language must be en or zh"),
        ("/user add @dave boss", "I don't understand “boss”"),
        ("/user add @da*ve", "“da*ve” can't be a handle"),
        ("/user add @dave email nope", "“nope” is not an email address"),
    ],
)
def test_add_refusals(engine, chat, text, message):
    book(engine)
    reply = chat.say_slack_markup("admin", text)
    assert reply.severity == Severity.error
    assert message in reply.lines[0], reply.lines
    assert _user(engine, "dave") is None


# --- list, show, set ------------------------------------------------------------------


def test_list_groups_people_by_team(engine, chat):
    book(engine)
    reply = chat.say("carol", "/user list")
    assert reply.title == "kam users (6)"
    assert [s.title for s in reply.sections] == ["East (3)", "West (1)", "华东 (1)", "No team (1)"]
    assert reply.sections[0].lines == (
        "@alice · Alice Chen · rep · → Bob · Slack",
        "@bob · Bob · manager · Slack",
        "@carol · Carol · rep · → Bob",
    )
    east = chat.say("carol", "/user list east")
    assert east.title == "kam users (3)"
    zh = chat.say("wang", "/用户 列表 华东")
    assert zh.sections[0].title == "华东（1 人）"
    assert zh.sections[0].lines == ("@wang · 王磊 · 销售 · → Bob · 企业微信",)


def test_show_one_person(engine, chat):
    book(engine)
    reply = chat.say("alice", "/user @wang")
    assert reply.title == "王磊 (@wang)"
    fields = _fields(reply)
    assert (fields["Team"], fields["Reports to"], fields["WeCom"], fields["Language"]) == (
        "华东",
        "Bob (@bob)",
        "wanglei",
        "中文",
    )


def test_admin_moves_someone_to_another_team(engine, chat):
    b = book(engine)
    reply = chat.say("admin", "/user set @carol team 华东")
    assert reply.title == "Updated Carol (@carol)"
    assert _user(engine, "carol").team_id == b["huadong"]
    with unit_of_work(engine, write=False) as s:
        entry = s.exec(select(AuditEntry)).one()
    assert (entry.before["team_id"], entry.after["team_id"]) == (b["east"], b["huadong"])
    # the same again changes nothing and records nothing
    again = chat.say("admin", "/user set @carol team 华东")
    assert again.title == "Carol (@carol) already has those settings"
    with unit_of_work(engine, write=False) as s:
        assert len(s.exec(select(AuditEntry)).all()) == 1


def test_admin_makes_someone_a_manager_of_teams(engine, chat):
    b = book(engine)
    chat.say("admin", "/user set @alice manager manages East, West")
    alice = _user(engine, "alice")
    assert alice.role == "manager"
    assert _managed(engine, alice.id) == {"East", "West"}
    chat.say("admin", "/user set @alice rep")
    assert _managed(engine, b["alice"]) == set()


def test_everyone_may_change_their_own_basics_only(engine, chat):
    book(engine)
    reply = chat.say("alice", '/user set me lang zh tz Europe/Berlin name "Alice C."')
    assert reply.severity == Severity.success
    alice = _user(engine, "alice")
    assert (alice.language, alice.timezone, alice.display_name) == (
        "zh",
        "Europe/Berlin",
        "Alice C.",
    )
    refused = chat.say("alice", "/user set me team West")
    assert refused.title == "没有权限"  # she speaks Chinese now
    assert refused.lines[0].startswith("你只能修改自己的姓名、语言、时区和邮箱")
    other = chat.say("carol", "/user set @alice lang en")
    assert other.title == "Not allowed"
    assert _user(engine, "alice").language == "zh"


def test_a_manager_changes_their_reps_but_not_others(engine, chat):
    b = book(engine)
    assert chat.say("bob", "/user set @carol tz Asia/Shanghai").severity == Severity.success
    assert _user(engine, "carol").timezone == "Asia/Shanghai"
    assert chat.say("bob", "/user set @wang team East").severity == Severity.success
    assert _user(engine, "wang").team_id == b["east"]
    for text in (
        "/user set @eve lang zh",
        "/user set @carol role admin",
        "/user set @carol team West",
    ):
        assert chat.say("bob", text).title == "Not allowed", text


def test_set_refuses_taken_identities_and_reporting_loops(engine, chat):
    book(engine)
    taken = chat.say("admin", "/user set @carol handle Alice")
    assert taken.lines[0] == "The handle @Alice is taken by Alice Chen."
    loop = chat.say("admin", "/user set @bob manager @alice")
    assert loop.lines[0].startswith("Alice Chen already reports (directly or not) to Bob")
    own = chat.say("admin", "/user set @bob manager @bob")
    assert own.lines[0] == "Nobody can report to themselves."
    assert _user(engine, "bob").manager_id is None


# --- remove ---------------------------------------------------------------------------


def test_remove_deactivates_and_keeps_the_accounts(engine, chat):
    b = book(engine)
    reply = chat.say("admin", "/user remove @bob")
    assert reply.title == "Deactivated Bob (@bob)"
    bob = _user(engine, "bob")
    assert bob.active is False
    assert _managed(engine, bob.id) == set()
    # still in the database, no longer able to use kam
    assert (
        chat.say("U0BOB", "/tasks", platform="slack").title == "You are not registered in kam yet"
    )
    assert chat.say("alice", "/user list").title == "kam users (5)"
    assert chat.say("alice", "/user list all").title == "kam users (6)"

    carol = chat.say("admin", "/user remove @carol")
    assert carol.lines == [
        "They still own 1 accounts, 0 open deals and 0 open next steps: hand them over so"
        " nothing is missed."
    ]
    # the handover is one tap away: a teammate, or anyone through a prefilled form
    assert [(a.label, a.command, a.kind) for a in carol.actions] == [
        ("Hand over to Alice Chen", "handover @carol to @alice", "button"),
        ("Hand over to…", "handover @carol to @", "modal"),
    ]
    with unit_of_work(engine, write=False) as s:
        from domain.models import Account

        assert s.get(Account, b["globex"]).owner_id == b["carol"]


def test_adding_a_deactivated_person_reactivates_them(engine, chat):
    b = book(engine)
    chat.say("admin", "/user remove @carol")
    reply = chat.say("admin", "/user add @carol rep team West")
    assert reply.title == "Welcome back: Carol (@carol) is active again"
    carol = _user(engine, "carol")
    assert (carol.active, carol.team_id) == (True, b["west"])


def test_remove_refusals(engine, chat):
    book(engine)
    assert (
        chat.say("admin", "/user remove @admin")
        .lines[0]
        .startswith("You can't deactivate yourself")
    )
    assert chat.say("alice", "/user remove @carol").title == "Not allowed"
    assert chat.say("bob", "/user remove @eve").title == "Not allowed"
    assert chat.say("admin", "/user remove @nobody").title == "Not found"
    # bob may remove a rep of his team
    assert chat.say("bob", "/user remove @carol").severity == Severity.success


def test_the_last_admin_stays(engine, chat):
    book(engine)
    chat.say("admin", "/user set @bob admin")
    assert chat.say("bob", "/user remove @admin").severity == Severity.success
    refused = chat.say("bob", "/user set me rep")
    assert refused.lines[0] == "Bob is the last admin; make someone else admin first."
    assert _user(engine, "bob").role == "admin"


def test_someone_reached_only_on_wecom_reads_chinese(engine):
    """The language comes from the platforms' directories (WeCom's is Chinese)."""
    from bot.bootstrap import build_directories
    from bot.config import Settings

    book(engine)
    chat = Chat(engine, directories=build_directories(Settings(), engine))
    chat.say("admin", "/user add @zhangsan rep wecom zhangsan")
    chat.say("admin", "/user add @frank rep slack U0FRANK1 wecom frank")
    chat.say("admin", "/user add @gina rep")
    languages = {h: _user(engine, h).language for h in ("zhangsan", "frank", "gina")}
    assert languages == {"zhangsan": "zh", "frank": "en", "gina": "en"}
    # a WeCom member kam does not know is told how to join in Chinese
    assert chat.say("nobody", "/help", platform="wecom").title == "你还没有加入 kam"
