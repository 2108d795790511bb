"""``kam console``: chat with kam in the terminal, on the same path as Slack and WeCom."""

from __future__ import annotations

from pathlib import Path

from handlers.dispatcher import Incoming
from handlers.render.text import render_text


def run_console(kam, handle: str) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    from storage import users
    from storage.session import unit_of_work

    with unit_of_work(kam.engine, write=False) as session:
        user = users.by_handle(session, handle)
        if user is None:
            raise SystemExit(f"kam: no user with handle {handle!r} (try `kam demo` first)")
        name = user.display_name
    print(f"kam console — you are {name} (@{handle}). /help for commands, Ctrl-D to leave.")
    prompt = PromptSession(history=FileHistory(str(Path.home() / ".kam_history")))
    while True:
        try:
            text = prompt.prompt(f"{handle}> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if not text.strip():
            continue
        if text.strip() in ("exit", "quit", "/exit", "/quit"):
            return
        reply = kam.dispatcher.handle(Incoming(text=text, actor=handle, platform="console"))
        print(render_text(reply))
        print()
