"""``/account Acme set industry Robotics`` (``/客户 华夏重工 设置 行业 制造``): edit an
account's fields and tier factors from chat, re-scoring its tier.

    /account Acme set industry Robotics region East China revenue 12m
    /account Acme set status lost reason went with a competitor
    /account Acme set alias + ACME, - Acme Inc        (add alias … / remove alias …)
    /account Acme rename Acme Holdings                (the old name stays as an alias)
    /account Acme margin 22% payment days 45          (the set word may be left out)
    /客户 华夏重工设置行业制造区域华东年收入1200万        (Chinese needs no spaces)

Several fields in one message; each value runs to the next field word (a value that
holds one is quoted: ``industry "Brand Management"``); a reason runs to the end.
Every change is echoed old → new, re-scores the tier (``storage.tiering.rescore``, as
an import does) and says whether the tier moved and which dimension moved it; a tier
set by hand stays and is mentioned.  Values are checked as an import checks them
(``handlers.parsing.values``, ``domain.tiers.TierFactors``): a bad one is refused with
an example and nothing changes.  Audited (``/undo`` restores it); the owner is told
when someone else edits their account.  Ownership moves with ``/handover``, a tier set
by hand with ``/tier``, satisfaction with ``/csat``: those words answer with a pointer.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlmodel import select

from domain.errors import InvalidInput, KamError, ParseError
from domain.models import INACTIVE_STATUSES, Account, AccountAlias, AccountStatus, User
from domain.names import name_key
from domain.tiers import TierFactors
from handlers.auth import can_read, require_write
from handlers.context import Context, ParseContext
from handlers.i18n import Catalog
from handlers.lookup import resolve_account
from handlers.parsing.account_fields import (
    BY_CODE,
    FACTORS,
    SET_WORDS,
    FieldWords,
    detector,
    keywords,
    lower,
)
from handlers.parsing.money import parse_money
from handlers.parsing.text import fold
from handlers.parsing.values import read_bool, read_number, read_whole
from handlers.replies import Field, Reply, Severity
from handlers.views import fmt_money, status_label
from handlers.views.tiers import tier_label
from storage import accounts, audit, users
from storage.tiering import rescore

_ = Catalog("account.edit")

MAX_NAME = 200  # Account.name, AccountAlias.alias
MAX_TEXT = 100  # Account.industry, Account.region
MAX_REASON = 500  # Account.status_reason

# --- the words of the values (the fields' words: handlers.parsing.account_fields) ----


_OPS = {
    "add": ("+", "add", "加", "添加", "增加", "新增"),
    "remove": ("-", "−", "remove", "delete", "drop", "删除", "删", "去掉", "移除"),
}

_STATUS_WORDS = {
    AccountStatus.active.value: ("active", "合作中", "活跃", "正常", "激活"),
    AccountStatus.prospect.value: ("prospect", "潜在客户", "潜在"),
    AccountStatus.at_risk.value: ("at risk", "at-risk", "at_risk", "有风险", "风险"),
    AccountStatus.dormant.value: ("dormant", "已休眠", "休眠", "沉睡"),
    AccountStatus.lost.value: ("lost", "已丢失", "丢失", "输单", "被抢"),
    AccountStatus.churned.value: ("churned", "churn", "已流失", "流失"),
}
_CLEAR = {"none", "unknown", "clear", "n/a", "-", "—", "无", "未知", "清空", "空", "不详"}
_CLEAR_BOOL = {"unknown", "clear", "n/a", "未知", "清空", "不详"}

_LEAD = re.compile(r"^(?:\s|[:：=]|->|→|\bto\b|\bas\b|改为|改成|设为|为|是|成)+", re.IGNORECASE)
_TAIL = re.compile(r"(?:[\s,，、;；。]|\band\b|和|并且|以及)+$", re.IGNORECASE)
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|「[^」]*」|『[^』]*』')
_UNQUOTE = str.maketrans("", "", '"“”「」『』')


# --- the command ------------------------------------------------------------------------


class AliasChange(BaseModel):
    op: str  # add | remove
    alias: str


class AccountSet(BaseModel):
    command: str = "account_set"
    account: str
    changes: dict[str, Any] = {}  # field code → new value (None: not known any more)
    aliases: list[AliasChange] = []
    reason: str | None = None  # the status reason


def mentions_set(args: str) -> bool:
    """``args`` may ask to change the account: a set word or a field word anywhere, so
    ``华夏重工设置行业制造`` and ``Acme industry Robotics`` run in a write transaction.
    One search; a name that holds such a word only costs a write transaction."""
    return detector().search(lower(fold(args))) is not None


def parse_set(name: str, rest: str, pctx: ParseContext) -> AccountSet:
    """``rest`` is what follows the set word: one or more ``FIELD VALUE``."""
    if not rest.strip():
        raise ParseError(_("what", pctx.lang, account=name), hint=_example(name, pctx.lang))
    return _parse_changes(name, rest, pctx)


def parse_trailing(name: str, rest: str, pctx: ParseContext) -> AccountSet | None:
    """Words after the name that are not ``set`` or ``all``: an ``AccountSet`` when they
    are one (``owner @wang``), None to read them as the summary's (``/account Acme
    Corp``, an unknown multi-word name, kept whole as before); a ``ParseError`` with an
    example refuses them."""
    if not _is_account(name, pctx):
        return None  # an unknown name of several words: the summary says it is not found
    folded = lower(fold(rest)).strip()
    for word in sorted(SET_WORDS, key=len, reverse=True):  # ``Set …``, ``设置行业制造``
        if folded.startswith(word) and (
            not word.isascii() or folded[len(word) : len(word) + 1] in ("", " ")
        ):
            return parse_set(name, rest.strip()[len(word) :], pctx)
    pattern, _meaning = keywords()
    found = pattern.match(folded)
    if found is not None:
        return _parse_changes(name, rest, pctx)
    if folded.startswith("@") or detector().search(folded) or folded[:1].isdigit():
        raise ParseError(
            _("trailing", pctx.lang, account=name, text=rest.strip()),
            hint=_example(name, pctx.lang),
        )
    return None


def _is_account(name: str, pctx: ParseContext) -> bool:
    """``name`` is an account's name or alias as written (one indexed lookup)."""
    name = name.strip()
    if not name:
        return False
    if name in pctx.confirmed:
        return True
    if pctx.find_account is not None:
        account = pctx.find_account(name)
        if account is not None:
            pctx.confirmed[name] = account
        return account is not None
    return name.lower() in pctx.known_accounts([name])


def _example(name: str, lang: str) -> str:
    return _("example", lang, account=name)


# --- reading the fields -------------------------------------------------------------


@dataclass
class _Segment:
    code: str
    op: str | None
    word: int  # where the field word starts in the text
    start: int  # where the value starts
    end: int


def _segments(text: str) -> list[_Segment]:
    """The field words in ``text`` and where each one's value lies.  A word for a field
    already named continues the value (``区域华东地区``); a reason runs to the end."""
    low = lower(text)
    quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(low)]
    pattern, meaning = keywords()
    found: list[_Segment] = []
    for m in pattern.finditer(low):
        if any(a <= m.start() < b for a, b in quoted):
            continue
        code, op = meaning[m.lastgroup or ""]
        if found and found[-1].code == "reason":
            break
        if code != "aliases" and any(s.code == code for s in found):
            continue
        if found:
            found[-1].end = m.start()
        found.append(_Segment(code, op, m.start(), m.end(), len(text)))
    return found


_FILLER = {"the", "its", "把", "将"}


def _strip(text: str) -> tuple[int, int]:
    """Where ``text`` starts and ends without lead-ins (``to``, ``为``, ``:``) and
    trailing joiners (``,``, ``and``, ``和``)."""
    lead = _LEAD.match(text)
    start = lead.end() if lead else 0
    tail = _TAIL.search(text, start)
    end = tail.start() if tail else len(text)
    return start, max(start, end)


def _parse_changes(name: str, rest: str, pctx: ParseContext) -> AccountSet:
    lang = pctx.lang
    typed = rest.strip()
    text = fold(typed)
    segments = _segments(text)
    before = text[: segments[0].word] if segments else text
    a, b = _strip(before)
    if not segments or any(w not in _FILLER | set(SET_WORDS) for w in lower(before[a:b]).split()):
        raise ParseError(
            _("unknown_field", lang, text=before[a:b][:40] or text[:40]),
            hint=_fields_hint(name, lang),
        )
    cmd = AccountSet(account=name)
    for seg in segments:
        field = BY_CODE[seg.code]
        a, b = _strip(text[seg.start : seg.end])
        value = typed[seg.start + a : seg.start + b].strip()  # as typed
        if field.kind == "elsewhere":
            raise ParseError(_(_ELSEWHERE[seg.code], lang, account=name))
        if field.kind == "reason":
            cmd.reason = _reason(typed[seg.start :], name, lang)
            break
        if field.kind == "status":
            status, after = _status(fold(value), name, lang)
            cmd.changes["status"] = status
            if after:  # ``status lost went with a competitor``: the rest is the reason
                cmd.reason = _reason(typed[seg.start + a + after :], name, lang)
                break
            continue
        if field.kind == "aliases":
            cmd.aliases += _aliases(value, seg.op, name, lang)
            continue
        if not value:
            raise ParseError(
                _("no_value", lang, field=_label(seg.code, lang)),
                hint=_field_example(seg.code, name, lang),
            )
        cmd.changes[seg.code] = _value(field, value, name, pctx)
    return cmd


def _reason(typed: str, name: str, lang: str) -> str:
    a, b = _strip(fold(typed))
    reason = " ".join(typed[a:b].translate(_UNQUOTE).split())  # as typed, spaces tidied
    if not reason:
        raise ParseError(_("no_reason_text", lang), hint=_field_example("status", name, lang))
    if len(reason) > MAX_REASON:
        raise ParseError(_("too_long", lang, field=_label("reason", lang), n=MAX_REASON))
    return reason


def _status(value: str, name: str, lang: str) -> tuple[str, int]:
    """The status a value starts with, and where what follows it starts (0: nothing
    follows; else a reason, perhaps)."""
    low = lower(value)
    words = sorted(
        ((w, code) for code, ws in _STATUS_WORDS.items() for w in ws),
        key=lambda p: len(p[0]),
        reverse=True,
    )
    for word, code in words:
        if low.startswith(word) and (
            not word.isascii() or low[len(word) : len(word) + 1] in ("", " ", ",", ":", ";")
        ):
            rest = value[len(word) :]
            a, b = _strip(rest.replace("-", " ").replace("—", " "))
            return code, (len(word) + a if b > a else 0)
    raise ParseError(
        _("bad_status", lang, text=value[:40] or "—", choices=_status_choices(lang)),
        hint=_field_example("status", name, lang),
    )


def _status_choices(lang: str) -> str:
    return ", ".join(
        f"{code} ({status_label(code, lang)})" if lang != "en" else code for code in _STATUS_WORDS
    )


def _aliases(value: str, op: str | None, name: str, lang: str) -> list[AliasChange]:
    out: list[AliasChange] = []
    current = op or "add"
    for item in re.split(r"[,，、;；|]", value):
        item = item.strip()
        low = lower(item)
        for which, words in _OPS.items():
            for word in sorted(words, key=len, reverse=True):
                if low.startswith(word) and (
                    not word.isalpha()
                    or not word.isascii()
                    or low[len(word) : len(word) + 1] == " "
                ):
                    current, item = which, item[len(word) :].strip()
                    low = lower(item)
                    break
        alias = " ".join(item.translate(_UNQUOTE).split())
        if not alias:
            continue
        if len(alias) > MAX_NAME:
            raise ParseError(_("too_long", lang, field=_label("aliases", lang), n=MAX_NAME))
        out.append(AliasChange(op=current, alias=alias))
    if not out:
        raise ParseError(
            _("no_value", lang, field=_label("aliases", lang)),
            hint=_field_example("aliases", name, lang),
        )
    return out


_UNITS = {
    "days": re.compile(r"\s*(?:days?|d|天|日)$", re.IGNORECASE),
    "years": re.compile(r"\s*(?:years?|yrs?|y|年)$", re.IGNORECASE),
    "score": re.compile(r"\s*(?:/\s*100|points?|pts?|分)$", re.IGNORECASE),
}


def _value(field: FieldWords, value: str, name: str, pctx: ParseContext) -> Any:
    """The field's value read from the words after it, or a refusal with an example."""
    lang, kind, code = pctx.lang, field.kind, field.code
    clean = value.translate(_UNQUOTE).strip()
    low = lower(clean)
    if kind == "text":
        if code != "name" and low in _CLEAR:
            return None
        text = " ".join(clean.split())
        limit = MAX_NAME if code == "name" else MAX_TEXT
        if len(text) > limit:
            raise ParseError(_("too_long", lang, field=_label(code, lang), n=limit))
        return text
    if (kind == "bool" and low in _CLEAR_BOOL) or (kind != "bool" and low in _CLEAR):
        return None
    if kind == "money":
        found = _money(clean, pctx)
        if found is not None:
            return found
    elif kind == "percent":
        number = read_number(clean)
        if number is not None:
            return number
    elif kind in ("days", "score"):
        number = read_whole(_UNITS[kind].sub("", clean))
        if number is not None:
            return number
    elif kind == "years":
        number = read_number(_UNITS["years"].sub("", clean))
        if number is not None:
            return number
    elif kind == "bool":
        yes = read_bool(clean)
        if yes is not None:
            return yes
    raise ParseError(
        _(_BAD[kind], lang, field=_label(code, lang), text=clean[:40]),
        hint=_field_example(code, name, lang),
    )


def _money(text: str, pctx: ParseContext) -> Decimal | None:
    try:
        found = parse_money(text, default_currency=pctx.currency)
    except KamError:
        return None
    if found.currency != pctx.currency.upper():
        raise ParseError(
            _(
                "house_currency",
                pctx.lang,
                field=_label("annual_revenue", pctx.lang),
                currency=pctx.currency,
            )
        )
    return found.amount.quantize(Decimal("0.01"))


# --- the words for fields -------------------------------------------------------------

_LABELS = {
    "name": "f_name",
    "aliases": "f_aliases",
    "industry": "f_industry",
    "region": "f_region",
    "status": "f_status",
    "reason": "f_reason",
    "annual_revenue": "f_annual_revenue",
    "margin_pct": "f_margin_pct",
    "payment_days": "f_payment_days",
    "growth_pct": "f_growth_pct",
    "cross_sell": "f_cross_sell",
    "reference_value": "f_reference_value",
    "brand_value": "f_brand_value",
    "innovation_value": "f_innovation_value",
    "years_together": "f_years_together",
    "executive_contact": "f_executive_contact",
    "payment_record": "f_payment_record",
}
_EXAMPLES = {
    "name": "x_name",
    "aliases": "x_aliases",
    "industry": "x_industry",
    "region": "x_region",
    "status": "x_status",
    "annual_revenue": "x_annual_revenue",
    "margin_pct": "x_margin_pct",
    "payment_days": "x_payment_days",
    "growth_pct": "x_growth_pct",
    "cross_sell": "x_cross_sell",
    "reference_value": "x_reference_value",
    "brand_value": "x_brand_value",
    "innovation_value": "x_innovation_value",
    "years_together": "x_years_together",
    "executive_contact": "x_executive_contact",
    "payment_record": "x_payment_record",
}
_ELSEWHERE = {
    "owner": "elsewhere_owner",
    "team": "elsewhere_team",
    "tier": "elsewhere_tier",
    "satisfaction": "elsewhere_satisfaction",
}
_BAD = {
    "money": "bad_money",
    "percent": "bad_percent",
    "days": "bad_days",
    "score": "bad_score",
    "years": "bad_years",
    "bool": "bad_bool",
}
_REASON_EXAMPLES = {
    "dormant": "x_reason_dormant",
    "lost": "x_reason_lost",
    "churned": "x_reason_churned",
}
_DIMENSIONS = {
    "current": "d_current",
    "potential": "d_potential",
    "strategic": "d_strategic",
    "relationship": "d_relationship",
}


def _label(code: str, lang: str) -> str:
    return _(_LABELS[code], lang)


def _field_example(code: str, name: str, lang: str) -> str:
    return _("example_is", lang, example=_(_EXAMPLES[code], lang, account=name))


def _fields_hint(name: str, lang: str) -> str:
    fields = ", ".join(_label(code, lang) for code in _LABELS if code != "reason")
    return _("fields", lang, fields=fields) + "\n" + _example(name, lang)


def _shown(code: str, value: Any, lang: str, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if code == "annual_revenue":
        return fmt_money(Decimal(value), currency, lang)
    if code == "margin_pct":
        return f"{value:g}%"
    if code == "growth_pct":
        return f"{value:+g}%"
    if code == "payment_days":
        return _("days", lang, n=value)
    if code == "years_together":
        return _("years", lang, n=f"{value:g}")
    if code == "executive_contact":
        return _("yes" if value else "no", lang)
    if code == "status":
        return status_label(value, lang)
    if code in (
        "cross_sell",
        "reference_value",
        "brand_value",
        "innovation_value",
        "payment_record",
    ):
        return f"{value}/100"
    return str(value)


# --- running it -----------------------------------------------------------------------


@dataclass
class _Change:
    code: str
    old: Any
    new: Any


def run_set(ctx: Context, cmd: AccountSet) -> Reply:
    lang, session = ctx.lang, ctx.session
    account = resolve_account(ctx, cmd.account)
    require_write(session, ctx.actor, account, lang)
    changes = _changes(ctx, account, cmd)
    alias_rows = {name_key(r.alias): r for r in _alias_rows(ctx, account)}
    new_name = next((c.new for c in changes if c.code == "name"), None)
    removes, adds, notes = _alias_plan(ctx, account, cmd, alias_rows, new_name)
    if not changes and not removes and not adds:
        reply = Reply(title=_("unchanged", lang, account=account.name))
        reply.lines += notes
        return reply

    before = audit.snapshot(account)
    old_name = account.name
    old_tier, old_score = account.tier, account.score
    old_dims = {d: getattr(account, f"score_{d}") for d in _DIMENSIONS}
    for row in removes:
        snap = audit.snapshot(row)
        session.delete(row)
        ctx.audit(
            "delete",
            row,
            before=snap,
            account_id=account.id,
            summary=f"{account.name}: alias {row.alias} removed",
        )
    for change in changes:
        _apply(ctx, account, change, cmd)
    with suppress(InvalidInput):  # a factor out of range stored long ago must not block
        rescore(session, account, ctx.settings.tiers)
    account.updated_at = ctx.now
    session.add(account)
    summary = "; ".join(f"{c.code} {c.old!s} → {c.new!s}" for c in changes) or "aliases"
    ctx.audit("update", account, before=before, account_id=account.id, summary=summary[:1000])
    for alias in adds:
        link = AccountAlias(account_id=account.id, alias=alias)
        session.add(link)
        ctx.audit(
            "create", link, account_id=account.id, summary=f"{account.name}: alias {alias} added"
        )

    reply = Reply(title=_("title", lang, account=account.name), severity=Severity.success)
    for change in changes:
        reply.fields.append(Field(_label(change.code, lang), _arrow(ctx, change)))
        if change.code == "status" and account.status_reason:
            reply.fields.append(Field(_label("reason", lang), account.status_reason))
    for alias in adds:
        if new_name is not None and alias == old_name:
            reply.lines.append(_("old_name_kept", lang, name=alias))
        else:
            reply.lines.append(_("alias_added", lang, alias=alias))
    for row in removes:
        reply.lines.append(_("alias_removed", lang, alias=row.alias))
    reply.lines += notes
    reply.lines += _tier_lines(ctx, account, old_tier, old_score, old_dims)
    if account.status in INACTIVE_STATUSES and any(c.code == "status" for c in changes):
        reply.lines.append(_("inactive", lang, account=account.name))
    reply.footer = _("undo_hint", lang, hours=ctx.settings.undo_own_hours)
    _tell_owner(ctx, account, changes, adds, removes)
    return reply


def _alias_rows(ctx: Context, account: Account) -> list[AccountAlias]:
    return list(
        ctx.session.exec(select(AccountAlias).where(AccountAlias.account_id == account.id)).all()
    )


def _changes(ctx: Context, account: Account, cmd: AccountSet) -> list[_Change]:
    """What the command changes (old → new), checked; a refusal changes nothing."""
    lang = ctx.lang
    out: list[_Change] = []
    values = dict(cmd.changes)
    factors = {k: v for k, v in values.items() if k in FACTORS and v is not None}
    try:
        TierFactors(**factors)  # the ranges an import checks (domain.tiers)
    except InvalidInput as exc:
        raise InvalidInput(
            _range_text(exc, lang),
            hint=_field_example(str(exc.params.get("field")), account.name, lang),
        ) from None
    status = values.get("status")
    if status is not None:
        if status in INACTIVE_STATUSES and not (
            cmd.reason or (status == account.status and account.status_reason)
        ):
            raise InvalidInput(
                _("needs_reason", lang, status=status_label(status, lang)),
                hint=_(
                    "example_is",
                    lang,
                    example=_(
                        _REASON_EXAMPLES[status],
                        lang,
                        account=account.name,
                        status=status_label(status, lang),
                    ),
                ),
            )
    elif cmd.reason is not None and account.status not in INACTIVE_STATUSES:
        raise InvalidInput(
            _("reason_alone", lang, status=status_label(account.status, lang)),
            hint=_field_example("status", account.name, lang),
        )
    for code, new in values.items():
        old = getattr(account, code)
        if code == "name":
            _check_name(ctx, account, new)
            if new == account.name:
                continue
        elif code == "status" and new == old:
            if cmd.reason is not None and cmd.reason != account.status_reason:
                out.append(_Change("reason", account.status_reason, cmd.reason))
            continue
        elif _same(old, new):
            continue
        out.append(_Change(code, old, new))
    if status is None and cmd.reason is not None and cmd.reason != account.status_reason:
        out.append(_Change("reason", account.status_reason, cmd.reason))
    return out


def _same(old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, Decimal | float | int) and not isinstance(old, bool):
        return Decimal(str(old)) == Decimal(str(new))
    return old == new


def _range_text(exc: InvalidInput, lang: str) -> str:
    code = str(exc.params.get("field"))
    low, high = exc.params.get("low"), exc.params.get("high")
    label = _label(code, lang) if code in _LABELS else code
    value = exc.params.get("value")
    if low is not None and high is not None:
        return _("range_between", lang, field=label, low=f"{low:g}", high=f"{high:g}", value=value)
    if low is not None:
        return _("range_min", lang, field=label, low=f"{low:g}", value=value)
    return _("range_max", lang, field=label, high=f"{high:g}", value=value)


def _holder(ctx: Context, other: Account) -> str:
    """Another account, named only to those who may read it (else just its team)."""
    if can_read(ctx.session, ctx.actor, other):
        return other.name
    team = users.team_names(ctx.session, [other.team_id]).get(other.team_id or 0)
    return _("other_team_account", ctx.lang, team=team or "—")


def _check_name(ctx: Context, account: Account, new: str) -> None:
    other = accounts.find_exact(ctx.session, new)
    if other is not None and other.id != account.id:
        raise InvalidInput(
            _("name_taken", ctx.lang, name=new, holder=_holder(ctx, other)),
            hint=_field_example("name", account.name, ctx.lang),
        )


def _alias_plan(
    ctx: Context,
    account: Account,
    cmd: AccountSet,
    rows: dict[str, AccountAlias],
    new_name: str | None,
) -> tuple[list[AccountAlias], list[str], list[str]]:
    """The alias rows to delete, the aliases to add, and notes on what needs nothing."""
    lang = ctx.lang
    name = new_name or account.name
    removes: dict[str, AccountAlias] = {}
    adds: dict[str, str] = {}
    notes: list[str] = []
    removed_keys = {name_key(c.alias) for c in cmd.aliases if c.op == "remove"}
    if new_name is not None:
        if name_key(new_name) in rows:  # the new name was an alias: it is the name now
            removes[name_key(new_name)] = rows[name_key(new_name)]
        old_key = name_key(account.name)
        if old_key != name_key(new_name) and old_key not in removed_keys:
            adds[old_key] = account.name  # the old name keeps finding the account
    for change in cmd.aliases:
        key = name_key(change.alias)
        if change.op == "remove":
            if key in rows:
                removes[key] = rows[key]
                adds.pop(key, None)
            elif key in adds:
                adds.pop(key)
            else:
                have = ", ".join(r.alias for r in rows.values()) or "—"
                raise InvalidInput(
                    _("alias_missing", lang, account=account.name, alias=change.alias, aliases=have)
                )
            continue
        if key == name_key(name):
            notes.append(_("alias_is_name", lang, alias=change.alias))
            continue
        if key in rows and key not in removes:
            notes.append(_("alias_already", lang, alias=change.alias))
            continue
        other = accounts.find_exact(ctx.session, change.alias)
        if other is not None and other.id != account.id:
            raise InvalidInput(
                _("alias_taken", lang, alias=change.alias, holder=_holder(ctx, other)),
                hint=_field_example("aliases", account.name, lang),
            )
        adds[key] = change.alias
    # an alias both removed and re-added (another spelling) is a rename of the alias
    for key in list(adds):
        if key in removes and name_key(adds[key]) == key and removes[key].alias == adds[key]:
            removes.pop(key)
            adds.pop(key)
    return list(removes.values()), list(adds.values()), notes


def _apply(ctx: Context, account: Account, change: _Change, cmd: AccountSet) -> None:
    if change.code == "status":
        if change.new != account.status:
            account.status_changed_at = ctx.now
        account.status = change.new
        if cmd.reason is not None:
            account.status_reason = cmd.reason
        elif change.new not in INACTIVE_STATUSES:
            account.status_reason = None  # back in business: the old reason is history
        return
    if change.code == "reason":
        account.status_reason = change.new
        return
    setattr(account, change.code, change.new)


def _arrow(ctx: Context, change: _Change) -> str:
    lang, currency = ctx.lang, ctx.settings.currency
    return f"{_shown(change.code, change.old, lang, currency)} → " + _shown(
        change.code, change.new, lang, currency
    )


def _tier_lines(
    ctx: Context, account: Account, old_tier: str, old_score: float, old_dims: dict[str, float]
) -> list[str]:
    """Whether the tier moved, and which dimension moved it."""
    lang = ctx.lang
    th = ctx.settings.tiers.thresholds
    moved = [
        _(
            "dim_moved",
            lang,
            dim=_(key, lang),
            old=f"{old_dims[d]:.0f}",
            new=f"{getattr(account, f'score_{d}'):.0f}",
        )
        for d, key in _DIMENSIONS.items()
        if round(old_dims[d]) != round(getattr(account, f"score_{d}"))
    ]
    params = {
        "old": f"{old_tier} {tier_label(old_tier, lang)}",
        "new": f"{account.tier} {tier_label(account.tier, lang)}",
        "tier": f"{account.tier} {tier_label(account.tier, lang)}",
        "old_score": f"{old_score:.1f}",
        "score": f"{account.score:.1f}",
        "a": f"{th.a:g}",
        "b": f"{th.b:g}",
    }
    by_hand = bool(account.tier_override)  # then the tier computed is what moves
    if old_tier != account.tier:
        lines = [_("computed_moved" if by_hand else "tier_moved", lang, **params)]
    elif round(old_score, 1) != round(account.score, 1):
        lines = [_("computed_kept" if by_hand else "tier_kept", lang, **params)]
    else:
        lines = [_("computed_same" if by_hand else "tier_same", lang, **params)]
    if moved:
        lines.append(_("tier_why", lang, dims=" · ".join(moved)))
    if account.tier_override:
        lines.append(
            _(
                "tier_override",
                lang,
                tier=account.tier_override,
                reason=account.tier_override_reason or "—",
                account=account.name,
            )
        )
    return lines


def _tell_owner(
    ctx: Context,
    account: Account,
    changes: list[_Change],
    adds: list[str],
    removes: list[AccountAlias],
) -> None:
    owner = ctx.session.get(User, account.owner_id)
    if owner is None or owner.id == ctx.actor.id or not owner.active:
        return
    lang = owner.language
    currency = ctx.settings.currency
    parts = [
        f"{_label(c.code, lang)}: {_shown(c.code, c.old, lang, currency)} → "
        + _shown(c.code, c.new, lang, currency)
        for c in changes
    ]
    parts += [_("alias_added", lang, alias=a) for a in adds]
    parts += [_("alias_removed", lang, alias=r.alias) for r in removes]
    note = Reply(
        title=_("owner_note", lang, who=ctx.actor.display_name, account=account.name),
        lines=parts,
    )
    ctx.notify_user(owner.id, note)
