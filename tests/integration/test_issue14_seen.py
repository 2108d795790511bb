"""Each failure issue 14 saw "when tried as a new user would", sent again as a rep would.

One test per bullet of the issue's "Seen" list, through the real dispatcher on a real
database; what was *written* is checked, not only the reply.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlmodel import select

from domain.models import Account, Contact, Deal, Interaction, Task
from handlers.replies import Severity
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import SHANGHAI, Chat, book

SUNDAY = datetime(2026, 12, 6, 15, 0, tzinfo=SHANGHAI)


def _rows(engine, model):
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(model).order_by(model.id)).all()


def _local(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI) if at.tzinfo else at.replace(tzinfo=SHANGHAI)


def _text(reply) -> str:
    return "\n".join([reply.title, *(f"{f.label} {f.value}" for f in reply.fields), *reply.lines])


def _with_account(engine, name: str, owner: str = "alice") -> None:
    with unit_of_work(engine) as s:
        user = s.exec(select(f.User).where(f.User.handle == owner)).one()
        f.account(s, name, owner=user)


def test_an_extra_or_misspelt_word_after_the_name_keeps_the_date(engine):
    book(engine)
    _with_account(engine, "Blue Harbor Shipping")
    chat = Chat(engine, now=SUNDAY)
    reply = chat.say("alice", "/call Acme Crop yesterday 4pm talked w/ Li Wei")
    assert reply.severity is Severity.success
    assert "(read “Acme Crop” as Acme)" in reply.lines
    chat.say("alice", "/visit Blue Harbor 2 days ago walked the yard")
    chat.say("alice", "/visit Blue Harbor Shipping, yesterday met the harbour master")
    call, visit, comma = _rows(engine, Interaction)[-3:]
    assert _local(call.happened_at) == datetime(2026, 12, 5, 16, 0, tzinfo=SHANGHAI)
    assert call.notes == "talked w/ Li Wei"
    assert _local(visit.happened_at).date() == date(2026, 12, 4)
    assert visit.notes == "walked the yard"
    assert _local(comma.happened_at).date() == date(2026, 12, 5)


def test_this_friday_and_eow_said_on_a_weekend_are_the_coming_ones(engine):
    book(engine)
    chat = Chat(engine, now=SUNDAY)
    chat.say("alice", "/visit Acme demo went well next: send QBR deck by this fri")
    chat.say("alice", "/visit Acme pricing call next: revise the quote by EOW")
    chat.say("alice", "/visit Acme kickoff next: book the workshop by this week")
    due = [_local(t.due_at).date() for t in _rows(engine, Task)[-3:]]
    assert due == [date(2026, 12, 11)] * 3  # never two days ago, never last Friday


def test_words_are_not_people(engine):
    book(engine)
    with unit_of_work(engine) as s:
        acme = s.exec(select(Account).where(Account.name == "Acme")).one()
        f.contact(s, acme, "Sarah Miller")
    chat = Chat(engine, now=SUNDAY)
    before = len(_rows(engine, Contact))
    chat.say("alice", "/visit Acme talked to COO, QBR agreed")
    reply = chat.say("alice", "/visit Acme met Li Wei and Sarah")
    assert len(_rows(engine, Contact)) == before  # no "COO (QBR agreed)", no new "Sarah"
    assert "Sarah Miller" in _text(reply) and "Li Wei" in _text(reply)


def test_titles_are_titles_and_roles_are_roles(engine):
    book(engine)
    chat = Chat(engine, now=SUNDAY)
    chat.say("alice", "/contact Acme Zhang Min, Head of Purchasing")
    chat.say("alice", "/contact Acme Wu Fang, procurement manager, influencer")
    zhang, wu = _rows(engine, Contact)[-2:]
    assert (zhang.name, zhang.title) == ("Zhang Min", "Head of Purchasing")
    assert (wu.name, wu.title, wu.role) == ("Wu Fang", "procurement manager", "influencer")


def test_a_deal_update_names_an_existing_deal_loosely_and_won_never_creates(engine):
    book(engine)
    with unit_of_work(engine) as s:
        acme = s.exec(select(Account).where(Account.name == "Acme")).one()
        alice = s.exec(select(f.User).where(f.User.handle == "alice")).one()
        f.deal(s, acme, "Warehouse robotics pilot", owner=alice, stage="qualify")
    chat = Chat(engine, now=SUNDAY)
    deals_before = len(_rows(engine, Deal))
    reply = chat.say("alice", "/deal acme robotics pilot 1.2m stage proposal")
    assert reply.severity is Severity.success
    deals = _rows(engine, Deal)
    assert len(deals) == deals_before
    pilot = next(d for d in deals if d.name == "Warehouse robotics pilot")
    assert (pilot.stage, pilot.amount) == ("proposal", Decimal("1200000"))
    reply = chat.say("alice", 'deal Acme "Line 3" won')
    assert reply.severity is not Severity.success
    assert len(_rows(engine, Deal)) == deals_before  # no new won deal at ¥0


def test_close_dates_people_write(engine):
    book(engine)
    chat = Chat(engine, now=SUNDAY)
    expected = {
        '/商机 华夏重工 "二期扩容" 成交 明年3月底': date(2027, 3, 31),
        '/商机 华夏重工 "三期" 成交 3月底': date(2027, 3, 31),
        '/deal Acme "Q1 renewal" close end of Q1': date(2027, 3, 31),
        '/deal Acme "Mid Jan pilot" close mid January': date(2027, 1, 15),
    }
    for text, close in expected.items():
        who = "wang" if "华夏" in text else "alice"
        reply = chat.say(who, text)
        assert reply.severity is Severity.success, (text, _text(reply))
        assert _rows(engine, Deal)[-1].close_date == close, text


def test_chinese_without_spaces_keeps_the_date_and_the_task(engine):
    book(engine)
    chat = Chat(engine, now=SUNDAY)
    reply = chat.say("wang", "拜访华夏重工昨天见了王总。下一步：周五前发方案")
    assert reply.severity is Severity.success
    visit = _rows(engine, Interaction)[-1]
    assert _local(visit.happened_at).date() == date(2026, 12, 5)
    [task] = [t for t in _rows(engine, Task) if t.interaction_id == visit.id]
    assert task.text == "发方案" and _local(task.due_at).date() == date(2026, 12, 11)


def test_two_next_steps_are_two_tasks_each_with_its_due_date(engine):
    book(engine)
    chat = Chat(engine, now=SUNDAY)
    chat.say("alice", "/visit Acme good meeting. next: send deck by Fri; pricing by 12月10号")
    visit = _rows(engine, Interaction)[-1]
    tasks = [t for t in _rows(engine, Task) if t.interaction_id == visit.id]
    assert [(t.text, _local(t.due_at).date()) for t in tasks] == [
        ("send deck", date(2026, 12, 11)),
        ("pricing", date(2026, 12, 10)),
    ]


def test_full_width_punctuation_is_stored_as_typed(engine):
    book(engine)
    Chat(engine, now=SUNDAY).say("wang", "/拜访 华夏重工 见了王总，预算已批；对方很满意")
    assert _rows(engine, Interaction)[-1].notes == "见了王总，预算已批；对方很满意"


def test_an_empty_visit_is_not_logged(engine):
    book(engine)
    before = len(_rows(engine, Interaction))
    reply = Chat(engine, now=SUNDAY).say("alice", "/visit Acme")
    assert reply.severity is Severity.error
    assert "What happened at the visit with Acme?" in _text(reply)
    assert len(_rows(engine, Interaction)) == before
