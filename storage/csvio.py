"""CSV import and export of the book: ``kam import|export users|accounts|contacts|deals``.

Files name things by natural key, never by id: a user by handle, a team by name, an
account by name, a contact or deal by account and name.  Columns per kind are in
``COLUMNS``; an export is a valid import file, and importing it back changes nothing.

Encoding.  Import reads UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"
writes one).  Export writes a BOM by default so Excel opens Chinese text correctly;
pass ``bom=False`` for other tools (or for stdout).  Dates are ISO ``YYYY-MM-DD``
(``YYYY/M/D`` is accepted too), amounts plain decimals (thousands commas accepted),
booleans ``true``/``false`` (also yes/no, 1/0, 是/否).  Contacts' birthdays are
``MM-DD`` or ``YYYY-MM-DD``, lunar ones ``lunar:MM-DD`` (``lunar:leap:MM-DD`` for a
leap month, ``lunar:YYYY-MM-DD`` with the year of birth).  Account aliases are joined
with ``|``.

Import upserts by natural key and is all or nothing.  Every row is checked first —
types, choices, dates, amounts, references to teams, owners, managers and accounts
(a manager may be another row of the same users file), duplicates within the file,
Slack/WeCom ids and aliases already taken — and if any row is bad
``ImportRejected`` lists each as ``line N: reason`` (N as a spreadsheet shows it: the
header is line 1) and nothing has been written.  A team, owner or account that does
not exist is an error, never created on the fly.

A column left out of the file leaves that field alone; a column present but empty
clears an optional field, and gives a required one its default (role ``rep``, status
``active``, stage ``lead``…) when creating, or keeps it when updating.  An account's
empty team means its owner's team; a deal's empty owner means the account's owner.
Imported accounts are re-scored (``storage.tiering``), and so are the accounts whose
contacts an import touched.  A deal whose stage changes gets a ``DealStageChange``.

Never commits: the caller owns the transaction.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from domain.calendar import Birthday
from domain.errors import InvalidInput
from domain.models import (
    CLOSED_STAGES,
    Account,
    AccountAlias,
    AccountStatus,
    Contact,
    ContactRole,
    Deal,
    DealStage,
    DealStageChange,
    Role,
    Team,
    User,
    utcnow,
)
from domain.tiers import TierFactors, TierPolicy, normalise_tier
from storage.tiering import rescore

KINDS = ("users", "accounts", "contacts", "deals")

FACTOR_COLUMNS = (
    *("annual_revenue", "margin_pct", "payment_days", "growth_pct", "cross_sell"),
    *("reference_value", "brand_value", "innovation_value", "years_together"),
    *("executive_contact", "payment_record", "satisfaction"),
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": (
        *("handle", "display_name", "role", "team", "manager", "timezone", "language"),
        *("slack_id", "wecom_id", "email"),
    ),
    "accounts": (
        *("name", "aliases", "industry", "owner", "team", "status", "partnership_start"),
        *("tier_override", "tier_override_reason", *FACTOR_COLUMNS),
    ),
    "contacts": ("account", "name", "title", "role", "birthday", "phone", "email"),
    "deals": (
        *("account", "name", "amount", "currency", "stage", "close_date", "owner"),
        "lost_reason",
    ),
}
"""The columns of each kind, in export order."""

KEYS: dict[str, tuple[str, ...]] = {
    "users": ("handle",),
    "accounts": ("name",),
    "contacts": ("account", "name"),
    "deals": ("account", "name"),
}
"""The natural key of each kind: required in the header and in every row."""

BOM = "\ufeff"


class ImportRejected(InvalidInput):
    """A file with bad rows; ``errors`` holds (line, reason) and nothing was written."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = sorted(errors)
        super().__init__(
            "\n".join(f"line {line}: {reason}" for line, reason in self.errors),
            hint="nothing was imported; fix these rows and import the file again",
            errors=[{"line": line, "reason": reason} for line, reason in self.errors],
        )


@dataclass(frozen=True)
class ImportResult:
    kind: str
    created: int
    updated: int
    unchanged: int

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


# --- export -------------------------------------------------------------------------


def export_csv(session: Session, kind: str, out: TextIO, *, bom: bool = True) -> int:
    """Write every row of ``kind`` to ``out`` (header first); return the rows written.

    Rows are sorted by natural key (by code point, the same on every database), so
    exporting the same book twice gives the same bytes.  Open files with
    ``newline=""``: rows end in CRLF, as Excel writes them.
    """
    kind = _kind(kind)
    rows = _EXPORTERS[kind](session)
    if bom:
        out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(COLUMNS[kind])
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return len(rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _export_users(session: Session) -> list[tuple[Any, ...]]:
    teams = dict(session.exec(select(Team.id, Team.name)).all())
    users = session.exec(select(User)).all()
    handles = {u.id: u.handle for u in users}
    return sorted(
        (
            u.handle,
            u.display_name,
            u.role,
            teams.get(u.team_id),
            handles.get(u.manager_id),
            u.timezone,
            u.language,
            u.slack_id,
            u.wecom_id,
            u.email,
        )
        for u in users
    )


def _export_accounts(session: Session) -> list[tuple[Any, ...]]:
    teams = dict(session.exec(select(Team.id, Team.name)).all())
    handles = dict(session.exec(select(User.id, User.handle)).all())
    aliases: dict[int, list[str]] = {}
    for account_id, alias in session.exec(select(AccountAlias.account_id, AccountAlias.alias)):
        aliases.setdefault(account_id, []).append(alias)
    rows = [
        (
            a.name,
            "|".join(sorted(aliases.get(a.id, []))) or None,  # type: ignore[arg-type]
            a.industry,
            handles.get(a.owner_id),
            teams.get(a.team_id),
            a.status,
            a.partnership_start,
            a.tier_override,
            a.tier_override_reason,
            *(getattr(a, c) for c in FACTOR_COLUMNS),
        )
        for a in session.exec(select(Account)).all()
    ]
    return sorted(rows, key=lambda r: r[0])


def _export_contacts(session: Session) -> list[tuple[Any, ...]]:
    names = dict(session.exec(select(Account.id, Account.name)).all())
    rows = [
        (
            (names[c.account_id], c.name, c.id or 0),
            (names[c.account_id], c.name, c.title, c.role, _birthday_text(c), c.phone, c.email),
        )
        for c in session.exec(select(Contact)).all()
    ]
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def _export_deals(session: Session) -> list[tuple[Any, ...]]:
    names = dict(session.exec(select(Account.id, Account.name)).all())
    handles = dict(session.exec(select(User.id, User.handle)).all())
    rows = [
        (
            names[d.account_id],
            d.name,
            d.amount,
            d.currency,
            d.stage,
            d.close_date,
            handles.get(d.owner_id),
            d.lost_reason,
        )
        for d in session.exec(select(Deal)).all()
    ]
    return sorted(rows, key=lambda r: (r[0], r[1]))


_EXPORTERS: dict[str, Callable[[Session], list[tuple[Any, ...]]]] = {
    "users": _export_users,
    "accounts": _export_accounts,
    "contacts": _export_contacts,
    "deals": _export_deals,
}


def _birthday_text(c: Contact) -> str | None:
    if c.birthday_month is None or c.birthday_day is None:
        return None
    day = f"{c.birthday_month:02d}-{c.birthday_day:02d}"
    if c.birthday_year:
        day = f"{c.birthday_year:04d}-{day}"
    if c.birthday_lunar:
        return ("lunar:leap:" if c.birthday_leap_month else "lunar:") + day
    return day


# --- reading and parsing cells ------------------------------------------------------


class _Bad(Exception):
    """One cell's problem, worded for the row's error line."""


def _read(src: TextIO | BinaryIO | bytes | str | os.PathLike[str]) -> str:
    if isinstance(src, bytes):
        data = src
    elif isinstance(src, str | os.PathLike):
        data = Path(src).read_bytes()
    else:
        content = src.read()
        if isinstance(content, str):
            return content.removeprefix(BOM)
        data = content  # a file opened in binary mode
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            [(1, "the file is not UTF-8 text (in Excel: Save As → 'CSV UTF-8')")]
        ) from exc


def _text(limit: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > limit:
            raise _Bad(f"longer than {limit} characters")
        return value

    return parse


def _handle(value: str) -> str:
    value = value.removeprefix("@")
    if not value or len(value) > 64 or re.search(r"\s", value):
        raise _Bad(f"'{value}' is not a handle (no spaces, at most 64 characters)")
    return value


def _choice(choices: Iterable[str]) -> Callable[[str], str]:
    allowed = tuple(choices)

    def parse(value: str) -> str:
        low = value.lower()
        if low not in allowed:
            raise _Bad(f"'{value}' is not one of {', '.join(allowed)}")
        return low

    return parse


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise _Bad(f"unknown timezone '{value}' (use a name like Asia/Shanghai)") from None
    return value


def _email(value: str) -> str:
    if len(value) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+", value):
        raise _Bad(f"'{value}' is not an email address")
    return value


_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def _date(value: str) -> date:
    m = _DATE.fullmatch(value)
    try:
        if m is None:
            raise ValueError
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise _Bad(f"'{value}' is not a date (YYYY-MM-DD)") from None


def _decimal(value: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", "").replace("_", "").replace(" ", ""))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _Bad(f"'{value}' is not an amount")
    if number < 0:
        raise _Bad(f"'{value}' is negative")
    if number != number.quantize(Decimal("0.01")):
        raise _Bad(f"'{value}' has more than two decimal places")
    return number.quantize(Decimal("0.01"))


def _float(value: str) -> float:
    try:
        return float(value.removesuffix("%").replace(",", ""))
    except ValueError:
        raise _Bad(f"'{value}' is not a number") from None


def _int(value: str) -> int:
    try:
        number = Decimal(value.replace(",", ""))
        if number != number.to_integral_value():
            raise InvalidOperation
        return int(number)
    except InvalidOperation:
        raise _Bad(f"'{value}' is not a whole number") from None


_TRUE = {"true", "yes", "y", "1", "t", "是", "有"}
_FALSE = {"false", "no", "n", "0", "f", "否", "无"}


def _bool(value: str) -> bool:
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise _Bad(f"'{value}' is not true or false")


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise _Bad(f"'{value}' is not a currency code like CNY")
    return value.upper()


def _tier(value: str) -> str:
    try:
        return normalise_tier(value)
    except InvalidInput:
        raise _Bad(f"tier '{value}' is not one of A, B, C") from None


def _aliases(value: str) -> tuple[str, ...]:
    out: list[str] = []
    for alias in (a.strip() for a in value.split("|")):
        if alias and alias not in out:
            if len(alias) > 200:
                raise _Bad(f"alias '{alias[:20]}…' is longer than 200 characters")
            out.append(alias)
    return tuple(out)


_BIRTHDAY = re.compile(r"(?:(\d{4})-)?(\d{1,2})-(\d{1,2})")


def _birthday(value: str) -> Birthday:
    text = value.lower().replace(" ", "")
    lunar = leap = False
    if text.startswith("lunar:"):
        lunar, text = True, text.removeprefix("lunar:")
        if text.startswith("leap:"):
            leap, text = True, text.removeprefix("leap:")
    m = _BIRTHDAY.fullmatch(text)
    if m is None:
        raise _Bad(f"birthday '{value}' is not MM-DD, YYYY-MM-DD or lunar:MM-DD")
    try:
        return Birthday(
            month=int(m[2]),
            day=int(m[3]),
            year=int(m[1]) if m[1] else None,
            lunar=lunar,
            leap_month=leap,
        )
    except InvalidInput:
        raise _Bad(f"birthday '{value}' is not a real date") from None


_PARSERS: dict[str, dict[str, Callable[[str], Any]]] = {
    "users": {
        "handle": _handle,
        "display_name": _text(100),
        "role": _choice(r.value for r in Role),
        "team": _text(100),
        "manager": _handle,
        "timezone": _timezone,
        "language": _choice(("en", "zh")),
        "slack_id": _text(32),
        "wecom_id": _text(64),
        "email": _email,
    },
    "accounts": {
        "name": _text(200),
        "aliases": _aliases,
        "industry": _text(100),
        "owner": _handle,
        "team": _text(100),
        "status": _choice(s.value for s in AccountStatus),
        "partnership_start": _date,
        "tier_override": _tier,
        "tier_override_reason": _text(500),
        "annual_revenue": _decimal,
        "margin_pct": _float,
        "payment_days": _int,
        "growth_pct": _float,
        "cross_sell": _int,
        "reference_value": _int,
        "brand_value": _int,
        "innovation_value": _int,
        "years_together": _float,
        "executive_contact": _bool,
        "payment_record": _int,
        "satisfaction": _float,
    },
    "contacts": {
        "account": _text(200),
        "name": _text(100),
        "title": _text(100),
        "role": _choice(r.value for r in ContactRole),
        "birthday": _birthday,
        "phone": _text(40),
        "email": _email,
    },
    "deals": {
        "account": _text(200),
        "name": _text(200),
        "amount": _decimal,
        "currency": _currency,
        "stage": _choice(s.value for s in DealStage),
        "close_date": _date,
        "owner": _handle,
        "lost_reason": _text(500),
    },
}


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # present columns only; None for an empty cell
    errors: list[str]

    def has(self, column: str) -> bool:
        return column in self.values

    def get(self, column: str) -> Any:
        return self.values.get(column)

    def bad(self, reason: str) -> None:
        self.errors.append(reason)


def _parse(kind: str, content: str) -> list[_Row]:
    """Rows with typed values; header problems are raised at once (line 1)."""
    records = list(csv.reader(io.StringIO(content)))
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    if not records:
        header_line = ", ".join(COLUMNS[kind])
        raise ImportRejected([(1, f"the file is empty: line 1 must be the header ({header_line})")])
    header = [cell.strip().lower().removeprefix(BOM) for cell in records[0]]
    problems = []
    unknown = [h for h in header if h and h not in COLUMNS[kind]]
    if unknown:
        problems.append(
            f"unknown column {', '.join(repr(u) for u in unknown)} "
            f"(columns: {', '.join(COLUMNS[kind])})"
        )
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        problems.append(f"column {', '.join(repr(t) for t in twice)} appears twice")
    missing = [k for k in KEYS[kind] if k not in header]
    if missing:
        problems.append(f"missing column {', '.join(repr(m) for m in missing)}")
    if problems:
        raise ImportRejected([(1, "; ".join(problems))])

    parsers = _PARSERS[kind]
    rows: list[_Row] = []
    for line, record in enumerate(records[1:], start=2):
        cells = [cell.strip() for cell in record]
        if not any(cells):
            continue  # a blank line, as spreadsheets leave them
        row = _Row(line, {}, [])
        if any(cells[len(header) :]):
            row.bad(f"{len(cells)} cells but the header has {len(header)} columns")
        for column, cell in zip(header, cells + [""] * (len(header) - len(cells)), strict=False):
            if not column:
                continue
            if cell == "":
                row.values[column] = None
                continue
            try:
                row.values[column] = parsers[column](cell)
            except _Bad as exc:
                row.bad(f"{column}: {exc}")
                row.values[column] = None
        for key in KEYS[kind]:
            if row.values.get(key) is None and not any(e.startswith(f"{key}:") for e in row.errors):
                row.bad(f"{key} is required")
        rows.append(row)
    return rows


# --- import -------------------------------------------------------------------------


def import_csv(
    session: Session,
    kind: str,
    src: TextIO | bytes | str | os.PathLike[str],
    *,
    policy: TierPolicy | None = None,
    actor_id: int | None = None,
) -> ImportResult:
    """Validate every row of a ``kind`` file, then upsert them all by natural key.

    ``src`` is an open text file, the file's bytes, or its path.  ``policy`` scores
    the accounts touched (default: the default ``TierPolicy``); ``actor_id`` is
    recorded as who changed a tier override or a deal's stage.  Raises
    ``ImportRejected`` — before writing anything — when any row is bad.
    """
    kind = _kind(kind)
    rows = _parse(kind, _read(src))
    importer = _IMPORTERS[kind](session, policy or TierPolicy(), actor_id)
    importer.check(rows)
    errors = [(row.line, "; ".join(row.errors)) for row in rows if row.errors]
    if errors:
        raise ImportRejected(errors)
    return importer.apply(rows)


def _kind(kind: str) -> str:
    low = kind.strip().lower()
    if low not in KINDS:
        raise InvalidInput("unknown kind", value=kind, choices=KINDS)
    return low


def _casefold_map(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    return {name.lower(): value for name, value in pairs}


class _Importer:
    kind = ""

    def __init__(self, session: Session, policy: TierPolicy, actor_id: int | None) -> None:
        self.session, self.policy, self.actor_id = session, policy, actor_id
        self.created = self.updated = self.unchanged = 0

    def result(self) -> ImportResult:
        return ImportResult(self.kind, self.created, self.updated, self.unchanged)

    def _count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def _users(self) -> dict[str, User]:
        return _casefold_map((u.handle, u) for u in self.session.exec(select(User)).all())

    def _teams(self) -> dict[str, Team]:
        return _casefold_map((t.name, t) for t in self.session.exec(select(Team)).all())

    def check(self, rows: list[_Row]) -> None:
        raise NotImplementedError

    def apply(self, rows: list[_Row]) -> ImportResult:
        raise NotImplementedError


def _set(obj: Any, field: str, value: Any) -> bool:
    """Set a field; say whether it changed."""
    if getattr(obj, field) == value:
        return False
    setattr(obj, field, value)
    return True


def _duplicates(rows: list[_Row], key: Callable[[_Row], Any], what: str) -> None:
    seen: dict[Any, int] = {}
    for row in rows:
        k = key(row)
        if k is None:
            continue
        if k in seen:
            row.bad(f"{what} already appears on line {seen[k]}")
        else:
            seen[k] = row.line


class _UserImporter(_Importer):
    kind = "users"

    def check(self, rows: list[_Row]) -> None:
        self.users = self._users()
        self.teams = self._teams()
        handles_in_file = {row.get("handle").lower() for row in rows if row.get("handle")}
        _duplicates(rows, lambda r: (r.get("handle") or "").lower() or None, "this handle")
        for platform in ("slack_id", "wecom_id"):
            owners = {
                getattr(u, platform): h for h, u in self.users.items() if getattr(u, platform)
            }
            _duplicates(rows, lambda r, p=platform: r.get(p), platform)
            for row in rows:
                value, handle = row.get(platform), (row.get("handle") or "").lower()
                if value and owners.get(value, handle) != handle:
                    row.bad(f"{platform} {value} already belongs to @{owners[value]}")
        for row in rows:
            handle = (row.get("handle") or "").lower()
            existing = self.users.get(handle)
            if existing is None and not row.get("display_name"):
                row.bad("display_name is required for a new user")
            team = row.get("team")
            if team and team.lower() not in self.teams:
                row.bad(f"team '{team}' does not exist")
            manager = row.get("manager")
            if manager:
                if manager.lower() == handle:
                    row.bad("a user cannot be their own manager")
                elif manager.lower() not in self.users and manager.lower() not in handles_in_file:
                    row.bad(f"manager @{manager} is not a known user")

    def apply(self, rows: list[_Row]) -> ImportResult:
        touched: list[tuple[_Row, User, bool, bool]] = []
        for row in rows:
            user = self.users.get(row.get("handle").lower())
            created = user is None
            if user is None:
                user = User(handle=row.get("handle"), display_name=row.get("display_name"))
                self.users[user.handle.lower()] = user
            changed = False
            for field in ("display_name", "role", "timezone", "language"):
                if row.get(field) is not None:
                    changed |= _set(user, field, row.get(field))
            for field in ("slack_id", "wecom_id", "email"):
                if row.has(field):
                    changed |= _set(user, field, row.get(field))
            if row.has("team"):
                team = self.teams[row.get("team").lower()] if row.get("team") else None
                changed |= _set(user, "team_id", team.id if team else None)
            self.session.add(user)
            touched.append((row, user, created, changed))
        self.session.flush()
        for row, user, created, changed in touched:
            if row.has("manager"):
                manager = self.users[row.get("manager").lower()] if row.get("manager") else None
                changed |= _set(user, "manager_id", manager.id if manager else None)
            self._count(created, changed)
        self.session.flush()
        return self.result()


class _AccountImporter(_Importer):
    kind = "accounts"

    def check(self, rows: list[_Row]) -> None:
        self.users = self._users()
        self.teams = self._teams()
        self.accounts = {a.name: a for a in self.session.exec(select(Account)).all()}
        by_id = {a.id: a.name for a in self.accounts.values()}
        self.alias_owner = {
            alias: by_id[account_id]
            for account_id, alias in self.session.exec(
                select(AccountAlias.account_id, AccountAlias.alias)
            )
        }
        names = set(self.accounts) | {row.get("name") for row in rows if row.get("name")}
        _duplicates(rows, lambda r: r.get("name"), "this account")
        alias_rows: dict[str, int] = {}
        for row in rows:
            name = row.get("name")
            existing = self.accounts.get(name)
            owner = row.get("owner")
            if owner and owner.lower() not in self.users:
                row.bad(f"owner @{owner} is not a known user")
            elif not owner and existing is None:
                row.bad("owner is required for a new account")
            team = row.get("team")
            if team and team.lower() not in self.teams:
                row.bad(f"team '{team}' does not exist")
            for alias in row.get("aliases") or ():
                if alias == name:
                    continue
                holder = self.alias_owner.get(alias)
                if holder is not None and holder != name:
                    row.bad(f"alias '{alias}' already belongs to {holder}")
                elif alias in names:
                    row.bad(f"alias '{alias}' is the name of another account")
                elif alias in alias_rows:
                    row.bad(f"alias '{alias}' already appears on line {alias_rows[alias]}")
                else:
                    alias_rows[alias] = row.line
            self._check_factors(row, existing)

    @staticmethod
    def _check_factors(row: _Row, existing: Account | None) -> None:
        values = {
            c: row.get(c) if row.has(c) else (getattr(existing, c) if existing else None)
            for c in FACTOR_COLUMNS
        }
        try:
            TierFactors(**values)
        except InvalidInput as exc:
            field, low, high = (exc.params.get(k) for k in ("field", "low", "high"))
            if low is not None and high is not None:
                bounds = f"between {low} and {high}"
            else:
                bounds = f"at least {low}" if low is not None else f"at most {high}"
            row.bad(f"{field} must be {bounds}")

    def apply(self, rows: list[_Row]) -> ImportResult:
        now = utcnow()
        aliases: dict[int, list[AccountAlias]] = {}
        for alias in self.session.exec(select(AccountAlias)).all():
            aliases.setdefault(alias.account_id, []).append(alias)
        for row in rows:
            account = self.accounts.get(row.get("name"))
            created = account is None
            owner = self.users[row.get("owner").lower()] if row.get("owner") else None
            if account is None:
                assert owner is not None
                account = Account(name=row.get("name"), owner_id=owner.id)
            changed = False
            if owner is not None:
                changed |= _set(account, "owner_id", owner.id)
            if row.has("team") or created:
                team = self.teams[row.get("team").lower()] if row.get("team") else None
                if team is None:
                    owner_user = owner or self.session.get(User, account.owner_id)
                    team_id = owner_user.team_id if owner_user else None
                else:
                    team_id = team.id
                changed |= _set(account, "team_id", team_id)
            if row.get("status") is not None:
                changed |= _set(account, "status", row.get("status"))
            for field in ("industry", "partnership_start", "tier_override_reason"):
                if row.has(field):
                    changed |= _set(account, field, row.get(field))
            if row.has("tier_override") and _set(
                account, "tier_override", row.get("tier_override")
            ):
                changed = True
                account.tier_override_by_id = self.actor_id if account.tier_override else None
                account.tier_override_at = now if account.tier_override else None
            for field in FACTOR_COLUMNS:
                if row.has(field):
                    changed |= _set(account, field, row.get(field))
            if changed and not created:
                account.updated_at = now
            self.session.add(account)
            self.session.flush()
            if row.has("aliases"):
                changed |= self._set_aliases(account, row.get("aliases") or (), aliases)
            before = (account.tier, account.score)
            rescore(self.session, account, self.policy)
            changed |= (account.tier, account.score) != before and not created
            self._count(created, changed)
        self.session.flush()
        return self.result()

    def _set_aliases(
        self, account: Account, wanted: tuple[str, ...], current: dict[int, list[AccountAlias]]
    ) -> bool:
        assert account.id is not None
        have = {a.alias: a for a in current.get(account.id, [])}
        wanted_set = {a for a in wanted if a != account.name}
        for alias, row in have.items():
            if alias not in wanted_set:
                self.session.delete(row)
        self.session.flush()  # free the names before they are reused
        for alias in sorted(wanted_set - set(have)):
            self.session.add(AccountAlias(account_id=account.id, alias=alias))
        return wanted_set != set(have)


class _AccountRefs:
    """Finding the account a contacts or deals row names: by name, alias, then any case."""

    def __init__(self, session: Session) -> None:
        self.by_name = {a.name: a for a in session.exec(select(Account)).all()}
        by_id = {a.id: a for a in self.by_name.values()}
        self.by_alias = {
            alias: by_id[account_id]
            for account_id, alias in session.exec(
                select(AccountAlias.account_id, AccountAlias.alias)
            )
        }
        self.folded = _casefold_map(self.by_alias.items()) | _casefold_map(self.by_name.items())

    def find(self, text: str) -> Account | None:
        return self.by_name.get(text) or self.by_alias.get(text) or self.folded.get(text.lower())

    def resolve(self, rows: list[_Row]) -> None:
        for row in rows:
            text = row.get("account")
            if text is None:
                continue
            account = self.find(text)
            if account is None:
                row.bad(f"account '{text}' does not exist")
            row.values["_account"] = account


class _ContactImporter(_Importer):
    kind = "contacts"

    def check(self, rows: list[_Row]) -> None:
        _AccountRefs(self.session).resolve(rows)
        _duplicates(
            rows,
            lambda r: (r.get("_account").id, r.get("name")) if r.get("_account") else None,
            "this contact",
        )

    def apply(self, rows: list[_Row]) -> ImportResult:
        existing: dict[tuple[int, str], Contact] = {}
        for contact in self.session.exec(select(Contact).order_by(Contact.id)).all():
            existing.setdefault((contact.account_id, contact.name), contact)
        touched: dict[int, Account] = {}
        for row in rows:
            account: Account = row.get("_account")
            assert account.id is not None
            contact = existing.get((account.id, row.get("name")))
            created = contact is None
            if contact is None:
                contact = Contact(
                    account_id=account.id, name=row.get("name"), created_by_id=self.actor_id
                )
            changed = False
            for field in ("title", "role", "phone", "email"):
                if row.has(field):
                    changed |= _set(contact, field, row.get(field))
            if row.has("birthday"):
                b: Birthday | None = row.get("birthday")
                for field, value in (
                    ("birthday_month", b.month if b else None),
                    ("birthday_day", b.day if b else None),
                    ("birthday_year", b.year if b else None),
                    ("birthday_lunar", b.lunar if b else False),
                    ("birthday_leap_month", b.leap_month if b else False),
                ):
                    changed |= _set(contact, field, value)
            self.session.add(contact)
            if created or changed:
                touched[account.id] = account
            self._count(created, changed)
        self.session.flush()
        for account in touched.values():  # the decision chain may have changed
            rescore(self.session, account, self.policy)
        self.session.flush()
        return self.result()


class _DealImporter(_Importer):
    kind = "deals"

    def check(self, rows: list[_Row]) -> None:
        self.users = self._users()
        _AccountRefs(self.session).resolve(rows)
        _duplicates(
            rows,
            lambda r: (r.get("_account").id, r.get("name")) if r.get("_account") else None,
            "this deal",
        )
        for row in rows:
            owner = row.get("owner")
            if owner and owner.lower() not in self.users:
                row.bad(f"owner @{owner} is not a known user")

    def apply(self, rows: list[_Row]) -> ImportResult:
        now = utcnow()
        existing = {(d.account_id, d.name): d for d in self.session.exec(select(Deal)).all()}
        for row in rows:
            account: Account = row.get("_account")
            assert account.id is not None
            deal = existing.get((account.id, row.get("name")))
            created = deal is None
            owner = self.users[row.get("owner").lower()] if row.get("owner") else None
            if deal is None:
                deal = Deal(
                    account_id=account.id,
                    name=row.get("name"),
                    owner_id=owner.id if owner else account.owner_id,
                    stage=row.get("stage") or DealStage.lead.value,
                    stage_changed_at=now,
                    created_at=now,
                    updated_at=now,
                )
                existing[(account.id, deal.name)] = deal
            changed = False
            if row.has("owner"):
                changed |= _set(deal, "owner_id", owner.id if owner else account.owner_id)
            if row.get("amount") is not None:
                changed |= _set(deal, "amount", row.get("amount"))
            if row.get("currency") is not None:
                changed |= _set(deal, "currency", row.get("currency"))
            for field in ("close_date", "lost_reason"):
                if row.has(field):
                    changed |= _set(deal, field, row.get(field))
            old_stage = None if created else deal.stage
            new_stage = row.get("stage") or deal.stage
            stage_changed = created or new_stage != old_stage
            if stage_changed:
                at = self._stage_time(new_stage, deal.close_date, now)
                deal.stage = new_stage
                deal.stage_changed_at = at
                deal.closed_at = at if new_stage in CLOSED_STAGES else None
                changed = True
            if changed and not created:
                deal.updated_at = now
            self.session.add(deal)
            if stage_changed:
                self.session.flush()
                self.session.add(
                    DealStageChange(
                        deal_id=deal.id,
                        from_stage=old_stage,
                        to_stage=new_stage,
                        changed_at=deal.stage_changed_at,
                        changed_by_id=self.actor_id,
                    )
                )
            self._count(created, changed)
        self.session.flush()
        return self.result()

    @staticmethod
    def _stage_time(stage: str, close_date: date | None, now: datetime) -> datetime:
        """When a deal reached ``stage``: a closed deal's past close date, else now.

        Noon UTC falls on the same calendar date from UTC-11 to UTC+11, so the close
        date reads the same in every team's timezone.
        """
        if stage in CLOSED_STAGES and close_date is not None and close_date < now.date():
            return datetime.combine(close_date, time(12), tzinfo=UTC)
        return now


_IMPORTERS: dict[str, type[_Importer]] = {
    "users": _UserImporter,
    "accounts": _AccountImporter,
    "contacts": _ContactImporter,
    "deals": _DealImporter,
}
