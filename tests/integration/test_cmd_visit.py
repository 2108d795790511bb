"""/visit /call /meet /meal (/拜访 /电话 /会议 /宴请): one line logs an interaction."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from domain.models import Contact, Interaction, InteractionContact, Task
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import NOW, SHANGHAI, Chat, book


def _interactions(engine):
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(Interaction).order_by(Interaction.id)))


def test_visit_logs_when_who_notes_and_next_step(engine):
    ids = book(engine)
    reply = Chat(engine).say(
        "alice",
        "/visit Acme yesterday met Li Wei, CFO. Budget approved. next: send proposal by Friday",
    )
    assert reply.severity is Severity.success
    [i] = _interactions(engine)
    assert i.kind == "visit" and i.account_id == ids["acme"] and i.author_id == ids["alice"]
    assert i.happened_at.astimezone(SHANGHAI).date() == (NOW - timedelta(days=1)).date()
    assert i.notes == "met Li Wei, CFO. Budget approved."
    with unit_of_work(engine, write=False) as s:
        links = s.exec(select(InteractionContact.contact_id)).all()
        assert links == [ids["li_wei"]]
        [task] = s.exec(select(Task)).all()
        assert task.text == "send proposal" and task.owner_id == ids["alice"]
        # Friday after Wednesday 2026-11-18 is the 20th, due by the end of the workday
        assert task.due_at.astimezone(SHANGHAI).date() == datetime(2026, 11, 20).date()
        assert task.interaction_id == i.id
    assert any(fld.value == "Li Wei" for fld in reply.fields)


def test_chinese_visit_links_by_surname_and_honorific(engine):
    ids = book(engine)
    reply = Chat(engine).say("wang", "/拜访 华夏重工 昨天 见了王总，预算已批 下一步：周五前发方案")
    assert reply.severity is Severity.success
    assert reply.title == "已记录拜访：华夏重工"
    [i] = _interactions(engine)
    assert i.happened_at.astimezone(SHANGHAI).date() == datetime(2026, 11, 17).date()
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(InteractionContact.contact_id)).all() == [ids["jianguo"]]
        [task] = s.exec(select(Task)).all()
        assert task.text == "发方案"
        assert task.due_at.astimezone(SHANGHAI).date() == datetime(2026, 11, 20).date()
        # 王总 matched 王建国: no new contact was added
        assert len(s.exec(select(Contact).where(Contact.account_id == ids["huaxia"])).all()) == 2


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("/call Acme talked budget", "call"),
        ("/电话 华夏重工 沟通交付时间", "call"),
        ("/meet Acme steering committee", "meeting"),
        ("/会议 华夏重工 项目启动会", "meeting"),
        ("/meal Acme dinner with Tom Brown", "meal"),
        ("/宴请 华夏重工 和李经理吃饭", "meal"),
        ("kam visit Acme quick check-in", "visit"),
        ("/kam visit Acme quick check-in", "visit"),
    ],
)
def test_every_kind_and_form_logs(engine, text, kind):
    book(engine)
    handle = "wang" if "华夏" in text else "alice"
    assert Chat(engine).say(handle, text).severity is Severity.success
    [i] = _interactions(engine)
    assert i.kind == kind


def test_unknown_name_after_met_becomes_a_new_contact_with_undo_hint(engine):
    ids = book(engine)
    reply = Chat(engine).say("alice", "/visit Acme met Jane Doe (VP Sales) about the renewal")
    text = "\n".join(reply.plain_lines())
    assert "Added new contact Jane Doe (VP Sales) to Acme." in text
    assert "/undo" in text
    with unit_of_work(engine, write=False) as s:
        jane = s.exec(select(Contact).where(Contact.name == "Jane Doe")).one()
        assert jane.account_id == ids["acme"] and jane.title == "VP Sales"
        assert s.exec(select(InteractionContact.contact_id)).all() == [jane.id]


def test_someone_else_logging_tells_the_owner(engine):
    book(engine)
    chat = Chat(engine)
    assert chat.say("bob", "/visit 华夏重工 今天 电话沟通交付").severity is Severity.success
    [(recipient, note)] = chat.notifier.sent
    assert recipient.key == "user:wang" and recipient.platform == "wecom"
    assert "华夏重工" in note.title and "Bob" in note.title


def test_owner_logging_tells_nobody(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/visit Acme check-in")
    assert chat.notifier.sent == []


def test_refusals_change_nothing(engine):
    book(engine)
    chat = Chat(engine)
    unknown = chat.say("alice", "/visit Nowhere Ltd yesterday met Li Wei")
    assert unknown.title == "“Nowhere Ltd” is not in the book yet. Create it?"  # asked
    other = chat.say("eve", "/visit Acme yesterday met Li Wei")
    assert other.severity is Severity.error
    future = chat.say("alice", "/visit Acme tomorrow met Li Wei")
    assert future.severity is Severity.error and "future" in future.lines[0]
    long = chat.say("alice", "/visit Acme " + "x" * 4001)
    assert long.severity is Severity.error and "4001" in long.lines[0] and "4000" in long.lines[0]
    empty_next = chat.say("alice", "/visit Acme met Li Wei next:")
    assert empty_next.severity is Severity.error
    assert all("Example: /visit Acme yesterday" in "\n".join(r.lines) for r in (future, long))
    assert _interactions(engine) == []


def test_a_note_of_exactly_4000_characters_is_kept_whole(engine):
    book(engine)
    note = "ok " * 1333 + "x"  # 4000 characters
    assert Chat(engine).say("alice", "/visit Acme " + note).severity is Severity.success
    [i] = _interactions(engine)
    assert len(i.notes) == 4000


def test_a_loosely_typed_account_name_is_echoed_with_how_it_was_read(engine):
    book(engine)
    chat = Chat(engine)
    loose = chat.say("alice", "/visit Acmee met the buyer")
    assert loose.severity is Severity.success
    assert loose.lines[0] == "(read “Acmee” as Acme)"
    exact = chat.say("alice", "/visit Acme met the buyer again")
    assert not any("read “" in line for line in exact.lines)
