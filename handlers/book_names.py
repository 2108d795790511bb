"""The book's account names, in memory, for finding them anywhere in a message.

One ``BookNames`` per dispatcher: ``get(session)`` returns the current ``NameBook``
(``handlers.parsing.entities``), rebuilt when any process has changed a name or alias
since: the ``book_version`` counter, which database triggers move on every such write
(migration 0011), read at most every ``ttl`` seconds.  Readers never wait for a
rebuild they did not need: the lock only guards the swap; when a request cannot go on
without a (first, or small) book, one thread builds it and the others wait for that
one.  A big book (``BACKGROUND_AT`` names and more: 50,000 accounts take about a
second) is rebuilt in a background thread while requests go on with the previous one;
exact names are read from the database anyway (``resolve_account``), so only finding
a brand-new name inside a sentence waits for it.

A command gets the index through ``lazy(session)``: nothing is read or built until a
parser really asks it something, and ``cold`` tells the parser it would be built first
— a process's first ``/account Acme`` with an exact name reads that name from its
index in the database instead (``handlers.lookup.split_account``) and never pays for
the whole book.
"""

from __future__ import annotations

import threading
import time

from sqlmodel import Session

from handlers.parsing.entities import NameBook
from storage import accounts

__all__ = ["BookNames", "LazyNames"]


BACKGROUND_AT = 5_000


class BookNames:
    def __init__(self, ttl: float = 2.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._build = threading.Lock()  # one thread builds while the others wait for it
        self._building = False
        self._book: NameBook | None = None
        self._generation = -1
        self._fingerprint: tuple[int, ...] | None = None
        self._checked = 0.0

    @property
    def cold(self) -> bool:
        """No index built yet in this process: the next ``get`` reads the whole book."""
        return self._book is None

    def lazy(self, session: Session) -> LazyNames:
        """The index as ``get(session)`` would give it, fetched on first use."""
        return LazyNames(self, session)

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
        if book is not None and len(book) >= BACKGROUND_AT:
            self._rebuild_later(session.get_bind(), generation, fingerprint)
            return book
        return self._rebuild_once(session, generation, fingerprint)

    def _rebuild_once(
        self, session: Session, generation: int, fingerprint: tuple[int, ...]
    ) -> NameBook:
        """Build now, once however many threads need it: those that waited take the book
        the first one built, when it is at least as new as what they saw."""
        with self._build:
            book = self._book
            fresh = (
                book is not None
                and self._generation >= generation
                and self._fingerprint is not None
                and self._fingerprint >= fingerprint
            )
            return book if fresh else self._rebuild(session, generation, fingerprint)

    def _rebuild(self, session: Session, generation: int, fingerprint: tuple[int, ...]) -> NameBook:
        book = NameBook(accounts.name_candidates(session))
        with self._lock:
            self._book, self._generation = book, generation
            self._fingerprint, self._checked = fingerprint, time.monotonic()
        return book

    def _rebuild_later(self, bind: object, generation: int, fingerprint: tuple[int, ...]) -> None:
        with self._lock:
            if self._building:
                return
            self._building = True

        def build() -> None:
            try:
                with Session(bind=bind) as session:
                    self._rebuild(session, generation, fingerprint)
            finally:
                self._building = False

        threading.Thread(target=build, name="kam-book-names", daemon=True).start()


class LazyNames:
    """A ``NameBook`` that is fetched (``BookNames.get``) when first asked anything."""

    def __init__(self, owner: BookNames, session: Session) -> None:
        self._owner, self._session = owner, session
        self._book: NameBook | None = None

    @property
    def cold(self) -> bool:
        """Asking would first build the whole index (nothing built in this process)."""
        return self._book is None and self._owner.cold

    @property
    def book(self) -> NameBook:
        if self._book is None:
            self._book = self._owner.get(self._session)
        return self._book

    def __len__(self) -> int:
        return len(self.book)

    def __getattr__(self, name: str):  # find, exact, prefixed, fuzzy, names, …
        return getattr(self.book, name)
