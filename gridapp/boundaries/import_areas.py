"""Importing boundaries (district, township, community/village, grid): match each feature to the
hierarchy, check and fit its geometry, write (rules of matching in :mod:`gridapp.boundaries.imports`)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import func, select

from .. import geo
from ..codes import short_name
from ..core.clock import utcnow
from ..extensions import db
from ..geo import io as geoio
from ..geo.validate import check_geometry, fit_children
from ..models import AdminArea, Grid, GridLineage
from .import_options import ImportOptions, Report, parent_area
from .moves import relocate
from .rules import CODE_FIELDS, CODE_LENGTH, IMPORT_SNAP_DEG, MOVE_NOTES, NAME_FIELDS


@dataclass
class _Item:
    index: int
    code: str | None
    name: str | None
    geom: object
    existing: bool = False
    community: str | None = None


def _prop(props: dict, wanted: str | None, candidates) -> tuple[str | None, bool]:
    """(value as text or None, whether the field exists)."""
    keys = [wanted] if wanted else [c for c in candidates if c in props][:1]
    for key in keys:
        if key in props:
            value = props[key]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            value = None if value is None else str(value).strip() or None
            return value, True
    return None, False


def _full_code(raw: str, parent: AdminArea | None, length: int) -> str | None:
    if not raw.isascii() or not raw.isdigit():
        return None
    if parent is not None and len(raw) <= 3 and len(parent.code) + 3 == length:
        return parent.code + raw.zfill(3)
    if len(raw) == length and (parent is None or raw.startswith(parent.code[:min(len(parent.code), length)])):
        return raw
    return None


def _read(data, filename, options, report) -> list[geoio.RawFeature]:
    result = geoio.read_features(data, filename, crs=options.crs, gcj02=options.gcj02, extent=options.extent,
                                 encoding=options.encoding, layer=options.layer)
    for wanted in (options.code_field, options.name_field):
        _require_field(result.features, wanted)
    report.notes.extend(result.notes)
    if result.declared_crs:
        report.notes.append(f"CRS: {result.declared_crs}")
    return result.features


def _require_field(features, wanted: str | None) -> None:
    """Raise ReadError listing the file's fields when a field the import was told to use is in no
    feature — naming the dBase truncation (10 characters) when that is the cause."""
    if not wanted or not features or any(wanted in f.properties for f in features):
        return
    fields = sorted({k for f in features for k in f.properties})
    cut = [k for k in fields if len(wanted) > 10 and k == wanted[:10]]
    hint = f" — a Shapefile cuts field names to 10 characters: use {cut[0]!r}" if cut else ""
    raise geoio.ReadError(f"the file has no field {wanted!r}{hint}; its fields: {', '.join(fields)}")


def import_boundaries(data, filename, options: ImportOptions, report: Report) -> None:
    parent = parent_area(options)
    features = _read(data, filename, options, report)
    level, length = options.level, CODE_LENGTH[options.level]
    has_code_field = options.code_field is not None or any(
        _prop(f.properties, None, CODE_FIELDS)[1] for f in features)
    issue_codes = level == "grid" and not has_code_field
    siblings = _existing_children(level, parent)
    by_name = {short_name(a.name): a.code for a in siblings.values() if isinstance(a, AdminArea)}
    items, seen = [], {}
    for f in features:
        raw_code, _exists = _prop(f.properties, options.code_field, CODE_FIELDS)
        name, _n = _prop(f.properties, options.name_field, NAME_FIELDS)
        label = raw_code or name
        geom, fixes, error = (None, [], f.error) if f.error else check_geometry(f.geometry, options.repair)
        code = None
        if not error and not issue_codes:
            code, error = _match_code(raw_code, name, parent, level, length, by_name)
        if not error and code in seen:
            error = f"duplicate code {code} (also feature {seen[code]})"
        if error:
            report.refuse(f.index, code or label, name, error)
            continue
        if code:
            seen[code] = f.index
        for fix in fixes:
            report.repaired.append({"index": f.index, "code": code or label, "name": name, "fix": fix})
        items.append(_Item(f.index, code, name or raw_code, geom))
    if report.refused:
        return
    if level == "grid":
        _place_grids(items, parent, issue_codes, report)
    else:
        _check_existing(items, level, parent, report)
    if report.refused:
        return
    _fit(items, level, parent, options, report)
    if report.refused:
        return
    _write(items, level, parent, report)


def _existing_children(level: str, parent: AdminArea | None) -> dict:
    if level == "grid" or parent is None:
        return {}
    return {a.code: a for a in db.session.scalars(select(AdminArea).where(AdminArea.parent_code == parent.code))}


def _match_code(raw_code, name, parent, level, length, by_name) -> tuple[str | None, str | None]:
    where = parent.code if parent is not None else "-"
    if raw_code:
        code = _full_code(raw_code, parent, length)
        if code is None:
            return None, f"code {raw_code} is not a {length}-digit {level} code under {where}"
        return code, None
    if name and level != "grid" and short_name(name) in by_name:
        return by_name[short_name(name)], None
    if name:
        return None, f"no code, and the name {name} matches no {level} under {where}"
    return None, "missing code (no code and no name)"


def _check_existing(items, level, parent, report) -> None:
    for item in items:
        area = db.session.get(AdminArea, item.code)
        if area is None:
            continue
        if area.level != level or (parent is not None and area.parent_code != parent.code):
            report.refuse(item.index, item.code, item.name,
                          f"code {item.code} is a {area.level} under {area.parent_code} in the hierarchy, "
                          f"not a {level} under {parent.code if parent else '-'}")
        elif item.name and item.name != item.code and short_name(item.name) not in (
                short_name(area.name), short_name(area.official_name)):
            report.refuse(item.index, item.code, item.name,
                          f"code {item.code} is {area.name} in the hierarchy, the file says {item.name}")
        item.existing = True


def _communities_under(parent: AdminArea) -> dict[str, AdminArea]:
    if parent.level == "community":
        return {parent.code: parent}
    cond = (AdminArea.parent_code == parent.code) if parent.level == "township" else \
        (AdminArea.district_code == parent.code)
    return {a.code: a for a in db.session.scalars(select(AdminArea).where(AdminArea.level == "community", cond))}


def _place_grids(items, parent, issue_codes, report) -> None:
    communities = _communities_under(parent)
    if issue_codes:
        codes = list(communities)
        shapes = [to_shape(communities[c].geom) for c in codes]
        tree = shapely.STRtree(shapes)
        for item in items:
            hits = tree.query(item.geom, predicate="intersects")
            areas = [(shapely.area(shapely.intersection(item.geom, shapes[h])), codes[h]) for h in hits]
            best = max(areas, default=(0.0, None))
            if best[0] <= 0:
                report.refuse(item.index, item.name, item.name,
                              f"outside every community of {parent.code}: no community to put the grid in")
            item.community = best[1]
        return
    for item in items:
        item.community = item.code[:12]
        if item.community not in communities:
            report.refuse(item.index, item.code, item.name,
                          f"grid code {item.code}: community {item.community} is not a community under {parent.code}")
            continue
        item.existing = db.session.get(Grid, item.code) is not None


def _fit(items, level, parent, options, report) -> None:
    groups: dict = defaultdict(list)
    for item in items:
        groups[item.community if level == "grid" else (parent.code if parent else None)].append(item)
    for key, group in groups.items():
        if level == "grid":
            container = db.session.get(AdminArea, key)
            fixed = {g.code: to_shape(g.geom) for g in db.session.scalars(
                select(Grid).where(Grid.community_code == key)) if g.code not in {i.code for i in group}}
        else:
            container = parent
            fixed = {a.code: to_shape(a.geom) for a in _existing_children(level, parent).values()
                     if a.code not in {i.code for i in group}}
        container_geom = to_shape(container.geom) if container is not None else None
        keyed = {i.index: i for i in group}
        _snap_to_stored(group, level, key, container_geom, fixed)
        result = fit_children(container_geom, {i.index: i.geom for i in group}, fixed,
                              repair=options.repair, tol_m=options.tolerance_m, cover=container is not None)
        for idx, reason in result.errors.items():
            it = keyed[idx]
            report.refuse(idx, it.code or it.name, it.name, _sibling_names(reason, keyed))
        for reason in result.gaps:
            report.refuse(None, container.code, container.name, reason)
        for idx, fixes in result.fixes.items():
            it = keyed[idx]
            report.repaired.extend({"index": idx, "code": it.code or it.name, "name": it.name,
                                    "fix": _sibling_names(f, keyed)} for f in fixes)
        for idx, geom in result.geoms.items():
            keyed[idx].geom = geom


def _snap_to_stored(group, level: str, key, container_geom, fixed: dict) -> None:
    """Give back the stored geometry's exact vertices to imported ones within
    :data:`~gridapp.boundaries.rules.IMPORT_SNAP_DEG` of them (the rounding of our own export, 6
    decimals): the parent's outline, the siblings that stay, and the stored versions of the areas
    being replaced. So an export → edit → re-import accepts the unchanged features in strict mode and
    repeated round trips do not drift (issue 21); an edit moved farther than that stays as edited."""
    stored = [container_geom] if container_geom is not None else []
    stored += list(fixed.values())
    codes = [i.code for i in group if i.code]
    if level == "grid":
        stored += [to_shape(g) for g in db.session.scalars(select(Grid.geom).where(Grid.code.in_(codes)))]
    elif codes:
        stored += [to_shape(a) for a in db.session.scalars(select(AdminArea.geom).where(AdminArea.code.in_(codes)))]
    if not stored:
        return
    vertices = np.unique(shapely.get_coordinates(stored), axis=0)
    tree = shapely.STRtree(shapely.points(vertices))

    def snap(coords):
        near = tree.query_nearest(shapely.points(coords), max_distance=IMPORT_SNAP_DEG, all_matches=False)
        coords = coords.copy()
        coords[near[0]] = vertices[near[1]]
        return coords

    for item in group:  # vertex by vertex: no vertex is added, none moves farther than the tolerance
        snapped = shapely.transform(item.geom, snap)
        if snapped.is_valid and not snapped.is_empty:
            item.geom = geo.force_2d_multipolygon(snapped)


def _sibling_names(text_: str, keyed: dict) -> str:
    """Name feature keys (indexes) in a validation message as 'feature N (code)'."""
    for idx, it in keyed.items():
        text_ = text_.replace(f"overlapping {idx} ", f"overlapping feature {idx} ({it.code or it.name}) ")
        text_ = text_.replace(f"overlaps {idx} ", f"overlaps feature {idx} ({it.code or it.name}) ")
    return text_


def _write(items, level, parent, report) -> None:
    if level == "grid":
        _write_grids(items, report)
        return
    for item in items:
        geom = from_shape(item.geom, srid=4326)
        if item.existing:
            area = db.session.get(AdminArea, item.code)
            area.geom, area.boundary_source = geom, "imported"
            report.replaced += 1
        else:
            db.session.add(AdminArea(code=item.code, name=short_name(item.name or item.code),
                                     official_name=item.name or item.code, level=level,
                                     parent_code=parent.code if parent else None,
                                     district_code=item.code[:6], boundary_source="imported", geom=geom))
            report.created += 1
    db.session.flush()


def next_sequence(community_code: str) -> int:
    """The next free grid sequence of a community: 1 + the highest sequence of its grids and of
    every code it ever had (grid lineage), so retired codes are never issued again."""
    pattern = community_code + "%"
    used = [db.session.scalar(select(func.max(Grid.code)).where(Grid.community_code == community_code)),
            db.session.scalar(select(func.max(GridLineage.old_code)).where(GridLineage.old_code.like(pattern))),
            db.session.scalar(select(func.max(GridLineage.new_code)).where(GridLineage.new_code.like(pattern)))]
    return 1 + max((int(c[12:]) for c in used if c), default=0)


def _write_grids(items, report) -> None:
    by_community: dict = defaultdict(list)
    for item in items:
        by_community[item.community].append(item)
    for community_code, group in sorted(by_community.items()):
        community = db.session.get(AdminArea, community_code)
        new = [i for i in group if not i.code]
        if new:
            start = next_sequence(community_code)
            for seq, pos in enumerate(geo.number_grids([i.geom for i in new]), start=start):
                new[pos].code = geo.grid_code(community_code, seq)
        for item in group:
            geom = from_shape(item.geom, srid=4326)
            if item.existing:
                grid = db.session.get(Grid, item.code)
                grid.geom = geom
                report.replaced += 1
            else:
                db.session.add(Grid(code=item.code, name=item.name or item.code, community_code=community_code,
                                    district_code=community.district_code, geom=geom))
                report.created += 1
    db.session.flush()
    report.moved += len(relocate(list(by_community), actor_id=report.actor_id, at=utcnow(),
                                 cause={"import": report.import_id},
                                 label=MOVE_NOTES["import"].format(id=report.import_id)))
