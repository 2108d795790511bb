"""The reply model: what a command answers, before any platform has shaped it.

Handlers return a ``Reply``, never a string.  All text in it is plain user-facing
text, *unescaped*: each renderer (plain text, Slack Block Kit, WeCom markdown) escapes
it for its own platform, so user input can never inject markup or mentions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    info = "info"
    success = "success"
    warning = "warning"
    error = "error"


class Visibility(StrEnum):
    private = "private"  # personal or account data: ephemeral in channels
    public = "public"


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Action:
    """A button: ``command`` is the kam command it runs (or prefills, for ``modal``)."""

    label: str
    command: str
    kind: str = "button"  # "button" runs the command; "modal" opens a form prefilled with it
    style: str | None = None  # "primary" | "danger"


@dataclass(frozen=True)
class Image:
    """A chart sent with a reply: PNG bytes and the text that stands for it.  Everything
    the picture shows is also in the reply's text, so nothing is only in the picture;
    each renderer decides how (or whether) to send it."""

    png: bytes
    alt: str
    name: str = "chart.png"


@dataclass(frozen=True)
class Series:
    """One row of numbers in a chart, a value per category (``Chart.categories``)."""

    label: str
    values: tuple[float, ...]
    kind: str = "bar"  # "bar" | "line"
    stacked: bool = False  # a bar stacked on the bar series before it


@dataclass(frozen=True)
class Chart:
    """What a chart shows, as numbers and labels, built by a command from the numbers
    its text already prints (never from SQL); ``handlers.render`` draws it as an
    ``Image`` where the platform takes pictures (issue 18)."""

    kind: str  # "funnel" | "bars" | "hbars" | "stacked"
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    alt: str  # one line saying what the picture shows, for screen readers and logs
    unit: str = ""  # a currency symbol or "%"
    reference: tuple[float | None, ...] | None = None  # a goal or pace line, per category
    reference_label: str = ""
    lang: str = ""  # the reader's language ("en", "zh"); "" when unknown: read from the words


@dataclass(frozen=True)
class Section:
    title: str | None
    lines: tuple[str, ...] = ()


@dataclass
class Reply:
    title: str
    fields: list[Field] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    footer: str | None = None
    severity: Severity = Severity.info
    visibility: Visibility = Visibility.private
    # A scheduled push: a platform that can drop an identical copy sent again shortly
    # after (WeCom's server-side duplicate check) should, closing the ledger's last gap.
    once: bool = False
    # The pending question (``storage.pending``) whose choices ``actions`` are: a platform
    # with its own question cards (WeCom's button_interaction) keys them by it.
    question: int | None = None
    # A chart (issue 18): drawn and sent after the text where the platform can.
    chart: Chart | None = None

    def add_section(self, title: str | None, lines: list[str] | tuple[str, ...]) -> None:
        if lines:
            self.sections.append(Section(title, tuple(lines)))

    def plain_lines(self) -> list[str]:
        """Every line of the reply, in reading order (used for fallbacks and tests)."""
        out = [self.title]
        out += [f"{f.label}: {f.value}" for f in self.fields]
        out += self.lines
        for s in self.sections:
            if s.title:
                out.append(s.title)
            out += s.lines
        if self.footer:
            out.append(self.footer)
        return out
