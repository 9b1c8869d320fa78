"""What a boundary reader yields (pure): a feature as read, a file's features, and the error of a
file that cannot be read at all."""
from __future__ import annotations

from dataclasses import dataclass, field

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


class ReadError(ValueError):
    """The file as a whole cannot be read (not a known format, corrupt, no layer...)."""


@dataclass
class RawFeature:
    """One feature as read: its 0-based ``index`` in the file, its attributes, and its geometry
    (2D, lon/lat SRID 4326) or None with ``error`` saying why (null geometry, metres without a CRS,
    outside the extent...)."""

    index: int
    properties: dict
    geometry: BaseGeometry | None
    error: str | None = None


@dataclass
class ReadResult:
    """Features of a file with the CRS they were declared in (None when nothing was declared)."""

    features: list[RawFeature]
    declared_crs: str | None = None
    notes: list[str] = field(default_factory=list)


def geom_or_error(index: int, props: dict, geometry) -> RawFeature:
    """The feature ``index`` with its geometry (GeoJSON mapping or shapely; made 2D), or with the
    error that makes it unusable (null, malformed or empty geometry)."""
    if geometry is None:
        return RawFeature(index, props, None, "null geometry")
    try:
        geom = shape(geometry) if isinstance(geometry, dict) else geometry
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as err:
        return RawFeature(index, props, None, f"malformed geometry: {err}")
    if geom.is_empty:
        return RawFeature(index, props, None, "empty geometry")
    return RawFeature(index, props, shapely.force_2d(geom))
