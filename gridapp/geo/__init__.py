"""gridapp.geo — the pure-geometry core (no Flask, no database).

Geometries are shapely 2 objects in SRID 4326 (WGS84/CGCS2000), lon/lat order. Areas and distances
are always computed in metres in a local equal-area projection (:mod:`.project`), never in degrees.

* :mod:`.project` — local LAEA projections, areas in m², tiling checks;
* :mod:`.locate`  — the one point → community → grid rule (mirrored in PostGIS SQL);
* :mod:`.grids`   — grid allocation, generation (centroidal Voronoi), numbering and 15-digit codes;
* :mod:`.derive`  — approximate (derived) township/community boundaries for the demo district;
* :mod:`.shapes`  — normalising geometry for storage (2D MultiPolygon).

Only shapely, pyproj, numpy and the standard library are used; every function is deterministic.
"""
from .derive import UnitSeed, derive_seeds, derive_units
from .grids import allocate, generate_grids, grid_code, number_grids
from .locate import locate_in, locate_points, nearest_in
from .project import (
                      LocalProjection,
                      TilingErrors,
                      area_m2,
                      local_projection,
                      tiles,
                      tiling_errors,
                      to_lonlat,
                      to_metric,
)
from .shapes import force_2d_multipolygon

__all__ = [
    "LocalProjection", "TilingErrors", "UnitSeed", "allocate", "area_m2", "derive_seeds",
    "derive_units", "force_2d_multipolygon", "generate_grids", "grid_code", "local_projection",
    "locate_in", "locate_points", "nearest_in",
    "number_grids", "tiles", "tiling_errors", "to_lonlat", "to_metric",
]
