"""User HTML never comes back live in a WeCom text reply (issue 15, item 5).

WeCom text messages render ``<a href=…>`` as a link: a note one member logged must
reach another member as the text they typed, not as a link kam seems to send."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.models import Team
from storage.session import unit_of_work
from tests import factories as f
from tests.e2e.fake_wecom import FakeWecom, WecomPeer, running_fake, wecom_settings
from tests.harness import book

LINK = '<a href="http://ev.il/x">续费</a>'


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    with running_fake() as fake:
        yield fake


@pytest.fixture
def peer(start_server, engine, fake) -> WecomPeer:
    ids = book(engine)
    with unit_of_work(engine) as s:  # a second member on WeCom: wang's team's other manager
        team = s.get(Team, ids["huadong"])
        f.user(s, "zhao", team=team, role="manager", manages=(team,), language="zh",
               display_name="赵六", wecom_id="bob")  # fmt: skip
    fake.members["bob"] = "赵六"
    return WecomPeer(start_server(wecom_settings(fake)).url)


def test_a_link_in_a_note_reaches_another_member_as_text_not_a_live_tag(peer):
    logged = peer.open_reply(peer.post(peer.text("wanglei", f"/拜访 华夏重工 见了王建国 {LINK}")))
    assert "已记录拜访" in logged["Content"]

    reply = peer.open_reply(peer.post(peer.text("bob", "/客户 华夏重工")))
    content = reply["Content"]
    assert reply["MsgType"] == "text"
    assert "ev.il/x" in content, content  # the note is there, as text
    assert "<a" not in content and "</a>" not in content and "<" not in content
    assert "＜a href=" in content  # shown as typed, with full-width brackets
