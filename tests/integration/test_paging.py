"""Long lists come a page at a time (issue 15 item 10): a 100,000-contact account
answered ``/contact Acme`` with 3.2 MB, 731 WeCom messages.  Every list command pages
(``/contact``, ``/deal``, ``/user list``) or bounds its sections (the account card,
``/mine``, receivables), with "page 1 of N" and the next page's command, in English
and Chinese.
"""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert

from domain.models import Contact, Deal, User
from handlers.render.text import render_text
from handlers.render.wecom import render_markdown
from storage.session import unit_of_work
from tests.harness import Chat, book

BIG = 100_000


def _contacts(engine, account_id: int, n: int) -> None:
    rows = [
        {"account_id": account_id, "name": f"Person {i:06d}", "title": "Engineer"} for i in range(n)
    ]
    with unit_of_work(engine) as s:
        for start in range(0, n, 10_000):
            s.execute(insert(Contact), rows[start : start + 10_000])


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def test_a_100000_contact_account_answers_one_page(engine, chat):
    b = book(engine)
    _contacts(engine, b["acme"], BIG)
    reply = chat.say("alice", "/contact Acme")
    text = render_text(reply)
    assert "Page 1 of 5001 (100002 in all) · next: /contact Acme page 2" in text
    assert len(text.encode()) < 3_000  # was 3.2 MB
    assert len(render_markdown(reply)) == 1  # was 731 WeCom messages
    assert "Li Wei · CFO · decision maker" in text  # the decision chain first


def test_contact_pages_in_english_and_chinese(engine, chat):
    b = book(engine)
    _contacts(engine, b["acme"], 45)  # with Li Wei and Tom Brown: 47, three pages
    page2 = render_text(chat.say("alice", "/contact Acme page 2"))
    assert "Page 2 of 3 (47 in all) · next: /contact Acme page 3" in page2
    assert "Person 000018 · Engineer" in page2 and "Person 000017" not in page2
    assert render_text(chat.say("alice", "/contact Acme more")) == page2
    assert render_text(chat.say("alice", "/contact Acme p2")) == page2
    last = render_text(chat.say("alice", "/contact Acme page 99"))
    assert "Page 3 of 3 (47 in all), the last" in last
    assert "Person 000044" in last
    _contacts(engine, b["huaxia"], 30)
    zh = render_text(chat.say("wang", "/联系人 华夏重工 第2页"))
    assert "第 2/2 页（共 32 条），最后一页" in zh
    first = render_text(chat.say("wang", "/联系人 华夏重工"))
    assert "第 1/2 页（共 32 条）· 下一页：/联系人 华夏重工 第2页" in first
    assert render_text(chat.say("wang", "/联系人 华夏重工 更多")) == zh


def test_a_short_list_has_no_page_line_and_adding_a_contact_still_works(engine, chat):
    book(engine)
    text = render_text(chat.say("alice", "/contact Acme"))
    assert "Page" not in text
    added = chat.say("alice", "/contact Acme Zhang San, CTO")
    assert added.severity == "success"


def test_deal_list_pages(engine, chat):
    b = book(engine)
    with unit_of_work(engine) as s:
        for i in range(25):
            s.add(
                Deal(account_id=b["acme"], name=f"Line {i:02d}", amount=Decimal(1000),
                     currency="CNY", stage="lead", owner_id=b["alice"],
                     close_date=date(2027, 1, 1))
            )  # fmt: skip
    first = render_text(chat.say("alice", "/deal Acme"))
    assert "Page 1 of 2 (25 in all) · next: /deal Acme page 2" in first
    second = render_text(chat.say("alice", "/deal Acme page 2"))
    assert "Line 24" in second and "Line 00" not in second
    card = render_text(chat.say("alice", "/account Acme"))
    assert "… and 20 more: /deal Acme" in card  # the card shows five


def test_user_list_pages(engine, chat):
    book(engine)
    with unit_of_work(engine) as s:
        for i in range(30):
            s.add(User(handle=f"rep{i:02d}", display_name=f"Rep {i:02d}", role="rep"))
    first = render_text(chat.say("admin", "/user list"))
    assert "Page 1 of 2 (36 in all) · next: /user list page 2" in first
    second = render_text(chat.say("admin", "/user list page 2"))
    assert "Page 2 of 2 (36 in all), the last" in second
    zh = render_text(chat.say("wang", "/用户 列表 第2页"))
    assert "第 2/2 页" in zh


def test_risks_are_bounded_per_severity_and_team(engine, chat):
    from sqlmodel import select

    from domain.models import Account
    from tests import factories as f

    b = book(engine)
    with unit_of_work(engine) as s:
        alice = s.get(User, b["alice"])
        for i in range(80):
            f.account(s, f"Never {i:02d}", owner=alice, tier="A")  # never contacted
        assert len(s.exec(select(Account)).all()) >= 80
    reply = chat.say("bob", "/risks East")
    text = render_text(reply)
    assert "Lapsed A-tier 81: Acme, Never 00, Never 01, …" in text
    assert len(text.encode()) < 12_000
    assert len(render_markdown(reply)) <= 3
    listed = chat.say("bob", "/risks East lapsed")
    names = [line for line in listed.lines if line.startswith(("Never ", "Acme"))]
    assert len(names) == 10
    assert listed.lines[-1] == "Page 1 of 9 (81 in all) · next: /risks East lapsed page 2"
    last = chat.say("bob", "/risks East lapsed 9")
    assert [ln.split(" · ")[0] for ln in last.lines[1:-1]] == ["Never 79"]


def test_mine_bounds_each_section_and_keeps_the_count(engine, chat):
    from tests import factories as f

    b = book(engine)
    with unit_of_work(engine) as s:
        alice = s.get(User, b["alice"])
        for i in range(30):
            f.account(s, f"Lapsed {i:02d}", owner=alice, tier="A")  # never contacted: lapsed
    text = render_text(chat.say("alice", "/mine"))
    listed = [line for line in text.splitlines() if "never contacted" in line]
    assert len(listed) == 10
    assert "Lapsed — 31" in text  # the heading counts them all
    assert "… and 21 more" in text
