"""The ``kam`` command line: demo book, chat from the terminal, import/export, the bot."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from bot.audit_cli import audit_command
from bot.backup_cli import backup_command
from bot.config import Settings, load_settings
from bot.csv_cli import export_command, import_command
from bot.docs import docs_command
from bot.doctor import doctor_command
from bot.jobs_cli import jobs_app, scheduler_command
from bot.slack.cli import slack_app
from domain.errors import KamError

if TYPE_CHECKING:
    from domain.models import User

app = typer.Typer(
    help="kam — key-account management in Slack and WeCom.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
demo_app = typer.Typer(help="The sample book, and the charts it shows.")
app.add_typer(demo_app, name="demo")
app.add_typer(jobs_app, name="jobs")
app.add_typer(slack_app, name="slack")
app.command("doctor")(doctor_command)
app.command("docs")(docs_command)
app.command("audit")(audit_command)
app.command("backup")(backup_command)
app.command("import")(import_command)
app.command("export")(export_command)
app.command("scheduler")(scheduler_command)


def _settings() -> Settings:
    try:
        return load_settings()
    except KamError as exc:
        typer.echo(f"kam: {exc}", err=True)
        raise typer.Exit(2) from exc


def _app(**kw):
    from bot.bootstrap import build_app

    return build_app(_settings(), **kw)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"kam: {message}", err=True)
    return typer.Exit(code)


def _where(url: str) -> str:
    """The database URL as a person can show it: no password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the database migrations (any kam command also does this on a new database)."""
    from bot.tables import print_counts
    from storage.engine import make_engine
    from storage.migrate import current_revision, pending, upgrade

    url = _settings().database_url
    engine = make_engine(url)
    before = current_revision(engine)
    todo = pending(engine)
    upgrade(engine)
    after = current_revision(engine)
    typer.echo(f"database {_where(url)}")
    if not todo:
        typer.echo(f"revision {after}: up to date, no migrations to apply")
        return
    typer.echo(f"revision {before or 'none (empty database)'} → {after}; applied:")
    print_counts(["revision", "migration"], todo)


@demo_app.callback(invoke_without_command=True)
def demo(ctx: typer.Context) -> None:
    """Fill the database with the sample book (idempotent).

    ``kam demo charts DIR`` draws the book's charts into DIR.  The large synthetic book
    for benchmarks: ``python -m benchmarks.book --accounts N``.
    """
    if ctx.invoked_subcommand is not None:
        return
    from bot.tables import print_counts
    from storage.demo import seed_demo
    from storage.session import unit_of_work

    kam = _app()
    with unit_of_work(kam.engine) as session:
        summary = seed_demo(session, settings=kam.settings)
    where = _where(kam.settings.database_url)
    if summary.created:
        typer.echo(f"demo book in {where}:")
    else:
        typer.echo(f"demo book in {where}: already there, nothing changed")
    rows = [(kind, created, 0, unchanged) for kind, created, unchanged in summary.by_kind()]
    print_counts(["kind", "created", "updated", "unchanged"], rows)


@demo_app.command("charts")
def demo_charts(
    directory: Annotated[Path, typer.Argument(help="Where the PNGs go (made if missing)")],
) -> None:
    """Draw the demo book's charts, in English and Chinese, into DIR: /pipeline,
    /forecast, /pyramid and /goal as a manager (en) and a rep (zh) ask them, and the
    weekly goals push; with each file's size and the time it took to draw."""
    from bot.demo_charts import draw_demo_charts

    kam = _app()
    try:
        rows, notes = draw_demo_charts(kam, directory)
    finally:
        kam.engine.dispose()
    for note in notes:
        typer.echo(note)
    width = max((len(str(path)) for path, _size, _ms in rows), default=4)
    typer.echo(f"{'chart'.ljust(width)}  {'bytes':>7}  {'ms':>5}")
    for path, size, ms in rows:
        typer.echo(f"{str(path).ljust(width)}  {size:>7}  {ms:>5.0f}")
    if not rows:
        raise _fail("no chart drawn")


AS_HELP = "Who you speak as: a handle or display name (alice, wang, 王磊); env KAM_AS"
CHART_DIR_HELP = "Write each reply's chart there as a PNG and print its path"


def _speaker(kam, as_: str | None) -> User:
    """The user ``--as`` (or ``KAM_AS``) names; there is no silent default."""
    from bot.console import active_users, resolve_speaker, who_is_there
    from storage.session import unit_of_work

    with unit_of_work(kam.engine, write=False) as session:
        if not as_ or not as_.strip():
            raise _fail(
                "say who you are: --as HANDLE (or set KAM_AS=HANDLE). "
                + who_is_there(active_users(session)),
                code=2,
            )
        try:
            return resolve_speaker(session, as_)
        except KamError as exc:
            raise _fail(str(exc)) from exc


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="The chat message, e.g. '/account Acme'")],
    as_: Annotated[str | None, typer.Option("--as", envvar="KAM_AS", help=AS_HELP)] = None,
    chart_dir: Annotated[Path | None, typer.Option("--chart-dir", help=CHART_DIR_HELP)] = None,
) -> None:
    """Handle one chat message as a user and print the reply."""
    from bot.console import answer_text
    from handlers.dispatcher import Incoming

    kam = _app()
    user = _speaker(kam, as_)
    reply = kam.dispatcher.handle(Incoming(text=text, actor=user.handle, platform="console"))
    typer.echo(answer_text(reply, text, chart_dir))


@app.command()
def console(
    as_: Annotated[str | None, typer.Option("--as", envvar="KAM_AS", help=AS_HELP)] = None,
    chart_dir: Annotated[Path | None, typer.Option("--chart-dir", help=CHART_DIR_HELP)] = None,
) -> None:
    """Chat with kam in the terminal (line editing, history); from a pipe, one reply a line."""
    from bot.console import run_console

    kam = _app()
    run_console(kam, _speaker(kam, as_), chart_dir)


@app.command()
def parse(
    text: Annotated[str, typer.Argument()],
    now: Annotated[str | None, typer.Option(help="ISO time to parse relative to")] = None,
    tz: Annotated[str | None, typer.Option(help="Timezone, e.g. Asia/Shanghai")] = None,
    as_: Annotated[str, typer.Option("--as")] = "admin",
) -> None:
    """Print what each parsing stage found and the typed command, as JSON; writes nothing."""
    from handlers.clarify import Choose
    from handlers.dispatcher import Incoming

    kam = _app()
    zone = ZoneInfo(tz) if tz else None
    when = datetime.fromisoformat(now) if now else None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=zone or kam.settings.tz)
    try:
        spec, cmd, stages = kam.dispatcher.explain(
            Incoming(text=text, actor=as_, platform="console", received_at=when), tz=zone
        )
    except Choose as exc:
        typer.echo(
            json.dumps(
                {"asks": exc.question, "choices": [c.text for c in exc.choices]},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    except KamError as exc:
        raise _fail(str(exc)) from exc
    data = cmd.model_dump(mode="json")
    data["command"] = spec.name
    data = {"stages": stages, "parsed": data}
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


@app.command()
def run(
    host: Annotated[str | None, typer.Option(help="Bind address (KAM_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (KAM_PORT)")] = None,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Web only (a replica behind a load balancer)")
    ] = False,
) -> None:
    """Run the bot: HTTP server (Slack, WeCom, /healthz) plus the scheduler."""
    from bot.logging_setup import configure_logging
    from bot.server import run_bot

    kam = _app()
    configure_logging(kam.settings)
    socket_mode = None
    if kam.settings.slack.app_token:
        from bot.slack.socket_mode import start_socket_mode

        socket_mode = start_socket_mode(kam)
    try:
        run_bot(
            kam,
            host=host or kam.settings.host,
            port=port if port is not None else kam.settings.port,
            with_scheduler=not no_scheduler,
            ready=lambda server: typer.echo(f"kam ready on {server.url}", err=True),
        )
    finally:
        if socket_mode is not None:
            socket_mode.close()


def main() -> None:
    """The console script: an error kam can name is one line on stderr and an exit code,
    never a traceback (a bad KAM_DATABASE_URL, a database that cannot be reached, a
    kam.toml that is not UTF-8 or is a folder)."""
    from sqlalchemy.exc import DBAPIError

    from storage.engine import describe_db_error

    try:
        app()
    except KamError as exc:
        typer.echo(f"kam: {exc}", err=True)
        raise SystemExit(2) from None
    except DBAPIError as exc:
        typer.echo(f"kam: cannot use the database {_where_safely()}: {describe_db_error(exc)}",
                   err=True)  # fmt: skip
        raise SystemExit(1) from None


def _where_safely() -> str:
    try:
        return _where(load_settings().database_url)
    except Exception:  # noqa: BLE001 - only words for an error already being reported
        return "(KAM_DATABASE_URL)"


if __name__ == "__main__":
    main()
