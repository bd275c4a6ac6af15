"""The report's charts, drawn with matplotlib's Agg and SVG backends (no display, no network).

Each chart is one figure function; ``svg`` embeds it in the HTML report, ``png`` in the PDF.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from registry.services.evaluations.analysis import InstrumentAnalysis

# matplotlib is imported where a chart is drawn: a worker that draws none never loads it.
if TYPE_CHECKING:
    from matplotlib.figure import Figure

Draw = Callable[["Figure"], None]


def paired_changes(item: InstrumentAnalysis, words: dict[str, str]) -> Draw:
    """One line per matched mentee from the score before to the score after."""
    def draw(figure: Figure) -> None:
        from matplotlib.collections import LineCollection

        axes = figure.subplots()
        lines = [[(0, pre), (1, post)] for pre, post in item.changes]
        colours = ["#1f77b4" if post >= pre else "#d62728" for pre, post in item.changes]
        axes.add_collection(LineCollection(lines, colors=colours, alpha=0.35, linewidths=0.8))
        axes.autoscale()
        axes.set_xticks([0, 1], [words["before"], words["after"]])
        axes.set_title(words["chart_pairs"], fontsize=9)
    return draw


def change_distribution(item: InstrumentAnalysis, words: dict[str, str]) -> Draw:
    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        axes.hist([post - pre for pre, post in item.changes], bins=15, color="#2ca02c")
        axes.axvline(0, color="black", linewidth=0.8)
        axes.set_xlabel(words["change"])
        axes.set_title(words["chart_change"], fontsize=9)
    return draw


def item_difficulty(item: InstrumentAnalysis, words: dict[str, str]) -> Draw:
    def draw(figure: Figure) -> None:
        axes = figure.subplots()
        links = [i.link_id for i in item.items]
        positions = range(len(links))
        axes.bar([p - 0.2 for p in positions], [i.correct_pre for i in item.items], 0.4,
                 label=words["before"], color="#aec7e8")
        axes.bar([p + 0.2 for p in positions], [i.correct_post for i in item.items], 0.4,
                 label=words["after"], color="#1f77b4")
        axes.set_xticks(list(positions), links, fontsize=7)
        axes.set_ylim(0, 1)
        axes.legend(fontsize=7)
        axes.set_title(words["chart_items"], fontsize=9)
    return draw


def charts_of(item: InstrumentAnalysis, words: dict[str, str]) -> list[Draw]:
    if not item.changes:
        return []
    found = [paired_changes(item, words), change_distribution(item, words)]
    if item.items:
        found.append(item_difficulty(item, words))
    return found


def _render(draw: Draw, fmt: str) -> bytes:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4.2, 2.8), dpi=100)
    draw(figure)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def svg(draw: Draw) -> str:
    text = _render(draw, "svg").decode()
    return text[text.index("<svg"):]


def png(draw: Draw) -> bytes:
    return _render(draw, "png")
