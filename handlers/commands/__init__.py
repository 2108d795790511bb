"""Every chat command; importing this package fills the command table."""

from handlers.commands import (  # noqa: F401
    account,
    contact,
    deal,
    goal,
    health,
    help,
    history,
    log,
    mine,
    remind,
    review,
    risks,
    snooze,
    tasks,
    tier,
    undo,
    users,
)
