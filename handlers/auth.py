"""Who may read and change which accounts.

* Anyone reads accounts of the teams they belong to or manage (and their own accounts).
* A rep changes accounts they own or that belong to their team; a manager those of
  the teams they manage or belong to; an admin everything (``can_write``).
* A supporting member of an account's team (协同, ``AccountMember``: tech, service,
  finance…) reads the account and *contributes* to it: logs interactions, complaints and
  CSAT, adds next steps and closes their own (``can_contribute``); ownership, tier,
  deals and the account's own fields stay with the owner, their team and managers.
* Who may look at a person's own numbers, tasks and goals (``/kpi @carol``,
  ``/tasks @carol``, ``/goal @carol``) and name them as someone's line manager:
  ``may_see_person``, the one rule every such check asks.
"""

from __future__ import annotations

from sqlmodel import Session

from domain.errors import Forbidden
from domain.models import Account, Role, User
from handlers.i18n import Catalog
from handlers.views.team import role_label
from storage import locks
from storage.members import membership
from storage.users import managed_team_ids, visible_team_ids

_ = Catalog("auth")


def can_read(session: Session, actor: User, account: Account) -> bool:
    if actor.role == Role.admin or account.owner_id == actor.id:
        return True
    if account.team_id is not None and account.team_id in visible_team_ids(session, actor):
        return True
    return _is_member(session, actor, account)


def _is_member(session: Session, actor: User, account: Account) -> bool:
    """On the account's team (one indexed lookup)."""
    return (
        account.id is not None
        and actor.id is not None
        and membership(session, account.id, actor.id) is not None
    )


def can_write(session: Session, actor: User, account: Account) -> bool:
    if actor.role == Role.admin or account.owner_id == actor.id:
        return True
    if account.team_id is None:
        return False
    if account.team_id == actor.team_id:
        return True
    return actor.role == Role.manager and account.team_id in managed_team_ids(session, actor)


def can_contribute(session: Session, actor: User, account: Account) -> bool:
    """May log interactions, complaints and CSAT at ``account`` and add next steps
    there: whoever may change it, and the supporting members of its team."""
    return can_write(session, actor, account) or _is_member(session, actor, account)


def require_read(session: Session, actor: User, account: Account, lang: str) -> None:
    if not can_read(session, actor, account):
        raise Forbidden(_("other_team", lang, account=account.name))


def require_write(session: Session, actor: User, account: Account, lang: str) -> None:
    """Refuse unless ``actor`` may change ``account``; then take the account for the rest
    of the transaction (``storage.locks``): a command that changes an account or what
    hangs off it (contacts, deals, invoices, payments…) waits for the one before it, and
    reads the book — ``account`` included — as that one left it."""
    if not can_write(session, actor, account):
        member = (
            membership(session, account.id, actor.id)
            if account.id is not None and actor.id is not None
            else None
        )
        if member is not None:
            role = role_label(member.role, lang)
            raise Forbidden(_("member_only", lang, account=account.name, role=role))
        raise Forbidden(_("not_yours", lang, account=account.name))
    locks.account(session, account)


def require_contribute(session: Session, actor: User, account: Account, lang: str) -> None:
    """Refuse unless ``actor`` may contribute to ``account`` (``can_contribute``); then
    take the account for the rest of the transaction, as ``require_write`` does."""
    if not can_contribute(session, actor, account):
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
