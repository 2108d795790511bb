"""/contact (/联系人): add and update people in the decision chain; list them; refusals."""

import pytest
from sqlmodel import select

from domain.models import Account, AuditEntry, Contact
from handlers.replies import Severity
from storage.session import unit_of_work
from tests.harness import NOW, Chat, book


def _fields(reply) -> dict[str, str]:
    return {fld.label: fld.value for fld in reply.fields}


def _text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _contact(engine, account_id: int, name: str) -> Contact | None:
    with unit_of_work(engine, write=False) as s:
        return s.exec(
            select(Contact).where(Contact.account_id == account_id, Contact.name == name)
        ).first()


def _all_contacts(engine) -> list[tuple]:
    with unit_of_work(engine, write=False) as s:
        return [
            (c.account_id, c.name, c.title, c.role, c.birthday_month, c.birthday_day, c.phone)
            for c in s.exec(select(Contact).order_by(Contact.id))
        ]


def _account(engine, account_id: int) -> Account:
    with unit_of_work(engine, write=False) as s:
        return s.get(Account, account_id)


def test_new_contact_with_title_role_and_birthday(engine):
    ids = book(engine)
    reply = Chat(engine).say("alice", "/contact Acme Zhang Min, CTO, champion, birthday 5-3")
    assert reply.severity is Severity.success
    assert reply.title == "Added Zhang Min to Acme"
    assert _fields(reply) == {
        "Title": "CTO",
        "Role": "champion",
        "Birthday": "May 3 — next 2027-05-03",
    }
    assert reply.actions[0].command == "visit Acme met Zhang Min "
    c = _contact(engine, ids["acme"], "Zhang Min")
    assert (c.title, c.role) == ("CTO", "champion")
    assert (c.birthday_month, c.birthday_day, c.birthday_year, c.birthday_lunar) == (
        5,
        3,
        None,
        False,
    )
    assert c.created_by_id == ids["alice"] and c.created_at == NOW


def test_chinese_contact_with_lunar_birthday(engine):
    ids = book(engine)
    reply = Chat(engine).say("wang", "/联系人 华夏重工 张伟 技术总监 支持者 生日 农历四月初八")
    assert reply.title == "已新增联系人 张伟（华夏重工）"
    fields = _fields(reply)
    assert fields["职务"] == "技术总监" and fields["角色"] == "支持者"
    # 农历四月初八 falls on 2027-05-13
    assert fields["生日"] == "农历四月初八（下次 2027年5月13日）"
    c = _contact(engine, ids["huaxia"], "张伟")
    assert (c.birthday_month, c.birthday_day, c.birthday_lunar, c.birthday_leap_month) == (
        4,
        8,
        True,
        False,
    )


def test_leap_month_lunar_birthday(engine):
    ids = book(engine)
    Chat(engine).say("wang", "/联系人 华夏重工 赵敏 生日 农历闰四月初八")
    c = _contact(engine, ids["huaxia"], "赵敏")
    assert (c.birthday_month, c.birthday_day, c.birthday_lunar, c.birthday_leap_month) == (
        4,
        8,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("5-3", (5, 3, None, False)),
        ("May 3", (5, 3, None, False)),
        ("3 May", (5, 3, None, False)),
        ("May 3, 1985", (5, 3, 1985, False)),
        ("1985-05-03", (5, 3, 1985, False)),
        ("5月3日", (5, 3, None, False)),
        ("1985年5月3日", (5, 3, 1985, False)),
        ("lunar 4-8", (4, 8, None, True)),
        ("农历十二月廿三", (12, 23, None, True)),
    ],
)
def test_birthday_forms(engine, typed, stored):
    ids = book(engine)
    reply = Chat(engine).say("alice", f"/contact Acme Jane Doe, birthday {typed}")
    assert reply.severity is Severity.success, _text(reply)
    c = _contact(engine, ids["acme"], "Jane Doe")
    assert (c.birthday_month, c.birthday_day, c.birthday_year, c.birthday_lunar) == stored


@pytest.mark.parametrize(
    ("words", "role"),
    [
        ("decision maker", "decision_maker"),
        ("决策人", "decision_maker"),
        ("influencer", "influencer"),
        ("影响者", "influencer"),
        ("champion", "champion"),
        ("支持者", "champion"),
        ("教练", "champion"),
        ("user", "user"),
        ("使用者", "user"),
        ("procurement", "procurement"),
        ("采购", "procurement"),
        ("blocker", "blocker"),
        ("反对者", "blocker"),
    ],
)
def test_role_words_in_both_languages(engine, words, role):
    ids = book(engine)
    Chat(engine).say("alice", f"/contact Acme Jane Doe, Director, {words}")
    c = _contact(engine, ids["acme"], "Jane Doe")
    assert c.role == role and c.title == "Director"


def test_a_title_that_contains_a_role_word_stays_a_title(engine):
    ids = book(engine)
    Chat(engine).say("wang", "/联系人 华夏重工 周杰 采购经理")
    c = _contact(engine, ids["huaxia"], "周杰")
    assert c.title == "采购经理" and c.role is None


def test_phone_and_email(engine):
    ids = book(engine)
    reply = Chat(engine).say(
        "alice", '/contact Acme "Jane Doe" champion phone +86 138 0013 8000 email jane@acme.com'
    )
    fields = _fields(reply)
    assert fields["Phone"] == "+86 138 0013 8000" and fields["Email"] == "jane@acme.com"
    c = _contact(engine, ids["acme"], "Jane Doe")
    assert c.phone == "+86 138 0013 8000" and c.email == "jane@acme.com" and c.role == "champion"


def test_update_changes_only_what_is_said_and_shows_the_old_value(engine):
    ids = book(engine)
    reply = Chat(engine).say("alice", "/contact Acme li wei, birthday 5-3")
    assert reply.title == "Updated Li Wei at Acme"
    fields = _fields(reply)
    assert fields["Birthday"] == "May 3 — next 2027-05-03 (was November 25)"
    assert fields["Title"] == "CFO" and fields["Role"] == "decision maker"
    c = _contact(engine, ids["acme"], "Li Wei")
    assert (c.birthday_month, c.birthday_day) == (5, 3)
    assert c.title == "CFO" and c.role == "decision_maker"
    assert len([x for x in _all_contacts(engine) if x[0] == ids["acme"]]) == 2


def test_chinese_update(engine):
    ids = book(engine)
    reply = Chat(engine).say("wang", "/联系人 华夏重工 李娜 采购总监")
    assert reply.title == "已更新联系人 李娜（华夏重工）"
    assert _fields(reply)["职务"] == "采购总监（原为 采购经理）"
    assert _contact(engine, ids["huaxia"], "李娜").title == "采购总监"


def test_saying_the_same_again_changes_nothing(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/contact Acme Li Wei, CFO, decision maker")
    assert "nothing to change" in reply.title
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AuditEntry)).all() == []


def test_list_puts_the_decision_maker_first_with_birthdays(engine):
    book(engine)
    reply = Chat(engine).say("alice", "/contact Acme")
    assert reply.title == "Contacts at Acme"
    [section] = reply.sections
    assert section.lines == (
        "Li Wei · CFO · decision maker · birthday November 25",
        "Tom Brown · IT Director · influencer",
    )
    assert reply.severity is Severity.info


def test_chinese_list_and_a_missing_decision_maker(engine):
    book(engine)
    chat = Chat(engine)
    zh = chat.say("wang", "/联系人 华夏重工")
    assert zh.sections[0].lines[0] == "王建国 · 总经理 · 决策人 · 生日 农历四月初八"
    globex = chat.say("carol", "/contact Globex")
    assert "No contacts at Globex yet" in globex.lines[0]
    chat.say("carol", "/contact Globex Ann Lee, buyer, procurement")
    listed = chat.say("carol", "/contact Globex")
    assert "No decision maker on file yet." in listed.lines
    assert listed.severity is Severity.warning


def test_a_new_role_rescores_the_account_and_says_when_the_tier_moves(engine):
    ids = book(engine)
    before = _account(engine, ids["acme"])
    assert (before.tier, before.score) == ("A", 80.0)  # as the book filed it, no factors known
    reply = Chat(engine).say("alice", "/contact Acme Jane Doe, COO, champion")
    after = _account(engine, ids["acme"])
    assert after.tier == "C" and after.score < 50  # no revenue known: the factors give C
    assert "Acme's tier moves from A to C" in _text(reply)
    with unit_of_work(engine, write=False) as s:
        entities = [e.entity for e in s.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert entities == ["contact", "account"]


@pytest.mark.parametrize(
    ("who", "text", "expect"),
    [
        ("eve", "/contact Acme Jane Doe, CTO", "not your account"),
        ("eve", "/contact Acme", "belongs to another team"),
        ("alice", "/contact Acme Jane Doe, birthday 13-45", "“13-45” is not a birthday"),
        ("alice", "/contact Acme Jane Doe, birthday 2-30", "“2-30” is not a birthday"),
        ("alice", "/contact Acme Jane Doe, birthday 1850-01-01", "1850 is not a plausible year"),
        ("alice", "/contact Acme Jane Doe, champion, blocker", "One role per contact"),
        ("alice", "/contact Acme decision maker", "Start with the name"),
        ("wang", "/联系人 华夏重工 张伟 生日 农历十三月初一", "看不懂生日"),
    ],
)
def test_refusals_say_why_and_change_nothing(engine, who, text, expect):
    book(engine)
    before = _all_contacts(engine)
    reply = Chat(engine).say(who, text)
    assert reply.severity is Severity.error
    assert expect in _text(reply)
    assert _all_contacts(engine) == before
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AuditEntry)).all() == []


def test_undo_takes_back_a_new_contact_and_the_rescore(engine):
    ids = book(engine)
    chat = Chat(engine)
    before = _all_contacts(engine)
    chat.say("alice", "/contact Acme Jane Doe, COO, champion")
    assert chat.say("alice", "/undo").severity is Severity.success
    assert _all_contacts(engine) == before
    acme = _account(engine, ids["acme"])
    assert (acme.tier, acme.score) == ("A", 80.0)


def test_undo_takes_back_an_update(engine):
    ids = book(engine)
    chat = Chat(engine)
    chat.say("alice", "/contact Acme Li Wei, CEO, birthday 5-3, phone 13800138000")
    c = _contact(engine, ids["acme"], "Li Wei")
    assert (c.title, c.birthday_month, c.phone) == ("CEO", 5, "13800138000")
    assert chat.say("alice", "/undo").severity is Severity.success
    c = _contact(engine, ids["acme"], "Li Wei")
    assert (c.title, c.birthday_month, c.birthday_day, c.phone) == ("CFO", 11, 25, None)
