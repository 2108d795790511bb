"""`kam jobs …` and `kam scheduler` (being written)."""

import typer

jobs_app = typer.Typer(help="Scheduled jobs: list, run once, status.", no_args_is_help=True)


def scheduler_command() -> None:
    """Run the scheduler alone."""
    raise typer.Exit(1)
