"""The places registry (场所/单位): types with their checklists (editable), places at a point
(located into grid and community by :func:`gridapp.boundaries.locate.locate`), import from Excel
or CSV with row-level errors (all or nothing), GeoJSON layer, the place's timeline.

Access (:mod:`gridapp.core.scope`): everyone sees and registers places in their scope
(a grid worker: in their grids); place types and checklists are edited by admin only.
"""
from __future__ import annotations

import json
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..boundaries.locate import locate, parse_lonlat, point_expr
from ..core.casework import find_in_scope
from ..core.clock import utcnow
from ..core.errors import BadInput, Forbidden, NotFound
from ..core.scope import require_location_in_scope, scope_condition
from ..extensions import db
from ..models import Place, PlaceEvent, PlaceType, User
from ..org.rosters import read_table
from .rules import COLUMNS, DEFAULT_TYPES, PLACE_STATUSES, REQUIRED, RISK_NAMES, STATUS_NAMES


def place_filter(user: User):
    """SQL condition on Place: the places in the user's scope."""
    return scope_condition(user, Place.district_code, Place.community_code, Place.grid_code)


def types() -> list[PlaceType]:
    """The place types, in list order."""
    return list(db.session.scalars(select(PlaceType).order_by(PlaceType.sort, PlaceType.code)))


def ensure_default_types() -> int:
    """Insert the default types that are missing (idempotent; edits are kept). Returns how many
    were added. Does not commit."""
    have = set(db.session.scalars(select(PlaceType.code)))
    added = 0
    for i, (code, name, checklist) in enumerate(DEFAULT_TYPES):
        if code not in have:
            db.session.add(PlaceType(code=code, name=name, checklist=checklist, sort=i))
            added += 1
    db.session.flush()
    return added


def save_type(user: User, code: str, name: str, checklist: list[str]) -> PlaceType:
    """Create or edit a place type and its checklist (admin only; one transaction).
    Raises Forbidden (403), BadInput (400: empty code/name, code not a-z0-9_, name taken)."""
    if user.role != "admin":
        raise Forbidden(_("只有系统管理员可以编辑场所类型"), code="admin_only")
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name or len(code) > 32 or not all(c.isalnum() or c == "_" for c in code) \
            or not code.isascii():
        raise BadInput(_("类型编码须为英文字母、数字或下划线，名称不能为空"), code="invalid_type")
    items = [str(i).strip() for i in (checklist or []) if str(i).strip()]
    clash = db.session.scalar(select(PlaceType).where(PlaceType.name == name, PlaceType.code != code))
    if clash:
        raise BadInput(_("类型名称 %(name)s 已存在", name=name), code="invalid_type")
    row = db.session.get(PlaceType, code) or PlaceType(code=code, sort=len(types()))
    row.name, row.checklist = name, items
    db.session.add(row)
    db.session.commit()
    return row


def _type_by_ref(ref: str) -> PlaceType | None:
    return db.session.scalar(select(PlaceType).where((PlaceType.code == ref) | (PlaceType.name == ref)))


def _key_of(value: str, names: dict, default: str) -> str | None:
    """The key of ``names`` given as the key or its name (an imported cell); None when neither."""
    value = (value or "").strip()
    if not value:
        return default
    for key, label in names.items():
        if value in (key, str(label)):
            return key
    return None


def _check(user: User, record: dict) -> tuple[str, tuple | dict]:
    """Validate one record: ("error", (key, reason[, the DomainError of the point])) or ("ok", fields)."""
    for key in REQUIRED:
        if not str(record.get(key) or "").strip():
            return "error", (key, _("不能为空"))
    place_type = _type_by_ref(str(record["type"]).strip())
    if place_type is None:
        return "error", ("type", _("未知的场所类型 %(value)s", value=record["type"]))
    risk = _key_of(record.get("risk_level"), RISK_NAMES, "low")
    if risk is None:
        return "error", ("risk_level", _("风险等级须为 低/中/高"))
    status = _key_of(record.get("status"), STATUS_NAMES, "operating")
    if status is None:
        return "error", ("status", _("状态须为 正常经营/停业整顿/已取缔"))
    try:
        lon, lat = parse_lonlat(record["lon"], record["lat"])
        loc = locate(lon, lat)
        require_location_in_scope(user, loc)
    except (BadInput, NotFound, Forbidden) as err:
        return "error", ("lon", err.message, err)
    name = str(record["name"]).strip()
    if len(name) > 200:
        return "error", ("name", _("名称不能超过 200 个字"))
    return "ok", {"type_code": place_type.code, "name": name,
                  "operator": (str(record.get("operator") or "").strip() or None),
                  "licence_no": (str(record.get("licence_no") or "").strip() or None),
                  "risk_level": risk, "status": status, "lon": lon, "lat": lat, "loc": loc}


def _add(user: User, f: dict, now: datetime) -> Place:
    loc = f["loc"]
    place = Place(type_code=f["type_code"], name=f["name"], operator=f["operator"], licence_no=f["licence_no"],
                  risk_level=f["risk_level"], status=f["status"], geom=point_expr(f["lon"], f["lat"]),
                  grid_code=loc.grid_code, community_code=loc.community_code, district_code=loc.district_code)
    db.session.add(place)
    db.session.flush()
    db.session.add(PlaceEvent(place_id=place.id, actor_id=user.id, at=now, action="registered",
                              data={"status": place.status}))
    return place


def create(user: User, fields: dict, now: datetime | None = None) -> Place:
    """Register one place (one transaction). ``fields``: name, type (code or name), operator,
    licence_no, lon, lat (WGS84 degrees), risk_level (low|medium|high or 低/中/高), status.
    Raises BadInput (400, ``details.field``), Forbidden (403: point outside the caller's scope)."""
    kind, result = _check(user, fields)
    if kind == "error":
        if len(result) > 2:  # the point: malformed (400), outside every district (404) or scope (403)
            raise result[2]
        key, reason = result
        raise BadInput(f"{key}: {reason}", code="invalid_place", details={"field": key})
    place = _add(user, result, now or utcnow())
    db.session.commit()
    return place


def import_places(user: User, filename: str, content: bytes, now: datetime | None = None) -> int:
    """Import places from .xlsx or .csv (columns: 名称, 类型, 经营者, 许可证号, 经度, 纬度, 风险等级,
    状态; English keys also accepted). Every row is checked first; any bad row → BadInput (400)
    ``bad_rows`` with ``details["rows"]`` = [{row, column, reason}] (row numbers as in the file,
    header = 1) and nothing written. Returns the number of places written (one transaction)."""
    rows = read_table(filename, content)
    errors: list[dict] = []
    labels = {v: k for k, v in COLUMNS.items()}
    if not rows:
        raise BadInput(_("文件为空"), code="bad_rows",
                       details={"rows": [{"row": 1, "column": "", "reason": _("文件为空")}]})
    mapping = {**COLUMNS, **{v: v for v in COLUMNS.values()}}
    header = [mapping.get(h.strip()) for h in rows[0]]
    for key in REQUIRED:
        if key not in header:
            errors.append({"row": 1, "column": labels[key], "reason": _("缺少此列")})
    good = []
    if not errors:
        for n, row in enumerate(rows[1:], start=2):
            record = {k: (row[i] if i < len(row) else "") for i, k in enumerate(header) if k}
            kind, result = _check(user, record)
            if kind == "error":
                errors.append({"row": n, "column": labels[result[0]], "reason": str(result[1])})
            else:
                good.append(result)
    if errors:
        first = errors[0]
        raise BadInput(_("导入失败，未写入任何数据：共 %(n)s 处错误，第一处在第 %(row)s 行“%(column)s”列：%(reason)s",
                         n=len(errors), **first), code="bad_rows", details={"rows": errors})
    now = now or utcnow()
    for f in good:
        _add(user, f, now)
    db.session.commit()
    return len(good)


def get_place(user: User, place_id, field: str | None = None) -> Place:
    """The place if in the user's scope; NotFound (404, naming ``field`` when the id came in a
    parameter) otherwise — absent and outside the scope alike."""
    return find_in_scope(Place, place_filter(user), place_id, "place_not_found",
                         lambda i: _("场所 %(id)s 不存在或不在您的管辖范围内", id=i), field=field)


def search(user: User, type_code: str | None = None, status: str | None = None) -> list[Place]:
    """The places in scope, optionally of one type and status, by name. Raises BadInput
    ``invalid_status``."""
    return list(db.session.scalars(select(Place).where(*search_conditions(user, type_code, status))
                                   .order_by(*SEARCH_ORDER)))


#: the registry's order: by name
SEARCH_ORDER = (Place.name, Place.id)


def search_conditions(user: User, type_code: str | None = None, status: str | None = None) -> list:
    """SQL conditions on :class:`Place` for the filters of :func:`search` (scope first). Raises
    BadInput ``invalid_status``."""
    conds = [place_filter(user)]
    if type_code:
        conds.append(Place.type_code == type_code)
    if status:
        if status not in PLACE_STATUSES:
            raise BadInput(_("状态须为 operating、suspended 或 banned"), code="invalid_status")
        conds.append(Place.status == status)
    return conds


def place_dict(place: Place) -> dict:
    """JSON of one place (without geometry)."""
    return {"id": place.id, "name": place.name, "type_code": place.type_code, "type_name": place.place_type.name,
            "operator": place.operator, "licence_no": place.licence_no, "risk_level": place.risk_level,
            "status": place.status, "status_name": str(STATUS_NAMES[place.status]), "grid_code": place.grid_code,
            "community_code": place.community_code, "version": place.version}


def geojson(user: User, type_code: str | None = None, status: str | None = None) -> dict:
    """FeatureCollection (SRID 4326 points) of the places in scope — the map layer by type and
    status (properties as :func:`place_dict`)."""
    items = search(user, type_code, status)
    coords = dict(db.session.execute(select(Place.id, func.ST_AsGeoJSON(Place.geom, 7))
                                     .where(Place.id.in_([p.id for p in items]))).all()) if items else {}
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "id": p.id, "geometry": json.loads(coords[p.id]),
                          "properties": place_dict(p)} for p in items]}


def timeline(place: Place) -> list[PlaceEvent]:
    """The place's timeline (registrations, inspections, notices, re-inspections, escalations),
    oldest first."""
    return list(db.session.scalars(select(PlaceEvent).where(PlaceEvent.place_id == place.id)
                                   .order_by(PlaceEvent.at, PlaceEvent.id)))

