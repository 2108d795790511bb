"""Slack's message markup in, plain text out (``bot.slack.markup``)."""

from __future__ import annotations

import pytest

from bot.slack.markup import read, strip_mention, to_plain


@pytest.mark.parametrize(
    ("sent", "read"),
    [
        ("visit Acme met Li Wei", "visit Acme met Li Wei"),
        ("&lt;b&gt; &amp; Co", "<b> & Co"),
        ("&amp;lt; stays literal", "&lt; stays literal"),
        ("&lt;!channel&gt; typed, not a mention", "<!channel> typed, not a mention"),
        ("user add <@U0123ABC|carol> rep", "user add @carol rep"),
        ("user add <@U0123ABC> rep", "user add @U0123ABC rep"),
        ("see <#C0EAST|east>", "see #east"),
        ("<!here> <!channel> <!everyone>", "@here @channel @everyone"),
        ("ping <!subteam^S0EAST|@east-sales>", "ping @east-sales"),
        ("on <!date^1392734382^{date_short}|Feb 18, 2014>", "on Feb 18, 2014"),
        ("site <https://acme.example/a?b=1&amp;c=2>", "site https://acme.example/a?b=1&c=2"),
        ("site <https://acme.example|Acme &amp; Co>", "site Acme & Co"),
        ("mail <mailto:li@acme.example|li@acme.example>", "mail li@acme.example"),
        ("mail <mailto:li@acme.example>", "mail li@acme.example"),
        ("拜访 华夏重工 见了&lt;王总&gt;", "拜访 华夏重工 见了<王总>"),
    ],
)
def test_to_plain(sent, read):
    assert to_plain(sent) == read


def test_strip_mention_removes_only_the_bot_at_the_start():
    assert strip_mention("<@UKAMBOT> account Acme", "UKAMBOT") == "account Acme"
    assert strip_mention("<@UKAMBOT>: account Acme", "UKAMBOT") == "account Acme"
    assert strip_mention("<@UKAMBOT|kam> 客户 华夏", "UKAMBOT") == "客户 华夏"
    assert strip_mention("<@U0BOB> account Acme", "UKAMBOT") == "<@U0BOB> account Acme"
    assert strip_mention("account <@UKAMBOT>", "UKAMBOT") == "account <@UKAMBOT>"


def test_mentions_are_read_in_order_once_each():
    text, mentions = read("user add <@U0DANA|dana> manager <@U0BOB> cc <@U0DANA>")
    assert text == "user add @dana manager @U0BOB cc @dana"
    assert [(m.platform, m.external_id, m.token) for m in mentions] == [
        ("slack", "U0DANA", "dana"),
        ("slack", "U0BOB", "U0BOB"),
    ]
