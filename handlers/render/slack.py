"""Slack Block Kit, within Slack's limits (3000 characters a section, 50 blocks a message).

``render_blocks`` returns a list of messages, each ``{"text": fallback, "blocks": [...]}``:
a long reply is split into several messages rather than cut.
"""

from __future__ import annotations

import json
from typing import Any

from handlers.render.escape import plain, slack_mrkdwn
from handlers.replies import Action, Reply, Severity

SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
FIELDS_PER_SECTION = 10
HEADER_LIMIT = 150
_ICON = {Severity.success: ":white_check_mark: ", Severity.warning: ":warning: ",
         Severity.error: ":x: ", Severity.info: ""}  # fmt: skip


def _text_blocks(lines: list[str]) -> list[dict[str, Any]]:
    """Pack escaped lines into as few sections as fit 3000 characters each."""
    blocks, chunk = [], ""
    for line in lines:
        while len(line) > SECTION_LIMIT:  # one enormous line: split it hard
            if chunk:
                blocks.append(chunk)
                chunk = ""
            blocks.append(line[:SECTION_LIMIT])
            line = line[SECTION_LIMIT:]
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > SECTION_LIMIT:
            blocks.append(chunk)
            chunk = line
        else:
            chunk = candidate
    if chunk:
        blocks.append(chunk)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": b}} for b in blocks if b]


def _button(action: Action, index: int) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(action.label)[:75], "emoji": True},
        "action_id": f"kam_{action.kind}_{index}",
        "value": json.dumps({"command": action.command, "kind": action.kind}, ensure_ascii=False)[
            :2000
        ],
    }
    if action.style in ("primary", "danger"):
        button["style"] = action.style
    return button


def render_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": plain(reply.title)[:HEADER_LIMIT] or "kam"},
        }
    ]
    fields = [
        {"type": "mrkdwn", "text": f"*{slack_mrkdwn(f.label)}*\n{slack_mrkdwn(f.value)}"[:2000]}
        for f in reply.fields
    ]
    for i in range(0, len(fields), FIELDS_PER_SECTION):
        blocks.append({"type": "section", "fields": fields[i : i + FIELDS_PER_SECTION]})
    blocks += _text_blocks([slack_mrkdwn(line) for line in reply.lines])
    for section in reply.sections:
        lines = [f"*{slack_mrkdwn(section.title)}*"] if section.title else []
        lines += [slack_mrkdwn(line) for line in section.lines]
        blocks += _text_blocks(lines)
    if reply.actions:
        buttons = [_button(a, i) for i, a in enumerate(reply.actions)]
        for i in range(0, len(buttons), 25):
            blocks.append({"type": "actions", "elements": buttons[i : i + 25]})
    if reply.footer:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": slack_mrkdwn(reply.footer)}],
            }
        )
    fallback = _ICON[reply.severity] + slack_mrkdwn(reply.title)
    messages = []
    for i in range(0, len(blocks), BLOCK_LIMIT):
        messages.append({"text": fallback[:3000], "blocks": blocks[i : i + BLOCK_LIMIT]})
    return messages
