"""Importing boundaries (district, township, community/village, grid) and incidents in bulk.

One action = one transaction: every feature is read (:mod:`gridapp.geo.io`) and validated
(:mod:`gridapp.geo.validate`) before anything is written; one refused feature refuses the whole
file (nothing written). ``mode=dry_run`` runs everything and rolls back. Admin only.

Matching a feature to the hierarchy (level L, parent P):

* code (property ``code_field``, else the first of :data:`CODE_FIELDS` present): the full code of
  level L (6/9/12/15 digits) starting with P's code, or a short sequence (1–3 digits) within P,
  zero-padded after P's code (``7`` under township 610202002 → 610202002007);
* without a code, the name (``name_field``, else :data:`NAME_FIELDS`) matched to an existing child
  of P by normalised Chinese name (:func:`gridapp.codes.short_name`: 社区居委会 ≈ 社区);
* an existing code → its boundary is **replaced**; a well-formed new code → a unit is **created**
  (its name is the file's name, else its code);
* grids: when the file has no code field at all, each grid goes to the community of P it overlaps
  most and codes are issued in numbering order (west→east, north→south, :func:`geo.number_grids`)
  after the highest sequence ever issued in that community.

Geometry is checked per feature, then per parent (outside the parent, overlapping a sibling, gaps
left in the parent) with slivers thinner than ``tolerance_m`` metres snapped in repair mode.
After a grid import the incidents of the touched communities get their grid again (grid_code only).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import shapely
from flask_babel import gettext as _
from geoalchemy2.shape import from_shape, to_shape
from sqlalchemy import func, select, text

from .. import geo
from ..codes import short_name
from ..core.errors import BadInput, Forbidden, Unprocessable
from ..extensions import db
from ..geo import io as geoio
from ..geo import tables as geotables
from ..geo.validate import DEFAULT_TOLERANCE_M, check_geometry, fit_children
from ..models import AdminArea, Grid, GridLineage, IncidentCategory, User
from .locate import locate_many

LEVELS = ("district", "township", "community", "grid", "incident")
MODES = ("dry_run", "commit")
CODE_LENGTH = {"district": 6, "township": 9, "community": 12, "grid": 15}
PARENT_LEVELS = {"district": (), "township": ("district",), "community": ("township",),
                 "grid": ("community", "township", "district"), "incident": ()}
#: attribute names tried (in order) for a feature's code and name when none is given.
CODE_FIELDS = ("code", "CODE", "Code", "grid_code", "编码", "代码", "区划代码", "网格编码", "网格代码", "adcode")
NAME_FIELDS = ("name", "NAME", "Name", "名称", "网格名称", "社区名称", "村名称", "街道名称")
#: incident table columns (besides the coordinates): category code and description.
CATEGORY_HEADERS = ("category_code", "类别代码", "事件类别代码", "category")
DESCRIPTION_HEADERS = ("description", "描述", "事件描述", "type")


@dataclass
class ImportOptions:
    """Options of one import (see :func:`parse_options`)."""

    level: str
    parent_code: str | None = None
    mode: str = "dry_run"
    repair: bool = False
    crs: str | None = None
    gcj02: bool = False
    code_field: str | None = None
    name_field: str | None = None
    tolerance_m: float = DEFAULT_TOLERANCE_M
    category_code: str | None = None
    extent: tuple = geoio.CHINA_EXTENT


@dataclass
class Report:
    """The import report: counts, repairs and refusals (each {index, code, name, reason})."""

    level: str
    mode: str
    created: int = 0
    replaced: int = 0
    repaired: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"level": self.level, "mode": self.mode, "created": self.created, "replaced": self.replaced,
                "repaired": self.repaired, "refused": self.refused, "notes": self.notes,
                "committed": self.mode == "commit" and not self.refused}

    def refuse(self, index, code, name, reason) -> None:
        self.refused.append({"index": index, "code": code, "name": name, "reason": reason})


def _flag(value, name: str) -> bool:
    if value in (None, "", "0", 0, False, "false", "False"):
        return False
    if value in ("1", 1, True, "true", "True"):
        return True
    raise BadInput(_("%(name)s 必须是 0 或 1，收到 %(value)s", name=name, value=repr(value)), code="invalid_option")


def parse_options(form, extent=geoio.CHINA_EXTENT) -> ImportOptions:
    """ImportOptions from a mapping of strings (multipart form or CLI): level (district | township |
    community | grid | incident), parent_code, mode (dry_run | commit, default dry_run), repair
    (0 | 1), crs ("EPSG:4547"...), gcj02 (0 | 1), code_field, name_field, tolerance_m (metres,
    sliver width snapped in repair mode, default 2), category_code (incidents without a category
    column). Raises BadInput naming the option."""
    level = (form.get("level") or "").strip()
    if level not in LEVELS:
        raise BadInput(_("level 必须是 %(levels)s 之一，收到 %(value)s", levels=" | ".join(LEVELS),
                         value=repr(level)), code="invalid_level")
    mode = (form.get("mode") or "dry_run").strip()
    if mode not in MODES:
        raise BadInput(_("mode 必须是 dry_run 或 commit，收到 %(value)s", value=repr(mode)), code="invalid_option")
    try:
        tol = float(form.get("tolerance_m") or DEFAULT_TOLERANCE_M)
    except ValueError:
        tol = -1.0
    if not 0 < tol <= 50:
        raise BadInput(_("tolerance_m 必须是 0 到 50 之间的米数"), code="invalid_option")
    return ImportOptions(level=level, parent_code=(form.get("parent_code") or "").strip() or None, mode=mode,
                         repair=_flag(form.get("repair"), "repair"), crs=(form.get("crs") or "").strip() or None,
                         gcj02=_flag(form.get("gcj02"), "gcj02"), code_field=form.get("code_field") or None,
                         name_field=form.get("name_field") or None, tolerance_m=tol,
                         category_code=(form.get("category_code") or "").strip() or None, extent=tuple(extent))


def require_admin(user: User) -> None:
    """Raise Forbidden (403) unless the user is an admin (imports are admin-only); callers check
    this before looking at the options, so others learn nothing about them."""
    if user.role != "admin":
        raise Forbidden(_("只有系统管理员可以导入数据"), code="admin_only")


def _parent(options: ImportOptions) -> AdminArea | None:
    allowed = PARENT_LEVELS[options.level]
    if not allowed:
        return None
    parent = db.session.get(AdminArea, options.parent_code) if options.parent_code else None
    if parent is None or parent.level not in allowed:
        raise BadInput(_("导入 %(level)s 需要 parent_code：一个 %(allowed)s 的代码，收到 %(value)s",
                         level=options.level, allowed=" / ".join(allowed), value=repr(options.parent_code)),
                       code="invalid_parent")
    return parent


def import_file(user: User, data: bytes, filename: str, options: ImportOptions) -> dict:
    """Import one file as ``options`` say; return the report as a dict: {"level", "mode",
    "created", "replaced", "repaired": [{index, code, name, fix}], "refused": [{index, code, name,
    reason}], "notes", "committed"}. Index is the 0-based feature (or data row) of the file.

    One transaction: committed only with mode=commit and nothing refused; otherwise rolled back.
    Raises Forbidden (not an admin), BadInput (bad options or parent), Unprocessable (422,
    code unreadable_file) when the file as a whole cannot be read.
    """
    require_admin(user)
    report = Report(options.level, options.mode)
    try:
        if options.level == "incident":
            _import_incidents(user, data, filename, options, report)
        else:
            _import_boundaries(data, filename, options, report)
    except geoio.ReadError as err:
        db.session.rollback()
        raise Unprocessable(_("无法读取文件：%(reason)s", reason=str(err)), code="unreadable_file") from None
    except Exception:
        db.session.rollback()
        raise
    if report.refused or options.mode != "commit":
        db.session.rollback()
    else:
        db.session.commit()
    return report.as_dict()


# --------------------------------------------------------------------------- boundaries
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
    result = geoio.read_features(data, filename, crs=options.crs, gcj02=options.gcj02, extent=options.extent)
    report.notes.extend(result.notes)
    if result.declared_crs:
        report.notes.append(f"CRS: {result.declared_crs}")
    return result.features


def _import_boundaries(data, filename, options: ImportOptions, report: Report) -> None:
    parent = _parent(options)
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
    relocate_incidents(list(by_community))


#: Tables of located points (point ``geom``, ``grid_code``, ``community_code``) whose grid follows
#: grid imports and grid edits.
LOCATED_TABLES = ("incidents", "disputes", "places")


def relocate_incidents(community_codes: list[str]) -> int:
    """Give every incident (and every row of the other :data:`LOCATED_TABLES`, e.g. disputes and
    places) of these communities its grid again by the location rule (covering grid, else nearest,
    else smallest code; :mod:`gridapp.boundaries.locate`); only ``grid_code`` changes. Set-based SQL
    (one UPDATE with a LATERAL lookup per table). Returns the number of rows moved. The caller commits."""
    if not community_codes:
        return 0
    moved = 0
    for table in LOCATED_TABLES:
        moved += db.session.execute(text(f"""
            UPDATE {table} i SET grid_code = g.code
            FROM {table} j
            CROSS JOIN LATERAL (
                SELECT code FROM grids WHERE community_code = j.community_code
                ORDER BY NOT ST_Covers(geom, j.geom), ST_Distance(geom, j.geom), code LIMIT 1) g
            WHERE i.id = j.id AND j.community_code = ANY(:codes) AND i.grid_code IS DISTINCT FROM g.code
        """), {"codes": list(community_codes)}).rowcount
    return moved


# --------------------------------------------------------------------------- incidents
def _row_point(row, lon_i, lat_i) -> tuple[float, float] | str:
    try:
        lon, lat = float(str(row[lon_i]).strip()), float(str(row[lat_i]).strip())
    except (ValueError, IndexError):
        return "coordinates are not numbers"
    return lon, lat


def _import_incidents(user, data, filename, options: ImportOptions, report: Report) -> None:
    header, rows = geotables.read_table(data, filename)
    lon_i, lat_i = geotables.coordinate_columns(header)
    cat_i = geotables.find_column(header, CATEGORY_HEADERS)
    desc_i = geotables.find_column(header, DESCRIPTION_HEADERS)
    parents = set(db.session.scalars(select(IncidentCategory.parent_code).where(
        IncidentCategory.parent_code.is_not(None))))
    leaves = set(db.session.scalars(select(IncidentCategory.code))) - parents
    points = []
    for index, row in enumerate(rows):
        category = (str(row[cat_i]).strip() if cat_i is not None and row[cat_i] not in (None, "") else None) \
            or options.category_code
        description = str(row[desc_i]).strip() if desc_i is not None and row[desc_i] is not None else ""
        label = description[:40] or None
        point = _row_point(row, lon_i, lat_i)
        if isinstance(point, str):
            report.refuse(index, None, label, point)
        elif category not in leaves:
            report.refuse(index, None, label, f"category {category!r} is not a leaf incident category "
                                              "(give a category_code column or the category_code option)")
        elif not description:
            report.refuse(index, None, label, "empty description")
        else:
            points.append((index, point, category, description, label))
    raw = [geoio.RawFeature(i, {}, shapely.Point(p)) for i, p, *_ in points]
    raw = geoio.to_wgs84(raw, geoio.crs_name(options.crs), gcj02=options.gcj02, extent=options.extent)
    for f, (index, _p, _c, _d, label) in zip(raw, points, strict=True):
        if f.error:
            report.refuse(index, None, label, f.error)
    if report.refused:
        return
    _insert_located(user, [(idx, f.geometry.x, f.geometry.y, c, d) for f, (idx, _p, c, d, _l) in zip(raw, points,
                                                                                                    strict=True)],
                    report)


def _insert_located(user, rows, report) -> None:
    """Locate the points all at once (:func:`gridapp.boundaries.locate.locate_many`: the location rule,
    vectorised over the points with shapely), refuse those outside every community, then load the
    located rows into a temporary table (COPY) and insert all incidents in file order.
    ``rows``: (row index, lon, lat, category code, description) in file order."""
    located = locate_many([r[1] for r in rows], [r[2] for r in rows])
    for pos in located.outside:
        idx, x, y, *_rest = rows[pos]
        report.refuse(idx, None, None, f"({x}, {y}) lies outside every community/village (no unit covers it)")
    if report.refused:
        return
    db.session.execute(text(
        "CREATE TEMP TABLE import_points (idx int PRIMARY KEY, lon float8, lat float8, category_code text, "
        "description text, community_code text, district_code text, grid_code text) ON COMMIT DROP"))
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy("COPY import_points FROM STDIN") as copy:
        for row, community, district, grid in zip(rows, located.community_code, located.district_code,
                                                   located.grid_code, strict=True):
            copy.write_row((*row, community, district, grid))
    result = db.session.execute(text("""
        INSERT INTO incidents (category_code, description, geom, grid_code, community_code, district_code,
                               reporter_id, status)
        SELECT category_code, description, ST_SetSRID(ST_MakePoint(lon, lat), 4326), grid_code, community_code,
               district_code, :user, 'reported'
        FROM import_points ORDER BY idx"""), {"user": user.id})
    report.created = result.rowcount
