"""Grid editing geometry (pure): split in two along a line, split in four, merge, move a shared edge.

Every operation returns pieces whose union is exactly the union of its inputs (the cut lines are
noded into both sides, so neighbours share identical edge coordinates) — the community stays
tiled. Shapes are lon/lat (SRID 4326) shapely geometries. Errors raise ValueError with a message
fit for the user.
"""
from __future__ import annotations

import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from .shapes import force_2d_multipolygon

#: degrees (≈ 1 cm): two grids are adjacent when they share more than this length of boundary.
ADJACENT_DEG = 1e-7


def _pieces(region: BaseGeometry, line: BaseGeometry) -> list[Polygon]:
    """Faces of ``region`` cut by ``line`` (noded together with the region's boundary)."""
    parts = list(shapely.get_parts(shapely.get_parts(region.boundary))) + list(shapely.get_parts(line))
    lines = shapely.node(shapely.multilinestrings(parts))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    return [f for f in faces if region.contains(f.representative_point())]


def split_along(grid: BaseGeometry, line: LineString) -> list[MultiPolygon]:
    """Split a grid in two along a drawn ``line`` (lon/lat) that crosses it from edge to edge.

    Returns two MultiPolygons (larger first). Raises ValueError when the line does not cut the
    grid into exactly two parts.
    """
    faces = _pieces(grid, line)
    if len(faces) != 2:
        raise ValueError(f"the line must cut the grid into exactly 2 parts, it gives {len(faces)}")
    faces.sort(key=lambda f: -f.area)
    return [force_2d_multipolygon(f) for f in faces]


def split_in_four(grid: BaseGeometry) -> list[MultiPolygon]:
    """Split a grid in four by the north-south and east-west lines through its centroid.

    Faces are grouped by quadrant (NW, NE, SW, SE by their representative point). Raises ValueError
    when a quadrant is empty (a very thin or ring-shaped grid).
    """
    c = grid.centroid
    minx, miny, maxx, maxy = grid.bounds
    cross = shapely.union_all([LineString([(c.x, miny - 1), (c.x, maxy + 1)]),
                               LineString([(minx - 1, c.y), (maxx + 1, c.y)])])
    quadrants: dict[tuple[bool, bool], list] = {}
    for face in _pieces(grid, cross):
        p = face.representative_point()
        quadrants.setdefault((p.y < c.y, p.x >= c.x), []).append(face)
    if len(quadrants) != 4:
        raise ValueError("the grid cannot be split in four through its centroid")
    return [force_2d_multipolygon(shapely.coverage_union_all(quadrants[k])) for k in sorted(quadrants)]


def shared_length(a: BaseGeometry, b: BaseGeometry) -> float:
    """Length (degrees) of the boundary ``a`` and ``b`` share, within ADJACENT_DEG."""
    return float(shapely.length(shapely.intersection(a.boundary, b.buffer(ADJACENT_DEG))))


def merge(grids: list[BaseGeometry]) -> MultiPolygon:
    """Union of adjacent grids (each shares an edge with another of them) as one MultiPolygon.

    Raises ValueError for fewer than 2 grids or when they are not connected by shared edges.
    """
    if len(grids) < 2:
        raise ValueError("merge needs at least 2 grids")
    joined, todo = [grids[0]], list(grids[1:])
    while todo:
        nxt = next((g for g in todo if any(shared_length(g, j) > ADJACENT_DEG * 10 for j in joined)), None)
        if nxt is None:
            raise ValueError("the grids are not adjacent: they must share edges")
        joined.append(nxt)
        todo.remove(nxt)
    merged = shapely.union_all(grids)
    return force_2d_multipolygon(merged)


def move_edge(a: BaseGeometry, b: BaseGeometry, line: LineString) -> tuple[MultiPolygon, MultiPolygon]:
    """Redraw the shared edge of adjacent grids ``a`` and ``b`` along ``line``.

    ``line`` crosses ``a ∪ b`` from outline to outline; every face of the union cut by it goes to
    the grid it overlaps most. Returns the new (a, b). Raises ValueError when the grids are not
    adjacent, or the line leaves one of them empty or changes nothing.
    """
    if shared_length(a, b) <= ADJACENT_DEG * 10:
        raise ValueError("the two grids do not share an edge")
    union = shapely.union_all([a, b])
    faces = _pieces(union, line)
    if len(faces) < 2:
        raise ValueError("the line must cross both grids from outline to outline")
    mine_a = [f for f in faces if shapely.area(f.intersection(a)) >= shapely.area(f.intersection(b))]
    mine_b = [f for f in faces if f not in mine_a]
    if not mine_a or not mine_b:
        raise ValueError("the new edge would leave one grid empty")
    new_a = force_2d_multipolygon(shapely.coverage_union_all(mine_a))
    new_b = force_2d_multipolygon(shapely.coverage_union_all(mine_b))
    if new_a.equals(a):
        raise ValueError("the line does not move the edge")
    return new_a, new_b
