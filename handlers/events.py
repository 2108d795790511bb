"""Events a command records in its outbox, published only after its transaction commits.

A command calls ``ctx.emit(event)``; the dispatcher hands each event to the
subscriber ``bot.bootstrap`` gave it once the command has committed, never for a
command that failed.  Events are platform-neutral: who reacts, and how, is wired at
the edge.

    UserRegistered   /user add made (or brought back) someone with chat identities:
                     their profiles are filled from each platform's Directory
                     (``handlers.profiles``)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UserRegistered:
    user_id: int
    identities: Mapping[str, str]  # platform → external id
    actor_id: int | None
    request_id: str  # the registering command's, so /undo takes the profile back too
    explicit: frozenset[str] = field(default_factory=frozenset)  # fields the command set
