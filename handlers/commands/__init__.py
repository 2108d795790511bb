"""Every chat command, and the table built from them (``command_table``).

Importing a command module registers nothing: ``bot.bootstrap`` calls ``command_table``
and hands the table to the dispatcher, ``/help``, the Slack manifest and ``kam docs``.
The order of ``MODULES`` is the order ``/help`` lists the commands in (within a group),
so the health commands keep their own order, where ``health`` used to be.
"""

from handlers.commands import (
    account,
    complaint,
    contact,
    csat,
    deal,
    forecast,
    goal,
    handover,
    help,
    history,
    kpi,
    log,
    ltv,
    mine,
    pipeline,
    pyramid,
    receivables,
    remind,
    review,
    risks,
    snooze,
    tasks,
    team,
    tier,
    undo,
    users,
    week,
)
from handlers.registry import CommandTable, specs_in

MODULES = (
    account,
    contact,
    deal,
    goal,
    csat,
    complaint,
    receivables,
    ltv,
    kpi,
    pipeline,
    forecast,
    pyramid,
    help,
    undo,
    history,
    log,
    mine,
    remind,
    review,
    risks,
    snooze,
    tasks,
    team,
    tier,
    users,
    week,
    handover,
)


def command_table() -> CommandTable:
    """A new table of every command ``MODULES`` declare, in their order."""
    return CommandTable(spec for module in MODULES for spec in specs_in(module))
