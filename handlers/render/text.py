"""Plain text, for the console, ``kam say`` and fallbacks."""

from __future__ import annotations

from handlers.render.escape import plain
from handlers.replies import Reply, Severity

_MARK = {Severity.success: "✓ ", Severity.warning: "! ", Severity.error: "✗ ", Severity.info: ""}


def render_text(reply: Reply) -> str:
    out = [_MARK[reply.severity] + plain(reply.title)]
    width = max((len(f.label) for f in reply.fields), default=0)
    out += [f"  {plain(f.label).ljust(width)}  {plain(f.value)}" for f in reply.fields]
    out += [plain(line) for line in reply.lines]
    for section in reply.sections:
        out.append("")
        if section.title:
            out.append(plain(section.title))
        out += [f"  {plain(line)}" for line in section.lines]
    if reply.actions and reply.question is None:  # a question's lines number its choices
        out.append("")
        out += [f"  → {plain(a.label)}: /{plain(a.command)}" for a in reply.actions]
    if reply.footer:
        out.append(plain(reply.footer))
    return "\n".join(out)
