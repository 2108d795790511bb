"""People in messages: who a note mentions, and who is new.

    match_contacts(text, contacts) -> ContactMatches(linked, ambiguous, unknown)
    extract_new_contacts(text) -> list[NewContact(name, title, start, end)]
    read_people(text, contacts) -> People(linked, ambiguous, new, not_people)
    split_title(text) -> (title, end) | None       a job title at the start of text

Words are not people
--------------------
* Role, title and acronym words (CEO, COO, VP, QBR, PO, team, procurement, the client,
  采购, 财务, 老板, 领导, 客户, 对方, 技术, 团队 …) are never names.
* A Latin name is one to three capitalised words that are none of those, optionally
  after Dr./Mr./Ms./Mrs./Prof.  A Chinese name is a surname (single or compound) and
  one or two given characters that are not a common word (``见了客户`` names nobody,
  ``周五`` is a day).
* Surname + honorific (``王总``, ``李经理``, ``张总监``, ``刘工``, ``陈老师``, ``小王``,
  ``Dr. Chen``, ``Mr. Li``) and a lone first name or surname (``Sarah``) *refer* to a
  contact: they link when exactly one of the account's contacts fits, are ambiguous
  when several do, and never create anyone (except ``Dr. Chen``-style Latin forms,
  which are how English notes name a new person).
* A new contact comes only from a person-name phrase after met / with / talked to /
  见了 / 拜访了 / 和…通了电话 / 跟…聊 …; a title may follow after a dash, a comma, a
  parenthesis or just a space (``周凯 项目经理``, ``Dr. Chen — Director of Clinical
  Ops``, ``Zhang Min, Head of Purchasing``), or come first in Chinese (``财务总监王建国``).

Offsets (``NewContact.start``/``end``) index the text as given: the parsers read
``fold(text)``, which keeps every character in its place.

This module finds new people after a trigger and puts it all together in
:func:`read_people`.  The parts live beside it and are re-exported here:
:mod:`.person_words` (surnames, honorifics, words that are not names, ``is_role_word``),
:mod:`.person_names` (name and title phrases: ``split_title``, ``looks_like_name``,
``leading_name``) and :mod:`.contact_mentions` (``match_contacts``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .contact_mentions import ContactMatches, match_contacts
from .person_names import (
    _cn_honorific_at,
    _cn_name_at,
    _cn_title_at,
    _en_name_at,
    _en_title_at,
    _familiar_ok,
    _followed_by_name_word,
    _title_after,
    leading_name,
    looks_like_name,
    split_title,
)
from .person_words import (
    _CN_FAMILIAR_RE,
    _CN_NOT_NAMES,
    _EN_ACRONYMS,
    _EN_GROUP_WORDS,
    _EN_NOT_NAMES,
    _EN_TITLE_HEADS,
    _EN_WORD_SCAN,
    _HAS_CJK,
    _NOT_GIVEN,
    _WORD_FIRST_NAMES,
    COMPOUND_SURNAMES,
    _fold,
    _is_surname,
    _words,
    chinese_surname,
    is_role_word,
    latin_surnames,
)
from .text import is_cjk, normalize

if TYPE_CHECKING:
    from .names import Candidate

__all__ = [
    "COMPOUND_SURNAMES",
    "ContactMatches",
    "NewContact",
    "People",
    "chinese_surname",
    "extract_new_contacts",
    "is_role_word",
    "latin_surnames",
    "leading_name",
    "looks_like_name",
    "match_contacts",
    "read_people",
    "split_title",
]


@dataclass(frozen=True)
class NewContact:
    """A person named in a note, maybe with a title: ``Li Wei, CFO``.

    ``start``/``end`` is the span of the name in the text as given (not compared).
    """

    name: str
    title: str | None = None
    start: int = field(default=-1, compare=False)
    end: int = field(default=-1, compare=False)


@dataclass
class People:
    """Everything :func:`read_people` understood about the people in a note."""

    linked: list[Any] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    new: list[NewContact] = field(default_factory=list)
    not_people: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------
# New people named in a note

_EN_TRIGGER = re.compile(
    r"(?<![A-Za-z])(?:"
    r"(?:met|meet(?:ing)?|spoke|speaking|talked|talking|chatted|chatting|caught\s+up|"
    r"catch(?:ing)?\s+up|synced|sync(?:ing)?|checked\s+in|hung\s+out)"
    r"(?:\s+up)?(?:\s+(?:with|w/|to))?|"
    r"(?:call(?:ed)?|lunch|dinner|coffee|breakfast|drinks|meal|visit(?:ed)?|demo(?:ed)?|"
    r"session|workshop|1:1|one-on-one)\s+(?:with|w/)|"
    r"called|phoned|rang|emailed|e-mailed|pinged|saw|introduced\s+to|intro(?:duced)?|"
    r"(?P<weak>with|w/|via|incl(?:uding)?\.?|cc))(?![A-Za-z])\s*",
    re.IGNORECASE,
)
_EN_TRIGGER_FIRST = _words(
    "met meet meeting spoke speaking talked talking chatted chatting caught catch catching "
    "synced sync syncing checked hung call called lunch dinner coffee breakfast drinks meal "
    "visit visited demo demoed session workshop 1:1 one-on-one phoned rang emailed e-mailed "
    "pinged saw introduced intro with w/ via incl including cc"
)


def _en_triggers(s: str) -> list[re.Match[str]]:
    found: list[re.Match[str]] = []
    end = 0
    for w in _EN_WORD_SCAN.finditer(s):
        if w.start() < end or w.group(0).casefold() not in _EN_TRIGGER_FIRST:
            continue
        m = _EN_TRIGGER.match(s, w.start())
        if m is not None:
            found.append(m)
            end = m.end()
    return found


_EN_DETERMINERS = re.compile(r"(?:the|their|our|his|her|its|a|an|new|also|both)\s+", re.IGNORECASE)
_EN_MORE = re.compile(r"\s*(?:,\s*)?(?:and|&|plus)\s+|\s*[,/]\s*", re.IGNORECASE)

_CN_LIST_TRIGGER = re.compile(
    r"见了|见到了|见到|见过|拜见了|拜见|拜会了|拜会|会见了|会见|约了|约见了|约见|"
    r"宴请了|宴请|请了|陪了|陪同|联系了|找了|遇到了|碰到了|认识了|对接了|对接人是|对接人|"
    r"联系人是|联系人|介绍了|接待了|沟通了|致电|电联了|电联|打电话给|打给了|"
    r"(?P<weak>拜访了|拜访|见)"
)
_CN_WITH_TRIGGER = re.compile(r"和|跟|与|同|给|找|约")
_CN_WITH_VERB = re.compile(
    r"\s*(?:一起|见了?面|通了?(?:个)?电话|打了?(?:个)?电话|通话|聊|谈|吃|喝|开(?:了)?(?:个)?会|"
    r"碰(?:了)?(?:个)?头|碰面|沟通|交流|讨论|商量|商谈|确认|会面|视频|电话|对接|见|约|"
    r"发了|打了|说了|汇报)"
)
_CN_WITH_VERB_ANYWHERE = re.compile(_CN_WITH_VERB.pattern.replace(r"\s*", "", 1))
_CN_MORE = re.compile(r"\s*(?:、|,|，|和|与|及|跟|以及|还有)\s*")
_CN_DETERMINERS = re.compile(
    r"(?:他们的|他们|对方的|对方|客户的|客户方的|客户方|客户|新来的|新任的|新任|新)"
)


_CN_NOT_NAMES_RE = re.compile(
    "|".join(re.escape(w) for w in sorted(_CN_NOT_NAMES, key=len, reverse=True)), re.IGNORECASE
)


@dataclass
class _Item:
    start: int
    end: int
    kind: str  # "name" (a new person could be made), "ref" (an honorific), "role"
    title: str | None = None


def _cn_item(s: str, pos: int) -> _Item | None:
    familiar = _CN_FAMILIAR_RE.match(s, pos)
    if familiar is not None and _is_surname(familiar.group("sur")) and _familiar_ok(s, familiar):
        return _Item(pos, familiar.end(), "ref")
    title_first: str | None = None
    name = _cn_name_at(s, pos)
    hon = _cn_honorific_at(s, pos)
    if hon is not None and (name is None or name[1] <= hon[1]):
        return _Item(hon[0], hon[1], "ref")
    got_title = _cn_title_at(s, pos) if name is None else None
    if name is None and got_title is not None:
        title_first, after = got_title
        if s.startswith("的", after):
            after += 1
        name = _cn_name_at(s, after)
        if name is None:
            hon2 = _cn_honorific_at(s, after)
            if hon2 is not None:
                return _Item(hon2[0], hon2[1], "ref")
            return _Item(pos, after, "role")
    if name is None:
        role = _CN_NOT_NAMES_RE.match(s, pos)
        return None if role is None else _Item(pos, role.end(), "role")
    start, end = name
    title, end2 = _title_after(s, end)
    if title is None and title_first is not None:
        title = normalize(title_first)
    return _Item(start, end2 if title else end, "name", title)


_EN_ROLE_PAREN = re.compile(r"([A-Za-z][A-Za-z &/-]{0,40}?)\s*[(（]\s*")


def _en_item(s: str, pos: int) -> _Item | None:
    det = _EN_DETERMINERS.match(s, pos)
    at = det.end() if det else pos
    # "procurement (Linda Park)", "their IT lead (Raj)"
    paren = _EN_ROLE_PAREN.match(s, at)
    if paren is not None and all(w.casefold() in _EN_NOT_NAMES for w in paren.group(1).split()):
        inner = _en_name_at(s, paren.end())
        close = inner and re.compile(r"\s*[)）]").match(s, inner[1])
        if inner and close:
            return _Item(inner[0], close.end(), "name", normalize(paren.group(1)))
    # "their CFO Li Wei", "the CFO, Li Wei" (but "Dean Lee" is a name)
    first_word = re.compile(r"[A-Za-z]+").match(s, at)
    lead = (
        None
        if first_word
        and first_word.group(0).casefold() in _WORD_FIRST_NAMES
        and _followed_by_name_word(s, first_word.end())
        else _en_title_at(s, at)
    )
    title_first: str | None = None
    if lead is not None:
        title_first, after = lead
        sep = re.compile(r"\s*,?\s*").match(s, after)
        assert sep is not None
        at_name = sep.end()
        if at_name < len(s) and is_cjk(s[at_name]):
            name = _cn_name_at(s, at_name)
        elif at_name < len(s) and s[at_name].isupper():
            name = _en_name_at(s, at_name)
        else:
            name = None
        if name is None:
            return _Item(at, after, "role")
    else:
        name = _en_name_at(s, at) if at < len(s) and s[at].isupper() else None
        if name is None:
            if at < len(s) and is_cjk(s[at]):
                return _cn_item(s, at)
            word = re.compile(r"[A-Za-z]+(?:\s+[A-Za-z]+)?").match(s, at)
            if word is not None and word.group(0).split()[0].casefold() in _EN_NOT_NAMES:
                w = word.group(0).split()[0]
                if w.casefold() in _EN_ACRONYMS | _EN_TITLE_HEADS | _EN_GROUP_WORDS | {
                    "client",
                    "customer",
                    "boss",
                }:
                    return _Item(pos, word.start() + len(w), "role")
            return None
    start, end = name
    title, end2 = _title_after(s, end)
    if title is None:
        title = title_first
        end2 = end
    return _Item(start, end2, "name", title)


def _listed(
    s: str, pos: int, read: Callable[[str, int], _Item | None], more: re.Pattern[str]
) -> list[_Item]:
    """The people listed from ``pos`` on, each read by ``read``, joined by ``more``."""
    items: list[_Item] = []
    while pos < len(s):
        item = read(s, pos)
        if item is None:
            break
        items.append(item)
        joined = more.match(s, item.end)
        if joined is None or joined.end() == item.end:
            break
        pos = joined.end()
    return items


def _en_items(s: str, pos: int) -> list[_Item]:
    return _listed(s, pos, _en_item, _EN_MORE)


def _cn_items(s: str, pos: int, memo: dict[int, _Item | None] | None = None) -> list[_Item]:
    """People listed from ``pos`` on (``王建国、李娟和周凯``); ``memo`` keeps the items
    already read at a position, since triggers overlap (``见了王总和李明见面``)."""
    memo = {} if memo is None else memo

    def read(text: str, at: int) -> _Item | None:
        if at not in memo:
            memo[at] = _cn_item_at(text, at)
        return memo[at]

    return _listed(s, pos, read, _CN_MORE)


def _cn_item_at(s: str, pos: int) -> _Item | None:
    det = _CN_DETERMINERS.match(s, pos)
    at = det.end() if det and det.end() < len(s) else pos
    item = _cn_item(s, at) if is_cjk(s[at]) else _en_item(s, at)
    if item is None and at != pos:
        item = _cn_item(s, pos)
    return item


def _may_start_person(s: str, pos: int) -> bool:
    """Cheap test: can a person (name, honorific, role, title) start at ``pos``?"""
    if pos >= len(s):
        return False
    ch = s[pos]
    return not (is_cjk(ch) and ch in _NOT_GIVEN and ch not in _PERSON_STARTS)


_PERSON_STARTS = frozenset("老小对客他新财采技")


def _strong(s: str, items: list[_Item], *, weak: bool) -> list[_Item]:
    """After a weak trigger (``with``, ``拜访``) that is as often followed by a company as by
    a person, a name counts only when it is unmistakable: two or more words (three
    characters in Chinese), an honorific, or a title with it."""
    if not weak:
        return items
    kept: list[_Item] = []
    for item in items:
        if item.kind == "name" and item.title is None:
            name = s[item.start : _name_end(s, item)]
            if is_cjk(name[0]) and len(name) < 3:
                continue
            if not is_cjk(name[0]) and " " not in name.strip():
                continue
        kept.append(item)
    return kept


def _items(text: str) -> tuple[str, list[_Item]]:
    s = _fold(text)
    found: list[_Item] = []
    if re.search(r"[A-Za-z]", s):
        for m in _en_triggers(s):
            found += _strong(s, _en_items(s, m.end()), weak=m.group("weak") is not None)
    if _HAS_CJK.search(s):
        memo: dict[int, _Item | None] = {}
        for m in _CN_LIST_TRIGGER.finditer(s):
            found += _strong(s, _cn_items(s, m.end(), memo), weak=m.group("weak") is not None)
        for m in _CN_WITH_TRIGGER.finditer(s):
            if not _may_start_person(s, m.end()) or not _CN_WITH_VERB_ANYWHERE.search(
                s, m.end() + 1, m.end() + 24
            ):
                continue
            items = _cn_items(s, m.end(), memo)
            if items and _CN_WITH_VERB.match(s, items[-1].end):
                found += items
    found.sort(key=lambda it: it.start)
    return s, found


def extract_new_contacts(text: str, *, exclude: Iterable[str] = ()) -> list[NewContact]:
    """People named after met / with / talked to / 见了 / 拜访了 / 和…通了电话 / 跟…聊 ….

    Only person-name phrases count (see the module docstring): ``talked to COO``,
    ``见了客户`` and ``见了王总`` name nobody new.  A title may follow after a comma, a
    dash, a parenthesis or a space, or come first in Chinese.  Lists with ``and`` /
    ``,`` / ``和`` / ``、`` give several people.  Names come once each, in order;
    names in ``exclude`` (the account's own name, say) are left out.
    """
    s, items = _items(text)
    skip = {normalize(x).casefold() for x in exclude}
    seen: set[str] = set()
    people: list[NewContact] = []
    for item in items:
        if item.kind != "name":
            continue
        name_end = _name_end(s, item)
        name = normalize(s[item.start : name_end])
        key = name.casefold()
        if not name or key in seen or key in skip:
            continue
        seen.add(key)
        people.append(NewContact(name, item.title, item.start, name_end))
    return people


def _name_end(s: str, item: _Item) -> int:
    if is_cjk(s[item.start]):
        got = _cn_name_at(s, item.start)
    else:
        got = _en_name_at(s, item.start)
    return got[1] if got else item.end


def read_people(text: str, contacts: Sequence[Candidate], *, exclude: Iterable[str] = ()) -> People:
    """Who ``text`` is about, against the account's ``contacts``.

    ``linked``: contacts named (full name, alias, honorific, unique first name);
    ``ambiguous``: mentions that fit several contacts — neither linked nor created;
    ``new``: person names that are no contact yet; ``not_people``: phrases standing
    where a person could (after ``met`` / ``见了`` …) that were not taken — role words
    (``COO``, ``客户``), honorifics that fit no contact (``王总``) and ambiguous mentions.
    """
    matches = match_contacts(text, contacts)
    result = People(linked=list(matches.linked), ambiguous=list(matches.ambiguous))
    s, items = _items(text)
    skip = {normalize(x).casefold() for x in exclude}
    seen: set[str] = set()
    for item in items:
        phrase = normalize(s[item.start : item.end])
        if item.kind == "ref":
            continue  # linked, ambiguous or unknown: match_contacts has said which
        if item.kind != "name":
            if phrase and phrase not in result.not_people:
                result.not_people.append(phrase)
            continue
        name_end = _name_end(s, item)
        name = normalize(s[item.start : name_end])
        key = name.casefold()
        if not name or key in seen or key in skip:
            continue
        seen.add(key)
        own = match_contacts(name, contacts)
        if own.linked:
            continue
        if own.ambiguous or name in matches.ambiguous:
            if name not in result.not_people:
                result.not_people.append(name)
            continue
        result.new.append(NewContact(name, item.title, item.start, name_end))
    for mention in [*matches.ambiguous, *matches.unknown]:
        if mention not in result.not_people:
            result.not_people.append(mention)
    return result
