"""The product's own grid generator: allocate, cut, number and code responsibility grids.

A community (社区) or village (村) polygon is cut into ``n`` compact grids of similar area by a
centroidal Voronoi tessellation (Lloyd's algorithm) computed in a local equal-area projection. The
cells are then brought back to lon/lat and cut by the community's *own* outline in one noding step,
so that the grids tile the community exactly (outer boundary = the community's own vertices, shared
edges with bit-identical coordinates) and ``shapely.coverage_is_valid`` holds.

Everything is deterministic: initial seeds come from a Halton sequence, never from a random source.
Sources: numbering rule "west to east, then north to south" and the 15-digit code from DB11/T
(网格化城市管理 单元网格划分), see shared/data/standards/grid_code_rules.md §2.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from numbers import Real

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .project import LocalProjection

#: Halton candidates tried before a polygon is declared too thin to hold ``n`` seeds.
MAX_HALTON_CANDIDATES = 1_000_000


# --------------------------------------------------------------------------- allocation
def allocate(total: int, weights: Mapping[str, float], minimum: int = 1) -> dict[str, int]:
    """Split ``total`` grids among ``weights``' keys proportionally, each key getting ≥ ``minimum``.

    Method: keys whose proportional quota falls below ``minimum`` are fixed at ``minimum`` (repeated
    until stable); the rest is shared by the largest-remainder (Hamilton) method on exact rational
    quotas, ties broken by key (ascending). The result sums to ``total`` exactly and is deterministic.
    Weights are any positive numbers (e.g. areas in m²). Returns {key: count} in key order.
    Raises ValueError if ``weights`` is empty, a weight is not a finite positive number,
    ``minimum`` < 0, or ``total`` < ``minimum`` × len(weights).
    """
    if not weights:
        raise ValueError("weights must not be empty")
    if any(not (isinstance(w, Real) and math.isfinite(w) and w > 0) for w in weights.values()):
        raise ValueError("weights must be finite positive numbers")
    if not isinstance(total, int) or not isinstance(minimum, int):
        raise ValueError("total and minimum must be integers")
    if minimum < 0 or total < minimum * len(weights):
        raise ValueError(f"cannot give {len(weights)} keys at least {minimum} of {total}")
    w = {k: Fraction(float(v)) for k, v in sorted(weights.items())}
    fixed: dict[str, int] = {}
    while True:
        free = [k for k in w if k not in fixed]
        rest = total - sum(fixed.values())
        weight_sum = sum(w[k] for k in free)
        low = [k for k in free if rest * w[k] / weight_sum < minimum]
        if not low:
            break
        fixed.update({k: minimum for k in low})
    quota = {k: rest * w[k] / weight_sum for k in free}
    counts = {k: math.floor(q) for k, q in quota.items()}
    by_remainder = sorted(free, key=lambda k: (-(quota[k] - counts[k]), k))
    for k in by_remainder[: rest - sum(counts.values())]:
        counts[k] += 1
    return {k: fixed.get(k, counts.get(k)) for k in w}


# --------------------------------------------------------------------------- Voronoi helpers
def halton(index: int, base: int) -> float:
    """The ``index``-th element (index ≥ 1) of the van der Corput sequence in ``base``, in [0, 1)."""
    result, f = 0.0, 1.0
    while index > 0:
        f /= base
        result += f * (index % base)
        index //= base
    return result


def halton_points_inside(region_m: BaseGeometry, n: int) -> np.ndarray:
    """The first ``n`` 2-D Halton points (bases 2, 3) over ``region_m``'s bounds that lie inside it.

    Returns an (n, 2) array in the region's units. Raises ValueError if fewer than ``n`` of the first
    MAX_HALTON_CANDIDATES candidates fall inside (a degenerate or extremely thin region).
    """
    minx, miny, maxx, maxy = region_m.bounds
    found: list[np.ndarray] = []
    count, start, batch = 0, 1, max(64, 4 * n)
    while count < n and start <= MAX_HALTON_CANDIDATES:
        idx = range(start, start + batch)
        x = minx + (maxx - minx) * np.array([halton(i, 2) for i in idx])
        y = miny + (maxy - miny) * np.array([halton(i, 3) for i in idx])
        keep = shapely.contains_xy(region_m, x, y)
        found.append(np.column_stack([x[keep], y[keep]]))
        count += int(keep.sum())
        start += batch
    if count < n:
        raise ValueError(f"polygon too thin to place {n} seeds")
    return np.concatenate(found)[:n]


def voronoi_cells(seeds_m: np.ndarray, region_m: BaseGeometry) -> np.ndarray:
    """Voronoi cells (metric Polygons) of ``seeds_m`` (N ≥ 2, distinct), in seed order.

    The diagram is extended to cover ``region_m``'s bounds with a wide margin, so the cells tile an
    area containing the region. Raises ValueError for fewer than 2 or coinciding seeds.
    """
    seeds_m = np.asarray(seeds_m, dtype=float)
    minx, miny, maxx, maxy = region_m.bounds
    pad = max(maxx - minx, maxy - miny, 1.0)
    extent = shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    diagram = shapely.voronoi_polygons(shapely.multipoints(seeds_m), extend_to=extent, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(seeds_m) < 2 or len(cells) != len(seeds_m):
        raise ValueError("Voronoi cells need at least 2 distinct seeds")
    return cells


def lloyd(seeds_m: np.ndarray, region_m: BaseGeometry, iterations: int,
          movable: np.ndarray | None = None) -> np.ndarray:
    """Lloyd relaxation: move the ``movable`` seeds (default all) to their clipped cells' centroids.

    ``seeds_m``: (N, 2) metres inside ``region_m``. Each iteration computes the Voronoi cells clipped
    to the region; a centroid falling outside a non-convex region is replaced by the cell's
    representative point, so seeds never leave the region; a seed whose cell misses the region
    stays put. Returns a new (N, 2) array.
    """
    seeds = np.array(seeds_m, dtype=float)
    movable = np.ones(len(seeds), bool) if movable is None else np.asarray(movable, bool)
    for _ in range(iterations):
        clipped = shapely.intersection(voronoi_cells(seeds, region_m), region_m)
        moving = movable & ~shapely.is_empty(clipped)
        target = shapely.get_coordinates(shapely.centroid(clipped[moving]))
        outside = ~shapely.contains_xy(region_m, target[:, 0], target[:, 1])
        target[outside] = shapely.get_coordinates(shapely.point_on_surface(clipped[moving][outside]))
        seeds[moving] = target
    return seeds


def partition(region: BaseGeometry, seeds_m: np.ndarray, proj: LocalProjection) -> list[BaseGeometry]:
    """Cut lon/lat ``region`` by the Voronoi cells of metric ``seeds_m``: one piece per seed.

    The metric cells are brought back to lon/lat and noded together with the region's own boundary
    in one step; the faces inside the region are then merged per cell (``coverage_union``). So the
    pieces tile the region exactly, share edges with identical coordinates, keep every vertex of the
    region unchanged, and a seed inside the region lies in its own piece. A piece is a Polygon or,
    where a non-convex region cuts a cell in several parts, a MultiPolygon (empty if the cell misses
    the region). Returns a list aligned with ``seeds_m``.
    """
    region_m = proj.to_metric(region)
    cells = proj.to_lonlat(voronoi_cells(seeds_m, region_m))
    lines = shapely.union_all(np.append(shapely.boundary(cells), region.boundary))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    inner = shapely.point_on_surface(faces)
    keep = shapely.contains(region, inner)
    faces, inner = faces[keep], inner[keep]
    face_idx, cell_idx = shapely.STRtree(cells).query(inner, predicate="intersects")
    owner = np.full(len(faces), len(cells))
    np.minimum.at(owner, face_idx, cell_idx)  # a point is inside one cell (lowest index if on an edge)
    return [shapely.coverage_union_all(faces[owner == i]) for i in range(len(cells))]


def _merge_fragments(pieces: list[BaseGeometry]) -> list[BaseGeometry]:
    """Make every piece a single Polygon: keep each piece's largest part and give every smaller
    part to the piece it shares the longest boundary with (pieces must share exact edges)."""
    pieces = list(pieces)
    for i in range(len(pieces)):
        parts = sorted(shapely.get_parts(pieces[i]), key=lambda p: -p.area)
        if len(parts) < 2:
            continue
        pieces[i] = parts[0]
        for part in parts[1:]:
            shared = shapely.length(shapely.intersection(part.boundary, shapely.boundary(pieces)))
            shared[i] = -1.0
            j = int(np.argmax(shared))
            pieces[j] = shapely.coverage_union_all([pieces[j], part])
    return pieces


# --------------------------------------------------------------------------- generation
def generate_grids(polygon: Polygon | MultiPolygon, n: int, iterations: int = 30) -> list[Polygon]:
    """Cut a lon/lat ``polygon`` into exactly ``n`` compact single-Polygon grids of similar area.

    Centroidal Voronoi tessellation in a LAEA projection centred on the polygon: ``n`` Halton seeds
    inside it, ``iterations`` Lloyd steps, then :func:`partition` with the *original* lon/lat
    polygon (its outer boundary is kept exactly; neighbours share identical edges). Where the
    non-convex outline splits a cell, its smaller parts go to the neighbour sharing the longest
    boundary. A MultiPolygon is first split over its parts by area (:func:`allocate`, ≥ 1 each).
    The grids tile the polygon: union = polygon, areas sum to its area within ~1e-9 relative.
    Returns valid 2-D Polygons in seed order (number them with :func:`number_grids`).
    Raises ValueError if ``n`` < 1, the polygon is empty, invalid or not (Multi)Polygon, or a
    MultiPolygon has more parts than ``n``.
    """
    if not isinstance(polygon, (Polygon, MultiPolygon)) or polygon.is_empty or not polygon.is_valid:
        raise ValueError("polygon must be a non-empty valid Polygon or MultiPolygon")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    polygon = shapely.force_2d(polygon)
    if isinstance(polygon, MultiPolygon):
        parts = list(polygon.geoms)
        proj = LocalProjection.around(polygon)
        counts = allocate(n, {f"{i:06d}": proj.to_metric(p).area for i, p in enumerate(parts)})
        return [cell for i, p in enumerate(parts) for cell in generate_grids(p, counts[f"{i:06d}"], iterations)]
    if n == 1:
        return [polygon]
    proj = LocalProjection.around(polygon)
    region_m = proj.to_metric(polygon)
    seeds = lloyd(halton_points_inside(region_m, n), region_m, iterations)
    cells = _merge_fragments(partition(polygon, seeds, proj))
    if any(not isinstance(c, Polygon) or c.is_empty or not c.is_valid for c in cells):
        raise ValueError("could not cut the polygon into single valid polygons")
    return cells


# --------------------------------------------------------------------------- numbering and codes
def number_grids(cells: Sequence[Polygon]) -> list[int]:
    """Indices into ``cells`` in numbering order 001, 002, …: rows north → south, west → east in a row.

    Rule (DB11/T, grid_code_rules.md §2): "within a community the grids are numbered from west to
    east, then from north to south". Rows are made deterministic: every cell is represented by its
    **centroid** in a LAEA projection centred on all cells; row height h = sqrt(total area / n)
    metres (the typical cell size); row = floor((max northing of the centroids − northing) / h);
    cells sort by (row, easting, index). Empty input gives [].
    Raises ValueError if a cell is empty or all cells have zero area.
    """
    if len(cells) == 0:
        return []
    geoms = np.array(list(cells), dtype=object)
    if shapely.is_empty(geoms).any():
        raise ValueError("cells must not be empty")
    proj = LocalProjection.around(shapely.box(*shapely.total_bounds(geoms)))
    metric = proj.to_metric(geoms)
    xy = shapely.get_coordinates(shapely.centroid(metric))
    height = math.sqrt(float(shapely.area(metric).sum()) / len(geoms))
    if height <= 0:
        raise ValueError("cells have no area")
    rows = np.floor((xy[:, 1].max() - xy[:, 1]) / height).astype(int)
    return sorted(range(len(geoms)), key=lambda i: (int(rows[i]), float(xy[i, 0]), i))


def grid_code(community_code: str, seq: int) -> str:
    """The 15-digit grid code: 12-digit community code + 3-digit sequence 001–999.

    Example: grid_code("610202001001", 2) == "610202001001002" (grid_code_rules.md §2).
    Raises ValueError if the community code is not 12 ASCII digits or ``seq`` is not an int in 1..999.
    """
    if not (isinstance(community_code, str) and len(community_code) == 12
            and community_code.isascii() and community_code.isdigit()):
        raise ValueError(f"community code must be 12 digits, got {community_code!r}")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= 999:
        raise ValueError(f"grid sequence must be an integer 1..999, got {seq!r}")
    return f"{community_code}{seq:03d}"
