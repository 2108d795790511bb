"""``kam demo charts DIR``: the demo book's charts as PNG files anyone can open.

Each chart comes from the real path: the command is run by name through the
dispatcher as a person of the demo book would say it (Bob Zhang, the manager, in
English; 王磊, a rep, in Chinese), and the weekly goals push is built as the scheduler
would build it (a dry run: nothing is sent or marked sent).  A command this kam does
not have, or whose reply has no chart, is skipped with a note, so the same command
draws every chart there is as commands gain them.

    DIR/pipeline-en.png  pipeline-zh.png  forecast-…  pyramid-…  goal-…  goals-weekly-…
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from handlers.dispatcher import Incoming
from handlers.render.charts import render_chart
from handlers.replies import Chart, Reply, Series

# (language, who asks, how they ask for goals) — the manager sees the whole book in
# English, the rep his own in Chinese.
SPEAKERS = (("en", "bob", "/goal team East"), ("zh", "wang", "/目标"))
COMMANDS = ("pipeline", "forecast", "pyramid")

Row = tuple[Path, int, float]  # the file, its bytes, milliseconds to draw


def draw_demo_charts(kam, directory: Path) -> tuple[list[Row], list[str]]:
    """Seed the demo book if needed, then draw every chart; (files drawn, notes)."""
    from storage.demo import seed_demo
    from storage.session import unit_of_work

    with unit_of_work(kam.engine) as session:
        seed_demo(session, settings=kam.settings)
    directory.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    notes = [f"loading matplotlib and the font: {_warm_up():.0f} ms, once per process"]
    for name in COMMANDS:
        if kam.commands.find(name) is None:
            notes.append(f"/{name}: no such command in this kam yet, skipped")
            continue
        for lang, handle, _goal in SPEAKERS:
            reply = kam.dispatcher.handle(
                Incoming(text=f"/{name}", actor=handle, platform="console")
            )
            _draw(reply, directory / f"{name}-{lang}.png", f"/{name} as {handle}", rows, notes)
    for lang, handle, text in SPEAKERS:
        reply = kam.dispatcher.handle(Incoming(text=text, actor=handle, platform="console"))
        _draw(reply, directory / f"goal-{lang}.png", f"{text} as {handle}", rows, notes)
    for lang, handle, _goal in SPEAKERS:
        reply = _weekly_goals(kam, handle)
        where = directory / f"goals-weekly-{lang}.png"
        if reply is None:
            notes.append(f"weekly goals push to {handle}: nothing to send this week")
            continue
        _draw(reply, where, f"weekly goals push to {handle}", rows, notes)
    return rows, notes


def _weekly_goals(kam, handle: str) -> Reply | None:
    """The goals push ``handle`` would get now, built but not sent (a dry run)."""
    from schedules.registry import run

    report = run(
        kam.jobs["goals"],
        kam.engine,
        kam.settings,
        None,
        datetime.now(UTC),
        dry_run=True,
        on_demand=True,
    )
    for message in report.messages:
        if message.recipient.key == f"user:{handle}":
            return message.reply
    return None


def _draw(reply: Reply, path: Path, what: str, rows: list[Row], notes: list[str]) -> None:
    if reply.chart is None:
        notes.append(f"{what}: no chart in the reply ({reply.title})")
        return
    started = time.perf_counter()
    image = render_chart(reply.chart)
    ms = (time.perf_counter() - started) * 1000
    path.write_bytes(image.png)
    rows.append((path, len(image.png), ms))


def _warm_up() -> float:
    """Draw a throwaway chart: the first one loads matplotlib and registers the font,
    which every later chart of the process is spared (timed apart)."""
    started = time.perf_counter()
    render_chart(Chart("bars", "kam 图表", ("a",), (Series("s", (1.0,)),), alt=""))
    return (time.perf_counter() - started) * 1000
