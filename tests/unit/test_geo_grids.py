"""Pure tests of gridapp.geo.grids: allocation, generation, numbering and codes."""
from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gridapp.geo import allocate, area_m2, generate_grids, grid_code, number_grids, tiles, tiling_errors, to_metric

SQUARE = box(109.05, 35.05, 109.07, 35.07)
L_SHAPE = Polygon([(109.0, 35.0), (109.03, 35.0), (109.03, 35.01), (109.01, 35.01),
                   (109.01, 35.03), (109.0, 35.03)])


# --------------------------------------------------------------------------- allocate
def test_allocate_sums_exactly_and_is_proportional():
    weights = {"a": 3.0, "b": 2.0, "c": 1.0}
    assert allocate(12, weights) == {"a": 6, "b": 4, "c": 2}
    result = allocate(100, weights)
    assert sum(result.values()) == 100
    assert result == {"a": 50, "b": 33, "c": 17}  # quotas 50, 33.3, 16.7: the largest remainder wins


def test_allocate_respects_the_minimum():
    result = allocate(20, {"big": 1000.0, "tiny": 0.001, "mid": 10.0}, minimum=2)
    assert result["tiny"] == 2 and sum(result.values()) == 20
    assert result["big"] > result["mid"] >= 2


def test_allocate_breaks_ties_by_key_and_is_order_independent():
    assert allocate(4, {"b": 1.0, "a": 1.0, "c": 1.0}) == {"a": 2, "b": 1, "c": 1}
    assert allocate(4, {"c": 1.0, "a": 1.0, "b": 1.0}) == {"a": 2, "b": 1, "c": 1}


def test_allocate_hamilton_quota_rule():
    weights = {f"k{i:02d}": float(w) for i, w in enumerate([7, 13, 1, 29, 3, 11, 5, 17, 2, 19])}
    total, wsum = 261, sum(weights.values())
    result = allocate(total, weights, minimum=0)
    assert sum(result.values()) == total
    for key, w in weights.items():  # each count is its quota rounded down or up
        assert math.floor(total * w / wsum) <= result[key] <= math.ceil(total * w / wsum)


@pytest.mark.parametrize("total, weights, minimum", [
    (2, {"a": 1.0, "b": 1.0, "c": 1.0}, 1),   # fewer than the minimum per key
    (5, {}, 1),                                 # no keys
    (5, {"a": 1.0, "b": 0.0}, 1),               # non-positive weight
    (5, {"a": 1.0, "b": -1.0}, 1),
    (5, {"a": 1.0, "b": float("nan")}, 1),
    (5, {"a": 1.0}, -1),
    (5.5, {"a": 1.0}, 1),
])
def test_allocate_errors(total, weights, minimum):
    with pytest.raises(ValueError):
        allocate(total, weights, minimum)


# --------------------------------------------------------------------------- generate_grids
def assert_good_grids(cells, polygon, n, min_isoperimetric=0.5):
    """Exact count; single valid 2-D polygons; exact tiling; compact cells of similar area."""
    assert len(cells) == n
    assert all(isinstance(c, Polygon) and c.is_valid and not c.is_empty and not c.has_z for c in cells)
    err = tiling_errors(cells, polygon)
    assert err.overlap_m2 + err.gap_m2 + err.excess_m2 <= 1e-9 * err.whole_m2
    assert tiles(cells, polygon)
    areas = np.array([area_m2(c) for c in cells])
    assert areas.sum() == pytest.approx(area_m2(polygon), rel=1e-9)
    assert areas.max() < 3 * areas.mean() and areas.min() > areas.mean() / 3
    metric = [to_metric(c) for c in cells]
    assert min(4 * math.pi * m.area / m.length ** 2 for m in metric) > min_isoperimetric
    # neighbours share edges with identical coordinates, and the outline keeps its own vertices
    assert shapely.coverage_is_valid(np.array(cells, dtype=object))
    own = {tuple(xy) for xy in shapely.get_coordinates(polygon)}
    assert own <= {tuple(xy) for xy in shapely.get_coordinates(np.array(cells, dtype=object))}


@pytest.mark.parametrize("n", [1, 2, 9, 30])
def test_generate_grids_on_a_square(n):
    assert_good_grids(generate_grids(SQUARE, n), SQUARE, n)


@pytest.mark.parametrize("n", [2, 5, 12, 40])
def test_generate_grids_on_an_l_shape(n):
    assert_good_grids(generate_grids(L_SHAPE, n), L_SHAPE, n)


def test_generate_grids_on_a_multipolygon_splits_by_area():
    multi = MultiPolygon([SQUARE, box(109.08, 35.05, 109.09, 35.06)])  # areas 4 : 1
    cells = generate_grids(multi, 10)
    assert_good_grids(cells, multi, 10)
    assert sum(1 for c in cells if c.within(SQUARE)) == 8


def test_generate_grids_drops_z_and_is_deterministic():
    square_z = Polygon([(x, y, 7.0) for x, y in SQUARE.exterior.coords])
    first, second = generate_grids(square_z, 7), generate_grids(square_z, 7)
    assert [c.wkb for c in first] == [c.wkb for c in second]
    assert not any(c.has_z for c in first)


@pytest.mark.parametrize("polygon, n", [
    (SQUARE, 0),
    (SQUARE, -3),
    (SQUARE, 2.0),
    (Polygon(), 3),
    (Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)]), 3),  # bow-tie: invalid
    (Point(109.0, 35.0), 3),
    (MultiPolygon([SQUARE, box(109.08, 35.05, 109.09, 35.06)]), 1),  # 2 parts, 1 grid
])
def test_generate_grids_errors(polygon, n):
    with pytest.raises(ValueError):
        generate_grids(polygon, n)


# --------------------------------------------------------------------------- numbering and codes
def test_number_grids_rows_north_to_south_west_to_east():
    size = 0.01
    lattice = {(row, col): box(109 + col * size, 35.03 - (row + 1) * size, 109 + (col + 1) * size, 35.03 - row * size)
               for row in range(3) for col in range(3)}  # row 0 is the northern row
    shuffled_keys = [(2, 1), (0, 2), (1, 0), (0, 0), (2, 2), (1, 2), (2, 0), (0, 1), (1, 1)]
    cells = [lattice[k] for k in shuffled_keys]
    order = number_grids(cells)
    assert [shuffled_keys[i] for i in order] == [(r, c) for r in range(3) for c in range(3)]


def test_number_grids_tolerates_ragged_rows_and_generated_cells():
    assert number_grids([]) == []
    cells = generate_grids(SQUARE, 16)
    order = number_grids(cells)
    assert sorted(order) == list(range(16))
    first, last = cells[order[0]].centroid, cells[order[-1]].centroid
    assert first.y > last.y  # numbering starts in the north-west and ends in the south-east
    assert first.x < last.x


def test_grid_code():
    assert grid_code("610202001001", 1) == "610202001001001"
    assert grid_code("610202001001", 261) == "610202001001261"
    assert grid_code("610202001001", 999) == "610202001001999"


@pytest.mark.parametrize("code, seq", [
    ("610202001001", 0), ("610202001001", 1000), ("610202001001", True), ("610202001001", 1.0),
    ("61020200100", 1), ("6102020010011", 1), ("61020200100a", 1), ("６１０２０２００１００１", 1), (610202001001, 1),
])
def test_grid_code_errors(code, seq):
    with pytest.raises(ValueError):
        grid_code(code, seq)


def test_generate_grids_gives_split_cells_away_on_a_comb():
    # a comb: Voronoi cells straddle the teeth, so clipped cells fall apart and must be merged
    comb = shapely.union_all([box(109.0, 35.0, 109.04, 35.004)] +
                             [box(109.0 + i * 0.008, 35.0, 109.004 + i * 0.008, 35.03) for i in range(6)])
    cells = generate_grids(comb, 7)
    assert len(cells) == 7 and all(isinstance(c, Polygon) and c.is_valid for c in cells)
    err = tiling_errors(cells, comb)
    assert err.overlap_m2 + err.gap_m2 + err.excess_m2 <= 1e-9 * err.whole_m2
    assert shapely.coverage_is_valid(np.array(cells, dtype=object))
