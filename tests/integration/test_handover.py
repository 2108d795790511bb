"""``/handover`` (``/交接``): a person's accounts, open deals, open next steps, reminders
and snoozes move in one transaction; ``/undo`` takes all of it back; the new owner gets
a brief per account in their language, the previous owner and the managers one line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from sqlmodel import select

from domain.models import (
    Account,
    AccountMember,
    AuditEntry,
    Complaint,
    Contact,
    Deal,
    Goal,
    Invoice,
    Reminder,
    Task,
    User,
)
from handlers.replies import Severity
from storage.audit import snapshot
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book
from tests.integration.test_statement_counts import Statements

TODAY = NOW.date()


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


def _busy(engine):
    """The crafted book, with Alice holding everything a handover must move — and things
    it must leave alone."""
    ids = dict(book(engine).ids)
    with unit_of_work(engine) as s:
        acme, alice, carol, bob = (s.get(Account, ids["acme"]), s.get(User, ids["alice"]),
                                   s.get(User, ids["carol"]), s.get(User, ids["bob"]))  # fmt: skip
        globex = s.get(Account, ids["globex"])
        umbrella = f.account(s, "Umbrella", owner=alice, tier="B", score=50.0)
        ids["umbrella"] = umbrella.id
        acme.snoozed_until, acme.snooze_reason = TODAY + timedelta(days=10), "budget freeze"
        acme.partnership_start = TODAY.replace(year=TODAY.year - 3) + timedelta(days=5)
        s.add(acme)
        f.interaction(s, acme, author=alice, at=NOW - timedelta(days=3), notes="QBR went well")
        ids["renewal"] = f.deal(s, acme, "Renewal", owner=alice, amount="500000").id
        ids["umb_deal"] = f.deal(s, umbrella, "Pilot", owner=alice, amount="20000",
                                 currency="USD", stage="qualify").id  # fmt: skip
        ids["won"] = f.deal(s, acme, "Old win", owner=alice, stage="won").id
        ids["carol_deal"] = f.deal(s, acme, "Carol's", owner=carol, stage="lead").id
        ids["task"] = f.task(
            s, acme, "send the deck", owner=alice, due_at=NOW - timedelta(days=2)
        ).id
        ids["done"] = f.task(s, acme, "old call", owner=alice, done_at=NOW - timedelta(days=9)).id
        ids["carol_task"] = f.task(s, acme, "tech review", owner=carol).id
        ids["elsewhere"] = f.task(s, globex, "help carol", owner=alice).id  # not her account
        reminders = [
            Reminder(account_id=acme.id, text="QBR", every_months=3, start_date=TODAY,
                     next_date=TODAY + timedelta(days=20), created_by_id=alice.id),
            Reminder(account_id=acme.id, text="renewal check", every_months=1, start_date=TODAY,
                     next_date=TODAY + timedelta(days=5), created_by_id=bob.id),
            Reminder(account_id=acme.id, text="old", every_months=1, start_date=TODAY,
                     next_date=TODAY, created_by_id=alice.id, active=False),
        ]  # fmt: skip
        s.add_all(reminders)
        s.add(AccountMember(account_id=acme.id, user_id=ids["wang"], role="tech"))
        s.add(Complaint(account_id=acme.id, text="late delivery in October",
                        opened_at=NOW - timedelta(days=6), opened_by_id=alice.id))  # fmt: skip
        s.add(Invoice(account_id=acme.id, amount=D("80000"), issued_on=TODAY - timedelta(days=60),
                      due_on=TODAY - timedelta(days=15)))  # fmt: skip
        s.flush()
        ids["reminders"] = [r.id for r in reminders]
    return ids


def _state(engine) -> dict:
    """Every row a handover may touch, as snapshots."""
    with unit_of_work(engine, write=False) as s:
        return {
            model.__tablename__: sorted(
                (snapshot(row) for row in s.exec(select(model))), key=lambda r: r["id"]
            )
            for model in (Account, Deal, Task, Reminder, AccountMember, Goal)
        }


def _audit(engine) -> list[AuditEntry]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(AuditEntry).order_by(AuditEntry.id)))


def _get(engine, model, id_):
    with unit_of_work(engine, write=False) as s:
        return s.get(model, id_)


def test_a_handover_moves_every_linked_item_at_once_and_undo_restores_it(engine, chat):
    ids = _busy(engine)
    before = _state(engine)
    reply = chat.say("bob", "/handover @alice to @wang all note Li Wei prefers WeChat")
    assert reply.severity == Severity.success, reply.plain_lines()
    assert reply.title == "Handed 2 accounts from Alice Chen to 王磊"
    fields = {f.label: f.value for f in reply.fields}
    assert fields["Accounts"] == "Acme, Umbrella"
    assert fields["Open deals"] == "2 · ¥500K + $20K"
    assert fields["Open next steps"] == "1"
    assert fields["Reminders"] == "2"
    assert fields["Snoozed (stays on the account)"] == "Acme until 2026-11-28"
    assert fields["Note"] == "Li Wei prefers WeChat"
    text = "\n".join(reply.plain_lines())
    assert "Now in team 华东 with 王磊: Acme, Umbrella." in text
    assert "王磊 was a supporting member of Acme: now the owner instead." in text
    assert "Alice Chen's own goals stay with them" in text

    for key in ("acme", "umbrella"):
        account = _get(engine, Account, ids[key])
        assert (account.owner_id, account.team_id) == (ids["wang"], ids["huadong"])
    acme = _get(engine, Account, ids["acme"])
    assert (acme.snoozed_until, acme.snooze_reason) == (TODAY + timedelta(days=10), "budget freeze")
    assert _get(engine, Deal, ids["renewal"]).owner_id == ids["wang"]
    assert _get(engine, Deal, ids["umb_deal"]).owner_id == ids["wang"]
    assert _get(engine, Task, ids["task"]).owner_id == ids["wang"]
    # closed deals, done steps, other people's steps and steps elsewhere stay
    assert _get(engine, Deal, ids["won"]).owner_id == ids["alice"]
    assert _get(engine, Deal, ids["carol_deal"]).owner_id == ids["carol"]
    assert _get(engine, Task, ids["done"]).owner_id == ids["alice"]
    assert _get(engine, Task, ids["carol_task"]).owner_id == ids["carol"]
    assert _get(engine, Task, ids["elsewhere"]).owner_id == ids["alice"]
    qbr, renewal, old = (_get(engine, Reminder, i) for i in ids["reminders"])
    assert qbr.created_by_id == ids["wang"]  # hers to change now; pushed to the owner anyway
    assert renewal.created_by_id == ids["bob"]  # Bob's stays Bob's; it now reaches 王磊
    assert old.created_by_id == ids["alice"]  # inactive: history
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(AccountMember)).all() == []
    # one command in the audit trail, one entry per changed row
    entries = _audit(engine)
    assert len({e.request_id for e in entries}) == 1
    assert sorted((e.entity, e.action) for e in entries) == sorted(
        [("account", "update")] * 2 + [("deal", "update")] * 2 + [("task", "update")]
        + [("reminder", "update"), ("account_member", "delete")]
    )  # fmt: skip

    # the previous owner hears of it in one line; Bob, who did it, is not told
    [told] = chat.notifier.to("user:alice")
    assert told.title == "Bob handed 2 of your accounts to 王磊: Acme, Umbrella."
    assert not told.sections and not told.lines
    assert chat.notifier.to("user:bob") == []

    undo = chat.say("bob", "/undo")
    assert undo.severity == Severity.success, undo.plain_lines()
    assert _state(engine) == before


def test_the_new_owner_gets_a_brief_in_chinese(engine, chat):
    ids = _busy(engine)
    with unit_of_work(engine) as s:  # left the company: off the decision chain
        s.add(Contact(account_id=ids["acme"], name="Sarah Miller", role="champion",
                      left_at=NOW - timedelta(days=30)))  # fmt: skip
    chat.say("bob", "/handover @alice to @wang Acme note 李伟喜欢微信沟通")
    [brief] = chat.notifier.to("user:wang")
    assert brief.title == "交接：Acme（来自 Alice Chen）"
    fields = {f.label: f.value for f in brief.fields}
    assert fields["分级"] == "A 战略 · 80"
    assert fields["评分构成"].startswith("当前价值 ")
    assert fields["上次联系"].startswith("3 天前")
    assert fields["团队"] == "华东"
    assert fields["暂停提醒"] == "至 2026年11月28日 · budget freeze"
    assert fields["Alice Chen 的交接备注"] == "李伟喜欢微信沟通"
    sections = {s.title: list(s.lines) for s in brief.sections}
    assert list(sections) == [
        "最近联系", "关键联系人与决策链", "进行中的商机", "待办", "应收款", "未解决投诉",
        "近期（30 天内）",
    ]  # fmt: skip
    assert "QBR went well" in sections["最近联系"][0]
    assert sections["关键联系人与决策链"] == [
        "Li Wei · CFO · 决策人",
        "Tom Brown · IT Director · 影响者",
        "⚠ 没有内部支持者（教练）",
    ]
    deals = sections["进行中的商机"]
    assert any(d.startswith("Renewal · 方案 · 50万 · 本阶段 ") for d in deals), deals
    assert not any("Old win" in d for d in deals)
    assert any("send the deck" in t and "已逾期 2 天" in t for t in sections["待办"])
    assert "逾期 8万（1 张，最久 15 天）" in sections["应收款"][0]
    assert "late delivery in October" in sections["未解决投诉"][0]
    ahead = sections["近期（30 天内）"]
    assert any("Li Wei" in line and "生日" in line for line in ahead)
    assert any("合作 3 周年" in line for line in ahead)


def test_an_admin_hands_over_across_teams_and_the_managers_hear_of_it(engine, chat):
    ids = _busy(engine)
    reply = chat.say("admin", "/handover @eve to @carol Initech")
    assert reply.severity == Severity.success, reply.plain_lines()
    initech = _get(engine, Account, ids["initech"])
    assert (initech.owner_id, initech.team_id) == (ids["carol"], ids["east"])
    [to_eve] = chat.notifier.to("user:eve")
    assert to_eve.title == "Admin handed 1 of your accounts to Carol: Initech."
    # Carol's manager (Bob) is told; Eve has none
    [to_bob] = chat.notifier.to("user:bob")
    assert to_bob.title == "Admin handed 1 of Eve's accounts to Carol: Initech."
    [brief] = chat.notifier.to("user:carol")
    assert brief.title == "Handover: Initech (from Eve)"
    assert "⚠ No contacts on file: the relationship was in the previous owner's head" in (
        brief.plain_lines()
    )


def test_chinese_command_and_reply(engine, chat):
    ids = _busy(engine)
    chat.say("bob", "/user set me lang zh")
    reply = chat.say(
        "bob", "/交接 @王磊 给 @carol 全部 备注：华夏重工下周续约，先找王总；李娜管采购"
    )
    assert reply.severity == Severity.success, reply.plain_lines()
    assert reply.title == "已将 王磊 的客户交接给 Carol"
    fields = {f.label: f.value for f in reply.fields}
    note = "华夏重工下周续约，先找王总；李娜管采购"  # as typed, full-width punctuation kept
    assert fields["客户"] == "华夏重工" and fields["备注"] == note
    assert "已随 Carol 转入团队 East：华夏重工。" in reply.lines
    assert _get(engine, Account, ids["huaxia"]).owner_id == ids["carol"]
    [told] = chat.notifier.to("user:wang")
    assert told.title == "Bob 已将你的 1 个客户交接给 Carol：华夏重工。"
    [brief] = chat.notifier.to("user:carol")
    assert brief.title == "Handover: 华夏重工 (from 王磊)"  # in Carol's language
    assert f"Note from 王磊: {note}" in brief.plain_lines()
    undo = chat.say("bob", "/撤销")
    assert undo.severity == Severity.success
    assert _get(engine, Account, ids["huaxia"]).owner_id == ids["wang"]


def test_without_accounts_kam_asks_and_the_answer_runs_once(engine, chat):
    ids = _busy(engine)
    question = chat.say("bob", "/handover @alice to @carol note see Acme first")
    assert question.title == "Hand over which of Alice Chen's 2 accounts to Carol?"
    assert [a.label for a in question.actions][:3] == [
        "1. All 2 of Alice Chen's accounts",
        "2. Only Acme (A)",
        "3. Only Umbrella (B)",
    ]
    assert _audit(engine) == []  # nothing moved while asking
    reply = chat.say("bob", "2")
    assert reply.title == "Handed Alice Chen's account to Carol", reply.plain_lines()
    assert {f.label: f.value for f in reply.fields}["Note"] == "see Acme first"
    assert _get(engine, Account, ids["acme"]).owner_id == ids["carol"]
    assert _get(engine, Account, ids["umbrella"]).owner_id == ids["alice"]


@pytest.mark.parametrize(
    ("who", "text", "says"),
    [
        ("alice", "/handover @alice to @carol all", "Only a manager or an admin hands accounts"),
        ("wang", "/交接 @王磊 给 @carol 全部", "只有经理或管理员可以交接客户"),
        ("bob", "/handover @eve to @carol all", "Eve is not in a team you manage (East, 华东)"),
        ("bob", "/handover @alice to @eve all", "Eve is not in a team you manage"),
        ("bob", "/handover @alice to @carol Globex", "Not Alice Chen's: Globex (owned by Carol)."),
        ("bob", "/handover @alice to @alice all", "Giver and receiver are the same person"),
        ("bob", "/handover @alice to @nobody all", "Nobody called “nobody” uses kam."),
        ("bob", "/handover alice carol", "Say who hands over to whom"),
        ("bob", "/handover @alice to @carol Acme, all", "Say either “all” or the accounts"),
    ],
)
def test_refusals_change_nothing(engine, chat, who, text, says):
    _busy(engine)
    before = _state(engine)
    reply = chat.say(who, text)
    assert reply.severity == Severity.error
    assert any(says in line for line in reply.lines), reply.lines
    assert any(line.startswith(("Example: /handover", "例如")) or "/交接" in line
               for line in reply.lines), reply.lines  # fmt: skip
    assert _state(engine) == before and _audit(engine) == []
    assert chat.notifier.sent == []


def test_a_manager_may_not_move_an_account_outside_their_teams(engine, chat):
    ids = _busy(engine)
    with unit_of_work(engine) as s:  # Alice (East) owns an account in West
        f.account(s, "Wayne", owner=s.get(User, ids["alice"]), team=None, tier="C")
        wayne = s.exec(select(Account).where(Account.name == "Wayne")).one()
        wayne.team_id = ids["west"]
        s.add(wayne)
    before = _state(engine)
    reply = chat.say("bob", "/handover @alice to @carol all")
    assert reply.severity == Severity.error
    assert "Not in a team you manage (East, 华东): Wayne." in reply.lines[0]
    assert _state(engine) == before


def test_the_receiver_must_be_active_and_the_giver_may_have_left(engine, chat):
    ids = _busy(engine)
    chat.say("admin", "/user remove @carol")
    refused = chat.say("bob", "/handover @alice to @carol all")
    assert "Carol is deactivated" in refused.lines[0]
    removed = chat.say("admin", "/user remove @alice")
    assert removed.actions[0].command == "handover @alice to @carol" or any(
        a.command == "handover @alice to @" for a in removed.actions
    )
    reply = chat.say("bob", "/handover @alice to @wang all")
    assert reply.severity == Severity.success
    assert chat.notifier.to("user:alice") == []  # deactivated: not told
    assert _get(engine, Account, ids["acme"]).owner_id == ids["wang"]


def test_with_goals_moves_or_adds_the_givers_own_goals(engine, chat):
    ids = _busy(engine)
    with unit_of_work(engine) as s:
        alice, wang = s.get(User, ids["alice"]), s.get(User, ids["wang"])
        f.goal(s, year=NOW.year, metric="won_revenue", target="1000000", user=alice)
        f.goal(s, year=NOW.year, metric="interactions", target="40", user=alice)
        f.goal(s, year=NOW.year - 1, metric="interactions", target="30", user=alice)  # past
        f.goal(s, year=NOW.year, metric="won_revenue", target="2000000", user=wang)
    before = _state(engine)
    reply = chat.say("bob", "/handover @alice to @wang all with goals")
    assert reply.severity == Severity.success, reply.plain_lines()
    goals = next(s for s in reply.sections if s.title == "Goals").lines
    assert any("added to theirs, ¥2M → ¥3M" in line for line in goals), goals
    assert any("moved (40)" in line for line in goals), goals
    with unit_of_work(engine, write=False) as s:
        mine = {(g.year, g.metric, g.user_id): g.target for g in s.exec(select(Goal))}
    assert mine == {
        (NOW.year, "won_revenue", ids["wang"]): D("3000000"),
        (NOW.year, "interactions", ids["wang"]): D("40"),
        (NOW.year - 1, "interactions", ids["alice"]): D("30"),
    }
    chat.say("bob", "/undo")
    assert _state(engine) == before


def test_three_hundred_accounts_take_a_bounded_number_of_statements(engine):
    ids = _busy(engine)
    with unit_of_work(engine) as s:
        alice = s.get(User, ids["alice"])
        for n in range(300):
            a = f.account(s, f"Bulk {n:03d}", owner=alice, tier="C", score=float(n % 40))
            f.deal(s, a, "Deal", owner=alice, amount="1000")
            f.task(s, a, "call", owner=alice)
    chat = Chat(engine)
    chat.say("bob", "/account Acme")  # warm: the name index and the like
    with Statements(engine) as seen:
        reply = chat.say("bob", "/handover @alice to @carol all")
    assert reply.severity == Severity.success, reply.plain_lines()
    assert reply.title == "Handed 302 accounts from Alice Chen to Carol"
    assert {f.label: f.value for f in reply.fields}["Open next steps"] == "301"
    # ten briefs of ~10 statements each, and a handful for the move itself: never a
    # statement per account, deal or step
    from collections import Counter

    assert len(seen) <= 150, Counter(s[:80] for s in seen).most_common(8)
    updates = [s for s in seen if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) <= 6, updates
    messages = chat.notifier.to("user:carol")
    assert len(messages) == 11  # ten briefs and one index
    assert messages[0].title == "Handover: Acme (from Alice Chen)"
    index = messages[-1]
    assert index.title == "Handover: 292 more accounts from Alice Chen"
    assert "…and 232 more." in index.lines
    with unit_of_work(engine, write=False) as s:
        left = s.exec(select(Account).where(Account.owner_id == ids["alice"])).all()
        open_tasks = s.exec(
            select(Task).where(Task.owner_id == ids["alice"], Task.done_at.is_(None))
        ).all()
    assert left == [] and [t.id for t in open_tasks] == [ids["elsewhere"]]
