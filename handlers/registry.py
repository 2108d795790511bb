"""The command table: one declaration per command drives everything about it.

From each ``CommandSpec`` come the parser's lookup (name and aliases, English and
Chinese), ``/help``, the usage and correct example shown with every error, and the
Slack manifest's command list.  ``command`` attaches a spec to its function; the
table is built from an explicit list of command modules (``handlers.commands``) by
the one wiring point, ``bot.bootstrap`` — importing a module registers nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from handlers.i18n import text

if TYPE_CHECKING:
    from handlers.context import Context, ParseContext
    from handlers.replies import Reply


@dataclass(frozen=True)
class CommandSpec:
    name: str
    aliases: tuple[str, ...]
    parse: Callable[[str, ParseContext], Any]
    run: Callable[[Context, Any], Reply]
    # True for a command that changes the book; a predicate over the arguments for one
    # that only sometimes does (``/account Acme`` reads, ``/account Acme set …`` writes)
    writes: bool | Callable[[str], bool] = False
    slash: bool = False  # also a Slack short-form slash command (/account, /visit…)
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"rep", "manager", "admin"}))
    group: str = "main"  # help groups the commands by this

    def writes_for(self, args: str) -> bool:
        """Whether running this command with ``args`` may change the book: it then runs
        in a write transaction and its answer is kept for a retried delivery."""
        return self.writes(args) if callable(self.writes) else self.writes

    def may_write(self) -> bool:
        """Whether some arguments make this command change the book."""
        return callable(self.writes) or self.writes

    def text(self, what: str, lang: str) -> str:
        """``summary``, ``usage`` or ``example``: the message ``command.<name>.<what>``."""
        return text(f"command.{self.name}.{what}", lang)


GROUPS = ("main", "health", "admin")
"""The order ``/help`` and the README list the command groups in: daily work first."""


def help_order(spec: CommandSpec) -> int:
    """Where ``spec``'s group stands in ``GROUPS`` (an unknown group goes last)."""
    return GROUPS.index(spec.group) if spec.group in GROUPS else len(GROUPS)


class CommandTable:
    def __init__(self, specs: Iterable[CommandSpec] = ()) -> None:
        self._specs: dict[str, CommandSpec] = {}
        self._lookup: dict[str, str] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: CommandSpec) -> CommandSpec:
        for word in (spec.name, *spec.aliases):
            key = word.casefold()
            if key in self._lookup and self._lookup[key] != spec.name:
                raise ValueError(f"command word {word!r} is taken by {self._lookup[key]!r}")
            self._lookup[key] = spec.name
        self._specs[spec.name] = spec
        return spec

    def find(self, word: str) -> CommandSpec | None:
        name = self._lookup.get(word.casefold())
        return self._specs[name] if name else None

    def words(self) -> list[str]:
        return list(self._lookup)

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)


_SPECS = "command_specs"  # the attribute ``command`` sets on the decorated function


def command(**kw: Any) -> Callable[[Callable[..., Reply]], Callable[..., Reply]]:
    """Declare the decorated ``run(ctx, cmd)`` function a command.

    Takes the ``CommandSpec`` fields except ``run``.  The spec is attached to the
    function (one function may run several commands: /visit, /call…), not put into
    any global table; ``specs_in`` reads the specs back.
    """

    def declare(run: Callable[..., Reply]) -> Callable[..., Reply]:
        setattr(run, _SPECS, (*getattr(run, _SPECS, ()), CommandSpec(run=run, **kw)))
        return run

    return declare


def specs_in(module: ModuleType) -> list[CommandSpec]:
    """The commands ``module`` declares, in the order they are defined."""
    return [
        spec
        for value in vars(module).values()
        if callable(value) and getattr(value, "__module__", None) == module.__name__
        for spec in getattr(value, _SPECS, ())
    ]
