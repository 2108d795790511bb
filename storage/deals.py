"""Deals of an account, and moving a deal from one stage to the next.

``change_stage`` is the one place a deal's stage changes: it records the move in
``DealStageChange`` (from, to, when, who), resets ``stage_changed_at``, sets
``closed_at`` on won/lost and clears it (with the lost reason) when a deal reopens.
Like every repository here it adds to the session and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from domain.models import CLOSED_STAGES, Deal, DealStage, DealStageChange, User


def by_name(session: Session, account_id: int, name: str) -> Deal | None:
    """The account's deal called ``name`` (compared case-insensitively)."""
    return session.exec(
        select(Deal).where(
            Deal.account_id == account_id, func.lower(Deal.name) == name.strip().lower()
        )
    ).first()


def of_account(session: Session, account_id: int) -> list[Deal]:
    """Every deal of the account: open ones by close date, then closed ones, newest first."""
    deals = session.exec(
        select(Deal)
        .where(Deal.account_id == account_id)
        .order_by(Deal.close_date.is_(None), Deal.close_date, Deal.id)
    ).all()
    open_ = [d for d in deals if d.is_open]
    closed = sorted(
        (d for d in deals if not d.is_open),
        key=lambda d: (d.closed_at or d.stage_changed_at, d.id or 0),
        reverse=True,
    )
    return open_ + closed


def open_of_account(session: Session, account_id: int) -> list[Deal]:
    return [d for d in of_account(session, account_id) if d.is_open]


def history(
    session: Session, deal_id: int, *, limit: int | None = None
) -> list[tuple[DealStageChange, str | None]]:
    """The deal's stage changes, newest first, with the display name of who made each."""
    stmt = (
        select(DealStageChange, User.display_name)
        .outerjoin(User, User.id == DealStageChange.changed_by_id)
        .where(DealStageChange.deal_id == deal_id)
        .order_by(DealStageChange.changed_at.desc(), DealStageChange.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [(change, name) for change, name in session.exec(stmt).all()]


def change_stage(
    session: Session, deal: Deal, stage: str, *, at: datetime, actor_id: int | None
) -> DealStageChange | None:
    """Move ``deal`` to ``stage`` and record the move; None (and no change) if it is there.

    The caller snapshots the deal before and audits both rows after.
    """
    if stage == deal.stage:
        return None
    change = DealStageChange(
        deal_id=deal.id,
        from_stage=deal.stage,
        to_stage=stage,
        changed_at=at,
        changed_by_id=actor_id,
    )
    was_closed = deal.stage in CLOSED_STAGES
    deal.stage = stage
    deal.stage_changed_at = at
    deal.updated_at = at
    if stage in CLOSED_STAGES:
        deal.closed_at = at
        if stage != DealStage.lost.value:
            deal.lost_reason = None
    elif was_closed:
        deal.closed_at = None
        deal.lost_reason = None
    session.add(deal)
    session.add(change)
    return change
