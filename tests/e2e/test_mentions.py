"""A person mentioned in Slack (``<@U0DANA|scully>``) and in WeCom (``<@dana.wx>``)
reaches the command as the same neutral reference and means the same kam user, over
the real HTTP paths of both platforms (one server, both configured)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings, SlackSettings
from bot.slack.markup import read as read_slack
from bot.wecom.markup import read as read_wecom
from domain.models import User
from handlers.commands import command_table
from handlers.dispatcher import Dispatcher, Incoming
from handlers.parsing.users import UserCommand
from handlers.people import UserRef
from storage import users
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e import fake_slack, fake_wecom
from tests.e2e.fake_slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack, SlackCaller
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, wecom_settings
from tests.harness import book


def _dana(engine) -> None:
    with unit_of_work(engine) as s:
        f.user(s, "dana", display_name="Dana Scully", slack_id="U0DANA", wecom_id="dana.wx")


def test_both_mention_forms_parse_to_the_same_command(engine):
    book(engine)
    _dana(engine)
    dispatcher = Dispatcher(engine, Settings(), commands=command_table())
    slack_text, slack_refs = read_slack("/user <@U0DANA|dana>")
    wecom_text, wecom_refs = read_wecom("/user <@dana>")
    assert "<@" not in slack_text + wecom_text
    assert [(r.platform, r.external_id) for r in slack_refs] == [("slack", "U0DANA")]
    assert [(r.platform, r.external_id) for r in wecom_refs] == [("wecom", "dana")]
    parsed = [
        dispatcher.parse_only(Incoming(text, actor="admin", mentions=refs))[1]
        for text, refs in ((slack_text, slack_refs), (wecom_text, wecom_refs))
    ]
    assert parsed[0] == parsed[1] == UserCommand(action="show", target=UserRef(handle="dana"))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from fake_slack.running_fake()


@pytest.fixture
def wecom() -> Iterator[FakeWecom]:
    with fake_wecom.running_fake() as fake:
        yield fake


def test_a_slack_and_a_wecom_mention_name_the_same_user(slack, wecom, start_server, engine):
    ids = book(engine)
    _dana(engine)
    with unit_of_work(engine) as s:
        users.set_identity(s, s.get(User, ids["admin"]), "wecom", "kamadmin")
    settings = wecom_settings(wecom).model_copy(
        update={
            "slack": SlackSettings(
                bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, api_url=slack.api_url
            )
        }
    )
    server = start_server(settings)

    # the Slack token (scully) and the WeCom one (dana.wx) are nobody's handle: only the
    # identity the adapter attached finds Dana
    SlackCaller(server.url).slash("/kam", "user <@U0DANA|scully>", user="U0BOB",
                                  response_url=slack.response_url("show"))  # fmt: skip
    [shown] = slack.wait_for("response_url")
    assert "Dana Scully (@dana)" in str(shown.blocks)

    peer = WecomPeer(server.url)
    content = peer.open_reply(peer.post(peer.text("kamadmin", "/user <@dana.wx>")))["Content"]
    assert "Dana Scully (@dana)" in content
