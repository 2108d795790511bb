"""Every chat command; importing this package fills the command table.

The order of registration is the order ``/help`` lists the commands in (within a group),
so the health commands are imported in their own order, where ``health`` used to be.
"""

from handlers.commands import account, contact, deal, goal  # noqa: F401

# isort: off
from handlers.commands import csat, complaint, receivables, ltv, kpi  # noqa: F401

# isort: on
from handlers.commands import (  # noqa: F401
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
