"""``/week [@person | team T] [last]`` (``/周报 [@王磊 | 团队 华东] [上周]``): the weekly
report drafted from what was logged — contacts by account, deals moved and won, next
steps done and overdue, accounts that lapsed, and next week's due items — ready to
forward.  A manager asks for a person of theirs or a team's roll-up, a line per person.
The same report goes out by itself on Fridays (``schedules.jobs.week``)."""

from __future__ import annotations

import re

from pydantic import BaseModel

from domain.errors import Forbidden, ParseError
from handlers.auth import is_manager, may_see_person
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.people import UserRef, parse_user_ref, resolve_user, visible_teams
from handlers.registry import command
from handlers.replies import Reply
from handlers.views.week import Week, gather, person_reply, team_reply
from storage import users

_ = Catalog("week")

_LAST = re.compile(r"(?:^|\s)(last|previous|上周|上一周|上星期)(?=\s|$)", re.IGNORECASE)
_TEAM = re.compile(r"(?:^|\s)(?:team|团队|小组)\s*[:：]?\s*(?P<name>\S.*)$", re.IGNORECASE)


class WeekQuery(BaseModel):
    command: str = "week"
    person: UserRef | None = None
    team: str | None = None
    last: bool = False


def parse_week(args: str, pctx: ParseContext) -> WeekQuery:
    text = args.strip()
    last = False
    if m := _LAST.search(text):
        last = True
        text = (text[: m.start()] + " " + text[m.end() :]).strip()
    if m := _TEAM.search(text):
        rest = text[: m.start()].strip()
        if rest:
            raise ParseError(_("one_scope", pctx.lang))
        return WeekQuery(team=m.group("name").strip(), last=last)
    if not text:
        return WeekQuery(last=last)
    if len(text.split()) > 1:
        raise ParseError(_("bad", pctx.lang, text=text))
    return WeekQuery(person=parse_user_ref(text, pctx.lang), last=last)


@command(
    name="week",
    aliases=("周报", "weekly"),
    parse=parse_week,
    slash=True,
)
def run_week(ctx: Context, cmd: WeekQuery) -> Reply:
    the_week = Week.of(ctx.now, ctx.tz, shift=-1 if cmd.last else 0)
    if cmd.team is not None:
        return _team(ctx, cmd, the_week)
    person = resolve_user(ctx, cmd.person) if cmd.person else ctx.actor
    if not may_see_person(ctx.session, ctx.actor, person):
        raise Forbidden(_("not_yours", ctx.lang, name=person.display_name))
    weeks = gather(ctx.session, [person], the_week, now=ctx.now, settings=ctx.settings)
    return person_reply(
        weeks[person.id],
        the_week,
        lang=ctx.lang,
        settings=ctx.settings,
        own=person.id == ctx.actor.id,
    )


def _team(ctx: Context, cmd: WeekQuery, the_week: Week) -> Reply:
    lang = ctx.lang
    (team,) = visible_teams(
        ctx,
        cmd.team,
        unknown=lambda name: _("unknown_team", lang, name=name),
        forbidden=lambda name: _("not_your_team", lang, name=name),
        suggest_cutoff=50,
    )
    managed = users.managed_team_ids(ctx.session, ctx.actor)
    if not is_manager(ctx.actor) or (ctx.actor.role != "admin" and team.id not in managed):
        raise Forbidden(_("not_your_team", lang, name=team.name))
    members = users.everyone(ctx.session, team_id=team.id, include_inactive=False)
    weeks = gather(ctx.session, members, the_week, now=ctx.now, settings=ctx.settings)
    return team_reply(team.name, list(weeks.values()), the_week, lang=lang, settings=ctx.settings)
