"""Letting time pass in the delivery ledger, for tests.

Claims and retry times are stamped and compared by the database's clock
(``storage.clock``), so a test can no longer make a claim stale by running a job with a
later ``now``.  ``age`` moves every timestamp of the ledger back instead: for the
ledger, ``delta`` has passed.  The rows are real rows in the real database; nothing is
mocked.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from domain.models import Delivery
from storage.session import unit_of_work


def age(engine, delta: timedelta) -> None:
    """As if ``delta`` had passed since every claim, retry time and send was stamped."""
    with unit_of_work(engine) as s:
        for row in s.exec(select(Delivery)).all():
            row.claimed_at -= delta
            if row.next_attempt_at is not None:
                row.next_attempt_at -= delta
            if row.sent_at is not None:
                row.sent_at -= delta
            s.add(row)
