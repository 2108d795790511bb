"""The benchmark's pieces on a tiny generated book, so ``python -m benchmarks.run`` keeps
working on both engines.  Shapes and correctness only: never a time."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from benchmarks import (
    Stats,
    account_bench,
    bench_settings,
    concurrency_bench,
    percentile,
    sample_accounts,
    startup_bench,
    visit_bench,
)
from benchmarks.book import generate_large
from benchmarks.run import SMOKE, BenchDatabase, Results, judge, table
from domain.models import Goal, Interaction

STATS_KEYS = {"n", "median_ms", "p95_ms", "max_ms"}


@pytest.fixture
def large(engine, database_url):
    settings = bench_settings(database_url)
    generate_large(engine, accounts=200, interactions=2_000, deals=400, settings=settings)
    return engine, settings


def _interactions(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(Interaction.id))).scalar_one()


def test_account_bench_answers_every_account_and_replays_its_sql(large):
    engine, settings = large
    result = account_bench.run(engine, settings, samples=20, warmup=2)

    assert result["errors"] == 0, result["first_error"]
    assert result["samples"] == 20
    assert result["goals_added"] == 40  # a revenue and an interactions goal each
    # the user, the name split and lookup, the facts, the goals' actuals
    assert 10 <= result["statements"] <= 25
    for key in ("e2e", "e2e_cpu", "floor"):
        assert set(result[key]) == STATS_KEYS and result[key]["n"] == 20
        assert 0 < result[key]["median_ms"] <= result[key]["p95_ms"] <= result[key]["max_ms"]
    assert result["ratio_median"] > 0 and result["ratio_p95"] > 0

    again = account_bench.run(engine, settings, samples=20, warmup=0)
    assert again["goals_added"] == 0  # the same accounts (same seed), goals already there
    with engine.connect() as conn:
        assert conn.execute(select(func.count(Goal.id))).scalar_one() == 40


def test_the_floor_replays_exactly_what_the_command_sent(large):
    engine, settings = large
    [account] = sample_accounts(engine, 1, seed=3)
    from handlers.commands import command_table
    from handlers.dispatcher import Dispatcher, Incoming

    dispatcher = Dispatcher(engine, settings, commands=command_table())
    log = account_bench.StatementLog(engine)
    try:
        statements = log.capture(
            lambda: dispatcher.handle(Incoming(f"/account {account.name}", actor=account.owner))
        )
    finally:
        log.close()
    assert any("FROM account" in s for s, _, _ in statements)
    assert account_bench.queries(statements) == sum(
        1 for s, _, _ in statements if s.lstrip().upper().startswith("SELECT")
    )
    assert account_bench.replay(engine, statements) > 0
    assert log.capture(lambda: None) == []  # the listener is gone: nothing recorded


def test_visit_bench_writes_one_interaction_per_command(large):
    engine, settings = large
    before = _interactions(engine)
    result = visit_bench.run(engine, settings, samples=16, warmup=2)

    assert result["errors"] == 0, result["first_error"]
    assert result["written"] == 16
    assert _interactions(engine) == before + 16 + 2  # the warm-up's two as well
    assert set(result["e2e"]) == STATS_KEYS and result["e2e"]["n"] == 16
    assert result["statements"] > 3


def test_every_visit_template_parses_and_links_in_both_languages(large):
    engine, settings = large
    from handlers.commands import command_table
    from handlers.dispatcher import Dispatcher, Incoming
    from handlers.replies import Severity

    accounts = sample_accounts(engine, len(visit_bench.MESSAGES), seed=5)
    contacts = visit_bench.first_contacts(engine, [a.account_id for a in accounts])
    dispatcher = Dispatcher(engine, settings, commands=command_table())
    for account, message in visit_bench.messages(accounts, contacts):
        reply = dispatcher.handle(Incoming(message, actor=account.owner))
        assert reply.severity is Severity.success, (message, reply.title, reply.lines)
        linked = {f.value for f in reply.fields}
        if "{contact}" in visit_bench.MESSAGES[accounts.index(account)]:
            assert any(contacts[account.account_id] in v for v in linked), (message, linked)


def test_concurrent_visits_all_commit_without_lock_errors(large):
    engine, settings = large
    result = concurrency_bench.run(engine, settings, threads=8, rounds=2)

    assert result["errors"] == 0, result["first_error"]
    assert (result["ok"], result["written"], result["locked"]) == (16, 16, 0)
    assert set(result["latency"]) == STATS_KEYS and result["latency"]["n"] == 16
    if engine.dialect.name == "sqlite":
        assert result["journal_mode"] == "wal" and result["busy_timeout_ms"] > 0


def test_kam_run_reaches_healthz(engine, database_url):
    result = startup_bench.start_to_ready(database_url, timeout=60)

    assert result["exit_code"] == 0  # SIGTERM is a clean stop
    assert 0 < result["ready_line_s"] <= result["healthz_s"]
    assert result["rss_at_ready_mb"] > 0


def test_cold_kam_say_is_timed_with_the_childs_cpu_and_memory(large, database_url):
    speaker, name = startup_bench.say_sample(database_url)
    result = startup_bench.cold_say(database_url, speaker, f"/account {name}", runs=1)

    assert result["errors"] == 0
    assert result["answer"].startswith(name)  # the account's screen, not an error
    assert result["cpu_s"]["median"] > 0 and result["wall_s"]["median"] > 0
    assert result["peak_rss_mb"] > 20  # a Python process with kam loaded, read from wait4


def test_slowest_imports_reads_python_importtime():
    report = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:      2000 |       2000 |     sqlalchemy.sql\n"
        "import time:      1000 |       3000 |   sqlalchemy\n"
        "import time:      5000 |       9000 | domain.models\n"
    )
    assert startup_bench.slowest_imports(report) == [("domain", 5.0), ("sqlalchemy", 3.0)]


def test_the_runner_table_has_a_row_per_figure(large, database_url):
    engine, settings = large
    results = Results(plan=SMOKE, database="db")
    results.phases["account"] = account_bench.run(engine, settings, samples=5, warmup=0)
    results.phases["visit"] = visit_bench.run(engine, settings, samples=5, warmup=0)
    judge(results)
    lines = table(results)

    assert lines[:2] == ["| db | result | target | |", "|---|---|---|---|"]
    assert any(line.startswith("| /account end to end") for line in lines)
    assert any(line.startswith("| /account ÷ floor") for line in lines)
    assert any(line.startswith("| /visit end to end") for line in lines)
    assert all(line.endswith("|  |") for line in lines[2:])  # smoke: nothing judged


def test_the_runner_only_drops_databases_named_for_it(tmp_path):
    with pytest.raises(SystemExit, match="kam_bench"):
        BenchDatabase("postgresql+psycopg://postgres@127.0.0.1:5432/test", workdir=tmp_path)
    with pytest.raises(SystemExit, match="file"):
        BenchDatabase("sqlite://", workdir=tmp_path)
    jobs = BenchDatabase("postgresql://postgres@127.0.0.1/kam_bench", workdir=tmp_path)
    assert jobs.sibling("_jobs").name == "kam_bench_jobs"
    existing = tmp_path / "book.db"
    existing.write_bytes(b"")
    with pytest.raises(SystemExit, match="--reuse"):
        BenchDatabase(f"sqlite:///{existing}", workdir=tmp_path).create()


def test_stats_are_nearest_rank():
    stats = Stats.of([i / 1000 for i in range(1, 101)])  # 1 … 100 ms
    assert (stats.n, stats.median_ms, stats.p95_ms, stats.max_ms) == (100, 50.0, 95.0, 100.0)
    assert percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        Stats.of([])


def test_name_lookups_are_indexed(engine):
    """The lower() indexes of migration 0003 serve the name split, and the user lookup
    (0008 made that one unique: ``uq_kam_user_handle_ci``)."""
    queries = {
        "ix_account_name_lower": "SELECT id FROM account WHERE lower(name) IN ('a', 'a b')",
        "ix_account_alias_alias_lower": "SELECT id FROM account_alias WHERE lower(alias) = 'a'",
        "uq_kam_user_handle_ci": "SELECT id FROM kam_user WHERE lower(handle) = 'alice'",
    }
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # tiny tables: plans may still scan
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for index, query in queries.items():
            plan = " ".join(str(row) for row in conn.execute(text(explain + query)))
            assert index in plan, plan


def test_a_generated_book_has_planner_statistics_on_postgresql(large):
    """Without ANALYZE after the bulk load PostgreSQL plans /account's queries as scans."""
    engine, _settings = large
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's statistics")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('account', 'interaction')"
            )
        ).all()
    assert dict(rows) == {"account": 200, "interaction": 2000}  # -1: never analyzed
