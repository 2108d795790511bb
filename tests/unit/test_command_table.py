"""The command table is built from an explicit list of modules, not by importing them."""

from __future__ import annotations

import pkgutil

import handlers.commands
from handlers.commands import MODULES, command_table
from handlers.registry import CommandSpec, specs_in


def test_every_command_module_is_listed_and_declares_a_command():
    found = {m.name for m in pkgutil.iter_modules(handlers.commands.__path__)}
    listed = {module.__name__.rsplit(".", 1)[1] for module in MODULES}
    assert "log" in found  # the package was read
    assert listed == found
    assert all(specs_in(module) for module in MODULES)


def test_each_build_is_a_new_table_and_adding_to_one_leaves_the_next_alone():
    first = command_table()
    first.add(CommandSpec(
        name="extra", aliases=(), parse=lambda args, pctx: None, run=lambda ctx, cmd: None,
    ))  # fmt: skip
    assert first.find("extra") is not None
    assert command_table().find("extra") is None


def test_one_function_may_run_several_commands_in_their_written_order():
    from handlers.commands import log

    assert [spec.name for spec in specs_in(log)] == ["visit", "call", "meet", "meal"]
