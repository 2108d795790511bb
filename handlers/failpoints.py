"""Named failpoints: places where a test may kill kam on purpose (``tests/chaos``).

A failpoint does nothing unless the environment variable ``KAM_FAILPOINTS`` names it, so
only a process the tests started with that variable can be killed by one.  The value is
a comma-separated list of ``name`` or ``name@N`` (fire at the N-th hit, default the
first).  Firing is ``SIGKILL`` to kam's own process: no ``finally``, no rollback, no
flush — the crash a power cut or the OOM killer causes.

The inbound path's points, in order::

    inbound.received     the message is taken in (its inbox row committed), nothing ran yet
    command.inside       inside the command's transaction, before the commit
    command.committed    the command committed, the answer not yet sent
    reply.sent           the answer sent, not yet marked as sent

The scheduler's: ``job.claimed``, ``job.sent``, ``job.marked`` (``schedules.delivery``).
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

ENV = "KAM_FAILPOINTS"

_hits: Counter[str] = Counter()
_lock = threading.Lock()


def _armed() -> dict[str, int]:
    spec = os.environ.get(ENV, "")
    armed: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _at, nth = item.partition("@")
        armed[name] = int(nth) if nth.isdigit() else 1
    return armed


def hit(name: str) -> None:
    """Kill this process here if ``KAM_FAILPOINTS`` arms ``name`` (and this is its turn)."""
    if ENV not in os.environ:  # the common case: one dictionary lookup
        return
    nth = _armed().get(name)
    if nth is None:
        return
    with _lock:
        _hits[name] += 1
        due = _hits[name] == nth
    if due:
        os.kill(os.getpid(), signal.SIGKILL)
