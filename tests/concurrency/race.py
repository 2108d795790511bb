"""N chat clients send a message at the same moment, each through its own Dispatcher.

Each client is a ``tests.harness.Chat`` of its own (as if each were a kam process of
its own) on the test database's one engine.  They start together (a
``threading.Barrier``) and, while the race runs, every commit waits at a second
barrier (``commit_gate``) until all N are there or ``hold`` seconds have passed: on a
database that lets the commands run side by side, every one of them reads the book
before any of them commits — the worst interleaving, every time, so a missing lock
shows as N duplicates rather than now and then.  Where commands take their turn (a
lock, SQLite's one writer) the gate gives up after ``hold`` and each commits in turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine, event

from handlers.replies import Reply
from tests.harness import NOW, Chat

HOLD = 1.5  # seconds a commit waits for the others
T = TypeVar("T")


@contextmanager
def commit_gate(engine: Engine, n: int, *, hold: float = HOLD) -> Iterator[None]:
    gate = threading.Barrier(n)

    def wait(_conn) -> None:
        # broken: the others wait for this one's lock; go on, one at a time
        with suppress(threading.BrokenBarrierError):
            gate.wait(timeout=hold)

    event.listen(engine, "commit", wait)
    try:
        yield
    finally:
        event.remove(engine, "commit", wait)


def race(
    engine: Engine,
    messages: Sequence[tuple[str, str]],
    *,
    now: datetime = NOW,
    gate: bool = True,
) -> tuple[list[Reply], list[Chat]]:
    """Send ``(handle, text)`` each from its own client, all at once; the replies in
    the same order, and the clients (their notifiers hold what each sent)."""
    chats = [Chat(engine, now=now) for _ in messages]
    calls = [
        lambda c=chat, m=message: c.say(*m) for chat, message in zip(chats, messages, strict=True)
    ]
    return at_once(engine, calls, gate=gate), chats


def at_once(engine: Engine, calls: Sequence[Callable[[], T]], *, gate: bool = True) -> list[T]:
    """Run each call in a thread of its own, all at once; their results, in order."""
    n = len(calls)
    start = threading.Barrier(n)
    results: list[T | None] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            results[i] = calls[i]()
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    with commit_gate(engine, n) if gate else _nothing():
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a client never got its reply"
    if errors:
        raise errors[0]
    return [r for r in results if r is not None]


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def titles(replies: Sequence[Reply]) -> list[str]:
    return sorted(r.title for r in replies)


def sent(chats: Sequence[Chat]) -> list[tuple[str, str]]:
    """Every notification any client sent: (recipient key, title)."""
    return sorted((r.key, m.title) for c in chats for r, m in c.notifier.sent)
