"""``/visit`` (and ``/call``, ``/meet``, ``/meal``) end to end: parse with dates → write → commit.

Each sampled account's owner logs one interaction in a one-line message, in English or
Chinese as reps type them: a date phrase, notes naming a contact of the account (or a
new one), and often a next step with its own due date.  Timed: ``Dispatcher.handle``
from text to the committed reply (interaction, contact links, task, audit entries),
plus ``render_blocks``.  Afterwards the book must hold exactly one new interaction per
command that answered success (and one per floor run).

The floor (``benchmarks.floor``), timed after each command: the same write by hand on
a DBAPI connection — find the author and the account, read its contacts, insert the
interaction, its contact link and next step when the message has them, the audit
entries in one statement, commit.

    .venv/bin/python -m benchmarks.visit_bench --database-url sqlite:///bench.db
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from statistics import median
from typing import Any

from sqlalchemy import Engine, event, func, select

from benchmarks import Sampled, Stats, bench_settings, cli, sample_accounts
from benchmarks.floor import Floor
from bot.bootstrap import build_commands
from bot.config import Settings
from domain.models import Contact, Interaction
from handlers.dispatcher import Dispatcher, Incoming
from handlers.notify import RecordingNotifier
from handlers.render.slack import render_blocks
from handlers.replies import Severity
from storage.engine import make_engine

# {account} and {contact} are filled in; every line is something a rep would send.
MESSAGES = (
    "/visit {account} yesterday {contact} confirmed the budget. next: send proposal by Friday",
    "/拜访 {account} 昨天 见了王总，预算已批 下一步：周五前发方案",
    "/call {account} this morning {contact} asked about renewal terms",
    "/电话 {account} 今天上午 和 {contact} 确认了续约条款",
    "/meet {account} 3 days ago workshop, {contact} and the IT team. next: book a demo next Tuesday",
    "/会议 {account} 前天 技术交流会，{contact} 参加 下一步：下周二安排演示",
    "/meal {account} last Friday dinner with the buyer, agreed to a pilot",
    "/visit {account} site visit, {contact} showed the new line. next: call back in 2 weeks",
)


def first_contacts(engine: Engine, account_ids: list[int]) -> dict[int, str]:
    """Each account's first contact by id (one query for all of them)."""
    first = (
        select(Contact.account_id, func.min(Contact.id).label("id"))
        .where(Contact.account_id.in_(account_ids))
        .group_by(Contact.account_id)
        .subquery()
    )
    with engine.connect() as conn:
        rows = conn.execute(
            select(Contact.account_id, Contact.name).join(first, first.c.id == Contact.id)
        )
        return {account_id: name for account_id, name in rows}


def messages(accounts: list[Sampled], contacts: dict[int, str]) -> Iterator[tuple[Sampled, str]]:
    for n, a in enumerate(accounts):
        template = MESSAGES[n % len(MESSAGES)]
        yield a, template.format(account=a.name, contact=contacts.get(a.account_id, "Li Wei"))


def floor_write(
    hand: Floor, a: Sampled, text: str, contact: str | None, *, now, request_id: str
) -> tuple[float, float, int]:
    """What the message writes, by hand: its note, the contact it names, its next step."""
    note, _, step = text.partition(" next: " if " next: " in text else " 下一步：")
    notes = note.split(a.name, 1)[-1].strip()
    link = contact if contact and contact in note else None
    return hand.visit(
        a.owner,
        a.name,
        notes=notes,
        link=link,
        step=step.strip() or None,
        now=now,
        request_id=request_id,
    )


def interactions(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count(Interaction.id))).scalar_one()


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.engine, self.count = engine, 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def run(
    engine: Engine, settings: Settings, *, samples: int = 200, seed: int = 9, warmup: int = 5
) -> dict[str, Any]:
    # The warm-up commands write too: they use accounts of their own.
    accounts = sample_accounts(engine, samples + warmup, seed)
    warm, accounts = accounts[:warmup], accounts[warmup:]
    contacts = first_contacts(engine, [a.account_id for a in warm + accounts])
    dispatcher = Dispatcher(engine, settings, RecordingNotifier(), commands=build_commands())
    for a, text in messages(warm, contacts):
        dispatcher.handle(Incoming(text=text, actor=a.owner, platform="console"))

    hand = Floor(engine)
    for n, (a, text) in enumerate(messages(warm, contacts)):  # the floor's plans, too
        floor_write(
            hand, a, text, contacts.get(a.account_id), now=dispatcher.clock(), request_id=f"w{n}"
        )

    before = interactions(engine)
    counter = StatementCounter(engine)
    took: list[float] = []
    cpu: list[float] = []  # this process's CPU: what is left when the machine is busy
    floor: list[float] = []
    floor_cpu: list[float] = []
    floor_counts: list[int] = []
    statements: list[int] = []
    failures: list[str] = []
    try:
        for a, text in messages(accounts, contacts):
            counter.count = 0
            started, cpu_started = time.perf_counter(), time.thread_time()
            reply = dispatcher.handle(Incoming(text=text, actor=a.owner, platform="console"))
            render_blocks(reply)
            took.append(time.perf_counter() - started)
            cpu.append(time.thread_time() - cpu_started)
            statements.append(counter.count)
            if reply.severity is not Severity.success:
                failures.append(f"{text}: {reply.title} {reply.lines[:1]}")
            counter.count = 0  # the floor's own statements are counted by the floor
            seconds, seconds_cpu, n = floor_write(
                hand,
                a,
                text,
                contacts.get(a.account_id),
                now=dispatcher.clock(),
                request_id="floor",
            )
            floor_cpu.append(seconds_cpu)
            floor.append(seconds)
            floor_counts.append(n)
    finally:
        counter.close()
    written = interactions(engine) - before - len(floor)
    ok = len(accounts) - len(failures)
    end_to_end, raw = Stats.of(took), Stats.of(floor)
    return {
        "database": engine.dialect.name,
        "samples": len(accounts),
        "statements": int(median(statements)),
        "floor_statements": int(median(floor_counts)),
        "e2e": end_to_end.as_dict(),
        "e2e_cpu": Stats.of(cpu).as_dict(),
        "floor": raw.as_dict(),
        "floor_cpu": Stats.of(floor_cpu).as_dict(),
        "ratio_median": round(end_to_end.median_ms / raw.median_ms, 1),
        "ratio_p95": round(end_to_end.p95_ms / raw.p95_ms, 1),
        # CPU over CPU: the ratio that a busy machine does not blur
        "ratio_cpu_median": round(Stats.of(cpu).median_ms / Stats.of(floor_cpu).median_ms, 1),
        "written": written,
        "errors": len(failures) + abs(written - ok),
        "first_error": failures[0]
        if failures
        else (f"{ok} successes but {written} new interactions" if written != ok else None),
    }


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=9, help="which accounts are drawn")
    parser.add_argument("--warmup", type=int, default=5)


def _main(args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(args.database_url)
    try:
        return run(
            engine,
            bench_settings(args.database_url),
            samples=args.samples,
            seed=args.seed,
            warmup=args.warmup,
        )
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli(__doc__.splitlines()[0], _arguments, _main, argv)


if __name__ == "__main__":
    raise SystemExit(main())
