"""Watching the dispatcher without knowing who watches.

The dispatcher times each message and names how it ended; whoever wants to know
(``bot.metrics`` counts it for Prometheus) is a ``CommandObserver`` that
``bot.bootstrap`` hands in.  Without one, nothing is recorded.

    outcome   ok | asked | user_error | forbidden | unavailable | error

``command`` is a name from the command table (or ``unknown``), never what someone typed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from domain.errors import Forbidden, KamError, Unavailable
from handlers.logcontext import bind_request
from storage.engine import describe_db_error

log = logging.getLogger(__name__)

OUTCOMES = ("ok", "asked", "user_error", "forbidden", "unavailable", "error")

# (command, outcome, seconds): called once per message, after its reply is made.
CommandObserver = Callable[[str, str, float], None]


def unobserved(command: str, outcome: str, seconds: float) -> None:
    """The default observer: records nothing."""


def outcome_of(exc: BaseException) -> str:
    """How a command that raised ``exc`` ended, as one of ``OUTCOMES``."""
    if isinstance(exc, Forbidden):
        return "forbidden"
    if isinstance(exc, Unavailable | OperationalError | InterfaceError | PoolTimeout):
        # The database is down, locked or out of connections; an IntegrityError or a
        # ProgrammingError, on the other hand, is a bug and counts as ``error``.
        return "unavailable"
    if isinstance(exc, KamError):
        return "user_error"
    return "error"


@dataclass
class CommandObservation:
    """Filled in by the dispatcher while it handles one message."""

    command: str = "unknown"
    outcome: str = "ok"

    def failed(self, exc: BaseException) -> None:
        self.outcome = outcome_of(exc)
        if self.outcome == "unavailable" and not isinstance(exc, KamError):
            # The person is told "can't reach its database"; the log gets the cause the
            # driver gave (a full disk, a read-only database, a refused connection),
            # bounded to one line.
            log.warning("database error in /%s: %s", self.command, describe_db_error(exc))


@contextmanager
def observe_command(
    request_id: str | None, observer: CommandObserver = unobserved
) -> Iterator[CommandObservation]:
    """Time one message, tell ``observer`` its outcome, and bind its request id for
    the logs.  An exception that escapes the block counts as ``error`` (and propagates).
    """
    obs = CommandObservation()
    started = time.perf_counter()
    with bind_request(request_id):
        try:
            yield obs
        except BaseException as exc:
            obs.failed(exc)
            if obs.outcome == "user_error":  # a KamError nobody turned into a reply
                obs.outcome = "error"
            raise
        finally:
            observer(obs.command, obs.outcome, time.perf_counter() - started)
