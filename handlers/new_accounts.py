"""A new account: is it one the book already has, and how to offer creating one.

``near_accounts`` finds the accounts a new name may already be — the same name or
alias (an exact duplicate: refused), the same company however spelled (legal form,
case, punctuation: ``handlers.parsing.company_names.core``), a Chinese short name
(华夏 · 华夏重工股份有限公司), a typo — without reading the whole book: the in-memory
name index (``ParseContext.names``, a ``NameBook``: exact, prefix, whole-name-inside
and fuzzy lookups) and indexed exact lookups in the database (``find_exact``) for a
name written since the index was built.

``create_offer`` is what a command naming an unknown account raises instead of a bare
"not found" (``handlers.lookup.resolve_account``): a question whose choices are the
close existing accounts and "create it" — for a command that writes, "create it and
then run this message on it", all in the one transaction that runs the chosen text.
The text of each choice is a complete message (``/newaccount "Zenith Corp" then /visit
"Zenith Corp" met the CEO``); the name is quoted, so it is read back as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from domain.models import Account, Role, Team, User
from handlers.auth import can_read
from handlers.clarify import Choice, Choose
from handlers.context import Context
from handlers.i18n import Catalog
from handlers.parsing.company_names import core, core_words, pinyin_brand, readings, related
from handlers.parsing.text import fold
from storage import accounts
from storage.users import managed_team_ids

_ = Catalog("account.create")

NEW_COMMAND = "/newaccount"
ANYWAY = "--anyway"
THEN = "then"
FUZZY = 88.0  # a new name this close to an existing one is asked about
PREFIXED = 40  # names sharing a new name's start looked at, at most
MAX_NEAR = 3
MAX_CHOICES = 5
_SEPARATORS = " \t\n,，、:：;；"


@dataclass(frozen=True)
class Near:
    """An existing account a new name may be: by which of its names, and how."""

    account: Account
    label: str  # its name or alias that looked alike
    typed: str  # the new name (or alias) that looked like it
    exact: bool  # the very name (case, width, spacing and punctuation aside): refused
    readable: bool  # the asker may see it (else only its team is said)


def quote(name: str) -> str:
    """``name`` in quotes the parsers take as written (``split_account``)."""
    for left, right in (('"', '"'), ("“", "”"), ("「", "」")):
        if left not in name and right not in name:
            return f"{left}{name}{right}"
    return name


def create_text(
    name: str, options: str = "", *, anyway: bool = False, then: str | None = None
) -> str:
    """The message that creates ``name`` (with ``options`` as typed), skipping the
    near-duplicate question when ``anyway``, and runs ``then`` on it."""
    text = f"{NEW_COMMAND} {quote(name)}"
    if options.strip():
        text += f" {options.strip()}"
    if anyway:
        text += f" {ANYWAY}"
    if then:
        text += f" {THEN} {then}"
    return text


def may_create(session: Session, actor: User) -> bool:
    """An admin, someone in a team, or a manager of one may create accounts."""
    if actor.role == Role.admin or actor.team_id is not None:
        return True
    return actor.role == Role.manager and bool(managed_team_ids(session, actor))


# --- is it already there? --------------------------------------------------------------


def near_accounts(ctx: Context, names: list[str], *, limit: int = MAX_NEAR) -> list[Near]:
    """The accounts ``names`` (a new name and its aliases) may already be, exact first."""
    # account id → (rank: 0 exact, 1 the same company, 2 near; its label; the name typed)
    found: dict[int, tuple[int, str, str]] = {}

    def keep(key: int, label: str, rank: int, name: str) -> None:
        if key not in found or found[key][0] > rank:
            found[key] = (rank, label, name)

    typed = [n.strip() for n in names if n.strip()]
    for name in typed:
        account = accounts.find_exact(ctx.session, name)  # indexed; newer than any index
        if account is not None and account.id is not None:
            keep(account.id, account.name, 0, name)
    book = ctx.parse.names
    if book is not None and len(book):
        for name in typed:
            for key, label in book.exact(name):
                keep(key, label, 0, name)
            short = core(name)
            for key, label in [*book.exact(short), *book.prefixed(short, limit=PREFIXED)]:
                if related(name, label):
                    keep(key, label, 1 if core(label) == short else 2, name)
            words = core_words(name)
            if len(words) > 1 and len(words[0]) >= 3 and words[0].isascii():
                # Zenith Robotics · Zenith Corp: the same first word, and one of them no more
                for key, label in book.prefixed(words[0], limit=PREFIXED):
                    if related(name, label):
                        keep(key, label, 2, name)
            for hit in book.find(name):  # an existing name inside the new one, at its start
                if hit.start == 0 and related(name, hit.label):
                    keep(hit.key, hit.label, 1 if core(hit.label) == short else 2, name)
            brand = pinyin_brand(name)  # 华夏重工 · Huaxia Heavy Industries
            for key, label in book.prefixed(brand, limit=10) if brand else ():
                if label.isascii() and _words_start(label, brand):
                    keep(key, label, 2, name)
            for phrase in dict.fromkeys((name, short)):
                for key, label, _score in book.fuzzy(phrase, limit=3, cutoff=FUZZY):
                    keep(key, label, 2, name)
    ranked = sorted(found.items(), key=lambda kv: (kv[1][0], kv[1][1]))
    out: list[Near] = []
    for key, (rank, label, name) in ranked:
        account = ctx.session.get(Account, key)
        if account is None:  # gone since the index was built
            continue
        readable = can_read(ctx.session, ctx.actor, account)
        out.append(Near(account, label, name, rank == 0, readable))
        if len(out) == limit:
            break
    return out


def _words_start(label: str, brand: str) -> bool:
    """``Huaxia Heavy`` starts with the words of ``huaxia`` (not ``Huaxiang``)."""
    joined = ""
    for word in re.findall(r"[^\W_]+", label.casefold()):
        joined += word
        if joined == brand:
            return True
        if len(joined) >= len(brand):
            return False
    return False


def team_of(session: Session, account: Account) -> str | None:
    """The name of the team that holds ``account`` (its own, else its owner's)."""
    team_id = account.team_id
    if team_id is None:
        owner = session.get(User, account.owner_id)
        team_id = owner.team_id if owner else None
    team = session.get(Team, team_id) if team_id is not None else None
    return team.name if team else None


def describe(ctx: Context, near: Near) -> str:
    """``Acme (ACME Corp, owned by Alice Chen)``; one the asker may not see: only its team."""
    lang = ctx.lang
    if not near.readable:
        team = team_of(ctx.session, near.account)
        return _("elsewhere", lang, team=team) if team else _("elsewhere_no_team", lang)
    account = near.account
    owner = ctx.session.get(User, account.owner_id)
    aliases = accounts.aliases_of(ctx.session, account.id)
    what = ", ".join(aliases[:3])
    owned = _("owned_by", lang, owner=owner.display_name if owner else "?")
    return f"{account.name} ({what}, {owned})" if what else f"{account.name} ({owned})"


# --- offering to create an account a command named --------------------------------------


@dataclass(frozen=True)
class _Reading:
    """One place the unknown name may end: the name, and the arguments around it."""

    name: str
    before: str  # the arguments before the name
    after: str  # and after it
    quoted: bool  # the name is quoted when written back (it starts the arguments)

    def args(self, name: str | None = None) -> str:
        name = name or self.name
        return f"{self.before}{quote(name) if self.quoted else name} {self.after}".strip()


def _readings(args: str, typed: str) -> list[_Reading]:
    """Where the unknown name may end in ``args``, best first."""
    at = fold(args).find(fold(typed))
    if at < 0:
        return []
    if at > 0:  # quoted as typed, or not at the start (``… for account Zenith``): as read
        end = at + len(typed)
        if args[at - 1] in "\"“「'‘" and end < len(args):
            return [_Reading(typed, args[: at - 1], args[end + 1 :].lstrip(_SEPARATORS), True)]
        return [_Reading(typed, args[:at], args[end:].strip(), False)]
    return [
        _Reading(name, "", args[len(name) :].lstrip(_SEPARATORS), True)
        for name in readings(args, first=typed)
        if fold(args).startswith(fold(name))
    ]


def create_offer(ctx: Context, typed: str, closest: list[str]) -> Choose | None:
    """The question to ask when the command running names ``typed``, an account kam does
    not know (``closest``: the book's nearest names): pick a close account, or create
    this one (and, for a command that writes, run it there).  None when there is no
    command to rerun, or the asker may not create accounts."""
    spec, args = getattr(ctx, "command", None), getattr(ctx, "args", None)
    lang, session = ctx.lang, ctx.session
    if spec is None or args is None or spec.name == "newaccount" or not typed.strip():
        return None
    if not may_create(session, ctx.actor):
        return None
    options = _readings(args, typed.strip())
    if not options:
        return None
    writes = spec.writes_for(args)
    word = spec.text("usage", lang).split()[0]
    best = options[0]
    lines: list[str] = []
    near: list[Near] = []
    creating: list[Choice] = []
    for reading in options[:3]:
        found = near_accounts(ctx, [reading.name])
        if any(n.exact for n in found):
            continue  # that reading is an existing name: offered below, never created
        near += [n for n in found if n.account.id not in {m.account.id for m in near}]
        then = f"/{spec.name} {reading.args()}" if writes else None
        text = create_text(reading.name, anyway=bool(found), then=then)
        key = "create_then" if writes else "create_only"
        creating.append(Choice(_(key, lang, name=reading.name, command=word), text))
    if not creating:
        return None
    seen: set[int] = set()

    def existing(account: Account) -> Choice | None:
        if account.id in seen or not can_read(session, ctx.actor, account):
            return None
        seen.add(account.id)
        rerun = f"/{spec.name} {best.args(account.name)}"
        return Choice(_("use_existing", lang, name=account.name), rerun)

    first: list[Choice] = []
    for n in near:
        if not n.readable:
            line = _("near_elsewhere", lang, what=describe(ctx, n))
            if line not in lines:
                lines.append(line)
        elif len(first) < 2 and (choice := existing(n.account)):
            first.append(choice)
    choices = [*first, *creating]
    for name in closest:
        account = accounts.find_exact(session, name)
        if len(choices) < MAX_CHOICES and account is not None and (choice := existing(account)):
            choices.append(choice)
    question = _("unknown_write" if writes else "unknown_read", lang, name=best.name)
    return Choose(question, choices[:MAX_CHOICES], lines=lines)
