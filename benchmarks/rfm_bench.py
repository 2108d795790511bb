"""``/account`` right after a ``/paid`` on the same account, and the ``rfm`` job.

Until issue 16 every ``/paid`` (or won deal, new account, new hour) made the next
``/account`` rank the whole book's RFM on the request path.  Now the ``rfm`` job ranks
it and stores the cut-points, and ``/account`` scores one account against them.

1. setup (untimed): the generated book has no payments, so each account without one
   gets zero to three in the last year (reproducibly, by ``--seed``; bulk inserts);
2. the job (when this checkout has it): ``kam jobs run rfm`` in-process — wall time,
   CPU time, and the process's peak RSS after it (``ru_maxrss``: the interpreter and
   imports included; ``rss_before_job_mb`` is the same figure before the job);
3. for each of ``--accounts`` sampled accounts, asked by its owner: ``/paid NAME 1k``
   (untimed), then ``/account NAME`` (timed: wall and CPU) — the worst case of the
   old cache, which the payment had just invalidated; and (``rfm_part``) the RFM part
   alone, ``storage.rfm.account_rfm``, in a transaction of its own.

    .venv/bin/python -m benchmarks.rfm_bench --database-url sqlite:////tmp/bench.db

The same module runs against an older checkout (no ``rfm`` job: step 2 is skipped),
which is how the before figures were taken.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, insert, select

from benchmarks import Stats, bench_settings, cli, peak_rss_mb, sample_accounts
from bot.bootstrap import build_commands
from bot.config import Settings
from domain.models import Account, AccountStatus, Payment
from handlers.dispatcher import Dispatcher, Incoming
from handlers.notify import RecordingNotifier
from handlers.replies import Severity
from storage.engine import make_engine
from storage.migrate import ensure_schema
from storage.session import unit_of_work

BATCH = 10_000
NOTE = "rfm bench"
SCORED = re.compile(r"RFM \d{3}\b")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def ensure_payments(engine: Engine, settings: Settings, seed: int) -> int:
    """Zero to three payments in the last year for every live account without one
    (once: a book that has the bench's payments is left as it is)."""
    today = datetime.now(settings.tz).date()
    rng = random.Random(seed)
    with engine.connect() as conn:
        done = conn.execute(select(Payment.id).where(Payment.note == NOTE).limit(1)).first()
        if done is not None:
            return 0
        paid = set(conn.execute(select(Payment.account_id).distinct()).scalars())
        ids = [
            i
            for i in conn.execute(
                select(Account.id)
                .where(Account.status != AccountStatus.churned.value)
                .order_by(Account.id)
            ).scalars()
            if i not in paid
        ]
    rows: list[dict[str, Any]] = []
    for account_id in ids:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            amount = Decimal(rng.randrange(1_000, 2_000_000)).quantize(Decimal("0.01"))
            rows.append(
                {
                    "account_id": account_id,
                    "amount": amount,
                    "currency": settings.currency,
                    "received_on": today - timedelta(days=rng.randrange(0, 365)),
                    "unapplied": amount,
                    "note": NOTE,
                    "created_at": datetime.now(settings.tz),
                }
            )
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(Payment), rows[start : start + BATCH])
    return len(rows)


def run_job(engine: Engine, settings: Settings) -> dict[str, Any] | None:
    try:
        from schedules.jobs.rfm import run_rfm
    except ImportError:  # a checkout from before the job
        return None
    rss_before = peak_rss_mb()
    wall, cpu = time.perf_counter(), _cpu()
    report = run_rfm(engine, settings, None, datetime.now(settings.tz), on_demand=True)
    return {
        "wall_ms": round((time.perf_counter() - wall) * 1000, 1),
        "cpu_ms": round((_cpu() - cpu) * 1000, 1),
        "rss_before_job_mb": rss_before,
        "peak_rss_after_job_mb": peak_rss_mb(),
        "note": report.note,
    }


def run(
    database_url: str, *, accounts: int = 100, seed: int = 16, warmup: int = 3
) -> dict[str, Any]:
    settings = bench_settings(database_url)
    engine = make_engine(database_url)
    ensure_schema(engine)
    try:
        added = ensure_payments(engine, settings, seed)
        with engine.connect() as conn:
            n_accounts = conn.execute(select(func.count(Account.id))).scalar_one()
            n_payments = conn.execute(select(func.count(Payment.id))).scalar_one()
        job = run_job(engine, settings)
        dispatcher = Dispatcher(engine, settings, RecordingNotifier(), commands=build_commands())
        sample = sample_accounts(engine, accounts + warmup, seed)

        def say(handle: str, text: str):
            return dispatcher.handle(Incoming(text=text, actor=handle, platform="console"))

        try:
            from storage.rfm import account_rfm
        except ImportError:  # a checkout from before: RFM is part of health_facts
            account_rfm = None
        walls, cpus, rfm_walls, failed, rfm_shown = [], [], [], 0, 0
        for i, acct in enumerate(sample):
            paid = say(acct.owner, f"/paid {acct.name} 1k")
            wall, cpu = time.perf_counter(), _cpu()
            reply = say(acct.owner, f"/account {acct.name}")
            took, took_cpu = time.perf_counter() - wall, _cpu() - cpu
            if paid.severity is Severity.error or reply.severity is Severity.error:
                failed += 1
                continue
            if i < warmup:
                continue
            walls.append(took)
            cpus.append(took_cpu)
            if account_rfm is not None:  # the RFM part alone: three statements
                with unit_of_work(engine, write=False) as session:
                    account = session.get(Account, acct.account_id)
                    wall = time.perf_counter()
                    account_rfm(session, account, now=datetime.now(settings.tz),
                                settings=settings, tz=settings.tz)  # fmt: skip
                    rfm_walls.append(time.perf_counter() - wall)
            rfm_shown += any(SCORED.match(line) for line in reply.plain_lines())
        return {
            "phase": "rfm",
            "database": engine.dialect.name,
            "date": date.today().isoformat(),
            "accounts_in_book": n_accounts,
            "payments_in_book": n_payments,
            "payments_added": added,
            "job": job,
            "account_after_paid": Stats.of(walls).as_dict(),
            "account_after_paid_cpu": Stats.of(cpus).as_dict(),
            "rfm_part": Stats.of(rfm_walls).as_dict() if rfm_walls else None,
            "failed": failed,
            "rfm_scored": rfm_shown,
        }
    finally:
        engine.dispose()


def _args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", type=int, default=100, help="accounts sampled")
    parser.add_argument("--seed", type=int, default=16)


def main(argv: list[str] | None = None) -> int:
    return cli(
        "/account right after /paid, and the rfm job",
        _args,
        lambda a: run(a.database_url, accounts=a.accounts, seed=a.seed),
        argv,
    )


if __name__ == "__main__":
    raise SystemExit(main())
