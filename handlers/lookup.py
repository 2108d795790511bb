"""Turning what people type into the account they mean.

Parsing only splits text (``split_account``): which leading words name an account is
asked of the database in one query.  Running resolves it (``resolve_account``): exact
name, alias, case-insensitive, then fuzzy; unknown or ambiguous names raise with the
three closest, and nothing changes.
"""

from __future__ import annotations

from domain.errors import NotFound, ParseError
from domain.models import Account
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.parsing.names import Candidate, resolve
from handlers.parsing.text import is_cjk
from storage import accounts

_ = Catalog("lookup")

MAX_NAME_WORDS = 6
_QUOTES = {'"': '"', "“": "”", "「": "」", "'": "'", "‘": "’"}


def split_account(args: str, pctx: ParseContext, *, required: bool = True) -> tuple[str, str]:
    """Split ``Acme Corp yesterday met …`` into ``("Acme Corp", "yesterday met …")``.

    A quoted name is taken as is.  Otherwise the longest leading run of words (or, for
    Chinese typed without spaces, of characters) that is a known account name or alias
    wins; failing that, the first word is the name as typed.
    """
    args = args.strip()
    if not args:
        if required:
            raise ParseError(_("which_account", pctx.lang))
        return "", ""
    if args[0] in _QUOTES:
        close = args.find(_QUOTES[args[0]], 1)
        if close > 1:
            return args[1:close].strip(), args[close + 1 :].strip()
    words = args.split()
    prefixes = [" ".join(words[:i]) for i in range(1, min(MAX_NAME_WORDS, len(words)) + 1)]
    first = words[0]
    cjk_prefixes = [first[:i] for i in range(2, len(first))] if is_cjk(first[0]) else []
    known = pctx.known_accounts(prefixes + cjk_prefixes)
    for prefix in reversed(prefixes):
        if prefix.lower() in known:
            return prefix, args[len(prefix) :].strip()
    for prefix in reversed(cjk_prefixes):
        if prefix.lower() in known:
            return prefix, args[len(prefix) :].strip()
    return first, args[len(first) :].strip()


def resolve_account(ctx: Context, typed: str) -> Account:
    """The account ``typed`` names, or NotFound/Ambiguous with the closest three."""
    if not typed.strip():
        raise ParseError(_("which_account", ctx.lang))
    account = accounts.find_exact(ctx.session, typed)
    if account is not None:
        return account
    candidates = [
        Candidate(key=i, name=name, aliases=aliases)
        for i, name, aliases in accounts.name_candidates(ctx.session)
    ]
    if not candidates:
        raise NotFound(_("no_accounts", ctx.lang))
    match = resolve(typed, candidates)  # raises NotFound / Ambiguous with suggestions
    account = ctx.session.get(Account, match.key)
    # not the name or an alias as written: say how it was read, so a wrong reading is
    # seen at once (and undone) rather than stored quietly
    ctx.readings.append(_("read_as", ctx.lang, typed=typed.strip(), name=account.name))
    return account
