"""Normalising geometry for storage: 2D MultiPolygon (SRID 4326 is implied by the caller)."""
from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


def force_2d_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """Return ``geom`` as a 2D MultiPolygon (drops Z/M; wraps a Polygon).

    Raises ValueError for a geometry with no polygon parts.
    """
    geom = shapely.force_2d(geom)
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    if not parts:
        raise ValueError(f"expected polygons, got {geom.geom_type}")
    return MultiPolygon(parts)


def node_coverage(geoms, snap_deg: float = 1e-9):
    """Give every polygon the vertices of the polygons it touches that lie within ``snap_deg`` of
    its edges (GEOS snapping), so that shared edges have identical vertices on both sides (no
    T-junctions). Returns an array of geometries in the input order; shapes are unchanged up to
    ``snap_deg``. Works across levels too (a community and its grids).
    """
    import numpy as np

    arr = np.array(list(geoms), dtype=object)
    if len(arr) == 0:
        return arr
    tree = shapely.STRtree(arr)
    noded = arr.copy()
    for i, geom in enumerate(arr):
        near = [j for j in tree.query(geom, predicate="intersects") if j != i]
        if near:
            ref = shapely.multipoints(shapely.get_coordinates(arr[near]))
            noded[i] = shapely.snap(geom, ref, snap_deg)
    return noded


def round_coverage(geoms, decimals: int = 6, snap_deg: float = 1e-9):
    """Round lon/lat polygons to ``decimals`` decimals without opening gaps or overlaps between
    neighbours; returns an array of geometries with counter-clockwise outer rings (RFC 7946 §3.1.6).

    A vertex of one polygon lying on a neighbour's edge (a T-junction) would round to a point off
    that edge; so the polygons are first noded (:func:`node_coverage`), then all coordinates are
    rounded on the same grid (``set_precision``, which keeps each polygon valid). Shared edges then
    stay identical. Every result is a MultiPolygon (ValueError if rounding leaves one without area).
    """
    import numpy as np

    noded = node_coverage(geoms, snap_deg)
    if len(noded) == 0:
        return noded
    rounded = shapely.orient_polygons(shapely.set_precision(noded, 10.0 ** -decimals), exterior_cw=False)
    return np.array([force_2d_multipolygon(g) for g in rounded], dtype=object)


#: decimal places of degrees in GeoJSON output (RFC 7946 §11.2: 7 ≈ 1 cm)
GEOJSON_DECIMALS = 7


def geojson_geometry(geom: BaseGeometry, decimals: int = GEOJSON_DECIMALS) -> dict:
    """``geom`` (SRID 4326, lon/lat) as a GeoJSON geometry object per RFC 7946: coordinates
    rounded to ``decimals`` places, exterior rings counter-clockwise and holes clockwise."""
    geom = shapely.orient_polygons(geom) if geom.geom_type in ("Polygon", "MultiPolygon") else geom
    return shapely.geometry.mapping(shapely.transform(geom, lambda xy: xy.round(decimals)))
