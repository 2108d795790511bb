"""Display names are unique among the people a message could be confused between
(issue 15 item 10): a rep could rename themselves to their manager's or a teammate's name,
and their notifications then read as that person's.

Chosen: refuse the name (case, width and spacing ignored) among the person's team, the
teams they manage, that team's managers, their line manager and the admins — the people
whose messages land in the same channels and inboxes.  The same name in two unrelated
teams (two 张伟) stays allowed.  Handles were and stay unique everywhere.
"""

import pytest
from sqlmodel import select

from domain.models import User
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    book(engine)
    return Chat(engine)


def _name(engine, handle: str) -> str:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(User).where(User.handle == handle)).one().display_name


@pytest.mark.parametrize(
    "taken",
    [
        "Bob",  # the line manager (and East's manager)
        "bob",  # case
        "ＢＯＢ",  # full width
        "Alice  Chen",  # a teammate, spacing
        "alice chen",
    ],
)
def test_a_rep_cannot_take_a_teammates_or_managers_name(engine, chat, taken):
    reply = chat.say("carol", f"/user set @carol name {taken}")
    assert reply.severity != Severity.success
    assert "is taken" in reply.lines[0]
    assert _name(engine, "carol") == "Carol"


def test_the_refusal_in_chinese(engine, chat):
    reply = chat.say("wang", "/用户 设置 @wang 名字 Bob")  # 华东 is managed by bob
    assert "已被占用" in reply.lines[0]
    assert _name(engine, "wang") == "王磊"


def test_a_manager_cannot_rename_a_rep_to_a_teammates_name(engine, chat):
    reply = chat.say("bob", "/user set @carol name Alice Chen")
    assert "is taken: Alice Chen (@alice)" in reply.lines[0]
    assert _name(engine, "carol") == "Carol"


def test_moving_into_a_team_with_ones_namesake_is_refused(engine, chat):
    assert chat.say("admin", "/user add @carol2 rep team West name Carol").severity == (
        Severity.success
    )  # West has no Carol: allowed
    reply = chat.say("admin", "/user set @carol2 team East")
    assert "is taken" in reply.lines[0]


def test_adding_someone_under_a_teammates_name_is_refused(engine, chat):
    reply = chat.say("bob", "/user add @alice2 rep team East name ALICE CHEN")
    assert "is taken" in reply.lines[0]
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(User).where(User.handle == "alice2")).first() is None


def test_an_unrelated_team_may_have_the_same_name_and_a_fresh_name_is_fine(engine, chat):
    assert chat.say("eve", "/user set @eve name Carol").severity == Severity.success  # West
    assert chat.say("carol", "/user set @carol name Carol W.").severity == Severity.success
    assert _name(engine, "carol") == "Carol W."
