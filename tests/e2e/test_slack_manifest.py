"""The Slack app manifest is generated from the command table and committed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.bootstrap import build_commands
from bot.slack.app import slash_commands
from bot.slack.cli import slack_app
from bot.slack.manifest import MANIFEST_PATH, build_manifest, manifest_json

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_manifest_is_the_generated_one():
    committed = (REPO / MANIFEST_PATH).read_text(encoding="utf-8")
    assert committed == manifest_json(), (
        "slack/manifest.json is stale: run `kam slack manifest -o slack/manifest.json`"
    )


def test_every_slash_command_kam_listens_to_is_declared():
    declared = [c["command"] for c in build_manifest()["features"]["slash_commands"]]
    assert declared == slash_commands(build_commands())
    assert "/kam" in declared
    for spec in build_commands():
        assert (f"/{spec.name}" in declared) is spec.slash


def test_slash_commands_describe_themselves_from_the_table():
    commands = {c["command"]: c for c in build_manifest()["features"]["slash_commands"]}
    account = commands["/account"]
    spec = build_commands().find("account")
    assert spec.text("summary", "en") in account["description"]
    assert spec.text("summary", "zh") in account["description"]
    assert account["usage_hint"] == spec.text("usage", "en").removeprefix("/account ")
    assert account["usage_hint"].startswith("NAME")
    assert all(c["should_escape"] for c in commands.values())  # mentions arrive as ids


def test_socket_mode_needs_no_urls_and_http_points_everything_at_slack_events():
    socket_mode = build_manifest()
    assert socket_mode["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in json.dumps(socket_mode)
    assert '"url"' not in json.dumps(socket_mode)

    http = build_manifest("https://kam.example.com/")
    settings = http["settings"]
    assert settings["socket_mode_enabled"] is False
    url = "https://kam.example.com/slack/events"
    assert settings["event_subscriptions"]["request_url"] == url
    assert settings["interactivity"] == {"is_enabled": True, "request_url": url}
    assert {c["url"] for c in http["features"]["slash_commands"]} == {url}


def test_the_manifest_asks_for_what_kam_uses():
    manifest = build_manifest()
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
        "message.im",
    }
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "im:history", "users:read.email"} <= scopes
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert len(manifest["display_information"]["description"]) <= 140


def test_kam_slack_manifest_prints_or_writes_it(tmp_path):
    runner = CliRunner()
    printed = runner.invoke(slack_app, ["manifest", "--url", "https://kam.example.com"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == build_manifest("https://kam.example.com")

    out = tmp_path / "manifest.json"
    written = runner.invoke(slack_app, ["manifest", "-o", str(out)])
    assert written.exit_code == 0, written.output
    assert out.read_text(encoding="utf-8") == manifest_json()

    refused = runner.invoke(slack_app, ["manifest", "--url", "http://kam.example.com"])
    assert refused.exit_code == 2
