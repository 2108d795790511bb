"""Drawing a reply's ``Chart`` (numbers and labels) as a PNG ``Image`` (issue 18).

    render_chart(chart) -> Image          800 × 450 px, a few tens of KB
    chart_image(reply)  -> Image | None   the reply's chart, or None (no chart, or it
                                          could not be drawn: logged, the text goes alone)

matplotlib with its Agg backend draws offscreen, without a display, and is imported on
the first chart only: a ``kam say`` that draws nothing never loads it (a cold start
test keeps it so).  Chinese is drawn with Noto Sans CJK SC from the ``noto-cjk-sans-otc``
package (a pip dependency, so no system font is needed): its collection file is
registered with matplotlib's font manager from the package's own path, and its
Simplified Chinese face comes first in the font list, with DejaVu Sans (matplotlib's
own) after it for any symbol the CJK face lacks.

The picture is opaque white with dark text and saturated colours, so it reads the
same in Slack's dark mode as in its light mode and on a phone, and every bar carries
its number: nothing is only in the colours.  Everything the chart shows is printed in
the reply's text too.
"""

from __future__ import annotations

import io
import logging
import threading
from typing import TYPE_CHECKING

from handlers.replies import Chart, Image, Reply, Series

if TYPE_CHECKING:
    from matplotlib.axes import Axes

log = logging.getLogger(__name__)

WIDTH_PX = 800
HEIGHT_PX = 450
DPI = 100
CJK_FAMILY = "Noto Sans CJK SC"
FONT_FAMILIES = (CJK_FAMILY, "DejaVu Sans")
MAX_BYTES = 200 * 1024

BACKGROUND = "#ffffff"
INK = "#1d1c1d"  # Slack's own text colour
MUTED = "#616061"
GRID = "#e8e8e8"
REFERENCE = "#c0392b"  # the goal or pace line: red, dashed
# Colour-blind-safe, strong enough on white and small on a phone (Tableau 10).
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7")
KINDS = ("funnel", "bars", "hbars", "stacked")

_lock = threading.Lock()
_ready = False


def font_path() -> str:
    """The font collection file shipped by the ``noto-cjk-sans-otc`` package."""
    import noto_cjk_sans_otc

    return str(noto_cjk_sans_otc.FONT_PATH)


def _setup() -> None:
    """Agg, the CJK font registered, kam's look: once per process (under ``_lock``)."""
    global _ready
    if _ready:
        return
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager

    font_manager.fontManager.addfont(font_path())
    matplotlib.rcParams.update(
        {
            "font.family": list(FONT_FAMILIES),
            "font.size": 13,
            "axes.titlesize": 17,
            "axes.titleweight": "normal",
            "axes.edgecolor": GRID,
            "axes.labelcolor": INK,
            "text.color": INK,
            "xtick.color": INK,
            "ytick.color": INK,
            "axes.unicode_minus": False,
            "svg.fonttype": "none",
        }
    )
    _ready = True


# -- numbers -------------------------------------------------------------------------------


def chart_lang(chart: Chart) -> str:
    """The language a chart is in (``zh`` when its words are Chinese), for the words a
    transport adds around it ("the chart is in your DM"): a chart is always built in
    its reader's language."""
    if chart.lang:
        return chart.lang
    texts = [chart.title, *chart.categories, *(s.label for s in chart.series)]
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for text in texts for ch in text) else "en"


def _is_zh(chart: Chart) -> bool:
    return chart_lang(chart) == "zh"


def compact(value: float, unit: str = "", *, zh: bool = False) -> str:
    """A number short enough to sit on a bar: ``¥1.2M`` / ``¥120万``, ``35%``, ``1,234``."""
    if unit == "%":
        return f"{value:.0f}%"
    sign, v = ("-" if value < 0 else ""), abs(value)
    if zh:
        steps = ((1e8, "亿"), (1e4, "万"))
    else:
        steps = ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, suffix in steps:
        if v >= size:
            scaled = v / size
            digits = 0 if scaled >= 100 or scaled == int(scaled) else 1
            return f"{sign}{unit}{scaled:,.{digits}f}{suffix}"
    digits = 0 if v == int(v) or v >= 100 else 1
    return f"{sign}{unit}{v:,.{digits}f}"


# -- drawing -------------------------------------------------------------------------------


def render_chart(chart: Chart) -> Image:
    """The chart as a PNG (``Image``): its title, bars with their numbers, the reference
    line, a legend when there is more than one thing to tell apart."""
    if chart.kind not in KINDS:
        raise ValueError(f"unknown chart kind {chart.kind!r}")
    if not chart.categories or not chart.series:
        raise ValueError("a chart needs categories and at least one series")
    for s in chart.series:
        if len(s.values) != len(chart.categories):
            raise ValueError(f"series {s.label!r} has {len(s.values)} values for "
                             f"{len(chart.categories)} categories")  # fmt: skip
    with _lock:
        _setup()
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor=BACKGROUND)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.set_facecolor(BACKGROUND)
        ax.set_title(_clip(chart.title, 60), loc="left", pad=12)
        {"funnel": _funnel, "hbars": _hbars}.get(chart.kind, _bars)(ax, chart)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        _layout(fig, chart)
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=DPI, facecolor=BACKGROUND, metadata={"Software": None})
    png = out.getvalue()
    if len(png) > MAX_BYTES:  # never seen with flat colours; said rather than sent oversize
        raise ValueError(f"the chart is {len(png)} bytes, over {MAX_BYTES}")
    return Image(png=png, alt=chart.alt, name=f"kam-{chart.kind}.png")


def chart_image(reply: Reply) -> Image | None:
    """The reply's chart drawn, or None: no chart, or drawing failed (logged; the text
    version, which holds every number, goes alone)."""
    if reply.chart is None:
        return None
    try:
        return render_chart(reply.chart)
    except Exception:  # a chart must never cost the answer itself
        log.exception("could not draw the chart %r", reply.chart.title)
        return None


def _text_px(text: str, size_pt: float = 13) -> float:
    """About how wide ``text`` is drawn: a CJK character is one em, a Latin one about
    0.6 em (measuring for real would cost a second drawing of the whole figure)."""
    import unicodedata

    em = size_pt * DPI / 72
    return sum(em if unicodedata.east_asian_width(ch) in "WF" else 0.6 * em for ch in text)


def _layout(fig, chart: Chart) -> None:
    """Fixed margins from the labels' estimated widths: ``tight_layout`` would draw the
    figure twice, doubling the time a chart takes."""
    if chart.kind in ("hbars", "funnel"):
        widest = max(_text_px(_clip(c, 28)) for c in chart.categories)
    else:
        peak = max((abs(v) for s in chart.series for v in s.values), default=1)
        widest = _text_px(compact(peak * 1.2, chart.unit, zh=_is_zh(chart)))
    left = min(0.45, (widest + 24) / WIDTH_PX)
    legend = chart.kind != "funnel" and (len(chart.series) + (1 if chart.reference else 0) > 1)
    bottom = (0.19 if legend else 0.08) + (0.05 if chart.kind in ("bars", "stacked") else 0)
    fig.subplots_adjust(left=left, right=0.97, top=0.87, bottom=bottom)


def _finite(values) -> list[float]:
    return [v for v in values if v is not None]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(ax: Axes, chart: Chart, shown: int) -> None:
    if shown + (1 if chart.reference else 0) > 1:
        ax.legend(frameon=False, fontsize=11, loc="upper left", bbox_to_anchor=(0, -0.12),
                  ncol=4)  # fmt: skip


def _bars(ax: Axes, chart: Chart) -> None:
    """Vertical bars by category: series side by side, ``stacked`` ones (or all, for a
    ``stacked`` chart) on the bar before them; line series and the reference as lines."""
    zh, n = _is_zh(chart), len(chart.categories)
    stack_all = chart.kind == "stacked"
    bars = [s for s in chart.series if s.kind == "bar"]
    groups: list[list[Series]] = []
    for s in bars:
        if groups and (stack_all or s.stacked):
            groups[-1].append(s)
        else:
            groups.append([s])
    width = 0.8 / max(len(groups), 1)
    xs = list(range(n))
    colour = iter(PALETTE * 3)
    peak = 0.0
    for g, group in enumerate(groups):
        offset = (g - (len(groups) - 1) / 2) * width
        bottom = [0.0] * n
        for s in group:
            pos = [x + offset for x in xs]
            drawn = ax.bar(pos, s.values, width * 0.92, bottom=bottom, label=s.label,
                           color=next(colour), zorder=2)  # fmt: skip
            if len(group) > 1:  # each layer's number inside it, the total on top
                labels = [compact(v, chart.unit, zh=zh) if v else "" for v in s.values]
                ax.bar_label(drawn, labels=labels, label_type="center", fontsize=10,
                             color="white")  # fmt: skip
            bottom = [b + v for b, v in zip(bottom, s.values, strict=True)]
        peak = max(peak, *bottom)
        top = ax.containers[-1]
        ax.bar_label(top, labels=[compact(v, chart.unit, zh=zh) for v in bottom], padding=2,
                     fontsize=11 if n <= 8 else 9)  # fmt: skip
    for s in chart.series:
        if s.kind == "line":
            ax.plot(xs, s.values, marker="o", linewidth=2.5, color=next(colour), label=s.label,
                    zorder=3)  # fmt: skip
    if chart.reference:
        ref = [float("nan") if v is None else v for v in chart.reference]
        ax.plot(xs, ref, linestyle="--", marker="_", markersize=18, linewidth=2,
                color=REFERENCE, label=chart.reference_label or None, zorder=4)  # fmt: skip
    ax.set_xticks(xs, [_clip(c, 10) for c in chart.categories], fontsize=12 if n <= 8 else 10)
    ax.yaxis.set_major_formatter(lambda v, _pos: compact(v, chart.unit, zh=zh))
    ax.grid(axis="y", color=GRID, zorder=0)
    highest = max([peak, *_finite(chart.reference or ()), *(max(s.values) for s in chart.series)])
    ax.set_ylim(bottom=min(0.0, *(min(s.values) for s in chart.series)),
                top=(highest or 1) * 1.15)  # fmt: skip
    _legend(ax, chart, len(bars) + sum(1 for s in chart.series if s.kind == "line"))


def _hbars(ax: Axes, chart: Chart) -> None:
    """Horizontal bars, first category on top (long names: people, stages); the
    reference is a red tick on each bar (a goal or the pace for that row)."""
    zh, n = _is_zh(chart), len(chart.categories)
    ys = list(range(n))[::-1]
    bars = [s for s in chart.series if s.kind == "bar"] or list(chart.series)
    height = 0.8 / len(bars)
    for i, s in enumerate(bars):
        pos = [y + (len(bars) - 1) / 2 * height - i * height for y in ys]
        drawn = ax.barh(pos, s.values, height * 0.92, label=s.label, color=PALETTE[i % 7],
                        zorder=2)  # fmt: skip
        ax.bar_label(drawn, labels=[compact(v, chart.unit, zh=zh) for v in s.values],
                     padding=3, fontsize=11)  # fmt: skip
    if chart.reference:
        shown = False
        for y, v in zip(ys, chart.reference, strict=True):
            if v is None:
                continue
            ax.plot([v, v], [y - 0.45, y + 0.45], color=REFERENCE, linewidth=2.5, zorder=4,
                    linestyle="--", label=None if shown else (chart.reference_label or None))  # fmt: skip
            shown = True
    ax.set_yticks(ys, [_clip(c, 28) for c in chart.categories])
    pad = max(0, 3 - n) / 2  # one or two bars keep a bar's thickness, not the whole height
    ax.set_ylim(-0.6 - pad, n - 0.4 + pad)
    ax.xaxis.set_major_formatter(lambda v, _pos: compact(v, chart.unit, zh=zh))
    ax.grid(axis="x", color=GRID, zorder=0)
    ax.margins(x=0.15)
    _legend(ax, chart, len(bars))


def _funnel(ax: Axes, chart: Chart) -> None:
    """A funnel: one centred bar per stage, as wide as its first series' value; every
    series' number of the stage written on it (count · amount · weighted)."""
    zh, n = _is_zh(chart), len(chart.categories)
    main = chart.series[0]
    widest = max((abs(v) for v in main.values), default=0) or 1
    ys = list(range(n))[::-1]
    for i, (y, v) in enumerate(zip(ys, main.values, strict=True)):
        w = max(abs(v), widest * 0.02)
        ax.barh(y, w, 0.82, left=-w / 2, color=PALETTE[i % len(PALETTE)], zorder=2)
        text = " · ".join(compact(s.values[i], chart.unit, zh=zh) for s in chart.series)
        ax.text(widest / 2 + widest * 0.03, y, text, va="center", ha="left", fontsize=12)
    ax.set_yticks(ys, [_clip(c, 28) for c in chart.categories])
    ax.set_xlim(-widest / 2 - widest * 0.02, widest * 1.15)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if len(chart.series) > 1:
        ax.text(widest / 2 + widest * 0.03, ys[0] + 0.6, " · ".join(s.label for s in chart.series),
                va="bottom", ha="left", fontsize=10, color=MUTED)  # fmt: skip
