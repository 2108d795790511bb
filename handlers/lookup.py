"""Turning what people type into the account they mean.

Parsing splits text (``split_account``): which leading words name an account is read
from the book's name index (``ParseContext.names``, a ``NameBook``): the longest name or
alias at the start, however it is spaced or punctuated (``Acme Corp,``, ``华夏重工昨天…``,
``客户：华夏``); a typo'd or shortened name (``Acme Crop``, ``Blue Harbor``) is read as the
account it clearly is and the reply says so.  Running resolves it (``resolve_account``):
exact name or alias in the database, then the name index (ignoring punctuation, a
unique prefix, a clear fuzzy winner); ambiguous names raise with the three closest, and
nothing changes; an unknown one asks instead: the close accounts, or create it — and
for a command that writes, create it and run the message there (issue 17).
"""

from __future__ import annotations

import re

from domain.errors import Ambiguous, KamError, NotFound, ParseError
from domain.models import Account
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.new_accounts import create_offer
from handlers.parsing.company_names import chinese_head
from handlers.parsing.dates import find_dates
from handlers.parsing.entities import NameBook
from handlers.parsing.money import find_amounts
from handlers.parsing.names import Candidate, resolve
from handlers.parsing.text import fold, is_cjk
from storage import accounts

_ = Catalog("lookup")

MAX_NAME_WORDS = 6
FUZZY_WORDS = 4  # a typo'd name is read from at most this many leading words
CLEAR_LEAD = 5.0  # a fuzzy winner must be this many points ahead of the next account
_QUOTES = {'"': '"', "“": "”", "「": "」", "'": "'", "‘": "’"}
_SEPARATORS = " \t\n,，、:：;；"
_LABEL = re.compile(r"^\s*(?:客户|account|acct|client)\s*[:：]\s*", re.IGNORECASE)
_TRAILING = ",，.。:：;；!！?？、"


def split_account(args: str, pctx: ParseContext, *, required: bool = True) -> tuple[str, str]:
    """Split ``Acme Corp yesterday met …`` into ``("Acme Corp", "yesterday met …")``.

    A quoted name is taken as is.  Otherwise the longest name or alias at the start
    wins — a Latin one as whole words, a Chinese one anywhere (``华夏重工昨天…``) —
    extended over a typo that continues it (``Acme Crop`` → Acme Corp); else the
    longest run of leading words that is a unique prefix of a name (``Blue Harbor`` →
    Blue Harbor Shipping) or clearly one name mistyped; failing all, the first word.
    The rest is the person's own characters.
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
    label = _LABEL.match(fold(args))
    if label:
        args = args[label.end() :]
    if pctx.names is None:
        return _split_by_prefixes(args, pctx)
    if getattr(pctx.names, "cold", False) and _whole_name(args, pctx):
        return args.strip(), ""  # an exact name alone: no need to build the name index
    return _split_by_book(args, pctx, pctx.names)


def _whole_name(args: str, pctx: ParseContext) -> bool:
    """``args`` is, as typed, one account's name or alias (one indexed lookup); the
    account found is kept (``ParseContext.confirmed``) for ``resolve_account``."""
    name = args.strip()
    if not name:
        return False
    if pctx.find_account is None:
        return name.lower() in pctx.known_accounts([name])
    account = pctx.find_account(name)
    if account is None:
        return False
    pctx.confirmed[name] = account
    return True


def _split_by_book(args: str, pctx: ParseContext, book: NameBook) -> tuple[str, str]:
    s = fold(args)
    leading = [h for h in book.find(args) if h.start == 0]
    if leading:
        end = max(h.end for h in leading)
        longer = _typo_continues(s, end, book)
        if longer is not None:
            end, name = longer
            pctx.readings.append(_("read_as", pctx.lang, typed=args[:end].strip(), name=name))
            return name, _after(args, end)
        return args[:end], _after(args, end)
    later = _after_glue(args, s, book, pctx)
    if later is not None:
        return later
    words = list(re.finditer(r"\S+", s))
    if words and not is_cjk(s[0]):
        # a name is read from the words before the first date or number
        dates = {hit.start for hit in find_dates(s, now=pctx.now, prefer="past")}
        usable = 0
        for m in words[:FUZZY_WORDS]:
            if m.start() in dates or any(ch.isdigit() for ch in m.group(0)):
                break
            usable += 1
        for n in range(usable, 0, -1):
            end = words[n - 1].end()
            while end > 0 and s[end - 1] in _TRAILING:
                end -= 1
            name = _one_account(s[:end], book)
            if name is not None:
                if book.exact(s[:end]) == []:
                    pctx.readings.append(
                        _("read_as", pctx.lang, typed=args[:end].strip(), name=name)
                    )
                return name, _after(args, end)
    first = words[0].end() if words else len(args)
    if words and is_cjk(s[0]):  # 新星科技今天见了王总: a name no one knows yet, then the rest
        head = len(chinese_head(s[:first]))
        if head < first:
            return args[:head], args[head:].strip()
    cut = first
    while cut > 0 and s[cut - 1] in _TRAILING:
        cut -= 1
    return args[:cut], args[first:].strip()


_GLUE = re.compile(r"^(?:from|at|with|for|to|by|on|of|the|our|客户|和|跟|与|给|在)$", re.IGNORECASE)


def _after_glue(args: str, s: str, book: NameBook, pctx: ParseContext) -> tuple[str, str] | None:
    """``payment from Initech came in``, ``Dec 2: Initech: all fine``, ``last night half a
    million Stark``: a name after words that only lead to it, say when or how much;
    those stay in the rest."""
    hits = book.find(args)
    if not hits or len({h.key for h in hits if h.start == hits[0].start}) > 1:
        return None
    hit = hits[0]
    before = list(s[: hit.start])
    spans = [(d.start, d.end) for d in find_dates(s[: hit.start], now=pctx.now, prefer="past")]
    spans += [(m.start, m.end) for m in find_amounts(s[: hit.start], taken=spans)]
    for start, end in spans:
        before[start:end] = " " * (end - start)
    words = "".join(before).replace(":", " ").replace("：", " ").strip(" ,，").split()
    if not s[: hit.start].strip() or not all(_GLUE.match(w.strip(",，")) for w in words):
        return None
    leading = args[: hit.start].strip(" ,，:：")
    for glue in (w for w in s[: hit.start].split() if _GLUE.match(w.strip(",，:："))):
        leading = re.sub(rf"(?:^|\s){re.escape(glue)}(?=\s|$)", " ", leading).strip(" ,，:：")
    rest = _after(args, hit.end)
    return args[hit.start : hit.end], f"{leading} {rest}".strip() if leading else rest


def _after(args: str, end: int) -> str:
    """What follows the name: without the separator after it (``Acme, …``, ``Acme - …``),
    but keeping a minus sign (``/csat Acme -2`` is refused, not read as 2)."""
    rest = args[end:].lstrip(_SEPARATORS)
    if rest[:1] in "-—" and rest[1:2].isspace():
        rest = rest[1:].lstrip()
    return rest


def _typo_continues(s: str, end: int, book: NameBook) -> tuple[int, str] | None:
    """``Acme Crop …``: the words after a name found whole, read with it, are a longer
    name mistyped (Acme Corp): the longer span and the account's name."""
    if not s[end - 1 : end].isascii():
        return None
    following = list(re.finditer(r"\S+", s[end:]))[:2]
    for m in reversed(following):
        stop = end + m.end()
        while stop > end and s[stop - 1] in _TRAILING:
            stop -= 1
        found = book.continued(s[:end], s[:stop])
        if found and _clear(found):
            return stop, book.names[found[0][0]]
    return None


def _clear(found: list[tuple[object, str, float]]) -> bool:
    return len(found) == 1 or found[0][2] - found[1][2] >= CLEAR_LEAD


def _one_account(phrase: str, book: NameBook) -> str | None:
    """The one account ``phrase`` names: exactly, as a unique prefix, or as a clear typo."""
    exact = {key for key, _label in book.exact(phrase)}
    if len(exact) == 1:
        return book.names[exact.pop()]
    prefixed = {key for key, _label in book.prefixed(phrase)}
    if len(prefixed) == 1 and len(phrase) >= 3:
        return book.names[prefixed.pop()]
    found = book.fuzzy(phrase, limit=2)
    if found and _clear(found) and len(phrase) >= 4:
        return book.names[found[0][0]]
    return None


def _split_by_prefixes(args: str, pctx: ParseContext) -> tuple[str, str]:
    """Without a name index (tests of a parser alone): ask which prefixes are names."""
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
    # found while parsing, in this session: not read again (a bare parse context, as
    # ``benchmarks.parse_speed`` builds, has none)
    confirmed = getattr(ctx.parse, "confirmed", None) or {}
    account = confirmed.get(typed.strip()) or accounts.find_exact(ctx.session, typed)
    if account is not None:
        return account
    book = ctx.parse.names
    if book is None:
        return _resolve_by_scan(ctx, typed)
    if not len(book):
        raise _offer(ctx, typed, NotFound(_("no_accounts", ctx.lang)))
    keys = list(dict.fromkeys(k for k, _label in book.exact(typed)))
    if not keys:
        keys = list(dict.fromkeys(k for k, _label in book.prefixed(typed)))
    if not keys:
        found = book.fuzzy(typed, limit=3)
        if found and _clear(found):
            keys = [found[0][0]]
        elif found:
            keys = [k for k, _l, score in found if score > found[0][2] - CLEAR_LEAD]
    names = [book.names[k] for k in keys]
    if len(keys) > 1:
        raise Ambiguous("name_ambiguous", candidates=names[:3], query=typed.strip())
    if not keys:
        closest = book.closest(typed)
        raise _offer(
            ctx, typed, NotFound("name_not_found", candidates=closest, query=typed.strip())
        )
    account = ctx.session.get(Account, keys[0])
    if account is None:  # renamed or removed since the index was built
        return _resolve_by_scan(ctx, typed)
    # not the name or an alias as written: say how it was read, so a wrong reading is
    # seen at once (and undone) rather than stored quietly
    ctx.readings.append(_("read_as", ctx.lang, typed=typed.strip(), name=account.name))
    return account


def _offer(ctx: Context, typed: str, missing: NotFound) -> KamError:
    """An unknown account: the question offering the close ones and creating it
    (``handlers.new_accounts.create_offer``), else ``missing`` as it is."""
    offer = create_offer(ctx, typed, missing.candidates)
    return offer if offer is not None else missing


def _resolve_by_scan(ctx: Context, typed: str) -> Account:
    candidates = [
        Candidate(key=i, name=name, aliases=aliases)
        for i, name, aliases in accounts.name_candidates(ctx.session)
    ]
    if not candidates:
        raise NotFound(_("no_accounts", ctx.lang))
    match = resolve(typed, candidates)  # raises NotFound / Ambiguous with suggestions
    account = ctx.session.get(Account, match.key)
    ctx.readings.append(_("read_as", ctx.lang, typed=typed.strip(), name=account.name))
    return account
