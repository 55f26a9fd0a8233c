"""The page's map without a tile server: country outlines drawn as SVG, here, once.

The outlines are Natural Earth's 1:110m countries as `world-atlas` 2.0.2 (npm, ISC licence,
data in the public domain) ships them in TopoJSON, vendored in `data/` (108 KB): nothing is
fetched at run time. The projection is equirectangular (x from longitude, y from latitude),
so the page places a point with two lines of arithmetic (`project`, and the same in
web/map.js) and no projection library.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

WIDTH, HEIGHT = 960, 480
_DATA = Path(__file__).parent / "data" / "countries-110m.json"


def project(lat: float, lon: float) -> tuple[float, float]:
    """(x, y) in the map's viewBox (0 0 960 480)."""
    return (lon + 180.0) / 360.0 * WIDTH, (90.0 - lat) / 180.0 * HEIGHT


def _arcs(topo: dict) -> list[list[tuple[float, float]]]:
    """Decoded arcs: quantized, delta-encoded positions -> (lon, lat)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        out.append(pts)
    return out


def _ring(arcs: list[list[tuple[float, float]]], idx: list[int]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in idx:
        a = arcs[i] if i >= 0 else arcs[~i][::-1]  # ~i: the arc reversed
        pts.extend(a[1:] if pts else a)  # consecutive arcs share their end point
    return pts


def _path(ring: list[tuple[float, float]]) -> str:
    out = []
    prev_lon = None
    for lon, lat in ring:
        x, y = project(lat, lon)
        # A jump across the antimeridian starts a new stroke instead of a line across the map.
        cmd = "M" if prev_lon is None or abs(lon - prev_lon) > 180 else "L"
        out.append(f"{cmd}{x:.1f},{y:.1f}")
        prev_lon = lon
    return "".join(out) + "Z"


@lru_cache(maxsize=1)
def world_svg() -> str:
    """The base map: one path per country (its name as a title), ocean behind. Read-only, so
    drawn once per process."""
    topo = json.loads(_DATA.read_text(encoding="utf-8"))
    arcs = _arcs(topo)
    paths = []
    for g in topo["objects"]["countries"]["geometries"]:
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        d = "".join(_path(_ring(arcs, ring)) for poly in polys for ring in poly)
        if d:
            name = (g.get("properties") or {}).get("name", "")
            name = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            paths.append(f'<path d="{d}"><title>{name}</title></path>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="World map">'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f5f9fb"/>'
            # Presentation attributes, not a <style>: the page's CSP allows no inline style.
            f'<g fill="#dfe6e9" stroke="#9aa5ab" stroke-width="0.4">' + "".join(paths) + "</g></svg>")
