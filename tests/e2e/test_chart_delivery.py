"""A person asks for their goals and gets the chart where they asked, over real HTTP:
a Slack DM answered with the text and the chart through the v2 upload flow; a WeCom
message answered with markdown, then media/upload and an image message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from domain.models import User
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_slack import FakeSlack, SlackEnv, slack_env
from tests.e2e.fake_slack import running_fake as running_slack
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, wecom_settings
from tests.e2e.fake_wecom import running_fake as running_wecom
from tests.e2e.png import MAX_CHART_BYTES

YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


def _goal(engine, handle: str) -> None:
    with unit_of_work(engine) as s:
        user = s.exec(select(User).where(User.handle == handle)).one()
        f.goal(s, year=YEAR, metric="won_revenue", target="10000000", user=user)


@pytest.fixture
def slack_fake() -> Iterator[FakeSlack]:
    yield from running_slack()


@pytest.fixture
def slack(slack_fake, start_server, engine) -> SlackEnv:
    return slack_env(slack_fake, start_server, engine)


def test_a_slack_dm_asking_for_goals_gets_the_text_then_the_chart(slack, engine):
    _goal(engine, "alice")
    slack.slack.dm("U0ALICE", "goal")

    slack.fake.wait_for("files.completeUploadExternal", timeout=20)
    [text] = slack.fake.calls("chat.postMessage")
    assert text.body["channel"] == "DU0ALICE"
    assert text.blocks[0]["text"]["text"] == f"Goals {YEAR} — Alice Chen"
    [upload] = slack.fake.uploads()
    assert upload.channel == "DU0ALICE"
    assert upload.size_px == (800, 450)
    assert len(upload.data) <= MAX_CHART_BYTES
    assert upload.alt_txt.startswith("won revenue of Alice Chen")
    assert text.at < slack.fake.calls("files.completeUploadExternal")[0].at


def test_a_slash_command_in_a_channel_answers_ephemerally_and_dms_the_chart(slack, engine):
    _goal(engine, "alice")
    slack.slack.slash("/goal", "", user="U0ALICE", channel="C0EAST",
                      response_url=slack.fake.response_url())  # fmt: skip

    slack.fake.wait_for("files.completeUploadExternal", timeout=20)
    [answer] = slack.fake.wait_for("response_url")
    assert answer.body["response_type"] == "ephemeral"
    assert "The chart is in your direct messages with kam." in answer.block_text()
    [upload] = slack.fake.uploads()
    assert upload.channel == "DU0ALICE"
    assert upload.initial_comment == f"Goals {YEAR} — Alice Chen"


@pytest.fixture
def wecom_fake() -> Iterator[FakeWecom]:
    with running_wecom() as fake:
        yield fake


def test_a_wecom_member_gets_markdown_then_the_chart_as_an_image(wecom_fake, start_server,
                                                                 engine):  # fmt: skip
    from tests.harness import book

    book(engine)
    _goal(engine, "wang")
    peer = WecomPeer(start_server(wecom_settings(wecom_fake)).url)
    response = peer.post(peer.text("wanglei", "/目标"))
    assert response.status_code == 200
    assert response.content == b""  # a chart cannot ride a passive reply: sent actively

    text, picture = wecom_fake.wait_for("message/send", 2, timeout=20)
    assert text["msgtype"] == "markdown" and f"{YEAR} 年目标" in text["markdown"]["content"]
    assert picture["msgtype"] == "image" and picture["touser"] == "wanglei"
    [media] = wecom_fake.media.values()
    assert media.size_px == (800, 450)
    assert len(media.data) <= MAX_CHART_BYTES
