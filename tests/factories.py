"""Test data factories: small functions that add one thing and return it.

They take a session and flush (never commit); the test owns the transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from domain.models import (
    Account,
    AccountAlias,
    Contact,
    Deal,
    DealStageChange,
    Goal,
    Interaction,
    Task,
    Team,
    TeamManager,
    User,
    UserIdentity,
)


def team(session: Session, name: str, **kw) -> Team:
    t = Team(name=name, **kw)
    session.add(t)
    session.flush()
    return t


def user(
    session: Session,
    handle: str,
    *,
    team: Team | None = None,
    role: str = "rep",
    language: str = "en",
    timezone: str = "Asia/Shanghai",
    manager: User | None = None,
    manages: tuple[Team, ...] = (),
    **kw,
) -> User:
    identities = {"slack": kw.pop("slack_id", None), "wecom": kw.pop("wecom_id", None)}
    u = User(
        handle=handle,
        display_name=kw.pop("display_name", handle.title()),
        team_id=team.id if team else None,
        role=role,
        language=language,
        timezone=timezone,
        manager_id=manager.id if manager else None,
        **kw,
    )
    session.add(u)
    session.flush()
    for platform, external_id in identities.items():
        if external_id:
            session.add(UserIdentity(user_id=u.id, platform=platform, external_id=external_id))
    for t in manages:
        session.add(TeamManager(team_id=t.id, user_id=u.id))
    session.flush()
    return u


def account(
    session: Session,
    name: str,
    *,
    owner: User,
    team: Team | None = None,
    tier: str = "B",
    aliases: tuple[str, ...] = (),
    **kw,
) -> Account:
    a = Account(
        name=name, owner_id=owner.id, team_id=(team.id if team else owner.team_id), tier=tier, **kw
    )
    session.add(a)
    session.flush()
    for alias in aliases:
        session.add(AccountAlias(account_id=a.id, alias=alias))
    session.flush()
    return a


def contact(session: Session, account: Account, name: str, **kw) -> Contact:
    c = Contact(account_id=account.id, name=name, **kw)
    session.add(c)
    session.flush()
    return c


def interaction(
    session: Session,
    account: Account,
    *,
    author: User,
    at: datetime,
    kind: str = "visit",
    notes: str = "",
) -> Interaction:
    i = Interaction(
        account_id=account.id, author_id=author.id, happened_at=at, kind=kind, notes=notes
    )
    session.add(i)
    session.flush()
    return i


def deal(
    session: Session,
    account: Account,
    name: str,
    *,
    owner: User,
    amount: str | Decimal = "100000",
    stage: str = "proposal",
    currency: str = "CNY",
    stage_changed_at: datetime | None = None,
    close_date: date | None = None,
    closed_at: datetime | None = None,
) -> Deal:
    changed = stage_changed_at or datetime.now(UTC) - timedelta(days=1)
    d = Deal(
        account_id=account.id,
        name=name,
        owner_id=owner.id,
        amount=Decimal(amount),
        currency=currency,
        stage=stage,
        stage_changed_at=changed,
        close_date=close_date,
        closed_at=closed_at or (changed if stage in ("won", "lost") else None),
    )
    session.add(d)
    session.flush()
    session.add(DealStageChange(deal_id=d.id, from_stage=None, to_stage=stage, changed_at=changed))
    session.flush()
    return d


def task(
    session: Session, account: Account, text: str, *, owner: User, due_at=None, done_at=None
) -> Task:
    t = Task(account_id=account.id, owner_id=owner.id, text=text, due_at=due_at, done_at=done_at)
    session.add(t)
    session.flush()
    return t


def goal(session: Session, *, year: int, metric: str, target: str | Decimal, **scope) -> Goal:
    kind = next(k for k in ("user", "team", "account") if k in scope)
    obj = scope[kind]
    g = Goal(
        year=year,
        metric=metric,
        scope=kind,
        target=Decimal(target),
        currency=scope.get("currency", "CNY" if metric == "won_revenue" else None),
        **{f"{kind}_id": obj.id},
    )
    session.add(g)
    session.flush()
    return g
