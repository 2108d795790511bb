"""``/contact`` (``/联系人``): add or update a person at an account; list the decision chain.

    /contact Acme Li Wei, CFO, decision maker, birthday 5-3
    /contact Acme "Tom Brown" champion phone +86 138 0013 8000 email tom@acme.com
    /联系人 华夏重工 王建国 总经理 决策人 生日 农历四月初八
    /contact Acme                                (everyone at Acme)

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

from domain.calendar import Birthday, next_occurrence, parse_lunar_text
from domain.errors import InvalidInput, ParseError
from domain.models import Account, Contact, ContactRole
from handlers.auth import require_read, require_write
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
    page: int | None = ModelField(
        default=None, exclude=True
    )  # the list's page: "/contact Acme p 2"


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


def parse_contact(args: str, pctx: ParseContext) -> ContactCommand:
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
        title = ", ".join(titles)
        if len(title) > MAX_TITLE:
            raise ParseError(_("too_long", lang, what=_("what_title", lang), n=MAX_TITLE))
        cmd.title = title
    return cmd


# --- running ----------------------------------------------------------------------


@command(
    name="contact",
    aliases=("联系人",),
    parse=parse_contact,
    writes=True,
    slash=True,
)
def run_contact(ctx: Context, cmd: ContactCommand) -> Reply:
    account = resolve_account(ctx, cmd.account)
    if cmd.name is None:
        require_read(ctx.session, ctx.actor, account, ctx.lang)
        return _list(ctx, account, cmd.page)
    require_write(ctx.session, ctx.actor, account, ctx.lang)
    contact = contact_repo.by_name(ctx.session, account.id, cmd.name)
    if contact is None:
        return _create(ctx, account, cmd)
    return _update(ctx, account, contact, cmd)


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
        summary=f"contact {contact.name}: " + ", ".join(sorted(changed)),
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
    keys.sort(key=lambda k: (rank.get(k[1] or "", len(rank)), k[2].casefold(), k[0]))
    page = page_of(len(keys), number)
    ids = [k[0] for k in keys[page.offset : page.offset + page.size]]
    people = contact_repo.by_ids(ctx.session, ids)
    lines = []
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
        lines.append(" · ".join(bits))
    reply.add_section(None, lines)
    if not any(k[1] == ContactRole.decision_maker.value for k in keys):
        reply.lines.append(_("no_decision_maker", lang))
        reply.severity = Severity.warning
    return paged(reply, page, lang, _("page_command", lang, account=account.name))
