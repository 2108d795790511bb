"""Who may read and change which accounts.

* Anyone reads accounts of the teams they belong to or manage (and their own accounts).
* A rep changes accounts they own or that belong to their team; a manager those of
  the teams they manage or belong to; an admin everything.
* Who may look at a person's own numbers, tasks and goals (``/kpi @carol``,
  ``/tasks @carol``, ``/goal @carol``) and name them as someone's line manager:
  ``may_see_person``, the one rule every such check asks.
"""

from __future__ import annotations

from sqlmodel import Session

from domain.errors import Forbidden
from domain.models import Account, Role, User
from handlers.i18n import Catalog
from storage import locks
from storage.users import managed_team_ids, visible_team_ids

_ = Catalog("auth")


def can_read(session: Session, actor: User, account: Account) -> bool:
    if actor.role == Role.admin or account.owner_id == actor.id:
        return True
    return account.team_id is not None and account.team_id in visible_team_ids(session, actor)


def can_write(session: Session, actor: User, account: Account) -> bool:
    if actor.role == Role.admin or account.owner_id == actor.id:
        return True
    if account.team_id is None:
        return False
    if account.team_id == actor.team_id:
        return True
    return actor.role == Role.manager and account.team_id in managed_team_ids(session, actor)


def require_read(session: Session, actor: User, account: Account, lang: str) -> None:
    if not can_read(session, actor, account):
        raise Forbidden(_("other_team", lang, account=account.name))


def require_write(session: Session, actor: User, account: Account, lang: str) -> None:
    """Refuse unless ``actor`` may change ``account``; then take the account for the rest
    of the transaction (``storage.locks``): a command that changes an account or what
    hangs off it (contacts, deals, invoices, payments…) waits for the one before it, and
    reads the book — ``account`` included — as that one left it."""
    if not can_write(session, actor, account):
        raise Forbidden(_("not_yours", lang, account=account.name))
    locks.account(session, account)


def may_see_person(session: Session, actor: User, person: User) -> bool:
    """Themselves; for an admin anyone; for a manager the people of the teams they manage
    and those who report to them.  A rep sees only themselves, even one named someone's
    line manager (issue 15: ``/kpi @carol`` and ``/tasks @carol`` used to disagree)."""
    if actor.role == Role.admin or person.id == actor.id:
        return True
    if actor.role != Role.manager:
        return False
    if person.manager_id == actor.id:
        return True
    return person.team_id is not None and person.team_id in managed_team_ids(session, actor)


def is_manager(actor: User) -> bool:
    return actor.role in (Role.manager, Role.admin)
