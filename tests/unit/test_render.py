import json

from handlers.render.slack import BLOCK_LIMIT, SECTION_LIMIT, render_blocks
from handlers.render.text import render_text
from handlers.render.wecom import MARKDOWN_LIMIT, render_markdown, render_wecom_text, split_bytes
from handlers.replies import Action, Field, Reply

HOSTILE = "<!channel> & <b> <@U123> @here `code` *bold* [x](http://evil) # h"


def _mrkdwn_texts(obj) -> list[str]:
    """Every string Slack parses for mentions and links: mrkdwn objects and ``text``."""
    found = []
    if isinstance(obj, dict):
        if obj.get("type") == "mrkdwn":
            found.append(obj["text"])
        for key, value in obj.items():
            if key == "text" and isinstance(value, str) and obj.get("type") != "plain_text":
                found.append(value)
            found += _mrkdwn_texts(value)
    elif isinstance(obj, list):
        for item in obj:
            found += _mrkdwn_texts(item)
    return found


def test_slack_escapes_user_text_everywhere():
    reply = Reply(
        title=HOSTILE,
        fields=[Field("Contact", HOSTILE)],
        lines=[HOSTILE],
        actions=[Action(HOSTILE, "visit Acme ")],
        footer=HOSTILE,
    )
    messages = render_blocks(reply)
    out = "\n".join(_mrkdwn_texts(messages))
    assert "<!channel>" not in out and "<@U123>" not in out and "<b>" not in out
    assert "&lt;!channel&gt; &amp; &lt;b&gt;" in out
    assert "`" not in out  # no code block can be opened by user text
    # plain_text objects (header, button labels) are never parsed by Slack
    plain = [b for m in messages for b in m["blocks"] if b["type"] == "header"]
    assert plain[0]["text"]["type"] == "plain_text"
    assert json.loads(messages[0]["blocks"][-2]["elements"][0]["value"])["command"] == "visit Acme "


def test_slack_splits_long_replies_within_limits():
    reply = Reply(title="Digest", lines=[f"line {i} " + "x" * 200 for i in range(2000)])
    messages = render_blocks(reply)
    assert len(messages) > 1
    for message in messages:
        assert len(message["blocks"]) <= BLOCK_LIMIT
        for block in message["blocks"]:
            if block["type"] == "section" and "text" in block:
                assert len(block["text"]["text"]) <= SECTION_LIMIT
    joined = "".join(
        b["text"]["text"]
        for m in messages
        for b in m["blocks"]
        if "text" in b and b["type"] == "section"
    )
    assert "line 1999 " in joined and "line 0 " in joined  # nothing dropped


def test_wecom_markdown_neutralises_mentions_and_syntax():
    reply = Reply(title="客户", lines=["<@all> 王总 **加粗** [链接](http://x)"])
    md = "\n".join(render_markdown(reply))
    assert "<@all>" not in md and "[链接]" not in md and "**加粗**" not in md
    assert "＜@all＞" in md


def test_wecom_splits_by_bytes_never_inside_a_character():
    lines = ["风险客户：华夏重工 已 40 天未联系，负责人 王磊" * 3 for _ in range(60)]
    assert len("\n".join(lines).encode()) > 6000
    chunks = render_markdown(Reply(title="每日风险", lines=lines))
    assert len(chunks) >= 2
    for chunk in chunks:
        assert len(chunk.encode("utf-8")) <= MARKDOWN_LIMIT
        chunk.encode("utf-8").decode("utf-8")  # whole characters only
    assert sum(c.count("华夏重工") for c in chunks) == 180


def test_wecom_one_huge_line_is_split_between_characters():
    chunks = split_bytes(["汉" * 3000], 2048)  # 9000 bytes
    assert [len(c.encode()) <= 2048 for c in chunks] == [True] * len(chunks)
    assert "".join(chunks) == "汉" * 3000


def test_text_renderer_strips_control_characters():
    out = render_text(Reply(title="a\x00b\x1b[31mc", lines=["\u202eevil"]))
    assert "\x00" not in out and "\x1b" not in out and "\u202e" not in out


def test_wecom_text_respects_2048_bytes():
    chunks = render_wecom_text(Reply(title="t", lines=["中" * 100] * 100))
    assert all(len(c.encode()) <= 2048 for c in chunks)
