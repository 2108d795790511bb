"""Messages that do not start with a command word: what they mean, or a question.

    "Acme: visited today, met Li Wei"      → /visit "Acme" today, met Li Wei
    "太湖食品 20号上门拜访"                   → /visit "太湖食品" 20号
    "Blue Harbor finally paid 300k"        → /paid "Blue Harbor Shipping" finally 300k
    "opp at Initech 800k, in negotiation"  → /deal "Initech" 800k, in negotiation
    "vist Acme yesterday"                  → /visit "Acme" yesterday      (said: read “vist” as /visit)
    "Acme"                                 → /account "Acme"
    "Acme yesterday, budget approved"      → asks: a visit, a call or a meeting?

The stages, each separately tested and each printed by ``kam parse``:

1. *names* — the book's account names and aliases anywhere (``NameBook.find``); when
   none stands whole, a typo'd name at the start or just after the command word
   (``NameBook.fuzzy``);
2. *intent* — lexicon words anywhere (``find_intents``), else the first word as a typo or
   sound-alike of one (``first_word_guesses``);
3. *decide* — one command and one account: the message is rewritten as that command's
   own line, the account quoted, the words that only said *which* command and *which*
   account taken out and everything else left for the command's parser (which reads
   dates, amounts, people and next steps and says what it could not place).  Two
   commands or two accounts equally likely: ``Choose`` (the person picks; nothing is
   written before).  An account and no intent: a bare name is ``/account``; with more
   words kam asks which kind of interaction it was.

Everything kam inferred rather than read is returned in ``readings`` and shown first in
the reply, so a wrong reading is seen at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from handlers.clarify import Choice, Choose
from handlers.i18n import Catalog
from handlers.parsing.account_fields import starts_with_set_word
from handlers.parsing.entities import NameBook, NameHit, compact
from handlers.parsing.intents import IntentHit, find_intents, first_word_guesses
from handlers.parsing.money import find_amounts
from handlers.parsing.text import fold, is_cjk, join_text, split_next_step
from handlers.registry import CommandTable
from handlers.views.account_file import asks_for_file

__all__ = ["Reading", "Trace", "understand"]

_ = Catalog("understand")

LOGGING = ("visit", "call", "meet", "meal")
_MEETING_OPENERS = ("met", "met with")
# Words that only tie the command word to the account: dropped with them.
_EN_GLUE = re.compile(
    r"^(?:at|with|to|for|from|on|in|by|the|our|had|a|an|have|just|we|i|us|over)$", re.IGNORECASE
)
_CN_GLUE_BEFORE = "给跟和与在去到对向了趟"
_CN_GLUE = re.compile(r"^(?:给|跟|和|与|在|去|到|对|向|了|趟|一趟|客户)$")
_ACCOUNT_WORDS = re.compile(
    r"^[\s,，.。:：;；!！?？、-]*"
    r"(?:show(?: me)?|open|look up|lookup|info(?: on| about)?|status(?: of)?|summary(?: of)?|"
    r"how(?:'s| is)|what about|看看|看一下|查看|查一下|查查|打开|说说)?"
    r"[\s,，.。:：;；!！?？、-]*"
    r"(?:怎么样了?|情况|咋样|近况|最近怎样|summary|status|info|how(?:'s| is) it going|doing)?"
    r"[\s,，.。:：;；!！?？、-]*$",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<![A-Za-z])[A-Z][a-z]{3,}(?![A-Za-z])")
_LABEL_PREFIX = re.compile(r"^\s*(?:客户|account|acct|client)\s*[:：]\s*", re.IGNORECASE)


@dataclass
class Trace:
    """What each stage found, for ``kam parse``."""

    names: list[NameHit] = field(default_factory=list)
    fuzzy: list[tuple[object, str, float]] = field(default_factory=list)
    intents: list[IntentHit] = field(default_factory=list)
    people: list[object] = field(default_factory=list)  # accounts found through contacts


@dataclass
class Reading:
    command: str  # the command's name
    args: str  # the line its parser gets (the person's own words, account quoted)
    readings: list[str] = field(default_factory=list)  # what kam inferred, shown first
    trace: Trace = field(default_factory=Trace)


def understand(
    text: str,
    table: CommandTable,
    book: NameBook,
    lang: str,
    people: Callable[[str], list[int]] | None = None,
) -> Reading | None:
    """The command ``text`` means, or ``None`` when nothing in it is recognisable.

    ``people(text)`` gives the accounts of the asker's contacts the text names (刚跟
    *王总*通了电话): with no account named, they say which account it was.
    Raises ``Choose`` when two readings are equally likely."""
    trace = Trace()
    s = fold(text)
    # what the message is about is said before its next steps ("… next: book the QBR")
    trace.intents = find_intents(split_next_step(text)[0])
    trace.names = book.find(text)
    if not trace.names:
        trace.fuzzy = _fuzzy_account(text, book, trace.intents)

    intents = _decide_intent(trace.intents, has_amount=bool(find_amounts(text)))
    went = _went_to(s, trace.names)
    if went is not None and (not intents or intents[0].strength in ("weak", "stage")):
        intents = [went]  # 去仁和医院见了陈总: a visit, whatever the note says of a deal
    if intents and intents[0].strength == "weak" and _opens(s, intents[0], _MEETING_OPENERS):
        intents = [replace(intents[0], strength="strong")]  # "met Li Wei at Acme": a meeting
    words = {w: spec.name for spec in table for w in (spec.name, *spec.aliases)}
    first = re.match(r"\s*\S+\s+", s)
    named_next = bool(first and trace.names and trace.names[0].start == first.end())
    named_first = bool(trace.names and not s[: trace.names[0].start].strip())
    guesses = [] if named_first else first_word_guesses(text, words, min_len=3 if named_next else 4)
    if not named_next:  # "Line 3 …" is no typo of /mine: a short word only before a name
        guesses = [g for g in guesses if g.end - g.start > 4 or g.strength == "sound"]
    if guesses:
        # the first word is a command word mistyped (vist, 拜坊): it says what the
        # message is, whatever the note goes on to mention
        intents = guesses
    elif not intents or intents[0].strength == "weak":
        # or the word right after the account's name is ("Umbrella 拜坊 today")
        if trace.names and trace.names[0].start == 0:
            after = trace.names[0].end
            after += len(s[after:]) - len(s[after:].lstrip(" ,，:：;；-"))
            guesses = [
                replace(g, start=g.start + after, end=g.end + after)
                for g in first_word_guesses(text[after:], words)
            ]
        intents = guesses or intents

    accounts = _accounts(trace, book)
    if not accounts and intents and people is not None and intents[0].command in LOGGING:
        keys = list(dict.fromkeys(people(text)))
        if len(keys) == 1:
            accounts = [(keys[0], 0, 0, book.names[keys[0]])]
            trace.people = keys
        elif len(keys) > 1:
            hit = intents[0]
            lead = hit.strength != "weak" and not fold(text)[: hit.start].strip(" ,，:：;；")
            rest = _rest(text, [(hit.start, hit.end)] if lead else [])
            raise Choose(
                _("which_account", lang),
                [Choice(book.names[k], _line(hit.command, book.names[k], rest)) for k in keys],
            )
    if not accounts:
        return None if not intents else _no_account(text, intents, table, lang, trace)
    if len(accounts) > 1:
        keys = list(dict.fromkeys(k for k, _s, _e, _l in accounts))
        if len(keys) > 1:
            # each choice keeps the whole message, less that name and the command word
            command = intents[0].command if len(intents) == 1 else "account"
            said = [(h.start, h.end) for h in intents[:1] if command != "account"]
            spans = {k: (a, b) for k, a, b, _l in reversed(accounts)}
            raise Choose(
                _("which_account", lang),
                [
                    Choice(
                        book.names[key],
                        _line(command, book.names[key], _rest(text, [spans[key], *said])),
                    )
                    for key in keys
                ],
            )
    key, a_start, a_end, _label = accounts[0]
    name = book.names[key]
    whole = compact(name)  # 仁和 + 医院 of 上海仁和医院: the rest of the name, typed on
    while a_end < len(s) and is_cjk(s[a_end]) and compact(s[a_start : a_end + 1]) in whole:
        a_end += 1
    readings: list[str] = []
    if trace.fuzzy:
        readings.append(_("read_name", lang, typed=s[a_start:a_end].strip(), name=name))
    if trace.people:
        readings.append(_("account_of_contact", lang, name=name))

    rest = _rest(text, [(a_start, a_end)])
    if asks_for_file(rest):  # 华夏重工档案, Acme all deals: the account's file
        return Reading("account", f"{_quote(name)} {rest}", readings, trace)
    if not intents:
        if _ACCOUNT_WORDS.match(rest):
            return Reading("account", _quote(name), readings, trace)
        if starts_with_set_word(rest):  # ``Acme set industry Robotics``: an edit
            return Reading("account", _line("", name, rest), readings, trace)
        raise Choose(
            _("which_kind", lang, account=name),
            [
                Choice(table.find(c).text("summary", lang), _line(c, name, rest))
                for c in ("visit", "call", "meet")
            ],
        )
    if len({h.command for h in intents}) > 1:
        raise Choose(
            _("which_command", lang, account=name),
            [
                Choice(
                    table.find(h.command).text("summary", lang),
                    _line(h.command, name, _rest(text, [(a_start, a_end), (h.start, h.end)])),
                )
                for h in _distinct(intents)
            ],
        )
    hit = intents[0]
    cut = [(a_start, a_end)]
    if hit.strength != "stage" and (
        hit.command not in LOGGING or _leads(text, hit, (a_start, a_end))
    ):
        # "paid", "opp", "开了发票" only say which command; a logging verb stays in the
        # note ("had lunch with Li Wei") unless it opens the message or touches the name
        cut.append((hit.start, hit.end))
    rest = _rest(text, cut)
    if hit.strength in ("typo", "sound"):
        readings.insert(
            0, _("read_word", lang, typed=s[hit.start : hit.end], command=_word(table, hit, lang))
        )
    elif hit.strength == "weak":
        raise Choose(
            _("which_kind", lang, account=name),
            [
                Choice(
                    table.find(c).text("summary", lang),
                    _line(c, name, _rest(text, [(a_start, a_end)])),
                )
                for c in ("visit", "call", "meet")
            ],
        )
    return Reading(hit.command, _quote(name) + (" " + rest if rest else ""), readings, trace)


# --- stages -------------------------------------------------------------------------


def _decide_intent(hits: list[IntentHit], *, has_amount: bool) -> list[IntentHit]:
    """The hit that decides the command first, then any that compete with it.

    The first strong word decides.  Later logging words, deal talk and stage words
    are details of a log's note ("visited Acme, *met* Li Wei, *discussed the deal*");
    a later payment or invoice with an amount in the message competes ("called Acme,
    they paid 300k": which one? — but "called Acme about the invoice" is a call).
    No strong word: stage words make a deal update; weak words alone ("met", "聊了")
    say something happened but not what (the caller asks)."""
    strong = [h for h in hits if h.strength == "strong" or (h.strength == "money" and has_amount)]
    if strong:
        first = strong[0]
        money = ("paid", "invoice")
        rivals = [h for h in strong[1:] if h.command in money and h.command != first.command]
        return [first, *rivals] if has_amount else [first]
    stage = [h for h in hits if h.strength == "stage"]
    if stage:
        return stage[:1]
    return [h for h in hits if h.strength == "weak"][:1]


def _fuzzy_account(text: str, book: NameBook, intents: list[IntentHit]) -> list:
    """A typo'd account name: the first words of the message, or those right after its
    command word — never a word from the middle of a sentence."""
    s = fold(text)
    starts = [len(_LABEL_PREFIX.match(s).group(0)) if _LABEL_PREFIX.match(s) else 0]
    starts += [h.end for h in intents[:1]]
    for start in starts:
        piece = s[start:]
        lead = len(piece) - len(piece.lstrip(" ,，:：;；"))
        words = piece[lead:].split()
        for n in range(min(4, len(words)), 0, -1):
            phrase = " ".join(words[:n]).rstrip(",，.。:：;；!?")
            if phrase and is_cjk(phrase[0]):
                found = _cjk_account(piece[lead:], book)
                if found is not None:
                    key, label, size = found
                    pos = start + lead
                    return [(key, label, pos, pos + size)]
                break
            found = book.fuzzy(phrase, limit=2)
            if found and (len(found) == 1 or found[0][2] - found[1][2] >= 5):
                pos = start + lead
                return [(found[0][0], found[0][1], pos, pos + len(phrase))]
    for m in _CAPITALISED.finditer(s):  # "Lost the Vertex energy audit deal"
        keys = {k for k, _label in book.prefixed(m.group(0))}
        if len(keys) == 1:
            key = keys.pop()
            return [(key, book.names[key], m.start(), m.end())]
    return []


def _cjk_account(piece: str, book: NameBook) -> tuple[object, str, int] | None:
    """A Chinese name shortened (鑫源超市 for 鑫源超市连锁) or with one character
    mistyped (华厦重工): the leading run of Chinese characters, longest first."""
    run = re.match(r"[\u3400-\u9fff]+", piece)
    if run is None:
        return None
    text = run.group(0)
    for size in range(min(len(text), 12), 2, -1):
        phrase = text[:size]
        keys = {k for k, _label in book.prefixed(phrase)}
        if len(keys) == 1:
            key = keys.pop()
            return key, book.names[key], size
        if size < 4:
            continue
        found = book.fuzzy(phrase, limit=2, cutoff=74, prefix=False)
        if found and (len(found) == 1 or found[0][2] - found[1][2] >= 5):
            return found[0][0], found[0][1], size
    return None


def _accounts(trace: Trace, book: NameBook) -> list[tuple[object, int, int, str]]:
    if trace.names:
        return [(h.key, h.start, h.end, h.label) for h in trace.names]
    return [(key, start, end, label) for key, label, start, end in trace.fuzzy]


def _no_account(
    text: str, intents: list[IntentHit], table: CommandTable, lang: str, trace: Trace
) -> Reading:
    """An intent and no account: the command's own parser asks which account."""
    hit = intents[0]
    rest = _rest(text, [(hit.start, hit.end)])
    readings = []
    if hit.strength in ("typo", "sound"):
        readings.append(
            _(
                "read_word",
                lang,
                typed=fold(text)[hit.start : hit.end],
                command=_word(table, hit, lang),
            )
        )
    if len({h.command for h in intents}) > 1:
        raise Choose(
            _("which_command_plain", lang),
            [
                Choice(table.find(h.command).text("summary", lang), f"{h.command} {rest}".strip())
                for h in _distinct(intents)
            ],
        )
    return Reading(hit.command, rest, readings, trace)


# --- rewriting ----------------------------------------------------------------------


def _went_to(s: str, names: list[NameHit]) -> IntentHit | None:
    """``去``/``到``/``去了`` right before the account's name: the rep went there."""
    if not names:
        return None
    start = names[0].start
    m = re.search(r"(?:去了|去|到了|到)$", s[:start])
    if m is None:
        return None
    return IntentHit(m.start(), m.end(), "visit", "strong", m.group(0))


def _opens(s: str, hit: IntentHit, words: tuple[str, ...]) -> bool:
    return hit.word in words and not s[: hit.start].strip()


def _word(table: CommandTable, hit: IntentHit, lang: str) -> str:
    """The command's word in ``lang`` (``/拜访``), as its usage line spells it."""
    return "/" + table.find(hit.command).text("usage", lang).split()[0].lstrip("/")


def _leads(text: str, hit: IntentHit, account: tuple[int, int]) -> bool:
    """The intent word opens the message, or only glue stands between it and the name."""
    s = fold(text)
    if not s[: hit.start].strip(" ,，:：;；"):
        return True
    lo, hi = (hit.end, account[0]) if hit.start < account[0] else (account[1], hit.start)
    between = s[lo:hi].strip(" ,，:：;；-—")
    return not between or all(_EN_GLUE.match(w) or _CN_GLUE.match(w) for w in between.split())


def _distinct(hits: list[IntentHit]) -> list[IntentHit]:
    seen: dict[str, IntentHit] = {}
    for h in hits:
        seen.setdefault(h.command, h)
    return list(seen.values())[:3]


def _rest(text: str, cuts: list[tuple[int, int]]) -> str:
    """``text`` without the ``cuts`` (the account, the command word) and the glue words
    right next to them ("opp *at* Initech", "*给*华夏重工开了发票"); the person's own
    characters otherwise."""
    s = fold(text)
    m = _LABEL_PREFIX.match(s)
    cuts = sorted(cuts + ([(0, m.end())] if m else []))
    pieces: list[str] = []
    pos = 0
    for start, end in cuts:
        if start < pos:
            pos = max(pos, end)
            continue
        pieces.append(text[pos:start])
        pos = end
    pieces.append(text[pos:])
    pieces = [_unglue(p, i > 0, i < len(pieces) - 1) for i, p in enumerate(pieces)]
    out = ""
    for piece in pieces:
        piece = piece.strip(" \t,，:：;；-—") if not out else piece
        first, last = piece.lstrip()[:1], out.rstrip()[-1:]
        if out and first.isalnum() and not (is_cjk(last or "a") and is_cjk(first)):
            out = out.rstrip() + " " + piece.lstrip()  # "吴总 yesterday": words apart
        else:
            out = join_text(out, piece) if out else piece
    return out.strip(" \t,，:：;；-—")


def _unglue(piece: str, after_cut: bool, before_cut: bool) -> str:
    words = piece.split(" ")
    if before_cut:
        while words and (not words[-1] or _EN_GLUE.match(words[-1].strip(",，"))):
            words.pop()
        piece = " ".join(words)
        while (
            piece
            and piece[-1] in _CN_GLUE_BEFORE
            and (len(piece) == 1 or is_cjk(piece[-2]) or piece[-2] == " ")
        ):
            piece = piece[:-1]
        words = piece.split(" ")
    if after_cut:
        while words and (not words[0] or _EN_GLUE.match(words[0].strip(",，"))):
            words.pop(0)
        piece = " ".join(words)
        glue = re.match(r"^(?:了|趟|一趟|的)(?=\S)", piece)
        if glue:
            piece = piece[glue.end() :]
    return " ".join(words) if not after_cut else piece


def _quote(name: str) -> str:
    return f"“{name}”" if '"' in name else f'"{name}"'


def _line(command: str, name: str, rest: str) -> str:
    return f"{command} {_quote(name)} {rest}".strip()
