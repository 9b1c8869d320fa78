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

:func:`locate_in` and :func:`nearest_in` locate one point; :func:`locate_points` is their
vectorised twin for many points at once (the incident import), with the same result.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely
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


def locate_points(x, y, community_codes, community_geoms, grid_codes, grid_communities,
                  grid_geoms) -> tuple[np.ndarray, np.ndarray]:
    """Locate many points at once by the rule of this module (vectorised twin of
    :func:`locate_in` + :func:`nearest_in`); the result equals calling them point by point.

    ``x``, ``y``: lon/lat degrees, sequences of the same length n. ``community_codes`` /
    ``community_geoms``: the village-level units (codes, shapely polygons lon/lat, any order);
    ``grid_codes`` / ``grid_communities`` / ``grid_geoms``: the grids, their community's code and
    polygon. Codes are fixed-length digit strings. The geometries are prepared in place
    (:func:`shapely.prepare`). Returns two int64 arrays of length n: for every point the position in
    ``community_codes`` of its community and the position in ``grid_codes`` of its grid, -1 where no
    unit covers the point (outside) or the community has no grid (ungridded village).

    How: the points are binned into a uniform lattice of cells (a third of the median grid wide)
    and sorted by cell; each polygon takes the points of the cells its bounding box touches (never
    missing one: ``floor`` of a rounded difference is monotone, so a point inside the box falls in a
    cell between the box's corner cells) and tests them with
    ``shapely.intersects_xy`` on the prepared polygon (for a point, intersects = covers: interior or
    boundary, as ``ST_Covers``). Community = the smallest code among the covering units; grid = the
    smallest code among the covering grids of that community; a point inside its community but in a
    floating-point seam outside all its grids gets the nearest of them (``distance``), then the
    smallest code. Raises ValueError when x and y differ in length.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x and y must be 1-d sequences of the same length")
    n = len(x)
    community = np.full(n, -1, dtype=np.int64)
    grid = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(community_codes) == 0:
        return community, grid
    # units in code order: "smallest code" becomes "smallest position"
    c_codes = np.asarray(community_codes, dtype=str)
    c_order = np.argsort(c_codes, kind="stable")
    c_sorted, c_geoms = c_codes[c_order], np.asarray(community_geoms, dtype=object)[c_order]
    g_order = np.argsort(np.asarray(grid_codes, dtype=str).reshape(-1), kind="stable")
    g_geoms = np.asarray(grid_geoms, dtype=object).reshape(-1)[g_order]
    g_owner = np.asarray(grid_communities, dtype=str).reshape(-1)[g_order]
    g_comm = np.minimum(np.searchsorted(c_sorted, g_owner), len(c_sorted) - 1)
    g_comm = np.where(c_sorted[g_comm] == g_owner, g_comm, -1)  # a grid of a community not given never matches
    shapely.prepare(c_geoms)
    shapely.prepare(g_geoms)

    cells = _Cells(x, y, shapely.bounds(g_geoms if len(g_geoms) else c_geoms))
    nc, ng = len(c_geoms), len(g_geoms)
    # community: smallest covering position (nc = none)
    com = np.full(n, nc, dtype=np.int64)
    for poly, pos in cells.candidates(shapely.bounds(c_geoms)):
        hit = shapely.intersects_xy(c_geoms[poly], cells.xs[pos], cells.ys[pos])
        np.minimum.at(com, pos[hit], poly[hit])
    # grid: smallest covering position among the grids of the point's community (ng = none)
    grd = np.full(n, ng, dtype=np.int64)
    if ng:
        for poly, pos in cells.candidates(shapely.bounds(g_geoms)):
            mine = g_comm[poly] == com[pos]
            poly, pos = poly[mine], pos[mine]
            hit = shapely.intersects_xy(g_geoms[poly], cells.xs[pos], cells.ys[pos])
            np.minimum.at(grd, pos[hit], poly[hit])
        _nearest_grids(cells, com, grd, g_comm, g_geoms, nc)
    # back to the input order and the input positions
    inside = com < nc
    community[cells.order[inside]] = c_order[com[inside]]
    gridded = grd < ng
    grid[cells.order[gridded]] = g_order[grd[gridded]]
    return community, grid


def _nearest_grids(cells, com, grd, g_comm, g_geoms, nc) -> None:
    """Fill ``grd`` (grid positions in code order; ``len(g_geoms)`` = none) for the points inside a
    community (``com`` < nc) that none of its grids covers: the nearest grid of that community, then
    the smallest code (:func:`nearest_in`). ``g_comm``: each grid's community position, -1 unknown."""
    ng = len(g_geoms)
    by_comm = np.lexsort((np.arange(ng), g_comm))        # grids grouped by community, codes ascending
    first = np.searchsorted(g_comm[by_comm], np.arange(nc + 1))
    count = np.diff(first)
    seam = np.flatnonzero((com < nc) & (grd == ng))
    seam = seam[count[com[seam]] > 0]
    if len(seam) == 0:
        return
    k = count[com[seam]]
    point = np.repeat(seam, k)
    offset = _ranges(k)
    cand = by_comm[np.repeat(first[com[seam]], k) + offset]
    dist = shapely.distance(g_geoms[cand], shapely.points(cells.xs[point], cells.ys[point]))
    best = np.lexsort((cand, dist, point))               # per point: nearest, then smallest code
    point, cand = point[best], cand[best]
    head = np.r_[True, point[1:] != point[:-1]]
    grd[point[head]] = cand[head]


class _Cells:
    """Points binned into a uniform lattice of cells and sorted by cell (row-major), so that the
    points of any run of cells in one row are one slice. ``xs``/``ys``: the coordinates in that
    order; ``order``: their input positions."""

    MAX_SIDE = 2048  # cells per side at most (the lattice index then stays under ~34 MB)
    PER_GRID = 3     # cells across the median grid (on the bench city 2–4 are fastest, 1.5 slower)
    BATCH = 1 << 18  # (polygon, point) pairs tested at a time

    def __init__(self, x: np.ndarray, y: np.ndarray, sizes: np.ndarray):
        self.x0, self.y0, self.x1, self.y1 = float(x.min()), float(y.min()), float(x.max()), float(y.max())
        span_x, span_y = self.x1 - self.x0, self.y1 - self.y0
        widths, heights = sizes[:, 2] - sizes[:, 0], sizes[:, 3] - sizes[:, 1]
        ok = np.isfinite(widths) & (widths > 0) & np.isfinite(heights) & (heights > 0)
        w = float(np.median(widths[ok])) / self.PER_GRID if ok.any() else span_x or 1.0
        h = float(np.median(heights[ok])) / self.PER_GRID if ok.any() else span_y or 1.0
        self.w = max(w, span_x / (self.MAX_SIDE - 1), 1e-9)
        self.h = max(h, span_y / (self.MAX_SIDE - 1), 1e-9)
        self.nx = int(span_x / self.w) + 1
        self.ny = int(span_y / self.h) + 1
        cell = self._row(y) * self.nx + self._col(x)
        self.order = np.argsort(cell)
        self.starts = np.concatenate(([0], np.cumsum(np.bincount(cell, minlength=self.nx * self.ny))))
        self.xs, self.ys = x[self.order], y[self.order]

    def _col(self, x):
        return np.clip(np.floor((x - self.x0) / self.w), 0, self.nx - 1).astype(np.int64)

    def _row(self, y):
        return np.clip(np.floor((y - self.y0) / self.h), 0, self.ny - 1).astype(np.int64)

    def candidates(self, bounds: np.ndarray):
        """Yield (polygon, point) pairs in batches of about :data:`BATCH` pairs (small working
        arrays: fresh memory is slow to fault in): every point (sorted position) in a cell that the
        bounding box (xmin, ymin, xmax, ymax rows; NaN for an empty geometry) of the polygon touches."""
        ok = ((bounds[:, 2] >= self.x0) & (bounds[:, 0] <= self.x1)
              & (bounds[:, 3] >= self.y0) & (bounds[:, 1] <= self.y1))  # meets the points' extent
        b = np.where(ok[:, None], bounds, 0.0)
        c0, c1 = self._col(b[:, 0]), self._col(b[:, 2])
        r0, r1 = self._row(b[:, 1]), self._row(b[:, 3])
        rows = np.where(ok, r1 - r0 + 1, 0)
        # one run of cells per (polygon, row): its slice [start, start + length) of the sorted points
        poly = np.repeat(np.arange(len(bounds)), rows)
        row = _ranges(rows) + r0[poly]
        start = self.starts[row * self.nx + c0[poly]]
        length = self.starts[row * self.nx + c1[poly] + 1] - start
        # batches of runs: cut before the run where the running count of pairs passes a multiple of BATCH
        cuts = np.append(np.flatnonzero(np.diff(np.cumsum(length) // self.BATCH, prepend=0) > 0), len(poly))
        begin = 0
        for end in cuts:
            if end > begin:
                n = length[begin:end]
                yield np.repeat(poly[begin:end], n), _ranges(n) + np.repeat(start[begin:end], n)
            begin = end


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, k−1 for every k in ``counts``, concatenated."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
