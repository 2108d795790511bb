"""``/team`` (``/协同``): an account's supporting team — adding, moving, removing members,
who may change the team, what a member may do (read, log, next steps, close their own)
and may not (deals, tier), next steps given to a member, and the pushes of their role."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.config import Settings
from domain.models import Account, AccountMember, Invoice, Task, Team, User
from handlers.replies import Severity
from schedules.jobs import job_table
from schedules.registry import run
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, Chat, book


@pytest.fixture
def chat(engine) -> Chat:
    return Chat(engine)


@pytest.fixture
def b(engine):
    """The crafted book, and a Solutions team of supporting people: dave (tech, en),
    刘芳 (liu, service, zh), finn (finance, en), and gone (inactive)."""
    ids = book(engine)
    with unit_of_work(engine) as s:
        solutions = f.team(s, "Solutions")
        for handle, kw in (
            ("dave", {"display_name": "Dave Li"}),
            ("liu", {"display_name": "刘芳", "language": "zh"}),
            ("finn", {"display_name": "Finn"}),
            ("gone", {"display_name": "Gone Person", "active": False}),
        ):
            ids.ids[handle] = f.user(s, handle, team=solutions, **kw).id
    return ids


def _members(engine, account_id: int) -> dict[str, str]:
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(
            select(User.handle, AccountMember.role)
            .join(User, User.id == AccountMember.user_id)
            .where(AccountMember.account_id == account_id)
        ).all()
    return dict(rows)


def _said(reply) -> str:
    """An error's title and lines: what kam said was wrong."""
    return " ".join([reply.title, *reply.lines])


def _fields(reply) -> dict[str, str]:
    return {fl.label: fl.value for fl in reply.fields}


# --- add / remove / list --------------------------------------------------------------


def test_the_owner_adds_a_member_who_is_told(engine, chat, b):
    reply = chat.say("alice", "/team Acme add @dave tech")
    assert reply.severity == Severity.success
    assert reply.title == "Added Dave Li to Acme's team as tech"
    assert _fields(reply) == {"Owner": "Alice Chen (@alice)", "tech": "Dave Li (@dave)"}
    assert _members(engine, b["acme"]) == {"dave": "tech"}
    (note,) = chat.notifier.to("user:dave")
    assert note.title.startswith("Alice Chen added you to Acme's team as tech")


def test_chinese_add_with_the_chinese_role_word(engine, chat, b):
    reply = chat.say("wang", "/协同 华夏重工 加 @liu 服务")
    assert reply.title == "已将刘芳加入华夏重工的协同团队，角色：服务"
    assert _members(engine, b["huaxia"]) == {"liu": "service"}
    (note,) = chat.notifier.to("user:liu")
    assert note.title.startswith("王磊将你加入华夏重工的协同团队（服务）")
    listed = chat.say("wang", "/协同 华夏重工")
    assert listed.title == "华夏重工的协同团队"
    assert _fields(listed) == {"负责人": "王磊 (@wang)", "服务": "刘芳 (@liu)"}


def test_the_list_shows_owner_and_members_and_says_when_there_are_none(engine, chat, b):
    empty = chat.say("alice", "/team Acme")
    assert empty.title == "Acme's team"
    assert _fields(empty) == {"Owner": "Alice Chen (@alice)"}
    assert empty.lines[0].startswith("No supporting members yet")
    chat.say("alice", "/team Acme add @dave tech")
    chat.say("alice", "/team Acme add @finn finance")
    listed = chat.say("carol", "/team Acme")  # a teammate of the owner reads it
    assert [(fl.label, fl.value) for fl in listed.fields] == [
        ("Owner", "Alice Chen (@alice)"),
        ("tech", "Dave Li (@dave)"),
        ("finance", "Finn (@finn)"),
    ]


def test_adding_again_changes_the_role_and_says_old_and_new(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    reply = chat.say("alice", "/team Acme add @dave exec-sponsor")
    assert reply.title == "Dave Li's role on Acme's team: tech → exec sponsor"
    assert _members(engine, b["acme"]) == {"dave": "exec_sponsor"}
    same = chat.say("alice", "/team Acme add @dave sponsor")
    assert same.title == "Dave Li is already on Acme's team as exec sponsor"


def test_remove_and_undo_bring_the_member_back(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    reply = chat.say("alice", "/team Acme remove @dave")
    assert reply.title == "Removed Dave Li (tech) from Acme's team"
    assert _members(engine, b["acme"]) == {}
    assert chat.notifier.to("user:dave")[-1].title == "Alice Chen removed you from Acme's team."
    chat.say("alice", "/undo")
    assert _members(engine, b["acme"]) == {"dave": "tech"}
    chat.say("alice", "/undo")  # and the add itself
    assert _members(engine, b["acme"]) == {}


def test_undo_of_a_role_change_restores_the_old_role(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    chat.say("alice", "/team Acme add @dave service")
    chat.say("alice", "/undo")
    assert _members(engine, b["acme"]) == {"dave": "tech"}


def test_the_owner_and_the_inactive_are_refused(engine, chat, b):
    owner = chat.say("alice", "/team Acme add @alice tech")
    assert owner.severity == Severity.error
    assert "Alice Chen owns Acme" in _said(owner)
    gone = chat.say("alice", "/team Acme add @gone legal")
    assert "no longer active" in _said(gone)
    absent = chat.say("alice", "/team Acme remove @finn")
    assert "Finn is not on Acme's team" in _said(absent)
    assert _members(engine, b["acme"]) == {}


def test_bad_input_is_explained_with_an_example(engine, chat, b):
    role = chat.say("alice", "/team Acme add @dave wizard")
    assert "“wizard” is not a team role" in _said(role)
    assert "/team Acme add @dave service" in _said(role)
    who = chat.text("alice", "/team Acme add dave tech")
    assert "/team Acme add @dave tech" in who
    zh = chat.say("wang", "/协同 华夏重工 加 @liu 巫师")
    assert "“巫师”不是协同角色" in _said(zh)
    assert _members(engine, b["acme"]) == {}


def test_a_missing_role_is_asked_and_the_answer_runs_once(engine, chat, b):
    asked = chat.say("alice", "/team Acme add @dave")
    assert "As what does @dave join Acme's team?" in asked.title
    assert _members(engine, b["acme"]) == {}
    chat.say("alice", "2")  # service, the second role
    assert _members(engine, b["acme"]) == {"dave": "service"}


# --- who may change the team ----------------------------------------------------------


def test_who_may_change_the_team(engine, chat, b):
    assert chat.say("bob", "/team Acme add @dave tech").severity == Severity.success  # manager
    assert chat.say("admin", "/team Acme add @finn finance").severity == Severity.success
    teammate = chat.say("carol", "/team Acme add @liu service")  # the owner's teammate
    assert teammate.severity == Severity.error
    assert "Only Acme's owner, a manager of its team or an admin" in _said(teammate)
    member = chat.say("dave", "/team Acme remove @finn")  # a member changes nothing
    assert member.severity == Severity.error
    outsider = chat.say("eve", "/team Acme add @liu service")
    assert "belongs to another team" in _said(outsider)
    assert _members(engine, b["acme"]) == {"dave": "tech", "finn": "finance"}


# --- what a member may do -------------------------------------------------------------


def test_a_member_reads_the_account_and_sees_the_team(engine, chat, b):
    assert chat.say("dave", "/account Acme").severity == Severity.error  # not yet
    chat.say("alice", "/team Acme add @dave tech")
    chat.say("alice", "/team Acme add @finn finance")
    reply = chat.say("dave", "/account Acme")
    assert reply.severity != Severity.error
    assert _fields(reply)["Team"] == "Dave Li (tech), Finn (finance)"


def test_a_member_logs_a_visit_with_a_step_for_themselves_and_closes_it(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    reply = chat.say("dave", "/visit Acme met Tom Brown on the rollout. next: pilot review by Fri")
    assert reply.severity == Severity.success, reply.title
    with unit_of_work(engine, write=False) as s:
        task = s.exec(select(Task).where(Task.text == "pilot review")).one()
    assert task.owner_id == b["dave"]
    owner_note = chat.notifier.to("user:alice")[-1]
    assert "Dave Li" in owner_note.title
    done = chat.say("dave", f"/done {task.id}")
    assert done.severity == Severity.success


def test_a_member_may_not_change_deals_or_the_tier_and_is_told_why(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    deal = chat.say("dave", "/deal Acme Pilot 50k proposal")
    assert deal.severity == Severity.error
    assert _said(deal).startswith("Not allowed You're on Acme's team as tech")
    assert "only its owner, their team or a manager" in _said(deal)
    chat.say("wang", "/协同 华夏重工 加 @liu 服务")
    tier = chat.say("liu", "/分级 华夏重工 A 原因 战略客户")
    assert tier.severity == Severity.error
    with unit_of_work(engine, write=False) as s:
        assert s.get(Account, b["huaxia"]).tier_override is None


# --- next steps given to a member -----------------------------------------------------


def test_a_step_given_to_a_member_shows_in_their_tasks(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    reply = chat.say("alice", "/visit Acme met Li Wei. next: @dave run the pilot review by Fri")
    assert reply.severity == Severity.success, reply.title
    assert any("for @dave" in fl.value for fl in reply.fields)
    with unit_of_work(engine, write=False) as s:
        task = s.exec(select(Task).where(Task.text == "run the pilot review")).one()
    assert task.owner_id == b["dave"]
    tasks = chat.say("dave", "/tasks")
    assert tasks.title == "My next steps (1 open)"
    assert "Acme · run the pilot review" in tasks.sections[0].lines[0]
    (told,) = chat.notifier.to("user:dave")[1:]
    assert "Alice Chen" in told.title


def test_a_chinese_step_given_to_a_member(engine, chat, b):
    chat.say("wang", "/协同 华夏重工 加 @liu 服务")
    reply = chat.say("wang", "/拜访 华夏重工 见了王建国 下一步：@liu 周五前安排试点评审")
    assert reply.severity == Severity.success, reply.title
    with unit_of_work(engine, write=False) as s:
        task = s.exec(select(Task).where(Task.owner_id == b["liu"])).one()
    assert task.text == "安排试点评审"
    assert "安排试点评审" in chat.text("liu", "/待办")


def test_a_step_for_someone_unrelated_is_refused_and_nothing_is_written(engine, chat, b):
    reply = chat.say("alice", "/visit Acme met Li Wei. next: @dave run the pilot review by Fri")
    assert reply.severity == Severity.error
    assert "Dave Li doesn't work Acme" in _said(reply)
    assert "/team Acme add @dave tech" in _said(reply)
    eve = chat.say("alice", "/visit Acme met Li Wei. next: @eve send the deck")
    assert eve.severity == Severity.error
    with unit_of_work(engine, write=False) as s:
        assert not s.exec(select(Task)).all()
    # the owner's teammate may be given one
    ok = chat.say("alice", "/visit Acme met Li Wei. next: @carol send the deck")
    assert ok.severity == Severity.success


def test_a_member_gives_a_step_to_the_owner(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    reply = chat.say("dave", "/call Acme talked to Tom. next: @alice confirm the budget by Mon")
    assert reply.severity == Severity.success, reply.title
    assert "confirm the budget" in chat.text("alice", "/tasks")


# --- complaints and CSAT reach the service member -------------------------------------


def test_a_new_complaint_and_a_low_csat_reach_the_service_member(engine, chat, b):
    chat.say("alice", "/team Acme add @liu service")
    chat.say("alice", "/team Acme add @dave tech")
    chat.notifier.sent.clear()
    chat.say("alice", "/complaint Acme late delivery of the second batch")
    (note,) = chat.notifier.to("user:liu")
    assert "Acme" in note.title and "late delivery" in note.title
    assert not chat.notifier.to("user:dave")  # tech hears nothing of it
    chat.notifier.sent.clear()
    chat.say("alice", "/csat Acme 9 happy")
    assert not chat.notifier.to("user:liu")  # a good score is not their business
    chat.say("alice", "/csat Acme 3 angry about delays")
    (low,) = chat.notifier.to("user:liu")
    assert "3" in low.title
    assert not chat.notifier.to("user:dave")


def test_a_service_member_logs_a_complaint_and_a_score(engine, chat, b):
    chat.say("wang", "/协同 华夏重工 加 @liu 服务")
    opened = chat.say("liu", "/投诉 华夏重工 交货延迟")
    assert opened.severity == Severity.success, opened.title
    scored = chat.say("liu", "/满意度 华夏重工 8 交付及时")
    assert scored.severity == Severity.success, scored.title
    assert chat.notifier.to("user:wang")  # the owner hears of both


# --- role pushes ----------------------------------------------------------------------

TEAM = job_table()["team"]
AT = NOW.replace(hour=9, minute=5)


def _invoice(engine, account_id: int, days_overdue: int, amount: int = 1000) -> None:
    with unit_of_work(engine) as s:
        s.add(
            Invoice(
                account_id=account_id,
                amount=Decimal(amount),
                issued_on=AT.date() - timedelta(days=days_overdue + 30),
                due_on=AT.date() - timedelta(days=days_overdue),
            )
        )


def test_the_finance_member_hears_of_overdue_receivables_once(engine, chat, b):
    chat.say("alice", "/team Acme add @finn finance")
    chat.say("wang", "/协同 华夏重工 加 @liu 服务")
    _invoice(engine, b["acme"], 12, 2500)
    _invoice(engine, b["acme"], -5)  # not yet due
    _invoice(engine, b["huaxia"], 30)  # liu is service there, not finance
    notifier = chat.notifier.__class__()
    run(TEAM, engine, Settings(), notifier, AT)
    assert [rec.key for rec, _ in notifier.sent] == ["user:finn"]
    (msg,) = notifier.to("user:finn")
    assert msg.title == "Overdue invoices at the accounts you are on: 1"
    assert "Acme" in msg.lines[0] and "12" in msg.lines[0]
    run(TEAM, engine, Settings(), notifier, AT + timedelta(minutes=30))
    assert len(notifier.sent) == 1  # exactly once a day


def test_the_exec_sponsor_hears_of_a_lapsed_a_tier_account(engine, chat, b):
    chat.say("alice", "/team Acme add @dave exec-sponsor")  # Acme: A tier, never contacted
    chat.say("carol", "/team Globex add @finn exec-sponsor")  # C tier: not theirs to hear
    notifier = chat.notifier.__class__()
    run(TEAM, engine, Settings(), notifier, AT)
    assert [rec.key for rec, _ in notifier.sent] == ["user:dave"]
    (msg,) = notifier.to("user:dave")
    assert "Acme" in " ".join(msg.lines)
    run(TEAM, engine, Settings(), notifier, AT + timedelta(minutes=30))
    assert len(notifier.sent) == 1


def test_a_chinese_finance_member_hears_in_chinese(engine, chat, b):
    with unit_of_work(engine) as s:
        s.get(User, b["finn"]).language = "zh"
    chat.say("wang", "/协同 华夏重工 加 @finn 财务")
    _invoice(engine, b["huaxia"], 3)
    notifier = chat.notifier.__class__()
    run(TEAM, engine, Settings(), notifier, AT)
    (msg,) = notifier.to("user:finn")
    assert msg.title == "你负责的客户有逾期应收：1 笔"
    assert "华夏重工" in msg.lines[0]


def test_churned_accounts_and_removed_members_are_not_pushed(engine, chat, b):
    chat.say("alice", "/team Acme add @finn finance")
    _invoice(engine, b["acme"], 12)
    chat.say("alice", "/team Acme remove @finn")
    notifier = chat.notifier.__class__()
    run(TEAM, engine, Settings(), notifier, AT)
    assert not notifier.sent
    _ = Team  # the Solutions team lives in the fixture


def test_a_member_closes_only_their_own_steps_and_lists_the_accounts(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    with unit_of_work(engine) as s:
        acme = s.get(Account, b["acme"])
        alices = f.task(s, acme, "send the quote", owner=s.get(User, b["alice"])).id
        daves = f.task(s, acme, "check the API limits", owner=s.get(User, b["dave"])).id
    listed = chat.say("dave", "/tasks Acme")  # everyone's steps at an account they're on
    assert listed.title == "Acme — next steps (2 open)"
    refused = chat.say("dave", f"/done {alices}")
    assert refused.severity == Severity.error
    assert chat.say("dave", f"/done {daves}").severity == Severity.success


def test_the_finance_push_is_bounded_and_counts_the_rest(engine, chat, b):
    from schedules.plan import MAX_LINES
    from tests.integration.test_jobs_bounded import count_rows

    chat.say("alice", "/team Acme add @finn finance")
    many = MAX_LINES + 7
    with unit_of_work(engine) as s:
        for n in range(many):
            s.add(Invoice(account_id=b["acme"], amount=Decimal(100 + n),
                          issued_on=AT.date() - timedelta(days=90),
                          due_on=AT.date() - timedelta(days=60 - n % 50)))  # fmt: skip
    fetched = count_rows(engine)
    notifier = chat.notifier.__class__()
    run(TEAM, engine, Settings(), notifier, AT)
    (msg,) = notifier.to("user:finn")
    assert msg.title == f"Overdue invoices at the accounts you are on: {many}"
    assert len(msg.lines) == MAX_LINES + 1
    assert msg.lines[-1].startswith("…and 7 more")
    assert 0 < fetched.widest <= MAX_LINES, fetched.widest_sql()


def test_a_step_given_to_a_member_comes_in_their_daily_push(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    chat.say("alice", "/visit Acme met Li Wei. next: @dave send the pilot plan today")
    notifier = chat.notifier.__class__()
    tomorrow_morning = AT + timedelta(days=1)
    run(job_table()["tasks"], engine, Settings(), notifier, tomorrow_morning)
    (push,) = notifier.to("user:dave")
    assert any("Acme — send the pilot plan" in line for line in push.plain_lines())


def test_account_leaves_out_inactive_members(engine, chat, b):
    chat.say("alice", "/team Acme add @dave tech")
    chat.say("alice", "/team Acme add @finn finance")
    with unit_of_work(engine) as s:
        s.get(User, b["finn"]).active = False
    assert _fields(chat.say("alice", "/account Acme"))["Team"] == "Dave Li (tech)"
    listed = chat.say("alice", "/team Acme")  # the team view marks them instead
    assert _fields(listed)["finance"] == "Finn (@finn) · inactive"
