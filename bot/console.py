"""``kam console`` and ``kam say``: chat with kam in the terminal, on the same path as
Slack and WeCom.

Who is speaking is always said (``--as``, or ``KAM_AS``): a handle or a display name,
any case, full-width or not (``--as 王磊``, ``--as "alice chen"``).  At a terminal the
console edits lines and keeps history; from a pipe it answers each line and exits 0
at the end of the input.

Charts: with ``--chart-dir DIR`` a reply's chart is written there as a PNG (named after
the command: ``goal.png``, then ``goal-2.png``…, never over an earlier one) and its path
printed under the text; without it the text, which holds every number, is all.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from sqlmodel import Session, select

from domain.errors import Ambiguous, NotFound
from domain.models import User
from domain.names import name_key
from handlers.dispatcher import Incoming
from handlers.render.text import render_text
from handlers.replies import Reply

SHOWN_USERS = 10
_QUIT = ("exit", "quit", "/exit", "/quit")


def _key(text: str) -> str:
    return name_key(text.strip().lstrip("@"))


def resolve_speaker(session: Session, typed: str) -> User:
    """The active user ``typed`` names: handle first, then display name.

    Raises NotFound or Ambiguous with a message that lists who there is.
    """
    key = _key(typed)
    people = active_users(session)
    for user in people:
        if _key(user.handle) == key:
            return user
    named = [u for u in people if _key(u.display_name) == key]
    if len(named) == 1:
        return named[0]
    if named:
        raise Ambiguous(
            f"{len(named)} users are called {typed!r}: {_listing(named)}. "
            "Say which one with its handle, e.g. --as " + named[0].handle
        )
    raise NotFound(f"no user with handle or name {typed!r}. {who_is_there(people)}")


def who_is_there(people: list[User]) -> str:
    """``Users: alice (Alice Chen, rep), …`` — the first few, and where to see the rest."""
    if not people:
        return "There are no users yet: run `kam demo` (or `make run`) first."
    more = len(people) - SHOWN_USERS
    listed = _listing(people[:SHOWN_USERS]) + (f" and {more} more" if more > 0 else "")
    return f"Users: {listed}. `kam export users` lists everyone."


def active_users(session: Session) -> list[User]:
    return list(session.exec(select(User).where(User.active).order_by(User.handle)))


def _listing(users: Iterable[User]) -> str:
    return ", ".join(f"{u.handle} ({u.display_name}, {u.role})" for u in users)


def answer_text(reply: Reply, text: str, chart_dir: Path | None) -> str:
    """The reply as the terminal shows it: its text, and with ``chart_dir`` the path of
    its chart written there."""
    out = render_text(reply)
    if chart_dir is not None and reply.chart is not None:
        path = save_chart(reply, chart_dir, _stem(text))
        out += f"\n📊 {path}" if path else "\n📊 (the chart could not be drawn: see the log)"
    return out


def save_chart(reply: Reply, chart_dir: Path, stem: str, *, replace: bool = False) -> Path | None:
    """Draw the reply's chart into ``chart_dir/stem.png`` (``stem-2.png``… when taken,
    unless ``replace``); None when there is no chart or it could not be drawn."""
    from handlers.render.charts import chart_image

    image = chart_image(reply)
    if image is None:
        return None
    chart_dir.mkdir(parents=True, exist_ok=True)
    path = chart_dir / f"{stem}.png"
    n = 2
    while path.exists() and not replace:
        path = chart_dir / f"{stem}-{n}.png"
        n += 1
    path.write_bytes(image.png)
    return path.resolve()


def _stem(text: str) -> str:
    """A file name from the message's command word: ``/goal team East`` → ``goal``."""
    word = text.strip().lstrip("/").split(maxsplit=1)[0] if text.strip() else ""
    return re.sub(r"[^\w-]+", "", word)[:40] or "chart"


def _answer(kam, handle: str, text: str, chart_dir: Path | None = None) -> str:
    reply = kam.dispatcher.handle(Incoming(text=text, actor=handle, platform="console"))
    return answer_text(reply, text, chart_dir)


def run_console(kam, user: User, chart_dir: Path | None = None) -> None:
    handle = user.handle
    banner = (
        f"kam console — you are {user.display_name} (@{handle}, {user.role}). "
        "/help for commands, Ctrl-D to leave."
    )
    if not sys.stdin.isatty():
        _run_piped(kam, handle, banner, sys.stdin, chart_dir)
        return
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    print(banner)
    prompt = PromptSession(history=FileHistory(str(Path.home() / ".kam_history")))
    while True:
        try:
            text = prompt.prompt(f"{handle}> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not text.strip():
            continue
        if text.strip() in _QUIT:
            return
        print(_answer(kam, handle, text, chart_dir))
        print()


def _run_piped(
    kam, handle: str, banner: str, lines: Iterable[str], chart_dir: Path | None = None
) -> None:
    """One reply per non-empty input line, separated by a blank line; the banner on stderr."""
    print(banner, file=sys.stderr)
    first = True
    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if text.strip() in _QUIT:
            return
        if not first:
            print()
        print(_answer(kam, handle, text, chart_dir), flush=True)
        first = False
