"""``kam run``'s HTTP server: one Starlette app on uvicorn.

    GET  /healthz         200 when the database answers, else 503 with the reason;
                          "degraded" (200, or 503 by ``schedule.healthz_degraded_status``)
                          when no scheduler has beaten for two heartbeat intervals
    GET  /metrics         Prometheus text format (bot.metrics)
    POST /slack/events    Slack (when SLACK_SIGNING_SECRET is set)      — bot/slack
    GET/POST /wecom/callback  WeCom (when WECOM_* are set)               — bot/wecom

The server shuts down cleanly on SIGTERM (uvicorn's own handling): it stops accepting
connections, lets in-flight requests finish, then the scheduler is stopped.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.bootstrap import App, build_scheduler
from bot.http_limits import BodyLimit
from bot.slow_clients import (
    KEEP_ALIVE_SECONDS,
    MAX_CONNECTIONS,
    MAX_HEADER_BYTES,
    protocol_with_timeout,
)

log = logging.getLogger(__name__)


def _platform_routes(kam: App, limits: dict[str, int]) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    if kam.settings.slack.signing_secret and not kam.settings.slack.app_token:
        from bot.slack.http import EVENTS_PATH, MAX_BODY, slack_routes

        routes += slack_routes(kam)
        limits[EVENTS_PATH] = MAX_BODY
    if kam.settings.wecom.enabled:
        from bot.wecom.callback import MAX_BODY, wecom_routes

        routes += wecom_routes(kam)
        limits["/wecom/callback"] = MAX_BODY
    return routes


def scheduler_problem(engine) -> str | None:
    """Why the scheduler looks stopped (no heartbeat for two intervals), else None.
    A database no scheduler ever ran on is not judged here (``kam doctor`` says so)."""
    from storage import heartbeat as beats
    from storage.clock import db_now
    from storage.session import unit_of_work

    with unit_of_work(engine, write=False) as session:
        health = beats.health(session, now=db_now(session))
    if health.state != "stale":
        return None
    minutes = int(health.age.total_seconds() // 60)
    return (
        f"scheduler stopped: no heartbeat for {minutes} min (every {health.interval} s "
        f"expected); start kam run or kam jobs scheduler"
    )


def create_web_app(kam: App, extra_routes: list[BaseRoute] | None = None) -> Starlette:
    def healthz(_request: Request) -> JSONResponse:
        # The database must answer and take a write (a rolled-back row; for SQLite also
        # room on its disk): a read-only or full database is 503 with the driver's words.
        from storage.probe import database_problem

        reason = database_problem(kam.engine)
        if reason is not None:
            log.warning("healthz: %s", reason)
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        stopped = scheduler_problem(kam.engine)
        if stopped is not None:
            code = kam.settings.schedule.healthz_degraded_status
            return JSONResponse({"status": "degraded", "reason": stopped}, status_code=code)
        return JSONResponse({"status": "ok"})

    def metrics(_request: Request) -> Response:
        body, content_type = kam.metrics.exposition(kam.engine)
        return Response(body, media_type=content_type)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    limits: dict[str, int] = {}  # every other path: bot.http_limits.DEFAULT_LIMIT
    routes += _platform_routes(kam, limits)
    routes += extra_routes or []
    # Bodies are capped before any endpoint reads them (413): bot.http_limits.
    return Starlette(routes=routes, middleware=[Middleware(BodyLimit, limits=limits)])


class BotServer:
    """The web server on a socket it binds itself (port 0 picks a free one)."""

    def __init__(self, kam: App, host: str = "127.0.0.1", port: int = 0) -> None:
        self.kam = kam
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        # Listen now: connections made after "kam ready" wait in the backlog until
        # uvicorn accepts them, instead of being refused while it starts.
        self.sock.listen(2048)
        self.host, self.port = self.sock.getsockname()[:2]
        config = uvicorn.Config(
            create_web_app(kam),
            log_level="warning",
            timeout_graceful_shutdown=kam.settings.drain_seconds,
            access_log=False,
            log_config=None,  # kam's logging (text or JSON) formats uvicorn's lines too
            # A client gets request_timeout_seconds to send a whole request, headers of at
            # most 16 KiB, 5 s of idle keep-alive; past 500 connections a request gets 503
            # (bot/slow_clients.py; the reverse proxy's own limits: docs/operations.md).
            http=protocol_with_timeout(kam.settings.request_timeout_seconds),
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
            h11_max_incomplete_event_size=MAX_HEADER_BYTES,
            limit_concurrency=MAX_CONNECTIONS,
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve(self) -> None:
        """Serve in this thread until SIGTERM/SIGINT (uvicorn installs the handlers)."""
        # After its graceful shutdown uvicorn raises the signal again under the handler
        # that was there before it; a handler of ours makes that a no-op, so the caller
        # still stops the scheduler and kam exits 0 instead of dying by the signal.
        previous = {
            sig: signal.signal(sig, self._exit_on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            self.server.run(sockets=[self.sock])
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _exit_on_signal(self, _sig: int, _frame: object) -> None:
        self.server.should_exit = True

    def start_in_thread(self, timeout: float = 10.0) -> BotServer:
        """For tests: serve on a background thread and wait until it is ready."""
        self.server.config.install_signal_handlers = False  # only the main thread may
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})
        self._thread.daemon = True
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("kam server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.sock.close()


def run_bot(
    kam: App,
    *,
    host: str,
    port: int,
    with_scheduler: bool,
    ready: Callable[[BotServer], None] | None = None,
) -> None:
    """``kam run``: the web server in the foreground, the scheduler beside it."""
    from bot.sweeper import Sweeper

    sweeper = Sweeper(kam.inbox, kam.settings.inbox_sweep_seconds)
    scheduler = None
    if with_scheduler:
        scheduler = build_scheduler(kam)
        scheduler.start()
    server = BotServer(kam, host, port)  # its routes register their inbox finishers
    sweeper.start()
    log.info("kam listening on %s", server.url)
    if ready:
        ready(server)
    try:
        server.serve()
    finally:
        sweeper.stop()
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        kam.close()
