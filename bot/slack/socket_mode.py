"""Slack over Socket Mode: kam dials out to Slack, so no public URL is needed.

Used when ``SLACK_APP_TOKEN`` (an ``xapp-`` app-level token with ``connections:write``)
is set.  The same bolt app and listeners as over HTTP; Slack authenticates the socket,
so there is no request signature to check.  The connection runs on its own threads
beside ``kam run``'s web server and reconnects by itself.
"""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.bootstrap import App
from bot.slack.app import create_bolt_app
from domain.errors import InvalidInput

log = logging.getLogger(__name__)


def start_socket_mode(kam: App) -> SocketModeHandler:
    """Connect in the background; ``.close()`` the returned handler to disconnect."""
    token = kam.settings.slack.app_token
    if not token or not token.startswith("xapp-"):
        raise InvalidInput("SLACK_APP_TOKEN must be an app-level token (xapp-…)")
    bolt = create_bolt_app(kam)
    handler = SocketModeHandler(bolt, app_token=token)  # apps.connections.open via SLACK_API_URL
    handler.connect()
    log.info("Slack Socket Mode connected")
    return handler
