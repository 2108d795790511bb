"""End-to-end fixtures: kam's real HTTP server on 127.0.0.1, on a free port."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.bootstrap import build_app
from bot.config import Settings
from bot.server import BotServer


@pytest.fixture
def start_server(engine) -> Iterator[Callable[..., BotServer]]:
    """``start_server(settings, notifier=None)`` → a running ``BotServer`` (``.url``, ``.kam``)."""
    servers: list[BotServer] = []

    def start(settings: Settings | None = None, notifier=None) -> BotServer:
        kam = build_app(settings or Settings(), notifier=notifier, engine=engine)
        server = BotServer(kam).start_in_thread()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
