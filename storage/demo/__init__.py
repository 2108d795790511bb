"""The demo book: ``kam demo`` and the tests' sample data.

``book`` holds what the book contains (teams, people, accounts, the dice that fill
them), planned without a database; ``seed`` writes it, idempotently.  The large
synthetic book for benchmarks is not shipped here: ``benchmarks.book``.
"""

from storage.demo.seed import DemoSummary, seed_demo

__all__ = ["DemoSummary", "seed_demo"]
