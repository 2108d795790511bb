"""``/help [command]`` (``/帮助``): the command table, read back to the user."""

from __future__ import annotations

from pydantic import BaseModel

from domain.errors import NotFound
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.registry import command
from handlers.replies import Field, Reply

_ = Catalog(
    {
        "title": {"en": "kam — what you can say", "zh": "kam 命令一览"},
        "more": {
            "en": "/help COMMAND for details. An account's name alone shows its summary. "
            "The slash is optional; Chinese commands work too.",
            "zh": "/帮助 命令名 查看详情。只发客户名即可查看客户概况。斜杠可省略，中英文命令均可。",
        },
        "usage": {"en": "Usage", "zh": "用法"},
        "example": {"en": "Example", "zh": "示例"},
        "aliases": {"en": "Also", "zh": "别名"},
        "unknown": {"en": "There is no command “{name}”.", "zh": "没有“{name}”这个命令。"},
    }
)


class HelpQuery(BaseModel):
    command: str = "help"
    topic: str | None = None


def parse_help(args: str, pctx: ParseContext) -> HelpQuery:
    topic = args.strip().lstrip("/／").split(" ")[0] or None
    return HelpQuery(topic=topic)


@command(
    name="help",
    aliases=("帮助", "h", "?", "？"),
    summary={"en": "What kam can do", "zh": "查看命令帮助"},
    usage={"en": "/help [command]", "zh": "/帮助 [命令]"},
    example={"en": "/help visit", "zh": "/帮助 拜访"},
    parse=parse_help,
)
def run_help(ctx: Context, cmd: HelpQuery) -> Reply:
    lang = ctx.lang
    if cmd.topic:
        spec = ctx.commands.find(cmd.topic)
        if spec is None:
            raise NotFound(_("unknown", lang, name=cmd.topic))
        return Reply(
            title=f"/{spec.name} — {spec.text('summary', lang)}",
            fields=[
                Field(_("usage", lang), spec.text("usage", lang)),
                Field(_("example", lang), spec.text("example", lang)),
                Field(_("aliases", lang), " ".join("/" + a for a in spec.aliases) or "—"),
            ],
        )
    order = {"main": 0, "health": 1, "admin": 2}  # daily work first
    allowed = sorted(
        (s for s in ctx.commands if ctx.actor.role in s.roles), key=lambda s: order.get(s.group, 1)
    )
    lines = [f"{s.text('usage', lang)} — {s.text('summary', lang)}" for s in allowed]
    return Reply(title=_("title", lang), lines=lines, footer=_("more", lang))
