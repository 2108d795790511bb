"""How many statements ``/account`` and ``/visit`` send: few, and the same every time.

Counted with a ``before_cursor_execute`` listener, transaction control (BEGIN, COMMIT)
left out.  ``/account``'s health facts (``storage.health``) are counted apart and
subtracted: they have their own budget there.  The screens themselves are checked
against what they showed before the statements were merged (``test_cmd_account``,
``test_cmd_log``); here, that the goal lines agree with ``storage.goals.actuals``.
"""

from datetime import timedelta
from decimal import Decimal as D

from sqlalchemy import event

from bot.config import Settings
from domain.goals import period_bounds
from domain.models import Account, AccountAlias, AuditEntry, Goal, InteractionContact, User
from storage.goals import actuals
from storage.health import health_facts
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Chat, book

ACCOUNT_STATEMENTS = 9  # the asker, the account, six facts, the goals' actuals
HEALTH_STATEMENTS = 2  # one row of facts (and the RFM cut-points), one of money
VISIT_STATEMENTS = 9  # the author, the account, its contacts, three inserts, three audit entries


class Statements:
    """The statements ``engine`` sends while in the ``with`` block (no BEGIN/COMMIT)."""

    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self.seen

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def _busy_acme(engine):
    """Acme with all a card shows: interactions naming contacts, open and won deals (two
    currencies), tasks, two aliases, and a goal of every metric."""
    ids = book(engine)
    with unit_of_work(engine) as s:
        acme, alice = s.get(Account, ids["acme"]), s.get(User, ids["alice"])
        for days in (30, 20, 10, 5):
            i = f.interaction(s, acme, author=alice, at=NOW - timedelta(days=days), notes="QBR")
            s.add_all([InteractionContact(interaction_id=i.id, contact_id=ids["li_wei"])])
        f.deal(s, acme, "Renewal", owner=alice, stage="proposal")
        f.deal(s, acme, "Pilot", owner=alice, stage="won", amount="300000",
               stage_changed_at=NOW - timedelta(days=40))  # fmt: skip
        f.deal(s, acme, "Export", owner=alice, stage="won", amount="10000", currency="USD",
               stage_changed_at=NOW - timedelta(days=50))  # fmt: skip
        f.task(s, acme, "send deck", owner=alice, due_at=NOW + timedelta(days=2))
        s.add(AccountAlias(account_id=acme.id, alias="Acme Holdings"))
        for metric, target in (("won_revenue", "2000000"), ("won_deals", "4"),
                               ("interactions", "24"), ("new_contacts", "6")):  # fmt: skip
            f.goal(s, year=NOW.year, metric=metric, target=target, account=acme)
    return ids


def test_account_sends_few_statements_whatever_it_shows(engine):
    ids = _busy_acme(engine)
    chat = Chat(engine)
    with unit_of_work(engine, write=False) as s:
        chat.dispatcher.book_names.get(s)  # the name index, built, as in a server that ran a while
    chat.say("alice", "/account Acme")
    with Statements(engine) as seen:
        reply = chat.say("alice", "/account Acme")
    assert reply.title == "Acme (ACME Corp / Acme Holdings)"
    with unit_of_work(engine, write=False) as s:
        acme = s.get(Account, ids["acme"])
        with Statements(engine) as health:
            health_facts(s, acme, now=NOW, settings=chat.settings, tz=SHANGHAI)
    assert len(health) == HEALTH_STATEMENTS, "\n".join(health)
    assert len(seen) <= ACCOUNT_STATEMENTS + HEALTH_STATEMENTS, "\n".join(seen)


def test_a_cold_exact_name_reads_the_account_once(engine):
    """A process's first ``/account Acme`` (no name index built): the name is confirmed
    by reading the account, and the command takes that account — not looked up thrice."""
    _busy_acme(engine)
    chat = Chat(engine)
    assert chat.dispatcher.book_names.cold
    with Statements(engine) as seen:
        reply = chat.say("alice", "/account Acme")
    assert reply.title == "Acme (ACME Corp / Acme Holdings)"
    assert chat.dispatcher.book_names.cold  # the whole book was not read for it
    assert len(seen) <= ACCOUNT_STATEMENTS + HEALTH_STATEMENTS, "\n".join(seen)
    assert sum(" FROM account " in f" {s} " and "account_alias" not in s for s in seen) <= 1


def test_a_cold_alias_in_another_case_is_the_same_account(engine):
    _busy_acme(engine)
    chat = Chat(engine)
    with Statements(engine) as seen:
        reply = chat.say("alice", "/account acme holdings")
    assert reply.title == "Acme (ACME Corp / Acme Holdings)"
    assert chat.dispatcher.book_names.cold
    # exact name, exact alias, lower(name) and lower(alias) tried in turn: once
    assert len(seen) <= ACCOUNT_STATEMENTS + HEALTH_STATEMENTS + 3, "\n".join(seen)


def test_account_goal_lines_agree_with_the_goals_actuals(engine):
    ids = _busy_acme(engine)
    settings = Settings(fx_rates={"USD": D("7.2")})
    text = "\n".join(Chat(engine, settings=settings).say("alice", "/account Acme").plain_lines())
    start, end = period_bounds(NOW.year)
    with unit_of_work(engine, write=False) as s:
        goals = list(s.exec(Goal.__table__.select().where(Goal.account_id == ids["acme"])))
        goals = [s.get(Goal, g.id) for g in goals]
        got = actuals(s, goals, start=start, end=end, tz=SHANGHAI, fx_rates=settings.fx_rates)
    by_metric = {g.metric: got[g.id] for g in goals}
    assert by_metric == {
        "won_revenue": D("372000.00"),  # ¥300K + $10K at 7.2
        "won_deals": 2,
        "interactions": 4,
        "new_contacts": 2,  # Li Wei and Tom Brown, created with the book
    }
    assert "¥372K / ¥2M" in text
    assert "2 / 4" in text and "4 / 24" in text and "2 / 6" in text


def test_visit_sends_few_statements(engine):
    ids = book(engine)
    chat = Chat(engine)
    chat.say("alice", "/visit Acme yesterday met Tom Brown, intro")  # warm
    with Statements(engine) as seen:
        reply = chat.say(
            "alice",
            "/visit Acme yesterday met Li Wei, budget approved. next: send proposal by Friday",
        )
    assert reply.severity.value == "success", reply.plain_lines()
    assert "Li Wei" in "\n".join(reply.plain_lines())
    with unit_of_work(engine, write=False) as s:
        entries = s.exec(
            AuditEntry.__table__.select().where(AuditEntry.account_id == ids["acme"])
        ).all()
    assert sorted(e.entity for e in entries[-3:]) == ["interaction", "interaction_contact", "task"]
    # PostgreSQL also takes the account's row lock (``storage.locks``): one more
    expected = VISIT_STATEMENTS + (engine.dialect.name == "postgresql")
    assert len(seen) <= expected, "\n".join(seen)


def test_health_facts_merged_statements_agree_with_the_separate_reads(engine):
    """``health_facts`` reads complaints, CSAT, receivables and RFM in two statements:
    the same figures as ``account_receivables``, ``csat_summaries``,
    ``open_complaints_by_account`` and ``account_rfm`` read one by one — with open
    invoices, credits and won deals and payments in two currencies, cut-points stored."""
    from domain.models import Complaint, CsatScore, Invoice, Payment
    from storage.health import account_receivables, csat_summaries, open_complaints_by_account
    from storage.rfm import account_rfm, compute_cutpoints, store_cutpoints

    ids = _busy_acme(engine)
    settings = Settings(fx_rates={"USD": D("7.2")})
    today = NOW.astimezone(SHANGHAI).date()
    with unit_of_work(engine) as s:
        a, alice = ids["acme"], ids["alice"]
        s.add_all([
            Invoice(account_id=a, amount=D("1000"), paid_amount=D("250"), currency="CNY",
                    issued_on=today - timedelta(days=60), due_on=today - timedelta(days=30)),
            Invoice(account_id=a, amount=D("500"), currency="USD",
                    issued_on=today - timedelta(days=5), due_on=today + timedelta(days=25)),
            Invoice(account_id=a, amount=D("80"), paid_amount=D("80"), currency="CNY",
                    issued_on=today - timedelta(days=90), due_on=today - timedelta(days=60),
                    settled_on=today - timedelta(days=61)),
            Payment(account_id=a, amount=D("400"), unapplied=D("150"), currency="CNY",
                    received_on=today - timedelta(days=10)),
            Payment(account_id=a, amount=D("90"), unapplied=D("90"), currency="USD",
                    received_on=today - timedelta(days=400)),
            Payment(account_id=a, amount=D("70"), currency="CNY",
                    received_on=today + timedelta(days=3)),  # not yet: no RFM, no credit
            Complaint(account_id=a, text="late", opened_at=NOW - timedelta(days=9),
                      opened_by_id=alice),
            Complaint(account_id=a, text="older", opened_at=NOW - timedelta(days=20),
                      opened_by_id=alice, resolved_at=NOW - timedelta(days=2)),
            *(CsatScore(account_id=a, score=v, recorded_at=NOW - timedelta(days=d),
                        author_id=alice) for v, d in ((9, 40), (6, 3), (7, 100), (2, 500))),
        ])  # fmt: skip
    with unit_of_work(engine) as s:
        store_cutpoints(s, compute_cutpoints(s, now=NOW, settings=settings, tz=SHANGHAI))
    with unit_of_work(engine, write=False) as s:
        acme = s.get(Account, ids["acme"])
        got = health_facts(s, acme, now=NOW, settings=settings, tz=SHANGHAI)
        since = NOW - timedelta(days=365)
        assert got.csat == csat_summaries(s, since=since, where=acme.id)[acme.id]
        assert (got.csat.last, got.csat.previous, got.csat.count) == (6, 9, 3)
        n, oldest = open_complaints_by_account(s, where=acme.id)[acme.id]
        assert got.open_complaints == n == 1
        assert got.oldest_complaint_days == 9
        assert got.receivables == account_receivables(s, acme, today=today, settings=settings)
        assert got.rfm_of == account_rfm(s, acme, now=NOW, settings=settings, tz=SHANGHAI)
        assert got.rfm_of.state == "ranked" and got.rfm is not None
    assert oldest == NOW - timedelta(days=9)
