"""The quarterly tier review: the job proposes, managers accept or reject with /review."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from domain.health import HealthPolicy
from domain.models import (
    Account,
    AuditEntry,
    CsatScore,
    Delivery,
    Invoice,
    ProposalStatus,
    Team,
    TierProposal,
    TierReview,
    User,
)
from handlers.replies import Severity
from schedules.jobs.tier_review import TIER_REVIEW, run_tier_review
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Chat, book
from tests.ledger_time import age

D = Decimal
MONDAY_9 = datetime(2027, 1, 4, 9, 30, tzinfo=SHANGHAI)  # first working day of 2027 Q1


def text(reply) -> str:
    return "\n".join(reply.plain_lines())


def _strong(account: Account) -> None:
    """Factors worth 75.6 (tier A) until the book says otherwise (see test_health)."""
    account.annual_revenue, account.margin_pct, account.payment_days = D(10_000_000), 40.0, 30
    account.years_together, account.executive_contact, account.satisfaction = 5.0, True, 9.0


def _review_book(engine, *, now=NOW):
    """Acme (A, 75.6) turns sour in the book: CSAT 3, 2, 4 and an invoice paid late.

    Globex (C) and Initech (B) score what they are stored at, and 华夏重工 is B by hand
    with scores that say C (30.0): its tier set by hand is revisited too.
    """
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        _strong(acme)
        acme.score, acme.tier = 75.6, "A"
        for days, value in ((60, 3), (30, 2), (5, 4)):
            s.add(CsatScore(account_id=acme.id, score=value, author_id=ids["alice"],
                            recorded_at=now - timedelta(days=days)))  # fmt: skip
        today = now.astimezone(SHANGHAI).date()
        s.add(Invoice(account_id=acme.id, amount=D(100_000), issued_on=today - timedelta(days=90),
                      due_on=today - timedelta(days=60), paid_amount=D(100_000),
                      settled_on=today - timedelta(days=20)))  # fmt: skip
        for key in ("globex", "initech"):
            a = s.get(Account, ids[key])
            a.score, a.tier = 30.0, "C"
        huaxia = s.get(Account, ids["huaxia"])
        huaxia.score, huaxia.tier = 30.0, "C"
        huaxia.tier_override, huaxia.tier_override_reason = "B", "strategic in the region"
        s.add_all([acme, huaxia])
    return ids


def _proposals(engine) -> list[TierProposal]:
    with unit_of_work(engine, write=False) as s:
        return list(s.exec(select(TierProposal).order_by(TierProposal.id)))


def test_the_review_proposes_changes_with_the_numbers_and_tells_each_manager_once(engine):
    ids = _review_book(engine)
    chat = Chat(engine)
    report = run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    assert report.summary() == "tier-review: 1 sent (1 recipient(s) due)"
    acme, huaxia = _proposals(engine)
    # satisfaction 9 → 3 (CSAT 3, 2, 4), payment record — → 0 (1 invoice, paid late),
    # payment days 30 → 70: relationship (100+100+50+0+30)/5 = 56, current 0.6×100 +
    # 0.25×100 + 0.15×(120−70)/90×100 = 93.33 → 0.4×93.33 + 12.5 + 7.5 + 0.2×56 = 68.5
    assert (acme.account_id, acme.from_tier, acme.to_tier) == (ids["acme"], "A", "B")
    assert (acme.from_score, acme.to_score) == (75.6, 68.5)
    assert acme.factors == {"satisfaction": 3.0, "payment_record": 0, "payment_days": 70}
    assert (huaxia.from_tier, huaxia.to_tier) == ("B", "C")
    [(recipient, message)] = chat.notifier.sent
    assert recipient.key == "user:bob"  # manager of East and 华东
    assert message.title == "Tier review 2026 Q4: 2 changes to decide"
    assert message.sections[0].lines == (
        "#1 Acme: A → B (down) · score 75.6 → 68.5 (A from 75, B from 50) · "
        "satisfaction 9/10 → 3/10 (CSAT average of 3 scores) · "
        "payment record — → 0 (0 of 1 invoices paid on time) · "
        "payment days 30 days → 70 days (mean days from invoice to payment)",
        "#2 华夏重工: B → C (down) · score 30.0 → 30.0 (A from 75, B from 50) · "
        "set to B by hand (strategic in the region); the score says otherwise",
    )
    assert [a.command for a in message.actions] == [
        "review accept all",
        "review accept 1",
        "review reject 1",
        "review accept 2",
        "review reject 2",
    ]
    # again in the same quarter: nothing new to propose, nothing sent twice
    again = run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    assert again.sent == [] and len(chat.notifier.sent) == 1
    assert len(_proposals(engine)) == 2


def test_an_account_without_a_team_manager_goes_to_the_admins(engine):
    ids = _review_book(engine)
    with unit_of_work(engine) as s:
        initech = s.get(Account, ids["initech"])
        _strong(initech)  # scores 75.6 but is stored as C: a change up
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    admin = chat.notifier.to("user:admin")
    assert len(admin) == 1
    # no contacts, so no decision-chain roles: relationship (100+100+0+50+90)/5 = 68 → 73.6
    assert admin[0].sections[0].lines[0].startswith("#3 Initech: C → B (up) · score 30.0 → 73.6")


def test_a_scheduled_run_reviews_once_on_the_first_working_day_and_then_only_retries(engine):
    _review_book(engine, now=MONDAY_9)
    chat = Chat(engine)
    saturday = datetime(2027, 1, 2, 9, 30, tzinfo=SHANGHAI)
    assert run_tier_review(engine, chat.settings, chat.notifier, saturday).messages == []
    evening = MONDAY_9.replace(hour=20)
    assert run_tier_review(engine, chat.settings, chat.notifier, evening).messages == []
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(TierReview)).all() == []

    chat.notifier.fail_next = 1
    first = run_tier_review(engine, chat.settings, chat.notifier, MONDAY_9)
    assert len(first.failed) == 1 and chat.notifier.sent == []
    # the next tick retries the failed message (after the back-off), without a new review
    later = MONDAY_9 + timedelta(minutes=10)
    age(engine, timedelta(minutes=10))  # the back-off runs on the database's clock
    retry = run_tier_review(engine, chat.settings, chat.notifier, later)
    assert [r.key for r, _ in chat.notifier.sent] == ["user:bob"]
    assert retry.sent and retry.sent[0].key.subject == "review-1"
    run_tier_review(engine, chat.settings, chat.notifier, later + timedelta(days=1))
    with unit_of_work(engine, write=False) as s:
        reviews = s.exec(select(TierReview)).all()
        assert [(r.quarter, r.accounts, r.proposals, r.on_demand) for r in reviews] == [
            ("2027Q1", 4, 2, False)
        ]
        sent = s.exec(select(Delivery).where(Delivery.job == TIER_REVIEW)).all()
        assert [(d.status, d.attempts) for d in sent] == [("sent", 2)]
    assert len(chat.notifier.sent) == 1


def test_a_dry_run_stores_and_sends_nothing(engine):
    _review_book(engine)
    chat = Chat(engine)
    report = run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True,
                             dry_run=True)  # fmt: skip
    assert [m.recipient.key for m in report.messages] == ["user:bob"]
    assert "Acme: A → B" in text(report.messages[0].reply)
    assert chat.notifier.sent == [] and _proposals(engine) == []


def test_accepting_one_writes_the_factors_rescores_and_is_audited(engine):
    ids = _review_book(engine)
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    chat.notifier.sent.clear()
    reply = chat.say("bob", "/review accept 1")
    assert reply.title == "Accepted 1 tier changes"
    assert reply.lines == ["#1 Acme is now tier B key (score 68.5)"]
    with unit_of_work(engine, write=False) as s:
        acme = s.get(Account, ids["acme"])
        assert (acme.tier, acme.score, acme.satisfaction, acme.payment_record) == (
            "B", 68.5, 3.0, 0,
        )  # fmt: skip
        assert acme.payment_days == 70
        p = s.get(TierProposal, 1)
        assert (p.status, p.decided_by_id, p.decided_at) == ("accepted", ids["bob"], NOW)
        entries = s.exec(select(AuditEntry).where(AuditEntry.account_id == acme.id)).all()
        assert {e.entity for e in entries} == {"account", "tier_proposal"}
        assert any("tier A → B (quarterly review 2026Q4, #1)" in e.summary for e in entries)
    assert [(r.key, m.title) for r, m in chat.notifier.sent] == [
        ("user:alice", "Your account Acme moved from tier A to B in the quarterly review "
                       "(accepted by Bob)"),
    ]  # fmt: skip
    assert chat.say("bob", "/review").sections[0].lines[0].startswith("#2 华夏重工")
    # /undo puts the account and the proposal back as they were
    assert chat.say("bob", "/undo").severity is Severity.success
    with unit_of_work(engine, write=False) as s:
        acme = s.get(Account, ids["acme"])
        assert (acme.tier, acme.satisfaction, acme.payment_record) == ("A", 9.0, None)
        assert s.get(TierProposal, 1).status == "pending"


def test_accept_all_in_chinese_clears_a_tier_set_by_hand(engine):
    ids = _review_book(engine)
    with unit_of_work(engine) as s:
        bob = s.get(User, ids["bob"])
        bob.language = "zh"
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    [(_r, message)] = chat.notifier.sent
    assert message.title == "2026 年第 4 季度 分级复核：2 项调整待决定"
    assert message.actions[0].command == "复核 全部接受"
    reply = chat.say("bob", "/复核 全部接受")
    assert reply.title == "已接受 2 项分级调整"
    assert reply.lines == [
        "#1 Acme 现为 B 重点 级（评分 68.5）",
        "#2 华夏重工 现为 C 维护 级（评分 30.0）",
    ]
    with unit_of_work(engine, write=False) as s:
        huaxia = s.get(Account, ids["huaxia"])
        assert (huaxia.tier_override, huaxia.effective_tier) == (None, "C")
    assert chat.say("bob", "/复核").title == "没有待你决定的分级调整。"


def test_a_rejected_change_is_not_proposed_again_that_quarter_but_is_the_next(engine):
    ids = _review_book(engine)
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    reply = chat.say("bob", "/review reject 1 2 renewal still under negotiation")
    assert reply.title == "Rejected 2 tier changes"
    assert "Note: renewal still under negotiation" in text(reply)
    assert reply.lines[0] == "#1 Acme stays tier A; not proposed again this quarter"
    run_tier_review(engine, chat.settings, chat.notifier, NOW + timedelta(days=7), on_demand=True)
    assert [p.status for p in _proposals(engine)] == ["rejected", "rejected"]
    with unit_of_work(engine, write=False) as s:
        assert s.get(Account, ids["acme"]).tier == "A"  # rejecting changes nothing
    next_quarter = datetime(2027, 1, 5, 10, 0, tzinfo=SHANGHAI)
    run_tier_review(engine, chat.settings, chat.notifier, next_quarter, on_demand=True)
    proposals = _proposals(engine)
    assert [(p.quarter, p.account_id, p.status) for p in proposals[2:]] == [
        ("2027Q1", ids["acme"], "pending"),
        ("2027Q1", ids["huaxia"], "pending"),
    ]


def test_a_new_quarter_expires_what_nobody_decided(engine):
    _review_book(engine)
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    run_tier_review(engine, chat.settings, chat.notifier, MONDAY_9, on_demand=True)
    assert [(p.quarter, p.status) for p in _proposals(engine)] == [
        ("2026Q4", "expired"), ("2026Q4", "expired"),
        ("2027Q1", "pending"), ("2027Q1", "pending"),
    ]  # fmt: skip
    reply = chat.say("bob", "/review accept 1")
    assert reply.severity is Severity.error and "#1 Acme was already expired" in text(reply)


def test_an_outdated_proposal_expires_instead_of_changing_anything(engine):
    ids = _review_book(engine)
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    chat.say("bob", "/tier Acme C because contract ends in March")
    reply = chat.say("bob", "/review accept 1")
    assert reply.severity is Severity.warning
    assert reply.lines == [
        "#1 Acme is outdated (now tier C; the review proposed A → B): nothing changed"
    ]
    with unit_of_work(engine, write=False) as s:
        assert s.get(Account, ids["acme"]).effective_tier == "C"
        assert s.get(TierProposal, 1).status == ProposalStatus.expired.value


@pytest.mark.parametrize(
    ("who", "line", "needle"),
    [
        ("alice", "/review", "Only admin, manager may use /review"),
        ("wang", "/复核 全部接受", "只有 admin, manager 可以使用 /review"),
        ("bob", "/review accept", "Which proposals?"),
        ("bob", "/review maybe 1", "is neither accept nor reject"),
        ("bob", "/review accept 99", "There is no tier proposal #99"),
        ("west", "/复核 接受 1", "#1 涉及的 Acme 不在你管理的团队中"),
        ("west", "/复核 同意", "哪些调整"),
    ],
)
def test_review_refusals(engine, who, line, needle):
    ids = _review_book(engine)
    with unit_of_work(engine) as s:
        west = s.get(Team, ids["west"])
        f.user(s, "west", team=west, role="manager", manages=(west,), language="zh")
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    reply = chat.say(who, line)
    assert reply.severity is Severity.error
    assert needle in text(reply)
    assert {p.status for p in _proposals(engine)} == {"pending"}


def test_a_manager_of_another_team_sees_none_of_these(engine):
    ids = _review_book(engine)
    with unit_of_work(engine) as s:
        west = s.get(Team, ids["west"])
        f.user(s, "west", team=west, role="manager", manages=(west,))
    chat = Chat(engine)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    assert chat.say("west", "/review").title == "No tier changes are waiting for you."
    assert chat.say("west", "/review accept all").title == "Accepted 0 tier changes"


def test_revenue_from_the_book_is_used_when_configured(engine, monkeypatch):
    ids = _review_book(engine)
    with unit_of_work(engine) as s:
        globex = s.get(Account, ids["globex"])
        carol = s.get(User, ids["carol"])
        f.deal(s, globex, "Big one", owner=carol, stage="won", amount="10000000",
               stage_changed_at=NOW - timedelta(days=30))  # fmt: skip
    chat = Chat(engine)
    # by default typed-in revenue stands: Globex's ¥10M win changes nothing
    draft = run_tier_review(engine, chat.settings, None, NOW, on_demand=True, dry_run=True)
    assert all("Globex" not in text(m.reply) for m in draft.messages)
    # the same book, with revenue read from the book ([health] review_factors in kam.toml)
    policy = HealthPolicy(review_factors=("annual_revenue",))
    monkeypatch.setattr("schedules.jobs.tier_review.policy_of", lambda _settings: policy)
    run_tier_review(engine, chat.settings, chat.notifier, NOW, on_demand=True)
    [globex_p] = [p for p in _proposals(engine) if p.account_id == ids["globex"]]
    assert globex_p.factors == {"annual_revenue": "10000000.00"}
    assert "annual revenue — → ¥10M (won or paid in the last 12 months)" in text(
        chat.notifier.sent[0][1]
    )
