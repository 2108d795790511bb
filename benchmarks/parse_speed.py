"""How long kam takes to read one message: the corpus (``tests/corpus/messages.jsonl``)
parsed on the demo book, and optionally on the demo book plus a large synthetic one.

Timed per message: ``Dispatcher.parse_only`` (what ``kam parse`` runs: the command word,
the speaker, the typed command with its dates, amounts and account split) plus the
account-name resolution a command does before it runs (``handlers.lookup.resolve_account``:
exact name or alias, else the fuzzy match over every name) when the parsed command names
an account as text.  Nothing is written.  A message kam cannot parse is timed all the
same (its refusal is part of reading it) and counted as ``refused``.

    .venv/bin/python -m benchmarks.parse_speed                    # the demo book
    .venv/bin/python -m benchmarks.parse_speed --large 50000      # + 50,000 accounts
    .venv/bin/python -m benchmarks.parse_speed --json             # one JSON line

The target (issue 14): p95 ≤ 3 ms per message, name resolution included.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from benchmarks import percentile
from domain.errors import KamError
from handlers.dispatcher import Dispatcher, Incoming
from handlers.lookup import resolve_account
from handlers.notify import RecordingNotifier
from storage.session import unit_of_work
from tests.corpus.runner import NOW, Corpus

TARGET_P95_MS = 3.0


def parse_one(dispatcher: Dispatcher, handle: str, text: str, now: datetime) -> bool:
    """Parse ``text`` as ``handle`` would send it, and resolve the account it names.

    True when kam read it as a command (whatever the command then does)."""
    try:
        _spec, cmd = dispatcher.parse_only(
            Incoming(text=text, actor=handle, platform="console", received_at=now)
        )
    except KamError:
        return False
    typed = getattr(cmd, "account", None)
    if isinstance(typed, str) and typed.strip():
        with unit_of_work(dispatcher.engine, write=False) as session:
            names = dispatcher.book_names.get(session)  # the app's name index, as a request has
            ctx = SimpleNamespace(
                session=session, lang="en", readings=[], parse=SimpleNamespace(names=names)
            )
            try:
                resolve_account(ctx, typed)  # type: ignore[arg-type]
            except KamError:
                return False
    return True


def measure(
    corpus: Corpus,
    *,
    rounds: int = 3,
    warmup: int = 1,
    records: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Per-message parse times over the corpus (the best of ``rounds`` for each)."""
    dispatcher = Dispatcher(
        corpus.engine, corpus.settings, RecordingNotifier(), commands=corpus.commands
    )
    records = corpus.records if records is None else records
    for record in records[: warmup * 20]:
        parse_one(dispatcher, record["as"], record["text"], _now(record))
    best: list[float] = []
    refused = 0
    by_lang: dict[str, list[float]] = {}
    read: list[float] = []
    for record in records:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            ok = parse_one(dispatcher, record["as"], record["text"], _now(record))
            times.append(time.perf_counter() - started)
        refused += not ok
        best.append(min(times))
        if ok:
            read.append(min(times))
        by_lang.setdefault(record["lang"], []).append(min(times))
    out = _stats(best)
    out["slowest"] = sorted(
        ((round(t * 1000, 2), r["text"]) for t, r in zip(best, records, strict=True)), reverse=True
    )[:10]
    out["refused"] = refused
    out["by_lang"] = {lang: _stats(ts) for lang, ts in sorted(by_lang.items())}
    if read:  # the messages kam read as a command: the whole parse ran
        out["by_lang"]["read"] = _stats(read)
    return out


def _now(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["now"]) if record.get("now") else NOW


def _stats(seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(ms[-1], 3),
    }


def grow(corpus: Corpus, accounts: int) -> float:
    """Add ``accounts`` synthetic accounts (with contacts) to the working book; seconds."""
    from benchmarks.book import generate_large

    started = time.perf_counter()
    generate_large(
        corpus.engine, accounts=accounts, interactions=0, deals=0, settings=corpus.settings
    )
    return time.perf_counter() - started


def lines(name: str, result: dict[str, Any]) -> list[str]:
    out = [f"{name}: {result['n']} messages, {result['refused']} not read as a command"]
    rows = [("all", result), *result["by_lang"].items()]
    out.append(f"  {'':<6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)")
    for label, r in rows:
        out.append(
            f"  {label:<6} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f} {r['p99_ms']:>8.2f}"
            f" {r['max_ms']:>8.2f}"
        )
    out += [f"  slowest: {ms:>7.2f} ms  {text}" for ms, text in result["slowest"][:5]]
    mark = "ok" if result["p95_ms"] <= TARGET_P95_MS else "MISSED"
    out.append(f"  p95 target ≤ {TARGET_P95_MS} ms: {mark}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timings per message (best kept)")
    parser.add_argument("--large", type=int, default=0, help="also time with N more accounts")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with Corpus.open() as corpus:  # parse_only never writes: the working copy stays seeded
        results["demo"] = measure(corpus, rounds=args.rounds)
        if args.large:
            results["large_build_s"] = round(grow(corpus, args.large), 1)
            results["large_accounts"] = args.large
            results["large"] = measure(corpus, rounds=args.rounds)
    if args.json:
        json.dump(results, sys.stdout)
        sys.stdout.write("\n")
        return 0
    print("\n".join(lines("demo book", results["demo"])))
    if "large" in results:
        label = f"demo book + {results['large_accounts']:,} accounts"
        print("\n".join(lines(label, results["large"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
