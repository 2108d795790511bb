"""A reply's chart reaching the fake WeCom after its markdown: media/upload then an
``image`` message for a member or an app chat, base64 + md5 for a group robot; a chart
that cannot go leaves the text delivered and says so in the log."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from bot.wecom.client import WecomApiError, WecomClient
from bot.wecom.notifier import WecomNotifier
from handlers.notify import Recipient
from handlers.replies import Chart, Reply, Series
from tests.e2e.fake_wecom import FakeWecom, running_fake, wecom_settings
from tests.e2e.png import MAX_CHART_BYTES, decode_png

WANG = Recipient("wecom", "user", "wanglei", "user:wang", "zh")
CHAT = Recipient("wecom", "channel", "wrEast", "team:华东", "zh")
ROBOT = Recipient("wecom", "webhook", "robot-key-1", "team:华东", "zh")


def goal_reply() -> Reply:
    chart = Chart(
        "hbars",
        "华东团队 目标完成率",
        ("王磊 · 赢单金额", "李娜 · 赢单金额", "华东 · 跟进次数"),
        (Series("已完成", (45.0, 92.0, 60.0)),),
        alt="每人目标完成率对比进度线",
        unit="%",
        reference=(88.0, 88.0, 88.0),
        reference_label="进度线",
    )
    return Reply(title="本周目标进度", lines=["王磊 · 赢单金额 45% · 应达 88%"], chart=chart)


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with running_fake() as fake:
        yield fake


@pytest.fixture
def notifier(fake, engine) -> WecomNotifier:
    settings = wecom_settings(fake).wecom
    client = WecomClient.from_settings(settings, engine, sleep=lambda _s: None)
    return WecomNotifier(client, agent_id=settings.agent_id)


def test_a_member_gets_the_markdown_then_the_uploaded_chart(fake, notifier):
    notifier.send(WANG, goal_reply())

    assert [c.path for c in fake.calls if c.path != "gettoken"] == [
        "message/send",
        "media/upload",
        "message/send",
    ]
    text, picture = fake.delivered("message/send")
    assert text["msgtype"] == "markdown" and "本周目标进度" in text["markdown"]["content"]
    assert picture["msgtype"] == "image" and picture["touser"] == "wanglei"
    assert picture["agentid"] == fake.agent_id
    [media] = fake.media.values()
    assert media.size_px == (800, 450)  # decoded by the fake
    assert media.content_type == "image/png" and media.filename == "kam-hbars.png"
    assert 5_000 < len(media.data) <= MAX_CHART_BYTES
    [(_body, png)] = fake.pictures("message/send")
    assert png == media.data


def test_an_app_chat_gets_the_chart_too(fake, notifier):
    notifier.send(CHAT, goal_reply())
    [(body, png)] = fake.pictures("appchat/send")
    assert body["chatid"] == "wrEast"
    assert decode_png(png) == (800, 450)


def test_a_group_robot_gets_the_chart_as_base64_with_its_md5(fake, notifier):
    notifier.send(ROBOT, goal_reply())

    text, _picture = fake.delivered("webhook/send")
    assert text["msgtype"] == "markdown"
    [(body, png)] = fake.pictures("webhook/send")
    assert body["image"]["md5"] == hashlib.md5(png).hexdigest()
    assert decode_png(png) == (800, 450)
    assert len(png) <= 2 * 1024 * 1024


def test_the_fake_refuses_a_wrong_md5_or_an_unknown_media_id(fake, notifier):
    """The fake's checks can fail, as WeCom's do."""
    import base64

    notifier.client.post_webhook("robot-key-1", {"msgtype": "markdown",
                                                 "markdown": {"content": "x"}})  # fmt: skip
    png = _png()
    bad = {"base64": base64.b64encode(png).decode(), "md5": "0" * 32}
    with pytest.raises(WecomApiError, match="40058"):
        notifier.client.post_webhook("robot-key-1", {"msgtype": "image", "image": bad})
    with pytest.raises(WecomApiError, match="40007"):
        notifier.client.call("POST", "appchat/send", json={
            "chatid": "wrEast", "msgtype": "image", "image": {"media_id": "nope"}})  # fmt: skip
    with pytest.raises(WecomApiError, match="40113"):
        notifier.client.upload_media("image", "x.png", b"not a png", "image/png")


def _png() -> bytes:
    from handlers.render.charts import render_chart

    return render_chart(goal_reply().chart).png


def test_a_refused_upload_leaves_the_text_delivered_and_logged(fake, notifier, caplog):
    fake.fail("media/upload", 45009, times=4)  # busy beyond the back-off
    notifier.send(WANG, goal_reply())  # does not raise: the ledger must not send it again

    [text] = fake.delivered("message/send")
    assert text["msgtype"] == "markdown"
    assert fake.pictures("message/send") == []
    assert "chart to user:wang not sent" in caplog.text


def test_a_reply_without_a_chart_sends_no_picture(fake, notifier):
    notifier.send(WANG, Reply(title="没有图表"))
    assert [c.path for c in fake.calls if c.path != "gettoken"] == ["message/send"]
