"""Charts drawn on the server as SVG: the page embeds them, the export serves the same file,
and each comes with the table it was drawn from (the accessible alternative)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from registry.http.web import basemap
from registry.services.dashboard import Activity, Change, Site

MEASURES = ("sessions", "hours")
WIDTH, HEIGHT, MARGIN = 640, 300, 48
# Colour-blind safe (Okabe-Ito), each at least 3:1 against white.
SETTLEMENT_COLOURS = {"urban": "#0072B2", "peri-urban": "#CC79A7", "rural": "#D55E00",
                      "remote": "#009E73", "unknown": "#666666"}


@dataclass
class Chart:
    svg: Markup
    rows: list[tuple[str, str]] = field(default_factory=list)


def month_bars(activity: Activity, measure: str) -> Chart:
    """Sessions (or participant-hours) per month as a bar chart."""
    index = MEASURES.index(measure)
    values = [(month, float(pair[index])) for month, pair in activity.months.items()]
    title = _("Sessions per month") if measure == "sessions" else _(
        "Participant-hours per month")
    top = max((v for _m, v in values), default=0.0) or 1.0
    step = (WIDTH - 2 * MARGIN) / max(len(values), 1)
    bars = [{"x": MARGIN + i * step + step * 0.1, "width": step * 0.8,
             "height": (HEIGHT - 2 * MARGIN) * v / top,
             "y": HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * v / top,
             "label": month, "value": _number(v)} for i, (month, v) in enumerate(values)]
    svg = render_template("charts/bars.svg", title=title, bars=bars, width=WIDTH,
                          height=HEIGHT, margin=MARGIN, top=_number(top), measure=measure,
                          empty=_("No sessions to show"))
    return Chart(Markup(svg), [(m, _number(v)) for m, v in values])


def site_map(sites: list[Site]) -> Chart:
    """Spoke sites by position (equirectangular), coloured by settlement."""
    west, east, south, north = _bounds(sites)

    def project(longitude: float, latitude: float) -> tuple[float, float]:
        return (MARGIN + (longitude - west) / (east - west) * (WIDTH - 2 * MARGIN),
                MARGIN + (north - latitude) / (north - south) * (HEIGHT - 2 * MARGIN))

    points = [{"x": project(s.longitude, s.latitude)[0],
               "y": project(s.longitude, s.latitude)[1],
               "colour": SETTLEMENT_COLOURS.get(s.settlement, SETTLEMENT_COLOURS["unknown"]),
               "name": s.name, "settlement": s.settlement} for s in sites]
    tally = Counter(s.settlement for s in sites)
    legend = [{"code": code, "label": settlement_label(code), "colour": colour,
               "count": tally.get(code, 0)} for code, colour in SETTLEMENT_COLOURS.items()
              if tally.get(code)]
    svg = render_template("charts/map.svg", points=points, legend=legend, width=WIDTH,
                          height=HEIGHT, margin=MARGIN, bounds=(west, east, south, north),
                          title=_("Spoke sites by settlement"),
                          graticule=_graticule(west, east, south, north),
                          land=basemap.land_path(project, (west, east, south, north)))
    return Chart(Markup(svg), [(settlement_label(code), _number(tally[code]))
                               for code in SETTLEMENT_COLOURS if tally.get(code)])


def settlement_label(code: str) -> str:
    labels: dict[str, str] = {"urban": _("urban"), "peri-urban": _("peri-urban"),
                              "rural": _("rural"), "remote": _("remote")}
    return labels.get(code) or str(_("unknown"))


def _bounds(sites: list[Site]) -> tuple[float, float, float, float]:
    if not sites:
        return -180.0, 180.0, -60.0, 75.0
    west = min(s.longitude for s in sites) - 2
    east = max(s.longitude for s in sites) + 2
    south = min(s.latitude for s in sites) - 2
    north = max(s.latitude for s in sites) + 2
    return west, east, south, north


def _graticule(west: float, east: float, south: float, north: float) -> list[dict[str, Any]]:
    """A line every 10 degrees, for orientation."""
    lines: list[dict[str, Any]] = []
    for lon in range(int(west // 10 + 1) * 10, int(east), 10):
        x = MARGIN + (lon - west) / (east - west) * (WIDTH - 2 * MARGIN)
        lines.append({"x1": x, "y1": MARGIN, "x2": x, "y2": HEIGHT - MARGIN,
                      "label": _degrees(lon, "E", "W"),
                      "label_x": x, "label_y": MARGIN - 6, "anchor": "middle"})
    for lat in range(int(south // 10 + 1) * 10, int(north), 10):
        y = MARGIN + (north - lat) / (north - south) * (HEIGHT - 2 * MARGIN)
        lines.append({"x1": MARGIN, "y1": y, "x2": WIDTH - MARGIN, "y2": y,
                      "label": _degrees(lat, "N", "S"),
                      "label_x": MARGIN - 6, "label_y": y + 3, "anchor": "end"})
    return lines


def _degrees(value: int, positive: str, negative: str) -> str:
    """``10°S``; the equator and the prime meridian are plain ``0°``."""
    return f"{abs(value)}°{'' if value == 0 else positive if value > 0 else negative}"


def _number(value: float) -> str:
    return str(format_decimal(round(value, 1)))


# Knowledge and self-efficacy (Okabe-Ito, at least 3:1 against white).
KIND_COLOURS = {"knowledge": "#0072B2", "self-efficacy": "#D55E00"}
ROW, LEFT = 28, 240
LABEL_CHARACTERS = 38  # what fits in LEFT at the chart's font size


def change_panels(found: list[Change]) -> list[tuple[str, Chart]]:
    """One interval chart per kind of instrument present: knowledge is scored in percent
    correct, self-efficacy in scale points, so the two never share an axis."""
    kinds = [k for k in KIND_COLOURS if any(c.kind == k for c in found)]
    return [(k, change_intervals([c for c in found if c.kind == k], k)) for k in kinds]


def change_intervals(found: list[Change], kind: str) -> Chart:
    """Each program's mean change on one kind of instrument with its 95% confidence
    interval, around a line at zero, on an axis in that kind's unit."""
    ends = [v for c in found for v in (c.mean_change, c.low, c.high) if v is not None]
    reach = max((abs(v) for v in ends), default=1.0) or 1.0
    height = max(HEIGHT // 2, MARGIN * 2 + ROW * len(found))

    def x(value: float) -> float:
        return LEFT + (value + reach) / (2 * reach) * (WIDTH - MARGIN - LEFT)

    rows = [{"program": c.program, "kind": c.kind, "label": _short(c.name),
             "y": MARGIN + ROW * (i + 0.5), "x": x(c.mean_change),
             "x1": x(c.low) if c.low is not None else None,
             "x2": x(c.high) if c.high is not None else None,
             "colour": KIND_COLOURS.get(c.kind, "#333333"), "value": _number(c.mean_change)}
            for i, c in enumerate(found)]
    svg = render_template("charts/intervals.svg", rows=rows, width=WIDTH, height=height,
                          margin=MARGIN, left=LEFT, top=MARGIN / 2, zero=x(0.0), kind=kind,
                          low_label=_number(-reach), high_label=_number(reach),
                          unit=unit_label(kind),
                          title=_("Mean change in %(kind)s per program with 95%% confidence "
                                  "interval", kind=kind_label(kind)),
                          empty=_("No evaluation results to show"))
    return Chart(Markup(svg), [(str(r["label"]), str(r["value"])) for r in rows])


def _short(label: str, room: int = LABEL_CHARACTERS) -> str:
    """A label that fits left of the axis (the table beside the chart has it whole)."""
    return label if len(label) <= room else label[:room - 1].rstrip() + "…"


def unit_label(kind: str) -> str:
    """The unit a kind of instrument is scored in (the chart's axis)."""
    if kind == "knowledge":
        return str(_("percentage points (percent correct)"))
    return str(_("scale points"))


def kind_label(kind: str) -> str:
    labels: dict[str, str] = {"knowledge": _("knowledge"), "self-efficacy": _("self-efficacy")}
    return labels.get(kind) or kind
