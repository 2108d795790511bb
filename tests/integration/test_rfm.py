"""RFM without whole-book work on the request path: the ``rfm`` job ranks the book and
stores the quintile cut-points (``rfm_cutpoints``); ``/account`` and ``/ltv`` score one
account against them.  SQLite and PostgreSQL (``KAM_TEST_DATABASE_URL``)."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import event
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from domain.health import RfmInput, rfm_cutpoints
from domain.models import Account, Payment, RfmCutpoints
from schedules.jobs import job_table
from schedules.jobs.rfm import refresh, run_rfm
from schedules.registry import run
from storage.rfm import compute_cutpoints, store_cutpoints, stored_cutpoints
from storage.session import unit_of_work
from tests import factories as f
from tests.harness import NOW, SHANGHAI, Chat

D = Decimal
TODAY = NOW.astimezone(SHANGHAI).date()
runner = CliRunner()


def small_book(engine) -> dict[str, int]:
    """Five live accounts and a churned one, worked out by hand below.

    Apex   won ¥500K 10 days ago, paid ¥100K 5 days ago   → 5 days, 2, ¥500K
    Bolt   won ¥200K 40 days ago                           → 40 days, 1, ¥200K
    Crane  paid ¥50K 100 days ago                          → 100 days, 1, ¥50K
    Delta, Echo  nothing                                   → never, 0, ¥0
    Fable  churned (won ¥1M yesterday): not ranked
    """
    with unit_of_work(engine) as s:
        east = f.team(s, "East")
        alice = f.user(s, "alice", team=east)
        f.user(s, "wang", team=east, language="zh")
        f.user(s, "admin", role="admin")
        ids = {}
        for name in ("Apex", "Bolt", "Crane", "Delta", "Echo"):
            ids[name] = f.account(s, name, owner=alice).id
        fable = f.account(s, "Fable", owner=alice, status="churned")
        ids["Fable"] = fable.id
        won = ((ids["Apex"], "500000", 10), (ids["Bolt"], "200000", 40), (fable.id, "1000000", 1))
        for account_id, amount, days in won:
            f.deal(s, s.get(Account, account_id), f"Deal {account_id}", owner=alice,
                   stage="won", amount=amount, stage_changed_at=NOW - timedelta(days=days))  # fmt: skip
        s.add(Payment(account_id=ids["Apex"], amount=D(100_000), received_on=TODAY - timedelta(5)))
        s.add(
            Payment(account_id=ids["Crane"], amount=D(50_000), received_on=TODAY - timedelta(100))
        )
    return ids


# n = 5: the cut-points are the 1st..4th smallest values (⌈k·5/5⌉-th, k = 1..4).
# recency  never, never, 100, 40, 5   → never, never, 100, 40
# frequency 0, 0, 1, 1, 2             → 0, 0, 1, 1
# monetary 0, 0, 50K, 200K, 500K      → 0, 0, 50K, 200K
CUTS = {
    "population": 5,
    "recency": [None, None, 100, 40],
    "frequency": [0, 0, 1, 1],
    "monetary": [D(0), D(0), D(50_000), D(200_000)],
}
# Apex 555 (above all four each); Bolt: 40 days is above never, never, 100 → R 4,
# 1 is above 0, 0 → F 3, ¥200K above 0, 0, 50K → M 4; Crane 333; Delta 111.
CODES = {"Apex": "555", "Bolt": "434", "Crane": "333", "Delta": "111", "Echo": "111"}


def stored(engine) -> RfmCutpoints | None:
    with unit_of_work(engine, write=False) as s:
        return stored_cutpoints(s)


def as_cuts(row: RfmCutpoints) -> dict:
    return {
        "population": row.population,
        "recency": list(row.recency),
        "frequency": list(row.frequency),
        "monetary": [D(m) for m in row.monetary],
    }


def text(reply) -> str:
    return "\n".join(reply.plain_lines())


def rfm_line(reply) -> str:
    return next(line for line in reply.plain_lines() if line.startswith("RFM"))


class Statements:
    """Every statement the engine runs while it is open (all threads)."""

    def __init__(self, engine) -> None:
        self.engine, self.seen = engine, []
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, *_args) -> None:
        with self._lock:
            self.seen.append(" ".join(statement.split()))

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def whole_book(self) -> list[str]:
        """Statements that read every account's deals or payments, or the population."""
        out = []
        for st in self.seen:
            reads = re.search(r"\bFROM (deal|payment)\b", st)
            if reads and f"{reads[1]}.account_id = " not in st:
                out.append(st)
            if "FROM account WHERE account.status !=" in st:
                out.append(st)
        return out

    def writes_cutpoints(self) -> list[str]:
        return [st for st in self.seen if st.startswith("INSERT INTO rfm_cutpoints")]

    def reads_cutpoints(self) -> int:
        """Statements that read the stored cut-points (``/account`` joins them to its
        one-row facts)."""
        return sum(1 for st in self.seen if re.search(r"\b(FROM|JOIN) rfm_cutpoints\b", st))


# --- the job ------------------------------------------------------------------------------


def test_the_job_ranks_the_book_and_stores_the_cut_points_with_what_they_were_made_with(engine):
    small_book(engine)
    assert stored(engine) is None
    settings = Settings(fx_rates={"USD": D("7.1")})
    report = run(job_table()["rfm"], engine, settings, None, NOW)
    assert "stored the RFM cut-points of 5 account(s)" in report.summary()
    row = stored(engine)
    assert as_cuts(row) == CUTS
    assert (row.day, row.window_days, row.currency) == (TODAY, 365, "CNY")
    assert row.fx_rates == {"USD": "7.1"}
    # a tick on the same day with the same settings reads one row and ranks nothing
    seen = Statements(engine)
    again = run_rfm(engine, settings, None, NOW + timedelta(hours=3))
    seen.close()
    assert "stored already" in again.note and not seen.writes_cutpoints()
    assert not seen.whole_book() and seen.reads_cutpoints() == 1
    # the next day, or other rates, rank again
    run_rfm(engine, Settings(fx_rates={"USD": D("7.2")}), None, NOW + timedelta(hours=3))
    assert stored(engine).fx_rates == {"USD": "7.2"}
    run_rfm(engine, Settings(fx_rates={"USD": D("7.2")}), None, NOW + timedelta(days=1))
    assert stored(engine).day == TODAY + timedelta(days=1)


def test_a_dry_run_ranks_and_stores_nothing(engine):
    small_book(engine)
    report = run_rfm(engine, Settings(), None, NOW, dry_run=True, on_demand=True)
    assert "would store the RFM cut-points of 5 account(s)" in report.note
    assert stored(engine) is None


def test_two_runs_at_once_leave_one_whole_row(engine):
    small_book(engine)
    settings = Settings()
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def go() -> None:
        try:
            start.wait()
            refresh(engine, settings, NOW)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with unit_of_work(engine, write=False) as s:
        rows = s.exec(select(RfmCutpoints)).all()
    assert len(rows) == 1 and as_cuts(rows[0]) == CUTS


def test_a_run_that_read_an_older_book_never_overwrites_a_newer_one(engine):
    ids = small_book(engine)
    settings = Settings()
    with unit_of_work(engine, write=False) as s:
        old = compute_cutpoints(s, now=NOW, settings=settings, tz=SHANGHAI)
    with unit_of_work(engine) as s:  # Delta pays; a later run sees it
        s.add(Payment(account_id=ids["Delta"], amount=D(10), received_on=TODAY))
    with unit_of_work(engine, write=False) as s:
        new = compute_cutpoints(s, now=NOW, settings=settings, tz=SHANGHAI)
    assert new.computed_at > old.computed_at and new.frequency != old.frequency
    with unit_of_work(engine) as s:
        assert store_cutpoints(s, new) is True
    with unit_of_work(engine) as s:
        assert store_cutpoints(s, old) is False  # the slower run keeps its hands off
    assert stored(engine).frequency == new.frequency


def test_the_stored_cut_points_score_every_account_as_ranking_the_whole_book_does(engine):
    small_book(engine)
    chat = Chat(engine)
    run_rfm(engine, chat.settings, None, NOW)
    for name, code in CODES.items():
        assert rfm_line(chat.say("alice", f"/account {name}")).startswith(f"RFM {code} · ")
    assert not [
        line for line in chat.say("alice", "/account Fable").plain_lines() if "RFM" in line
    ]  # churned: not ranked, as before


# --- /account and /ltv ----------------------------------------------------------------------


def test_account_right_after_paid_shows_the_new_score_without_ranking_the_book(engine):
    ids = small_book(engine)
    chat = Chat(engine)
    run_rfm(engine, chat.settings, None, NOW)
    assert rfm_line(chat.say("alice", "/account Delta")).startswith("RFM 111 · ")
    assert "recorded" in chat.say("alice", "/paid Delta 300k").title
    seen = Statements(engine)
    reply = chat.say("alice", "/account Delta")
    first = list(seen.seen)
    # Delta now: paid today (0 days: above every cut-point → R 5), once (above 0, 0 →
    # F 3), ¥300K (above all four → M 5), against the book as the job ranked it
    assert rfm_line(reply) == (
        "RFM 535 · last deal or payment 0 days ago · 1 in 12 months · ¥300K in 12 months"
    )
    assert seen.reads_cutpoints() == 1  # it was scored …
    assert seen.whole_book() == [] and seen.writes_cutpoints() == []  # … not ranked
    # thirty more accounts with money: not one more statement
    with unit_of_work(engine) as s:
        alice = s.get(Account, ids["Apex"]).owner_id
        for n in range(30):
            a = Account(name=f"Extra {n}", owner_id=alice, tier="C")
            s.add(a)
            s.flush()
            s.add(Payment(account_id=a.id, amount=D(n + 1), received_on=TODAY))
    seen.seen.clear()
    chat.say("alice", "/account Delta")
    assert len(rfm_part(seen.seen)) == len(rfm_part(first)) and seen.whole_book() == []
    seen.close()


def rfm_part(statements: list[str]) -> list[str]:
    return [st for st in statements if re.search(r"\bFROM (deal|payment|rfm_cutpoints)\b", st)]


def test_with_no_cut_points_the_account_says_so_and_shows_the_rest(engine):
    small_book(engine)
    chat = Chat(engine)
    seen = Statements(engine)
    en = chat.say("alice", "/account Apex")
    zh = chat.say("wang", "/客户 Apex")
    seen.close()
    assert rfm_line(en) == (
        "RFM not ranked yet: the nightly job ranks the book · last deal or payment 5 days ago"
        " · 2 in 12 months · ¥500K in 12 months"
    )
    assert "RFM 尚未排名：由每晚的定时任务为全部客户排名 · " in text(zh)
    assert "CSAT" in text(en) and "Lifetime value" in text(en)  # the rest is there
    assert seen.reads_cutpoints() == 2 and seen.whole_book() == []
    assert seen.writes_cutpoints() == [] and stored(engine) is None
    ltv = chat.say("alice", "/ltv Apex")
    assert "RFM: not ranked yet: the nightly job ranks the book" in text(ltv)


def test_cut_points_made_with_other_settings_are_not_used(engine):
    small_book(engine)
    run_rfm(engine, Settings(currency="USD"), None, NOW)
    chat = Chat(engine)
    line = rfm_line(chat.say("alice", "/account Apex"))
    assert line.startswith("RFM not ranked yet with the current currency, rates or window")
    assert "RFM 尚未按当前币种、汇率或统计窗口排名" in text(chat.say("wang", "/客户 Apex"))


def test_old_cut_points_are_used_and_dated(engine):
    small_book(engine)
    chat = Chat(engine)
    run_rfm(engine, chat.settings, None, NOW - timedelta(days=3))
    line = rfm_line(chat.say("alice", "/account Bolt"))
    # ranked three days ago (Bolt then at 37 days), scored today at 40 days: as ranking
    # today would, since the book's days have grown by three as well
    assert line.startswith("RFM 434 (book ranked 2026-11-15) · last deal or payment 40 days")
    ltv = text(chat.say("alice", "/ltv Bolt"))
    assert "quintiles of the book as of " in ltv


def test_concurrent_requests_never_rank_the_book(engine):
    small_book(engine)
    chat = Chat(engine)
    start = threading.Barrier(8)
    replies: list = []
    seen = Statements(engine)

    def ask() -> None:
        start.wait()
        replies.append(chat.say("alice", "/account Bolt"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seen.close()
    assert len(replies) == 8
    assert all(rfm_line(r).startswith("RFM not ranked yet") for r in replies)
    assert seen.reads_cutpoints() == 8
    assert seen.whole_book() == [] and seen.writes_cutpoints() == []


# --- imports and the demo -------------------------------------------------------------------


def test_a_csv_import_of_payments_ranks_the_book_again(engine, database_url, tmp_path, monkeypatch):
    small_book(engine)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    run_rfm(engine, Settings(), None, NOW)
    before = stored(engine)
    assert before.frequency == [0, 0, 1, 1]
    csv = tmp_path / "payments.csv"
    csv.write_text(
        "number,account,amount,currency,received_on\n"
        f"R-1,Delta,1000,CNY,{TODAY - timedelta(days=1)}\n"
        f"R-2,Echo,2000,CNY,{TODAY - timedelta(days=2)}\n",
        encoding="utf-8",
    )
    done = runner.invoke(app, ["import", "payments", "payments.csv", "--as", "admin"])
    assert done.exit_code == 0, done.output
    after = stored(engine)
    # every live account now has a transaction: frequency 1, 1, 1, 1, 2
    assert after.frequency == [1, 1, 1, 1] and after.computed_at > before.computed_at


def test_the_demo_book_is_ranked(engine):
    from storage.demo import seed_demo

    with unit_of_work(engine) as s:
        seed_demo(s, settings=Settings(), today=date(2026, 11, 18))
    row = stored(engine)
    assert row is not None and row.population > 0 and row.day == date(2026, 11, 18)


def test_the_cut_points_are_the_domain_cut_points_of_the_stored_inputs():
    # a sanity check of the fixture's hand-worked numbers against the pure function
    inputs = [
        RfmInput(5, 2, D(500_000)),
        RfmInput(40, 1, D(200_000)),
        RfmInput(100, 1, D(50_000)),
        RfmInput(None, 0, D(0)),
        RfmInput(None, 0, D(0)),
    ]
    cuts = rfm_cutpoints(inputs)
    assert (cuts.population, list(cuts.recency), list(cuts.frequency), list(cuts.monetary)) == (
        CUTS["population"],
        CUTS["recency"],
        CUTS["frequency"],
        CUTS["monetary"],
    )


# --- the benchmark's shape ------------------------------------------------------------------


def test_the_rfm_bench_runs_on_a_small_generated_book(engine, database_url):
    from benchmarks import bench_settings, rfm_bench
    from benchmarks.book import generate_large

    settings = bench_settings(database_url)
    generate_large(engine, accounts=200, interactions=1_000, deals=400, settings=settings)
    result = rfm_bench.run(database_url, accounts=10, warmup=1)
    assert result["payments_added"] > 0 and result["job"]["note"].startswith("stored")
    assert result["failed"] == 0
    assert result["rfm_scored"] == 10  # every /account after its /paid showed a score
    assert result["account_after_paid"]["n"] == 10
    again = rfm_bench.run(database_url, accounts=10, warmup=1)
    assert again["payments_added"] == 0  # paid accounts keep their payments


def test_kam_jobs_run_rfm_ranks_the_book_by_hand(engine, database_url, tmp_path, monkeypatch):
    small_book(engine)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAM_DATABASE_URL", database_url)
    done = runner.invoke(app, ["jobs", "run", "rfm", "--now", NOW.isoformat()])
    assert done.exit_code == 0, done.output
    assert "rfm: stored the RFM cut-points of 5 account(s)" in done.output
    assert as_cuts(stored(engine)) == CUTS
    listed = runner.invoke(app, ["jobs", "list"])
    assert "rfm" in listed.output and "the first tick after 00:00" in listed.output
