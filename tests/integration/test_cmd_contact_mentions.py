"""People named in a logged note, end to end: words are not people, honorifics and
unique first names link to the contact on file, new contacts only from person names.

Only the stored contacts and links are checked, not the reply's wording (the /visit
reply is being reworked separately)."""

import pytest
from sqlmodel import select

from domain.models import Contact, InteractionContact
from storage.session import unit_of_work
from tests.harness import Chat, book


def _names(engine) -> set[str]:
    with unit_of_work(engine, write=False) as s:
        return {c.name for c in s.exec(select(Contact))}


def _linked(engine) -> set[str]:
    with unit_of_work(engine, write=False) as s:
        ids = s.exec(select(InteractionContact.contact_id)).all()
        return {s.get(Contact, i).name for i in ids}


@pytest.mark.parametrize(
    ("who", "text", "linked", "new"),
    [
        ("alice", "/visit Acme talked to COO, QBR agreed", set(), set()),
        ("alice", "/visit Acme met Li Wei and Tom, budget ok", {"Li Wei", "Tom Brown"}, set()),
        ("alice", "/visit Acme met the client and their procurement team", set(), set()),
        ("alice", "/visit Acme met Mr. Brown", {"Tom Brown"}, set()),
        (
            "alice",
            "/visit Acme met Zhang Min, Head of Purchasing, and Li Wei",
            {"Li Wei", "Zhang Min"},
            {"Zhang Min"},
        ),
        ("wang", "/拜访 华夏重工 见了王总", {"王建国"}, set()),
        ("wang", "/拜访 华夏重工 见了客户，李经理也在", {"李娜"}, set()),
        ("wang", "/拜访 华夏重工 见了赵总", set(), set()),  # no 赵 on file: nobody made up
        ("wang", "/拜访 华夏重工 见了周凯 项目经理", {"周凯"}, {"周凯"}),
    ],
)
def test_people_in_a_visit_note(engine, who, text, linked, new):
    book(engine)
    before = _names(engine)
    Chat(engine).say(who, text)
    assert _names(engine) - before == new
    assert _linked(engine) == linked


def test_a_new_contact_keeps_the_title(engine):
    book(engine)
    Chat(engine).say("wang", "/拜访 华夏重工 见了周凯 项目经理，聊了方案")
    with unit_of_work(engine, write=False) as s:
        c = s.exec(select(Contact).where(Contact.name == "周凯")).one()
        assert c.title == "项目经理"
