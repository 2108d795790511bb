"""Which command someone probably meant, when the first word is not one.

    "/vist Acme"          typo of a command word     → visit
    "visited Acme …"      an English verb form       → visit
    "had lunch with …"    a phrase for a command     → meal
    "拜访了华夏重工"        a Chinese command + 了/过   → visit

Only a guess: the dispatcher never runs it, it answers "Did you mean /visit?" with
the command's own example.  Everything comes from the command table except the few
irregular English forms below.
"""

from __future__ import annotations

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from handlers.parsing.text import is_cjk
from handlers.registry import CommandSpec, CommandTable

# A typo is one edit (a wrong, missing, extra or swapped character) in a word of up to
# six characters, two in a longer one: vist → visit, hepl → help, remidner → reminder.
# "note" (two from "done") and "thanks" (two from "tasks") are no typos.
SHORT_WORD = 6
MAX_SUGGESTIONS = 2
CN_PARTICLES = ("了", "过")  # 拜访了 = visited; never part of a command word

# Forms a rule cannot derive from the command's name (visit → visited/visiting/visits).
_IRREGULAR = {
    "met": "meet",
    "phoned": "call",
    "rang": "call",
    "lunch": "meal",
    "dinner": "meal",
    "breakfast": "meal",
    "dined": "meal",
}
_PHRASES = {  # leading words, normalised to lower case
    "had lunch": "meal",
    "had dinner": "meal",
    "had breakfast": "meal",
    "had a meal": "meal",
    "had a meeting": "meet",
    "had a call": "call",
    "打电话": "call",
    "打了电话": "call",
    "通电话": "call",
    "通了电话": "call",
    "开会": "meet",
    "开了会": "meet",
    "吃饭": "meal",
    "吃了饭": "meal",
    "请吃饭": "meal",
}


def _inflections(name: str) -> set[str]:
    """visit → visited, visiting, visits; snooze → snoozed, snoozing, snoozes."""
    stem = name[:-1] if name.endswith("e") else name
    return {f"{stem}ed", f"{stem}ing", f"{name}s"}


def _verb_forms(table: CommandTable) -> dict[str, str]:
    forms: dict[str, str] = {}
    for spec in table:
        if spec.name.isascii():
            for form in _inflections(spec.name):
                forms.setdefault(form, spec.name)
    forms.update(_IRREGULAR)
    return forms


def guess(text: str, table: CommandTable) -> list[CommandSpec]:
    """The command(s) ``text`` (a message whose first word is no command) most likely means.

    ``text`` is the normalised message without its leading slash.  Empty when there
    is no good guess; at most two when two commands are equally close.
    """
    low = text.casefold().strip()
    if not low:
        return []
    for phrase, name in _PHRASES.items():
        if (
            low == phrase
            or low.startswith(phrase + " ")
            or (is_cjk(phrase[0]) and low.startswith(phrase))
        ):
            return _specs(table, [name])
    word = low.split()[0]
    if is_cjk(word[0]):
        particle = [w for w in table.words() if _cn_form(word, w)]
        return _specs(table, particle[:1]) if particle else _typo(table, word)
    forms = _verb_forms(table)
    bare = word.rstrip(",.;:!?")
    if bare in forms:
        return _specs(table, [forms[bare]])
    return _typo(table, bare)


def _cn_form(word: str, command_word: str) -> bool:
    """拜访了… / 拜访过… : a Chinese command word followed by a past-tense particle."""
    if command_word.isascii() or not word.startswith(command_word):
        return False
    return word[len(command_word) :].startswith(CN_PARTICLES)


def _typo(table: CommandTable, word: str) -> list[CommandSpec]:
    """The command words one or two edits away (one-letter ASCII aliases are left out).

    Among equally few edits the more similar word wins (vist: visit, not hist).
    """
    limit = 1 if len(word) <= SHORT_WORD else 2
    close = sorted(
        (OSA.distance(word, w), -fuzz.ratio(word, w), w)
        for w in table.words()
        if len(w) >= 3 or not w.isascii()
    )
    best = close[0][:2] if close else None
    if best is None or best[0] > limit:
        return []
    return _specs(table, [w for d, r, w in close if (d, r) == best])


def _specs(table: CommandTable, words: list[str]) -> list[CommandSpec]:
    out: list[CommandSpec] = []
    for word in words:
        spec = table.find(word)
        if spec is not None and spec not in out:
            out.append(spec)
    return out[:MAX_SUGGESTIONS]
