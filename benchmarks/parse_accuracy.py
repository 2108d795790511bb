"""How well kam understands what reps type: the corpus (``tests/corpus/messages.jsonl``)
run through the real dispatcher on the demo book, scored field by field.

    .venv/bin/python -m benchmarks.parse_accuracy               # the accuracy table
    .venv/bin/python -m benchmarks.parse_accuracy --failures    # and every miss
    .venv/bin/python -m benchmarks.parse_accuracy --lang zh --field date --failures
    .venv/bin/python -m benchmarks.parse_accuracy --json        # one JSON line
    .venv/bin/python -m benchmarks.parse_accuracy --write-floors  # today's figures become the test's floors

A field is correct when what kam WROTE (or asked, or refused) matches what a sales team
would expect; a message is exact when every one of its fields is.  See
``tests/corpus/runner.py`` for the fields and how each is compared.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.corpus.runner import FLOORS, MESSAGES, Corpus, Result, summarize


def table(results: list[Result]) -> list[str]:
    s = summarize(results)
    out = [f"{'field':<18} {'n':>5} {'correct':>8} {'%':>7}", "-" * 41]
    for name, t in s["fields"].items():
        out.append(f"{name:<18} {t.n:>5} {t.correct:>8} {t.pct:>6.1f}%")
    out.append("-" * 41)
    e = s["exact"]
    out.append(f"{'message exact':<18} {e.n:>5} {e.correct:>8} {e.pct:>6.1f}%")
    for lang, t in s["by_lang"].items():
        out.append(f"{'  exact, ' + lang:<18} {t.n:>5} {t.correct:>8} {t.pct:>6.1f}%")
    return out


def failures(results: list[Result], only: str | None = None) -> list[str]:
    out = []
    for r in results:
        missed = [k for k, ok in r.fields.items() if not ok and (only is None or k == only)]
        if not missed and not (r.error and only is None):
            continue
        out.append(f"{r.id} [{r.record['as']}] {r.record['text']}")
        for k in missed:
            out.append(f"    {k}: expected {r.expected(k)!r}, got {r.observed(k)!r}")
        if r.error:
            out.append(f"    raised {r.error}")
        out.append("    reply: " + " | ".join(r.reply.splitlines())[:300])
    return out


def as_json(results: list[Result]) -> dict:
    s = summarize(results)
    return {
        "fields": {
            k: {"n": t.n, "correct": t.correct, "pct": round(t.pct, 1)}
            for k, t in s["fields"].items()
        },
        "exact": {
            "n": s["exact"].n,
            "correct": s["exact"].correct,
            "pct": round(s["exact"].pct, 1),
        },
        "by_lang": {k: round(t.pct, 1) for k, t in s["by_lang"].items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list every missed field")
    parser.add_argument("--field", help="only this field's misses (with --failures)")
    parser.add_argument("--lang", choices=("en", "zh", "mixed"), help="only this language")
    parser.add_argument("--id", action="append", help="only these record ids")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument(
        "--messages", type=Path, default=MESSAGES, help="another file of records to score"
    )
    parser.add_argument(
        "--write-floors", action="store_true", help="store today's %% as the test's floors"
    )
    args = parser.parse_args(argv)
    with Corpus.open(path=args.messages) as corpus:
        records = [
            r
            for r in corpus.records
            if (args.lang is None or r["lang"] == args.lang) and (not args.id or r["id"] in args.id)
        ]
        results = list(corpus.run(records))
    if args.json:
        json.dump(as_json(results), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print("\n".join(table(results)))
    if args.failures:
        print()
        print("\n".join(failures(results, args.field)))
    if args.write_floors:
        s = summarize(results)
        # rounded down, so today's figures pass their own floors
        floors = {k: math.floor(t.pct * 10) / 10 for k, t in s["fields"].items()}
        floors["exact"] = math.floor(s["exact"].pct * 10) / 10
        FLOORS.write_text(json.dumps(floors, indent=2) + "\n", encoding="utf-8")
        print(f"floors written to {FLOORS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
