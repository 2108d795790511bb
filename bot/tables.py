"""Small human summaries for the command line: a table of counts, never a Python repr.

    kind       created  updated  unchanged
    accounts        40        0          0

``print_counts`` is what ``kam demo``, ``kam import`` and ``kam db upgrade`` print.
Numbers are right-aligned, text left-aligned; CJK characters count two columns.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import typer


def format_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Plain aligned columns: numbers (and their headers) right-aligned, text left-aligned."""
    body = [list(row) for row in rows]
    numeric = [
        bool(body) and all(isinstance(row[i], int | float) for row in body)
        for i in range(len(header))
    ]
    cells = [[str(h) for h in header], *([_cell(c) for c in row] for row in body)]
    widths = [max(width(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [_pad(cell, widths[i], left=not numeric[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "—" if value is None else str(value)


def print_counts(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, err: bool = False
) -> None:
    typer.echo(format_table(header, rows), err=err)


def width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, columns: int, *, left: bool) -> str:
    space = " " * (columns - width(text))
    return text + space if left else space + text
