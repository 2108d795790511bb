"""Recurring dates: when a ``/remind`` reminder falls due.

A recurrence is a start date and a step of whole days and calendar months (any object
with ``days`` and ``months``, e.g. ``handlers.parsing.dates.Span`` or ``Every``).  The
k-th occurrence is always computed from the start date, never from the previous
occurrence, so a clamped month end does not stick::

    start 2027-01-31, every month  →  Jan 31, Feb 28, Mar 31, Apr 30, May 31 …

(adding a month to Feb 28 would have given Mar 28 and every month after it the 28th).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

__all__ = ["Every", "Step", "advance", "first_on_or_after", "occurrence"]

_AVG_MONTH_DAYS = 365.2425 / 12


class Step(Protocol):
    @property
    def days(self) -> int: ...

    @property
    def months(self) -> int: ...


@dataclass(frozen=True)
class Every:
    """A recurrence step as stored on a ``Reminder`` (``every_days``, ``every_months``)."""

    days: int = 0
    months: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.months < 0:
            raise ValueError("a recurrence step cannot be negative")
        if not self.days and not self.months:
            raise ValueError("a recurrence step must be longer than zero")


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return day.replace(year=year, month=month + 1, day=min(day.day, last))


def occurrence(step: Step, start_date: date, k: int) -> date:
    """The k-th occurrence (k = 0 is ``start_date`` itself)."""
    if k < 0:
        raise ValueError("k must not be negative")
    return _add_months(start_date, k * step.months) + timedelta(days=k * step.days)


def advance(step: Step, start_date: date, after: date) -> date:
    """The first occurrence strictly after ``after`` (``start_date`` if that is later).

    ``advance(Every(months=1), date(2027, 1, 31), date(2027, 2, 28))`` is 2027-03-31.
    """
    if step.days < 0 or step.months < 0 or not (step.days or step.months):
        raise ValueError("a recurrence step must be longer than zero")
    if start_date > after:
        return start_date
    # Jump close (occurrences grow monotonically with k), then settle exactly.
    length = step.months * _AVG_MONTH_DAYS + step.days
    k = max(int((after - start_date).days / length) - 1, 0)
    while occurrence(step, start_date, k) <= after:
        k += 1
    while k > 0 and occurrence(step, start_date, k - 1) > after:
        k -= 1
    return occurrence(step, start_date, k)


def first_on_or_after(step: Step, start_date: date, day: date) -> date:
    """The first occurrence on ``day`` or later (a reminder's ``next_date`` as of today)."""
    return advance(step, start_date, day - timedelta(days=1))
