"""Party organisation in the grid: groups, members, workers, stationed units, ratings.

One function per action, one transaction each; every change writes an :class:`AuditEntry`
(who, when, what) in the same transaction. Authorisation (:func:`require_community`):

| role | reads | changes |
|---|---|---|
| admin | everything | everything |
| district | its district | its district |
| township | its communities | its communities |
| secretary | its community | its community |
| worker | — (403) | — (403) |

Inputs are plain dicts (from JSON or forms); a refused input raises BadInput (400) with
``details={"field": ...}``, a scope violation Forbidden (403), an unknown id NotFound (404), a
grid already held by another group Conflict (409). Grid workers: see :mod:`gridapp.models.org`.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, false, select, update

from ..accounts import pii
from ..core.errors import BadInput, Conflict, Forbidden, NotFound
from ..extensions import db
from ..models import (
    AdminArea,
    AuditEntry,
    CommitteeSeat,
    CommunityPartyOrg,
    Grid,
    GridAssignment,
    GridPartyGroup,
    GridWorker,
    GroupGrid,
    GroupPartner,
    PartyMember,
    StarRating,
    StationedUnit,
    User,
    WorkerGrid,
)
from ..models.org import BUILD_TYPES, MEMBER_KINDS, MEMBER_ROLES, PARTNER_TYPES, WORKER_KINDS

ORG_ROLES = ("admin", "district", "township", "secretary")


# --- scope -------------------------------------------------------------------------------------

def area_in_scope(user: User, area: AdminArea) -> bool:
    """True when the area (any level) lies inside the user's scope (workers: never)."""
    role, scope = user.role, user.scope_code
    if role == "admin":
        return True
    if role == "district":
        return area.district_code == scope
    if role == "township":
        return area.code == scope or area.parent_code == scope
    if role == "secretary":
        return area.code == scope
    return False


def require_area(user: User, code: str | None, level: str | None = None) -> AdminArea:
    """The area with this code, checked against the user's scope. NotFound (404) when unknown
    (or not at ``level``); Forbidden (403) outside the scope or for a grid worker."""
    if user.role not in ORG_ROLES:
        raise Forbidden(_("网格员无权查看或管理党组织"), code="outside_scope")
    area = db.session.get(AdminArea, code) if isinstance(code, str) else None
    if area is None or (level and area.level != level):
        raise NotFound(_("没有编码为 %(code)s 的区划", code=code), code="unknown_area")
    if not area_in_scope(user, area):
        raise Forbidden(_("%(code)s 不在您的管辖范围内", code=code), code="outside_scope")
    return area


def require_community(user: User, code: str | None) -> AdminArea:
    """The community (level community) with this code, in the user's scope (see :func:`require_area`)."""
    return require_area(user, code, "community")


def community_filter(user: User, col):
    """SQL condition on a community-code column selecting the communities the user may read."""
    if user.role == "admin":
        return col.isnot(None)
    if user.role == "district":
        return col.in_(select(AdminArea.code).where(AdminArea.district_code == user.scope_code))
    if user.role == "township":
        return col.in_(select(AdminArea.code).where(AdminArea.parent_code == user.scope_code))
    if user.role == "secretary":
        return col == user.scope_code
    return false()  # grid workers: nothing


def readable(user: User, model, community_code: str | None = None):
    """SELECT of the rows of ``model`` (with a community_code column) the user may read, optionally
    of one community (which must be in scope: 403 otherwise)."""
    query = select(model).where(community_filter(user, model.community_code))
    if community_code:
        require_community(user, community_code)
        query = query.where(model.community_code == community_code)
    return query


def _get(user: User, model, obj_id, label: str):
    obj = db.session.get(model, obj_id) if isinstance(obj_id, int) and not isinstance(obj_id, bool) else None
    if obj is None:
        raise NotFound(_("没有编号为 %(id)s 的%(what)s", id=obj_id, what=label), code="not_found")
    require_community(user, obj.community_code)
    return obj


def audit(user: User | None, action: str, entity: str, entity_id: int | None, community_code: str | None,
          **detail) -> None:
    """Add one audit row (who, when = now UTC, what); the caller's transaction commits it."""
    db.session.add(AuditEntry(user_id=user.id if user else None, action=action, entity=entity,
                              entity_id=entity_id, community_code=community_code, detail=detail))


def _commit():
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


# --- field parsing -----------------------------------------------------------------------------

def _text(data: dict, field: str, *, required: bool = True, max_len: int = 100) -> str | None:
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BadInput(_("缺少字段 %(field)s", field=field), code="missing_field", details={"field": field})
        return None
    if not isinstance(value, str) or len(value.strip()) > max_len:
        raise BadInput(_("字段 %(field)s 应为不超过 %(n)s 个字符的文本", field=field, n=max_len),
                       code="invalid_field", details={"field": field})
    return value.strip()


def _choice(data: dict, field: str, choices: tuple[str, ...], default: str | None = None) -> str:
    value = data.get(field, default)
    if value not in choices:
        raise BadInput(_("字段 %(field)s 必须是 %(choices)s 之一", field=field, choices=" | ".join(choices)),
                       code="invalid_field", details={"field": field})
    return value


def _date(data: dict, field: str, *, required: bool = False) -> date | None:
    value = data.get(field)
    if value in (None, ""):
        if required:
            raise BadInput(_("缺少字段 %(field)s", field=field), code="missing_field", details={"field": field})
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadInput(_("字段 %(field)s 应为日期 YYYY-MM-DD", field=field), code="invalid_field",
                       details={"field": field}) from None


def _int(data: dict, field: str) -> int:
    try:
        return int(data.get(field))
    except (TypeError, ValueError):
        raise BadInput(_("字段 %(field)s 应为整数", field=field), code="invalid_field",
                       details={"field": field}) from None


def _personal(data: dict, field: str) -> str | None:
    parse = pii.normalise_id_number if field == "id_number" else pii.normalise_phone
    try:
        return parse(data.get(field))
    except ValueError as err:
        raise BadInput(str(err), code="invalid_field", details={"field": field}) from None


def _grid_codes(community: str, codes, field: str = "grid_codes") -> list[str]:
    if isinstance(codes, str):
        codes = [c.strip() for c in codes.replace("，", ",").split(",") if c.strip()]
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise BadInput(_("字段 %(field)s 应为至少一个网格编码", field=field), code="invalid_field",
                       details={"field": field})
    known = set(db.session.scalars(select(Grid.code).where(Grid.code.in_(codes),
                                                           Grid.community_code == community)))
    missing = [c for c in codes if c not in known]
    if missing:
        raise BadInput(_("网格 %(codes)s 不属于社区 %(community)s", codes=", ".join(missing), community=community),
                       code="invalid_field", details={"field": field})
    return list(dict.fromkeys(codes))


# --- community organisation --------------------------------------------------------------------

def ensure_community_org(user: User, community_code: str, name: str | None = None,
                         kind: str = "committee", secretary_name: str | None = None) -> CommunityPartyOrg:
    """The community's party organisation, created (and audited) if missing. Caller commits."""
    area = require_community(user, community_code)
    org = db.session.scalar(select(CommunityPartyOrg).where(CommunityPartyOrg.community_code == area.code))
    if org is None:
        org = CommunityPartyOrg(community_code=area.code, district_code=area.district_code,
                                name=name or f"{area.name}党委", kind=kind, secretary_name=secretary_name)
        db.session.add(org)
        db.session.flush()
        audit(user, "create", "community_org", org.id, area.code, name=org.name)
    return org


# --- groups ------------------------------------------------------------------------------------

def _partners(data: dict, community: str) -> list[GroupPartner]:
    raw = data.get("partners") or []
    if not isinstance(raw, list):
        raise BadInput(_("字段 partners 应为列表"), code="invalid_field", details={"field": "partners"})
    partners = []
    for item in raw:
        if not isinstance(item, dict):
            raise BadInput(_("字段 partners 应为列表"), code="invalid_field", details={"field": "partners"})
        ptype = _choice(item, "partner_type", PARTNER_TYPES)
        unit_id = item.get("stationed_unit_id")
        name = _text(item, "name", required=unit_id is None)
        if unit_id is not None:
            unit = db.session.get(StationedUnit, unit_id) if isinstance(unit_id, int) else None
            if unit is None or unit.community_code != community:
                raise BadInput(_("驻区单位 %(id)s 不属于本社区", id=unit_id), code="invalid_field",
                               details={"field": "stationed_unit_id"})
            name = name or unit.name
        partners.append(GroupPartner(partner_type=ptype, name=name, stationed_unit_id=unit_id))
    return partners


def _claim_grids(group_id: int | None, codes: list[str]) -> None:
    taken = db.session.execute(select(GroupGrid.grid_code, GroupGrid.group_id).where(
        GroupGrid.grid_code.in_(codes), GroupGrid.group_id != (group_id or 0))).all()
    if taken:
        raise Conflict(_("网格 %(codes)s 已有党小组", codes=", ".join(r.grid_code for r in taken)),
                       code="grid_has_group", details={"field": "grid_codes"})


def create_group(user: User, data: dict) -> GridPartyGroup:
    """Set up a grid party group. ``data``: community_code, name, build_type (single 单建 | joint
    联建), grid_codes (≥1 grid of the community, none held by another group), partners (list of
    {partner_type, name | stationed_unit_id}; required for joint, refused for single),
    established_on (YYYY-MM-DD). One transaction, audited."""
    area = require_community(user, data.get("community_code"))
    name = _text(data, "name")
    build_type = _choice(data, "build_type", BUILD_TYPES)
    codes = _grid_codes(area.code, data.get("grid_codes"))
    partners = _partners(data, area.code)
    if build_type == "joint" and not partners:
        raise BadInput(_("联建党小组至少要有一个共建单位"), code="invalid_field", details={"field": "partners"})
    if build_type == "single" and partners:
        raise BadInput(_("单建党小组没有共建单位"), code="invalid_field", details={"field": "partners"})
    _claim_grids(None, codes)
    ensure_community_org(user, area.code)
    group = GridPartyGroup(community_code=area.code, district_code=area.district_code, name=name,
                           build_type=build_type, established_on=_date(data, "established_on"),
                           grids=[GroupGrid(grid_code=c) for c in codes], partners=partners)
    db.session.add(group)
    db.session.flush()
    audit(user, "create", "group", group.id, area.code, name=name, build_type=build_type, grids=codes,
          partners=[p.name for p in partners])
    _commit()
    return group


def update_group(user: User, group_id: int, data: dict) -> GridPartyGroup:
    """Change a live group's name and/or grid_codes (same rules as :func:`create_group`)."""
    group = _live_group(user, group_id)
    changes = {}
    if "name" in data:
        group.name = changes["name"] = _text(data, "name")
    if "grid_codes" in data:
        codes = _grid_codes(group.community_code, data.get("grid_codes"))
        _claim_grids(group.id, codes)
        group.grids = [GroupGrid(grid_code=c) for c in codes]
        changes["grids"] = codes
    audit(user, "update", "group", group.id, group.community_code, **changes)
    _commit()
    return group


def _live_group(user: User, group_id) -> GridPartyGroup:
    group = _get(user, GridPartyGroup, group_id, _("党小组"))
    if group.dissolved_at is not None:
        raise Conflict(_("党小组 %(id)s 已撤销", id=group.id), code="group_dissolved")
    return group


def dissolve_group(user: User, group_id: int) -> GridPartyGroup:
    """Dissolve a group: it keeps its record (``dissolved_at`` = now UTC), its grids are released
    and its members stay in their grids without a group. One transaction, audited."""
    group = _live_group(user, group_id)
    grids = [g.grid_code for g in group.grids]
    members = db.session.scalars(select(PartyMember.id).where(PartyMember.group_id == group.id)).all()
    group.dissolved_at = datetime.now(UTC)
    group.grids = []
    db.session.execute(update(PartyMember).where(PartyMember.group_id == group.id).values(group_id=None))
    audit(user, "dissolve", "group", group.id, group.community_code, grids=grids, members=list(members))
    _commit()
    return group


def group_dict(group: GridPartyGroup) -> dict:
    """JSON shape of a group: id, community_code, name, build_type, established_on, dissolved_at,
    grid_codes, partners [{partner_type, name, stationed_unit_id}]."""
    return {"id": group.id, "community_code": group.community_code, "name": group.name,
            "build_type": group.build_type,
            "established_on": group.established_on.isoformat() if group.established_on else None,
            "dissolved_at": group.dissolved_at.isoformat() if group.dissolved_at else None,
            "grid_codes": [g.grid_code for g in group.grids],
            "partners": [{"partner_type": p.partner_type, "name": p.name, "stationed_unit_id": p.stationed_unit_id}
                         for p in group.partners]}


def list_groups(user: User, community_code: str | None = None, live_only: bool = True) -> list[GridPartyGroup]:
    """Groups the user may read (optionally of one community, which must be in scope)."""
    query = readable(user, GridPartyGroup, community_code)
    if live_only:
        query = query.where(GridPartyGroup.dissolved_at.is_(None))
    return list(db.session.scalars(query.order_by(GridPartyGroup.community_code, GridPartyGroup.id)))


def get_group(user: User, group_id: int) -> GridPartyGroup:
    """One group the user may read; 404 unknown, 403 outside scope."""
    return _get(user, GridPartyGroup, group_id, _("党小组"))


# --- members -----------------------------------------------------------------------------------

def _placement(community: str, data: dict, member: PartyMember | None = None) -> tuple[int | None, str | None]:
    group_id = data.get("group_id", member.group_id if member else None)
    grid_code = data.get("grid_code", member.grid_code if member else None)
    if group_id in ("", None):
        group_id = None
    else:
        group_id = _int({"group_id": group_id}, "group_id")
        group = db.session.get(GridPartyGroup, group_id)
        if group is None or group.community_code != community or group.dissolved_at is not None:
            raise BadInput(_("党小组 %(id)s 不是本社区的现有党小组", id=group_id), code="invalid_field",
                           details={"field": "group_id"})
        group_grids = [g.grid_code for g in group.grids]
        if grid_code in ("", None):
            grid_code = group_grids[0]
        elif grid_code not in group_grids:
            raise BadInput(_("网格 %(grid)s 不在党小组 %(id)s 的网格内", grid=grid_code, id=group_id),
                           code="invalid_field", details={"field": "grid_code"})
    if grid_code in ("", None):
        return group_id, None
    return group_id, _grid_codes(community, [grid_code], "grid_code")[0]


def _member_fields(data: dict, member: PartyMember) -> None:
    member.name = _text(data, "name", max_len=50)
    member.kind = _choice(data, "kind", MEMBER_KINDS)
    member.role = _choice(data, "role", MEMBER_ROLES, "member")
    member.phone = _personal(data, "phone")
    member.id_number = _personal(data, "id_number")
    member.home_unit = _text(data, "home_unit", required=member.kind == "in_service")
    member.reported_on = _date(data, "reported_on", required=member.kind == "in_service")


def add_member(user: User, data: dict) -> PartyMember:
    """Add a party member: community_code, name, kind (resident | in_service | social_org |
    volunteer), role (leader | member), phone, id_number, home_unit and reported_on (双报到 date;
    both required for in_service), group_id and/or grid_code (optional placement). Audited."""
    area = require_community(user, data.get("community_code"))
    member = PartyMember(community_code=area.code, district_code=area.district_code)
    _member_fields(data, member)
    member.group_id, member.grid_code = _placement(area.code, data)
    db.session.add(member)
    db.session.flush()
    audit(user, "create", "member", member.id, area.code, name=member.name, kind=member.kind,
          group_id=member.group_id, grid_code=member.grid_code)
    _commit()
    return member


def move_member(user: User, member_id: int, data: dict) -> PartyMember:
    """Move a member to another group/grid of the community (group_id, grid_code; null = none),
    or change their role. Audited with the old and new placement."""
    member = _get(user, PartyMember, member_id, _("党员"))
    before = {"group_id": member.group_id, "grid_code": member.grid_code, "role": member.role}
    member.group_id, member.grid_code = _placement(member.community_code, data, member)
    if "role" in data:
        member.role = _choice(data, "role", MEMBER_ROLES)
    after = {"group_id": member.group_id, "grid_code": member.grid_code, "role": member.role}
    audit(user, "move", "member", member.id, member.community_code, before=before, after=after)
    _commit()
    return member


def remove_member(user: User, member_id: int) -> None:
    """Remove a member from the roster (deleted; the audit keeps name and placement)."""
    member = _get(user, PartyMember, member_id, _("党员"))
    audit(user, "delete", "member", member.id, member.community_code, name=member.name,
          group_id=member.group_id, grid_code=member.grid_code)
    db.session.delete(member)
    _commit()


def list_members(user: User, community_code: str | None = None, grid_code: str | None = None) -> list[PartyMember]:
    """Members the user may read, optionally of one community or grid."""
    query = readable(user, PartyMember, community_code)
    if grid_code:
        query = query.where(PartyMember.grid_code == grid_code)
    return list(db.session.scalars(query.order_by(PartyMember.id)))


def person_dict(user: User, entity: str, obj, fields: tuple[str, ...], reveal: tuple[str, ...] = (),
                channel: str = "api") -> dict:
    """JSON shape of a member/worker/seat: the listed columns, phone and id_number masked unless
    revealed (:func:`gridapp.accounts.pii.shown`, which logs each full view)."""
    out = {f: _jsonable(getattr(obj, f)) for f in fields}
    for f in pii.PII_FIELDS:
        if hasattr(obj, f):
            out[f] = pii.shown(user, entity, obj, f, f in reveal, channel)
    return out


def _jsonable(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


MEMBER_FIELDS = ("id", "community_code", "group_id", "grid_code", "name", "kind", "role", "home_unit",
                 "reported_on")
WORKER_FIELDS = ("id", "community_code", "name", "kind", "user_id")


def member_dict(user: User, member: PartyMember, reveal: tuple[str, ...] = (), channel: str = "api") -> dict:
    """JSON shape of a member (:data:`MEMBER_FIELDS` + masked phone, id_number)."""
    return person_dict(user, "member", member, MEMBER_FIELDS, reveal, channel)


def reveal(user: User, entity: str, obj_id: int, field: str) -> str | None:
    """The full value of one personal field of a member or worker, for an allowed role in scope;
    logs the view (one transaction). 400 unknown field, 403 role or scope, 404 unknown id."""
    if field not in pii.PII_FIELDS:
        raise BadInput(_("字段 %(field)s 不是个人信息字段", field=field), code="invalid_field",
                       details={"field": "field"})
    model = {"member": PartyMember, "worker": GridWorker}.get(entity)
    if model is None:
        raise BadInput(_("未知对象 %(entity)s", entity=entity), code="invalid_field", details={"field": "entity"})
    obj = _get(user, model, obj_id, entity)
    value = pii.shown(user, entity, obj, field, True, "screen")
    _commit()
    return value


# --- workers -----------------------------------------------------------------------------------

def _sync_logins(worker: GridWorker) -> None:
    """Keep the linked login's GridAssignment rows equal to the worker's grids (its scope)."""
    if worker.user_id is None:
        return
    db.session.execute(delete(GridAssignment).where(GridAssignment.user_id == worker.user_id))
    db.session.add_all(GridAssignment(user_id=worker.user_id, grid_code=g.grid_code, is_primary=g.is_primary)
                       for g in worker.grids)


def _worker_grids(worker: GridWorker, data: dict) -> list[str]:
    codes = _grid_codes(worker.community_code, data.get("grid_codes"))
    primary = data.get("primary_grid") or codes[0]
    if primary not in codes:
        raise BadInput(_("主网格 %(grid)s 必须是所分配的网格之一", grid=primary), code="invalid_field",
                       details={"field": "primary_grid"})
    worker.grids = [WorkerGrid(grid_code=c, is_primary=c == primary) for c in codes]
    return codes


def add_worker(user: User, data: dict) -> GridWorker:
    """Add a grid worker: community_code, name, kind (full_time 专职 | part_time 兼职), phone,
    id_number, grid_codes (≥1 grid of the community), primary_grid (default the first),
    username (optional: an existing login of role worker to link). Audited."""
    area = require_community(user, data.get("community_code"))
    worker = GridWorker(community_code=area.code, district_code=area.district_code,
                        name=_text(data, "name", max_len=50), kind=_choice(data, "kind", WORKER_KINDS),
                        phone=_personal(data, "phone"), id_number=_personal(data, "id_number"))
    if data.get("username"):
        login = db.session.scalar(select(User).where(User.username == data["username"]))
        if login is None or login.role != "worker":
            raise BadInput(_("没有网格员账号 %(name)s", name=data["username"]), code="invalid_field",
                           details={"field": "username"})
        worker.user_id = login.id
    codes = _worker_grids(worker, data)
    db.session.add(worker)
    db.session.flush()
    _sync_logins(worker)
    audit(user, "create", "worker", worker.id, area.code, name=worker.name, kind=worker.kind, grids=codes)
    _commit()
    return worker


def assign_worker(user: User, worker_id: int, data: dict) -> GridWorker:
    """Replace a worker's grids: grid_codes, primary_grid (as :func:`add_worker`). Audited."""
    worker = _get(user, GridWorker, worker_id, _("网格员"))
    before = [g.grid_code for g in worker.grids]
    worker.grids = []
    db.session.flush()
    codes = _worker_grids(worker, data)
    db.session.flush()
    _sync_logins(worker)
    audit(user, "assign", "worker", worker.id, worker.community_code, before=before, after=codes,
          primary=next(g.grid_code for g in worker.grids if g.is_primary))
    _commit()
    return worker


def remove_worker(user: User, worker_id: int) -> None:
    """Remove a worker from the roster (their login, if any, loses its grids). Audited."""
    worker = _get(user, GridWorker, worker_id, _("网格员"))
    audit(user, "delete", "worker", worker.id, worker.community_code, name=worker.name,
          grids=[g.grid_code for g in worker.grids])
    if worker.user_id:
        db.session.execute(delete(GridAssignment).where(GridAssignment.user_id == worker.user_id))
    db.session.delete(worker)
    _commit()


def list_workers(user: User, community_code: str | None = None, grid_code: str | None = None) -> list[GridWorker]:
    """Workers the user may read, optionally of one community or grid."""
    query = readable(user, GridWorker, community_code)
    if grid_code:
        query = query.where(GridWorker.id.in_(select(WorkerGrid.worker_id).where(WorkerGrid.grid_code == grid_code)))
    return list(db.session.scalars(query.order_by(GridWorker.id)))


def worker_dict(user: User, worker: GridWorker, reveal: tuple[str, ...] = (), channel: str = "api") -> dict:
    """JSON shape of a worker (:data:`WORKER_FIELDS`, masked phone/id_number, grid_codes, primary_grid)."""
    out = person_dict(user, "worker", worker, WORKER_FIELDS, reveal, channel)
    out["grid_codes"] = [g.grid_code for g in worker.grids]
    out["primary_grid"] = next((g.grid_code for g in worker.grids if g.is_primary), None)
    return out


# --- stationed units, seats, ratings ----------------------------------------------------------

def add_stationed_unit(user: User, data: dict) -> StationedUnit:
    """Add a stationed unit (驻区单位): community_code, name, unit_type; optionally its part-time
    committee member (兼职委员): seat_person, seat_title, seat_start_on. Audited."""
    area = require_community(user, data.get("community_code"))
    unit = StationedUnit(community_code=area.code, district_code=area.district_code, name=_text(data, "name"),
                         unit_type=_text(data, "unit_type", required=False, max_len=50))
    person = _text(data, "seat_person", required=False, max_len=50)
    if person:
        unit.seats = [CommitteeSeat(community_code=area.code, person_name=person,
                                    title=_text(data, "seat_title", required=False, max_len=50),
                                    start_on=_date(data, "seat_start_on"))]
    db.session.add(unit)
    db.session.flush()
    audit(user, "create", "stationed_unit", unit.id, area.code, name=unit.name, seat=person)
    _commit()
    return unit


def rate(user: User, data: dict) -> StarRating:
    """Record a dated star rating (评星晋级, stars 1–5) of a grid group (group_id) or of the
    community organisation (community_code). rated_on defaults to today. Audited. The target's
    scope is checked before the fields (403 outside it, whatever the body)."""
    if data.get("group_id") not in (None, ""):
        target = _live_group(user, _int(data, "group_id"))
    else:
        target = ensure_community_org(user, data.get("community_code"))
    try:
        stars = int(data.get("stars"))
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        raise BadInput(_("星级应为 1 到 5"), code="invalid_field", details={"field": "stars"})
    rating = StarRating(stars=stars, rated_on=_date(data, "rated_on") or datetime.now(UTC).date(),
                        note=_text(data, "note", required=False, max_len=500), rated_by=user.id)
    if isinstance(target, GridPartyGroup):
        rating.group_id, rating.community_code = target.id, target.community_code
    else:
        rating.community_org_id, rating.community_code = target.id, target.community_code
    db.session.add(rating)
    db.session.flush()
    audit(user, "rate", "group" if rating.group_id else "community_org", rating.group_id or rating.community_org_id,
          rating.community_code, stars=stars, rated_on=rating.rated_on.isoformat())
    _commit()
    return rating


def latest_stars(group_ids: list[int]) -> dict[int, int]:
    """The latest star rating of each group (by rated_on, then id)."""
    rows = db.session.execute(select(StarRating.group_id, StarRating.stars).where(StarRating.group_id.in_(group_ids))
                              .order_by(StarRating.group_id, StarRating.rated_on, StarRating.id))
    return {r.group_id: r.stars for r in rows}


def audit_trail(user: User, community_code: str, limit: int = 50) -> list[AuditEntry]:
    """The latest audit rows of a community the user may read."""
    require_community(user, community_code)
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.community_code == community_code)
                                   .order_by(AuditEntry.id.desc()).limit(limit)))


def members_view(user: User, community_code: str | None, grid_code: str | None, reveal: tuple[str, ...] = (),
                 channel: str = "api") -> list[dict]:
    """Member dicts the user may read; full values of ``reveal`` fields are logged (one transaction)."""
    rows = [member_dict(user, m, reveal, channel) for m in list_members(user, community_code, grid_code)]
    _commit()
    return rows


def workers_view(user: User, community_code: str | None, grid_code: str | None, reveal: tuple[str, ...] = (),
                 channel: str = "api") -> list[dict]:
    """Worker dicts the user may read; full values of ``reveal`` fields are logged (one transaction)."""
    rows = [worker_dict(user, w, reveal, channel) for w in list_workers(user, community_code, grid_code)]
    _commit()
    return rows


def community_tree(user: User, community_code: str) -> dict:
    """The three levels of a community for its page: {area, org, org_stars, groups: [{group,
    stars, members}], unplaced (members without a group), workers, units (with seats), grids
    (codes and names)}. 403 outside scope, 404 unknown community."""
    area = require_community(user, community_code)
    org = db.session.scalar(select(CommunityPartyOrg).where(CommunityPartyOrg.community_code == area.code))
    groups = list_groups(user, area.code)
    stars = latest_stars([g.id for g in groups])
    members = list_members(user, area.code)
    org_stars = db.session.scalar(select(StarRating.stars).where(StarRating.community_org_id == org.id)
                                  .order_by(StarRating.rated_on.desc(), StarRating.id.desc()).limit(1)) if org else None
    return {"area": area, "org": org, "org_stars": org_stars,
            "groups": [{"group": g, "stars": stars.get(g.id), "members": [m for m in members if m.group_id == g.id]}
                       for g in groups],
            "unplaced": [m for m in members if m.group_id is None],
            "workers": list_workers(user, area.code),
            "units": list(db.session.scalars(select(StationedUnit).where(StationedUnit.community_code == area.code)
                                             .order_by(StationedUnit.id))),
            "grids": db.session.execute(select(Grid.code, Grid.name).where(Grid.community_code == area.code)
                                        .order_by(Grid.code)).all(),
            "audit": audit_trail(user, area.code, 20)}


def audit_dict(entry: AuditEntry) -> dict:
    """JSON shape of an audit row: id, at (UTC ISO 8601), user (username or null), action,
    entity, entity_id, community_code, detail."""
    return {"id": entry.id, "at": entry.at.isoformat(), "user": entry.user.username if entry.user else None,
            "action": entry.action, "entity": entry.entity, "entity_id": entry.entity_id,
            "community_code": entry.community_code, "detail": entry.detail}


def grid_page(user: User, grid_code: str) -> dict:
    """A grid for its page: {grid, group (live or None), stars, members, workers, groups (the
    community's live groups, for moving members)}. 403 outside scope, 404 unknown grid."""
    grid = db.session.get(Grid, grid_code)
    if grid is None:
        raise NotFound(_("没有编码为 %(code)s 的网格", code=grid_code), code="unknown_grid")
    require_community(user, grid.community_code)
    link = db.session.get(GroupGrid, grid.code)
    group = link.group if link else None
    return {"grid": grid, "group": group, "stars": latest_stars([group.id]).get(group.id) if group else None,
            "members": list_members(user, grid.community_code, grid.code),
            "workers": list_workers(user, grid.community_code, grid.code),
            "groups": list_groups(user, grid.community_code),
            "grids": db.session.execute(select(Grid.code, Grid.name).where(Grid.community_code == grid.community_code)
                                        .order_by(Grid.code)).all()}
