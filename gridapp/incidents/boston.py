"""Real cases: import Boston 311 cases (City of Boston, PDDL 1.0) into an analogue district built
from Boston's wards (≈ communities) and precincts (≈ grids), files in ``geodata/boston``.

Codes (Boston has no Chinese division codes; the prefix 99 is used by no Chinese province):
district ``990001``; one township ``990001001`` (the city); ward W → community
``990001001`` + W (3 digits); precinct P of ward W → grid = community code + P (3 digits), a
precinct with a letter (``0502A``) → 100 + its rank among the lettered precincts of the ward.

Cases: each row → one incident located by the product's own rule (:mod:`gridapp.boundaries.locate`;
a point outside every precinct — the harbour — falls back to the precinct the record names);
category by the suggested mapping file (component classes → ``C01``…``C06``); times are naive
America/New_York → UTC; ``open_dt`` = reported and filed, ``target_dt`` = deadline,
Closed → 结案 ``closed`` (handled and closed at ``closed_dt``), Open → 处置 ``in_progress``.
History: report, file and (closed) handle + verify entries at those real times, by the import
user. Re-running skips cases already imported (``external_id`` = ``boston311:<case_id>``).
One transaction; a row that cannot be read stops the import with its line number and nothing
is written.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from geoalchemy2.shape import from_shape
from shapely import unary_union
from shapely.geometry import shape
from sqlalchemy import select

from .. import geo
from ..boundaries.locate import locate, point_expr
from ..core.errors import BadInput, NotFound
from ..extensions import db
from ..models import AdminArea, Grid, Incident, IncidentCategory, IncidentEvent, User

DATA = Path(__file__).resolve().parents[2] / "geodata" / "boston"
STANDARDS = DATA.parent / "standards"
DISTRICT, TOWNSHIP = "990001", "990001001"
NY = ZoneInfo("America/New_York")
IMPORT_USER = "boston311-import"
SOURCE = "City of Boston 311 (data.boston.gov), PDDL 1.0"


def community_code(ward: int) -> str:
    """12-digit community code of a ward."""
    return f"{TOWNSHIP}{int(ward):03d}"


def grid_codes(precinct_ids: list[str]) -> dict[str, str]:
    """15-digit grid code of each ``ward_precinct`` id (rule in the module docstring)."""
    out, lettered = {}, {}
    for wp in sorted(precinct_ids):
        ward, rest = int(wp[:2]), wp[2:]
        if rest.isdigit():
            out[wp] = community_code(ward) + f"{int(rest):03d}"
        else:
            lettered.setdefault(ward, []).append(wp)
    for ward, ids in lettered.items():
        for rank, wp in enumerate(ids):
            out[wp] = community_code(ward) + f"{100 + rank:03d}"
    return out


def build_district(log: Callable[[str], None] = print) -> int:
    """Create the Boston analogue district once (caller commits); return its number of grids."""
    existing = db.session.scalar(select(Grid.code).where(Grid.district_code == DISTRICT).limit(1))
    if existing:
        return len(db.session.scalars(select(Grid.code).where(Grid.district_code == DISTRICT)).all())
    wards = json.loads((DATA / "boston_wards_wgs84.geojson").read_text("utf-8"))["features"]
    precincts = json.loads((DATA / "boston_precincts_wgs84.geojson").read_text("utf-8"))["features"]
    ward_geoms = {int(f["properties"]["ward"]): geo.force_2d_multipolygon(shape(f["geometry"])) for f in wards}
    outline = geo.force_2d_multipolygon(unary_union(list(ward_geoms.values())))

    def area(code, name, level, parent, geom, unit_type=None):
        return AdminArea(code=code, name=name, official_name=name, level=level, unit_type=unit_type,
                         parent_code=parent, district_code=DISTRICT, boundary_source="imported",
                         geom=from_shape(geom, srid=4326))

    db.session.add(area(DISTRICT, "Boston（波士顿，示例区）", "district", None, outline))
    db.session.flush()
    db.session.add(area(TOWNSHIP, "Boston", "township", DISTRICT, outline))
    db.session.flush()
    for ward, geom in sorted(ward_geoms.items()):
        db.session.add(area(community_code(ward), f"Ward {ward}", "community", TOWNSHIP, geom, "ward"))
    db.session.flush()
    codes = grid_codes([f["properties"]["ward_precinct"] for f in precincts])
    for f in precincts:
        wp = f["properties"]["ward_precinct"]
        db.session.add(Grid(code=codes[wp], name=f"Precinct {wp}", community_code=codes[wp][:12],
                            district_code=DISTRICT, geom=from_shape(geo.force_2d_multipolygon(shape(f["geometry"])),
                                                                    srid=4326)))
    db.session.flush()
    log(f"Boston: 1 district, 1 township, {len(ward_geoms)} wards, {len(precincts)} precincts")
    return len(precincts)


def load_categories() -> dict[str, str]:
    """Ensure the component major classes exist as ``C01``…; return Boston type → category code."""
    with (STANDARDS / "gbt30428_2_component_categories.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if not r["minor_code"]:
                db.session.merge(IncidentCategory(code="C" + r["major_code"], name=r["major_name"],
                                                  kind="component", parent_code=None,
                                                  source=f"GB/T 30428.2 component list (confidence {r['confidence']})"))
    mapping = {}
    with (DATA / "boston_type_to_gbt30428_mapping.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            code = r["suggested_code4"]
            mapping[r["boston_type"]] = ("C" + code) if r["suggested_kind"] == "component" else code
    db.session.flush()
    return mapping


def _utc(value: str) -> datetime | None:
    return datetime.fromisoformat(value).replace(tzinfo=NY).astimezone(UTC) if value else None


def _import_user() -> User:
    user = db.session.scalar(select(User).where(User.username == IMPORT_USER))
    if user is None:
        user = User(username=IMPORT_USER, display_name="Boston 311 导入", role="district", scope_code=DISTRICT,
                    password_hash="!", active=False)
        db.session.add(user)
        db.session.flush()
    return user


def import_cases(path: Path = DATA / "boston311_2015_fixture_wards3_5_may.csv",
                 log: Callable[[str], None] = print) -> dict:
    """Build the district if needed and import the cases of ``path`` (one transaction).

    Returns {imported, skipped_existing, relocated (outside every precinct → the record's own),
    closed, open}. Raises BadInput naming the line of an unreadable row or an unmapped type.
    """
    try:
        build_district(log)
        mapping = load_categories()
        user = _import_user()
        grid_of = grid_codes([wp for wp in _precinct_ids()])
        done = set(db.session.scalars(select(Incident.external_id).where(Incident.district_code == DISTRICT)))
        stats = {"imported": 0, "skipped_existing": 0, "relocated": 0, "closed": 0, "open": 0}
        with path.open(encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                external = f"boston311:{row['case_id']}"
                if external in done:
                    stats["skipped_existing"] += 1
                    continue
                _import_row(row, line, mapping, grid_of, user, external, stats)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log(f"Boston 311: {stats}")
    return stats


def _precinct_ids() -> list[str]:
    features = json.loads((DATA / "boston_precincts_wgs84.geojson").read_text("utf-8"))["features"]
    return [f["properties"]["ward_precinct"] for f in features]


def _import_row(row: dict, line: int, mapping, grid_of, user, external, stats) -> None:
    category = mapping.get(row["type"])
    if category is None:
        raise BadInput(_("第 %(line)s 行：类型 %(type)s 没有对应的类别", line=line, type=repr(row["type"])),
                       code="unmapped_type")
    try:
        lon, lat = float(row["longitude"]), float(row["latitude"])
        opened, target, closed = _utc(row["open_dt"]), _utc(row["target_dt"]), _utc(row["closed_dt"])
    except ValueError as err:
        raise BadInput(_("第 %(line)s 行无法读取：%(err)s", line=line, err=str(err)), code="bad_row") from None
    try:
        loc = locate(lon, lat)
        grid, community = loc.grid_code, loc.community_code
        if loc.district_code != DISTRICT:
            raise NotFound("elsewhere")
    except NotFound:
        grid = grid_of.get(row["ward_precinct"])
        if grid is None:
            raise BadInput(_("第 %(line)s 行：点位不在任何选区内，且选区 %(wp)s 不存在", line=line,
                             wp=row["ward_precinct"]), code="bad_row") from None
        community = grid[:12]
        stats["relocated"] += 1
    is_closed = row["case_status"] == "Closed"
    incident = Incident(category_code=category, description=f"{row['type']} — {row['address']}".strip(),
                        geom=point_expr(lon, lat), grid_code=grid, community_code=community,
                        district_code=DISTRICT, reporter_id=user.id, reported_at=opened, filed_at=opened,
                        deadline_at=target, status="closed" if is_closed else "in_progress",
                        handled_at=closed if is_closed else None, closed_at=closed if is_closed else None,
                        external_id=external)
    db.session.add(incident)
    db.session.flush()
    note = f"Boston 311 case {row['case_id']} ({row['source']}); {SOURCE}"
    steps = [("report", None, "reported", opened), ("file", "reported", "filed", opened)]
    if is_closed:
        steps += [("handle", "filed", "handled", closed), ("verify", "handled", "closed", closed)]
    else:
        steps += [("start", "filed", "in_progress", opened)]
    for action, before, after, at in steps:
        data = {"passed": True} if action == "verify" else {}
        if action == "verify" and row["closure_reason"]:
            data["closure_reason"] = row["closure_reason"]
        db.session.add(IncidentEvent(incident_id=incident.id, actor_id=user.id, at=at, action=action,
                                     from_state=before, to_state=after, note=note, data=data, attachments=[]))
    stats["closed" if is_closed else "open"] += 1
    stats["imported"] += 1


def compare_on_time(path: Path = DATA / "boston311_2015_fixture_wards3_5_may.csv") -> dict:
    """Compare the product's on-time closing (closed_at ≤ deadline_at, the rule of 按期结案率 in
    :mod:`gridapp.analytics.kpi`) with the file's ``ontime_status`` for every closed case whose
    deadline (target_dt) the file gives. Returns {compared, agree, disagree: [case ids]}."""
    with path.open(encoding="utf-8") as fh:
        rows = {f"boston311:{r['case_id']}": r for r in csv.DictReader(fh)
                if r["case_status"] == "Closed" and r["target_dt"]}
    cases = db.session.execute(select(Incident.external_id, Incident.closed_at <= Incident.deadline_at)
                               .where(Incident.external_id.in_(list(rows)))).all()
    disagree = [ext for ext, on_time in cases if bool(on_time) != (rows[ext]["ontime_status"] == "ONTIME")]
    return {"compared": len(cases), "agree": len(cases) - len(disagree), "disagree": disagree}
