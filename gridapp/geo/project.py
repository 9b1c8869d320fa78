"""Local metric projections: measure lon/lat geometries in metres.

Geometries are stored in SRID 4326 (WGS84/CGCS2000), lon/lat order. Areas and distances are never
measured in degrees: a geometry is projected to a Lambert azimuthal equal-area (LAEA) CRS centred on
it, where areas are exact for the ellipsoid (equal-area) and distances are true to about 1e-5
within 50 km of the centre (LAEA scale error is about (d/2R)^2 / 2).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

#: the projection centre is rounded to this many decimals (0.1° ≈ 10 km) so that the geometries of
#: one district share a few cached transformers (creating one costs ~15 ms) and results do not depend
#: on coordinate noise. A centre up to ~10 km off changes scales by < 1e-5 (LAEA: sec(c/2) − 1).
CENTRE_DECIMALS = 1

#: longest lon/lat segment (degrees, ≈ 10 m) kept when measuring areas, see :func:`area_m2`.
DENSIFY_DEG = 1e-4


@lru_cache(maxsize=256)
def _transformers(lon0: float, lat0: float) -> tuple[pyproj.Transformer, pyproj.Transformer]:
    crs = pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
    )
    forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inverse = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return forward, inverse


@dataclass(frozen=True)
class LocalProjection:
    """A LAEA projection centred on (``lon0``, ``lat0``) degrees; x east, y north, in metres."""

    lon0: float
    lat0: float

    @classmethod
    def around(cls, geom: BaseGeometry, decimals: int = CENTRE_DECIMALS) -> LocalProjection:
        """The projection centred on the middle of ``geom``'s lon/lat bounding box.

        The centre is rounded to ``decimals`` decimal degrees. Raises ValueError if ``geom`` is empty.
        """
        if geom is None or geom.is_empty:
            raise ValueError("cannot centre a projection on an empty geometry")
        minx, miny, maxx, maxy = geom.bounds
        return cls(round((minx + maxx) / 2, decimals), round((miny + maxy) / 2, decimals))

    @property
    def crs(self) -> pyproj.CRS:
        """The projected CRS (pyproj)."""
        return _transformers(self.lon0, self.lat0)[0].target_crs

    def xy_to_metric(self, lonlat: np.ndarray) -> np.ndarray:
        """(N, 2) array of lon/lat degrees → (N, 2) array of x/y metres."""
        lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        x, y = _transformers(self.lon0, self.lat0)[0].transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

    def xy_to_lonlat(self, xy: np.ndarray) -> np.ndarray:
        """(N, 2) array of x/y metres → (N, 2) array of lon/lat degrees."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        lon, lat = _transformers(self.lon0, self.lat0)[1].transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def to_metric(self, geom):
        """Project a lon/lat geometry (or array of geometries) to metres; vertices only, 2D."""
        return shapely.transform(geom, self.xy_to_metric)

    def to_lonlat(self, geom):
        """Inverse of :meth:`to_metric`: a metric geometry (or array) back to lon/lat degrees."""
        return shapely.transform(geom, self.xy_to_lonlat)


def local_projection(geom: BaseGeometry) -> LocalProjection:
    """Shorthand for :meth:`LocalProjection.around` (ValueError if ``geom`` is empty)."""
    return LocalProjection.around(geom)


def to_metric(geom: BaseGeometry, proj: LocalProjection | None = None) -> BaseGeometry:
    """``geom`` (lon/lat) projected to metres by ``proj`` (default: centred on ``geom`` itself)."""
    return (proj or LocalProjection.around(geom)).to_metric(geom)


def to_lonlat(geom: BaseGeometry, proj: LocalProjection) -> BaseGeometry:
    """A metric geometry made with ``proj`` back to lon/lat; ``proj`` is required (no centre to guess)."""
    return proj.to_lonlat(geom)


def area_m2(geom: BaseGeometry, proj: LocalProjection | None = None) -> float:
    """Area of a lon/lat (multi)polygon in square metres (LAEA, default centred on ``geom``).

    Edges are straight in lon/lat (the SRID 4326 planar convention). They are densified to
    DENSIFY_DEG before projecting, so that the curvature of their projected image is followed and
    areas add up: the areas of the parts of a tiling sum to the area of the whole to ~1e-9 relative
    (without densifying, a part's extra vertices on a long outer edge shift it by ~1e-5).
    An equal-area projection gives the same area from any nearby centre.
    Empty geometries have area 0.
    """
    if geom.is_empty:
        return 0.0
    proj = proj or LocalProjection.around(geom)
    return float(proj.to_metric(shapely.segmentize(geom, DENSIFY_DEG)).area)


class TilingErrors(NamedTuple):
    """How far ``parts`` are from tiling ``whole``, all in m²."""

    overlap_m2: float   # sum of pairwise intersection areas of the parts
    gap_m2: float       # area of the whole not covered by any part
    excess_m2: float    # area of the parts outside the whole
    whole_m2: float     # area of the whole


def tiling_errors(parts: Iterable[BaseGeometry], whole: BaseGeometry) -> TilingErrors:
    """Measure overlaps, gaps and excess of lon/lat ``parts`` against lon/lat ``whole`` in m².

    The overlay is done on the lon/lat coordinates as stored (so that an edge shared with identical
    vertices counts as exactly shared: re-projecting first would bend edges that carry extra vertices
    and invent slivers), then converted to m² with the whole's ratio of LAEA area to planar degree
    area (exact to ~1e-4 relative at district scale, which is plenty for error terms). Overlaps are
    summed over candidate pairs found with an STRtree. ``whole_m2`` is the LAEA area of ``whole``.
    Raises ValueError if ``whole`` is empty or has no area.
    """
    whole_m2 = area_m2(whole)
    if whole_m2 <= 0:
        raise ValueError("the whole must have an area")
    scale = whole_m2 / whole.area
    parts_a = np.array(list(parts), dtype=object)
    left, right = shapely.STRtree(parts_a).query(parts_a, predicate="intersects")
    pairs = left < right
    overlap = shapely.area(shapely.intersection(parts_a[left[pairs]], parts_a[right[pairs]])).sum()
    union = shapely.union_all(parts_a)
    return TilingErrors(
        overlap_m2=float(overlap) * scale,
        gap_m2=whole.difference(union).area * scale,
        excess_m2=union.difference(whole).area * scale,
        whole_m2=whole_m2,
    )


def tiles(parts: Iterable[BaseGeometry], whole: BaseGeometry, rel_tol: float = 1e-3) -> bool:
    """True if ``parts`` tile ``whole``: overlap + gap + excess ≤ ``rel_tol`` × area of ``whole``.

    Shapes: lon/lat (multi)polygons. The default 1e-3 (0.1 %) is the tolerance the demo boundaries
    promise; derived and generated tilings are in fact exact to about 1e-9.
    """
    err = tiling_errors(parts, whole)
    return err.overlap_m2 + err.gap_m2 + err.excess_m2 <= rel_tol * err.whole_m2
