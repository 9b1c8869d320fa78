"""Grid editing: generate, split (along a line or in four), merge, move a shared edge.

Each edit is one transaction that keeps the community tiled; otherwise nothing is written. Two
checks: the new grids cover exactly what the edit replaces — the community for ``generate``, the
replaced grids otherwise — with no overlap, gap or excess above :data:`gridapp.geo.validate.NOISE_M2`
(0.01 m²; issue 24); and the whole community is still tiled (:func:`gridapp.geo.tiles`, which
tolerates the imperfection an imported tiling may already have). Grid codes are stable
identifiers: an edit retires the codes of the grids it replaces and issues new ones after the
highest sequence the community ever had (:func:`gridapp.boundaries.import_areas.next_sequence`), in
numbering order (west→east, north→south); the lineage old → new is kept (:class:`GridLineage`,
one row per old/new pair that overlap). In the same transaction the incidents of the replaced grids
move to their new grid by the location rule (``grid_code`` only) and grid workers assigned to a
replaced grid are assigned to each new grid that overlaps it.

Who may edit: an admin, or a district user for the communities of their district.
"""
from __future__ import annotations

import math

import shapely
from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import shape
from sqlalchemy import delete, select, update

from .. import geo
from ..accounts.audit import record
from ..core.clock import utcnow
from ..core.errors import BadInput, Forbidden, NotFound, Unprocessable
from ..core.scope import area_location, contains
from ..extensions import db
from ..geo import edit as geoedit
from ..geo.validate import NOISE_M2
from ..models import AdminArea, Grid, GridAssignment, GridEdit, GridLineage, GroupGrid, PartyMember, User, WorkerGrid
from .import_areas import next_sequence
from .moves import relocate
from .rules import GRID_EDITORS, GRID_SEQUENCE_MAX, MOVE_NOTES

#: the tiling an edit must keep: overlaps + gaps + excess ≤ this share of the community's area.
TILING_TOLERANCE = 1e-6


def _community(user: User, code: str) -> AdminArea:
    area = db.session.get(AdminArea, code)
    if area is None or area.level != "community":
        raise NotFound(_("社区 %(code)s 不存在", code=code), code="no_such_community")
    if user.role not in GRID_EDITORS or not contains(user, area_location(area)):
        raise Forbidden(_("只有系统管理员或区级用户可以编辑网格"), code="forbidden")
    return area


def _grids(user: User, codes: list[str]) -> tuple[AdminArea, list[Grid]]:
    if not codes or not all(isinstance(c, str) for c in codes):
        raise BadInput(_("请给出网格代码"), code="invalid_grids")
    grids = [db.session.get(Grid, c) for c in codes]
    missing = [c for c, g in zip(codes, grids, strict=True) if g is None]
    if missing:
        raise NotFound(_("网格 %(codes)s 不存在", codes=", ".join(missing)), code="no_such_grid")
    communities = {g.community_code for g in grids}
    if len(communities) != 1:
        raise BadInput(_("网格必须属于同一个社区"), code="invalid_grids")
    return _community(user, communities.pop()), grids


def parse_line(value) -> shapely.LineString:
    """A GeoJSON LineString (dict) in lon/lat; BadInput otherwise."""
    try:
        line = shape(value)
    except (TypeError, ValueError, KeyError, AttributeError):
        line = None
    if line is None or line.geom_type != "LineString" or line.is_empty:
        raise BadInput(_("line 必须是 GeoJSON LineString（经纬度）"), code="invalid_line")
    return line


def _apply(user: User, community: AdminArea, operation: str, old: list[Grid], pieces: list,
           preview: bool = False) -> dict:
    """Replace ``old`` grids by ``pieces`` (lon/lat geometries) in one transaction; see module doc.
    ``preview``: do everything, report it, then roll back (``committed`` false)."""
    old_shapes = {g.code: to_shape(g.geom) for g in old}
    replaced = to_shape(community.geom) if operation == "generate" else shapely.union_all(list(old_shapes.values()))
    _check_exact(pieces, replaced)
    start = next_sequence(community.code)
    order = geo.number_grids(pieces)
    new_codes = [None] * len(pieces)
    for seq, i in enumerate(order, start=start):
        new_codes[i] = geo.grid_code(community.code, seq)
    edit = GridEdit(operation=operation, community_code=community.code, district_code=community.district_code,
                    user_id=user.id)
    db.session.add(edit)
    for code, piece in zip(new_codes, pieces, strict=True):
        db.session.add(Grid(code=code, name=f"{community.name}{int(code[-3:])}号网格", community_code=community.code,
                            district_code=community.district_code,
                            geom=from_shape(geo.force_2d_multipolygon(piece), srid=4326)))
    db.session.flush()
    overlap = {(o, n): area for o, og in old_shapes.items() for n, ng in zip(new_codes, pieces, strict=True)
               if (area := shapely.area(shapely.intersection(og, ng))) > 0}
    pairs = sorted(overlap)
    edit.lineage = [GridLineage(old_code=o, new_code=n) for o, n in pairs]
    db.session.flush()
    _move_references(overlap)
    # the cases, disputes and places leave the old grids before they go, each with a history row
    moved = relocate([community.code], actor_id=user.id, at=utcnow(), cause={"grid_edit": edit.id},
                     label=MOVE_NOTES["grid_edit"].format(id=edit.id), leaving=list(old_shapes))
    db.session.execute(delete(Grid).where(Grid.code.in_(list(old_shapes))))
    db.session.flush()
    _check_tiled(community)
    result = {"edit_id": edit.id, "operation": operation, "community_code": community.code,
              "retired": sorted(old_shapes), "issued": sorted(new_codes), "lineage": sorted(pairs),
              "moved": moved, "committed": not preview}
    if preview:  # nothing of the edit is kept; its audit row is (written below, in a transaction of its own)
        db.session.rollback()
    record(user, "grid_edit", "grid_edit", None if preview else result["edit_id"], community.code, operation=operation,
           retired=result["retired"], issued=result["issued"], moved=len(moved), preview=preview)
    db.session.commit()
    return result


def _move_references(overlap: dict[tuple[str, str], float]) -> None:
    """Move what points at the old grids to the new ones, in the edit's transaction.

    ``overlap``: {(old code, new code): shared area}. Grid assignments of logins and of roster
    grid workers go to every new grid made from their old grid; a primary grid's role goes to the
    new grid that took most of it. A party group keeps the new grids that took most of one of
    its grids; a party member moves to the new grid that took most of their old grid.
    """
    old_codes = sorted({o for o, _n in overlap})
    largest_new = {o: max((n for oo, n in overlap if oo == o), key=lambda n, o=o: overlap[(o, n)]) for o in old_codes}
    by_new: dict[str, list[str]] = {}
    for o, n in sorted(overlap, key=lambda pair: -overlap[pair]):
        by_new.setdefault(n, []).append(o)
    for model, owner in ((GridAssignment, "user_id"), (WorkerGrid, "worker_id")):
        rows = db.session.execute(select(getattr(model, owner), model.grid_code, model.is_primary)
                                  .where(model.grid_code.in_(old_codes))).all()
        moved: dict[tuple[int, str], bool] = {}
        for who, old, primary in rows:
            for o, n in overlap:
                if o == old:
                    moved[(who, n)] = moved.get((who, n), False) or (primary and n == largest_new[o])
        db.session.execute(delete(model).where(model.grid_code.in_(old_codes)))
        db.session.flush()
        db.session.add_all(model(**{owner: who}, grid_code=n, is_primary=p) for (who, n), p in moved.items())
    groups = dict(db.session.execute(select(GroupGrid.grid_code, GroupGrid.group_id)
                                     .where(GroupGrid.grid_code.in_(old_codes))).all())
    db.session.execute(delete(GroupGrid).where(GroupGrid.grid_code.in_(old_codes)))
    db.session.flush()
    db.session.add_all(GroupGrid(grid_code=n, group_id=next(groups[o] for o in olds if o in groups))
                       for n, olds in by_new.items() if any(o in groups for o in olds))
    for o, n in largest_new.items():
        db.session.execute(update(PartyMember).where(PartyMember.grid_code == o).values(grid_code=n))
    db.session.flush()


def _check_exact(pieces: list, replaced) -> None:
    err = geo.tiling_errors(pieces, replaced)
    if max(err.overlap_m2, err.gap_m2, err.excess_m2) > NOISE_M2:
        raise Unprocessable(
            _("编辑产生的网格与原范围不一致（重叠 %(o).2f m²，缺口 %(g).2f m²，超出 %(e).2f m²），未保存",
              o=err.overlap_m2, g=err.gap_m2, e=err.excess_m2), code="not_tiled")


def _check_tiled(community: AdminArea) -> None:
    grids = [to_shape(g) for g in db.session.scalars(select(Grid.geom).where(Grid.community_code == community.code))]
    whole = to_shape(community.geom)
    if not geo.tiles(grids, whole, rel_tol=TILING_TOLERANCE):
        db.session.rollback()
        err = geo.tiling_errors(grids, whole)
        raise Unprocessable(_("编辑后社区未被网格完整覆盖（重叠 %(o).1f m²，缺口 %(g).1f m²，超出 %(e).1f m²），未保存",
                              o=err.overlap_m2, g=err.gap_m2, e=err.excess_m2), code="not_tiled")


def _geometry_error(err: ValueError) -> BadInput:
    return BadInput(_("无法编辑网格：%(reason)s", reason=str(err)), code="invalid_edit")


def split_grid(user: User, code: str, line=None, preview: bool = False) -> dict:
    """Split grid ``code`` in two along ``line`` (GeoJSON LineString, lon/lat), or in four through
    its centroid when ``line`` is None. Returns {"edit_id", "operation", "community_code",
    "retired": [codes], "issued": [codes], "lineage": [[old, new], ...], "moved": [{"table",
    "id", "from_grid", "to_grid"}] (each with its "moved" history row), "committed"}. One
    transaction, audited (action ``grid_edit``); ``preview``: the same report, nothing kept.
    Raises NotFound, Forbidden, BadInput (bad line / cut), Unprocessable (community not tiled)."""
    community, [grid] = _grids(user, [code])
    shape_ = to_shape(grid.geom)
    try:
        pieces = geoedit.split_in_four(shape_) if line is None else geoedit.split_along(shape_, parse_line(line))
    except ValueError as err:
        raise _geometry_error(err) from None
    return _apply(user, community, "split", [grid], pieces, preview)


def merge_grids(user: User, codes: list[str], preview: bool = False) -> dict:
    """Merge adjacent grids of one community into one new grid (same result shape as
    :func:`split_grid`)."""
    community, grids = _grids(user, list(dict.fromkeys(codes or [])))
    try:
        merged = geoedit.merge([to_shape(g.geom) for g in grids])
    except ValueError as err:
        raise _geometry_error(err) from None
    return _apply(user, community, "merge", grids, [merged], preview)


def move_edge(user: User, codes: list[str], line, preview: bool = False) -> dict:
    """Move the shared edge of two adjacent grids to ``line`` (GeoJSON LineString crossing both
    from outline to outline); both grids get new codes."""
    if not isinstance(codes, list) or len(codes) != 2:
        raise BadInput(_("移动边界需要两个相邻网格的代码"), code="invalid_grids")
    community, grids = _grids(user, codes)
    try:
        a, b = geoedit.move_edge(to_shape(grids[0].geom), to_shape(grids[1].geom), parse_line(line))
    except ValueError as err:
        raise _geometry_error(err) from None
    return _apply(user, community, "move_edge", grids, [a, b], preview)


def generate(user: User, community_code: str, n=None, target_households=None, target_area_m2=None,
             preview: bool = False) -> dict:
    """Replace all grids of a community by ``n`` generated grids (centroidal Voronoi,
    :func:`gridapp.geo.generate_grids`), or as many as the community's households (sum of its grids')
    / ``target_households``, or its area in m² / ``target_area_m2`` (rounded up, ≥ 1; at most
    :data:`gridapp.boundaries.rules.GRID_SEQUENCE_MAX`). Same result shape as :func:`split_grid`.
    Raises NotFound, Forbidden, BadInput ``invalid_edit`` (no usable count)."""
    community = _community(user, community_code)
    old = list(db.session.scalars(select(Grid).where(Grid.community_code == community.code)))
    whole = to_shape(community.geom)
    try:
        if n is None and target_households:
            total = sum(g.households or 0 for g in old)
            if total <= 0:
                raise ValueError("the community's grids carry no households")
            n = math.ceil(total / float(target_households))
        elif n is None and target_area_m2:
            n = math.ceil(geo.area_m2(whole) / float(target_area_m2))
        n = int(n) if n is not None else 0
        if not 1 <= n <= GRID_SEQUENCE_MAX:
            raise ValueError(f"give n (1–{GRID_SEQUENCE_MAX}), target_households or target_area_m2")
        pieces = geo.generate_grids(whole, n)
    except (TypeError, ValueError) as err:
        raise _geometry_error(ValueError(str(err))) from None
    return _apply(user, community, "generate", old, pieces, preview)


def renumber(user: User, community_code: str, preview: bool = False) -> dict:
    """Renumber a community's grids (the explicit act): every grid keeps its shape and gets a new
    code in numbering order (west→east, north→south) after the highest sequence the community ever
    had; old codes are retired with a 1:1 lineage. Same result shape as :func:`split_grid`."""
    community = _community(user, community_code)
    old = list(db.session.scalars(select(Grid).where(Grid.community_code == community.code).order_by(Grid.code)))
    if not old:
        raise BadInput(_("该社区没有网格"), code="invalid_grids")
    return _apply(user, community, "renumber", old, [to_shape(g.geom) for g in old], preview)
