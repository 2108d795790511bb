"""The chaos suites' tally: each test records its figures; the end of the run prints a
table of them (faults injected, messages replayed, applied exactly once, duplicates,
lost), for the closing note of issue 15.

A test records a row with ``record(request.node, row)`` — keys ``suite``, ``path``,
``step``, ``database``, ``faults``, ``replayed``, ``effect``, ``answers``, ``once``,
``duplicates``, ``lost`` (``tests.chaos.harness.Outcome.row``) — and the row travels in
the test report's ``user_properties``, so it reaches the controller under pytest-xdist
too.  The table is printed by ``pytest_terminal_summary`` (the hooks are imported by
``tests/conftest.py``, the conftest every run loads, the xdist controller's included),
and written as Markdown to ``$KAM_CHAOS_REPORT`` when that is set.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

PROPERTY = "kam_chaos"
_rows: dict[str, dict[str, Any]] = {}
_done: list[bool] = []


def record(node: pytest.Item, row: dict[str, Any]) -> None:
    node.user_properties.append((PROPERTY, json.dumps(row, ensure_ascii=False)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == PROPERTY:
            _rows[report.nodeid] = json.loads(value)


def table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown: one line per path and database (its steps summed), then the totals."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row.get("suite", "inbound"), row["path"], row["database"]].append(row)
    head = (
        "| suite | path | database | runs | faults injected | replayed | applied once "
        "| duplicates | lost | answers (1 / 2+ / 0) |"
    )
    lines = [head, "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    total: dict[str, int] = defaultdict(int)
    for (suite, path, database), mine in sorted(groups.items()):
        figures = _figures(mine)
        for k, v in figures.items():
            total[k] += v
        lines.append(f"| {suite} | {path} | {database} | " + _cells(figures) + " |")
    lines.append("| **all** | | | " + _cells(total) + " |")
    return lines


def _figures(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "runs": len(rows),
        "faults": sum(r["faults"] for r in rows),
        "replayed": sum(r["replayed"] for r in rows),
        "once": sum(r["once"] for r in rows),
        "duplicates": sum(r["duplicates"] for r in rows),
        "lost": sum(r["lost"] for r in rows),
        "one": sum(r["answers"] == 1 for r in rows),
        "more": sum(r["answers"] > 1 for r in rows),
        "none": sum(r["answers"] == 0 for r in rows),
    }


def _cells(f: dict[str, int]) -> str:
    return (
        f"{f['runs']} | {f['faults']} | {f['replayed']} | {f['once']} | {f['duplicates']} | "
        f"{f['lost']} | {f['one']} / {f['more']} / {f['none']}"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _rows or _done:
        return
    _done.append(True)
    rows = [_rows[k] for k in sorted(_rows)]
    lines = table(rows)
    terminalreporter.write_sep("=", "chaos: killed mid-message, restarted, replayed")
    for line in lines:
        terminalreporter.write_line(line)
    doubled = [r for r in rows if r["answers"] > 1]
    for r in doubled:
        terminalreporter.write_line(
            f"answered {r['answers']}×: {r['path']} killed at {r['step']} ({r['database']})"
        )
    seconds = sum(r.get("seconds", 0) for r in rows)
    cpu = sum(r.get("cpu", 0) for r in rows)
    terminalreporter.write_line(
        f"{len(rows)} runs: {seconds:.0f} s of test time, {cpu:.0f} s of CPU (tests and kam)"
    )
    if target := os.environ.get("KAM_CHAOS_REPORT"):
        Path(target).write_text("\n".join(lines) + "\n", encoding="utf-8")
