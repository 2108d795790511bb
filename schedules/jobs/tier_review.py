"""The quarterly tier review: re-score the book, propose tier changes, ask the managers.

    run_tier_review(engine, settings, notifier, now, *, dry_run=False, on_demand=False)

A run has three steps, each its own transaction:

1. **review** — once per quarter (``2026Q4``): every account that is not churned is
   re-scored with what the book knows (``storage.health.review_pages``: CSAT, payment
   behaviour and, if configured, revenue — ``HealthPolicy.review_factors``), and where
   the tier moves a ``TierProposal`` is stored with the numbers behind it.  The book
   is read a page of accounts at a time and each page's proposals are flushed before
   the next is read: the run holds a page and the proposals, never the whole book.  Pending
   proposals of earlier quarters expire.  An account gets at most one proposal a
   quarter, so what a manager rejected is not proposed again that quarter;
2. **build** — one message per manager and review run, listing the run's proposals
   still pending that the manager decides (the account's team managers; without any,
   the owner's manager; without one, the admins), with accept and reject buttons;
3. **deliver** — through the delivery ledger (``schedules.jobs.deliver``): each message
   goes out once, and a failed one is retried by a later run.

Scheduled, the job acts on the first working day of a quarter at the digest time (in
kam's time zone), and later runs of that quarter only retry deliveries — so it is safe
to call on every scheduler tick.  ``on_demand`` (``kam jobs run tier-review``) runs at
once and reviews again: accounts without a proposal this quarter may get one.
``dry_run`` stores nothing and sends nothing; the report holds the messages it would send.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from domain.errors import InvalidInput
from domain.health import BookFactors, TierChange, policy_of, propose_tier, quarter_of
from domain.models import Account, ProposalStatus, Role, TierProposal, TierReview, User
from domain.policy import Policy
from handlers.notify import Notifier, user_recipient
from handlers.views.tiers import proposals_reply
from schedules.delivery import JobReport, Outbound, deliver, ledger_name
from schedules.registry import JobSpec
from schedules.timing import Slot, due_day, next_quarter_start, work_calendar
from storage import ledger, queries
from storage.clock import db_now
from storage.health import ReviewInput, review_pages
from storage.ledger import DeliveryKey
from storage.queries import People
from storage.session import unit_of_work
from storage.tiering import factors_of

log = logging.getLogger(__name__)

TIER_REVIEW = "tier-review"


def run_tier_review(
    engine: Engine,
    settings: Policy,
    notifier: Notifier | None,
    now: datetime,
    *,
    dry_run: bool = False,
    on_demand: bool = False,
    worker: str | None = None,
) -> JobReport:
    """Review the quarter's tiers (once) and send each manager the proposals to decide."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tz = settings.tz
    quarter = quarter_of(now.astimezone(tz).date())
    report = JobReport(TIER_REVIEW, now, dry_run=dry_run)
    if not on_demand:
        slot = Slot(settings.schedule.digest_time, weekdays_only=True)
        if due_day(now, tz, slot, settings.schedule, work_calendar(settings, tz)) is None:
            return report
    if dry_run:
        with unit_of_work(engine, write=False) as session:
            report.messages = _dry_messages(session, settings, now, quarter)
        report.due = len(report.messages)
        return report

    try:
        with unit_of_work(engine) as session:
            done = session.exec(select(TierReview.id).where(TierReview.quarter == quarter)).first()
            if on_demand or done is None:
                review_book(session, settings=settings, now=now, quarter=quarter,
                            on_demand=on_demand)  # fmt: skip
    except IntegrityError:
        # another process reviewed the same accounts at the same moment: its proposals stand
        log.info("%s: %s was reviewed concurrently", TIER_REVIEW, quarter)

    with unit_of_work(engine, write=False) as session:
        messages, due = _messages(session, settings, now, quarter)
    report.messages, report.due = messages, due
    if messages:
        if notifier is None:
            raise ValueError("a notifier is needed to send")
        deliver(engine, settings, notifier, messages, now=now, report=report, worker=worker)
    log.info("%s", report.summary())
    return report


# --- the review -----------------------------------------------------------------------


def review_book(
    session: Session, *, settings: Policy, now: datetime, quarter: str, on_demand: bool = False
) -> tuple[TierReview, list[TierProposal]]:
    """Re-score every account, store this run and its new proposals (nothing is sent)."""
    session.execute(
        update(TierProposal)
        .where(
            TierProposal.status == ProposalStatus.pending.value,
            TierProposal.quarter != quarter,
        )
        .values(status=ProposalStatus.expired.value, decided_at=now)
    )
    already = set(
        session.exec(select(TierProposal.account_id).where(TierProposal.quarter == quarter))
    )
    review = TierReview(quarter=quarter, started_at=now, accounts=0, on_demand=on_demand)
    session.add(review)
    session.flush()
    proposals = []
    for page in _pages(session, settings, now):
        review.accounts += len(page)
        for item, change in proposed_changes(page, settings):
            if item.account.id in already:
                continue
            proposal = TierProposal(
                review_id=review.id,
                quarter=quarter,
                account_id=item.account.id,
                from_tier=change.from_tier,
                to_tier=change.to_tier,
                from_score=change.from_score,
                to_score=change.to_score,
                factors={c.factor: _json(c.new) for c in change.changes},
                reasons=_reasons(item, change),
                created_at=now,
            )
            session.add(proposal)
            proposals.append(proposal)
        session.flush()  # the page's accounts can go: the session keeps no unchanged row
    review.proposals = len(proposals)
    session.add(review)
    session.flush()
    log.info(
        "%s %s: %d accounts scored, %d changes proposed",
        TIER_REVIEW,
        quarter,
        review.accounts,
        review.proposals,
    )
    return review, proposals


def _pages(session: Session, settings: Policy, now: datetime):
    revenue = "annual_revenue" in policy_of(settings).review_factors
    return review_pages(session, now=now, settings=settings, tz=settings.tz, revenue=revenue)


def proposed_changes(
    inputs: list[ReviewInput], settings: Policy
) -> list[tuple[ReviewInput, TierChange]]:
    """The tier changes the book's figures call for (accounts with bad factors skipped)."""
    policy = policy_of(settings)
    out = []
    for item in inputs:
        account = item.account
        try:
            change = propose_tier(
                current_tier=account.effective_tier,
                current_score=account.score,
                stored=factors_of(account, decision_chain_depth=item.decision_chain_depth),
                book=item.book,
                policy=settings.tiers,
                use=policy.review_factors,
            )
        except InvalidInput as exc:
            log.warning("%s: %s skipped: %s %s", TIER_REVIEW, account.name, exc, exc.params)
            continue
        if change is not None:
            out.append((item, change))
    return out


def _json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _reasons(item: ReviewInput, change: TierChange) -> list[dict[str, Any]]:
    book: BookFactors = item.book
    details = {
        "satisfaction": {"n": book.csat_count},
        "payment_record": {"on_time": book.invoices_on_time, "due": book.invoices_due},
    }
    out: list[dict[str, Any]] = [
        {
            "factor": c.factor,
            "old": _json(c.old),
            "new": _json(c.new),
            "detail": details.get(c.factor, {}),
        }
        for c in change.changes
    ]
    account = item.account
    if account.tier_override:
        out.append(
            {
                "factor": "override",
                "tier": account.tier_override,
                "reason": account.tier_override_reason,
            }
        )
    return out


# --- who is asked -------------------------------------------------------------------


def deciders(people: People, account: Account) -> list[User]:
    """Who decides an account's proposal: its team's managers, else the owner's
    manager, else the admins."""
    ids = people.team_managers.get(account.team_id, []) if account.team_id is not None else []
    found = [people.users[i] for i in ids if i in people.users]
    if not found:
        found = people.managers_of(account.owner_id)
    if not found:
        found = [u for u in people.users.values() if u.role == Role.admin.value]
    return found


def _messages(
    session: Session, settings: Policy, now: datetime, quarter: str
) -> tuple[list[Outbound], int]:
    """One message per (manager, review run) still owed, from the proposals still pending."""
    rows = session.exec(
        select(TierProposal, Account)
        .join(Account, Account.id == TierProposal.account_id)
        .where(
            TierProposal.quarter == quarter,
            TierProposal.status == ProposalStatus.pending.value,
        )
        .order_by(TierProposal.id)
    ).all()
    if not rows:
        return [], 0
    people = queries.people(session)
    batches: dict[tuple[int, int], list[tuple[TierProposal, Account]]] = defaultdict(list)
    for proposal, account in rows:
        for user in deciders(people, account):
            batches[(user.id, proposal.review_id)].append((proposal, account))
    keyed = {}
    for (user_id, review_id), items in batches.items():
        recipient = user_recipient(people.users[user_id], people.identities.get(user_id, {}))
        key = DeliveryKey(TIER_REVIEW, ledger_name(recipient), f"review-{review_id}", quarter)
        keyed[key] = (recipient, items)
    cfg = settings.schedule
    still_open = ledger.claimable(
        session,
        keyed,
        now=db_now(session),  # claims are judged by the database's clock
        stale_after=timedelta(minutes=cfg.claim_timeout_minutes),
        max_attempts=cfg.max_attempts,
    )
    out = []
    for key in sorted(still_open):
        recipient, items = keyed[key]
        reply = proposals_reply(items, lang=recipient.lang, settings=settings, quarter=quarter)
        out.append(Outbound(key, recipient, reply))
    return out, len(still_open)


def _dry_messages(
    session: Session, settings: Policy, now: datetime, quarter: str
) -> list[Outbound]:
    """What a review now would propose, worded for each manager; nothing is stored."""
    already = set(
        session.exec(select(TierProposal.account_id).where(TierProposal.quarter == quarter))
    )
    people = queries.people(session)
    by_user: dict[int, list[tuple[TierProposal, Account]]] = defaultdict(list)
    changes = (
        found
        for page in _pages(session, settings, now)
        for found in proposed_changes(page, settings)
    )
    for item, change in changes:
        if item.account.id in already:
            continue
        draft = TierProposal(
            id=0,
            review_id=0,
            quarter=quarter,
            account_id=item.account.id,
            from_tier=change.from_tier,
            to_tier=change.to_tier,
            from_score=change.from_score,
            to_score=change.to_score,
            reasons=_reasons(item, change),
        )
        for user in deciders(people, item.account):
            by_user[user.id].append((draft, item.account))
    out = []
    for user_id, items in sorted(by_user.items()):
        recipient = user_recipient(people.users[user_id], people.identities.get(user_id, {}))
        key = DeliveryKey(TIER_REVIEW, ledger_name(recipient), "review-draft", quarter)
        reply = proposals_reply(items, lang=recipient.lang, settings=settings, quarter=quarter)
        out.append(Outbound(key, recipient, reply))
    return out


# --- the job's declaration ------------------------------------------------------------


def _slot(settings: Policy) -> Slot:
    return Slot(settings.schedule.digest_time, weekdays_only=True)


JOB = JobSpec(
    name=TIER_REVIEW,
    summary="Review the quarter's tiers (once) and send each manager the proposals to decide.",
    runner=run_tier_review,
    when=lambda settings: (
        f"first working day of each quarter, {_slot(settings).at:%H:%M} in {settings.timezone}"
    ),
    next_at=lambda now, settings: next_quarter_start(
        now, settings.tz, _slot(settings), settings.schedule, work_calendar(settings, settings.tz)
    ),
)
