"""Block Kit surfaces beyond messages: the App Home tab and the command modal.

The modal is how a "Log visit" button saves typing: the button carries the command
(``visit Acme ``), the modal opens with the account filled in, and its submission is
run as if the person had typed ``/visit Acme <what they wrote>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from handlers.i18n import Catalog
from handlers.registry import CommandSpec
from handlers.render.escape import plain, slack_mrkdwn
from handlers.render.slack import render_blocks
from handlers.replies import Reply

HOME_BLOCK_LIMIT = 100
MODAL_TITLE_LIMIT = 24
PLACEHOLDER_LIMIT = 150
MODAL_CALLBACK = "kam_command"
ACCOUNT_BLOCK, DETAILS_BLOCK, VALUE_ACTION = "account", "details", "value"

_ = Catalog("bot.slack.views")


def home_view(replies: list[Reply], lang: str) -> dict[str, Any]:
    """The App Home tab: the replies one after another, within the 100-block limit."""
    blocks: list[dict[str, Any]] = []
    for i, reply in enumerate(replies):
        if i:
            blocks.append({"type": "divider"})
        for message in render_blocks(reply):
            blocks += message["blocks"]
    if len(blocks) > HOME_BLOCK_LIMIT:
        blocks = blocks[: HOME_BLOCK_LIMIT - 1]
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _("more", lang)}]}
        )
    return {"type": "home", "blocks": blocks}


def takes_account(spec: CommandSpec | None) -> bool:
    """Does the command's usage start with the account (``/visit ACCOUNT …``)?"""
    return spec is not None and spec.text("usage", "en").split()[1:2] == ["ACCOUNT"]


@dataclass(frozen=True)
class ModalCommand:
    """What a modal runs: the command word, the account (None when the command takes
    none, and the form has one box) and the rest of the line."""

    word: str
    account: str | None
    details: str = ""

    def text(self) -> str:
        """The command line to run (an account name with spaces is quoted)."""
        parts = [self.word]
        account = (self.account or "").strip()
        if account:
            needs_quotes = any(c.isspace() for c in account) and '"' not in account
            parts.append(f'"{account}"' if needs_quotes else account)
        if self.details.strip():
            parts.append(self.details.strip())
        return " ".join(parts)


def _input(block_id: str, label: str, *, initial: str = "", multiline: bool = False,
           optional: bool = False, placeholder: str = "") -> dict[str, Any]:  # fmt: skip
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE_ACTION,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = {"type": "plain_text", "text": placeholder[:PLACEHOLDER_LIMIT]}
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _example_details(spec: CommandSpec | None, lang: str) -> str:
    """The part of the command's example after the command and the account."""
    if spec is None:
        return ""
    parts = spec.text("example", lang).split(maxsplit=2)
    return parts[2] if len(parts) == 3 else ""


def command_modal(
    cmd: ModalCommand, spec: CommandSpec | None, lang: str, metadata: dict[str, Any]
) -> dict[str, Any]:
    """The form for ``cmd``; ``spec`` is its command's (None for a word kam lacks)."""
    title = spec.text("summary", lang) if spec else f"/{cmd.word}"
    if cmd.account is not None:
        blocks = [
            _input(ACCOUNT_BLOCK, _("account", lang), initial=cmd.account),
            _input(
                DETAILS_BLOCK,
                _("details", lang),
                initial=cmd.details,
                multiline=True,
                optional=True,
                placeholder=_example_details(spec, lang),
            ),
        ]
    else:
        blocks = [_input(DETAILS_BLOCK, title, initial=cmd.details, multiline=True)]
    if spec is not None:
        usage = f"{_('usage', lang)}: {slack_mrkdwn(spec.text('usage', lang))}"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": usage}]})
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "title": {"type": "plain_text", "text": plain(title)[:MODAL_TITLE_LIMIT]},
        "submit": {"type": "plain_text", "text": _("save", lang)},
        "close": {"type": "plain_text", "text": _("cancel", lang)},
        "private_metadata": json.dumps({"word": cmd.word, **metadata}),
        "blocks": blocks,
    }


def submitted_text(view: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The command line a modal submission runs, and the metadata it was opened with."""
    metadata = json.loads(view.get("private_metadata") or "{}")
    values = view.get("state", {}).get("values", {})

    def value(block: str) -> str:
        return (values.get(block, {}).get(VALUE_ACTION) or {}).get("value") or ""

    account = value(ACCOUNT_BLOCK) if ACCOUNT_BLOCK in values else None
    cmd = ModalCommand(str(metadata.get("word", "")), account, value(DETAILS_BLOCK))
    return cmd.text(), metadata
