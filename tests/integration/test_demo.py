"""The demo book (seed_demo) and the large synthetic book (generate_large)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from benchmarks.book import generate_large
from bot.config import Settings
from domain.cadence import contact_status
from domain.calendar import Birthday, next_anniversary, next_occurrence
from domain.models import (
    Account,
    AccountAlias,
    Contact,
    Deal,
    DealStage,
    DealStageChange,
    Goal,
    Interaction,
    InteractionContact,
    Task,
    Team,
    TeamManager,
    User,
)
from storage import users
from storage.demo import DemoSummary, seed_demo
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.session import unit_of_work

TODAY = date(2026, 5, 20)
SETTINGS = Settings()
CJK = re.compile(r"[\u4e00-\u9fff]")


def _seed(engine, today: date = TODAY) -> DemoSummary:
    with unit_of_work(engine) as session:
        return seed_demo(session, settings=SETTINGS, today=today)


def _table_counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            name: session.exec(select(func.count()).select_from(table)).one()
            for name, table in SQLModel.metadata.tables.items()
        }


def _user(session: Session, handle: str) -> User:
    return session.exec(select(User).where(User.handle == handle)).one()


def _account(session: Session, name: str) -> Account:
    return session.exec(select(Account).where(Account.name == name)).one()


def _contact(session: Session, account: Account, name: str) -> Contact:
    return session.exec(
        select(Contact).where(Contact.account_id == account.id, Contact.name == name)
    ).one()


def _birthday(c: Contact) -> Birthday:
    return Birthday(
        c.birthday_month, c.birthday_day, c.birthday_year, c.birthday_lunar, c.birthday_leap_month
    )


def test_seed_demo_creates_teams_and_people(engine):
    summary = _seed(engine)
    assert summary.created and summary.teams == 2 and summary.users >= 6
    with Session(engine) as s:
        east = s.exec(select(Team).where(Team.name == "East")).one()
        huadong = s.exec(select(Team).where(Team.name == "华东")).one()
        assert east.slack_channel == "C0EAST0001"
        assert huadong.wecom_chat_id == "wrEastChina001"

        alice, wang, bob = _user(s, "alice"), _user(s, "wang"), _user(s, "bob")
        assert (alice.role, alice.team_id, alice.language) == ("rep", east.id, "en")
        assert (alice.timezone, alice.display_name) == ("Asia/Shanghai", "Alice Chen")
        assert users.identities_of(s, alice.id) == {"slack": "U0ALICE001"}
        assert (wang.role, wang.team_id, wang.language) == ("rep", huadong.id, "zh")
        assert wang.display_name == "王磊"
        assert users.identities_of(s, wang.id) == {"wecom": "wanglei"}
        assert (bob.role, bob.team_id) == ("manager", east.id)
        assert users.identities_of(s, bob.id) == {"slack": "U0BOB00001", "wecom": "bob"}
        assert alice.manager_id == bob.id and wang.manager_id == bob.id
        managed = set(s.exec(select(TeamManager.team_id).where(TeamManager.user_id == bob.id)))
        assert managed == {east.id, huadong.id}
        assert _user(s, "admin").role == "admin"
        assert _user(s, "carol").timezone == "America/New_York"
        assert _user(s, "li").team_id == huadong.id


def test_seed_demo_key_accounts_and_contacts(engine):
    _seed(engine)
    with Session(engine) as s:
        alice, wang = _user(s, "alice"), _user(s, "wang")
        acme = _account(s, "Acme")
        assert acme.owner_id == alice.id and acme.team_id == alice.team_id
        assert acme.effective_tier == "A" and acme.score >= 75
        li_wei = _contact(s, acme, "Li Wei")
        assert (li_wei.title, li_wei.role) == ("CFO", "decision_maker")
        _contact(s, acme, "Tom Brown")

        huaxia = _account(s, "华夏重工")
        assert huaxia.owner_id == wang.id and huaxia.team_id == wang.team_id
        aliases = s.exec(select(AccountAlias.alias).where(AccountAlias.account_id == huaxia.id))
        assert "华夏" in set(aliases)
        anniversary, years = next_anniversary(huaxia.partnership_start, TODAY)
        assert 0 <= (anniversary - TODAY).days <= 7 and years >= 1

        boss = _contact(s, huaxia, "王建国")
        assert (boss.title, boss.role) == ("总经理", "decision_maker")
        assert (boss.birthday_lunar, boss.birthday_month, boss.birthday_day) == (True, 4, 8)
        lina = _contact(s, huaxia, "李娜")
        assert (lina.title, lina.role) == ("采购经理", "procurement")


def test_seed_demo_book_is_rich(engine):
    summary = _seed(engine)
    assert 35 <= summary.accounts <= 45
    with Session(engine) as s:
        accounts = s.exec(select(Account)).all()
        assert {a.effective_tier for a in accounts} == {"A", "B", "C"}
        assert Counter(a.tier for a in accounts)["A"] >= 5
        assert any(CJK.search(a.name) for a in accounts)
        assert any(not CJK.search(a.name) for a in accounts)
        assert len({a.industry for a in accounts}) >= 10
        overridden = [a for a in accounts if a.tier_override]
        assert len(overridden) >= 2 and all(a.tier_override_reason for a in overridden)
        assert any(a.tier_override != a.tier for a in overridden)
        snoozed = [a for a in accounts if a.snoozed_until]
        assert snoozed and all(a.snoozed_until > TODAY and a.snooze_reason for a in snoozed)
        statuses = Counter(a.status for a in accounts)
        assert statuses["at_risk"] >= 1 and statuses["churned"] >= 1
        assert s.exec(select(func.count()).select_from(AccountAlias)).one() >= 5

        per_account = Counter(s.exec(select(Contact.account_id)).all())
        assert set(per_account) == {a.id for a in accounts}
        assert all(2 <= n <= 5 for n in per_account.values())
        contacts = s.exec(select(Contact)).all()
        assert any(c.birthday_lunar for c in contacts)
        upcoming = [
            c
            for c in contacts
            if c.birthday_month and (next_occurrence(_birthday(c), TODAY) - TODAY).days <= 14
        ]
        assert any(c.birthday_lunar for c in upcoming)
        assert any(not c.birthday_lunar for c in upcoming)

        interactions = s.exec(select(Interaction)).all()
        assert len(interactions) >= 400
        oldest = min(i.happened_at for i in interactions).date()
        assert (TODAY - oldest).days >= 300
        assert {i.kind for i in interactions} == {"visit", "call", "meeting", "meal", "message"}
        huaxia = _account(s, "华夏重工")
        assert all(CJK.search(i.notes) for i in interactions if i.account_id == huaxia.id)
        assert s.exec(select(func.count()).select_from(InteractionContact)).one() >= len(
            interactions
        )


def test_seed_demo_deals_and_history(engine):
    _seed(engine)
    with Session(engine) as s:
        deals = s.exec(select(Deal)).all()
        assert {d.stage for d in deals} == {stage.value for stage in DealStage}
        now = max(d.stage_changed_at for d in deals)
        for d in deals:
            history = s.exec(
                select(DealStageChange)
                .where(DealStageChange.deal_id == d.id)
                .order_by(DealStageChange.changed_at, DealStageChange.id)
            ).all()
            assert history[0].from_stage is None
            assert [h.from_stage for h in history[1:]] == [h.to_stage for h in history[:-1]]
            assert history[-1].to_stage == d.stage
            assert history[-1].changed_at == d.stage_changed_at
            assert d.created_at <= d.stage_changed_at and isinstance(d.amount, Decimal)
            if d.is_open:
                assert d.closed_at is None
            else:
                assert d.closed_at == d.stage_changed_at
            if d.stage == "lost":
                assert d.lost_reason
        open_deals = [d for d in deals if d.is_open]
        assert any((now - d.stage_changed_at).days >= 40 for d in open_deals)  # stalled
        assert any(d.close_date < TODAY for d in open_deals)  # past their close date

        tasks = s.exec(select(Task)).all()
        today_start = datetime.combine(TODAY, time(0), tzinfo=SETTINGS.tz)
        assert any(t.done_at is None and t.due_at < today_start for t in tasks)  # overdue
        assert any(t.done_at is None and t.due_at > today_start for t in tasks)  # coming
        assert any(t.done_at is not None for t in tasks)

        goals = s.exec(select(Goal).where(Goal.year == TODAY.year)).all()
        alice, wang = _user(s, "alice"), _user(s, "wang")
        found = {(g.metric, g.scope, g.user_id, g.team_id, g.account_id): g for g in goals}
        assert found[("won_revenue", "user", alice.id, None, None)].target == Decimal(10_000_000)
        assert found[("won_revenue", "user", wang.id, None, None)].target == Decimal(8_000_000)
        teams = {t.name: t.id for t in s.exec(select(Team)).all()}
        assert ("won_revenue", "team", None, teams["East"], None) in found
        assert ("won_revenue", "team", None, teams["华东"], None) in found
        assert any(g.metric == "interactions" for g in goals)
        acme = _account(s, "Acme")
        assert ("won_revenue", "account", None, None, acme.id) in found


def test_seed_demo_has_lapsed_accounts_for_every_tier(engine):
    _seed(engine)
    at = datetime.combine(TODAY, time(9), tzinfo=SETTINGS.tz)
    lapsed: dict[str, list[str]] = {"A": [], "B": [], "C": []}
    escalated = []
    with Session(engine) as s:
        last = dict(
            s.exec(
                select(Interaction.account_id, func.max(Interaction.happened_at)).group_by(
                    Interaction.account_id
                )
            ).all()
        )
        for a in s.exec(select(Account)).all():
            status = contact_status(
                last.get(a.id), a.effective_tier, at, SETTINGS.cadence, SETTINGS.tz
            )
            if status.lapsed and a.status != "churned" and not a.snoozed_until:
                lapsed[a.effective_tier].append(a.name)
                if status.escalate:
                    escalated.append(a.name)
    assert all(lapsed.values()), lapsed
    assert escalated
    assert "Acme" not in lapsed["A"] and "华夏重工" not in lapsed["A"]


def test_seed_demo_is_idempotent(engine):
    first = _seed(engine)
    counts = _table_counts(engine)
    second = _seed(engine)
    assert second.created is False and second.new_rows == 0
    assert _table_counts(engine) == counts
    assert (first.accounts, first.contacts, first.interactions, first.deals) == (
        second.accounts,
        second.contacts,
        second.interactions,
        second.deals,
    )
    later = _seed(engine, TODAY + timedelta(days=10))  # a later day adds nothing either
    assert later.created is False and _table_counts(engine) == counts


def test_seed_demo_defaults_to_today(engine):
    with unit_of_work(engine) as session:
        summary = seed_demo(session, settings=SETTINGS)
    assert summary.created and summary.accounts >= 35


def _book(engine) -> list[tuple]:
    with Session(engine) as s:
        accounts = s.exec(
            select(Account.name, Account.tier, Account.score).order_by(Account.name)
        ).all()
        per_account = s.exec(
            select(Account.name, func.count(Interaction.id), func.max(Interaction.happened_at))
            .join(Interaction, Interaction.account_id == Account.id)
            .group_by(Account.name)
            .order_by(Account.name)
        ).all()
        deals = s.exec(select(Deal.name, Deal.stage, Deal.amount).order_by(Deal.name)).all()
    return [*accounts, *per_account, *deals]


def test_generate_large_small_book(engine):
    _seed(engine)  # on top of the demo book
    before = _table_counts(engine)
    counts = generate_large(
        engine, accounts=300, interactions=3000, deals=600, settings=SETTINGS, today=TODAY
    )
    assert (counts["accounts"], counts["interactions"], counts["deals"]) == (300, 3000, 600)
    after = _table_counts(engine)
    assert after["account"] - before["account"] == 300
    assert after["interaction"] - before["interaction"] == 3000
    assert after["deal"] - before["deal"] == 600
    assert after["kam_user"] - before["kam_user"] == 110  # 100 reps, a manager per team
    assert after["team"] - before["team"] == 10
    assert 2 * 300 <= after["contact"] - before["contact"] <= 4 * 300
    assert after["deal_stage_change"] - before["deal_stage_change"] >= 600

    with Session(engine) as s:
        generated = s.exec(select(Account).where(Account.name.like("Acct %"))).all()
        assert len(generated) == 300 and {a.tier for a in generated} == {"A", "B", "C"}
        deals = s.exec(select(Deal).where(Deal.name.like("Deal %"))).all()
        assert {d.stage for d in deals} == {stage.value for stage in DealStage}
        last_change = dict(
            s.exec(
                select(DealStageChange.deal_id, func.max(DealStageChange.changed_at)).group_by(
                    DealStageChange.deal_id
                )
            ).all()
        )
        assert all(last_change[d.id] == d.stage_changed_at for d in deals)
        assert all((d.closed_at is not None) == (not d.is_open) for d in deals)
        latest = s.exec(
            select(func.max(Interaction.happened_at))
            .join(Account, Account.id == Interaction.account_id)
            .where(Account.name.like("Acct %"))
            .group_by(Interaction.account_id)
        ).all()
        assert sum((TODAY - day.date()).days > 60 for day in latest) >= 10  # some lapsed

    # a second run reuses the reps and teams and numbers its accounts after the first
    again = generate_large(
        engine, accounts=10, interactions=50, deals=20, settings=SETTINGS, today=TODAY
    )
    assert (again["teams"], again["users"], again["accounts"]) == (0, 0, 10)
    with Session(engine) as s:
        assert s.exec(select(Account).where(Account.name.like("Acct 00310 %"))).one()
        team = s.exec(select(Team).where(Team.name == "Region 01")).one()
        extra = Team(name="after the bulk insert")  # ids and sequences still line up
        s.add(extra)
        s.flush()
        assert extra.id > team.id


@pytest.mark.slow
def test_generate_large_is_repeatable(engine, empty_database_url):
    other = make_engine(empty_database_url)
    try:
        upgrade(other)
        for target in (engine, other):
            generate_large(
                target, accounts=120, interactions=1500, deals=200, settings=SETTINGS, today=TODAY
            )
        assert _book(engine) == _book(other)
    finally:
        other.dispose()


def test_the_benchmarks_build_their_book_from_the_command_line(empty_database_url, capsys):
    from benchmarks.book import main

    args = ["--accounts", "12", "--interactions", "30", "--deals", "5"]
    assert main([*args, "--database-url", empty_database_url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("large book generated {")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:]}
    assert rows["accounts"] == ["12"] and rows["interactions"] == ["30"] and rows["deals"] == ["5"]
    assert rows["teams"] == ["10"] and rows["users"] == ["100"]  # Region 01-10, rep001-rep100
