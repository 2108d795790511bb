"""Keeping an account's stored tier and scores in step with its factor columns.

``apply_score`` reads the factor columns of an ``Account``, scores them with
``domain.tiers.score`` and writes ``tier``, ``score`` and the four dimension scores
back onto the row.  A manual ``tier_override`` is never touched: ``effective_tier``
already prefers it.  ``updated_at`` moves only when a stored value actually changed,
so re-scoring an unchanged account is a no-op.

The decision-chain depth is not a column: it is how many distinct contact roles the
account's current contacts (not those who left) hold (``decision_chain_depth``); ``rescore`` counts it and
applies the score in one call.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, or_
from sqlmodel import Session, select

from domain.models import Account, Contact, ProposalStatus, TierProposal, utcnow
from domain.tiers import TierFactors, TierPolicy, score

SCORE_COLUMNS = (
    "tier",
    "score",
    "score_current",
    "score_potential",
    "score_strategic",
    "score_relationship",
)


def factors_of(account: Account, *, decision_chain_depth: int | None = None) -> TierFactors:
    """The account's tier factors as ``domain.tiers`` wants them (None = not known)."""
    return TierFactors(
        annual_revenue=account.annual_revenue,
        margin_pct=account.margin_pct,
        payment_days=account.payment_days,
        growth_pct=account.growth_pct,
        cross_sell=account.cross_sell,
        reference_value=account.reference_value,
        brand_value=account.brand_value,
        innovation_value=account.innovation_value,
        years_together=account.years_together,
        executive_contact=account.executive_contact,
        decision_chain_depth=decision_chain_depth,
        payment_record=account.payment_record,
        satisfaction=account.satisfaction,
    )


def apply_score(
    account: Account, policy: TierPolicy, *, decision_chain_depth: int | None = None
) -> None:
    """Score the account's factors and store tier and scores on it (override untouched).

    Raises ``InvalidInput`` when a factor is out of range (``TierFactors`` checks).
    Does not add the account to a session nor flush.
    """
    result = score(factors_of(account, decision_chain_depth=decision_chain_depth), policy)
    values = {
        "tier": result.tier,
        "score": result.total,
        "score_current": result.dimensions.current,
        "score_potential": result.dimensions.potential,
        "score_strategic": result.dimensions.strategic,
        "score_relationship": result.dimensions.relationship,
    }
    if all(getattr(account, key) == value for key, value in values.items()):
        return
    for key, value in values.items():
        setattr(account, key, value)
    account.updated_at = utcnow()


def decision_chain_depth(session: Session, account_id: int) -> int:
    """How many distinct decision-chain roles the account's current contacts cover."""
    return session.exec(
        select(func.count(func.distinct(Contact.role))).where(
            Contact.account_id == account_id, Contact.role.is_not(None), Contact.left_at.is_(None)
        )
    ).one()


def rescore(session: Session, account: Account, policy: TierPolicy) -> None:
    """``apply_score`` with the decision-chain depth counted from the account's contacts."""
    depth = decision_chain_depth(session, account.id) if account.id is not None else 0
    apply_score(account, policy, decision_chain_depth=depth)


def decision_chain_depths(session: Session, account_ids: Collection[int]) -> dict[int, int]:
    """``decision_chain_depth`` of many accounts at once (accounts without roles left out)."""
    if not account_ids:
        return {}
    rows = session.exec(
        select(Contact.account_id, func.count(func.distinct(Contact.role)))
        .where(
            Contact.account_id.in_(sorted(account_ids)),
            Contact.role.is_not(None),
            Contact.left_at.is_(None),
        )
        .group_by(Contact.account_id)
    )
    return dict(rows.all())


def pending_proposals(
    session: Session, *, owner_id: int | None = None, team_ids: Collection[int] | None = None
) -> list[tuple[TierProposal, Account]]:
    """Pending tier proposals with their accounts, oldest first: all of them, or (given
    ``owner_id`` and ``team_ids``) those of accounts the owner or one of the teams holds."""
    query = (
        select(TierProposal, Account)
        .join(Account, Account.id == TierProposal.account_id)
        .where(TierProposal.status == ProposalStatus.pending.value)
        .order_by(TierProposal.id)
    )
    if owner_id is not None or team_ids is not None:
        query = query.where(
            or_(Account.owner_id == owner_id, Account.team_id.in_(sorted(team_ids or ())))
        )
    return list(session.exec(query).all())
