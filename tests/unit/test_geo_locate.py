"""Pure tests of the point → unit rule (gridapp.geo.locate).

Four unit squares meet at (109.5, 35.5); all coordinates are multiples of 0.5, exactly representable
in binary, so "on the edge" and "at the corner" are exact:

    35.5–36 | C 003 | D 004 |
    35–35.5 | A 001 | B 002 |
              109–109.5  109.5–110
"""
from __future__ import annotations

import pytest
from shapely.geometry import Point, box

from gridapp.geo import locate_in, nearest_in

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
