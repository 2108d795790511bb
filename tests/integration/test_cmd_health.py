"""/csat, /complaint, /invoice, /paid, /ltv and /kpi in both languages, the storage
behind them, and the schema they need."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import event, inspect
from sqlmodel import select

from bot.config import Settings
from domain.cadence import contact_status
from domain.health import HealthPolicy, HealthSignals, assess_health
from domain.models import (
    Account,
    AuditEntry,
    Complaint,
    CsatScore,
    Invoice,
    Payment,
    Team,
    User,
)
from domain.risks import AccountSnapshot, assess
from handlers.render.slack import render_blocks
from handlers.render.wecom import render_markdown
from handlers.replies import Severity
from handlers.views.health import health_lines
from schedules.jobs.rfm import run_rfm
from storage.engine import make_engine
from storage.health import health_facts, health_signals
from storage.migrate import alembic_config, current_revision, upgrade
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Chat, book

D = Decimal
TODAY = NOW.date()


def text(reply) -> str:
    return "\n".join(reply.plain_lines())


def local(y, m, d, h=10) -> datetime:
    return datetime(y, m, d, h, tzinfo=SHANGHAI)


def csat(s, account_id, score, at, author_id, comment=""):
    s.add(CsatScore(account_id=account_id, score=score, recorded_at=at, author_id=author_id,
                    comment=comment))  # fmt: skip
    s.flush()


def invoice(s, account_id, amount, due_on, *, currency="CNY", issued_on=None, paid="0",
            settled_on=None):  # fmt: skip
    i = Invoice(account_id=account_id, amount=D(amount), currency=currency, due_on=due_on,
                issued_on=issued_on or due_on - timedelta(days=30), paid_amount=D(paid),
                settled_on=settled_on)  # fmt: skip
    s.add(i)
    s.flush()
    return i


def count_statements(engine):
    seen = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, *args):
        seen.append(statement)

    return seen, lambda: event.remove(engine, "before_cursor_execute", _count)


# --- the schema ---------------------------------------------------------------------


NEW_TABLES = {"csat_score", "complaint", "invoice", "payment", "tier_review", "tier_proposal"}


def test_migration_0002_adds_the_tables_and_account_columns_and_goes_back(empty_database_url):
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0001")
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        upgrade(engine, "0002")
        assert current_revision(engine) == "0002"
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
        columns = {c["name"] for c in inspect(engine).get_columns("account")}
        assert {"credit_limit", "acquisition_cost", "expected_years"} <= columns
        uniques = inspect(engine).get_unique_constraints("tier_proposal")
        assert any(set(u["column_names"]) == {"account_id", "quarter"} for u in uniques)
        command.downgrade(alembic_config(engine), "0001")
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
        assert "credit_limit" not in {c["name"] for c in inspect(engine).get_columns("account")}
        upgrade(engine)  # and on to the head, through whatever came after
        assert set(inspect(engine).get_table_names()) >= NEW_TABLES
    finally:
        engine.dispose()


# --- /csat --------------------------------------------------------------------------


def test_csat_is_recorded_averaged_and_a_low_score_warns_the_owner_and_managers(engine):
    ids = book(engine)
    chat = Chat(engine)
    first = chat.say("carol", "/csat Acme 9 smooth rollout")  # a teammate records it
    assert first.severity is Severity.success
    assert first.title == "CSAT 9/10 recorded for Acme"
    assert "9 from 1 scores" in text(first)
    assert [r.key for r, _ in chat.notifier.sent] == ["user:alice"]  # the owner only
    chat.notifier.sent.clear()

    low = chat.say("alice", "/csat Acme 5/10, delays in the March batch")
    assert low.severity is Severity.warning
    assert "7 from 2 scores" in text(low)  # (9 + 5) / 2
    assert "Before: 9/10" in text(low)
    assert "CSAT 5/10 (a risk at 6 or less)" in text(low)
    # the owner recorded it, so only the owner's manager hears of the risk
    assert [r.key for r, _ in chat.notifier.sent] == ["user:bob"]
    told = chat.notifier.sent[0][1]
    assert told.title == "Alice Chen recorded CSAT 5/10 for Acme (before: 9)"
    with unit_of_work(engine, write=False) as s:
        scores = s.exec(select(CsatScore).order_by(CsatScore.id)).all()
        assert [(c.score, c.comment) for c in scores] == [
            (9, "smooth rollout"),
            (5, "delays in the March batch"),
        ]
        assert scores[1].author_id == ids["alice"] and scores[1].recorded_at == NOW
        entry = s.exec(select(AuditEntry).where(AuditEntry.entity == "csat_score")).all()
        assert len(entry) == 2 and entry[1].account_id == ids["acme"]


def test_a_drop_of_three_points_is_a_risk_even_above_six(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/csat Acme 10")
    reply = chat.say("alice", "/csat Acme 7")
    assert reply.severity is Severity.warning
    assert "CSAT fell from 10 to 7" in text(reply)
    calm = chat.say("alice", "/csat Acme 6 then 7")  # 7 → 6 is low, not a drop
    assert "a risk at 6 or less" in text(calm) and "fell" not in text(calm)


def test_csat_in_chinese_through_wecom(engine):
    book(engine)
    chat = Chat(engine)
    reply = chat.say("wanglei", "/满意度 华夏重工 8分交付很及时", platform="wecom")
    assert reply.title == "已记录 华夏重工 的满意度：8/10"
    assert "8（1 次评分）" in text(reply)
    assert (
        chat.say("wanglei", "满意度华夏重工 九 还不错", platform="wecom").severity
        is Severity.success
    )
    with unit_of_work(engine, write=False) as s:
        assert [c.comment for c in s.exec(select(CsatScore))] == ["交付很及时", "还不错"]
    history = chat.say("wanglei", "/满意度 华夏重工", platform="wecom")
    assert history.title == "满意度 · 华夏重工"
    assert "9/10 · 王磊 — 还不错" in text(history)
    markdown = "\n".join(render_markdown(history))
    assert "满意度 · 华夏重工" in markdown


def test_csat_history_and_team_averages(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        csat(s, ids["acme"], 9, NOW - timedelta(days=100), ids["alice"])
        csat(s, ids["acme"], 5, NOW - timedelta(days=10), ids["alice"], "slow support")
        csat(s, ids["globex"], 8, NOW - timedelta(days=5), ids["carol"])
        csat(s, ids["globex"], 3, NOW - timedelta(days=400), ids["carol"])  # out of the window
        csat(s, ids["initech"], 2, NOW - timedelta(days=5), ids["eve"])  # another team
    chat = Chat(engine)
    team = chat.say("bob", "/csat team East")
    # Acme (9 + 5) / 2 = 7, Globex 8 → the team 7.5; worst account first
    assert "Team average: 7.5 · mean of 2 accounts' averages" in text(team)
    assert team.sections[0].lines == (
        "Acme 7 (2 scores, latest 5, was 9)",
        "Globex 8 (1 scores, latest 8)",
    )
    mine = chat.say("alice", "/csat")  # the actor's own team
    assert "7.5" in text(mine) and "Initech" not in text(mine)
    history = chat.say("alice", "/csat Acme")
    assert history.severity is Severity.warning  # the latest score is 5
    assert history.sections[0].lines[0] == "2026-11-08 5/10 · Alice Chen — slow support"
    chinese = chat.say("wang", "/满意度 团队 East")
    assert chinese.severity is Severity.error and "华东" not in chinese.title  # not his team
    assert chat.say("wang", "/满意度 团队").title == "满意度 · 华东"


@pytest.mark.parametrize(
    ("who", "line", "needle"),
    [
        ("alice", "/csat Acme 11", "whole number from 0 to 10"),
        ("alice", "/csat Acme 8.5 nearly", "whole number from 0 to 10"),
        ("alice", "/csat Acme great", "whole number from 0 to 10"),
        ("alice", "/csat Acme -2", "whole number from 0 to 10"),
        ("wang", "/满意度 华夏重工 十一", "0 到 10 的整数"),
        ("wang", "/满意度 华夏重工 很好", "0 到 10 的整数"),
        ("alice", "/csat team Nowhere", "There is no team Nowhere"),
    ],
)
def test_csat_refuses_bad_input_and_changes_nothing(engine, who, line, needle):
    book(engine)
    reply = Chat(engine).say(who, line)
    assert reply.severity is Severity.error
    assert needle in text(reply)
    assert "Example:" in text(reply) or "示例" in text(reply)
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(CsatScore)).all() == []


def test_csat_for_someone_elses_account_is_refused(engine):
    book(engine)
    chat = Chat(engine)
    reply = chat.say("eve", "/csat Acme 3 terrible")
    assert reply.severity is Severity.error and "not your account" in text(reply)
    zh = chat.say("wang", "/满意度 Acme 3")
    assert zh.severity is Severity.error and "不是你或你团队的客户" in text(zh)
    assert chat.say("eve", "/csat Acme").title == "Not allowed"  # not even to read


def test_undo_takes_a_score_back(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/csat Acme 2 oops, wrong account")
    assert chat.say("alice", "/undo").severity is Severity.success
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(CsatScore)).all() == []


# --- /complaint ---------------------------------------------------------------------


def test_complaint_opened_listed_and_resolved(engine):
    ids = book(engine)
    chat = Chat(engine)
    opened = chat.say("carol", "/complaint Acme late delivery of the March batch")
    assert opened.title == "Complaint #1 opened for Acme"
    assert "Open longer than 14 days, it shows as a risk" in text(opened)
    assert opened.actions[0].command == "complaint resolve 1 "
    assert sorted(r.key for r, _ in chat.notifier.sent) == ["user:alice", "user:bob"]

    chat.now = NOW + timedelta(days=3)
    listed = chat.say("alice", "/complaint")
    assert listed.sections[0].lines == ("#1 Acme · 3d open · late delivery of the March batch",)
    assert chat.say("eve", "/complaint").lines == ["No open complaints."]  # not her team

    done = chat.say("alice", "/complaint resolve #1 replaced the batch, credited freight")
    assert done.title == "Complaint #1 at Acme resolved after 3 days"
    with unit_of_work(engine, write=False) as s:
        c = s.get(Complaint, 1)
        assert c.resolved_by_id == ids["alice"] and c.resolved_at == NOW + timedelta(days=3)
        assert c.resolution == "replaced the batch, credited freight"
    again = chat.say("alice", "/complaint resolve 1 twice")
    assert again.severity is Severity.error and "already resolved on 2026-11-21" in text(again)
    assert chat.say("alice", "/complaint Acme").lines == ["No open complaints."]


def test_complaint_in_chinese(engine):
    book(engine)
    chat = Chat(engine)
    opened = chat.say("wang", "/投诉 华夏重工 交货延迟两周")
    assert opened.title == "已登记 华夏重工 的投诉 #1"
    assert "超过 14 天未解决将列为风险" in text(opened)
    assert opened.actions[0].command == "投诉 解决 1 "
    listed = chat.say("wang", "投诉 华夏重工")
    assert listed.sections[0].lines == ("#1 华夏重工 · 已 0 天 · 交货延迟两周",)
    done = chat.say("wang", "/投诉 解决1 已补发并承担运费")
    assert done.title == "华夏重工 的投诉 #1 已解决，历时 0 天"
    assert "处理结果: 已补发并承担运费" in text(done)


@pytest.mark.parametrize(
    ("who", "line", "needle"),
    [
        ("alice", "/complaint resolve", "Which complaint?"),
        ("alice", "/complaint resolve 1", "Say how it was fixed"),
        ("alice", "/complaint resolve 99 fixed", "There is no complaint #99"),
        ("eve", "/complaint resolve 1 fixed it", "not your account"),
        ("eve", "/complaint Acme rude", "not your account"),
        ("wang", "/投诉 解决", "哪一条投诉"),
        ("wang", "/投诉 解决 1", "请写明处理结果"),
    ],
)
def test_complaint_refusals(engine, who, line, needle):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/complaint Acme late delivery")
    reply = chat.say(who, line)
    assert reply.severity is Severity.error
    assert needle in text(reply)
    with unit_of_work(engine, write=False) as s:
        assert [c.resolved_at for c in s.exec(select(Complaint))] == [None]


def test_an_old_open_complaint_is_a_risk_in_the_account_facts(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        for days in (20, 3):
            s.add(Complaint(account_id=ids["acme"], text="slow", opened_at=NOW - timedelta(days=days),
                            opened_by_id=ids["alice"]))  # fmt: skip
        s.add(Complaint(account_id=ids["acme"], text="old, fixed", opened_at=NOW - timedelta(days=90),
                        opened_by_id=ids["alice"], resolved_at=NOW - timedelta(days=80)))  # fmt: skip
    settings = Settings()
    with unit_of_work(engine, write=False) as s:
        acme = s.get(Account, ids["acme"])
        facts = health_facts(s, acme, now=NOW, settings=settings, tz=SHANGHAI)
    assert (facts.open_complaints, facts.oldest_complaint_days) == (2, 20)
    snapshot = AccountSnapshot(
        name="Acme",
        tier="A",
        status="active",
        contact=contact_status(NOW, "A", NOW, settings.cadence, SHANGHAI),
        contacts=2,
        has_decision_maker=True,
        oldest_complaint_days=facts.oldest_complaint_days,
    )
    risks = assess(snapshot, settings.risks, TODAY)
    assert [(r.code, r.params) for r in risks] == [("complaint_open", {"days": 20, "limit": 14})]


# --- /invoice and /paid ---------------------------------------------------------------


def test_invoice_with_a_due_date_default_terms_and_net_days(engine):
    ids = book(engine)
    chat = Chat(engine)
    first = chat.say("alice", "/invoice Acme 300k due 2026-12-31 Q4 licences")
    assert first.title == "Invoice #1 for Acme: ¥300K, due 2026-12-31"
    assert "Exposure: ¥300K (no credit limit)" in text(first)
    default = chat.say("alice", "/invoice Acme 1,200 for the workshop")
    assert default.title == "Invoice #2 for Acme: ¥1.2K, due 2026-12-18"
    assert "No due date given: 30 days from today." in text(default)
    net = chat.say("alice", "/receivable Acme USD 20k net 45")
    assert net.title == "Invoice #3 for Acme: $20K, due 2027-01-02"
    # no USD rate: exposure cannot be told
    assert "USD has no exchange rate" in text(net)
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(select(Invoice).order_by(Invoice.id)).all()
        assert [(i.amount, i.currency, i.due_on, i.note) for i in rows] == [
            (D("300000.00"), "CNY", date(2026, 12, 31), "Q4 licences"),
            (D("1200.00"), "CNY", date(2026, 12, 18), "for the workshop"),
            (D("20000.00"), "USD", date(2027, 1, 2), ""),
        ]
        assert all(i.issued_on == TODAY and i.created_by_id == ids["alice"] for i in rows)


def test_invoice_in_chinese_and_an_overdue_one_entered_late(engine):
    book(engine)
    chat = Chat(engine)
    reply = chat.say("wang", "/应收 华夏重工 30万 到期 2026-12-31 二期首付款")
    assert reply.title == "已登记 华夏重工 的应收 #1：30万，2026年12月31日 到期"
    late = chat.say("wang", "/应收 华夏重工 12万 到期 2026-10-31")
    assert "逾期: 12万 — 最久逾期 18 天" in text(late)
    with unit_of_work(engine, write=False) as s:
        i = s.get(Invoice, 2)
        assert (i.issued_on, i.note) == (date(2026, 10, 31), "")
        assert s.get(Invoice, 1).note == "二期首付款"


def test_credit_limit_is_set_by_managers_and_exceeding_it_warns(engine):
    ids = book(engine)
    chat = Chat(engine)
    chat.say("alice", "/invoice Acme 300k due 2026-12-31")
    refused = chat.say("alice", "/invoice Acme limit 400k")
    assert refused.severity is Severity.error and "Only managers and admins" in text(refused)
    limit = chat.say("bob", "/invoice Acme limit 400k")
    assert limit.title == "Credit limit of Acme set to ¥400K"
    assert "Exposure: ¥300K of ¥400K limit" in text(limit)
    chat.notifier.sent.clear()
    over = chat.say("alice", "/invoice Acme 200k due 2026-10-31")
    assert over.severity is Severity.warning
    assert "Open exposure ¥500K is above the credit limit ¥400K by ¥100K." in text(over)
    assert "Overdue: ¥200K — oldest 18 days past due" in text(over)
    assert sorted(r.key for r, _ in chat.notifier.sent) == ["user:bob"]  # alice is the actor
    zh = chat.say("bob", "/应收 华夏重工 额度 200万")
    assert zh.title == "Credit limit of 华夏重工 set to ¥2M"  # Chinese words, bob reads English
    cleared = chat.say("bob", "/invoice Acme limit none")
    assert cleared.title == "Credit limit of Acme removed" and "Was: ¥400K" in text(cleared)
    with unit_of_work(engine, write=False) as s:
        assert s.get(Account, ids["acme"]).credit_limit is None
        assert s.get(Account, ids["huaxia"]).credit_limit == D("2000000.00")
    assert chat.say("eve", "/invoice Acme limit 1m").severity is Severity.error


@pytest.mark.parametrize(
    ("who", "line", "needle"),
    [
        ("alice", "/invoice Acme due 2026-12-31", "How much?"),
        ("alice", "/invoice Acme -300k", "cannot be negative"),
        ("alice", "/invoice Acme 0 due 2026-12-31", "more than zero"),
        ("eve", "/invoice Acme 300k", "not your account"),
        ("bob", "/invoice Acme limit 2m extra words", "one amount"),
        ("bob", "/invoice Acme limit GBP 1m", "no rate for GBP"),
        ("wang", "/应收 华夏重工 到期 2026-12-31", "金额是多少"),
        ("wang", "/应收 Acme 30万", "不是你或你团队的客户"),
    ],
)
def test_invoice_refusals(engine, who, line, needle):
    book(engine)
    reply = Chat(engine).say(who, line)
    assert reply.severity is Severity.error
    assert needle in text(reply)
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Invoice)).all() == []


def test_payments_settle_the_earliest_invoices_and_keep_the_rest_as_credit(engine):
    ids = book(engine)
    chat = Chat(engine)
    chat.say("alice", "/invoice Acme 300k due 2026-12-31")
    chat.say("alice", "/invoice Acme 200k due 2026-10-31")
    chat.notifier.sent.clear()
    paid = chat.say("carol", "/paid Acme 250k")  # 21:00 on the 17th in New York
    assert paid.title == "Payment of ¥250K recorded for Acme"
    assert paid.sections[0].lines == (
        "#2: ¥200K — paid in full, 17 days late",
        "#1: ¥50K — ¥250K still open",
    )
    assert [r.key for r, _ in chat.notifier.sent] == ["user:alice"]
    more = chat.say("alice", "/paid Acme 300k #1 yesterday wire transfer")
    assert more.sections[0].lines == ("#1: ¥250K — paid in full",)
    assert "¥50K is more than the open invoices in CNY: kept as a credit" in text(more)
    # the credit pays the next invoice
    nxt = chat.say("alice", "/invoice Acme 80k due 2027-01-31")
    assert "¥50K of earlier payments applied to it." in text(nxt)
    with unit_of_work(engine, write=False) as s:
        invoices = s.exec(select(Invoice).order_by(Invoice.id)).all()
        assert [(i.paid_amount, i.settled_on) for i in invoices] == [
            (D("300000.00"), date(2026, 11, 17)),
            (D("200000.00"), date(2026, 11, 17)),
            (D("50000.00"), None),
        ]
        payments = s.exec(select(Payment).order_by(Payment.id)).all()
        assert [(p.amount, p.received_on, p.unapplied, p.note) for p in payments] == [
            (D("250000.00"), date(2026, 11, 17), D("0.00"), ""),
            (D("300000.00"), date(2026, 11, 17), D("0.00"), "wire transfer"),
        ]
        assert [p.invoice_id for p in payments] == [None, invoices[0].id]  # "#1" is kept
        assert s.get(Account, ids["acme"]).credit_limit is None
    view = chat.say("alice", "/invoice Acme")
    assert view.sections[0].lines == ("#3 ¥30K of ¥80K · due 2027-01-31",)
    # invoices due by now: only #2 (issued Oct 31, paid Nov 17) → 0 of 1 on time, 17 days
    assert "Paid on time (12 months): 0 of 1 invoices, 17 days to pay on average" in text(view)


def test_undo_of_a_payment_reopens_its_invoices(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/invoice Acme 100k due 2026-12-31")
    chat.say("alice", "/paid Acme 150k")
    assert chat.say("alice", "/undo").severity is Severity.success
    with unit_of_work(engine, write=False) as s:
        i = s.get(Invoice, 1)
        assert (i.paid_amount, i.settled_on) == (D("0.00"), None)
        assert s.exec(select(Payment)).all() == []


def test_paid_in_chinese(engine):
    book(engine)
    chat = Chat(engine)
    chat.say("wang", "/应收 华夏重工 30万 到期 2026-12-31")
    reply = chat.say("wang", "/回款 华夏重工 10万 昨天 银行转账")
    assert reply.title == "已登记 华夏重工 的回款 10万"
    assert "到账日期: 2026年11月17日" in text(reply)
    assert reply.sections[0].lines == ("#1：10万 — 尚欠 20万",)


@pytest.mark.parametrize(
    ("who", "line", "needle"),
    [
        ("alice", "/paid Acme", "How much?"),
        ("alice", "/paid Acme 100k tomorrow", "in the future"),
        ("alice", "/paid Acme 100k #99", "Acme has no open invoice #99"),
        ("alice", "/paid Acme USD 10k #1", "Invoice #1 is in CNY"),
        ("eve", "/paid Acme 100k", "not your account"),
        ("wang", "/回款 华夏重工 10万 明天", "还没到"),
    ],
)
def test_paid_refusals(engine, who, line, needle):
    book(engine)
    chat = Chat(engine)
    chat.say("alice", "/invoice Acme 300k due 2026-12-31")
    reply = chat.say(who, line)
    assert reply.severity is Severity.error
    assert needle in text(reply)
    with unit_of_work(engine, write=False) as s:
        assert s.exec(select(Payment)).all() == []


def test_exposure_in_another_currency_is_converted_by_the_configured_rate(engine):
    book(engine)
    chat = Chat(engine, settings=Settings(fx_rates={"USD": D("7.2")}))
    chat.say("bob", "/invoice Acme limit 100k")
    reply = chat.say("alice", "/invoice Acme USD 20k due 2026-12-31")
    assert "Exposure: ¥144K of ¥100K limit" in text(reply)  # 20k × 7.2
    assert reply.severity is Severity.warning


# --- /account and digest inputs -------------------------------------------------------


def _health_book(engine):
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme = s.get(Account, ids["acme"])
        alice = s.get(User, ids["alice"])
        acme.annual_revenue, acme.margin_pct = D(1_200_000), 30.0
        acme.acquisition_cost, acme.credit_limit = D(200_000), D(100_000)
        s.add(acme)
        csat(s, acme.id, 9, NOW - timedelta(days=60), alice.id)
        csat(s, acme.id, 5, NOW - timedelta(days=2), alice.id)
        invoice(s, acme.id, "150000", date(2026, 10, 1))  # 48 days overdue
        invoice(s, acme.id, "30000", date(2026, 12, 1), currency="USD")
        f.deal(s, acme, "Renewal", owner=alice, stage="won", amount="800000",
               stage_changed_at=NOW - timedelta(days=20))  # fmt: skip
        globex = s.get(Account, ids["globex"])
        f.deal(s, globex, "Pilot", owner=s.get(User, ids["carol"]), stage="won", amount="90000",
               stage_changed_at=NOW - timedelta(days=100))  # fmt: skip
    return ids


def test_health_facts_for_the_account_screen(engine):
    ids = _health_book(engine)
    settings = Settings(fx_rates={"USD": D(7)})
    with unit_of_work(engine, write=False) as s:
        unranked = health_facts(s, s.get(Account, ids["acme"]), now=NOW, settings=settings,
                                tz=SHANGHAI)  # fmt: skip
    assert unranked.rfm is None and unranked.rfm_of.state == "unranked"
    assert unranked.ltv.value == D("1600000.00")  # the rest of the screen is there
    assert health_lines(unranked, "en", "Acme")[2] == (
        "RFM not ranked yet: the nightly job ranks the book · last deal or payment 20 days"
        " ago · 1 in 12 months · ¥800K in 12 months"
    )
    run_rfm(engine, settings, None, NOW)
    with unit_of_work(engine, write=False) as s:
        acme = s.get(Account, ids["acme"])
        facts = health_facts(s, acme, now=NOW, settings=settings, tz=SHANGHAI)
    assert (facts.csat.average, facts.csat.last, facts.csat.previous) == (7.0, 5, 9)
    r = facts.receivables
    assert r.open == {"CNY": D(150_000), "USD": D(30_000)}
    assert r.overdue == {"CNY": D(150_000)} and r.oldest_overdue_days == 48
    assert r.exposure == D(360_000) and r.over_limit == D(260_000)  # 150k + 30k × 7
    # RFM over the four live accounts (two never bought): Acme won ¥800K 20 days ago,
    # Globex ¥90K 100 days ago. Recency: 3 accounts worse → 1 + ⌊5×3/4⌋ = 4; frequency
    # (1 deal, tied with Globex): 2 worse → 3; monetary: 3 worse → 4
    assert facts.rfm.code == "434"
    assert facts.ltv.value == D("1600000.00")  # 1.2m × 5 × 30% − 200k
    codes = [r.code for r in assess_health(facts.signals, HealthPolicy())]
    assert codes == ["credit_limit_exceeded", "csat_low", "receivables_overdue"]
    with unit_of_work(engine, write=False) as s:
        quick = health_facts(s, s.get(Account, ids["acme"]), now=NOW, settings=settings,
                             tz=SHANGHAI, with_rfm=False)  # fmt: skip
    assert quick.rfm is None and quick.ltv == facts.ltv  # the revenue is recorded
    assert health_lines(facts, "en", "Acme") == [
        "CSAT 7 (2 scores, 12 months) · latest 5, was 9",
        "Receivables: ¥150K + $30K open · ¥150K overdue · exposure ¥360K of ¥100K limit",
        "RFM 434 · last deal or payment 20 days ago · 1 in 12 months · ¥800K in 12 months",
        "Lifetime value ¥1.6M = ¥1.2M/yr × 5 yrs × 30% margin − ¥200K acquisition",
    ]


def test_health_signals_for_the_digest_are_set_based(engine):
    ids = _health_book(engine)
    settings = Settings()
    seen, stop = count_statements(engine)
    with unit_of_work(engine, write=False) as s:
        signals = health_signals(s, now=NOW, settings=settings, tz=SHANGHAI)
    stop()
    few = len(seen)
    assert set(signals) == {ids["acme"]}
    acme = signals[ids["acme"]]
    assert acme == HealthSignals(
        csat_last=5, csat_previous=9, open_complaints=0, oldest_complaint_days=None,
        overdue={"CNY": D(150_000)}, oldest_overdue_days=48, exposure=None,
        credit_limit=D(100_000), currency="CNY",
    )  # fmt: skip
    with unit_of_work(engine) as s:
        alice = s.get(User, ids["alice"])
        for n in range(30):
            a = f.account(s, f"Extra {n}", owner=alice)
            csat(s, a.id, 4, NOW - timedelta(days=1), alice.id)
            invoice(s, a.id, "1000", date(2026, 11, 1))
            s.add(Complaint(account_id=a.id, text="x", opened_at=NOW, opened_by_id=alice.id))
    seen.clear()
    seen, stop = count_statements(engine)
    with unit_of_work(engine, write=False) as s:
        many = health_signals(s, now=NOW, settings=settings, tz=SHANGHAI, team_ids=[ids["east"]])
    stop()
    assert len(many) == 31
    assert len(seen) == few  # thirty more accounts, not one more statement


# --- /ltv ---------------------------------------------------------------------------


def test_ltv_view_and_inputs(engine):
    ids = _health_book(engine)
    chat = Chat(engine)
    unranked = text(chat.say("alice", "/ltv Acme"))
    assert "RFM: not ranked yet: the nightly job ranks the book" in unranked
    assert "last deal or payment 20 days ago · 1 in 12 months · ¥800K in 12 months" in unranked
    run_rfm(engine, chat.settings, None, NOW)
    view = chat.say("alice", "/ltv Acme")
    assert "RFM: 434 — recency 4, frequency 3, monetary 4" in text(view)
    assert "Lifetime value: ¥1.6M = ¥1.2M/yr × 5 yrs × 30% margin − ¥200K acquisition" in text(view)
    updated = chat.say("alice", "/ltv Acme years 6 cost 300k")
    assert "¥1.86M = ¥1.2M/yr × 6 yrs" in text(updated)  # 1.2m × 6 × 30% − 300k
    zh = chat.say("wang", "/价值 华夏重工 年限 3")
    assert zh.title == "已更新 华夏重工 的价值参数"
    assert "需要年收入和毛利率" in text(zh)
    with unit_of_work(engine, write=False) as s:
        assert s.get(Account, ids["huaxia"]).expected_years == 3
    assert chat.say("eve", "/ltv Acme years 2").severity is Severity.error
    assert "years N and cost" in text(chat.say("alice", "/ltv Acme forever"))
    assert "0 to 100" in text(chat.say("alice", "/ltv Acme years 500"))


# --- /kpi ---------------------------------------------------------------------------


OLD = local(2025, 1, 1)
Q3 = (local(2026, 7, 1, 0), local(2026, 10, 1, 0))


def _status_change(s, account_id, at, before, after):
    s.add(AuditEntry(at=at, actor_id=None, request_id=f"r{account_id}{at:%j}", action="update",
                     entity="account", entity_id=account_id, account_id=account_id,
                     before={"status": before, "name": "x"},
                     after={"status": after, "name": "x"}))  # fmt: skip


def _kpi_book(engine):
    """Team East in 2026 Q3 (Jul 1 – Sep 30), worked out by hand in the tests below."""
    ids = book(engine)
    with unit_of_work(engine) as s:
        east = s.get(Team, ids["east"])
        alice, carol = s.get(User, ids["alice"]), s.get(User, ids["carol"])
        acme, globex = s.get(Account, ids["acme"]), s.get(Account, ids["globex"])
        for a in (acme, globex):
            a.created_at = OLD
        hooli = f.account(s, "Hooli", owner=alice, tier="B", created_at=local(2026, 8, 15))
        umbrella = f.account(s, "Umbrella", owner=carol, tier="C", status="churned",
                             created_at=OLD)  # fmt: skip
        stark = f.account(s, "Stark", owner=alice, tier="B", created_at=OLD)
        _status_change(s, umbrella.id, local(2026, 8, 1), "active", "churned")
        _status_change(s, stark.id, local(2026, 9, 10), "prospect", "active")
        _status_change(s, globex.id, local(2026, 8, 3), "active", "active")  # no change
        # deals: 3 won, 1 lost in Q3; one won in October; one in another team
        for acc, name, stage, amount, cur, when in (
            (acme, "A1", "won", "1000000", "CNY", local(2026, 7, 20)),
            (acme, "A2", "won", "100000", "USD", local(2026, 9, 1)),
            (globex, "G1", "lost", "50000", "CNY", local(2026, 8, 20)),
            (hooli, "H1", "won", "500000", "CNY", local(2026, 9, 20)),
            (acme, "A3", "won", "999999", "CNY", local(2026, 10, 2)),
        ):
            f.deal(s, acc, name, owner=s.get(User, acc.owner_id), stage=stage, amount=amount,
                   currency=cur, stage_changed_at=when)  # fmt: skip
        initech = s.get(Account, ids["initech"])
        f.deal(s, initech, "I1", owner=s.get(User, ids["eve"]), stage="won", amount="1",
               stage_changed_at=local(2026, 8, 1))  # fmt: skip
        # complaints
        for acc, opened, resolved in (
            (acme, local(2026, 7, 10), local(2026, 7, 20)),
            (globex, local(2026, 9, 20), None),
            (acme, local(2026, 6, 1), local(2026, 8, 1)),
            (hooli, local(2026, 10, 5), None),
            (globex, local(2026, 5, 1), local(2026, 6, 1)),
        ):
            s.add(Complaint(account_id=acc.id, text="c", opened_at=opened, opened_by_id=alice.id,
                            resolved_at=resolved))  # fmt: skip
        # CSAT: Acme 8, 6 → 7; Globex 9; Hooli 4; one in October
        for acc, value, when in (
            (acme, 8, local(2026, 7, 5)),
            (acme, 6, local(2026, 9, 5)),
            (globex, 9, local(2026, 8, 5)),
            (hooli, 4, local(2026, 9, 25)),
            (acme, 1, local(2026, 10, 3)),
        ):
            csat(s, acc.id, value, when, alice.id)
        # interactions: 5 + 1 + 2 + 1 in Q3, one in June
        for acc, n in ((acme, 5), (globex, 1), (hooli, 2), (stark, 1)):
            for i in range(n):
                f.interaction(s, acc, author=alice, at=local(2026, 9, 1 + i))
        f.interaction(s, acme, author=alice, at=local(2026, 6, 30))
        # money: collected in Q3 ¥300K and $10K; ¥200K overdue now
        s.add(Payment(account_id=acme.id, amount=D(300_000), received_on=date(2026, 8, 1)))
        s.add(Payment(account_id=hooli.id, amount=D(10_000), currency="USD",
                      received_on=date(2026, 9, 1)))  # fmt: skip
        invoice(s, acme.id, "200000", date(2026, 10, 31))
        # goals: won revenue 12m a year (Q3: 3m), won deals 8 a year (Q3: 3)
        f.goal(s, year=2026, metric="won_revenue", target="12000000", team=east)
        f.goal(s, year=2026, metric="won_deals", target="8", team=east)
        s.add_all([acme, globex])
    return ids


def _field(reply, label):
    return next(f.value for f in reply.fields if f.label == label)


def test_kpis_of_a_team_quarter_against_hand_computed_values(engine):
    _kpi_book(engine)
    chat = Chat(engine, settings=Settings(fx_rates={"USD": D(7)}))
    reply = chat.say("bob", "/kpi team East 2026Q3")
    assert reply.title == "KPIs · team East · 2026 Q3"
    # at start: Acme, Globex, Umbrella; at end: Acme, Globex, Hooli, Stark; new: Hooli, Stark
    assert _field(reply, "Retention") == "66.7% · (4 at end − 2 new) ÷ 3 at start"
    assert _field(reply, "Win rate") == "75% · 3 won ÷ 4 closed (¥2.2M won)"
    assert _field(reply, "Complaint rate") == ("40% · 2 accounts with complaints ÷ 5 served")
    assert _field(reply, "Resolution rate") == "66.7% · 2 resolved ÷ 3 open in the period"
    assert _field(reply, "Average CSAT") == (
        "6.7 · mean of 3 accounts' averages (4 scores)"
    )  # (7 + 9 + 4) / 3
    # expected: 92/14 (Acme A) + 92/60 (Globex C) + 47/30 (Hooli B, from Aug 15) + 92/30
    # (Stark B) = 12.738; 9 interactions ÷ 4 accounts = 2.25; 9 ÷ 12.738 = 70.7%
    assert _field(reply, "Interactions per account") == (
        "2.3 · 9 ÷ 4 accounts; the cadence expects 3.2 (70.7% of it)"
    )
    # revenue 2.2m of 3m = 73.3%, deals 3 of 3 = 100% → 86.7%
    assert _field(reply, "Goal attainment") == (
        "86.7% · mean of 2 goals: won revenue ¥2.2M/¥3M 73.3% · won deals 3/3 100%"
    )
    assert _field(reply, "Collected") == "¥370K"  # 300k + 10k × 7
    assert _field(reply, "Overdue now") == "¥200K"


def test_kpis_refuse_to_add_a_currency_without_a_rate(engine):
    _kpi_book(engine)
    reply = Chat(engine).say("bob", "/kpi team East 2026Q3")
    assert "USD has no exchange rate" in _field(reply, "Collected")
    assert "USD has no exchange rate" in _field(reply, "Win rate")
    # goal actuals leave the dollars out rather than count them at a made-up rate
    assert "won revenue ¥1.5M/¥3M 50%" in _field(reply, "Goal attainment")


def test_kpis_of_a_month_and_a_year_in_chinese(engine):
    ids = _kpi_book(engine)
    with unit_of_work(engine) as s:
        s.get(User, ids["bob"]).language = "zh"
    chat = Chat(engine, settings=Settings(fx_rates={"USD": D(7)}))
    reply = chat.say("bob", "/指标 团队 East 2026年9月")
    assert reply.title == "指标 · 团队 East · 2026 年 9 月"
    # September: won A2 ($100k) and H1; nothing lost
    assert _field(reply, "赢单率") == "100% · 赢单 2 ÷ 关闭 2（赢单金额 120万）"
    year = chat.say("bob", "/指标 团队 East 今年")
    assert year.title == "指标 · 团队 East · 2026 年（截至 11月18日）"


def test_an_empty_scope_shows_dashes_not_zeros(engine):
    _kpi_book(engine)
    reply = Chat(engine).say("bob", "/kpi @bob 2026Q3")  # bob owns no accounts
    assert reply.title == "KPIs · Bob · 2026 Q3"
    assert _field(reply, "Retention") == "— · (0 at end − 0 new) ÷ 0 at start"
    assert _field(reply, "Win rate") == "— · 0 won ÷ 0 closed"
    assert _field(reply, "Average CSAT") == "— · mean of 0 accounts' averages (0 scores)"
    assert _field(reply, "Goal attainment") == "—"
    assert "division by zero" in reply.footer


def test_kpi_default_scopes(engine):
    _kpi_book(engine)
    chat = Chat(engine)
    assert chat.say("alice", "/kpi").title == "KPIs · my accounts · 2026 Q4 to Nov 18"
    assert chat.say("bob", "/kpi 2026Q3").title == "KPIs · team East, 华东 · 2026 Q3"
    assert chat.say("admin", "/kpi last quarter").title == "KPIs · all accounts · 2026 Q3"
    assert chat.say("carol", "/kpi @carol Q3").title == "KPIs · Carol · 2026 Q3"
    assert (
        chat.say_slack_markup("bob", "/kpi <@U0ALICE|alice> 2026-09").title
        == "KPIs · Alice Chen · 2026-09"
    )


@pytest.mark.parametrize(
    ("who", "line", "needle"),
    [
        ("alice", "/kpi @carol", "Only Carol, their manager and admins"),
        ("eve", "/kpi team East", "Only members and managers of East"),
        ("alice", "/kpi all", "Only admins"),
        ("alice", "/kpi 2027", "2027 has not started yet"),
        ("alice", "/kpi 2026Q5", "not a period I know"),
        ("alice", "/kpi @nobody", "There is no kam user @nobody"),
        ("wang", "/指标 2027年1月", "还没有开始"),
        ("wang", "/指标 团队 East", "只有 East 的成员和经理"),
    ],
)
def test_kpi_refusals(engine, who, line, needle):
    _kpi_book(engine)
    reply = Chat(engine).say(who, line)
    assert reply.severity is Severity.error
    assert needle in text(reply)


def test_kpi_help_gives_every_formula(engine):
    book(engine)
    chat = Chat(engine)
    lines = chat.say("alice", "/kpi help").lines
    for start in ("Retention =", "Win rate =", "Complaint rate =", "Resolution rate =",
                  "Average CSAT =", "Interactions per account =", "Goal attainment ="):  # fmt: skip
        assert any(line.startswith(start) for line in lines), start
    zh = chat.say("wang", "/指标 帮助").lines
    assert zh[0] == "客户留存率 =（期末客户数 − 新增客户数）÷ 期初客户数"


# --- Slack ----------------------------------------------------------------------------


def test_the_commands_work_from_slack_and_render_as_blocks(engine):
    book(engine)
    chat = Chat(engine)
    reply = chat.say("U0ALICE", "/csat Acme 4 <!channel> *not happy*", platform="slack")
    assert reply.title == "CSAT 4/10 recorded for Acme"
    blocks = str(render_blocks(reply))
    assert "<!channel>" not in blocks  # user text cannot ping a channel
    listed = chat.say("U0BOB", "/complaint", platform="slack")
    assert listed.lines == ["No open complaints."]


def test_zoneinfo_is_the_users(engine):
    """Carol works from New York: her 'yesterday' is her own."""
    book(engine)
    chat = Chat(engine)
    chat.now = datetime(2026, 11, 18, 1, 0, tzinfo=ZoneInfo("UTC"))  # 20:00 on the 17th in NY
    chat.say("alice", "/invoice Globex 10k due 2026-12-31")
    reply = chat.say("carol", "/paid Globex 10k yesterday")
    assert "Received: 2026-11-16" in text(reply)
