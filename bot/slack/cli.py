"""``kam slack …``: setting kam up as a Slack app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

slack_app = typer.Typer(no_args_is_help=True)


@slack_app.callback()
def slack() -> None:
    """Slack: the app manifest (see README, "Connect to Slack")."""


@slack_app.command("manifest")
def manifest(
    url: Annotated[
        str | None,
        typer.Option(
            help="kam's public base URL (HTTP mode), e.g. https://kam.example.com; "
            "without it the manifest is for Socket Mode"
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", dir_okay=False, help="Write to this file")
    ] = None,
) -> None:
    """Print the Slack app manifest generated from the command table."""
    from bot.slack.manifest import manifest_json

    if url is not None and not url.startswith("https://"):
        typer.echo("kam: Slack only calls https:// URLs", err=True)
        raise typer.Exit(2)
    text = manifest_json(url)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
