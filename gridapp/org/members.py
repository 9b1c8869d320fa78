"""Party members (党员) and grid workers (网格员) of a community: add, move, remove, list, show.

Personal fields (phone, ID number) are masked unless revealed; a reveal is logged
(:mod:`gridapp.accounts.pii`). One transaction per action, audited.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, delete, select

from ..accounts import pii
from ..accounts.audit import record as audit
from ..accounts.rules import PII_FIELDS
from ..core.casework import find_in_scope
from ..extensions import db
from ..models import GridAssignment, GridPartyGroup, GridWorker, PartyMember, User, WorkerGrid
from .access import (
    choice_field,
    commit,
    date_field,
    get_in_scope,
    grid_codes_field,
    invalid,
    personal_field,
    readable,
    require_community,
    text_field,
)
from .rules import MEMBER_FIELDS, MEMBER_KINDS, MEMBER_ROLES, WORKER_FIELDS, WORKER_KINDS


def _placement(community: str, data: dict, member: PartyMember | None = None) -> tuple[int | None, str | None]:
    group_id = data.get("group_id", member.group_id if member else None)
    grid_code = data.get("grid_code", member.grid_code if member else None)
    if group_id in ("", None):
        group_id = None
    else:
        group = find_in_scope(GridPartyGroup, and_(GridPartyGroup.community_code == community,
                                                   GridPartyGroup.dissolved_at.is_(None)), group_id, "not_found",
                              lambda i: _("党小组 %(id)s 不是本社区的现有党小组", id=i), field="group_id")
        group_id = group.id
        group_grids = [g.grid_code for g in group.grids]
        if grid_code in ("", None):
            grid_code = group_grids[0]
        elif grid_code not in group_grids:
            raise invalid("grid_code", _("网格 %(grid)s 不在党小组 %(id)s 的网格内", grid=grid_code, id=group_id))
    if grid_code in ("", None):
        return group_id, None
    return group_id, grid_codes_field(community, [grid_code], "grid_code")[0]


def _member_fields(data: dict, member: PartyMember) -> None:
    member.name = text_field(data, "name", max_len=50)
    member.kind = choice_field(data, "kind", MEMBER_KINDS)
    member.role = choice_field(data, "role", MEMBER_ROLES, "member")
    member.phone = personal_field(data, "phone")
    member.id_number = personal_field(data, "id_number")
    member.home_unit = text_field(data, "home_unit", required=member.kind == "in_service")
    member.reported_on = date_field(data, "reported_on", required=member.kind == "in_service")


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
    commit()
    return member


def move_member(user: User, member_id: int, data: dict) -> PartyMember:
    """Move a member to another group/grid of the community (group_id, grid_code; null = none),
    or change their role. Audited with the old and new placement."""
    member = get_in_scope(user, PartyMember, member_id, _("党员"))
    before = {"group_id": member.group_id, "grid_code": member.grid_code, "role": member.role}
    member.group_id, member.grid_code = _placement(member.community_code, data, member)
    if "role" in data:
        member.role = choice_field(data, "role", MEMBER_ROLES)
    after = {"group_id": member.group_id, "grid_code": member.grid_code, "role": member.role}
    audit(user, "move", "member", member.id, member.community_code, before=before, after=after)
    commit()
    return member


def remove_member(user: User, member_id: int) -> None:
    """Remove a member from the roster (deleted; the audit keeps name and placement)."""
    member = get_in_scope(user, PartyMember, member_id, _("党员"))
    audit(user, "delete", "member", member.id, member.community_code, name=member.name,
          group_id=member.group_id, grid_code=member.grid_code)
    db.session.delete(member)
    commit()


def list_members(user: User, community_code: str | None = None, grid_code: str | None = None) -> list[PartyMember]:
    """Members the user may read, optionally of one community or grid."""
    return list(db.session.scalars(members_query(user, community_code, grid_code)))


def members_query(user: User, community_code: str | None = None, grid_code: str | None = None):
    """SELECT of the members the user may read (optionally of one community or grid), by id.
    Raises Forbidden (community outside the scope) as :func:`gridapp.org.access.readable`."""
    query = readable(user, PartyMember, community_code)
    if grid_code:
        query = query.where(PartyMember.grid_code == grid_code)
    return query.order_by(PartyMember.id)


def person_dict(user: User, entity: str, obj, fields: tuple[str, ...], reveal: tuple[str, ...] = (),
                channel: str = "api") -> dict:
    """JSON shape of a member/worker/seat: the listed columns, phone and id_number masked unless
    revealed (:func:`gridapp.accounts.pii.shown`, which logs each full view)."""
    out = {f: _jsonable(getattr(obj, f)) for f in fields}
    for f in PII_FIELDS:
        if hasattr(obj, f):
            out[f] = pii.shown(user, entity, obj, f, f in reveal, channel)
    return out


def _jsonable(value):
    return value.isoformat() if isinstance(value, date | datetime) else value


def member_dict(user: User, member: PartyMember, reveal: tuple[str, ...] = (), channel: str = "api") -> dict:
    """JSON shape of a member (:data:`MEMBER_FIELDS` + masked phone, id_number)."""
    return person_dict(user, "member", member, MEMBER_FIELDS, reveal, channel)


def reveal(user: User, entity: str, obj_id: int, field: str) -> str | None:
    """The full value of one personal field of a member or worker, for an allowed role in scope;
    logs the view (one transaction). 400 unknown field, 403 role or scope, 404 unknown id."""
    if field not in PII_FIELDS:
        raise invalid("field", _("字段 %(field)s 不是个人信息字段", field=field))
    model = {"member": PartyMember, "worker": GridWorker}.get(entity)
    if model is None:
        raise invalid("entity", _("未知对象 %(entity)s", entity=entity))
    obj = get_in_scope(user, model, obj_id, entity)
    value = pii.shown(user, entity, obj, field, True, "screen")
    commit()
    return value


def _sync_logins(worker: GridWorker) -> None:
    """Keep the linked login's GridAssignment rows equal to the worker's grids (its scope)."""
    if worker.user_id is None:
        return
    db.session.execute(delete(GridAssignment).where(GridAssignment.user_id == worker.user_id))
    db.session.add_all(GridAssignment(user_id=worker.user_id, grid_code=g.grid_code, is_primary=g.is_primary)
                       for g in worker.grids)


def _worker_grids(worker: GridWorker, data: dict) -> list[str]:
    codes = grid_codes_field(worker.community_code, data.get("grid_codes"))
    primary = data.get("primary_grid") or codes[0]
    if primary not in codes:
        raise invalid("primary_grid", _("主网格 %(grid)s 必须是所分配的网格之一", grid=primary))
    worker.grids = [WorkerGrid(grid_code=c, is_primary=c == primary) for c in codes]
    return codes


def add_worker(user: User, data: dict) -> GridWorker:
    """Add a grid worker: community_code, name, kind (full_time 专职 | part_time 兼职), phone,
    id_number, grid_codes (≥1 grid of the community), primary_grid (default the first),
    username (optional: an existing login of role worker to link). Audited."""
    area = require_community(user, data.get("community_code"))
    worker = GridWorker(community_code=area.code, district_code=area.district_code,
                        name=text_field(data, "name", max_len=50), kind=choice_field(data, "kind", WORKER_KINDS),
                        phone=personal_field(data, "phone"), id_number=personal_field(data, "id_number"))
    if data.get("username"):
        login = db.session.scalar(select(User).where(User.username == data["username"]))
        if login is None or login.role != "worker":
            raise invalid("username", _("没有网格员账号 %(name)s", name=data["username"]))
        worker.user_id = login.id
    codes = _worker_grids(worker, data)
    db.session.add(worker)
    db.session.flush()
    _sync_logins(worker)
    audit(user, "create", "worker", worker.id, area.code, name=worker.name, kind=worker.kind, grids=codes)
    commit()
    return worker


def assign_worker(user: User, worker_id: int, data: dict) -> GridWorker:
    """Replace a worker's grids: grid_codes, primary_grid (as :func:`add_worker`). Audited."""
    worker = get_in_scope(user, GridWorker, worker_id, _("网格员"))
    before = [g.grid_code for g in worker.grids]
    worker.grids = []
    db.session.flush()
    codes = _worker_grids(worker, data)
    db.session.flush()
    _sync_logins(worker)
    audit(user, "assign", "worker", worker.id, worker.community_code, before=before, after=codes,
          primary=next(g.grid_code for g in worker.grids if g.is_primary))
    commit()
    return worker


def remove_worker(user: User, worker_id: int) -> None:
    """Remove a worker from the roster (their login, if any, loses its grids). Audited."""
    worker = get_in_scope(user, GridWorker, worker_id, _("网格员"))
    audit(user, "delete", "worker", worker.id, worker.community_code, name=worker.name,
          grids=[g.grid_code for g in worker.grids])
    if worker.user_id:
        db.session.execute(delete(GridAssignment).where(GridAssignment.user_id == worker.user_id))
    db.session.delete(worker)
    commit()


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


def members_view(user: User, community_code: str | None, grid_code: str | None, reveal: tuple[str, ...] = (),
                 channel: str = "api") -> list[dict]:
    """Member dicts the user may read; full values of ``reveal`` fields are logged (one transaction)."""
    rows = [member_dict(user, m, reveal, channel) for m in list_members(user, community_code, grid_code)]
    commit()
    return rows


def workers_view(user: User, community_code: str | None, grid_code: str | None, reveal: tuple[str, ...] = (),
                 channel: str = "api") -> list[dict]:
    """Worker dicts the user may read; full values of ``reveal`` fields are logged (one transaction)."""
    rows = [worker_dict(user, w, reveal, channel) for w in list_workers(user, community_code, grid_code)]
    commit()
    return rows
