"""Small human summaries for the command line: a table of counts, never a Python repr.

    kind       created  updated  unchanged
    accounts        40        0          0

``print_counts`` is what ``kam demo``, ``kam import`` and ``kam db upgrade`` print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import typer


def format_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Plain aligned columns: the first left-aligned, the rest right-aligned."""
    cells = [[str(h) for h in header], *([str(c) for c in row] for row in rows)]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [_pad(cell, widths[i], left=(i == 0)) for i, cell in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def print_counts(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, err: bool = False
) -> None:
    typer.echo(format_table(header, rows), err=err)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, *, left: bool) -> str:
    space = " " * (width - _width(text))
    return text + space if left else space + text
