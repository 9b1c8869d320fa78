"""Pure tests of the point → unit rule (gridapp.geo.locate).

Four unit squares meet at (109.5, 35.5); all coordinates are multiples of 0.5, exactly representable
in binary, so "on the edge" and "at the corner" are exact:

    35.5–36 | C 003 | D 004 |
    35–35.5 | A 001 | B 002 |
              109–109.5  109.5–110
"""
from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from gridapp.geo import locate_in, locate_points, nearest_in

A, B = ("610202001001", box(109.0, 35.0, 109.5, 35.5)), ("610202001002", box(109.5, 35.0, 110.0, 35.5))
C, D = ("610202001003", box(109.0, 35.5, 109.5, 36.0)), ("610202001004", box(109.5, 35.5, 110.0, 36.0))
SQUARES = [D, B, C, A]  # deliberately not in code order


@pytest.mark.parametrize("point, expected", [
    (Point(109.5, 35.5), A[0]),     # the common corner: all four cover it → smallest code
    (Point(109.5, 35.75), C[0]),    # on the C|D edge → smaller of C, D
    (Point(109.75, 35.5), B[0]),    # on the B|D edge → smaller of B, D
    (Point(109.75, 35.75), D[0]),   # interior of D only
    (Point(110.0, 36.0), D[0]),     # outer corner: boundary counts (covers)
    (Point(110.5, 35.5), None),     # outside everything
])
def test_locate_in_smallest_covering_code(point, expected):
    assert locate_in(point, SQUARES) == expected
    assert locate_in(point, reversed(SQUARES)) == expected  # order of candidates is irrelevant


def test_locate_in_no_candidates():
    assert locate_in(Point(109.5, 35.5), []) is None


@pytest.mark.parametrize("point, expected", [
    (Point(109.5, 35.5), A[0]),     # covered by all → smallest code
    (Point(109.75, 35.75), D[0]),   # covered by one
    (Point(110.5, 35.75), D[0]),    # outside: nearest is D (distance 0.5)
    (Point(110.5, 35.5), B[0]),     # outside, equally near B and D → smallest code
    (Point(108.0, 34.0), A[0]),     # far outside, nearest corner is A's
])
def test_nearest_in_covering_then_nearest_then_code(point, expected):
    assert nearest_in(point, SQUARES) == expected
    assert nearest_in(point, reversed(SQUARES)) == expected


def test_nearest_in_resolves_a_seam_between_grids():
    # two grids with a thin seam between them, as when outlines are stored with different rounding
    left = ("610202001001002", box(109.0, 35.0, 109.5, 35.5))
    right = ("610202001001001", box(109.5 + 2 ** -20, 35.0, 110.0, 35.5))
    in_seam = Point(109.5 + 2 ** -21, 35.25)
    assert locate_in(in_seam, [left, right]) is None
    assert nearest_in(in_seam, [left, right]) == "610202001001001"  # equidistant → smallest code
    near_left = Point(109.5 + 2 ** -23, 35.25)
    assert nearest_in(near_left, [left, right]) == "610202001001002"


def test_nearest_in_prefers_covering_over_code():
    big = ("610202001001009", box(109.0, 35.0, 110.0, 36.0))
    small = ("610202001001001", box(111.0, 35.0, 112.0, 36.0))
    assert nearest_in(Point(109.5, 35.5), [small, big]) == big[0]


def test_nearest_in_no_candidates():
    assert nearest_in(Point(109.5, 35.5), []) is None


# --------------------------------------------------------------------- many points at once
def _one_by_one(points, communities, grids):
    """The rule point by point with the one-point twins: (community code, grid code) per point."""
    out = []
    for pt in points:
        community = locate_in(pt, communities)
        mine = [(code, geom) for code, owner, geom in grids if owner == community]
        out.append((community, nearest_in(pt, mine) if community is not None else None))
    return out


def _many(points, communities, grids):
    c, g = locate_points([p.x for p in points], [p.y for p in points], [c for c, _ in communities],
                         [geom for _, geom in communities], [code for code, _o, _g in grids],
                         [owner for _c, owner, _g in grids], [geom for *_x, geom in grids])
    return [(communities[i][0] if i >= 0 else None, grids[j][0] if j >= 0 else None) for i, j in zip(c, g, strict=True)]


def test_locate_points_equals_the_one_point_rule_on_edges_corners_and_seams():
    # communities A, B gridded, C ungridded, D absent; A's grids: quarters, the NE one pulled in by a
    # seam of 2**-20 degrees on A's outer east edge (so points there are in A but in none of its grids)
    a0, a1 = 109.0, 109.5
    quarters = [("610202001001001", box(109.0, 35.25, 109.25, 35.5)),
                ("610202001001002", box(109.25, 35.25, 109.5 - 2 ** -20, 35.5)),
                ("610202001001003", box(109.0, 35.0, 109.25, 35.25)),
                ("610202001001004", box(109.25, 35.0, 109.5, 35.25))]
    grids = [(code, A[0], geom) for code, geom in reversed(quarters)]
    grids += [("610202001002001", B[0], B[1]), ("610202001099001", "610202001099", box(109, 35, 110, 36))]
    communities = [C, B, A]  # not in code order; the last grid's community is not given: ignored
    pts = [Point(a0 + i / 16, 34.75 + j / 16) for i in range(-4, 21) for j in range(0, 21)]
    pts += [Point(a1 - 2 ** -21, 35.3), Point(a1 - 2 ** -22, 35.4), Point(a1, 35.5), Point(a1 - 2 ** -21, 35.5)]
    got = _many(pts, communities, grids)
    assert got == _one_by_one(pts, communities, grids)
    by_point = dict(zip(((p.x, p.y) for p in pts), got, strict=True))
    assert by_point[(109.25, 35.25)] == (A[0], "610202001001001")       # 4-grid corner → smallest
    assert by_point[(109.5, 35.25)] == (A[0], "610202001001004")        # A|B edge → A, covering grid
    assert by_point[(a1 - 2 ** -21, 35.3)] == (A[0], "610202001001002")  # seam → nearest grid of A
    assert by_point[(109.25, 35.75)] == (C[0], None)                   # ungridded community
    assert by_point[(109.75, 35.75)] == (None, None)                   # D is not given: outside
    assert by_point[(110.25, 35.25)] == (None, None)                   # outside


def test_locate_points_equals_the_one_point_rule_on_irregular_units():
    # Voronoi communities, each cut into Voronoi grids by intersection (outlines rounded apart: seams)
    rng = np.random.default_rng(3)
    frame = box(109.0, 35.0, 109.2, 35.15)
    cells = shapely.voronoi_polygons(shapely.multipoints(rng.uniform((109, 35), (109.2, 35.15), (8, 2))),
                                     extend_to=frame)
    communities = [(f"610202001{k + 1:03d}", shapely.intersection(cell, frame))
                   for k, cell in enumerate(shapely.get_parts(cells))]
    grids = []
    for code, unit in communities:
        seeds = shapely.multipoints(shapely.get_coordinates(unit.representative_point()) + rng.normal(0, 0.01, (5, 2)))
        parts = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=unit))
        grids += [(f"{code}{k + 1:03d}", code, shapely.intersection(part, unit)) for k, part in enumerate(parts)]
    pts = list(shapely.points(rng.uniform((108.99, 34.99), (109.21, 35.16), (3000, 2))))
    pts += [Point(x, y) for x, y in shapely.get_coordinates(shapely.boundary([g for *_x, g in grids]))[::3]]
    assert _many(pts, communities, grids) == _one_by_one(pts, communities, grids)


def test_locate_points_without_points_or_units():
    assert [len(a) for a in locate_points([], [], [A[0]], [A[1]], [], [], [])] == [0, 0]
    c, g = locate_points([109.2], [35.2], [], [], [], [], [])
    assert c.tolist() == [-1] and g.tolist() == [-1]
    c, g = locate_points([109.2], [35.2], [A[0]], [A[1]], [], [], [])
    assert c.tolist() == [0] and g.tolist() == [-1]
    with pytest.raises(ValueError):
        locate_points([1.0, 2.0], [1.0], [], [], [], [], [])


def test_locate_points_in_small_batches(monkeypatch):
    """The pairs are tested in batches: a batch of 7 pairs gives the same answer as one batch."""
    from gridapp.geo.locate import _Cells

    grids = [(f"610202001001{k:03d}", A[0], geom) for k, geom in enumerate(
        [box(109.0, 35.0, 109.25, 35.5), box(109.25, 35.0, 109.5, 35.5)], start=1)]
    pts = [Point(109 + i / 32, 34.9 + j / 32) for i in range(0, 34) for j in range(0, 36)]
    whole = _many(pts, [A, B, C, D], grids)
    monkeypatch.setattr(_Cells, "BATCH", 7)
    assert _many(pts, [A, B, C, D], grids) == whole == _one_by_one(pts, [A, B, C, D], grids)
