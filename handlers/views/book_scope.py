"""Whose numbers a report shows, as people type it, and what the asker may see
(``/pipeline``, ``/forecast``, ``/pyramid``).

    [team East | 团队 华东 | @alice | me | 我 | all] [2026Q4 | Q4 | 2026 | 本季度 …]

Nothing typed: an admin sees the whole book, a manager the teams they manage, a rep
their own (``own_default="teams"``: a rep's own team instead).  A person's numbers are
for themselves, their managers and admins (``handlers.auth.may_see_person``); a team's
for its members, its managers and admins; the whole book for admins only — like
``/kpi`` and ``/risks``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from babel.dates import format_date

from domain.errors import Forbidden, ParseError
from domain.health import split_total
from domain.models import Role
from domain.policy import Policy
from handlers.auth import may_see_person
from handlers.context import Context
from handlers.i18n import Catalog
from handlers.parsing.periods import period_of
from handlers.parsing.text import normalize
from handlers.people import ME_WORDS, TEAM_WORDS, resolve_user, user_ref_of, visible_teams
from handlers.views import fmt_money
from storage import users
from storage.pipeline import BookScope

_ = Catalog("views.book_scope")

ALL_WORDS = {"all", "book", "全部", "全公司", "所有"}
Who = Literal["default", "me", "user", "team", "all"]


@dataclass(frozen=True)
class ScopeArgs:
    who: Who = "default"
    name: str | None = None
    year: int | None = None
    period: str | None = None  # "year", "Q1".."Q4", "M1".."M12" (None: not typed)


def parse_scope(args: str, pctx, *, people: bool = True, example: str = "") -> ScopeArgs:
    """Read who and which period from ``args``; ParseError naming what was not understood."""
    lang, today = pctx.lang, pctx.now.date()
    words = normalize(args).strip().split()
    year = period = None
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            got = period_of(" ".join(words[i : i + size]), today)
            if got is not None:
                year, period = got
                del words[i : i + size]
                break
        if period is not None:
            break
    if not words:
        return ScopeArgs(year=year, period=period)
    head = words[0].casefold()
    one = len(words) == 1
    if head in TEAM_WORDS and len(words) > 1:
        return ScopeArgs("team", " ".join(words[1:]), year, period)
    if head in ALL_WORDS and one:
        return ScopeArgs("all", None, year, period)
    if people and (head in ME_WORDS or head in {"mine", "my", "我的"}) and one:
        return ScopeArgs("me", None, year, period)
    if people and words[0].startswith("@") and one:
        return ScopeArgs("user", words[0], year, period)
    if any(ch.isdigit() for ch in " ".join(words)):
        raise ParseError(_("bad_words", lang, text=" ".join(words), example=example))
    return ScopeArgs("team", " ".join(words), year, period)


def resolve_scope(
    ctx: Context, args: ScopeArgs, *, own_default: Literal["me", "teams"] = "me"
) -> tuple[BookScope, str]:
    """The scope ``args`` name and its label, if the asker may see it (else Forbidden)."""
    lang, actor, session = ctx.lang, ctx.actor, ctx.session
    who = args.who
    if who == "default":
        managed = users.managed_team_ids(session, actor)
        if actor.role == Role.admin:
            who = "all"
        elif managed and actor.role == Role.manager:
            names = users.team_names(session, managed).values()
            label = _("teams", lang, names=", ".join(sorted(names)))
            return BookScope(team_ids=frozenset(managed)), label
        elif own_default == "teams":
            who = "team"
        else:
            who = "me"
    if who == "all":
        if actor.role != Role.admin:
            raise Forbidden(_("forbid_all", lang))
        return BookScope(), _("book", lang)
    if who == "me":
        return BookScope(owner_id=actor.id), _("me", lang, name=actor.display_name)
    if who == "user":
        user = resolve_user(
            ctx,
            user_ref_of(args.name or ""),
            unknown=lambda typed: _("no_user", lang, name=typed),
            suggest=3,
        )
        if not may_see_person(session, actor, user):
            raise Forbidden(_("forbid_user", lang, name=user.display_name))
        return BookScope(owner_id=user.id), user.display_name
    teams = visible_teams(
        ctx,
        args.name or "",
        unknown=lambda typed: _("no_team", lang, name=typed),
        forbidden=lambda team: _("forbid_team", lang, name=team),
        suggest_cutoff=50,
        empty=_("no_team_yet", lang),
    )
    label = _("teams", lang, names=", ".join(t.name for t in teams))
    return BookScope(team_ids=frozenset(t.id for t in teams)), label


# --- words for periods, months and money ------------------------------------------------


def period_label(year: int, period: str, lang: str) -> str:
    """``2026 Q4`` / ``2026年第4季度``, ``2026`` / ``2026年``, ``2026-11`` / ``2026年11月``."""
    if period == "year":
        return _("period_year", lang, year=year)
    if period.startswith("Q"):
        return _("period_q", lang, year=year, q=int(period[1:]))
    return _("period_m", lang, year=year, m=int(period[1:]))


def month_label(month: tuple[int, int], lang: str) -> str:
    """``Nov 2026`` / ``2026年11月``."""
    y, m = month
    return format_date(date(y, m, 1), _("month_pattern", lang), locale=lang)


def house_total(amounts: Mapping[str, Decimal], settings: Policy) -> tuple[Decimal, frozenset[str]]:
    """The amounts by currency in the house currency (``fx_rates``), and the currencies
    left out for want of a rate."""
    return split_total(amounts, settings.currency, house=settings.currency, rates=settings.fx_rates)


def currency_unit(currency: str) -> str:
    """The currency's symbol for a chart's axis (``¥``, ``$``), else its code."""
    return fmt_money(Decimal(0), currency, "en").removesuffix("0").strip()


def by_currency(rows: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for currency, amount in rows:
        out[currency] = out.get(currency, Decimal(0)) + amount
    return out


def unconverted_line(left_out: Iterable[str], lang: str) -> list[str]:
    """A line naming the currencies left out of the sums, if any."""
    names = sorted(set(left_out))
    return [_("unconverted", lang, currencies=", ".join(names))] if names else []
