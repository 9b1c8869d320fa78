"""Approximate (DERIVED, not surveyed) township and village-level boundaries for the demo district.

No public source has township (街道/镇) or community (社区/村) boundaries for 王益区. The demo derives
them deterministically from real data only: the real district outline, the real centre points that
are known (township seats, some communities and villages) and the real unit list with its
urban-rural classes (NBS ur_code 111 主城区, 112 城乡结合区, 121 镇中心区, 122 镇乡结合区, 220 村庄).
Every result must be labelled "derived" wherever it is shown.

Method (all distances in metres in a LAEA projection centred on the outline):

1. **Fixed seeds**: every unit with a real point is seeded there. A township seat is covered by the
   unit of its nearest seed; if the nearest real point is of the same township and within
   SEAT_SHARE_M, nothing more is needed (synthetic seeds keep MIN_GAP_M > SEAT_SHARE_M away from
   seats); otherwise the seat becomes the seed of one child without a real point, the most urban one
   (lowest ur_code, then lowest code). A Voronoi cell always contains its own seed, so every real
   point ends up inside its unit and every seat inside its township.
2. **Urban seeds** (ur_code other than 220, no point): around the township's anchor (mean of its
   known points) at URBAN_RADIUS_M[ur_code], in golden-angle directions starting away from the
   district's urban core (mean of all known points), pulled inward until inside the outline and at
   least MIN_GAP_M from every other seed.
3. **Rural seeds** (ur_code 220, no point): the first Halton points of the outline that keep
   RURAL_GAP_M from all seeds, then RURAL_ITERATIONS Lloyd steps moving only them, so they spread
   evenly over the rural remainder. They are then given to townships by a minimum-cost assignment
   (sum of squared distances to the township anchors, one slot per rural child), which keeps each
   township's villages together, and within a township by distance to its anchor in code order.
4. **Contiguity**: CONTIGUITY_PASSES greedy passes try the other candidate spots of step 2 for each
   urban synthetic seed and keep a move when it lowers (number of township parts, area of detached
   parts), measured on metric Voronoi cells. (For 王益区 this joins 七一路街道, whose two real
   communities lie on either side of 王益街道's seat.)
5. **Cells**: Voronoi of all seeds, cut by the original lon/lat outline (:func:`grids.partition`).
   A village-level unit is its cell; a township is the union of its children's cells. So units tile
   their township and townships tile the outline exactly (shared edges, identical coordinates).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon

from .grids import MAX_HALTON_CANDIDATES, halton, lloyd, partition, voronoi_cells
from .project import LocalProjection, tiles, tiling_errors  # noqa: F401  (re-exported for loaders)

#: how far from the township anchor an urban seed is placed, by ur_code (metres).
URBAN_RADIUS_M = {"111": 500.0, "112": 900.0, "121": 700.0, "122": 1400.0}
DEFAULT_URBAN_RADIUS_M = 1000.0
RURAL_UR_CODE = "220"
#: synthetic seeds keep at least this distance from every other seed and every seat (metres).
MIN_GAP_M = 250.0
#: a seat this close to a real point of its own township is covered by that unit (metres).
SEAT_SHARE_M = 100.0
#: initial spacing of rural seeds from all other seeds (metres; shrunk if the outline is too small).
RURAL_GAP_M = 1500.0
RURAL_ITERATIONS = 8
#: candidate spots of an urban seed: golden-angle turns × inward pulls (fractions of the radius).
URBAN_TURNS = 12
URBAN_PULLS = (1.0, 0.6, 0.3)
CONTIGUITY_PASSES = 2
GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))


@dataclass(frozen=True)
class UnitSeed:
    """One unit as the loader reads it.

    code: 9-digit township code or 12-digit village-level code.
    parent_code: the district (6 digits) for townships, the township (9) for village-level units.
    ur_code: NBS urban-rural class for village-level units ("111" … "220"), None for townships.
    point: the real centre point (lon/lat) when one is known, else None.
    """

    code: str
    parent_code: str
    ur_code: str | None
    point: Point | None


def derive_units(outline: Polygon | MultiPolygon, townships: Sequence[UnitSeed],
                 units: Sequence[UnitSeed]) -> dict[str, MultiPolygon]:
    """Derive a lon/lat MultiPolygon for every township code and every village-level code.

    ``outline``: the real district outline (lon/lat). ``townships``: their ``point`` is the seat, if
    known. ``units``: the village-level units, each child of one of ``townships``.
    Guarantees (method in the module docstring): valid, non-empty, 2-D results; the units of a
    township tile it and the townships tile the outline; every real point is covered by its unit and
    every seat by its township; same input → bit-identical output. Returns townships then units,
    each in code order.
    Raises ValueError for an empty/invalid outline, duplicate codes, a unit whose parent is not
    among ``townships``, a township without units, a real point outside the outline, or coinciding
    points; RuntimeError if a guarantee fails (a bug, never expected).
    """
    _check_inputs(outline, townships, units)
    outline = shapely.force_2d(outline)
    proj = LocalProjection.around(outline)
    seeds = _metric_seeds(outline, townships, units, proj)
    codes = sorted(seeds)
    pieces = partition(outline, np.array([seeds[c] for c in codes]), proj)
    result = {c: _as_multi(p) for c, p in zip(codes, pieces, strict=False)}
    for town in sorted(townships, key=lambda t: t.code):
        children = [result[u.code] for u in units if u.parent_code == town.code]
        result[town.code] = _as_multi(shapely.coverage_union_all(children))
    _verify(result, townships, units)
    return dict(sorted(result.items(), key=lambda kv: (len(kv[0]), kv[0])))


def derive_seeds(outline: Polygon | MultiPolygon, townships: Sequence[UnitSeed],
                 units: Sequence[UnitSeed]) -> dict[str, Point]:
    """The lon/lat seed point of every village-level unit used by :func:`derive_units`.

    A real point where one is known, else the derived position (inside the outline). Useful as a
    label position; same arguments and errors as :func:`derive_units`. Returns units in code order.
    """
    _check_inputs(outline, townships, units)
    outline = shapely.force_2d(outline)
    proj = LocalProjection.around(outline)
    seeds = _metric_seeds(outline, townships, units, proj)
    codes = sorted(seeds)
    lonlat = proj.xy_to_lonlat(np.array([seeds[c] for c in codes]))
    real = {u.code: u.point for u in units if u.point is not None}
    return {c: real.get(c) or Point(xy) for c, xy in zip(codes, lonlat, strict=False)}


def _metric_seeds(outline, townships, units, proj: LocalProjection) -> dict[str, np.ndarray]:
    """Steps 1–4 of the module docstring: {unit code: (x, y) metres}."""
    region = proj.to_metric(outline)
    seeds = _fixed_seeds(townships, units, proj)
    anchors = _anchors(townships, units, seeds, region, proj)
    core = np.mean(list(anchors.values()), axis=0)
    seats = [proj.xy_to_metric(t.point.coords)[0] for t in townships if t.point is not None]
    spots = {}
    for unit in sorted(units, key=lambda u: u.code):
        if unit.code not in seeds and unit.ur_code != RURAL_UR_CODE:
            spots[unit.code] = _urban_spots(unit, anchors[unit.parent_code], core)
            taken = list(seeds.values()) + seats
            seeds[unit.code] = next((xy for xy in spots[unit.code] if _free(xy, region, taken)), None)
            if seeds[unit.code] is None:
                raise ValueError(f"no room for a seed of unit {unit.code}")
    rural = sorted((u for u in units if u.code not in seeds), key=lambda u: u.code)
    seeds.update(_rural_seeds(rural, seeds, seats, anchors, region))
    codes = sorted(seeds)
    parent = {u.code: u.parent_code for u in units}
    xy = _contiguous(np.array([seeds[c] for c in codes]), [parent[c] for c in codes],
                     {codes.index(c): v for c, v in spots.items()}, region, seats)
    return dict(zip(codes, xy, strict=False))


def _check_inputs(outline, townships: Sequence[UnitSeed], units: Sequence[UnitSeed]) -> None:
    if not isinstance(outline, (Polygon, MultiPolygon)) or outline.is_empty or not outline.is_valid:
        raise ValueError("outline must be a non-empty valid Polygon or MultiPolygon")
    codes = [s.code for s in (*townships, *units)]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate unit codes")
    town_codes = {t.code for t in townships}
    if any(u.parent_code not in town_codes for u in units):
        raise ValueError("every village-level unit needs a parent among the townships")
    if town_codes - {u.parent_code for u in units}:
        raise ValueError("every township needs at least one village-level unit")
    points = [s.point for s in (*townships, *units) if s.point is not None]
    if any(not outline.covers(p) for p in points):
        raise ValueError("a real point lies outside the outline")


def _fixed_seeds(townships, units, proj: LocalProjection) -> dict[str, np.ndarray]:
    """Real points, plus a seat given to one child where no own real point shares it (step 1)."""
    seeds = {u.code: proj.xy_to_metric(u.point.coords)[0] for u in units if u.point is not None}
    seats = {t.code: proj.xy_to_metric(t.point.coords)[0] for t in townships if t.point is not None}
    real = [(u.parent_code, seeds[u.code]) for u in units if u.point is not None]
    rivals = real + list(seats.items())  # another township's seat may become a seed too
    for town, seat in sorted(seats.items()):
        own = min((_dist(xy, seat) for t, xy in real if t == town), default=math.inf)
        other = min((_dist(xy, seat) for t, xy in rivals if t != town), default=math.inf)
        if own <= SEAT_SHARE_M and own < other - 1.0:
            continue
        free = [u for u in units if u.parent_code == town and u.code not in seeds]
        if not free:
            raise ValueError(f"no unit of township {town} can hold its seat")
        holder = min(free, key=lambda u: (u.ur_code or "999", u.code))
        seeds[holder.code] = seat
    xy = list(seeds.values())
    if any(not _far_enough(p, xy[:i], 1.0) for i, p in enumerate(xy)):
        raise ValueError("real points less than 1 m apart")
    return seeds


def _anchors(townships, units, seeds, region, proj: LocalProjection) -> dict[str, np.ndarray]:
    """Each township's anchor: the mean of its seat and its children's fixed seeds (metric)."""
    fallback = shapely.get_coordinates(region.point_on_surface())[0]
    anchors = {}
    for town in townships:
        known = [seeds[u.code] for u in units if u.parent_code == town.code and u.code in seeds]
        if town.point is not None:
            known.append(proj.xy_to_metric(town.point.coords)[0])
        anchors[town.code] = np.mean(known, axis=0) if known else fallback
    return anchors


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot(*(a - b)))


def _far_enough(xy: np.ndarray, others: list[np.ndarray], gap: float) -> bool:
    return not others or float(np.min(np.hypot(*(np.array(others) - xy).T))) >= gap


def _urban_spots(unit: UnitSeed, anchor: np.ndarray, core: np.ndarray) -> list[np.ndarray]:
    """Step 2 candidates, best first: golden-angle directions from the outward one, each pulled in."""
    radius = URBAN_RADIUS_M.get(unit.ur_code or "", DEFAULT_URBAN_RADIUS_M)
    outward = math.atan2(anchor[1] - core[1], anchor[0] - core[0])
    return [anchor + radius * pull * np.array([math.cos(angle), math.sin(angle)])
            for angle in (outward + turn * GOLDEN_ANGLE for turn in range(URBAN_TURNS))
            for pull in URBAN_PULLS]


def _free(xy: np.ndarray, region, others: list[np.ndarray]) -> bool:
    return bool(region.contains(shapely.Point(xy))) and _far_enough(xy, others, MIN_GAP_M)


def _rural_seeds(rural, seeds, seats, anchors, region) -> dict[str, np.ndarray]:
    """Step 3: spread rural seeds over the remainder, then give them to townships."""
    if not rural:
        return {}
    fixed = list(seeds.values()) + seats
    gap, minx, miny, maxx, maxy = RURAL_GAP_M, *region.bounds
    while True:
        chosen: list[np.ndarray] = []
        for i in range(1, MAX_HALTON_CANDIDATES):
            xy = np.array([minx + (maxx - minx) * halton(i, 2), miny + (maxy - miny) * halton(i, 3)])
            if region.contains(shapely.Point(xy)) and _far_enough(xy, fixed + chosen, gap):
                chosen.append(xy)
                if len(chosen) == len(rural):
                    break
        if len(chosen) == len(rural):
            break
        gap *= 0.8
        if gap < MIN_GAP_M:
            raise ValueError("outline too small for its rural units")
    all_xy = np.array(list(seeds.values()) + chosen)
    movable = np.arange(len(all_xy)) >= len(seeds)
    for _ in range(RURAL_ITERATIONS):
        moved = lloyd(all_xy, region, 1, movable)
        for i in np.flatnonzero(movable):
            others = [xy for j, xy in enumerate(moved) if j != i] + seats
            if _far_enough(moved[i], others, MIN_GAP_M):
                all_xy[i] = moved[i]
    return _assign_rural(rural, all_xy[movable], anchors)


def _contiguous(xy: np.ndarray, owner: list[str], spots: dict[int, list[np.ndarray]], region,
                seats: list[np.ndarray]) -> np.ndarray:
    """Step 4: greedy passes moving urban synthetic seeds among their spots while that lowers
    (number of township parts, area of detached parts), measured on metric Voronoi cells."""
    best = _split_score(xy, owner, region)
    for _ in range(CONTIGUITY_PASSES):
        start = best
        for i, candidates in spots.items():
            others = [p for j, p in enumerate(xy) if j != i] + seats
            for cand in candidates:
                if best[0] == len(set(owner)):
                    return xy
                if _free(cand, region, others):
                    trial = xy.copy()
                    trial[i] = cand
                    score = _split_score(trial, owner, region)
                    if score < best:
                        best, xy = score, trial
        if best == start:
            break
    return xy


def _split_score(xy: np.ndarray, owner: list[str], region) -> tuple[int, float]:
    cells = shapely.intersection(voronoi_cells(xy, region), region)
    owner_a = np.array(owner)
    parts, detached = 0, 0.0
    for town in sorted(set(owner)):
        areas = shapely.area(shapely.get_parts(shapely.union_all(cells[owner_a == town])))
        parts += len(areas)
        detached += float(areas.sum() - areas.max())
    return parts, round(detached, 3)


def _assign_rural(rural, xy: np.ndarray, anchors) -> dict[str, np.ndarray]:
    """Minimum total squared distance to the anchors, one slot per rural child (Hungarian method);
    within a township the nearest seed goes to the lowest code."""
    slots = [u.parent_code for u in rural]
    cost = np.array([[float(np.sum((p - anchors[t]) ** 2)) for t in slots] for p in xy])
    slot_of = _hungarian(cost)
    result = {}
    for town in dict.fromkeys(slots):
        mine = sorted((i for i in range(len(xy)) if slots[slot_of[i]] == town),
                      key=lambda i: (float(np.sum((xy[i] - anchors[town]) ** 2)), i))
        codes = [u.code for u in rural if u.parent_code == town]
        result.update({c: xy[i] for c, i in zip(codes, mine, strict=False)})
    return result


def _hungarian(cost: np.ndarray) -> list[int]:
    """Minimum-cost perfect assignment for a square cost matrix: column of each row (O(n³))."""
    n = len(cost)
    u, v, match, way = [0.0] * (n + 1), [0.0] * (n + 1), [0] * (n + 1), [0] * (n + 1)
    for row in range(1, n + 1):
        match[0], col0 = row, 0
        min_v, used = [math.inf] * (n + 1), [False] * (n + 1)
        while match[col0]:
            used[col0], r0, delta, col1 = True, match[col0], math.inf, 0
            for col in range(1, n + 1):
                if not used[col]:
                    cur = cost[r0 - 1][col - 1] - u[r0] - v[col]
                    if cur < min_v[col]:
                        min_v[col], way[col] = cur, col0
                    if min_v[col] < delta:
                        delta, col1 = min_v[col], col
            for col in range(n + 1):
                if used[col]:
                    u[match[col]] += delta
                    v[col] -= delta
                else:
                    min_v[col] -= delta
            col0 = col1
        while col0:
            col1 = way[col0]
            match[col0] = match[col1]
            col0 = col1
    slot_of = [0] * n
    for col in range(1, n + 1):
        slot_of[match[col] - 1] = col - 1
    return slot_of


def _as_multi(geom) -> MultiPolygon:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(parts)


def _verify(result: dict[str, MultiPolygon], townships, units) -> None:
    for geom in result.values():
        if geom.is_empty or not geom.is_valid:
            raise RuntimeError("derived an empty or invalid polygon")
    for seed in (*townships, *units):
        if seed.point is not None and not result[seed.code].covers(seed.point):
            raise RuntimeError(f"derived unit {seed.code} does not cover its real point")
