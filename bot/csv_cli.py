"""``kam import`` and ``kam export``: the book as CSV files (see ``storage.csvio``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from domain.errors import KamError
from domain.settings import load_settings
from storage.csvio import KINDS


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"kam: {message}", err=True)
    return typer.Exit(code)


def _app():
    from bot.bootstrap import build_app

    try:
        settings = load_settings()
    except KamError as exc:
        raise _fail(str(exc), 2) from exc
    return build_app(settings)


def import_command(
    kind: Annotated[str, typer.Argument(help=" | ".join(KINDS))],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
) -> None:
    """Import a CSV file (UTF-8, with or without BOM); one bad row rejects the whole file."""
    from storage.csvio import import_csv
    from storage.session import unit_of_work

    if kind not in KINDS:
        raise _fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", 2)
    kam = _app()
    try:
        with unit_of_work(kam.engine) as session, file.open("rb") as src:
            result = import_csv(session, kind, src)
    except KamError as exc:
        raise _fail(f"{file}: nothing imported.\n{exc}") from exc
    typer.echo(f"{file}: {result}")


def export_command(
    kind: Annotated[str, typer.Argument(help=" | ".join(KINDS))],
    file: Annotated[Path | None, typer.Argument(dir_okay=False)] = None,
) -> None:
    """Export to CSV (UTF-8 with BOM, so Excel shows Chinese correctly); stdout by default."""
    from storage.csvio import export_csv
    from storage.session import unit_of_work

    if kind not in KINDS:
        raise _fail(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}", 2)
    kam = _app()
    with unit_of_work(kam.engine, write=False) as session:
        if file is None:
            n = export_csv(session, kind, sys.stdout)
        else:
            with file.open("w", encoding="utf-8", newline="") as out:
                n = export_csv(session, kind, out)
    typer.echo(f"exported {n} {kind}", err=True)
