"""Finishing what a dead process left in the inbox: one thread per ``kam run``.

Every ``inbox_sweep_seconds`` it asks the inbox for messages whose lease ran out
(``handlers.inbox.Inbox.due``: taken in but never finished, or finished but never
answered, by a process that was killed or lost its database) and hands each to the
transport that took it in — Slack answers through the response_url or a DM, WeCom
through ``message/send`` — which runs it if it never ran and delivers its answer.
A failing sweep is logged and tried again next time; it never stops the thread.
"""

from __future__ import annotations

import logging
import threading

from handlers.inbox import Inbox

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, inbox: Inbox, interval: float) -> None:
        self.inbox = inbox
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kam-inbox", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:  # the database may be away: next time
                log.warning("inbox sweep failed; trying again in %.1fs", self.interval,
                            exc_info=True)  # fmt: skip
            self._stop.wait(self.interval)

    def sweep(self) -> int:
        """Finish what is due now; how many messages were handed on."""
        finishers = self.inbox.finishers
        if not finishers:
            return 0
        kept = self.inbox.due(sorted(finishers))
        for item in kept:
            log.info("inbox: finishing %s %s (attempt %d)", item.incoming.platform, item.key,
                     item.attempts)  # fmt: skip
            try:
                finishers[item.incoming.platform](item)
            except Exception:
                log.exception("finishing %s %s failed", item.incoming.platform, item.key)
        return len(kept)
