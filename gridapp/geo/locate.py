"""The one point → unit rule, shared with the database.

PostGIS implements the identical rule in SQL, so it is deliberately simple:

* **community** (village-level unit, 12-digit code): among the village-level units whose polygon
  *covers* the point (``ST_Covers``: the boundary counts as inside), the one with the smallest code.
  A point on the common edge of two units therefore always goes to the same, smaller code, never
  to both and never to none. No covering unit: the point is outside the district.
* **grid** (15-digit code): among the grids *of that community* only, the covering ones first, then
  the nearest, then the smallest code (:func:`nearest_in`). A point inside a community can lie
  outside all of its grids only in a floating-point seam between the community's outline and its
  grids' outlines; it still belongs to a grid of that community, the nearest one.
* **township** and **district** follow from the parents of the community (the code prefixes), never
  from their own polygons, so the four levels are always consistent.

SQL equivalents::

    SELECT code FROM unit WHERE ST_Covers(geom, :p) ORDER BY code LIMIT 1;
    SELECT code FROM grid WHERE community_code = :c
      ORDER BY NOT ST_Covers(geom, :p), ST_Distance(geom, :p), code LIMIT 1;

Codes are fixed-length digit strings, so string order equals numeric order.
"""
from __future__ import annotations

from collections.abc import Iterable

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

Candidates = Iterable[tuple[str, BaseGeometry]]


def locate_in(point: Point, candidates: Candidates) -> str | None:
    """The smallest code among ``candidates`` whose geometry covers ``point``, else None.

    ``point``: a lon/lat shapely Point. ``candidates``: (code, lon/lat geometry) pairs, codes being
    fixed-length digit strings. "Covers" includes the boundary (``ST_Covers``), so a point on an
    edge or a corner shared by several units goes to the smallest of their codes.
    Raises nothing of its own; empty candidates give None.
    """
    best: str | None = None
    for code, geom in candidates:
        if (best is None or code < best) and geom.covers(point):
            best = code
    return best


def nearest_in(point: Point, candidates: Candidates) -> str | None:
    """The code of the candidate ordered first by (does not cover, distance, code); None if empty.

    Used for the grid of a point inside an already chosen community: ``candidates`` are that
    community's grids. A point on the community boundary may fall in a floating-point seam between
    the community's outline and its grids' outlines (the same line stored with differently rounded
    vertices), so no grid covers it; it then belongs to the nearest grid of that community.
    Distances are planar in lon/lat degrees: they only order candidates a few metres apart, so
    degrees are good enough here (never report them as lengths).
    """
    best_key: tuple[bool, float, str] | None = None
    for code, geom in candidates:
        covers = geom.covers(point)
        key = (not covers, 0.0 if covers else geom.distance(point), code)
        if best_key is None or key < best_key:
            best_key = key
    return None if best_key is None else best_key[2]
