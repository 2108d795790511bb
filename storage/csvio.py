"""The book as CSV files: the format, and ``kam export``.

    KINDS, COLUMNS, KEYS            what a file of each kind holds
    export_csv(session, kind, out)  write every row of a kind (an export is a valid import)
    read_table(src, kind)           the checked cells of an import file, by line
    escape_cell / unescape_cell     formula-looking cells, safe to open in a spreadsheet

Import — parsing cells with the chat grammar, matching names as chat does, planning,
the audit trail — is ``handlers.csvimport``: it needs ``handlers.parsing``, which
storage must not import.

Files name things by natural key, never by id: a user by handle, a team by name, an
account by name, a contact or deal by account and name.

Encoding.  Import reads UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8"
writes one).  Export writes a BOM by default so Excel opens Chinese text correctly;
pass ``bom=False`` for other tools (or for stdout).  Rows end in CRLF.

Safe to open (OWASP "CSV injection").  A spreadsheet runs a cell that starts with
``=``, ``+``, ``-`` or ``@`` as a formula, and a leading tab or carriage return can
hide one.  Export writes such a cell with a single quote in front (``'+86 138…``,
``'-5%``, ``'=1+1``), which Excel, WPS and LibreOffice show as text; import takes
exactly that quote off again, so the value round-trips unchanged.  A value that itself
starts with quotes before one of those characters (``'=1+1``) gets one quote more
(``''=1+1``), so it too comes back exactly as it was; so does one with spaces or line
feeds before the formula (`` =1+1`` is written ``' =1+1``), which some spreadsheets trim.

Malformed files are refused with the line and the cause, before anything is read
into the book: not UTF-8, a NUL byte, an unclosed quote, a row with more or fewer
cells than the header, a cell longer than its column.  Lines are counted as a
spreadsheet shows rows (the header is line 1; a quoted cell over several physical
lines is one row).

Never commits: the caller owns the transaction.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlmodel import Session, SQLModel, select

from domain.errors import InvalidInput
from domain.models import (
    Account,
    AccountAlias,
    Contact,
    Deal,
    Invoice,
    Payment,
    Team,
    TeamManager,
    User,
    UserIdentity,
)
from storage.users import IDENTITY_COLUMNS, all_identities

KINDS = ("users", "teams", "accounts", "contacts", "deals", "invoices", "payments")

FACTOR_COLUMNS = (
    *("annual_revenue", "margin_pct", "payment_days", "growth_pct", "cross_sell"),
    *("reference_value", "brand_value", "innovation_value", "years_together"),
    *("executive_contact", "payment_record", "satisfaction"),
)
HEALTH_COLUMNS = ("credit_limit", "acquisition_cost", "expected_years")
SNOOZE_COLUMNS = ("snoozed_until", "snooze_reason")

COLUMNS: dict[str, tuple[str, ...]] = {
    "users": (
        *("handle", "display_name", "role", "team", "manager", "timezone", "language"),
        *("slack_id", "wecom_id", "email"),
    ),
    "teams": ("name", "managers", "slack_channel", "wecom_chat_id"),
    "accounts": (
        *("name", "aliases", "industry", "owner", "team", "status", "partnership_start"),
        *("tier_override", "tier_override_reason", *FACTOR_COLUMNS),
        *HEALTH_COLUMNS,
        *SNOOZE_COLUMNS,
    ),
    "contacts": ("account", "name", "title", "role", "birthday", "phone", "email"),
    "deals": (
        *("account", "name", "amount", "currency", "stage", "close_date", "owner"),
        "lost_reason",
    ),
    # docs/finance.md: the finance system's layout, keyed by its document number
    "invoices": ("number", "account", "amount", "currency", "issued_on", "due_on", "note"),
    "payments": ("number", "account", "amount", "currency", "received_on", "invoice", "note"),
}
"""The columns of each kind, in export order."""

MULTILINE_COLUMNS = frozenset(
    {"note", "industry", "tier_override_reason", "snooze_reason", "lost_reason"}
)
"""The only columns whose cells may hold a line break (quoted); in any other a line break
means a quote was left open and swallowed the lines after it."""

IMPORT_ONLY: dict[str, tuple[str, ...]] = {"teams": ("wecom_webhook",)}
"""Columns an import accepts that an export leaves out.

A team's WeCom webhook URL carries the robot's secret key: whoever holds it can post
into the team's chat.  An export is mailed around and opened on laptops, so it never
carries the key; a file may still set it, and a file without the column leaves it.
"""

KEYS: dict[str, tuple[str, ...]] = {
    "users": ("handle",),
    "teams": ("name",),
    "accounts": ("name",),
    "contacts": ("account", "name"),
    "deals": ("account", "name"),
    "invoices": ("number",),
    "payments": ("number",),
}
"""The natural key of each kind: required in the header and in every row."""

_LIMITS: dict[str, dict[str, tuple[type[SQLModel], str]]] = {
    "users": {
        "handle": (User, "handle"),
        "display_name": (User, "display_name"),
        "team": (Team, "name"),
        "manager": (User, "display_name"),
        **{column: (UserIdentity, "external_id") for column in IDENTITY_COLUMNS},
        "email": (User, "email"),
        "timezone": (User, "timezone"),
    },
    "teams": {
        "name": (Team, "name"),
        "slack_channel": (Team, "slack_channel"),
        "wecom_chat_id": (Team, "wecom_chat_id"),
        "wecom_webhook": (Team, "wecom_webhook"),
    },
    "accounts": {
        "name": (Account, "name"),
        "industry": (Account, "industry"),
        "owner": (User, "display_name"),
        "team": (Team, "name"),
        "tier_override_reason": (Account, "tier_override_reason"),
        "snooze_reason": (Account, "snooze_reason"),
    },
    "contacts": {
        "account": (Account, "name"),
        "name": (Contact, "name"),
        "title": (Contact, "title"),
        "phone": (Contact, "phone"),
        "email": (Contact, "email"),
    },
    "deals": {
        "account": (Account, "name"),
        "name": (Deal, "name"),
        "owner": (User, "display_name"),
        "lost_reason": (Deal, "lost_reason"),
    },
    "invoices": {
        "number": (Invoice, "number"),
        "account": (Account, "name"),
        "note": (Invoice, "note"),
    },
    "payments": {
        "number": (Payment, "number"),
        "account": (Account, "name"),
        "invoice": (Invoice, "number"),
        "note": (Payment, "note"),
    },
}
ITEM_LIMITS = {"aliases": (AccountAlias, "alias"), "managers": (User, "display_name")}
"""Lists (``|``-joined): the limit holds for each item."""

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (or hide one)."""


def column_limit(model: type[SQLModel], field: str) -> int | None:
    """The column's length in the schema (None: not a text column with a length)."""
    return getattr(model.__table__.c[field].type, "length", None)  # type: ignore[attr-defined]


def limit_of(kind: str, column: str) -> int | None:
    where = _LIMITS.get(kind, {}).get(column) or ITEM_LIMITS.get(column)
    return column_limit(*where) if where else None


class ImportRejected(InvalidInput):
    """A file with bad rows; ``errors`` holds (line, reason) and nothing was written."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = sorted(errors)
        super().__init__(
            "\n".join(f"line {line}: {reason}" for line, reason in self.errors),
            hint="nothing was imported; fix these rows and import the file again",
            errors=[{"line": line, "reason": reason} for line, reason in self.errors],
        )


def kind_of(kind: str) -> str:
    low = kind.strip().lower()
    if low not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}", value=kind, choices=KINDS)
    return low


# --- formula-looking cells -------------------------------------------------------------


def _formula_like(text: str) -> bool:
    """Starts with a formula character, behind any number of quotes, spaces or line
    feeds (some spreadsheets trim those before they look)."""
    return text.lstrip("' \n").startswith(FORMULA_START)


def escape_cell(text: str) -> str:
    """``'`` in front of a cell a spreadsheet would run as a formula, and in front of
    one that already has quotes before a formula character (so import can tell)."""
    return "'" + text if _formula_like(text) else text


def unescape_cell(text: str) -> tuple[str, bool]:
    """The cell without the quote ``escape_cell`` added, and whether it had one."""
    if text.startswith("'") and _formula_like(text[1:]):
        return text[1:], True
    return text, False


# --- reading a file --------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """An import file's header (lower case, in file order) and its non-blank rows."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line, column → cell: unescaped, stripped)


def read_text(src: TextIO | BinaryIO | bytes | str | os.PathLike[str]) -> str:
    """The file as text; not UTF-8 or a NUL byte is refused with its line."""
    if isinstance(src, bytes):
        data = src
    elif isinstance(src, str | os.PathLike):
        data = Path(src).read_bytes()
    else:
        content = src.read()
        data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            [(line, "the file is not UTF-8 text (in Excel: Save As → 'CSV UTF-8')")]
        ) from exc
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportRejected([(line, "a NUL byte: this is not a text file (Save As → CSV)")])
    return text


def read_table(src: TextIO | BinaryIO | bytes | str | os.PathLike[str], kind: str) -> Table:
    """Check the file's shape and header; raise ``ImportRejected`` listing every problem."""
    kind = kind_of(kind)
    text = read_text(src)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[list[str]] = []
    starts = [1]  # the text line each row starts on (a quoted cell may span lines)
    try:
        for record in reader:
            records.append(record)
            starts.append(reader.line_num + 1)
    except csv.Error as exc:
        line = len(records) + 1
        cause = (
            'a quoted cell is never closed (a " is missing)'
            if "end of data" in str(exc)
            else f'badly quoted cell ({exc}); put a cell with " or , in double quotes '
            'and double any " inside it'
        )
        raise ImportRejected([(line, cause)]) from exc
    while records and not any(cell.strip() for cell in records[-1]):
        records.pop()
    allowed = COLUMNS[kind] + IMPORT_ONLY.get(kind, ())
    if not records:
        header_line = ", ".join(COLUMNS[kind])
        raise ImportRejected([(1, f"the file is empty: line 1 must be the header ({header_line})")])
    header = [cell.strip().lower().removeprefix(BOM) for cell in records[0]]
    problems = []
    unknown = [h for h in header if h not in allowed]
    if unknown:
        problems.append(
            f"unknown column {', '.join(repr(u) for u in unknown)} (columns: {', '.join(allowed)})"
        )
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        problems.append(f"column {', '.join(repr(t) for t in twice)} appears twice")
    missing = [k for k in KEYS[kind] if k not in header]
    if missing:
        problems.append(f"missing column {', '.join(repr(m) for m in missing)}")
    if problems:
        raise ImportRejected([(1, "; ".join(problems))])

    errors: list[tuple[int, str]] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for line, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, as spreadsheets leave them
        spans = [
            column
            for column, raw in zip(header, record, strict=False)
            if column not in MULTILINE_COLUMNS and ("\n" in raw or "\r" in raw)
        ]
        if spans:
            # A quote opened and not closed where it should be swallows the next lines
            # until some later quote closes it: refused, never imported as one record.
            first, last = starts[line - 1], starts[line] - 1
            errors.append(
                (line, f'{", ".join(spans)}: a quoted cell runs over text lines {first}-{last} '
                 'of the file; a closing " is missing (only '
                 f'{", ".join(sorted(MULTILINE_COLUMNS))} may hold a line break)')
            )  # fmt: skip
            continue
        if len(record) != len(header):
            more = "more" if len(record) > len(header) else "fewer"
            errors.append(
                (line, f"{len(record)} cells but the header has {len(header)} columns "
                 f"({more} cells than columns: a comma in a cell needs double quotes)")
            )  # fmt: skip
            continue
        cells: dict[str, str] = {}
        bad = []
        for column, raw in zip(header, record, strict=True):
            value, quoted = unescape_cell(raw)
            value = value if quoted else value.strip()
            limit = limit_of(kind, column)
            if limit is not None and column not in ITEM_LIMITS and len(value) > limit:
                bad.append(f"{column}: {len(value)} characters, longer than its {limit}")
            cells[column] = value
        if bad:
            errors.append((line, "; ".join(bad)))
        rows.append((line, cells))
    if errors:
        raise ImportRejected(errors)
    return Table(header, rows)


# --- export ----------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A value as its file cell (before escaping): the one canonical spelling."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, tuple | list):
        return "|".join(value)
    return str(value)


class Names:
    """Ids to natural keys, read once: team and account names, user handles, links."""

    def __init__(self, session: Session) -> None:
        self.teams: dict[int, str] = dict(session.exec(select(Team.id, Team.name)).all())
        self.handles: dict[int, str] = dict(session.exec(select(User.id, User.handle)).all())
        self.identities: dict[int, dict[str, str]] = all_identities(session)
        self.accounts: dict[int, str] = dict(session.exec(select(Account.id, Account.name)).all())
        self.aliases: dict[int, list[str]] = {}
        for account_id, alias in session.exec(select(AccountAlias.account_id, AccountAlias.alias)):
            self.aliases.setdefault(account_id, []).append(alias)
        self.invoices: dict[int, str] = dict(
            session.exec(select(Invoice.id, Invoice.number)).all()  # type: ignore[arg-type]
        )
        self.managers: dict[int, list[str]] = {}
        for team_id, user_id in session.exec(select(TeamManager.team_id, TeamManager.user_id)):
            self.managers.setdefault(team_id, []).append(self.handles[user_id])


def birthday_text(c: Contact) -> str | None:
    if c.birthday_month is None or c.birthday_day is None:
        return None
    day = f"{c.birthday_month:02d}-{c.birthday_day:02d}"
    if c.birthday_year:
        day = f"{c.birthday_year:04d}-{day}"
    if c.birthday_lunar:
        return ("lunar:leap:" if c.birthday_leap_month else "lunar:") + day
    return day


def _user_row(u: User, n: Names) -> dict[str, Any]:
    return {
        "handle": u.handle,
        "display_name": u.display_name,
        "role": u.role,
        "team": n.teams.get(u.team_id),  # type: ignore[arg-type]
        "manager": n.handles.get(u.manager_id),  # type: ignore[arg-type]
        "timezone": u.timezone,
        "language": u.language,
        **{
            column: n.identities.get(u.id or 0, {}).get(platform)
            for column, platform in IDENTITY_COLUMNS.items()
        },
        "email": u.email,
    }


def _team_row(t: Team, n: Names) -> dict[str, Any]:
    return {
        "name": t.name,
        "managers": sorted(n.managers.get(t.id, [])),  # type: ignore[arg-type]
        "slack_channel": t.slack_channel,
        "wecom_chat_id": t.wecom_chat_id,
        "wecom_webhook": t.wecom_webhook,
    }


def _account_row(a: Account, n: Names) -> dict[str, Any]:
    return {
        "name": a.name,
        "aliases": sorted(n.aliases.get(a.id, [])),  # type: ignore[arg-type]
        "industry": a.industry,
        "owner": n.handles.get(a.owner_id),
        "team": n.teams.get(a.team_id),  # type: ignore[arg-type]
        "status": a.status,
        "partnership_start": a.partnership_start,
        "tier_override": a.tier_override,
        "tier_override_reason": a.tier_override_reason,
        **{c: getattr(a, c) for c in FACTOR_COLUMNS + HEALTH_COLUMNS + SNOOZE_COLUMNS},
    }


def _contact_row(c: Contact, n: Names) -> dict[str, Any]:
    return {
        "account": n.accounts.get(c.account_id),
        "name": c.name,
        "title": c.title,
        "role": c.role,
        "birthday": birthday_text(c),
        "phone": c.phone,
        "email": c.email,
    }


def _deal_row(d: Deal, n: Names) -> dict[str, Any]:
    return {
        "account": n.accounts.get(d.account_id),
        "name": d.name,
        "amount": d.amount,
        "currency": d.currency,
        "stage": d.stage,
        "close_date": d.close_date,
        "owner": n.handles.get(d.owner_id),
        "lost_reason": d.lost_reason,
    }


def _invoice_row(i: Invoice, n: Names) -> dict[str, Any]:
    return {
        "number": i.number,
        "account": n.accounts.get(i.account_id),
        "amount": i.amount,
        "currency": i.currency,
        "issued_on": i.issued_on,
        "due_on": i.due_on,
        "note": i.note,
    }


def _payment_row(p: Payment, n: Names) -> dict[str, Any]:
    return {
        "number": p.number,
        "account": n.accounts.get(p.account_id),
        "amount": p.amount,
        "currency": p.currency,
        "received_on": p.received_on,
        "invoice": n.invoices.get(p.invoice_id) if p.invoice_id else None,
        "note": p.note,
    }


ROWS: dict[str, tuple[type[SQLModel], Callable[[Any, Names], dict[str, Any]]]] = {
    "users": (User, _user_row),
    "teams": (Team, _team_row),
    "accounts": (Account, _account_row),
    "contacts": (Contact, _contact_row),
    "deals": (Deal, _deal_row),
    "invoices": (Invoice, _invoice_row),
    "payments": (Payment, _payment_row),
}
"""Each kind's table, and its row as file values (``cell_text`` spells them)."""


def cells_of(kind: str, obj: Any, names: Names) -> dict[str, str]:
    """One object's row as the cells an export writes (before escaping)."""
    return {c: cell_text(v) for c, v in ROWS[kind][1](obj, names).items()}


def export_csv(session: Session, kind: str, out: TextIO, *, bom: bool = True) -> int:
    """Write every row of ``kind`` to ``out`` (header first); return the rows written.

    Rows are sorted by natural key (by code point, the same on every database; a
    contact's id breaks ties), so exporting the same book twice gives the same bytes.
    Open files with ``newline=""``: rows end in CRLF, as Excel writes them.
    """
    kind = kind_of(kind)
    model, _row = ROWS[kind]
    names = Names(session)
    objects = session.exec(select(model)).all()
    keyed = []
    for obj in objects:
        cells = cells_of(kind, obj, names)
        keyed.append(((*(cells[k] for k in KEYS[kind]), obj.id or 0), cells))  # type: ignore[attr-defined]
    keyed.sort(key=lambda pair: pair[0])
    if bom:
        out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(COLUMNS[kind])
    for _key, cells in keyed:
        writer.writerow([escape_cell(cells[c]) for c in COLUMNS[kind]])
    return len(keyed)
