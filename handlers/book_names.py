"""The book's account names, in memory, for finding them anywhere in a message.

One ``BookNames`` per app (like ``RfmCache``): ``get(session)`` returns the current
``NameBook`` (``handlers.parsing.entities``), rebuilt when this process has written an
account or alias since, or when another process has (a cheap fingerprint of the two
tables, checked at most every ``ttl`` seconds).  Readers never wait for a rebuild
they did not need: the lock only guards the swap.
"""

from __future__ import annotations

import threading
import time

from sqlmodel import Session

from handlers.parsing.entities import NameBook
from storage import accounts

__all__ = ["BookNames"]


class BookNames:
    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._book: NameBook | None = None
        self._generation = -1
        self._fingerprint: tuple[int, ...] | None = None
        self._checked = 0.0

    def get(self, session: Session) -> NameBook:
        now = time.monotonic()
        generation = accounts.names_generation()
        book = self._book
        if book is not None and generation == self._generation and now - self._checked < self.ttl:
            return book
        fingerprint = accounts.names_fingerprint(session)
        if book is not None and generation == self._generation and fingerprint == self._fingerprint:
            self._checked = now
            return book
        book = NameBook(accounts.name_candidates(session))
        with self._lock:
            self._book, self._generation = book, generation
            self._fingerprint, self._checked = fingerprint, now
        return book
