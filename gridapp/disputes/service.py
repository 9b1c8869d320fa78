"""Disputes (矛盾纠纷排查化解): register, route by difficulty, mediate, refer, follow up.

Built on the incident machinery of :mod:`gridapp.incidents.workflow` rather than a copy of it:
the same :class:`~gridapp.incidents.workflow.Transition` rows, actor kinds from
:func:`~gridapp.incidents.workflow.scope_kinds`, ranks, the optimistic lock
(:func:`~gridapp.incidents.workflow.check_version` / ``commit_versioned``: stale → 409), the
parameter checks, and the same rule for side actions approved by a higher rank. Each action
is one transaction and appends one :class:`~gridapp.models.DisputeEvent`.

Routing (domain.md "Disputes"): 简单 ``simple`` → the community or village (secretary);
复杂 ``complex`` → the township; 疑难 ``hard`` → the district, with a named responsible leader
(``leader``). The *handler* of a dispute is a user in scope whose role ranks at least the
handling level's (secretary 2, township 3, district 4; admin always). Escalation/de-escalation
change the difficulty (and so the handler) with a reason.

Deadline: 30 calendar days from registration (``registered_at`` + 30 × 24 h, UTC; the
district report's target "98% closed within 30 days"); an approved 延期 adds the requested
days. *Overdue*: registered or mediating and past the deadline.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import and_, func, select
from sqlalchemy.orm.attributes import flag_modified

from ..accounts import pii
from ..analytics.kpi import area_condition
from ..analytics.kpi import grouped as kpi_grouped
from ..boundaries.locate import locate, point_expr
from ..core.scope import require_location_in_scope, scope_condition
from ..errors import BadInput, Conflict, Forbidden, NotFound, Unprocessable
from ..extensions import db
from ..incidents.workflow import (
    OFFICE,
    RANK,
    Transition,
    allowed_rows,
    check_version,
    commit_versioned,
    get_case,
    office_rank,
    page_of,
    parse_bool,
    parse_int,
    parse_note,
    period_conditions,
    scope_kinds,
    table_rows,
    utcnow,
)
from ..models import (
    AdminArea,
    Dispute,
    DisputeApproval,
    DisputeEvent,
    DisputeIncident,
    DisputeParty,
    DisputeType,
    DisputeVisit,
    MediationCommittee,
    MediationSession,
    Mediator,
    User,
)
from ..models.disputes import CHANNELS, DIFFICULTIES, PARTY_KINDS, PERFORMANCE, RISK_LEVELS, SOURCES

DEADLINE_DAYS = 30  # domain.md / district report: "98% closed within 30 days"
EXTEND_MAX_DAYS = 90
SUMMARY_MAX = 2000
TEXT_MAX = 10000
PARTIES_MAX = 20
OPEN_STATES = ("registered", "mediating")
CLOSED_OUT = ("resolved", "failed", "referred")
HANDLING_ROLE = {"simple": "secretary", "complex": "township", "hard": "district"}
ALL_IN_SCOPE = ("worker", "secretary", "township", "district", "admin")

STATE_NAMES = {"registered": _l("已登记"), "mediating": _l("调解中"), "resolved": _l("调解成功"),
               "failed": _l("调解失败"), "referred": _l("已移交")}
DIFFICULTY_NAMES = {"simple": _l("简单（社区/村）"), "complex": _l("复杂（街道/镇）"), "hard": _l("疑难（区级）")}
SOURCE_NAMES = {"screening": _l("排查"), "walk_in": _l("来访"), "worker": _l("网格员上报"), "transferred": _l("转办")}
RISK_NAMES = {"general": _l("一般"), "major": _l("较大"), "grave": _l("重大")}
CHANNEL_NAMES = {"court": _l("转诉讼（诉调对接）"), "police": _l("转公安（警调）"), "petition": _l("转信访（访调）")}
PERFORMANCE_NAMES = {"pending": _l("待履行"), "performing": _l("履行中"), "performed": _l("已履行"),
                     "breached": _l("未履行")}
KIND_NAMES = {"handler": _l("承办层级（按难度）及以上，在管辖范围内"), "worker": _l("网格员（本网格）"),
              "secretary": _l("社区书记（本社区）"), "township": _l("街道/镇（本街道）"),
              "district": _l("区级（本区）"), "admin": _l("系统管理员")}

TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", ("registered",), "mediating", ("handler",), _l("受理调解")),
    Transition("session", ("mediating",), None, ("handler",), _l("记录调解"), needs="session"),
    Transition("succeed", ("mediating",), "resolved", ("handler",), _l("调解成功"), needs="agreement"),
    Transition("fail", ("mediating",), "failed", ("handler",), _l("调解失败"), needs="note"),
    Transition("refer", ("mediating", "failed"), "referred", ("handler",), _l("移交（诉讼/公安/信访）"),
               needs="channel"),
    Transition("escalate", OPEN_STATES, None, ("handler",), _l("升级"), needs="difficulty"),
    Transition("deescalate", OPEN_STATES, None, ("handler",), _l("降级"), needs="difficulty"),
    Transition("extend", OPEN_STATES, None, ("handler",), _l("延期"), approval=True, needs="days"),
    Transition("perform", ("resolved",), None, ("handler",), _l("更新履行情况"), needs="performance"),
    Transition("visit", CLOSED_OUT, None, ("worker", "handler"), _l("回访"), needs="satisfaction"),
    Transition("link", OPEN_STATES + CLOSED_OUT, None, ALL_IN_SCOPE, _l("关联事件"), needs="incident"),
    Transition("approve", OPEN_STATES, None, OFFICE, _l("审批")),
)


# --- scope and actors ------------------------------------------------------------------------

def dispute_filter(user: User):
    """SQL condition on Dispute: in the user's scope (same table as incidents: scope.py)."""
    return scope_condition(user, Dispute.district_code, Dispute.community_code, Dispute.grid_code)


def actor_kinds(user: User, dispute: Dispute) -> set[str]:
    """The user's role in scope (workflow.scope_kinds) plus ``handler`` when that role ranks at
    least the handling level of the dispute's difficulty (admin always)."""
    kinds = scope_kinds(user, dispute)
    if kinds and office_rank(kinds) >= RANK[HANDLING_ROLE[dispute.difficulty]]:
        kinds = kinds | {"handler"}
    return kinds


def get_dispute(user: User, dispute_id) -> Dispute:
    """The dispute if in the user's scope; NotFound (404) otherwise (not revealed)."""
    try:
        dispute_id = int(dispute_id)
    except (TypeError, ValueError):
        raise NotFound(_("纠纷不存在"), code="dispute_not_found") from None
    dispute = db.session.scalar(select(Dispute).where(Dispute.id == dispute_id, dispute_filter(user)))
    if dispute is None:
        raise NotFound(_("纠纷 %(id)s 不存在或不在您的管辖范围内", id=dispute_id), code="dispute_not_found")
    return dispute


def pending_approval(dispute: Dispute) -> DisputeApproval | None:
    """The dispute's side-action request awaiting approval, if any."""
    return db.session.scalar(select(DisputeApproval).where(DisputeApproval.dispute_id == dispute.id,
                                                           DisputeApproval.decision.is_(None)))


def allowed_actions(user: User, dispute: Dispute) -> list[Transition]:
    """The table rows the user may take now (for the dispute page and the API)."""
    return allowed_rows(TRANSITIONS, user, dispute.status, actor_kinds(user, dispute), pending_approval(dispute),
                        approve_sources=True)


# --- register --------------------------------------------------------------------------------

def _text(value, field: str, max_len: int, required: bool = True) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadInput(_("%(field)s 必须是文字", field=field), code=f"invalid_{field}")
    value = (value or "").strip()
    if required and not value:
        raise BadInput(_("请填写 %(field)s", field=field), code=f"invalid_{field}")
    if len(value) > max_len:
        raise BadInput(_("%(field)s 不能超过 %(max)s 个字", field=field, max=max_len), code=f"invalid_{field}")
    return value or None


def _choice(value, field: str, allowed) -> str:
    if value not in allowed:
        raise BadInput(_("%(field)s 必须是 %(allowed)s 之一", field=field, allowed=", ".join(allowed)),
                       code=f"invalid_{field}")
    return value


def _amount(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise BadInput(_("争议金额 (amount) 必须是不小于 0 的数（元）"), code="invalid_amount")
    return amount.quantize(Decimal("0.01"))


def _parties(items) -> list[DisputeParty]:
    if not isinstance(items, list) or not items or len(items) > PARTIES_MAX:
        raise BadInput(_("当事人 (parties) 必须是 1 到 %(max)s 个的列表", max=PARTIES_MAX), code="invalid_parties")
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise BadInput(_("第 %(n)s 个当事人必须是对象", n=i), code="invalid_parties")
        kind = item.get("kind") or "person"
        if kind not in PARTY_KINDS:
            raise BadInput(_("第 %(n)s 个当事人的类型 (kind) 必须是 person 或 organisation", n=i),
                           code="invalid_parties")
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
            raise BadInput(_("第 %(n)s 个当事人缺少姓名或名称 (name)", n=i), code="invalid_parties")
        try:
            id_number = pii.normalise_id_number(item.get("id_number"))
            phone = pii.normalise_phone(item.get("phone"))
        except ValueError as err:
            raise BadInput(_("第 %(n)s 个当事人：%(error)s", n=i, error=str(err)), code="invalid_parties") from None
        if kind == "organisation" and id_number:
            raise BadInput(_("第 %(n)s 个当事人是组织，不填写身份证号", n=i), code="invalid_parties")
        out.append(DisputeParty(kind=kind, name=name.strip(), id_number=id_number, phone=phone))
    return out


def _leader(difficulty: str, value) -> str | None:
    leader = _text(value, "leader", 50, required=False)
    if difficulty == "hard" and not leader:
        raise BadInput(_("疑难纠纷必须指定区级包案领导 (leader)"), code="leader_required")
    return leader


def active_types() -> list[DisputeType]:
    """Dispute types offered for new registrations, in order."""
    return list(db.session.scalars(select(DisputeType).where(DisputeType.active.is_(True))
                                   .order_by(DisputeType.position, DisputeType.code)))


def register(user: User, data: dict, now: datetime | None = None) -> Dispute:
    """Register a dispute (统一登记受理); one transaction, first history entry ``register``.

    ``data``: type_code, summary, lon/lat (WGS84 degrees), source (screening/walk_in/worker/
    transferred), parties [{kind person|organisation, name, id_number?, phone?}], amount
    (yuan, optional), risk_level (general/major/grave), escalation_risk (bool), difficulty
    (simple/complex/hard, default simple), leader (required for hard), incidents (ids to link,
    optional). Raises BadInput (field named in the code), Unprocessable 422 (point outside every
    district), Forbidden 403 (point outside the user's scope).
    """
    now = now or utcnow()
    type_code = data.get("type_code")
    if db.session.scalar(select(DisputeType.code).where(DisputeType.code == str(type_code),
                                                        DisputeType.active.is_(True))) is None:
        raise BadInput(_("纠纷类型 %(code)s 不存在", code=repr(type_code)), code="invalid_type_code")
    summary = _text(data.get("summary"), "summary", SUMMARY_MAX)
    source = _choice(data.get("source") or "screening", "source", SOURCES)
    risk = _choice(data.get("risk_level") or "general", "risk_level", RISK_LEVELS)
    difficulty = _choice(data.get("difficulty") or "simple", "difficulty", DIFFICULTIES)
    leader = _leader(difficulty, data.get("leader"))
    escalation = parse_bool({"escalation_risk": data.get("escalation_risk", False)}, "escalation_risk",
                            _("可能激化 (escalation_risk) 必须是 true 或 false"))
    amount = _amount(data.get("amount"))
    parties = _parties(data.get("parties"))
    try:
        loc = locate(data.get("lon"), data.get("lat"))
    except NotFound as err:
        raise Unprocessable(err.message, code="outside_district") from None
    require_location_in_scope(user, loc)
    dispute = Dispute(type_code=type_code, summary=summary, source=source, risk_level=risk,
                      escalation_risk=escalation, difficulty=difficulty, leader=leader, amount=amount,
                      geom=point_expr(float(data["lon"]), float(data["lat"])), grid_code=loc.grid_code,
                      community_code=loc.community_code, district_code=loc.district_code,
                      registered_by=user.id, registered_at=now,
                      deadline_at=now + timedelta(days=DEADLINE_DAYS), parties=parties)
    db.session.add(dispute)
    db.session.flush()
    db.session.add(DisputeEvent(dispute_id=dispute.id, actor_id=user.id, at=now, action="register",
                                from_state=None, to_state=dispute.status,
                                data={"difficulty": difficulty, "leader": leader}))
    for incident_id in data.get("incidents") or []:
        _link(user, dispute, {"incident": incident_id}, now, record=True)
    db.session.commit()
    return dispute


# --- actions ---------------------------------------------------------------------------------

def _rows(action: str) -> list[Transition]:
    return table_rows(action, TRANSITIONS)


def _mediator(dispute: Dispute, value) -> int | None:
    if value in (None, ""):
        return None
    mediator_id = parse_int({"mediator_id": value}, "mediator_id", 1, 2**31 - 1, _("调解员 (mediator_id) 必须是编号"))
    found = db.session.scalar(select(Mediator.id).join(MediationCommittee).where(
        Mediator.id == mediator_id, MediationCommittee.district_code == dispute.district_code))
    if found is None:
        raise BadInput(_("调解员 %(id)s 不存在（须为本区调解委员会的调解员）", id=mediator_id),
                       code="invalid_mediator_id")
    return found


def _held_on(value) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadInput(_("调解日期 (held_on) 必须是日期 YYYY-MM-DD"), code="invalid_held_on") from None


def _params(t: Transition, dispute: Dispute, params: dict) -> tuple[str | None, dict]:
    note = parse_note(params, t.needs in ("note", "difficulty"))
    data: dict = {}
    if t.needs == "session":
        data = {"held_on": _held_on(params.get("held_on")).isoformat(),
                "participants": _text(params.get("participants"), "participants", TEXT_MAX),
                "minutes": _text(params.get("minutes"), "minutes", TEXT_MAX),
                "mediator_id": _mediator(dispute, params.get("mediator_id"))}
    elif t.needs == "agreement":
        data = {"agreement": _text(params.get("agreement"), "agreement", TEXT_MAX),
                "performance": _choice(params.get("performance") or "pending", "performance", PERFORMANCE)}
    elif t.needs == "channel":
        channel = _choice(params.get("channel"), "channel", CHANNELS)
        data = {"channel": channel}
        if channel == "court":
            data["court_case_no"] = _text(params.get("court_case_no"), "court_case_no", 64)
    elif t.needs == "difficulty":
        new = _choice(params.get("difficulty"), "difficulty", DIFFICULTIES)
        order = DIFFICULTIES.index
        if (t.action == "escalate") != (order(new) > order(dispute.difficulty)):
            raise BadInput(_("升级须提高难度，降级须降低难度（当前：%(now)s）",
                             now=DIFFICULTY_NAMES[dispute.difficulty]), code="invalid_difficulty")
        data = {"from": dispute.difficulty, "difficulty": new, "leader": _leader(new, params.get("leader"))}
    elif t.needs == "days":
        data["days"] = parse_int(params, "days", 1, EXTEND_MAX_DAYS,
                                 _("延期天数 (days) 必须是 1 到 %(max)s 的整数", max=EXTEND_MAX_DAYS))
    elif t.needs == "performance":
        data["performance"] = _choice(params.get("performance"), "performance", PERFORMANCE)
    elif t.needs == "satisfaction":
        data["satisfaction"] = parse_int(params, "satisfaction", 1, 5, _("满意度 (satisfaction) 必须是 1 到 5 的整数"))
    return note, data


def _link(user: User, dispute: Dispute, params: dict, now, record: bool = False) -> dict:
    incident_id = parse_int(params, "incident", 1, 2**31 - 1, _("关联事件 (incident) 必须是事件编号"))
    incident = get_case(user, incident_id)
    exists = db.session.get(DisputeIncident, (dispute.id, incident.id))
    if exists is None:
        db.session.add(DisputeIncident(dispute_id=dispute.id, incident_id=incident.id))
    data = {"incident": incident.id}
    if record:
        db.session.add(DisputeEvent(dispute_id=dispute.id, actor_id=user.id, at=now, action="link",
                                    from_state=dispute.status, to_state=dispute.status, data=data))
    return data


def _apply(user: User, dispute: Dispute, t: Transition, note, data: dict, now: datetime) -> None:
    action = t.action
    if action == "session":
        db.session.add(MediationSession(dispute_id=dispute.id, held_on=date.fromisoformat(data["held_on"]),
                                        participants=data["participants"], minutes=data["minutes"],
                                        mediator_id=data["mediator_id"], recorded_by=user.id, recorded_at=now))
        if data["mediator_id"]:
            dispute.mediator_id = data["mediator_id"]
    elif action == "succeed":
        dispute.agreement, dispute.performance = data["agreement"], data["performance"]
    elif action == "refer":
        dispute.channel, dispute.court_case_no = data["channel"], data.get("court_case_no")
    elif action in ("escalate", "deescalate"):
        dispute.difficulty, dispute.leader = data["difficulty"], data["leader"]
    elif action == "extend":
        dispute.deadline_at = dispute.deadline_at + timedelta(days=data["days"])
        data["deadline_at"] = dispute.deadline_at.isoformat()
    elif action == "perform":
        dispute.performance = data["performance"]
    elif action == "visit":
        db.session.add(DisputeVisit(dispute_id=dispute.id, visited_at=now, satisfaction=data["satisfaction"],
                                    note=note, visited_by=user.id))
    if t.target is not None:
        dispute.status = t.target
        if t.target in CLOSED_OUT:
            dispute.closed_at = now


def perform(user: User, dispute_id, action: str, params: dict | None = None, *, version=None,
            now: datetime | None = None) -> Dispute:
    """Take ``action`` (a row of :data:`TRANSITIONS`) on a dispute as ``user``; one transaction.

    ``params`` by action: session {held_on YYYY-MM-DD, participants, minutes, mediator_id?};
    succeed {agreement, performance?}; fail {note}; refer {channel court|police|petition,
    court_case_no (court)}; escalate/deescalate {difficulty, note, leader (hard)}; extend
    {days 1–90, note?}; perform {performance}; visit {satisfaction 1–5, note?}; link
    {incident}; approve {approved bool, note (required to refuse)}. ``version``: optional,
    stale → 409. Raises NotFound 404 (dispute/action), Forbidden 403 (role/scope),
    Conflict 409 (``stale_version``, ``invalid_state``, ``pending_approval``), BadInput 400.
    """
    params = params or {}
    now = now or utcnow()
    rows = _rows(action)
    dispute = get_dispute(user, dispute_id)
    kinds = actor_kinds(user, dispute)
    t = rows[0]
    from_state = dispute.status
    if action != "approve" and not kinds & set(t.roles):  # who may act: before version and state
        raise Forbidden(_("您无权对此纠纷执行“%(action)s”（允许：%(who)s）", action=t.label,
                          who="、".join(str(KIND_NAMES[k]) for k in t.roles)), code="action_forbidden")
    check_version(dispute.version, version, lambda mine: _(
        "纠纷已被他人更新（您的版本 %(mine)s，当前版本 %(now)s），请刷新后重试", mine=mine, now=dispute.version))
    if dispute.status not in t.sources:
        raise Conflict(_("纠纷处于“%(state)s”状态，不能执行“%(action)s”", state=STATE_NAMES[dispute.status],
                         action=t.label), code="invalid_state")
    if action == "approve":
        note, data = _approve(user, dispute, kinds, params, now)
    else:
        note, data = _params(t, dispute, params) if t.action != "link" else (parse_note(params, False), {})
        if t.action == "link":
            data = _link(user, dispute, params, now)
        elif t.approval:
            if pending_approval(dispute) is not None:
                raise Conflict(_("此纠纷已有待审批的申请"), code="pending_approval")
            approval = DisputeApproval(dispute_id=dispute.id, action=t.action, data=data, note=note,
                                       requested_by=user.id, requested_rank=office_rank(kinds), requested_at=now)
            db.session.add(approval)
            db.session.flush()
            data = {**data, "approval_id": approval.id, "requested": True}
        else:
            _apply(user, dispute, t, note, data, now)
    db.session.add(DisputeEvent(dispute_id=dispute.id, actor_id=user.id, at=now, action=action,
                                from_state=from_state, to_state=dispute.status, note=note, data=data))
    flag_modified(dispute, "status")  # every action bumps the version
    commit_versioned(lambda: _("纠纷已被他人同时更新，请刷新后重试"))
    return dispute


def _approve(user, dispute, kinds, params, now) -> tuple[str | None, dict]:
    pending = pending_approval(dispute)
    if pending is None:
        raise Conflict(_("此纠纷没有待审批的申请"), code="no_pending_approval")
    if not kinds & set(OFFICE) or pending.requested_by == user.id or office_rank(kinds) <= pending.requested_rank:
        raise Forbidden(_("审批须由申请人的上一级（在管辖范围内）进行"), code="action_forbidden")
    approved = parse_bool(params, "approved", _("审批结果 (approved) 必须是 true 或 false")) \
        if "approved" in params else True
    note = parse_note(params, not approved)
    data = {"approval_id": pending.id, "request_action": pending.action, "approved": approved}
    if approved:
        effect = dict(pending.data or {})
        _apply(user, dispute, _rows(pending.action)[0], pending.note, effect, now)
        data.update(effect)
    pending.decision = "approved" if approved else "refused"
    pending.decided_by, pending.decided_at = user.id, now
    return note, data


# --- representation --------------------------------------------------------------------------

def overdue(dispute: Dispute, now: datetime | None = None) -> bool:
    """True when the dispute is registered or mediating and ``now`` (UTC) is past its deadline
    (30 days from registration plus approved extensions)."""
    return dispute.status in OPEN_STATES and (now or utcnow()) > dispute.deadline_at


def party_dicts(user: User, dispute: Dispute, reveal: bool = False, channel: str = "api") -> list[dict]:
    """The parties as the user may see them: names of persons, ID numbers and phones masked
    (:mod:`gridapp.accounts.pii`); ``reveal`` (admin, or the secretary of the community) shows
    them in full and logs one PiiView per value shown (entity ``dispute_party``; the caller
    commits). Raises Forbidden 403 ``pii_forbidden`` for other roles asking to reveal."""
    out = []
    for p in dispute.parties:
        name = pii.shown(user, "dispute_party", p, "name", reveal, channel) if p.kind == "person" else p.name
        out.append({"id": p.id, "kind": p.kind, "name": name,
                    "id_number": pii.shown(user, "dispute_party", p, "id_number", reveal, channel),
                    "phone": pii.shown(user, "dispute_party", p, "phone", reveal, channel)})
    return out


def history(dispute: Dispute) -> list[DisputeEvent]:
    """The dispute's history, oldest first."""
    return list(db.session.scalars(select(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id)
                                   .order_by(DisputeEvent.at, DisputeEvent.id)))


def sessions(dispute: Dispute) -> list[MediationSession]:
    """The mediation sessions, by date."""
    return list(db.session.scalars(select(MediationSession).where(MediationSession.dispute_id == dispute.id)
                                   .order_by(MediationSession.held_on, MediationSession.id)))


def visits(dispute: Dispute) -> list[DisputeVisit]:
    """The follow-up visits, oldest first."""
    return list(db.session.scalars(select(DisputeVisit).where(DisputeVisit.dispute_id == dispute.id)
                                   .order_by(DisputeVisit.visited_at, DisputeVisit.id)))


def linked_incidents(dispute: Dispute) -> list[int]:
    """Ids of the incidents linked to the dispute."""
    return list(db.session.scalars(select(DisputeIncident.incident_id).where(DisputeIncident.dispute_id == dispute.id)
                                   .order_by(DisputeIncident.incident_id)))


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def dispute_dict(user: User, dispute: Dispute, reveal: bool = False, now: datetime | None = None) -> dict:
    """JSON of one dispute (``GET /api/v1/disputes/<id>``): facts, routing, state, version,
    deadline (UTC) and overdue, outcome, parties (masked unless revealed), sessions, visits,
    linked incidents, pending approval, allowed actions and history. Commits the PiiView rows
    when ``reveal``."""
    lon, lat = db.session.execute(select(Dispute.geom.ST_X(), Dispute.geom.ST_Y())
                                  .where(Dispute.id == dispute.id)).one()
    pending = pending_approval(dispute)
    parties = party_dicts(user, dispute, reveal)
    out = {
        "id": dispute.id, "status": dispute.status, "state_name": str(STATE_NAMES[dispute.status]),
        "version": dispute.version, "type_code": dispute.type_code, "type_name": dispute.type.name,
        "summary": dispute.summary, "lon": lon, "lat": lat, "grid_code": dispute.grid_code,
        "community_code": dispute.community_code, "district_code": dispute.district_code,
        "source": dispute.source, "amount": None if dispute.amount is None else float(dispute.amount),
        "risk_level": dispute.risk_level, "escalation_risk": dispute.escalation_risk,
        "difficulty": dispute.difficulty, "handling_level": HANDLING_ROLE[dispute.difficulty],
        "leader": dispute.leader, "registered_by": dispute.registrar.username,
        "registered_at": dispute.registered_at.isoformat(), "deadline_at": dispute.deadline_at.isoformat(),
        "closed_at": _iso(dispute.closed_at), "overdue": overdue(dispute, now),
        "mediator": dispute.mediator.name if dispute.mediator else None,
        "channel": dispute.channel, "court_case_no": dispute.court_case_no,
        "agreement": dispute.agreement, "performance": dispute.performance,
        "parties": parties,
        "sessions": [{"id": s.id, "held_on": s.held_on.isoformat(), "participants": s.participants,
                      "minutes": s.minutes, "mediator": s.mediator.name if s.mediator else None}
                     for s in sessions(dispute)],
        "visits": [{"id": v.id, "visited_at": v.visited_at.isoformat(), "satisfaction": v.satisfaction,
                    "note": v.note} for v in visits(dispute)],
        "incidents": linked_incidents(dispute),
        "pending_approval": None if pending is None else {
            "id": pending.id, "action": pending.action, "requested_by": pending.requester.username,
            "requested_at": pending.requested_at.isoformat(), "note": pending.note, "data": pending.data},
        "allowed_actions": sorted({t.action for t in allowed_actions(user, dispute)}),
        "history": [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor.username, "action": e.action,
                     "from_state": e.from_state, "to_state": e.to_state, "note": e.note, "data": e.data or {}}
                    for e in history(dispute)],
    }
    if reveal:
        db.session.commit()
    return out


def dispute_feature(dispute: Dispute, now: datetime | None = None) -> dict:
    """GeoJSON Feature of a dispute (Point lon/lat) for the map layer (by state and risk); no
    party data."""
    return {"type": "Feature", "id": dispute.id, "geometry": mapping(to_shape(dispute.geom)),
            "properties": {"id": dispute.id, "type_code": dispute.type_code, "type_name": dispute.type.name,
                           "status": dispute.status, "state_name": str(STATE_NAMES[dispute.status]),
                           "risk_level": dispute.risk_level, "risk_name": str(RISK_NAMES[dispute.risk_level]),
                           "escalation_risk": dispute.escalation_risk, "difficulty": dispute.difficulty,
                           "community_code": dispute.community_code, "grid_code": dispute.grid_code,
                           "registered_at": dispute.registered_at.isoformat(), "overdue": overdue(dispute, now)}}



def search(user: User, args: dict, now: datetime | None = None) -> tuple[list[Dispute], int, int, int]:
    """The disputes in the user's scope, filtered, newest first, one page.

    ``args`` (strings, optional): state (comma-separated), type, difficulty, risk_level,
    escalation_risk (true), community, overdue (true), from / to (local dates on registered_at),
    page, per_page (1–500). Returns (disputes, total, page, per_page). Raises BadInput."""
    now = now or utcnow()
    conds = [dispute_filter(user)]
    if args.get("state"):
        states = [s.strip() for s in str(args["state"]).split(",") if s.strip()]
        unknown = [s for s in states if s not in STATE_NAMES]
        if unknown:
            raise BadInput(_("未知的状态 %(states)s", states=", ".join(unknown)), code="invalid_state_filter")
        conds.append(Dispute.status.in_(states))
    for key, col, allowed in (("type", Dispute.type_code, None), ("difficulty", Dispute.difficulty, DIFFICULTIES),
                              ("risk_level", Dispute.risk_level, RISK_LEVELS),
                              ("community", Dispute.community_code, None)):
        if args.get(key):
            if allowed:
                _choice(args[key], key, allowed)
            conds.append(col == str(args[key]))
    if str(args.get("escalation_risk", "")).lower() in ("true", "1"):
        conds.append(Dispute.escalation_risk.is_(True))
    if str(args.get("overdue", "")).lower() in ("true", "1"):
        conds.append(and_(Dispute.status.in_(OPEN_STATES), Dispute.deadline_at < now))
    conds += period_conditions(Dispute.registered_at, args.get("from"), args.get("to"))
    return page_of(Dispute, conds, (Dispute.registered_at.desc(), Dispute.id.desc()), args)


# --- types, committees, mediators ------------------------------------------------------------

def save_type(user: User, data: dict) -> DisputeType:
    """Create or edit a dispute type {code (1–16 chars), name, active?, position?} (admin or a
    district user). Raises Forbidden, BadInput (``invalid_code``, ``invalid_name``, name taken)."""
    if user.role not in ("admin", "district"):
        raise Forbidden(_("只有区级用户和管理员可以维护纠纷类型"), code="action_forbidden")
    code = _text(data.get("code"), "code", 16)
    name = _text(data.get("name"), "name", 50)
    taken = db.session.scalar(select(DisputeType.code).where(DisputeType.name == name, DisputeType.code != code))
    if taken:
        raise BadInput(_("类型名称“%(name)s”已被 %(code)s 使用", name=name, code=taken), code="invalid_name")
    row = db.session.get(DisputeType, code) or DisputeType(code=code, position=99)
    row.name = name
    row.active = parse_bool({"active": data.get("active", True)}, "active", _("active 必须是 true 或 false"))
    if data.get("position") is not None:
        row.position = parse_int(data, "position", 0, 9999, _("position 必须是 0 到 9999 的整数"))
    db.session.add(row)
    db.session.commit()
    return row


def mediators(user: User) -> list[Mediator]:
    """Mediators of the committees in the user's district (all for admin), by committee and name."""
    q = select(Mediator).join(MediationCommittee).order_by(MediationCommittee.name, Mediator.name)
    if user.role != "admin":
        district = (user.scope_code or "")[:6]
        q = q.where(MediationCommittee.district_code == district)
    return list(db.session.scalars(q))


def add_mediator(user: User, data: dict) -> Mediator:
    """Add a mediator {name, committee_id} or, with {committee_name, area_code}, a committee
    and its first mediator. The committee's area must be in the user's scope (secretary: their
    community; township: its communities or itself; district: the district). Raises BadInput,
    Forbidden."""
    if user.role not in ("admin", "district", "township", "secretary"):
        raise Forbidden(_("只有社区、街道、区级用户可以维护调解员"), code="action_forbidden")
    name = _text(data.get("name"), "name", 50)
    if data.get("committee_id") not in (None, ""):
        committee = db.session.get(MediationCommittee, parse_int(data, "committee_id", 1, 2**31 - 1,
                                                                 _("committee_id 必须是编号")))
        if committee is None:
            raise BadInput(_("调解委员会不存在"), code="invalid_committee_id")
    else:
        area = db.session.get(AdminArea, str(data.get("area_code") or ""))
        if area is None:
            raise BadInput(_("区域 %(code)s 不存在", code=repr(data.get("area_code"))), code="invalid_area_code")
        committee = MediationCommittee(name=_text(data.get("committee_name"), "committee_name", 100),
                                       area_code=area.code, district_code=area.district_code)
    code = committee.area_code
    role, scope = user.role, user.scope_code
    ok = role == "admin" or (role == "district" and committee.district_code == scope) or \
        (role == "township" and (code == scope or db.session.scalar(
            select(AdminArea.parent_code).where(AdminArea.code == code)) == scope)) or \
        (role == "secretary" and code == scope)
    if not ok:
        raise Forbidden(_("该调解委员会不在您的管辖范围内"), code="outside_scope")
    mediator = Mediator(name=name, committee=committee)
    db.session.add(mediator)
    db.session.commit()
    return mediator


# --- figures ---------------------------------------------------------------------------------

def stats(user: User, level, code, date_from=None, date_to=None, by: str | None = None) -> dict:
    """Figures of the disputes of an area and date range, by one SQL query each (no counters).

    Cohort D: disputes located in the area (``level`` grid|community|township|district,
    ``code``; checked to exist and be in the user's scope, as the incident KPIs) whose
    ``registered_at`` falls in [from, to] (local dates, Asia/Shanghai, inclusive; open ends when
    omitted). Over D:

    * registered — |D|;
    * closed_out (已办结) — disputes with an outcome: state resolved, failed or referred;
    * resolved (化解) — state resolved (调解成功);
    * resolution_rate (化解率) = resolved / closed_out (null when closed_out = 0), 4 places;
    * resolved_within_30_days — resolved with ``closed_at − registered_at ≤ 30 days``
      (the original 30 days; an extension does not count);
    * referred by channel — state referred, by ``channel`` (court, police, petition);
    * failed — state failed (调解失败, not referred afterwards);
    * open, overdue (now) — registered/mediating, and of those past the deadline;
    * satisfaction — visits (回访) of disputes of D: count and mean score (1–5, 2 places);
    * by_type and by_community — registered, closed_out, resolved per type / community.

    With ``by`` also {by, groups} as :func:`groups`.
    Raises BadInput (level/dates/by), NotFound (area), Forbidden (outside scope).
    """
    conds = _cohort(user, level, code, date_from, date_to)
    D = Dispute  # noqa: N806 - short alias in the query
    closed_out = D.status.in_(CLOSED_OUT)
    resolved = D.status == "resolved"
    row = db.session.execute(select(*_columns(utcnow())).where(*conds)).one()._mapping
    visit_row = db.session.execute(select(func.count(DisputeVisit.id), func.avg(DisputeVisit.satisfaction))
                                   .join(D, D.id == DisputeVisit.dispute_id).where(*conds)).one()

    def grouped(col, name_col=None, join=None):
        q = select(col, *( [name_col] if name_col is not None else []), func.count(),
                   func.count().filter(closed_out), func.count().filter(resolved)).where(*conds)
        if join is not None:
            q = q.join(*join)
        q = q.group_by(col, *([name_col] if name_col is not None else [])).order_by(col)
        return [{"code": r[0], **({"name": r[1]} if name_col is not None else {}),
                 "registered": r[-3], "closed_out": r[-2], "resolved": r[-1]} for r in db.session.execute(q)]

    result = {
        "level": level, "code": code, "from": date_from, "to": date_to,
        **_figures(row),
        "satisfaction": {"visits": int(visit_row[0]),
                         "mean": None if visit_row[1] is None else round(float(visit_row[1]), 2)},
        "by_type": grouped(D.type_code, DisputeType.name, (DisputeType, DisputeType.code == D.type_code)),
        "by_community": grouped(D.community_code, AdminArea.name, (AdminArea, AdminArea.code == D.community_code)),
    }
    if by is not None:
        result["by"] = by
        result["groups"] = groups(user, level, code, date_from, date_to, by)
    return result


def _cohort(user: User, level, code, date_from, date_to) -> list:
    return [area_condition(user, level, code, Dispute),
            *period_conditions(Dispute.registered_at, date_from, date_to)]


def _columns(now: datetime) -> list:
    D = Dispute  # noqa: N806 - short alias in the query
    resolved = D.status == "resolved"
    return [
        func.count().label("registered"),
        func.count().filter(D.status.in_(CLOSED_OUT)).label("closed_out"),
        func.count().filter(resolved).label("resolved"),
        func.count().filter(and_(resolved, D.closed_at - D.registered_at <= timedelta(days=DEADLINE_DAYS)))
        .label("resolved_within_30_days"),
        func.count().filter(D.status == "failed").label("failed"),
        *(func.count().filter(and_(D.status == "referred", D.channel == c)).label(f"referred_{c}") for c in CHANNELS),
        func.count().filter(D.status.in_(OPEN_STATES)).label("open"),
        func.count().filter(and_(D.status.in_(OPEN_STATES), D.deadline_at < now)).label("overdue"),
    ]


def _figures(row) -> dict:
    counts = {k: int(row[k]) for k in ("registered", "closed_out", "resolved", "resolved_within_30_days",
                                       "failed", "open", "overdue")}
    return {"counts": counts, "referred": {c: int(row[f"referred_{c}"]) for c in CHANNELS},
            "resolution_rate": round(counts["resolved"] / counts["closed_out"], 4) if counts["closed_out"] else None}


def groups(user: User, level, code, date_from=None, date_to=None, by: str = "community") -> list[dict]:
    """The dispute figures of :func:`stats` per group ``by`` township | community | grid | day |
    week | month (as :func:`gridapp.analytics.kpi.group_key`, on ``registered_at``): [{code, name,
    counts, referred, resolution_rate}] ordered by code; groups without disputes absent. Same
    errors as :func:`stats`."""
    conds = _cohort(user, level, code, date_from, date_to)
    return [{"code": r.key, "name": r.name, **_figures(r._mapping)}
            for r in kpi_grouped(Dispute, _columns(utcnow()), conds, by, Dispute.registered_at)]


def map_counts(user: User) -> dict:
    """Counts of the visible disputes by state and by risk level (legend of the map layer)."""
    rows = db.session.execute(select(Dispute.status, Dispute.risk_level, func.count())
                              .where(dispute_filter(user)).group_by(Dispute.status, Dispute.risk_level))
    out: dict = {"state": {}, "risk": {}}
    for state, risk, n in rows:
        out["state"][state] = out["state"].get(state, 0) + n
        out["risk"][risk] = out["risk"].get(risk, 0) + n
    return out


__all__ = ["register", "perform", "search", "stats", "dispute_dict", "dispute_feature", "get_dispute",
           "allowed_actions", "party_dicts", "groups", "save_type", "add_mediator", "mediators"]
