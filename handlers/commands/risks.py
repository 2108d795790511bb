"""``/risks [team]`` (``/风险 [团队]``): the risk digest, on demand.

The same digest the team chats get every weekday morning (``handlers.digest``), for
the teams the asker may see: their own team and the teams they manage (an admin: every
team), or the one team named.  Managers — of that team — and admins also see what the
group digest leaves out: each rep's goals behind pace.
"""

from __future__ import annotations

from pydantic import BaseModel

from domain.models import Role
from handlers.context import Context, ParseContext
from handlers.digest import digest_reply, gather_risks
from handlers.i18n import Catalog
from handlers.people import visible_teams
from handlers.registry import command
from handlers.replies import Reply, Severity
from storage import users

LIMIT = 25
"""Accounts listed per severity and team (a reply stays a few WeCom messages long even
for a big book: issue 15); the counts always cover them all."""

_ = Catalog("risks")


class RisksQuery(BaseModel):
    command: str = "risks"
    team: str | None = None


def parse_risks(args: str, pctx: ParseContext) -> RisksQuery:
    return RisksQuery(team=args.strip() or None)


@command(
    name="risks",
    aliases=("风险", "risk"),
    parse=parse_risks,
    slash=True,
)
def run_risks(ctx: Context, cmd: RisksQuery) -> Reply:
    session, actor, lang = ctx.session, ctx.actor, ctx.lang
    is_admin = actor.role == Role.admin
    managed = users.managed_team_ids(session, actor)
    found = visible_teams(
        ctx,
        cmd.team,
        unknown=lambda name: _("unknown", lang, name=name),
        forbidden=lambda name: _("not_yours", lang, name=name),
        suggest_cutoff=50,
    )
    team_ids = {t.id for t in found}
    if not team_ids:
        return Reply(
            title=_("no_team", lang), lines=[_("no_team_hint", lang)], severity=Severity.info
        )
    teams = gather_risks(
        session, settings=ctx.settings, now=ctx.now, team_ids=team_ids, limit=LIMIT
    )
    private = {t.team.id for t in teams} if is_admin else managed
    return digest_reply(
        teams,
        lang=lang,
        today=ctx.now.date(),
        settings=ctx.settings,
        private_teams=private,
        limit=LIMIT,
        pushed=False,
    )
