"""/contact: titles are titles; a role word is a role only when it stands as one;
a title where the name should be is refused."""

import pytest
from sqlmodel import select

from domain.models import Contact
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import Chat, book


def _contact(engine, name: str) -> Contact | None:
    with unit_of_work(engine, write=False) as s:
        return s.exec(select(Contact).where(Contact.name == name)).first()


def _count(engine) -> int:
    with unit_of_work(engine, write=False) as s:
        return len(s.exec(select(Contact)).all())


@pytest.mark.parametrize(
    ("who", "text", "name", "title", "role"),
    [
        (
            "alice",
            "/contact Acme Zhang Min, Head of Purchasing, birthday 5-3",
            "Zhang Min",
            "Head of Purchasing",
            None,
        ),
        (
            "alice",
            "/contact Acme Zhang Min, Head of Purchasing, decision maker",
            "Zhang Min",
            "Head of Purchasing",
            "decision_maker",
        ),
        (
            "alice",
            "/contact Acme Zhang Min Head of Purchasing",
            "Zhang Min",
            "Head of Purchasing",
            None,
        ),
        (
            "alice",
            "/contact Acme Jane Doe, procurement manager, influencer",
            "Jane Doe",
            "procurement manager",
            "influencer",
        ),
        (
            "alice",
            "/contact Acme Jane Doe procurement manager influencer",
            "Jane Doe",
            "procurement manager",
            "influencer",
        ),
        ("alice", "/contact Acme Jane Doe CFO decision maker", "Jane Doe", "CFO", "decision_maker"),
        (
            "alice",
            "/contact Acme Jane Doe, decision maker, CFO",
            "Jane Doe",
            "CFO",
            "decision_maker",
        ),
        ("alice", "/contact Acme Jane Doe procurement", "Jane Doe", None, "procurement"),
        ("alice", "/contact Acme Jane Doe, power user", "Jane Doe", "power user", None),
        (
            "alice",
            "/contact Acme Dr. Chen — Director of Clinical Ops",
            "Dr. Chen",
            "Director of Clinical Ops",
            None,
        ),
        (
            "alice",
            "/contact Acme Dr. Chen - Director of Clinical Ops, champion",
            "Dr. Chen",
            "Director of Clinical Ops",
            "champion",
        ),
        (
            "alice",
            "/contact Acme Ludwig van Beethoven, VP Sales",
            "Ludwig van Beethoven",
            "VP Sales",
            None,
        ),
        ("alice", "/contact Acme Will Smith, CFO", "Will Smith", "CFO", None),
        ("wang", "/联系人 华夏重工 周凯 项目经理", "周凯", "项目经理", None),
        ("wang", "/联系人 华夏重工 周凯项目经理", "周凯", "项目经理", None),
        ("wang", "/联系人 华夏重工 周凯 采购经理 影响者", "周凯", "采购经理", "influencer"),
        ("wang", "/联系人 华夏重工 周凯，总经理决策人", "周凯", "总经理", "decision_maker"),
        ("wang", "/联系人 华夏重工 周凯 采购", "周凯", None, "procurement"),
    ],
)
def test_titles_and_roles(engine, who, text, name, title, role):
    book(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.success, reply.plain_lines()
    c = _contact(engine, name)
    assert c is not None
    assert (c.title, c.role) == (title, role)


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("alice", "/contact Acme COO, decision maker", "“COO” is a title, not a name"),
        ("alice", "/contact Acme Head of Purchasing", "“Head of Purchasing” is a title"),
        ("wang", "/联系人 华夏重工 总经理 决策人", "“总经理”是职务，不是姓名"),
    ],
)
def test_a_title_is_not_a_name(engine, who, text, expect):
    book(engine)
    before = _count(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error
    assert expect in "\n".join(reply.plain_lines())
    assert _count(engine) == before
