"""Validating and repairing imported boundaries (pure: shapely/pyproj only).

Two steps, both reporting per feature:

* :func:`check_geometry` — one geometry on its own: null/empty, wrong type (not Polygon or
  MultiPolygon), invalid (self-intersection, collapsed ring: GEOS ``is_valid_reason``). Repair:
  ``make_valid`` keeping only the polygon parts.
* :func:`fit_children` — the children of one parent together: part outside the parent, overlap
  with a sibling, gaps left in the parent. Repair: pieces thinner than ``tol_m`` metres ("slivers":
  nothing is left after an inward buffer of ``tol_m``/2 in a local LAEA projection) are clipped
  (outside the parent), taken from the later feature (overlaps), or given to the neighbour sharing
  the longest edge (gaps). Anything thicker is refused, never silently changed.

Areas are m² in a local equal-area projection (:mod:`.project`). Differences below
:data:`NOISE_M2` are floating-point noise and neither reported nor refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .project import LocalProjection
from .shapes import force_2d_multipolygon

#: m²: overlaps, gaps or parts outside the parent smaller than this are rounding noise.
NOISE_M2 = 0.01
#: metres: default width below which a piece is a sliver that repair may snap away.
DEFAULT_TOLERANCE_M = 2.0
#: points sampled along a sliver gap to share it among its neighbours (:func:`_split_by_nearest`).
MAX_GAP_POINTS = 200


def _polygon_parts(geom: BaseGeometry) -> BaseGeometry:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon) and not p.is_empty]
    return shapely.union_all(parts) if parts else Polygon()


def check_geometry(geom: BaseGeometry | None, repair: bool) -> tuple[MultiPolygon | None, list[str], str | None]:
    """Check one lon/lat geometry; return (2D MultiPolygon or None, fixes made, refusal reason).

    Refusals: "null geometry", "empty geometry", "wrong geometry type X", "invalid geometry:
    <GEOS reason>" (without repair) or "no area left after make_valid" (a collapsed ring).
    With ``repair`` an invalid geometry is replaced by ``make_valid`` keeping its polygon parts and
    the fix is reported; a GeometryCollection with polygon parts keeps those parts.
    """
    if geom is None:
        return None, [], "null geometry"
    if geom.is_empty:
        return None, [], "empty geometry"
    geom = shapely.force_2d(geom)
    fixes: list[str] = []
    if not isinstance(geom, Polygon | MultiPolygon):
        polys = _polygon_parts(geom) if geom.geom_type == "GeometryCollection" else Polygon()
        if not repair or polys.is_empty:
            return None, [], f"wrong geometry type {geom.geom_type}: expected Polygon or MultiPolygon"
        fixes.append(f"kept the polygon parts of a {geom.geom_type}")
        geom = polys
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        if not repair:
            return None, [], f"invalid geometry: {reason}"
        fixed = _polygon_parts(shapely.make_valid(geom))
        if fixed.is_empty:
            return None, [], f"invalid geometry: {reason}; no area left after make_valid"
        fixes.append(f"made valid ({reason}), kept the polygon parts")
        geom = fixed
    if shapely.area(geom) == 0:
        return None, [], "invalid geometry: no area (collapsed ring)"
    return force_2d_multipolygon(geom), fixes, None


@dataclass
class FitResult:
    """Outcome of :func:`fit_children`: new geometries by key, fixes and refusals by key, and
    refusals about the parent itself (gaps)."""

    geoms: dict
    fixes: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)


class _Metric:
    def __init__(self, around: BaseGeometry, tol_m: float):
        self.proj = LocalProjection.around(around)
        self.tol_m = tol_m

    def area(self, geom: BaseGeometry) -> float:
        return 0.0 if geom.is_empty else float(self.proj.to_metric(geom).area)

    def is_sliver(self, geom: BaseGeometry) -> bool:
        """True when nothing of ``geom`` is thicker than tol_m metres."""
        return self.proj.to_metric(geom).buffer(-self.tol_m / 2).is_empty


def _where(geom: BaseGeometry) -> str:
    p = geom.representative_point()
    return f"({p.x:.6f}, {p.y:.6f})"


def fit_children(parent: BaseGeometry | None, children: dict, fixed: dict | None = None, *,
                 repair: bool = False, tol_m: float = DEFAULT_TOLERANCE_M, cover: bool = True) -> FitResult:
    """Check (and with ``repair`` snap) new children against their parent and siblings.

    ``parent``: lon/lat (Multi)Polygon, or None (no parent checks). ``children``: {key: valid lon/lat
    MultiPolygon} being imported, in file order (earlier keys win overlaps). ``fixed``: {code:
    geometry} of siblings that stay as they are. ``cover``: whether the children (with ``fixed``)
    must cover the parent without gaps. ``tol_m``: sliver width in metres.
    Refusal texts: "extends X m² outside its parent", "overlaps <key> by X m²", and per gap
    "gap of X m² left in the parent at (lon, lat)". Returns a :class:`FitResult`.
    """
    fixed = dict(fixed or {})
    geoms = dict(children)
    result = FitResult(geoms)
    if not geoms:
        return result
    metric = _Metric(parent if parent is not None else shapely.union_all(list(geoms.values())), tol_m)
    add_fix = lambda k, text: result.fixes.setdefault(k, []).append(text)  # noqa: E731

    if parent is not None:
        for key, geom in list(geoms.items()):
            outside = geom.difference(parent)
            out_m2 = metric.area(outside)
            if out_m2 <= NOISE_M2:
                continue
            if repair and metric.is_sliver(outside):
                geoms[key] = force_2d_multipolygon(_polygon_parts(geom.intersection(parent)))
                add_fix(key, f"clipped {out_m2:.1f} m² outside the parent (sliver < {tol_m:g} m)")
            else:
                result.errors[key] = f"extends {out_m2:.1f} m² outside its parent at {_where(outside)}"

    keys = list(geoms)
    everything = [(k, geoms[k]) for k in keys] + list(fixed.items())
    arr = np.array([g for _, g in everything], dtype=object)
    left, right = shapely.STRtree(arr).query(arr, predicate="intersects")
    n_new = len(keys)
    for i, j in sorted(zip(left.tolist(), right.tolist(), strict=True)):
        if not (i < j and i < n_new):
            continue  # each pair once, at least one of them new (fixed siblings are not ours)
        a_key, b_key = everything[i][0], everything[j][0]
        new_key = b_key if j < n_new else a_key  # the later new feature gives way
        other_key = a_key if new_key == b_key else b_key
        if new_key in result.errors:
            continue
        a = geoms[a_key] if i < n_new else fixed[a_key]
        b = geoms[b_key] if j < n_new else fixed[b_key]
        overlap = a.intersection(b)
        ov_m2 = metric.area(overlap)
        if ov_m2 <= NOISE_M2:
            continue
        if repair and metric.is_sliver(overlap):
            geoms[new_key] = force_2d_multipolygon(_polygon_parts(geoms[new_key].difference(overlap)))
            add_fix(new_key, f"removed {ov_m2:.1f} m² overlapping {other_key} (sliver < {tol_m:g} m)")
        else:
            result.errors[new_key] = f"overlaps {other_key} by {ov_m2:.1f} m² at {_where(overlap)}"

    if parent is not None and cover and not result.errors:
        _fill_gaps(parent, geoms, fixed, metric, repair, result, add_fix)
    return result


def _split_by_nearest(gap, geoms: dict, metric: _Metric) -> dict:
    """Share a sliver gap among the new children along it: each part of the gap goes to the child
    whose edge is nearest (Voronoi cells of points every tol_m metres along each child's edge with
    the gap). A gap touching no new child goes to the new child nearest to it."""
    keys = list(geoms)
    edges = shapely.intersection(gap.boundary, shapely.boundary(np.array([geoms[k] for k in keys], dtype=object)))
    touching = [i for i, e in enumerate(edges) if shapely.length(e) > 0]
    if len(touching) < 2:
        nearest = touching[0] if touching else int(np.argmin(shapely.distance(
            np.array([geoms[k] for k in keys], dtype=object), gap)))
        return {keys[nearest]: gap}
    # degrees: about tol_m metres, at most ~MAX_GAP_POINTS points along the gap
    step = max(metric.tol_m / 111_000, float(shapely.length(edges[touching]).sum()) / MAX_GAP_POINTS)
    pts, owner = [], []
    for i in touching:
        coords = shapely.get_coordinates(shapely.segmentize(edges[i], step))
        pts.append(coords)
        owner.extend([i] * len(coords))
    pts_arr = np.concatenate(pts)
    pts_arr, first = np.unique(pts_arr, axis=0, return_index=True)
    owner = np.asarray(owner)[first]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts_arr), extend_to=gap.envelope.buffer(
        1e-3), ordered=True))
    clipped = shapely.intersection(cells, gap)
    out = {}
    for i in touching:
        mine = clipped[(owner == i) & ~shapely.is_empty(clipped)]
        piece = _polygon_parts(shapely.union_all(mine) if len(mine) else Polygon())
        if not piece.is_empty:
            out[keys[i]] = piece
    return out


def _fill_gaps(parent, geoms, fixed, metric, repair, result, add_fix) -> None:
    covered = shapely.union_all(list(geoms.values()) + list(fixed.values()))
    for gap in shapely.get_parts(_polygon_parts(parent.difference(covered))):
        gap_m2 = metric.area(gap)
        if gap_m2 <= NOISE_M2:
            continue
        if repair and metric.is_sliver(gap):
            for k, piece in _split_by_nearest(gap, geoms, metric).items():
                geoms[k] = force_2d_multipolygon(_polygon_parts(shapely.union(geoms[k], piece)))
                add_fix(k, f"filled a gap of {metric.area(piece):.1f} m² at {_where(piece)} "
                           f"(sliver < {metric.tol_m:g} m)")
        else:
            result.gaps.append(f"gap of {gap_m2:.1f} m² left in the parent at {_where(gap)}")
