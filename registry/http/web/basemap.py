"""The countries under the site map, from a TopoJSON file vendored with the registry
(``static/geometry``: Natural Earth 1:110m via the npm package world-atlas, licence beside it),
so the map draws offline and no tile server learns who looks at which network.

TopoJSON stores shared borders once as quantized, delta-encoded arcs; decoding them is a few
lines, so no geometry library is pulled in for it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

TOPOLOGY = Path(__file__).resolve().parent / "static" / "geometry" / "countries-110m.json"

Ring = list[tuple[float, float]]  # (longitude, latitude) pairs
Box = tuple[float, float, float, float]  # west, east, south, north


@lru_cache(maxsize=1)
def country_rings() -> tuple[tuple[Ring, Box], ...]:
    """Every outer and inner ring of every country, in degrees, with its bounding box (read
    once per process)."""
    topology = json.loads(TOPOLOGY.read_text(encoding="utf-8"))
    arcs = _arcs(topology)
    rings: list[tuple[Ring, Box]] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        for polygon in _polygons(geometry):
            rings.extend(_boxed(_ring(arcs, indexes)) for indexes in polygon)
    return tuple(rings)


def land_path(project: Callable[[float, float], tuple[float, float]],
              bounds: Box) -> str:
    """SVG path data of the countries whose rings reach into ``bounds`` (west, east, south,
    north), each point passed through ``project``; the chart clips the rest."""
    west, east, south, north = bounds
    parts: list[str] = []
    for ring, (ring_west, ring_east, ring_south, ring_north) in country_rings():
        if ring_east < west or ring_west > east or ring_north < south or ring_south > north:
            continue
        points = (project(lon, lat) for lon, lat in ring)
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _arcs(topology: dict[str, Any]) -> list[Ring]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded: list[Ring] = []
    for arc in topology["arcs"]:
        x = y = 0
        points: Ring = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        decoded.append(points)
    return decoded


def _boxed(ring: Ring) -> tuple[Ring, Box]:
    lons = [lon for lon, _lat in ring]
    lats = [lat for _lon, lat in ring]
    return ring, (min(lons), max(lons), min(lats), max(lats))


def _polygons(geometry: dict[str, Any]) -> Iterator[list[list[int]]]:
    if geometry["type"] == "Polygon":
        yield geometry["arcs"]
    elif geometry["type"] == "MultiPolygon":
        yield from geometry["arcs"]


def _ring(arcs: list[Ring], indexes: list[int]) -> Ring:
    """Join a ring's arcs; a negative index ``~i`` is arc ``i`` walked backwards, and each
    arc after the first repeats the previous one's last point."""
    ring: Ring = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(points if not ring else points[1:])
    return ring
