"""The corpus of realistic messages (``tests/corpus``) through the real dispatcher on the
demo book: each field's accuracy must stay at or above its floor (``floors.json``).

The floors are what kam scored when they were last raised; raise them when kam gets
better (``python -m benchmarks.parse_accuracy --write-floors``), never lower them to make
a change pass.  ``python -m benchmarks.parse_accuracy --failures`` lists every miss.
"""

from __future__ import annotations

import pytest

from benchmarks import parse_accuracy, parse_speed
from tests.corpus.runner import Corpus, Result, floors, load, summarize


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    with Corpus.open(tmp_path_factory.mktemp("corpus")) as c:
        yield c


@pytest.fixture(scope="module")
def results(corpus) -> list[Result]:
    return list(corpus.run())


def test_the_corpus_is_big_and_bilingual():
    records = load()
    assert len(records) >= 300
    langs = [r["lang"] for r in records]
    assert langs.count("zh") / len(records) >= 0.40
    assert langs.count("mixed") / len(records) >= 0.10
    assert len({r["id"] for r in records}) == len(records)
    assert len({r["text"] for r in records}) == len(records)
    assert {r["expect"]["command"] for r in records if isinstance(r["expect"]["command"], str)} >= {
        "visit", "call", "meet", "meal", "deal", "paid", "invoice", "contact", "account",
        "ask", "refuse",
    }  # fmt: skip


def test_no_message_makes_kam_raise(results):
    raised = [f"{r.id}: {r.error}" for r in results if r.error]
    assert not raised, "\n".join(raised)


def test_every_field_is_at_least_its_floor(results):
    summary = summarize(results)
    floor = floors()
    below = [
        f"{name}: {t.pct:.1f}% < floor {floor[name]:.1f}% ({t.correct}/{t.n})"
        for name, t in summary["fields"].items()
        if t.pct + 1e-9 < floor.get(name, 0.0)
    ]
    exact = summary["exact"]
    if exact.pct + 1e-9 < floor.get("exact", 0.0):
        below.append(f"message exact: {exact.pct:.1f}% < floor {floor['exact']:.1f}%")
    assert not below, (
        "parse accuracy fell below the floors "
        "(python -m benchmarks.parse_accuracy --failures):\n" + "\n".join(below)
    )


def test_the_accuracy_and_speed_scripts_report(corpus, results):
    table = "\n".join(parse_accuracy.table(results))
    assert "message exact" in table and "command" in table
    missed = [r.id for r in results if not r.exact]
    listed = "\n".join(parse_accuracy.failures(results))
    assert all(f"{i} [" in listed for i in missed)
    speed = parse_speed.measure(corpus, rounds=1, warmup=0, records=corpus.records[:12])
    assert speed["n"] == 12 and speed["p95_ms"] >= speed["p50_ms"] > 0
    assert "p95 target" in "\n".join(parse_speed.lines("demo", speed))
