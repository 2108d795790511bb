"""The one place where kam's real pieces are plugged together."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from domain.settings import Settings
from handlers.dispatcher import Dispatcher
from handlers.metrics import MetricsNotifier
from handlers.notify import ConsoleNotifier, Notifier, RoutingNotifier
from storage.engine import make_engine
from storage.migrate import ensure_schema


@dataclass
class App:
    settings: Settings
    engine: Engine
    dispatcher: Dispatcher
    notifier: Notifier


def build_notifier(settings: Settings, engine: Engine) -> Notifier:
    """Slack and WeCom notifiers when configured; the console for everyone else."""
    by_platform: dict[str, Notifier] = {"console": ConsoleNotifier()}
    if settings.slack.enabled:
        from bot.slack.notifier import SlackNotifier

        by_platform["slack"] = SlackNotifier.from_settings(settings.slack)
    # Always: a team's group robot (webhook) needs no app credentials; sends that do
    # need them fail with a clear SendError when WECOM_CORP_ID/WECOM_SECRET are unset.
    from bot.wecom.notifier import WecomNotifier

    by_platform["wecom"] = WecomNotifier.from_settings(settings.wecom, engine)
    return RoutingNotifier(by_platform, fallback=by_platform["console"])


def build_app(
    settings: Settings, *, notifier: Notifier | None = None, engine: Engine | None = None
) -> App:
    engine = engine or make_engine(settings.database_url)
    ensure_schema(engine)  # a new database is upgraded on first use
    notifier = notifier or MetricsNotifier(build_notifier(settings, engine))
    return App(settings, engine, Dispatcher(engine, settings, notifier), notifier)
