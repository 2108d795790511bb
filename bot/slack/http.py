"""Slack over HTTP: ``POST /slack/events`` for events, slash commands and interactivity.

bolt verifies every request before any listener sees it: the ``X-Slack-Signature`` is
HMAC-SHA256 of ``v0:{timestamp}:{body}`` with ``SLACK_SIGNING_SECRET``, and a
``X-Slack-Request-Timestamp`` more than five minutes off is refused too (replays).
Either failure is a 401 and nothing runs.

bolt's dispatch is synchronous; it runs on Starlette's thread pool so a slow moment
(the first ``auth.test``) never blocks the server's event loop.  The listeners only
acknowledge (``bot.slack.app``), so the response goes back well within Slack's 3 s.
"""

from __future__ import annotations

from slack_bolt import App as BoltApp
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.bootstrap import App
from bot.slack.app import create_bolt_app

EVENTS_PATH = "/slack/events"


def slack_endpoint(bolt: BoltApp):
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        bolt_response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(bolt_response)

    return endpoint


def slack_routes(kam: App, bolt: BoltApp | None = None) -> list[Route]:
    """The Slack route for ``kam run``'s server (``bot.server``)."""
    bolt = bolt or create_bolt_app(kam)
    return [Route(EVENTS_PATH, slack_endpoint(bolt), methods=["POST"])]
