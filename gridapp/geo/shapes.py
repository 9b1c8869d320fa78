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
