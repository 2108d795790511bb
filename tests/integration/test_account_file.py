"""``/account Acme all`` (``/客户 华夏重工 全部``): the 360° file, paged for a phone
(issue 17).  Each section shows what the crafted book holds, in English and Chinese;
pages and section jumps; a big account answers a page with the same few statements as
a small one; another team is refused; user text reaches Slack and WeCom escaped."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import event, func, insert, select

from domain.models import (
    Account,
    AccountMember,
    AuditEntry,
    Complaint,
    Contact,
    CsatScore,
    Interaction,
    InteractionContact,
    Invoice,
    Payment,
    Reminder,
    User,
)
from handlers.commands.account.file import ROWS
from handlers.render.slack import render_blocks
from handlers.render.text import render_text
from handlers.render.wecom import render_markdown
from handlers.replies import Action
from handlers.views.account_file import SECTIONS
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book

TODAY = NOW.date()


def text(reply) -> str:
    return "\n".join(reply.plain_lines())


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def _full_acme(engine, chat: Chat):
    """Acme with something in every section, partly through chat (for the audit trail)."""
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        alice, carol = s.get(User, ids["alice"]), s.get(User, ids["carol"])
        bob = s.get(User, ids["bob"])
        acme.industry, acme.region = "Machinery", "East China"
        acme.annual_revenue, acme.margin_pct, acme.payment_days = D("12000000"), 22.5, 45
        acme.growth_pct, acme.cross_sell, acme.executive_contact = 10.0, 60, True
        acme.credit_limit = D("2000000")
        acme.tier_override, acme.tier_override_reason = "A", "regional flagship"
        acme.tier_override_by_id, acme.tier_override_at = bob.id, NOW - timedelta(days=20)
        s.add(acme)
        f.contact(s, acme, "Sarah Miller", title="VP Ops", role="champion",
                  left_at=NOW - timedelta(days=40))  # fmt: skip
        f.contact(s, acme, "Zhou Kai", title="Engineer", phone="+86 138 0000 0000",
                  email="zk@acme.example")  # fmt: skip
        i = f.interaction(s, acme, author=alice, at=NOW - timedelta(days=3),
                          notes="QBR, budget approved")  # fmt: skip
        s.add(InteractionContact(interaction_id=i.id, contact_id=ids["li_wei"]))
        f.interaction(s, acme, author=alice, at=NOW - timedelta(days=30), kind="call",
                      notes="pricing questions")  # fmt: skip
        f.interaction(s, acme, author=alice, at=NOW - timedelta(days=400), notes="ancient")
        f.deal(s, acme, "Renewal 2027", owner=alice, amount="1200000", stage="proposal",
               stage_changed_at=NOW - timedelta(days=12), close_date=date(2027, 3, 31))  # fmt: skip
        f.deal(s, acme, "Pilot", owner=alice, amount="300000", stage="won",
               stage_changed_at=NOW - timedelta(days=60))  # fmt: skip
        lost = f.deal(s, acme, "Line 3", owner=alice, amount="500000", stage="lost",
                      stage_changed_at=NOW - timedelta(days=90))  # fmt: skip
        lost.lost_reason = "price too high vs Siemens"
        overdue = Invoice(account_id=acme.id, number="INV-7", amount=D("300000"),
                          paid_amount=D("100000"), issued_on=TODAY - timedelta(days=60),
                          due_on=TODAY - timedelta(days=12), note="Q3 fee")  # fmt: skip
        s.add(overdue)
        s.add(Invoice(account_id=acme.id, number="INV-8", amount=D("50000"),
                      issued_on=TODAY, due_on=TODAY + timedelta(days=30)))  # fmt: skip
        s.flush()
        s.add(Payment(account_id=acme.id, number="RC-1", amount=D("100000"),
                      received_on=TODAY - timedelta(days=5), invoice_id=overdue.id))  # fmt: skip
        s.add(Payment(account_id=acme.id, number="RC-2", amount=D("20000"),
                      received_on=TODAY - timedelta(days=2), unapplied=D("20000")))  # fmt: skip
        s.add(CsatScore(account_id=acme.id, score=8, comment="quick fix on the rollout",
                        recorded_at=NOW - timedelta(days=10), author_id=alice.id))  # fmt: skip
        s.add(CsatScore(account_id=acme.id, score=6, recorded_at=NOW - timedelta(days=100),
                        author_id=alice.id))  # fmt: skip
        s.add(Complaint(account_id=acme.id, text="late delivery of the March batch",
                        opened_at=NOW - timedelta(days=9), opened_by_id=alice.id))  # fmt: skip
        s.add(Complaint(account_id=acme.id, text="invoice in the wrong name",
                        opened_at=NOW - timedelta(days=50), opened_by_id=alice.id,
                        resolved_at=NOW - timedelta(days=45), resolved_by_id=carol.id,
                        resolution="reissued"))  # fmt: skip
        f.goal(s, year=NOW.year, metric="won_revenue", target="2000000", account=acme)
        f.task(s, acme, "send the deck", owner=alice, due_at=NOW + timedelta(days=2))
        f.task(s, acme, "pilot review", owner=carol, due_at=NOW - timedelta(days=1))
        s.add(Reminder(account_id=acme.id, text="quarterly business review", every_months=3,
                       start_date=date(2026, 1, 15), next_date=date(2027, 1, 15)))  # fmt: skip
        s.add(AccountMember(account_id=acme.id, user_id=carol.id, role="tech"))
    chat.say("alice", "/visit Acme yesterday met Tom Brown, intro to the IT team")
    return ids


def test_every_section_in_english(engine, chat):
    _full_acme(engine, chat)
    first = chat.say("alice", "/account Acme all")
    one = text(first)
    assert first.title == "Acme (ACME Corp) — file 1/14: Profile"
    assert "Tier: A strategic · score 80 — set by hand (computed A): regional flagship · Bob" in one
    assert "Owner: Alice Chen · East" in one
    assert "Industry: Machinery" in one and "Region: East China" in one
    assert "Current 0: revenue ¥12M · margin 22.5% · payment 45 days" in one
    assert "Potential 0: growth 10% · cross-sell 60" in one
    assert "executive contact yes" in one and "satisfaction —" in one
    assert "Health: credit limit ¥2M · acquisition cost — · expected years —" in one
    # the index: every section that holds something, with its page and count
    assert "2 Decision chain · 2 placed · 1 left" in one
    assert "3 Contacts · 3 · 1 left" in one
    assert "4 Interactions · 3 in 12 months (4 in all)" in one
    assert "5 Deals · 1 open · 1 won · 1 lost" in one
    assert "6 Receivables · 2 open · 1 overdue" in one
    assert "8 CSAT · 2 · avg 7/10" in one
    assert "9 Complaints · 1 open · 1 resolved" in one
    assert "13 Account team · 1" in one and "14 Changes · 1" in one
    assert first.actions == [
        Action("Next: Decision chain · 2 placed · 1 left", "account Acme all 2")
    ]
    assert "→ Next: Decision chain · 2 placed · 1 left: /account Acme all 2" in render_text(first)

    chain = text(chat.say("alice", "/account Acme all 2"))
    assert "decision maker: Li Wei (CFO)" in chain
    assert "influencer: Tom Brown (IT Director)" in chain
    assert "1 more without a role (see the contacts)" in chain  # Zhou Kai
    assert "Left the company (1)" in chain
    assert "Sarah Miller (VP Ops) · champion · left 2026-10-09" in chain
    assert "Single-threaded" not in chain and "No decision maker" not in chain

    contacts = text(chat.say("alice", "/account Acme all contacts"))
    assert "Zhou Kai (Engineer) · +86 138 0000 0000 · zk@acme.example" in contacts
    assert "Li Wei (CFO) · decision maker · birthday November 25" in contacts
    assert contacts.index("Li Wei") < contacts.index("Zhou Kai") < contacts.index("Sarah")

    talks = text(chat.say("alice", "/account Acme all interactions"))
    assert "2026-11-15 visit · Alice Chen · Li Wei — QBR, budget approved" in talks
    assert "call · Alice Chen — pricing questions" in talks
    assert "intro to the IT team" in talks
    assert "ancient" not in talks  # more than a year ago
    assert talks.index("intro to the IT team") < talks.index("QBR") < talks.index("pricing")

    deals = text(chat.say("alice", "/account Acme all deals"))
    assert "open: 1 · ¥1.2M" in deals and "won: 1 · ¥300K" in deals
    assert "Renewal 2027 · proposal 12d · ¥1.2M · close 2027-03-31" in deals
    assert "Line 3 · lost" in deals and "why: price too high vs Siemens" in deals
    assert deals.index("Renewal") < deals.index("Pilot") < deals.index("Line 3")

    money = text(chat.say("alice", "/account Acme all receivables"))
    assert "Open: ¥250K" in money
    assert "Overdue: ¥200K (oldest 12d)" in money
    assert "Credit: ¥20K" in money
    assert "Exposure: ¥230K (limit ¥2M)" in money
    assert "INV-7 ¥200K of ¥300K · due 2026-11-06 · 12d overdue · Q3 fee" in money
    assert money.index("INV-7") < money.index("INV-8")

    paid = text(chat.say("alice", "/account Acme all payments"))
    assert "¥20K · RC-2 · ¥20K not applied" in paid
    assert "¥100K · RC-1 · for INV-7" in paid
    assert paid.index("RC-2") < paid.index("RC-1")

    scores = text(chat.say("alice", "/account Acme all csat"))
    assert "Average over 12 months: 7/10 (2 scores)" in scores
    assert "2026-11-08 8/10 · Alice Chen — quick fix on the rollout" in scores

    complaints = text(chat.say("alice", "/account Acme all complaints"))
    assert "open since 2026-11-09 (9d) · late delivery of the March batch" in complaints
    assert "invoice in the wrong name · resolved 2026-10-04 by Carol — reissued" in complaints

    goals = text(chat.say("alice", "/account Acme all goals"))
    assert "Goals 2026" in goals and "¥300K / ¥2M" in goals

    tasks = text(chat.say("alice", "/account Acme all tasks"))
    assert "pilot review · Carol · overdue 1d" in tasks
    assert "send the deck · Alice Chen · due 2026-11-20" in tasks
    assert "send proposal" not in tasks

    reminders = text(chat.say("alice", "/account Acme all reminders"))
    assert "quarterly business review · every 3 months · next 2027-01-15" in reminders

    team = text(chat.say("alice", "/account Acme all team"))
    assert "Alice Chen (@alice) · owner · East" in team
    assert "Carol (@carol) · tech · since" in team

    changes = text(chat.say("alice", "/account Acme all changes"))
    assert "Alice Chen (console) · visit logged at Acme" in changes


def test_every_section_in_chinese(engine, chat):
    ids = book(engine)
    with unit_of_work(engine) as s:
        huaxia, wang = s.get(Account, ids["huaxia"]), s.get(User, ids["wang"])
        f.interaction(
            s, huaxia, author=wang, at=NOW - timedelta(days=2), notes="见了王总，预算已批"
        )
        f.deal(s, huaxia, "数字化工厂", owner=wang, amount="800000", stage="lost",
               stage_changed_at=NOW - timedelta(days=5))  # fmt: skip
        s.add(Complaint(account_id=huaxia.id, text="交货延迟", opened_at=NOW - timedelta(days=3),
                        opened_by_id=wang.id))  # fmt: skip
        s.add(CsatScore(account_id=huaxia.id, score=9, comment="很满意",
                        recorded_at=NOW - timedelta(days=1), author_id=wang.id))  # fmt: skip
        s.add(Invoice(account_id=huaxia.id, number="FP-1", amount=D("300000"),
                      issued_on=TODAY - timedelta(days=40), due_on=TODAY - timedelta(days=10)))  # fmt: skip
        s.get(Contact, ids["lina"]).left_at = NOW - timedelta(days=7)
    first = chat.say("wang", "/客户 华夏重工 全部")
    one = text(first)
    assert first.title == "华夏重工 (华夏) · 档案 1/14：概况"
    assert "分级: B 重点 · 得分 60" in one and "负责人: 王磊 · 华东" in one
    assert "当前价值 0：年收入 — · 毛利率 — · 回款周期 —" in one
    assert "2 决策链 · 1 人在链上 · 离职 1" in one
    assert "5 商机 · 进行中 0 · 赢单 0 · 输单 1" in one
    assert "暂无：" in one and "13 客户团队" in one
    assert first.actions == [
        Action("下一部分：决策链 · 1 人在链上 · 离职 1", "客户 华夏重工 全部 2")
    ]

    chain = text(chat.say("wang", "/客户 华夏重工 档案 决策链"))
    assert "决策人：王建国（总经理）" in chain
    assert "单线联系：关系只维系在一个人身上。" in chain
    assert "已离职（1）" in chain and "李娜（采购经理） · 采购 · 2026年11月11日 离职" in chain
    talks = text(chat.say("wang", "/客户 华夏重工 全部 互动"))
    assert "2026年11月16日 拜访 · 王磊 — 见了王总，预算已批" in talks
    deals = text(chat.say("wang", "/客户 华夏重工 全部 商机"))
    assert "输单：1 个 · 80万" in deals
    assert "数字化工厂 · 2026年11月13日输单 · 80万 · 原因：未记录" in deals
    money = text(chat.say("wang", "/客户 华夏重工 全部 应收"))
    assert "逾期: 30万（最久 10 天）" in money
    assert "FP-1 未收 30万 / 30万 · 2026年11月8日 到期 · 逾期 10 天" in money
    assert "2026年11月17日 9/10 · 王磊 — 很满意" in text(
        chat.say("wang", "/客户 华夏重工 全部 满意度")
    )
    complaints = text(chat.say("wang", "/客户 华夏重工 全部 投诉"))
    assert "未解决，2026年11月15日 起（3 天）· 交货延迟" in complaints
    team = text(chat.say("wang", "/客户 华夏重工 全部 团队"))
    assert "王磊（@wang）· 负责人 · 华东" in team and "暂无协同成员（/协同）。" in team
    empty = text(chat.say("wang", "/客户 华夏重工 全部 提醒"))
    assert "暂无记录。" in empty and "目录：/客户 华夏重工 全部" in empty
    assert "A/B" not in empty  # nothing English leaked
    assert "Nothing" not in empty


def test_gaps_no_decision_maker_and_single_threaded(engine, chat):
    ids = book(engine)
    with unit_of_work(engine) as s:
        s.get(Contact, ids["li_wei"]).left_at = NOW - timedelta(days=1)
    reply = chat.say("alice", "/account Acme all chain")
    chain = text(reply)
    assert "Single-threaded: one person holds the relationship." in chain
    assert "No decision maker on record." in chain
    assert reply.severity.value == "warning"
    assert "Li Wei (CFO) · decision maker · left 2026-11-17" in chain


def _interactions(engine, account_id: int, author_id: int, n: int) -> None:
    rows = [
        {"account_id": account_id, "author_id": author_id, "kind": "call",
         "happened_at": NOW - timedelta(hours=6 * i + 1), "notes": f"call {i:04d}"}
        for i in range(n)
    ]  # fmt: skip
    with unit_of_work(engine) as s:
        s.execute(insert(Interaction), rows)


def test_paging_and_jumping_to_a_section(engine, chat):
    ids = book(engine)
    _interactions(engine, ids["acme"], ids["alice"], 25)
    page1 = text(chat.say("alice", "/account Acme all interactions"))
    assert "call 0000" in page1 and "call 0009" in page1 and "call 0010" not in page1
    assert "Page 1 of 3 (25 in all) · next: /account Acme all interactions page 2" in page1
    page2 = chat.say("alice", "/account Acme all interactions 2")
    assert "call 0010" in text(page2) and "call 0009" not in text(page2)
    for same in ("page 2", "p2", "more", "第2页"):
        assert text(chat.say("alice", f"/account Acme all interactions {same}")) == text(page2)
    assert page2.actions == []  # nothing after the interactions holds anything
    last = text(chat.say("alice", "/account Acme all interactions 99"))
    assert "Page 3 of 3 (25 in all), the last" in last and "call 0024" in last
    # a page of the file is its section: 4 is the interactions, numbers past the end the last
    assert text(chat.say("alice", "/account Acme all 4")) == page1
    assert text(chat.say("alice", "/account Acme all more")) == text(
        chat.say("alice", "/account Acme all chain")
    )
    assert chat.say("alice", "/account Acme all 99").title == "Acme — file 14/14: Changes"
    assert chat.say("alice", "/account Acme file deals").title == "Acme — file 5/14: Deals"
    assert chat.say("alice", "/account Acme 360").title.startswith("Acme (ACME Corp) — file 1/14")
    zh = chat.say("wang", "/客户 Acme 全部 互动 2")  # wang cannot read Acme: refused
    assert "属于其他团队" in text(zh)
    _interactions(engine, ids["huaxia"], ids["wang"], 12)
    zh2 = text(chat.say("wang", "/客户 华夏重工 全部 互动 第2页"))
    assert "第 2/2 页（共 12 条），最后一页" in zh2 and "call 0011" in zh2
    assert "第 1/2 页（共 12 条）· 下一页：/客户 华夏重工 全部 互动 第2页" in text(
        chat.say("wang", "/客户 华夏重工 全部 互动")
    )


def test_section_words_that_are_also_command_words_open_the_file(engine, chat):
    """商机, 回款, 拜访, visits, paid name a command too: after the file word they are
    the section, not a deal, payment or visit (nothing is written)."""
    book(engine)
    for said, title in (
        ("/客户 华夏重工 全部 商机", "华夏重工 · 档案 5/14：商机"),
        ("/客户 华夏重工 全部 回款 2", "华夏重工 · 档案 7/14：回款"),
        ("/客户 华夏重工 档案 拜访", "华夏重工 · 档案 4/14：互动记录"),
        ("/客户 华夏重工 全部 发票", "华夏重工 · 档案 6/14：应收账款"),
    ):
        assert chat.say("wang", said).title == title, said
    assert chat.say("alice", "/account Acme all visits").title == "Acme — file 4/14: Interactions"
    assert chat.say("alice", "/account Acme all paid").title == "Acme — file 7/14: Payments"
    with unit_of_work(engine) as s:
        assert s.execute(select(func.count(AuditEntry.id))).scalar_one() == 0
    # without a command word: the account's name, then the file word
    assert chat.say("wang", "华夏重工档案").title == "华夏重工 (华夏) · 档案 1/14：概况"
    assert chat.say("wang", "华夏重工 全部 商机").title == "华夏重工 · 档案 5/14：商机"
    assert chat.say("alice", "acme all deals 2").title == "Acme — file 5/14: Deals"
    # a sentence that only contains "all" is still what it says
    logged = chat.say("wang", "客户：华夏重工，今天拜访了王总")
    assert logged.severity.value == "success" and "拜访" in logged.title
    logged = chat.say("alice", "Acme: visited today, met all of them")
    assert logged.title == "Logged visit with Acme"


def test_an_unknown_section_is_refused_with_an_example(engine, chat):
    book(engine)
    reply = chat.say("alice", "/account Acme all bogus")
    assert reply.severity.value == "error"
    assert "No section “bogus” in the file." in text(reply)
    assert "For example: /account Acme all deals 2" in text(reply)
    zh = text(chat.say("wang", "/客户 华夏重工 全部 乱写"))
    assert "档案里没有“乱写”这一部分" in zh and "例如：/客户 华夏重工 全部 商机 2" in zh


class Statements:
    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            return
        if "book_version" not in statement:  # the name index's own check, every few seconds
            self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self.seen

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _statements_per_page(engine, chat) -> dict[str, int]:
    out = {}
    for section in SECTIONS:
        chat.say("alice", f"/account Acme all {section}")  # warm
        with Statements(engine) as seen:
            chat.say("alice", f"/account Acme all {section} 2")
        out[section] = len(seen)
    return out


def test_a_big_account_answers_a_bounded_page_with_the_same_statements(engine, chat):
    ids = book(engine)
    chat.say("alice", "/visit Acme yesterday met Li Wei")  # one of each a command writes
    small = _statements_per_page(engine, chat)
    _interactions(engine, ids["acme"], ids["alice"], 500)
    with unit_of_work(engine) as s:
        s.execute(insert(Contact), [
            {"account_id": ids["acme"], "name": f"Person {i:04d}", "role": "user"}
            for i in range(300)
        ])  # fmt: skip
        s.execute(insert(AuditEntry), [
            {"actor_id": ids["alice"], "request_id": f"r{i}", "action": "update",
             "entity": "account", "entity_id": ids["acme"], "account_id": ids["acme"],
             "at": NOW - timedelta(minutes=i), "after": {"name": "Acme"}}
            for i in range(200)
        ])  # fmt: skip
        rows = s.execute(
            select(Interaction.id).where(
                Interaction.account_id == ids["acme"], Interaction.notes.like("call %")
            )
        )
        s.execute(insert(InteractionContact), [
            {"interaction_id": i, "contact_id": ids["li_wei"]} for (i,) in rows
        ])  # fmt: skip
    big = _statements_per_page(engine, chat)
    assert big == small, (small, big)
    assert max(big.values()) <= 8, big  # the asker, the account, the counts, ≤ 5 of a section
    for section in ("interactions", "contacts", "changes"):
        reply = chat.say("alice", f"/account Acme all {section} 3")
        shown = reply.sections[0].lines if reply.sections else ()
        assert len(shown) == ROWS, (section, shown)
        assert len(reply.plain_lines()) <= ROWS + 6
        assert len(render_markdown(reply)) == 1
    talks = text(chat.say("alice", "/account Acme all interactions"))
    assert "Page 1 of 51 (501 in all)" in talks
    chain = chat.say("alice", "/account Acme all chain")
    assert "user: Person 0000, Person 0001" in text(chain)
    assert "Person 0012 and 287 more" in text(chain)  # 15 shown: Li Wei, Tom Brown, 13 users
    assert "All 302 people still there: /account Acme all contacts" in text(chain)
    one = chat.say("alice", "/account Acme all")
    assert "4 Interactions · 501 in 12 months (501 in all)" in text(one)
    assert len(render_markdown(one)) == 1


def test_another_team_is_refused_and_a_teammate_reads(engine, chat):
    book(engine)
    refused = chat.say("eve", "/account Acme all")
    assert refused.severity.value == "error"
    assert "Acme belongs to another team; you can't see it." in text(refused)
    assert "Tier" not in text(refused)
    assert chat.say("carol", "/account Acme all deals").title == "Acme — file 5/14: Deals"
    assert chat.say("bob", "/account Acme all").severity.value != "error"  # their manager


def test_reading_the_file_writes_nothing(engine, chat):
    book(engine)
    with unit_of_work(engine) as s:
        before = s.execute(select(func.count(AuditEntry.id))).scalar_one()
    for section in SECTIONS:
        chat.say("alice", f"/account Acme all {section}")
    with unit_of_work(engine) as s:
        assert s.execute(select(func.count(AuditEntry.id))).scalar_one() == before


def test_user_text_is_escaped_on_slack_and_wecom(engine, chat):
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        f.contact(s, acme, "<!channel> *Boss*", title="<@U0BOB> `x`", role="decision_maker")
    reply = chat.say("alice", "/account Acme all chain")
    assert "<!channel> *Boss*" in render_text(reply)  # the model holds the text as typed
    slack = json.dumps(render_blocks(reply), ensure_ascii=False)
    assert "&lt;!channel&gt; *Boss*" in slack
    assert "<!channel>" not in slack and "<@U0BOB>" not in slack
    wecom = "\n".join(render_markdown(reply))
    assert "＜!channel＞ ＊Boss＊" in wecom
    assert "<!channel>" not in wecom and "<@U0BOB>" not in wecom
