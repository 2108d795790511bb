"""A reply's chart reaching the fake Slack through the v2 upload flow
(files.getUploadURLExternal → the upload URL → files.completeUploadExternal), where the
answer went; an ephemeral answer's chart in the asker's DM, said under the answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import SlackSettings
from bot.slack.delivery import Origin, Responder
from bot.slack.notifier import SlackNotifier
from handlers.notify import Recipient, SendError
from handlers.replies import Chart, Image, Reply, Series, Visibility
from tests.e2e.fake_slack import BOT_TOKEN, FakeSlack, running_fake
from tests.e2e.png import MAX_CHART_BYTES

ALICE = Recipient("slack", "user", "U0ALICE", "user:alice")
EAST = Recipient("slack", "channel", "C0EAST", "team:East")


def goal_reply(lang: str = "en", visibility: Visibility = Visibility.private) -> Reply:
    zh = lang == "zh"
    chart = Chart(
        "bars",
        "赢单金额 2026 · 王磊" if zh else "Won revenue 2026 · Alice Chen",
        ("1月", "2月", "3月") if zh else ("Jan", "Feb", "Mar"),
        (Series("累计完成" if zh else "Won to date", (2e5, 5e5, 6e5)),),
        alt="累计完成对比进度线" if zh else "Won to date against the pace line",
        unit="¥",
        reference=(2.5e5, 5e5, 7.5e5),
        reference_label="进度线" if zh else "Pace",
    )
    title = "目标进度" if zh else "Goal progress"
    return Reply(title=title, lines=["¥600K / ¥3M"], chart=chart, visibility=visibility)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    yield from running_fake()


@pytest.fixture
def notifier(fake) -> SlackNotifier:
    return SlackNotifier.from_settings(SlackSettings(bot_token=BOT_TOKEN, api_url=fake.api_url))


def _order(fake: FakeSlack) -> list[str]:
    return [c.method for c in fake.calls() if c.method != "conversations.open"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_pushed_chart_follows_the_text_in_the_dm(fake, notifier, lang):
    reply = goal_reply(lang)
    notifier.send(ALICE, reply)

    assert _order(fake) == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    [upload] = fake.uploads()
    assert upload.channel == "DU0ALICE"
    assert upload.size_px == (800, 450)  # decoded by the fake
    assert 5_000 < len(upload.data) <= MAX_CHART_BYTES
    assert upload.filename == "kam-bars.png"
    assert upload.alt_txt == reply.chart.alt
    [asked] = fake.calls("files.getUploadURLExternal")
    assert int(asked.body["length"]) == len(upload.data)
    assert asked.token == BOT_TOKEN


def test_a_team_push_shares_the_chart_in_the_channel(fake, notifier):
    notifier.send(EAST, goal_reply())
    [upload] = fake.uploads()
    assert upload.channel == "C0EAST"


def test_a_public_answer_shares_its_chart_where_it_was_asked(fake, notifier):
    origin = Origin("U0ALICE", "C0EAST", thread_ts="1700000000.000100")
    Responder(notifier).answer(origin, goal_reply(visibility=Visibility.public))

    [posted] = fake.calls("chat.postMessage")
    assert posted.body["channel"] == "C0EAST"
    [upload] = fake.uploads()
    assert (upload.channel, upload.thread_ts) == ("C0EAST", "1700000000.000100")


@pytest.mark.parametrize(
    ("lang", "note"),
    [("en", "The chart is in your direct messages"), ("zh", "图表已发到你与 kam 的私信中")],
)
def test_an_ephemeral_answer_sends_its_chart_to_the_dm_and_says_so(fake, notifier, lang, note):
    Responder(notifier).answer(Origin("U0ALICE", "C0EAST"), goal_reply(lang))

    [upload] = fake.uploads()
    assert upload.channel == "DU0ALICE"
    assert upload.initial_comment == goal_reply(lang).title  # the DM says what it is
    [ephemeral] = fake.calls("chat.postEphemeral")
    assert ephemeral.body["channel"] == "C0EAST"
    assert note in ephemeral.block_text()


def test_an_ephemeral_through_the_response_url_does_the_same(fake, notifier):
    origin = Origin("U0ALICE", "C0EAST", response_url=fake.response_url())
    Responder(notifier).answer(origin, goal_reply())

    [answer] = fake.calls("response_url")
    assert answer.body["response_type"] == "ephemeral"
    assert "The chart is in your direct messages" in answer.block_text()
    assert [u.channel for u in fake.uploads()] == ["DU0ALICE"]


def test_a_channel_kam_is_not_in_gets_the_text_and_the_dm_the_chart(fake, notifier):
    fake.not_in.add("C0EAST")
    origin = Origin("U0ALICE", "C0EAST", response_url=fake.response_url())
    Responder(notifier).answer(origin, goal_reply(visibility=Visibility.public))

    [answer] = fake.calls("response_url")
    assert answer.body["response_type"] == "in_channel"
    [refused] = fake.calls("files.completeUploadExternal", ok=False)
    assert refused.body["channel_id"] == "C0EAST"
    assert [u.channel for u in fake.uploads()] == ["DU0ALICE"]


def test_an_upload_that_fails_leaves_the_text_delivered_and_logs(fake, notifier, caplog):
    fake.fail("files.getUploadURLExternal", error="missing_scope")
    notifier.send(ALICE, goal_reply())  # does not raise: the ledger must not send it again

    assert len(fake.calls("chat.postMessage")) == 1
    assert fake.uploads() == []
    assert "chart to user:alice not uploaded" in caplog.text


def test_a_reply_without_a_chart_uploads_nothing(fake, notifier):
    notifier.send(ALICE, Reply(title="no chart"))
    assert fake.calls("files.getUploadURLExternal") == []


def test_the_fake_refuses_what_is_not_a_whole_png(fake, notifier):
    """The fake's checks can fail: a cut PNG never reaches the channel."""
    from handlers.render.charts import render_chart

    png = render_chart(goal_reply().chart).png
    for data in (b"GIF89a not a png", png[: len(png) // 2]):
        with pytest.raises(SendError, match="chart upload"):
            notifier.upload("C0EAST", Image(png=data, alt="broken"))
    assert [c.status for c in fake.calls("upload")] == [400, 400]
    assert fake.uploads() == []
