"""WeCom (企业微信) markdown and text, split to WeCom's byte limits.

Markdown messages may be at most 4096 bytes and text messages 2048 bytes (UTF-8).
A long reply is split at line boundaries into several messages; a single line longer
than the limit is split between characters, never inside one.
"""

from __future__ import annotations

from typing import Any

from handlers.render.escape import plain, wecom_markdown, wecom_text
from handlers.replies import Reply, Severity

MARKDOWN_LIMIT = 4096
TEXT_LIMIT = 2048
CARD_BUTTONS = 6  # button_interaction: at most six buttons
CARD_TITLE = 36  # main_title.title: WeCom advises at most 26 characters, cuts later
CARD_SUBTITLE = 160  # sub_title_text: advised at most 160 characters
CARD_BUTTON_TEXT = 10  # a button's text: advised at most 10 characters
_COLOR = {Severity.success: "info", Severity.warning: "warning", Severity.error: "warning"}


def _markdown_lines(reply: Reply) -> list[str]:
    title = wecom_markdown(reply.title)
    color = _COLOR.get(reply.severity)
    lines = [f'### <font color="{color}">{title}</font>' if color else f"### {title}"]
    lines += [f"> **{wecom_markdown(f.label)}**：{wecom_markdown(f.value)}" for f in reply.fields]
    lines += [wecom_markdown(line) for line in reply.lines]
    for section in reply.sections:
        lines.append("")
        if section.title:
            lines.append(f"**{wecom_markdown(section.title)}**")
        lines += [wecom_markdown(line) for line in section.lines]
    if reply.actions and reply.question is None:  # a question's lines number its choices
        lines.append("")
        lines += [
            f"▸ {wecom_markdown(a.label)}：/{wecom_markdown(a.command)}" for a in reply.actions
        ]
    if reply.footer:
        lines.append(f'<font color="comment">{wecom_markdown(reply.footer)}</font>')
    return lines


def _text_lines(reply: Reply) -> list[str]:
    from handlers.render.text import render_text

    return render_text(reply).split("\n")


def split_bytes(lines: list[str], limit: int) -> list[str]:
    """Join lines into chunks of at most ``limit`` UTF-8 bytes, breaking between lines."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in _split_long_line(line, limit):
            cost = len(piece.encode()) + (1 if current else 0)
            if current and size + cost > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                cost = len(piece.encode())
            current.append(piece)
            size += cost
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()]


def _split_long_line(line: str, limit: int) -> list[str]:
    if len(line.encode()) <= limit:
        return [line]
    pieces, current, size = [], [], 0
    for ch in line:
        n = len(ch.encode())
        if size + n > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current:
        pieces.append("".join(current))
    return pieces


def render_markdown(reply: Reply, limit: int = MARKDOWN_LIMIT) -> list[str]:
    return split_bytes(_markdown_lines(reply), limit)


def render_wecom_text(reply: Reply, limit: int = TEXT_LIMIT) -> list[str]:
    """A reply as WeCom text messages (passive replies, and the fallback when markdown
    is refused): no tag or mention survives (``wecom_text``)."""
    return split_bytes([wecom_text(line) for line in _text_lines(reply)], limit)


def render_question_card(reply: Reply, task_id: str) -> dict[str, Any]:
    """A question (``reply.question``) as a button_interaction template card: the
    question, its numbered choices, and one button per choice keyed by its number
    (the callback's ``EventKey``); ``task_id`` comes back as the event's ``TaskId``."""
    return {
        "card_type": "button_interaction",
        "main_title": {"title": _clip(plain(reply.title), CARD_TITLE)},
        "sub_title_text": _clip("\n".join(plain(line) for line in reply.lines), CARD_SUBTITLE),
        "task_id": task_id,
        "button_list": [
            {"text": _clip(plain(action.label), CARD_BUTTON_TEXT), "style": 1, "key": str(i)}
            for i, action in enumerate(reply.actions[:CARD_BUTTONS], 1)
        ],
    }


ACTION_KEY = "kam:"  # a push's card button: its key is this and the command it runs


def card_actions(reply: Reply) -> list[Any]:
    """The actions a push's card can carry: buttons that run a command (a WeCom card
    cannot open a form), at most six."""
    if reply.question is not None:
        return []
    keyed = [a for a in reply.actions if a.kind == "button"]
    return [a for a in keyed if len((ACTION_KEY + a.command).encode()) <= 1024][:CARD_BUTTONS]


def render_action_card(reply: Reply, task_id: str) -> dict[str, Any] | None:
    """A push's buttons (Done, Snooze) as a button_interaction card sent after its
    text: each button's key is ``kam:`` and the command it runs as the clicker (the
    callback's ``EventKey``); None when the reply has no such button."""
    actions = card_actions(reply)
    if not actions:
        return None
    return {
        "card_type": "button_interaction",
        "main_title": {"title": _clip(plain(reply.title), CARD_TITLE)},
        "sub_title_text": _clip(
            "\n".join(plain(line) for line in reply.plain_lines()[1:4]), CARD_SUBTITLE
        ),
        "task_id": task_id,
        "button_list": [
            {
                "text": _clip(plain(a.label), CARD_BUTTON_TEXT),
                "style": 1 if a.style == "primary" else 2,
                "key": ACTION_KEY + a.command,
            }
            for a in actions
        ],
    }


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
