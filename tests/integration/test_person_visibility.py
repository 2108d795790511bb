"""Who may look at a person, and name them someone's line manager: one rule
(``handlers.auth.may_see_person``), asked by the write and by every read (issue 15 item 10).

Before: a manager of East alone could make carol (East) report to wang (华东, a rep they
have no rights over); then wang's ``/指标 @carol`` was allowed and ``/待办 @carol`` refused.
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
    chat = Chat(engine)
    # dan manages East only (a manager placed in a team manages it)
    assert chat.say("admin", "/user add @dan manager team East").severity == Severity.success
    return chat


REFUSED = ("Not allowed", "没有权限")


def _manager_of(engine, handle: str) -> int | None:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(User).where(User.handle == handle)).one().manager_id


def _set_manager_directly(engine, handle: str, manager: str) -> None:
    """A line already there (an older kam, a CSV import): the reads must still agree."""
    with unit_of_work(engine) as s:
        users = {u.handle: u for u in s.exec(select(User)).all()}
        users[handle].manager_id = users[manager].id


def test_a_manager_cannot_name_a_line_manager_they_have_no_rights_over(engine, chat):
    before = _manager_of(engine, "carol")
    for text in ("/user set @carol manager @wang", "/user set @carol manager @eve"):
        reply = chat.say("dan", text)
        assert reply.title == "Not allowed", text
        assert "you can't make them Carol's line manager" in reply.lines[0]
    assert _manager_of(engine, "carol") == before
    zh = chat.say("dan", "/用户 设置 @carol 上级 @wang")
    assert zh.severity != Severity.success
    assert _manager_of(engine, "carol") == before


def test_a_manager_may_name_themselves_or_a_manager_they_see(engine, chat):
    with unit_of_work(engine, write=False) as s:
        ids = {u.handle: u.id for u in s.exec(select(User)).all()}
    assert chat.say("dan", "/user set @carol manager @dan").severity == Severity.success
    assert _manager_of(engine, "carol") == ids["dan"]
    assert chat.say("dan", "/user set @carol manager @bob").severity == Severity.success
    assert _manager_of(engine, "carol") == ids["bob"]  # bob is in East, which dan manages


def test_a_rep_is_never_made_a_line_manager(engine, chat):
    reply = chat.say("admin", "/user set @carol manager @alice")
    assert reply.lines[0] == "Alice Chen is a rep: a line manager must be a manager or an admin."


@pytest.mark.parametrize("reader", ["wang", "eve"])
def test_a_rep_named_line_manager_sees_the_same_in_every_read(engine, chat, reader):
    _set_manager_directly(engine, "carol", reader)
    answers = {
        text: chat.say(reader, text).title in REFUSED
        for text in ("/指标 @carol", "/待办 @carol", "/kpi @carol", "/tasks @carol",
                     "/goal @carol")
    }  # fmt: skip
    assert set(answers.values()) == {True}, answers  # all refused, none allowed


def test_a_manager_line_manager_outside_their_teams_sees_the_same_in_every_read(engine, chat):
    _set_manager_directly(engine, "eve", "dan")  # eve is in West, which dan does not manage
    answers = {
        text: chat.say("dan", text).title in REFUSED
        for text in ("/指标 @eve", "/待办 @eve", "/goal @eve")
    }
    assert set(answers.values()) == {False}, answers  # all allowed
