"""``/help [command]`` (``/帮助``): the command table, read back to the user."""

from __future__ import annotations

from pydantic import BaseModel

from domain.errors import NotFound
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.registry import command, help_order
from handlers.replies import Field, Reply

_ = Catalog("help")


class HelpQuery(BaseModel):
    command: str = "help"
    topic: str | None = None


def parse_help(args: str, pctx: ParseContext) -> HelpQuery:
    topic = args.strip().lstrip("/／").split(" ")[0] or None
    return HelpQuery(topic=topic)


@command(
    name="help",
    aliases=("帮助", "h", "?", "？"),
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
    allowed = sorted((s for s in ctx.commands if ctx.actor.role in s.roles), key=help_order)
    lines = [f"{s.text('usage', lang)} — {s.text('summary', lang)}" for s in allowed]
    return Reply(title=_("title", lang), lines=lines, footer=_("more", lang))
