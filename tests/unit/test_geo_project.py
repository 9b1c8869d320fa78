"""Pure tests of gridapp.geo.project: metric projection, areas in m², tiling checks."""
from __future__ import annotations

import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gridapp.geo import LocalProjection, area_m2, tiles, tiling_errors, to_lonlat, to_metric

TOWN = box(109.05, 35.05, 109.08, 35.08)  # about 2.7 km × 3.3 km in 王益区


def geodesic_area(geom) -> float:
    """Ellipsoidal area of lon/lat ``geom`` with edges densified (independent reference)."""
    area, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shapely.segmentize(geom, 1e-4))
    return abs(area)


def test_area_m2_matches_the_geodesic_area():
    assert area_m2(TOWN) == pytest.approx(geodesic_area(TOWN), rel=1e-6)


def test_area_m2_is_additive_for_parts_sharing_edges():
    left, right = box(109.05, 35.05, 109.0625, 35.08), box(109.0625, 35.05, 109.08, 35.08)
    assert area_m2(left) + area_m2(right) == pytest.approx(area_m2(TOWN), rel=1e-9)


def test_area_m2_of_empty_is_zero():
    assert area_m2(Polygon()) == 0.0


def test_round_trip_to_metric_and_back_is_sub_millimetre():
    proj = LocalProjection.around(TOWN)
    back = to_lonlat(to_metric(TOWN, proj), proj)
    assert shapely.hausdorff_distance(back, TOWN) < 1e-8  # degrees, i.e. about 1 mm


def test_metric_distances_are_metres():
    proj = LocalProjection.around(TOWN)
    a, b = to_metric(Point(109.05, 35.05), proj), to_metric(Point(109.05, 35.06), proj)
    geod_dist = pyproj.Geod(ellps="WGS84").inv(109.05, 35.05, 109.05, 35.06)[2]
    assert a.distance(b) == pytest.approx(geod_dist, rel=1e-5)


def test_projection_centre_is_deterministic_and_rejects_empty():
    assert LocalProjection.around(TOWN) == LocalProjection.around(TOWN.reverse())
    with pytest.raises(ValueError):
        LocalProjection.around(Polygon())


def test_tiles_accepts_an_exact_tiling_and_reports_zero_errors():
    parts = [box(109.05, 35.05, 109.0625, 35.08), box(109.0625, 35.05, 109.08, 35.08)]
    err = tiling_errors(parts, TOWN)
    assert err.overlap_m2 == err.gap_m2 == err.excess_m2 == 0.0
    assert err.whole_m2 == pytest.approx(area_m2(TOWN))
    assert tiles(parts, TOWN)
    assert tiles([MultiPolygon(parts)], TOWN)


def test_tiling_errors_measure_overlap_gap_and_excess_in_m2():
    overlapping = [box(109.05, 35.05, 109.07, 35.08), box(109.06, 35.05, 109.08, 35.08)]
    err = tiling_errors(overlapping, TOWN)
    assert err.overlap_m2 == pytest.approx(area_m2(box(109.06, 35.05, 109.07, 35.08)), rel=1e-3)
    assert not tiles(overlapping, TOWN)

    gapped = [box(109.05, 35.05, 109.06, 35.08), box(109.07, 35.05, 109.08, 35.08)]
    err = tiling_errors(gapped, TOWN)
    assert err.gap_m2 == pytest.approx(area_m2(box(109.06, 35.05, 109.07, 35.08)), rel=1e-3)
    assert not tiles(gapped, TOWN)

    spilling = [box(109.05, 35.05, 109.09, 35.08)]
    assert tiling_errors(spilling, TOWN).excess_m2 > 0
    assert not tiles(spilling, TOWN)


def test_tiles_tolerance_is_relative():
    almost = [box(109.05, 35.05, 109.08, 35.07999)]  # misses a 1 m strip: ~3e-4 of the area
    assert tiles(almost, TOWN, rel_tol=1e-3)
    assert not tiles(almost, TOWN, rel_tol=1e-4)
