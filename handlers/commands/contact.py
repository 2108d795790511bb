"""``/contact`` (``/联系人``): add or update a person at an account; list the decision chain;
the contact's life over time (left, back, merged, removed).

    /contact Acme Li Wei, CFO, decision maker, birthday 5-3
    /contact Acme "Tom Brown" champion phone +86 138 0013 8000 email tom@acme.com
    /联系人 华夏重工 王建国 总经理 决策人 生日 农历四月初八
    /contact Acme Li Wei title CFO role decision maker     (one field or several, by name)
    /contact Acme Li Wei name Wei Li                        (rename; 姓名/改名)
    /contact Acme Sarah Miller left joined Globex          (离职/已离职/走了; kept in history)
    /contact Acme Sarah Miller back                         (回来/复职)
    /contact Acme merge "Sarah" into "Sarah Miller"         (合并 "李经理" 到 "李娜")
    /contact Acme remove Tom Brown                          (删除; managers, no history)
    /contact Acme                                (everyone at Acme)

A contact who left keeps her interactions and stays in the list, apart; she is off the
decision chain (not counted for coverage, the decision maker or the tier), out of
birthday pushes, and linked to a new visit only when named in full.

The name comes first (quoted, before the first comma or dash, or the person name the
text starts with: ``Zhang Min Head of Purchasing``, ``周凯项目经理``).  Then, in any
order: a role (decision maker/决策人, influencer/影响者, champion/支持者/教练,
user/使用者, procurement/采购, blocker/反对者) where it stands as a role — a part of
its own, or next to a complete title (``CFO decision maker``); a role word inside a
title is part of the title (``Head of Purchasing``, ``procurement manager``,
``采购经理``) — a birthday after ``birthday``/``生日`` (``5-3``, ``May 3``,
``1985-05-03``, ``5月3日``, ``农历四月初八``, ``农历闰四月初八``, ``lunar 4-8``), a phone
and an email; whatever is left is the title.  A title where the name should be
(``/contact Acme COO``) is refused.  A contact is found by account and name (case-insensitive): an
existing one gets only the fields given in the message.
"""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

from pydantic import BaseModel
from pydantic import Field as ModelField
from rapidfuzz import fuzz, process

from domain.calendar import Birthday, next_occurrence, parse_lunar_text
from domain.errors import Forbidden, InvalidInput, NotFound, ParseError
from domain.models import Account, Contact, ContactRole, InteractionContact
from handlers.auth import is_manager, require_read, require_write
from handlers.clarify import Choice, Choose
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account, split_account
from handlers.paging import page_of, paged, split_page
from handlers.parsing.dates_en import MONTH_NUMBER
from handlers.parsing.people import is_role_word, leading_name, split_title
from handlers.parsing.text import is_cjk, normalize
from handlers.registry import command
from handlers.replies import Action, Field, Reply, Severity
from handlers.views import birthday_of, fmt_day, format_birthday, label
from storage import audit
from storage import contacts as contact_repo
from storage.tiering import rescore

MAX_NAME = 100
MAX_TITLE = 100
MAX_PHONE = 40
MAX_EMAIL = 200
MAX_NOTE = 300
MAX_CHOICES = 3
CLOSE_SCORE = 70

_ = Catalog("contact")

ROLE_WORDS: dict[ContactRole, tuple[str, ...]] = {
    ContactRole.decision_maker: (
        "decision maker",
        "decision-maker",
        "decider",
        "决策人",
        "决策者",
        "拍板人",
    ),
    ContactRole.influencer: ("influencer", "影响者", "影响人"),
    ContactRole.champion: ("champion", "coach", "sponsor", "支持者", "教练", "内线"),
    ContactRole.user: ("user", "end user", "使用者", "用户"),
    ContactRole.procurement: ("procurement", "purchasing", "buyer", "采购"),
    ContactRole.blocker: ("blocker", "detractor", "反对者", "阻碍者"),
}
# Too common inside titles ("power user", "chief buyer") to count unless they stand alone.
_ALONE_ONLY = {"user", "buyer", "coach", "sponsor", "用户"}
_ROLE_PHRASES = sorted(
    ((tuple(w.casefold().split()), role) for role, ws in ROLE_WORDS.items() for w in ws),
    key=lambda pair: len(pair[0]),
    reverse=True,
)
ROLE_ORDER = [
    ContactRole.decision_maker,
    ContactRole.champion,
    ContactRole.influencer,
    ContactRole.procurement,
    ContactRole.user,
    ContactRole.blocker,
]

_QUOTES = {'"': '"', "“": "”", "「": "」", "『": "』"}
_SEP = ",;、"
_BIRTHDAY_KW = re.compile(
    r"(?<![A-Za-z])(?:birthday|bday|b-day|born|dob|date of birth)(?:\s+(?:is|on))?\s*:?\s*"
    r"|(?:生日|出生日期|出生)(?:是|为)?\s*:?\s*",
    re.IGNORECASE,
)
_PHONE_KW = re.compile(
    r"(?:(?<![A-Za-z])(?:phone|tel|mobile|cell)|手机号码|手机号|手机|电话)\s*:?\s*"
    r"(?P<value>\+?[\d(][\d\s()\-]{4,}\d)",
    re.IGNORECASE,
)
_PHONE_BARE = re.compile(
    r"(?<![\d\w])(?:\+\d{1,3}[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}"
    r"|0\d{2,3}-\d{7,8}|\+\d[\d\s-]{7,}\d)(?!\d)"
)
_EMAIL = re.compile(
    r"(?:(?:(?<![A-Za-z])(?:email|e-mail|mail)|邮箱|邮件)\s*:?\s*)?"
    r"(?P<value>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    re.IGNORECASE,
)
_EMAIL_KW_ONLY = re.compile(
    r"(?:(?<![A-Za-z])(?:email|e-mail)|邮箱)\s*:?\s*(?P<value>\S+)", re.IGNORECASE
)
_MONTHS = MONTH_NUMBER
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_MONTH_DAY = re.compile(r"(\d{1,2})[-/.](\d{1,2})")
_CN_DAY = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_EN_MD = re.compile(
    rf"({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*,?\s*(\d{{4}}))?", re.IGNORECASE
)
_EN_DM = re.compile(
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE})\.?(?:\s*,?\s*(\d{{4}}))?", re.IGNORECASE
)
_YEAR_PREFIX = re.compile(r"(\d{4})\s*年?\s*")


class BirthdayIn(BaseModel):
    month: int
    day: int
    year: int | None = None
    lunar: bool = False
    leap_month: bool = False


class ContactCommand(BaseModel):
    command: str = "contact"
    account: str
    name: str | None = None
    title: str | None = None
    role: ContactRole | None = None
    birthday: BirthdayIn | None = None
    phone: str | None = None
    email: str | None = None
    new_name: str | None = None  # "/contact Acme Li Wei name Wei Li"
    page: int | None = ModelField(
        default=None, exclude=True
    )  # the list's page: "/contact Acme p 2"


class ContactLeft(BaseModel):
    """``/contact Acme Sarah Miller left [note]``, or ``… back`` (``back=True``)."""

    command: str = "contact"
    account: str
    name: str
    back: bool = False
    note: str | None = None


class ContactMerge(BaseModel):
    """``/contact Acme merge "Sarah" into "Sarah Miller"``: ``duplicate`` goes into ``keep``."""

    command: str = "contact"
    account: str
    duplicate: str
    keep: str


class ContactRemove(BaseModel):
    command: str = "contact"
    account: str
    name: str


# --- parsing ----------------------------------------------------------------------


def parse_birthday(text: str, *, today: date) -> Birthday | None:
    """A birthday as typed, or None when ``text`` does not look like one.

    Raises ParseError-worthy ``InvalidInput`` when it looks like one but cannot be
    (``2-30``, ``农历十三月初一``); the caller words it.
    """
    text = text.strip().rstrip(".。")
    year = None
    rest = text
    if (m := _YEAR_PREFIX.match(text)) and not _ISO.fullmatch(text):
        year, rest = int(m[1]), text[m.end() :]
    lunar = parse_lunar_text(rest)  # raises InvalidInput for an impossible lunar date
    if lunar is not None:
        month, day, leap = lunar
        return _birthday(month, day, year, lunar=True, leap=leap, today=today)
    if (m := _ISO.fullmatch(text)) is not None:
        return _birthday(int(m[2]), int(m[3]), int(m[1]), today=today)
    if (m := _MONTH_DAY.fullmatch(text)) is not None:
        return _birthday(int(m[1]), int(m[2]), None, today=today)
    if (m := _CN_DAY.fullmatch(text)) is not None:
        return _birthday(int(m[2]), int(m[3]), int(m[1]) if m[1] else None, today=today)
    if (m := _EN_MD.fullmatch(text)) is not None:
        return _birthday(_MONTHS[m[1].lower()], int(m[2]), _int(m[3]), today=today)
    if (m := _EN_DM.fullmatch(text)) is not None:
        return _birthday(_MONTHS[m[2].lower()], int(m[1]), _int(m[3]), today=today)
    return None


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def _birthday(
    month: int, day: int, year: int | None, *, today: date, lunar: bool = False, leap: bool = False
) -> Birthday:
    if year is not None and not 1900 <= year <= today.year:
        raise InvalidInput("implausible year of birth", year=year)
    return Birthday(month=month, day=day, year=year, lunar=lunar, leap_month=leap)


def _take_birthday(s: str, pctx: ParseContext) -> tuple[Birthday | None, str]:
    """Find ``birthday …`` / ``生日 …``; return the birthday and the text without it."""
    lang = pctx.lang
    kw = _BIRTHDAY_KW.search(s)
    if kw is None:
        return None, s
    tail = s[kw.end() :]
    best: tuple[Birthday, int] | None = None
    problem: InvalidInput | None = None
    for i, m in enumerate(re.finditer(r"[^\s,;、]+", tail)):
        if i == 5:
            break
        try:
            found = parse_birthday(tail[: m.end()], today=pctx.now.date())
        except InvalidInput as exc:
            problem = problem or exc
            continue
        if found is not None:
            best = (found, m.end())
    if best is None:
        shown = re.split(r"[,;、]", tail, maxsplit=1)[0].strip()
        if not shown:
            raise ParseError(_("no_birthday", lang))
        if problem is not None and "year" in problem.params:
            raise ParseError(_("bad_year", lang, year=problem.params["year"]))
        raise ParseError(_("bad_birthday", lang, text=shown))
    birthday, end = best
    return birthday, s[: kw.start()] + ", " + tail[end:]


def _take_phone(s: str, lang: str) -> tuple[str | None, str]:
    m = _PHONE_KW.search(s)
    if m is not None:
        value = m["value"]
    else:
        m = _PHONE_BARE.search(s)
        if m is None:
            return None, s
        value = m.group()
    value = " ".join(value.split())
    digits = sum(ch.isdigit() for ch in value)
    if not 5 <= digits <= 20 or len(value) > MAX_PHONE:
        raise ParseError(_("bad_phone", lang, text=value))
    return value, s[: m.start()] + ", " + s[m.end() :]


def _take_email(s: str, lang: str) -> tuple[str | None, str]:
    m = _EMAIL.search(s)
    if m is None:
        kw = _EMAIL_KW_ONLY.search(s)
        if kw is not None:
            raise ParseError(_("bad_email", lang, text=kw["value"]))
        return None, s
    value = m["value"].rstrip(".")
    if len(value) > MAX_EMAIL:
        raise ParseError(_("bad_email", lang, text=value))
    return value, s[: m.start()] + ", " + s[m.end() :]


def _roles_in(words: list[str]) -> tuple[list[ContactRole], list[str]]:
    """The roles named in a run of words, and the words left over."""
    folded = [w.casefold() for w in words]
    alone = len(words)
    roles: list[ContactRole] = []
    left: list[str] = []
    i = 0
    while i < len(words):
        for phrase, role in _ROLE_PHRASES:
            n = len(phrase)
            if tuple(folded[i : i + n]) == phrase and (
                " ".join(phrase) not in _ALONE_ONLY or n == alone
            ):
                roles.append(role)
                i += n
                break
        else:
            left.append(words[i])
            i += 1
    return roles, left


def _is_role(words: list[str]) -> bool:
    roles, left = _roles_in(words)
    return bool(roles) and not left


def _role_of(words: list[str]) -> ContactRole | None:
    """The role these words are, exactly (``decision maker``), unless the word is too
    common inside titles to count when not alone (``user``, ``buyer``)."""
    phrase = tuple(w.casefold() for w in words)
    if " ".join(phrase) in _ALONE_ONLY:
        return None
    return next((role for p, role in _ROLE_PHRASES if p == phrase), None)


def _is_title(text: str) -> bool:
    got = split_title(text)
    return got is not None and not text[got[1] :].strip()


_CONNECTORS = {"of", "for", "and", "&", "in", "to", "/"}
# Role words that are departments too: before a title they are part of it
# ("procurement manager", "采购经理").
_DEPARTMENT_ROLES = {ContactRole.procurement, ContactRole.user}


def _read_part(part: str) -> tuple[list[ContactRole], str | None]:
    """One comma-separated part: roles, a title, or a title with a role next to it.

    A role word is a role when it stands as one — the whole part (``influencer``), or
    after a complete title (``CFO decision maker``, ``技术总监 支持者``,
    ``总经理决策人``), or before one (``decision maker CFO``).  Inside a title it is
    part of the title: ``Head of Purchasing``, ``procurement manager``, ``采购经理``.
    """
    words = part.split()
    roles, left = _roles_in(words)
    if roles and not left:
        return roles, None
    if len(words) == 1 and is_cjk(part[0]):
        for phrase, role in _ROLE_PHRASES:
            word = phrase[0]
            if len(phrase) == 1 and is_cjk(word[0]) and word not in _ALONE_ONLY:
                head = part[: -len(word)]
                if part.endswith(word) and head and _is_title(head):
                    return [role], head
        return [], part
    for n in (2, 1):
        if len(words) <= n:
            continue
        head = words[:-n]
        role = _role_of(words[-n:])
        if role and head[-1].casefold() not in _CONNECTORS and _is_title(" ".join(head)):
            return [role], " ".join(head)
        role = _role_of(words[:n])
        if role and role not in _DEPARTMENT_ROLES and _is_title(" ".join(words[n:])):
            return [role], " ".join(words[n:])
    return [], part


def _starts_with_title_or_role(text: str) -> bool:
    words = text.split()
    if not words:
        return True
    if split_title(text) is not None:
        return True
    return any(_role_of(words[:n]) or _is_role(words[:n]) for n in (1, 2))


def _take_name(parts: list[str]) -> tuple[str | None, list[str]]:
    """The person's name from the first part, and the parts left.

    ``Zhang Min Head of Purchasing`` and ``周凯项目经理`` are a name and a title; a name
    that does not read like one (``Ludwig van Beethoven``) is taken whole when a
    comma follows it, else up to the first role or title word."""
    first = parts[0]
    if _is_title(first):  # refused by the caller: a title is not a name
        return first, parts[1:]
    end = leading_name(first)
    if end is not None:
        tail = first[end:].strip(" -–—:：")
        if _starts_with_title_or_role(tail):
            return first[:end].strip(), ([tail] if tail else []) + parts[1:]
    words = first.split()
    if len(parts) > 1 or not words:
        return first, parts[1:]
    if is_cjk(words[0][0]):  # 王建国 总经理 决策人
        return words[0], [" ".join(words[1:])] if len(words) > 1 else []
    # li wei decision maker: the words before the first role or title word
    cut = next(
        (
            i
            for i in range(len(words))
            if _is_role(words[i : i + 1])
            or _is_role(words[i : i + 2])
            or (i > 0 and split_title(" ".join(words[i:])) is not None)
        ),
        len(words),
    )
    return " ".join(words[:cut]), [" ".join(words[cut:])] if cut < len(words) else []


_PARTS = re.compile(r"\s*(?:[,;、]|\s[-–—]+\s|[–—]+)\s*")

# --- a contact's life over time: left, back, merge, remove -----------------------------

_NAME = r"(?P<name>[^,;、，；]+?)"
_LEFT = re.compile(
    _NAME + r"\s*(?:(?<![A-Za-z])(?:has\s+left|left\s+the\s+company|left)(?![A-Za-z])"
    r"|已经离职了|已经离职|已离职|离职了|离职|已经走了|走了)"
    r"(?:\s*$|[\s,;:，；：。、—–-]+(?P<note>.*))",
    re.IGNORECASE | re.DOTALL,
)
_BACK = re.compile(
    _NAME + r"\s*(?:(?<![A-Za-z])(?:is\s+back|came\s+back|back|returned|rejoined)(?![A-Za-z])"
    r"|回来了|回来|复职了|复职|重新入职)[\s.!。！]*$",
    re.IGNORECASE,
)
_MERGE = re.compile(
    r"(?:(?:merge)\s+(?P<a>.+?)\s+(?:into|to|->|→)\s+(?P<b>.+)"
    r"|合并\s*(?P<c>.+?)\s*(?:到|进|入|至|->|→)\s*(?P<d>.+)"
    r"|把?\s*(?P<e>.+?)\s*合并(?:到|进|入|至)\s*(?P<f>.+))$",
    re.IGNORECASE,
)
_REMOVE = re.compile(r"(?:(?:remove|delete)\s+|(?:删除|删掉)\s*)(?P<name>.+)$", re.IGNORECASE)
_MERGE_WORD = re.compile(r"(?:merge(?![A-Za-z])|合并)", re.IGNORECASE)


def _unquote(text: str) -> str:
    text = text.strip().strip(" .。")
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == _QUOTES[text[0]]:
        text = text[1:-1].strip()
    return text


def _person(name: str, account: str, lang: str) -> str:
    """A contact's name as typed for left/back/merge/remove, checked."""
    name = _unquote(name)
    if not name:
        raise ParseError(_("no_name", lang, account=account))
    if len(name) > MAX_NAME:
        raise ParseError(_("too_long", lang, what=_("what_name", lang), n=MAX_NAME))
    return name


def _parse_life(account: str, rest: str, lang: str) -> BaseModel | None:
    """``left``/``back``/``merge``/``remove`` forms, or None for an add-or-update."""
    if (m := _REMOVE.fullmatch(rest)) is not None:
        return ContactRemove(account=account, name=_person(m["name"], account, lang))
    m = _MERGE.fullmatch(rest)
    if m is None and _MERGE_WORD.match(rest):  # "merge Sarah": which into which?
        raise ParseError(_("merge_how", lang, account=account))
    if m is not None:
        a, b = (m["a"], m["b"]) if m["a"] else (m["c"], m["d"]) if m["c"] else (m["e"], m["f"])
        return ContactMerge(
            account=account,
            duplicate=_person(a, account, lang),
            keep=_person(b, account, lang),
        )
    if (m := _BACK.fullmatch(rest)) is not None:
        return ContactLeft(account=account, name=_person(m["name"], account, lang), back=True)
    if (m := _LEFT.fullmatch(rest)) is not None:
        note = (m["note"] or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise ParseError(_("too_long", lang, what=_("what_note", lang), n=MAX_NOTE))
        return ContactLeft(account=account, name=_person(m["name"], account, lang), note=note)
    return None


# --- one field by name: "Li Wei title CFO", "李娜 职位 采购总监" --------------------------

_FIELD_KW = re.compile(
    r"(?<![A-Za-z])(?P<en>title|role|new\s+name|rename(?:\s+to)?|name)(?![A-Za-z])"
    r"(?:\s+(?:is|to)(?![A-Za-z]))?\s*[:=]?\s*"
    r"|(?P<zh>职位|职务|头衔|角色|新名字|姓名|名字|改名为|改名|更名为|更名)\s*(?:改为|为|是|[:：=])?\s*",
    re.IGNORECASE,
)
_FIELD_OF = {
    "title": "title",
    "职位": "title",
    "职务": "title",
    "头衔": "title",
    "role": "role",
    "角色": "role",
}


def _take_fields(rest: str, lang: str, account: str) -> tuple[str, dict[str, str]] | None:
    """``Li Wei title CFO role decision maker`` → (``Li Wei``, {title: CFO, role: …}).

    None when no field is named after a name (the comma form is read as before)."""
    found = [m for m in _FIELD_KW.finditer(rest) if rest[: m.start()].strip(" " + _SEP)]
    if not found:
        return None
    head = rest[: found[0].start()].strip(" " + _SEP)
    values: dict[str, str] = {}
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(rest)
        word = " ".join((m["en"] or m["zh"]).casefold().split())
        what = _FIELD_OF.get(word, "name")
        value = rest[m.end() : end].strip(" " + _SEP)
        if not value:
            raise ParseError(_("field_empty", lang, field=m.group().strip(), account=account))
        if what in values:
            raise ParseError(_("field_twice", lang, field=m.group().strip()))
        values[what] = value
    return head, values


def parse_contact(args: str, pctx: ParseContext) -> BaseModel:
    lang = pctx.lang
    body, page = split_page(args)
    if page is not None and body:
        account, rest = split_account(body, pctx)
        if not normalize(rest):
            return ContactCommand(account=account, page=page)  # a page of the list
    account, rest = split_account(args, pctx)
    rest = normalize(rest)
    cmd = ContactCommand(account=account)
    if not rest:
        return cmd
    life = _parse_life(account, rest, lang)
    if life is not None:
        return life

    name: str | None = None
    if rest[0] in _QUOTES:
        close = rest.find(_QUOTES[rest[0]], 1)
        if close > 0:
            name, rest = rest[1:close].strip(), ", " + rest[close + 1 :]

    birthday, rest = _take_birthday(rest, pctx)
    email, rest = _take_email(rest, lang)
    phone, rest = _take_phone(rest, lang)
    if birthday is not None:
        b = birthday
        cmd.birthday = BirthdayIn(
            month=b.month, day=b.day, year=b.year, lunar=b.lunar, leap_month=b.leap_month
        )
    cmd.email, cmd.phone = email, phone

    fields = _take_fields(rest, lang, account)
    if fields is not None:
        rest, explicit = fields
        if name is None and not any(ch in rest for ch in _SEP):  # just the name
            name, rest = _unquote(rest), ""
    parts = [p.strip() for p in _PARTS.split(rest.strip(" " + _SEP)) if p.strip()]
    if name is None and parts:
        name, parts = _take_name(parts)
    if not name or _is_role(name.split()):
        if parts or name or cmd.birthday or cmd.phone or cmd.email:
            raise ParseError(_("no_name", lang, account=account))
        return cmd
    if is_role_word(name) or _is_title(name):
        raise ParseError(_("title_not_name", lang, account=account, title=name))
    if len(name) > MAX_NAME:
        raise ParseError(_("too_long", lang, what=_("what_name", lang), n=MAX_NAME))
    cmd.name = name

    roles: list[ContactRole] = []
    titles: list[str] = []
    for part in parts:
        found, title = _read_part(part)
        roles += found
        if title:
            titles.append(title)
    distinct = list(dict.fromkeys(roles))
    if len(distinct) > 1:
        raise ParseError(
            _("two_roles", lang, a=label(distinct[0], lang), b=label(distinct[1], lang))
        )
    cmd.role = distinct[0] if distinct else None
    if titles:
        cmd.title = ", ".join(titles)
    if fields is not None:
        _explicit(cmd, explicit, lang)
    if cmd.title is not None and len(cmd.title) > MAX_TITLE:
        raise ParseError(_("too_long", lang, what=_("what_title", lang), n=MAX_TITLE))
    return cmd


def _explicit(cmd: ContactCommand, values: dict[str, str], lang: str) -> None:
    """Fields named with their word (``title CFO``): they win over a reading of the rest."""
    if "title" in values:
        cmd.title = values["title"]
    if "role" in values:
        roles, left = _roles_in(values["role"].split())
        distinct = list(dict.fromkeys(roles))
        if len(distinct) != 1 or left:
            raise ParseError(_("bad_role", lang, text=values["role"], roles=_role_list(lang)))
        cmd.role = distinct[0]
    if "name" in values:
        new = _unquote(values["name"])
        if is_role_word(new) or _is_title(new) or _is_role(new.split()):
            raise ParseError(_("title_not_name", lang, account=cmd.account, title=new))
        if len(new) > MAX_NAME:
            raise ParseError(_("too_long", lang, what=_("what_name", lang), n=MAX_NAME))
        cmd.new_name = new


def _role_list(lang: str) -> str:
    return ", ".join(label(role, lang) for role in ROLE_ORDER)


# --- running ----------------------------------------------------------------------


@command(
    name="contact",
    aliases=("联系人",),
    parse=parse_contact,
    writes=True,
    slash=True,
)
def run_contact(ctx: Context, cmd: BaseModel) -> Reply:
    account = resolve_account(ctx, cmd.account)  # type: ignore[attr-defined]
    if isinstance(cmd, ContactRemove):
        if not is_manager(ctx.actor):  # before anything about the contact is read
            raise Forbidden(_("remove_managers", ctx.lang, account=account.name))
        require_write(ctx.session, ctx.actor, account, ctx.lang)
        return _remove(ctx, account, cmd)
    if isinstance(cmd, ContactLeft):
        require_write(ctx.session, ctx.actor, account, ctx.lang)
        return _back(ctx, account, cmd) if cmd.back else _left(ctx, account, cmd)
    if isinstance(cmd, ContactMerge):
        require_write(ctx.session, ctx.actor, account, ctx.lang)
        return _merge(ctx, account, cmd)
    assert isinstance(cmd, ContactCommand)
    if cmd.name is None:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _list(ctx, account, cmd.page)
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    contact = contact_repo.by_name(ctx.session, account.id, cmd.name)
    if contact is None:
        if cmd.new_name is not None:  # a rename needs someone to rename
            contact = _find(ctx, account, cmd.name, lambda n: _retyped(ctx, cmd, n))
        else:
            return _create(ctx, account, cmd)
    return _update(ctx, account, contact, cmd)


def _retyped(ctx: Context, cmd: ContactCommand, name: str) -> str:
    """``cmd`` as a message again, about ``name``: what a choice runs."""
    bits = [f"contact {cmd.account} {_quoted(name)}"]
    if cmd.new_name is not None:
        bits.append(f"name {cmd.new_name}")
    if cmd.title is not None:
        bits.append(f"title {cmd.title}")
    if cmd.role is not None:
        bits.append(f"role {label(cmd.role, 'en')}")
    if cmd.phone is not None:
        bits.append(f"phone {cmd.phone}")
    if cmd.email is not None:
        bits.append(f"email {cmd.email}")
    if cmd.birthday is not None:
        b = cmd.birthday
        day = f"{b.month}-{b.day}" if b.year is None else f"{b.year}-{b.month}-{b.day}"
        bits.append(f"birthday {'lunar ' if b.lunar else ''}{'leap ' if b.leap_month else ''}{day}")
    return " ".join(bits)


def _quoted(name: str) -> str:
    return f'"{name}"'


def _find(ctx: Context, account: Account, name: str, retry) -> Contact:
    """The account's contact called ``name``; else ask between the close ones
    (``retry(name)`` is the message each choice runs), else NotFound."""
    contact = contact_repo.by_name(ctx.session, account.id, name)
    if contact is not None:
        return contact
    lang = ctx.lang
    names = [row.name for row in contact_repo.names_of_account(ctx.session, account.id)]
    close = process.extract(
        name, names, scorer=fuzz.WRatio, limit=MAX_CHOICES, score_cutoff=CLOSE_SCORE
    )
    if close:
        raise Choose(
            _("which", lang, name=name, account=account.name),
            [Choice(n, retry(n)) for n, _score, _i in close],
        )
    raise NotFound(
        _("no_such", lang, name=name, account=account.name),
        hint=_("list_hint", lang, account=account.name),
    )


def _values(cmd: ContactCommand) -> dict[str, object]:
    """The contact columns the message sets (only those it mentions)."""
    values: dict[str, object] = {}
    if cmd.title is not None:
        values["title"] = cmd.title
    if cmd.role is not None:
        values["role"] = cmd.role.value
    if cmd.birthday is not None:
        b = cmd.birthday
        values |= {
            "birthday_month": b.month,
            "birthday_day": b.day,
            "birthday_year": b.year,
            "birthday_lunar": b.lunar,
            "birthday_leap_month": b.leap_month,
        }
    if cmd.phone is not None:
        values["phone"] = cmd.phone
    if cmd.email is not None:
        values["email"] = cmd.email
    return values


def _create(ctx: Context, account: Account, cmd: ContactCommand) -> Reply:
    assert cmd.name is not None
    contact = Contact(
        account_id=account.id,
        name=cmd.name,
        created_by_id=ctx.actor.id,
        created_at=ctx.now,
        **_values(cmd),
    )
    ctx.session.add(contact)
    ctx.audit("create", contact, account_id=account.id, summary=f"new contact {contact.name}")
    reply = _contact_reply(
        ctx, account, contact, _("created", ctx.lang, name=contact.name, account=account.name)
    )
    reply.severity = Severity.success
    if contact.role:
        _rescore(ctx, account, reply)
    return reply


def _update(ctx: Context, account: Account, contact: Contact, cmd: ContactCommand) -> Reply:
    lang = ctx.lang
    before = audit.snapshot(contact)
    old = SimpleNamespace(**{k: getattr(contact, k) for k in Contact.model_fields})
    if cmd.new_name is not None and cmd.new_name != contact.name:
        other = contact_repo.by_name(ctx.session, account.id, cmd.new_name)
        if other is not None and other.id != contact.id:
            raise InvalidInput(
                _("name_taken", lang, name=other.name, account=account.name, old=contact.name)
            )
        contact.name = cmd.new_name
    for key, value in _values(cmd).items():
        setattr(contact, key, value)
    changed = {k for k in Contact.model_fields if getattr(contact, k) != getattr(old, k)}
    if not changed:
        return _contact_reply(
            ctx, account, contact, _("unchanged", lang, name=contact.name, account=account.name)
        )
    ctx.session.add(contact)
    ctx.audit(
        "update",
        contact,
        before=before,
        account_id=account.id,
        summary=f"contact {old.name}: " + ", ".join(sorted(changed)),
    )
    reply = _contact_reply(
        ctx,
        account,
        contact,
        _("updated", lang, name=contact.name, account=account.name),
        old=old,
        changed=changed,
    )
    reply.severity = Severity.success
    if "role" in changed:
        _rescore(ctx, account, reply)
    return reply


# --- a contact's life over time ---------------------------------------------------


def _left_line(ctx: Context, account: Account, contact: Contact) -> str:
    day = fmt_day(contact.left_at, ctx.lang, ctx.tz)
    return _("left_on", ctx.lang, name=contact.name, account=account.name, date=day)


def _chain_lines(ctx: Context, account: Account, reply: Reply) -> None:
    """What the decision chain looks like now: a warning when it has thinned out."""
    lang = ctx.lang
    current, has_dm = contact_repo.chain(ctx.session, account.id)
    if not has_dm:
        reply.lines.append(_("chain_no_dm", lang, account=account.name))
    if current <= 1:
        reply.lines.append(_("chain_single", lang, account=account.name, n=current))
    if not has_dm or current <= 1:
        reply.severity = Severity.warning


def _left(ctx: Context, account: Account, cmd: ContactLeft) -> Reply:
    lang = ctx.lang

    def retry(name: str) -> str:
        return f"contact {account.name} {_quoted(name)} left" + (f" {cmd.note}" if cmd.note else "")

    contact = _find(ctx, account, cmd.name, retry)
    if contact.left_at is not None:
        reply = Reply(title=_("already_left", lang, name=contact.name, account=account.name))
        reply.lines.append(_left_line(ctx, account, contact))
        reply.lines.append(_("back_hint", lang, account=account.name, name=contact.name))
        return reply
    before = audit.snapshot(contact)
    contact.left_at = ctx.now
    ctx.session.add(contact)
    ctx.audit(
        "update",
        contact,
        before=before,
        account_id=account.id,
        summary=f"contact {contact.name} left the company" + (f": {cmd.note}" if cmd.note else ""),
    )
    reply = Reply(
        title=_("left_title", lang, name=contact.name, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("left_field", lang), fmt_day(ctx.now, lang, ctx.tz)))
    if cmd.note:
        reply.fields.append(Field(_("note", lang), cmd.note))
    n = contact_repo.interaction_count(ctx.session, contact.id)
    reply.lines.append(_("history_kept", lang, n=n))
    if contact.role:
        reply.lines.append(_("off_chain", lang, name=contact.name, role=label(contact.role, lang)))
    _chain_lines(ctx, account, reply)
    if contact.role:
        _rescore(ctx, account, reply)
    reply.lines.append(_("back_hint", lang, account=account.name, name=contact.name))
    return reply


def _back(ctx: Context, account: Account, cmd: ContactLeft) -> Reply:
    lang = ctx.lang
    contact = _find(ctx, account, cmd.name, lambda n: f"contact {account.name} {_quoted(n)} back")
    if contact.left_at is None:
        return Reply(title=_("not_left", lang, name=contact.name, account=account.name))
    before = audit.snapshot(contact)
    was = contact.left_at
    contact.left_at = None
    ctx.session.add(contact)
    ctx.audit(
        "update",
        contact,
        before=before,
        account_id=account.id,
        summary=f"contact {contact.name} is back",
    )
    reply = Reply(
        title=_("back_title", lang, name=contact.name, account=account.name),
        severity=Severity.success,
    )
    reply.lines.append(_("was_left", lang, date=fmt_day(was, lang, ctx.tz)))
    if contact.role:
        reply.lines.append(_("on_chain", lang, name=contact.name, role=label(contact.role, lang)))
        _rescore(ctx, account, reply)
    return reply


_BIRTHDAY_COLUMNS = (
    "birthday_month",
    "birthday_day",
    "birthday_year",
    "birthday_lunar",
    "birthday_leap_month",
)


def _merge(ctx: Context, account: Account, cmd: ContactMerge) -> Reply:
    """Move everything that names the duplicate to the contact kept, fill the kept
    contact's empty fields from it (never overwriting), and delete it — one command,
    so ``/undo`` restores both as they were."""
    lang, session = ctx.lang, ctx.session
    dup = _find(
        ctx,
        account,
        cmd.duplicate,
        lambda n: f"contact {account.name} merge {_quoted(n)} into {_quoted(cmd.keep)}",
    )
    keep = _find(
        ctx,
        account,
        cmd.keep,
        lambda n: f"contact {account.name} merge {_quoted(dup.name)} into {_quoted(n)}",
    )
    if keep.id == dup.id:
        raise InvalidInput(_("merge_self", lang, name=keep.name))
    if keep.account_id != dup.account_id:  # both are looked up at one account
        raise InvalidInput(_("merge_accounts", lang))

    # The interaction links: every interaction that named the duplicate names the kept
    # contact (once: an interaction that named both keeps its one link to the kept).
    together = contact_repo.interaction_ids(session, keep.id)
    moved = shared = 0
    for link in contact_repo.links_of(session, dup.id):
        before = audit.snapshot(link)
        interaction_id = link.interaction_id
        session.delete(link)
        ctx.audit("delete", link, before=before, account_id=account.id)
        if interaction_id in together:
            shared += 1
            continue
        new = InteractionContact(interaction_id=interaction_id, contact_id=keep.id)
        session.add(new)
        ctx.audit("create", new, account_id=account.id)
        moved += 1

    # The fields: the kept contact's empty ones from the duplicate; where both have a
    # value and they differ, the kept one stays and the reply says so.
    before_keep = audit.snapshot(keep)
    filled: list[str] = []
    kept: list[str] = []
    for key, columns, show in _merge_fields(lang):
        mine, theirs = show(keep), show(dup)
        if not theirs:
            continue
        if not mine:
            for column in columns:
                setattr(keep, column, getattr(dup, column))
            filled.append(_("filled_one", lang, field=_(key, lang), value=theirs))
        elif mine != theirs:
            kept.append(_("kept_one", lang, field=_(key, lang), mine=mine, theirs=theirs))
    if filled:
        session.add(keep)
        ctx.audit(
            "update",
            keep,
            before=before_keep,
            account_id=account.id,
            summary=f"contact {keep.name}: filled from {dup.name}",
        )
    before_dup = audit.snapshot(dup)
    session.delete(dup)
    ctx.audit(
        "delete",
        dup,
        before=before_dup,
        account_id=account.id,
        summary=f"contact {dup.name} merged into {keep.name}",
    )

    reply = Reply(
        title=_("merged", lang, dup=dup.name, keep=keep.name, account=account.name),
        severity=Severity.success,
    )
    reply.fields.append(Field(_("interactions_moved", lang), str(moved + shared)))
    if shared:
        reply.lines.append(_("merge_shared", lang, n=shared, name=keep.name))
    if filled:
        reply.fields.append(Field(_("filled", lang), "; ".join(filled)))
    for line in kept:
        reply.lines.append(line)
    if keep.left_at is not None:
        reply.lines.append(_left_line(ctx, account, keep))
    reply.lines.append(_("merge_undo", lang, dup=dup.name))
    _rescore(ctx, account, reply)
    return reply


def _merge_fields(lang: str):
    """(message key, columns, how the value reads) of each field a merge fills."""
    return (
        ("title", ("title",), lambda c: c.title or ""),
        ("role", ("role",), lambda c: label(c.role, lang)),
        ("phone", ("phone",), lambda c: c.phone or ""),
        ("email", ("email",), lambda c: c.email or ""),
        (
            "birthday",
            _BIRTHDAY_COLUMNS,
            lambda c: format_birthday(b, lang) if (b := birthday_of(c)) else "",
        ),
    )


def _remove(ctx: Context, account: Account, cmd: ContactRemove) -> Reply:
    """Delete a contact entered by mistake.  One with interactions is refused: her
    history would lose its name; ``left`` keeps it, ``merge`` moves it to a duplicate."""
    lang = ctx.lang
    contact = _find(ctx, account, cmd.name, lambda n: f"contact {account.name} remove {_quoted(n)}")
    n = contact_repo.interaction_count(ctx.session, contact.id)
    if n:
        raise InvalidInput(
            _("remove_has_history", lang, name=contact.name, n=n, account=account.name)
        )
    before = audit.snapshot(contact)
    ctx.session.delete(contact)
    ctx.audit(
        "delete",
        contact,
        before=before,
        account_id=account.id,
        summary=f"contact {contact.name} removed",
    )
    reply = Reply(
        title=_("removed", lang, name=contact.name, account=account.name),
        severity=Severity.success,
    )
    reply.lines.append(_("undo_hint", lang))
    if contact.role and contact.left_at is None:
        _chain_lines(ctx, account, reply)
        _rescore(ctx, account, reply)
    return reply


def _rescore(ctx: Context, account: Account, reply: Reply) -> None:
    """The decision chain is part of the tier score: refresh it and say if the tier moved."""
    before = audit.snapshot(account)
    was = account.effective_tier
    try:
        rescore(ctx.session, account, ctx.settings.tiers)
    except InvalidInput:  # another factor is out of range; leave the stored score alone
        return
    if audit.snapshot(account) == before:
        return
    ctx.session.add(account)
    ctx.audit(
        "update",
        account,
        before=before,
        account_id=account.id,
        summary=f"tier rescored after contact change: {was} → {account.effective_tier}",
    )
    if account.effective_tier != was:
        reply.lines.append(
            _("tier_moved", ctx.lang, account=account.name, old=was, new=account.effective_tier)
        )


def _contact_reply(
    ctx: Context,
    account: Account,
    contact: Contact,
    title: str,
    *,
    old: SimpleNamespace | None = None,
    changed: set[str] = frozenset(),  # type: ignore[assignment]
) -> Reply:
    lang = ctx.lang
    reply = Reply(title=title)
    if old is not None and "name" in changed:
        reply.fields.append(Field(_("name", lang), _("was", lang, new=contact.name, old=old.name)))

    def add(key: str, columns: set[str], show, show_old=None) -> None:
        value = show(contact)
        if old is not None and columns & changed:
            before = (show_old or show)(old)
            if before:
                value = _("was", lang, new=value or "—", old=before)
        if value:
            reply.fields.append(Field(_(key, lang), value))

    add("title", {"title"}, lambda c: c.title or "")
    add("role", {"role"}, lambda c: label(c.role, lang))
    add(
        "birthday",
        {
            "birthday_month",
            "birthday_day",
            "birthday_year",
            "birthday_lunar",
            "birthday_leap_month",
        },
        lambda c: _birthday_text(c, lang, ctx.now.date()),
        lambda c: format_birthday(b, lang) if (b := birthday_of(c)) else "",
    )
    add("phone", {"phone"}, lambda c: c.phone or "")
    add("email", {"email"}, lambda c: c.email or "")
    if contact.left_at is not None:
        reply.lines.append(_left_line(ctx, account, contact))
    visit = _("visit_prefill", lang, account=account.name, name=contact.name)
    reply.actions.append(Action(_("log_visit", lang), visit, kind="modal"))
    return reply


def _birthday_text(contact: Contact, lang: str, today: date) -> str:
    b = birthday_of(contact)
    if b is None:
        return ""
    try:
        when = next_occurrence(b, today)
    except InvalidInput:  # lunar dates beyond what the calendar table covers
        return format_birthday(b, lang)
    return _("next_birthday", lang, birthday=format_birthday(b, lang), date=fmt_day(when, lang))


def _list(ctx: Context, account: Account, number: int | None = None) -> Reply:
    lang = ctx.lang
    keys = contact_repo.keys_of_account(ctx.session, account.id)
    reply = Reply(title=_("list_title", lang, account=account.name))
    if not keys:
        reply.lines.append(_("list_none", lang, account=account.name))
        return reply
    rank = {role.value: i for i, role in enumerate(ROLE_ORDER)}
    # the current ones by role, then those who left (apart, in a section of their own)
    keys.sort(
        key=lambda k: (k[3] is not None, rank.get(k[1] or "", len(rank)), k[2].casefold(), k[0])
    )
    page = page_of(len(keys), number)
    ids = [k[0] for k in keys[page.offset : page.offset + page.size]]
    people = contact_repo.by_ids(ctx.session, ids)
    lines, gone = [], []
    for c in people:
        bits = [c.name]
        if c.title:
            bits.append(c.title)
        if c.role:
            bits.append(label(c.role, lang))
        b = birthday_of(c)
        if b is not None:
            bits.append(_("birthday_short", lang, b=format_birthday(b, lang)))
        bits += [x for x in (c.phone, c.email) if x]
        if c.left_at is not None:
            bits.append(_("left_short", lang, date=fmt_day(c.left_at, lang, ctx.tz)))
            gone.append(" · ".join(bits))
        else:
            lines.append(" · ".join(bits))
    reply.add_section(None, lines)
    reply.add_section(_("left_section", lang), gone)
    if not any(k[1] == ContactRole.decision_maker.value and k[3] is None for k in keys):
        reply.lines.append(_("no_decision_maker", lang))
        reply.severity = Severity.warning
    return paged(reply, page, lang, _("page_command", lang, account=account.name))
