"""What an import would do, row by row: the plan a dry run prints and an import applies.

Codes and values only; ``bot/csv_cli.py`` words them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Change:
    """One field of a row: its cell before and after (as an export would write them)."""

    column: str
    old: str
    new: str
    computed: bool = False  # not in the file: kam works it out (an account's tier)


@dataclass(frozen=True)
class Conflict:
    """The row would overwrite something someone set by hand in chat.

    ``what`` is ``tier_override`` or ``owner``; ``by`` the handle of who set it (None
    if unknown), ``at`` when, ``reason`` the override's reason.
    """

    what: str
    current: str
    new: str
    by: str | None
    at: datetime | None
    reason: str | None = None


@dataclass
class RowPlan:
    line: int
    label: str  # the row's natural key as a reader knows it: "Acme", "Acme / Li Wei"
    action: str = "unchanged"  # created | updated | unchanged
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    obj: Any = None  # the existing row (None when created)
    values: dict[str, Any] = field(default_factory=dict)  # parsed cells, by column


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    updated: int
    unchanged: int

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportPlan:
    kind: str
    file: str
    rows: list[RowPlan]
    importer: Any = None

    @property
    def conflicts(self) -> list[tuple[int, Conflict]]:
        return [(row.line, c) for row in self.rows for c in row.conflicts]

    def count(self) -> ImportResult:
        actions = [row.action for row in self.rows]
        return ImportResult(
            self.kind,
            actions.count("created"),
            actions.count("updated"),
            actions.count("unchanged"),
        )
