"""The one place where kam's real pieces are plugged together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.config import Settings
from bot.metrics import Metrics, MetricsNotifier
from handlers.commands import command_table
from handlers.directory import Directory
from handlers.dispatcher import Dispatcher
from handlers.events import UserRegistered
from handlers.inbox import Inbox
from handlers.notify import ConsoleNotifier, Notifier, Recipient, RoutingNotifier
from handlers.profiles import fill_profiles
from handlers.registry import CommandTable
from handlers.replies import Reply
from schedules.jobs import job_table
from schedules.registry import JobTable
from storage.engine import make_engine
from storage.migrate import ensure_schema

if TYPE_CHECKING:
    from schedules.scheduler import Scheduler

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: Engine
    dispatcher: Dispatcher
    notifier: Notifier
    jobs: JobTable
    commands: CommandTable
    metrics: Metrics
    events: ThreadPoolExecutor  # where committed commands' events are handled
    inbox: Inbox  # platform messages kept until answered (``handlers.inbox``)

    def close(self) -> None:
        """Finish the events in hand (a profile being filled), then let the database go."""
        self.events.shutdown(wait=True)
        self.engine.dispose()


def build_notifier(settings: Settings, engine: Engine) -> Notifier:
    """Slack and WeCom notifiers when configured; the console for everyone else."""
    by_platform: dict[str, Notifier] = {"console": ConsoleNotifier()}
    if settings.slack.enabled:
        from bot.slack.notifier import SlackNotifier

        by_platform["slack"] = SlackNotifier.from_settings(settings.slack)
    from bot.wecom.notifier import WecomNotifier

    wecom = WecomNotifier.from_settings(settings.wecom, engine)
    if settings.wecom.corp_id and settings.wecom.secret:
        by_platform["wecom"] = wecom
    else:
        # A team's group robot needs no app credentials; members and app chats do,
        # so without them those messages show in the console instead of failing.
        by_platform["wecom"] = _WebhooksOnly(wecom, by_platform["console"])
    return RoutingNotifier(by_platform, fallback=by_platform["console"])


class _WebhooksOnly:
    def __init__(self, wecom: Notifier, otherwise: Notifier) -> None:
        self._wecom, self._otherwise = wecom, otherwise

    def send(self, recipient: Recipient, reply: Reply) -> None:
        (self._wecom if recipient.kind == "webhook" else self._otherwise).send(recipient, reply)


def build_app(
    settings: Settings, *, notifier: Notifier | None = None, engine: Engine | None = None
) -> App:
    engine = engine or make_engine(settings.database_url)
    ensure_schema(engine)  # a new database is upgraded on first use
    metrics = Metrics()
    notifier = notifier or MetricsNotifier(build_notifier(settings, engine), metrics)
    commands = build_commands()
    directories = build_directories(settings, engine)
    events = ThreadPoolExecutor(1, thread_name_prefix="kam-events")
    dispatcher = Dispatcher(
        engine,
        settings,
        notifier,
        commands=commands,
        on_command=metrics.observe_command,
        directories=directories,
        on_event=route_events(settings, engine, directories, events),
    )
    inbox = Inbox(engine, dispatcher, timedelta(seconds=settings.inbox_lease_seconds))
    return App(
        settings, engine, dispatcher, notifier, build_jobs(), commands, metrics, events, inbox
    )


def build_commands() -> CommandTable:
    """The chat commands (``handlers.commands``): what the dispatcher runs, ``/help``
    lists, and the Slack manifest and ``kam docs`` describe."""
    return command_table()


def route_events(
    settings: Settings,
    engine: Engine,
    directories: dict[str, Directory],
    worker: ThreadPoolExecutor,
) -> Callable[[object], None]:
    """Where a committed command's events (``handlers.events``) go: a registered user's
    profile is filled from their platforms' directories, on one worker thread so the
    reply does not wait for Slack or WeCom (``App.close`` waits for it)."""

    def fill(event: UserRegistered) -> None:
        try:
            fill_profiles(engine, event, directories, default_timezone=settings.timezone)
        except Exception:  # a profile is a nicety; never let it cost anything else
            log.exception("filling the profile of user %s failed", event.user_id)

    def route(event: object) -> None:
        if isinstance(event, UserRegistered):
            worker.submit(fill, event)

    return route


def build_directories(settings: Settings, engine: Engine) -> dict[str, Directory]:
    """Each platform's directory (``handlers.directory``): Slack's when configured;
    WeCom's always, for its language (its profiles need the app's credentials)."""
    directories: dict[str, Directory] = {}
    if settings.slack.enabled:
        from bot.slack.directory import SlackDirectory
        from bot.slack.web import make_client

        directories["slack"] = SlackDirectory(make_client(settings.slack))
    from bot.wecom.client import WecomClient
    from bot.wecom.directory import WecomDirectory

    directories["wecom"] = WecomDirectory(WecomClient.from_settings(settings.wecom, engine))
    return directories


def build_jobs() -> JobTable:
    """The scheduled jobs (``schedules.jobs``): what the scheduler runs and ``kam jobs``
    lists and runs by name."""
    return job_table()


def build_scheduler(kam: App, *, clock: Callable[[], datetime] | None = None) -> Scheduler:
    """The scheduler over the app's jobs, engine and notifier; not started."""
    from schedules.scheduler import create_scheduler  # APScheduler only when scheduling

    return create_scheduler(
        kam.jobs,
        kam.engine,
        kam.settings,
        kam.notifier,
        clock=clock,
        on_job=kam.metrics.observe_job,
    )
