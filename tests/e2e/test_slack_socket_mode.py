"""Socket Mode: kam dials Slack (no public URL, no request signatures) and handles the
same events and slash commands as over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.bootstrap import build_app
from bot.config import Settings, SlackSettings
from bot.slack.socket_mode import start_socket_mode
from domain.errors import InvalidInput
from tests.e2e.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    FakeSlack,
    FakeSocketMode,
    dm_event,
    event_callback,
    running_fake,
    slash_payload,
)
from tests.harness import book


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


def settings(fake: FakeSlack, app_token: str = APP_TOKEN) -> Settings:
    slack = SlackSettings(bot_token=BOT_TOKEN, app_token=app_token, api_url=fake.api_url)
    return Settings(slack=slack)


def test_socket_mode_answers_dms_and_slash_commands(fake, engine):
    book(engine)
    with FakeSocketMode() as slack_end:
        fake.socket_url = slack_end.url
        handler = start_socket_mode(build_app(settings(fake), engine=engine))
        try:
            dm = slack_end.send_envelope(
                "events_api", event_callback(dm_event("U0ALICE", "account Acme"))
            )
            slack_end.wait_for_ack(dm)
            [reply] = fake.wait_for("chat.postMessage")
            assert reply.body["channel"] == "DU0ALICE"
            assert reply.blocks[0]["text"]["text"] == "Acme (ACME Corp)"

            command = slash_payload("/visit", "Acme met Li Wei", user="U0ALICE",
                                    response_url=fake.response_url("socket"))  # fmt: skip
            slash = slack_end.send_envelope(
                "slash_commands", command, accepts_response_payload=True
            )
            slack_end.wait_for_ack(slash)
            [answer] = fake.wait_for("response_url")
            assert answer.blocks[0]["text"]["text"] == "Logged visit with Acme"
        finally:
            handler.close()  # waits out slack_sdk's 3 s socket receive timeout
    [opened] = fake.calls("apps.connections.open")
    assert opened.token == APP_TOKEN


def test_socket_mode_needs_an_app_level_token(fake, engine):
    with pytest.raises(InvalidInput, match="xapp-"):
        start_socket_mode(build_app(settings(fake, app_token=BOT_TOKEN), engine=engine))
