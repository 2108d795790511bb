"""/visit /call /meet /meal read the whole line the way reps type it: the date anywhere,
several next steps each with its due date and owner, what was typed stored as typed,
and a reply that shows what was understood.  Refusals and questions write nothing."""

from datetime import date, datetime

import pytest
from sqlmodel import select

from domain.models import Interaction, Task
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import NOW, SHANGHAI, Chat, book


def _interactions(engine) -> list[Interaction]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(Interaction).order_by(Interaction.id)))


def _tasks(engine) -> list[Task]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(Task).order_by(Task.id)))


def _local(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI)


def _text(reply) -> str:
    return "\n".join([reply.title, *(f"{f.label}: {f.value}" for f in reply.fields), *reply.lines])


# --- 1. the interaction date anywhere in the note ------------------------------------


@pytest.mark.parametrize(
    ("who", "text", "notes", "hour"),
    [
        ("alice", "/visit Acme met Li Wei yesterday afternoon", "met Li Wei yesterday afternoon", 14),
        ("wang", "/拜访 华夏重工 见了王总 昨天下午", "见了王总 昨天下午", 14),
        ("wang", "拜访华夏重工昨天见了王总。下一步：周五前发方案", "见了王总。", 12),
        ("alice", "/call Acme talked w/ Li Wei yesterday at 4pm", "talked w/ Li Wei yesterday at 4pm", 16),
    ],
)  # fmt: skip
def test_the_date_is_read_wherever_it_stands(engine, who, text, notes, hour):
    book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.success, _text(reply)
    [i] = _interactions(engine)
    assert (_local(i.happened_at).date(), _local(i.happened_at).hour) == (date(2026, 11, 17), hour)
    assert i.notes == notes


def test_chinese_without_spaces_creates_the_task_too(engine):
    book(engine)
    Chat(engine).say("wang", "拜访华夏重工昨天见了王总。下一步：周五前发方案")
    [task] = _tasks(engine)
    assert task.text == "发方案" and _local(task.due_at).date() == date(2026, 11, 20)


def test_no_date_is_logged_now_and_said_so(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/visit Acme quick check-in with Li Wei")
    [i] = _interactions(engine)
    assert _local(i.happened_at) == NOW
    assert "today (no date given)" in _text(reply)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("/visit Acme tomorrow met Li Wei", "tomorrow"),
        ("/visit Acme met Li Wei next week", "next week"),
        ("/visit Acme Dec 9 met Li Wei", "Dec 9"),
    ],
)
def test_a_day_that_has_not_happened_is_refused(engine, text, phrase):
    book(engine)
    reply = Chat(engine).say("alice", text)
    assert reply.severity is Severity.error
    assert f"(“{phrase}”)" in reply.lines[0] and "hasn't happened yet" in reply.lines[0]
    assert _interactions(engine) == []


def test_a_day_ahead_later_in_the_note_is_what_was_said(engine):
    book(engine)
    reply = Chat(engine).say("wang", "/电话 华夏重工 沟通了预算，客户说下个月再定")
    assert reply.severity is Severity.success
    assert "“下个月”还没到，按原文留在内容里，按今天记录。" in reply.lines
    [i] = _interactions(engine)
    assert _local(i.happened_at) == NOW and i.notes == "沟通了预算，客户说下个月再定"


def test_two_days_in_the_note_are_asked_about_and_nothing_is_written(engine):
    book(engine)
    reply = Chat(engine).say("wang", "/拜访 华夏重工 上周发的方案，今天客户反馈不错")
    assert reply.severity is Severity.warning and reply.title == "这次拜访是哪一天？"
    assert [a.command for a in reply.actions] == ["answer 1 1", "answer 1 2"]
    assert _interactions(engine) == []
    # the chosen message logs that day and keeps the whole note as typed
    chosen = Chat(engine).say("wang", "2")
    assert chosen.severity is Severity.success
    [i] = _interactions(engine)
    assert _local(i.happened_at).date() == NOW.date()
    assert i.notes == "上周发的方案，今天客户反馈不错"
    assert "“上周”" in _text(chosen)  # the other date is named: kept in the notes as text


# --- 2. several next steps, each with its due date and owner --------------------------


def test_several_steps_each_with_its_own_due_date(engine):
    book(engine)
    reply = Chat(engine).say(
        "alice", "/visit Acme met Li Wei. next: deck by Fri; pricing by 12月10号"
    )
    assert reply.severity is Severity.success
    tasks = _tasks(engine)
    assert [(t.text, _local(t.due_at).date()) for t in tasks] == [
        ("deck", date(2026, 11, 20)),
        ("pricing", date(2026, 12, 10)),
    ]
    [i] = _interactions(engine)
    assert all(t.interaction_id == i.id for t in tasks)
    assert [f.label for f in reply.fields if f.label.startswith("Next step")] == [
        f"Next step #{tasks[0].id}",
        f"Next step #{tasks[1].id}",
    ]


def test_numbered_chinese_steps(engine):
    book(engine)
    Chat(engine).say(
        "wang", "/拜访 华夏重工 预算已批 下一步：1. 发方案 周五前 2. 约技术交流 下周三"
    )
    assert [(t.text, _local(t.due_at).date()) for t in _tasks(engine)] == [
        ("发方案", date(2026, 11, 20)),
        ("约技术交流", date(2026, 11, 25)),
    ]


def test_a_named_owner_gets_the_step_and_is_told(engine):
    ids = book(engine)
    chat = Chat(engine)
    reply = chat.say(
        "alice", "/visit Acme met Li Wei. next steps: send deck by Mon, @carol to send the contract by Wed"
    )  # fmt: skip
    assert reply.severity is Severity.success, _text(reply)
    deck, contract = _tasks(engine)
    assert (deck.text, deck.owner_id) == ("send deck", ids["alice"])
    assert (contract.text, contract.owner_id) == ("send the contract", ids["carol"])
    assert "send the contract — due 2026-11-18 · for @carol" in _text(reply)
    told = [(r.key, note.title) for r, note in chat.notifier.sent]
    assert told == [("user:carol", "Alice Chen gave you a next step at Acme")]


def test_me_is_the_author(engine):
    ids = book(engine)
    Chat(engine).say("alice", "/visit Acme met Li Wei. todo: @me send deck by Fri")
    [task] = _tasks(engine)
    assert task.owner_id == ids["alice"] and task.text == "send deck"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/visit Acme met Li Wei. next: @nobody send the deck by Fri", "No kam user “@nobody”"),
        ("/visit Acme met Li Wei. next: @carol @bob review the deck", "One owner per next step"),
        ("/visit Acme met Li Wei. next: send deck yesterday", "which has passed"),
        ("/visit Acme met Li Wei. next: by Friday", "says when, not what to do"),
        ("/visit Acme met Li Wei next:", "needs the step itself"),
    ],
)
def test_bad_steps_are_refused_and_nothing_is_written(engine, text, says):
    book(engine)
    reply = Chat(engine).say("alice", text)
    assert reply.severity is Severity.error
    assert says in reply.lines[0]
    assert _interactions(engine) == [] and _tasks(engine) == []


def test_a_step_without_a_date_says_no_due_date(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/visit Acme met Li Wei. next: book the demo")
    [task] = _tasks(engine)
    assert task.due_at is None
    assert "book the demo — no due date" in _text(reply)


# --- 3. what was typed is stored --------------------------------------------------------


def test_full_width_punctuation_is_stored_as_typed(engine):
    book(engine)
    Chat(engine).say("wang", "/拜访 华夏重工 昨天 见了王总，预算已批；下一步：周五前发方案，附报价")
    [i] = _interactions(engine)
    assert i.notes == "见了王总，预算已批"
    [task] = _tasks(engine)
    assert task.text == "发方案，附报价"


# --- 4. no notes ------------------------------------------------------------------------


def test_no_notes_is_a_question_not_an_empty_visit(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/visit Acme")
    assert reply.severity is Severity.error
    assert reply.lines[0] == "What happened at the visit with Acme? Write it after the name."
    assert any(line.startswith("Example: /visit Acme") for line in reply.lines)
    assert _interactions(engine) == []


def test_only_a_date_is_logged_with_no_notes(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/visit Acme yesterday")
    assert reply.severity is Severity.success
    [i] = _interactions(engine)
    assert i.notes == "" and _local(i.happened_at).date() == date(2026, 11, 17)
    assert "Notes: no notes" in _text(reply)


# --- 5. phrases that look like dates ----------------------------------------------------


def test_an_unread_date_phrase_is_quoted_back(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/visit Acme met Li Wei after the fair")
    assert "Couldn't read “after the fair” as a date — logged for today." in reply.lines
    reply = Chat(engine).say("alice", "/visit Acme met Li Wei. next: send deck asap")
    assert "Couldn't read “asap” as a date — “send deck asap” has no due date." in reply.lines


def test_the_reply_in_chinese(engine):
    book(engine)
    reply = Chat(engine).say("wang", "/拜访 华夏重工 展会后见了王总 下一步：尽快发方案")
    text = _text(reply)
    assert "没看懂“展会后”是哪天，按今天记录。" in text
    assert "没看懂“尽快”是哪天，“尽快发方案”未设截止日。" in text
    assert "今天（未写日期）" in text


# --- undo -------------------------------------------------------------------------------


def test_undo_reverts_every_step(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/visit Acme met Li Wei. next: deck by Fri; @carol pricing by Mon")
    assert len(_tasks(engine)) == 2
    assert chat.say("alice", "/undo").severity is Severity.success
    assert _tasks(engine) == [] and _interactions(engine) == []
