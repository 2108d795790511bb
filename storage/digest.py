"""What the risk digest needs besides the classification (``storage.queries.risk_marks``):
the money at risk on a set of accounts, and each team's snapshot of its last digest.

Money at risk on an account is its open pipeline (open deals, in the house currency)
and its overdue receivables (open invoice balances past due, in the house currency);
amounts in a currency without a configured rate are left out of the sums.  Every query
takes a set of account ids — the digest asks for one page of accounts at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, func, select

from domain.health import ZERO, split_total
from domain.models import CLOSED_STAGES, Account, Deal, DigestSnapshot, Invoice


@dataclass(frozen=True)
class Exposure:
    """An account's money at risk, in the house currency."""

    pipeline: Decimal = ZERO
    overdue: Decimal = ZERO


def _in_house(amounts: Mapping[str, Decimal], house: str, rates: Mapping[str, Decimal]) -> Decimal:
    total, _left_out = split_total(amounts, house, house=house, rates=rates)
    return total


def exposures(
    session: Session,
    account_ids: Collection[int],
    *,
    today: date,
    house: str,
    rates: Mapping[str, Decimal],
) -> dict[int, Exposure]:
    """Open pipeline and overdue receivables of each of ``account_ids`` (those with
    neither are left out).  Two grouped statements, one row per account and currency."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    pipeline: dict[int, dict[str, Decimal]] = {}
    stmt = (
        select(Deal.account_id, Deal.currency, func.sum(Deal.amount))
        .where(Deal.account_id.in_(ids), Deal.stage.not_in(CLOSED_STAGES))
        .group_by(Deal.account_id, Deal.currency)
    )
    for account_id, currency, amount in session.exec(stmt):
        pipeline.setdefault(account_id, {})[currency] = Decimal(amount or 0)
    overdue: dict[int, dict[str, Decimal]] = {}
    stmt = (
        select(Invoice.account_id, Invoice.currency, func.sum(Invoice.amount - Invoice.paid_amount))
        .where(
            Invoice.account_id.in_(ids),
            Invoice.settled_on.is_(None),
            Invoice.amount > Invoice.paid_amount,
            Invoice.due_on < today,
        )
        .group_by(Invoice.account_id, Invoice.currency)
    )
    for account_id, currency, amount in session.exec(stmt):
        overdue.setdefault(account_id, {})[currency] = Decimal(amount or 0)
    out = {}
    for account_id in pipeline.keys() | overdue.keys():
        out[account_id] = Exposure(
            _in_house(pipeline.get(account_id, {}), house, rates),
            _in_house(overdue.get(account_id, {}), house, rates),
        )
    return out


@dataclass(frozen=True)
class AccountBrief:
    id: int
    name: str
    tier: str
    status: str


def briefs(session: Session, account_ids: Iterable[int], *, size: int) -> dict[int, AccountBrief]:
    """Name, effective tier and status of ``account_ids``, ``size`` ids per statement."""
    ids = sorted(set(account_ids))
    out = {}
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        stmt = select(
            Account.id,
            Account.name,
            func.coalesce(Account.tier_override, Account.tier),
            Account.status,
        ).where(Account.id.in_(chunk))
        for row in session.exec(stmt):
            out[row[0]] = AccountBrief(*row)
    return out


@dataclass(frozen=True)
class Snapshot:
    """A team's digest of one day: risk codes, tiers and money at risk per account."""

    day: date
    marks: dict[int, frozenset[str]]
    tiers: dict[int, str]
    values: dict[int, Decimal]


def latest_snapshot(session: Session, team_id: int, *, before: date) -> Snapshot | None:
    """The team's last digest snapshot of a day before ``before``."""
    row = session.exec(
        select(DigestSnapshot)
        .where(DigestSnapshot.team_id == team_id, DigestSnapshot.day < before)
        .order_by(DigestSnapshot.day.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return Snapshot(
        day=row.day,
        marks={int(k): frozenset(v) for k, v in row.marks.items()},
        tiers={int(k): v for k, v in row.tiers.items()},
        values={int(k): Decimal(v) for k, v in row.values.items()},
    )


def save_snapshot(
    session: Session,
    team_id: int,
    day: date,
    *,
    marks: Mapping[int, Iterable[str]],
    tiers: Mapping[int, str],
    values: Mapping[int, Decimal],
    sent_at: datetime,
) -> None:
    """Insert or replace the team's snapshot of ``day`` in one statement (sending the
    digest to a second chat of the team writes the same row again)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    row = {
        "team_id": team_id,
        "day": day,
        "marks": {str(k): sorted(v) for k, v in sorted(marks.items())},
        "tiers": {str(k): v for k, v in sorted(tiers.items())},
        "values": {str(k): str(v) for k, v in sorted(values.items()) if v},
        "sent_at": sent_at,
    }
    stmt = insert(DigestSnapshot).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["team_id", "day"],
        set_={k: stmt.excluded[k] for k in ("marks", "tiers", "values", "sent_at")},
    )
    session.execute(stmt)
