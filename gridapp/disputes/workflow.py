"""Disputes on the casework core: register, then every action through one :func:`perform`.

The rules (routing by difficulty, the table, the deadline) are in :mod:`gridapp.disputes.rules`;
the order of checks, the optimistic lock, approvals and the history row are
:func:`gridapp.core.casework.perform`'s. This module declares the dispute's own: who the actor
kinds are, the parameters of each action and their effects.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts import pii
from ..boundaries.locate import locate, point_expr
from ..core import params as p
from ..core.casework import Outcome, StoredKind, Transition
from ..core.casework import perform as perform_case
from ..core.clock import utcnow
from ..core.errors import BadInput, NotFound, Unprocessable
from ..core.roles import RANK, office_rank
from ..core.scope import require_location_in_scope, scope_condition
from ..extensions import db
from ..incidents.workflow import get_case, scope_kinds
from ..models import (
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
from .rules import (
    CHANNELS,
    CLOSED_OUT,
    DEADLINE_DAYS,
    DIFFICULTIES,
    DIFFICULTY_NAMES,
    EXTEND_MAX_DAYS,
    HANDLING_ROLE,
    KIND_NAMES,
    PARTIES_MAX,
    PARTY_KINDS,
    PERFORMANCE,
    RISK_LEVELS,
    SOURCES,
    STATE_NAMES,
    SUMMARY_MAX,
    TEXT_MAX,
    TRANSITIONS,
)


def dispute_filter(user: User):
    """SQL condition on Dispute: in the user's scope (the one rule, :mod:`gridapp.core.scope`)."""
    return scope_condition(user, Dispute.district_code, Dispute.community_code, Dispute.grid_code)


def actor_kinds(user: User, dispute: Dispute) -> set[str]:
    """The user's role in scope plus ``handler`` when that role ranks at least the handling level
    of the dispute's difficulty (:data:`~gridapp.disputes.rules.HANDLING_ROLE`; admin always)."""
    kinds = scope_kinds(user, dispute)
    if kinds and office_rank(kinds) >= RANK[HANDLING_ROLE[dispute.difficulty]]:
        kinds = kinds | {"handler"}
    return kinds


def get_dispute(user: User, dispute_id) -> Dispute:
    """The dispute if in the user's scope; NotFound (404) otherwise (not revealed)."""
    try:
        dispute_id = p.integer(dispute_id, "id")
    except BadInput:
        raise NotFound(_("纠纷不存在"), code="dispute_not_found") from None
    dispute = db.session.scalar(select(Dispute).where(Dispute.id == dispute_id, dispute_filter(user)))
    if dispute is None:
        raise NotFound(_("纠纷 %(id)s 不存在或不在您的管辖范围内", id=dispute_id), code="dispute_not_found")
    return dispute


# --- parameters ------------------------------------------------------------------------------

def _amount(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise p.bad("amount", _("争议金额 (amount) 必须是不小于 0 的数（元）"))
    return amount.quantize(Decimal("0.01"))


def _parties(items) -> list[DisputeParty]:
    if not isinstance(items, list) or not items or len(items) > PARTIES_MAX:
        raise p.bad("parties", _("当事人 (parties) 必须是 1 到 %(max)s 个的列表", max=PARTIES_MAX))
    out = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise p.bad("parties", _("第 %(n)s 个当事人必须是对象", n=i))
        kind = item.get("kind") or "person"
        if kind not in PARTY_KINDS:
            raise p.bad("parties", _("第 %(n)s 个当事人的类型 (kind) 必须是 person 或 organisation", n=i))
        name = item.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
            raise p.bad("parties", _("第 %(n)s 个当事人缺少姓名或名称 (name)", n=i))
        try:
            id_number = pii.normalise_id_number(item.get("id_number"))
            phone = pii.normalise_phone(item.get("phone"))
        except ValueError as err:
            raise p.bad("parties", _("第 %(n)s 个当事人：%(error)s", n=i, error=str(err))) from None
        if kind == "organisation" and id_number:
            raise p.bad("parties", _("第 %(n)s 个当事人是组织，不填写身份证号", n=i))
        out.append(DisputeParty(kind=kind, name=p.text(name, "parties", 100), id_number=id_number, phone=phone))
    return out


def _leader(difficulty: str, value) -> str | None:
    leader = p.text(value, "leader", 50, required=False)
    if difficulty == "hard" and not leader:
        raise BadInput(_("疑难纠纷必须指定区级包案领导 (leader)"), code="leader_required", field="leader")
    return leader


def _mediator(dispute: Dispute, value) -> int | None:
    if value in (None, ""):
        return None
    mediator_id = p.integer(value, "mediator_id", message=_("调解员 (mediator_id) 必须是编号"))
    found = db.session.scalar(select(Mediator.id).join(MediationCommittee).where(
        Mediator.id == mediator_id, MediationCommittee.district_code == dispute.district_code))
    if found is None:
        raise p.bad("mediator_id", _("调解员 %(id)s 不存在（须为本区调解委员会的调解员）", id=mediator_id))
    return found


def _link(user: User, dispute: Dispute, params: dict) -> dict:
    """Link the incident ``params["incident"]`` (found in the user's scope: 404 otherwise)."""
    incident_id = p.integer(params.get("incident"), "incident", message=_("关联事件 (incident) 必须是事件编号"))
    incident = get_case(user, incident_id)
    if db.session.get(DisputeIncident, (dispute.id, incident.id)) is None:
        db.session.add(DisputeIncident(dispute_id=dispute.id, incident_id=incident.id))
    return {"incident": incident.id}


# --- the kind --------------------------------------------------------------------------------

class DisputeKind(StoredKind):
    """The dispute as a case kind: table :data:`~gridapp.disputes.rules.TRANSITIONS`."""

    name = "dispute"
    messages = {"stale": _l("纠纷已被他人更新（您的版本 %(mine)s，当前版本 %(now)s），请刷新后重试"),
                "race": _l("纠纷已被他人同时更新，请刷新后重试"),
                "state": _l("纠纷处于“%(state)s”状态，不能执行“%(action)s”"),
                "forbidden": _l("您无权对此纠纷执行“%(action)s”（允许：%(who)s）"),
                "pending": _l("此纠纷已有待审批的申请"), "no_pending": _l("此纠纷没有待审批的申请"),
                "not_applicable": _l("纠纷已处于“%(state)s”状态，申请的“%(action)s”不再适用，请驳回")}
    table, state_names, role_names = TRANSITIONS, STATE_NAMES, KIND_NAMES
    event_model, approval_model, case_fk = DisputeEvent, DisputeApproval, "dispute_id"

    def find(self, user, case_id):
        return get_dispute(user, case_id)

    def actor_kinds(self, user, case) -> set[str]:
        return actor_kinds(user, case)

    def request_rank(self, kinds: set[str], t: Transition) -> int:
        """A handler requests with the rank of their office role."""
        return office_rank(kinds) or 1

    def parameters(self, t: Transition, user, case, params: dict) -> Outcome:
        """session {held_on, participants, minutes, mediator_id?}; succeed {agreement,
        performance?}; fail {note}; refer {channel, court_case_no (court)}; escalate/deescalate
        {difficulty, note, leader (hard)}; extend {days}; perform {performance}; visit
        {satisfaction 1–5}; link {incident}."""
        out = Outcome(note=p.note(params.get("note"), t.needs in ("note", "difficulty")))
        needs, data = t.needs, out.data
        if needs == "session":
            data.update(held_on=p.day(params.get("held_on"), "held_on").isoformat(),
                        participants=p.text(params.get("participants"), "participants", TEXT_MAX),
                        minutes=p.text(params.get("minutes"), "minutes", TEXT_MAX),
                        mediator_id=_mediator(case, params.get("mediator_id")))
        elif needs == "agreement":
            data.update(agreement=p.text(params.get("agreement"), "agreement", TEXT_MAX),
                        performance=p.choice(params.get("performance") or "pending", "performance", PERFORMANCE))
        elif needs == "channel":
            data["channel"] = p.choice(params.get("channel"), "channel", CHANNELS)
            if data["channel"] == "court":
                data["court_case_no"] = p.text(params.get("court_case_no"), "court_case_no", 64)
        elif needs == "difficulty":
            new = p.choice(params.get("difficulty"), "difficulty", DIFFICULTIES)
            order = DIFFICULTIES.index
            if (t.action == "escalate") != (order(new) > order(case.difficulty)):
                raise p.bad("difficulty", _("升级须提高难度，降级须降低难度（当前：%(now)s）",
                                            now=DIFFICULTY_NAMES[case.difficulty]))
            out.data = {"from": case.difficulty, "difficulty": new, "leader": _leader(new, params.get("leader"))}
        elif needs == "days":
            data["days"] = p.integer(params.get("days"), "days", 1, EXTEND_MAX_DAYS,
                                     _("延期天数 (days) 必须是 1 到 %(max)s 的整数", max=EXTEND_MAX_DAYS))
        elif needs == "performance":
            data["performance"] = p.choice(params.get("performance"), "performance", PERFORMANCE)
        elif needs == "satisfaction":
            data["satisfaction"] = p.integer(params.get("satisfaction"), "satisfaction", 1, 5,
                                             _("满意度 (satisfaction) 必须是 1 到 5 的整数"))
        elif needs == "incident":
            out.data = _link(user, case, params)
        return out

    def apply(self, user, case, t: Transition, outcome: Outcome, now: datetime) -> None:
        """The effect of an effective action on the dispute (state already checked)."""
        action, data = t.action, outcome.data
        if action == "session":
            db.session.add(MediationSession(dispute_id=case.id, held_on=date.fromisoformat(data["held_on"]),
                                            participants=data["participants"], minutes=data["minutes"],
                                            mediator_id=data["mediator_id"], recorded_by=user.id, recorded_at=now))
            if data["mediator_id"]:
                case.mediator_id = data["mediator_id"]
        elif action == "succeed":
            case.agreement, case.performance = data["agreement"], data["performance"]
        elif action == "refer":
            case.channel, case.court_case_no = data["channel"], data.get("court_case_no")
        elif action in ("escalate", "deescalate"):
            case.difficulty, case.leader = data["difficulty"], data["leader"]
        elif action == "extend":
            case.deadline_at = case.deadline_at + timedelta(days=data["days"])
            data["deadline_at"] = case.deadline_at.isoformat()
        elif action == "perform":
            case.performance = data["performance"]
        elif action == "visit":
            db.session.add(DisputeVisit(dispute_id=case.id, visited_at=now, satisfaction=data["satisfaction"],
                                        note=outcome.note, visited_by=user.id))
        if t.target is not None:
            case.status = t.target
            if t.target in CLOSED_OUT:
                case.closed_at = now


DISPUTE = DisputeKind()


def perform(user: User, dispute_id, action: str, params: dict | None = None, *, version=None,
            now: datetime | None = None) -> Dispute:
    """Take ``action`` (a row of :data:`~gridapp.disputes.rules.TRANSITIONS`) on a dispute as
    ``user``; one transaction (:func:`gridapp.core.casework.perform`). ``params`` by action: see
    :meth:`DisputeKind.parameters`; approve {approved bool, note (required to refuse)}.
    ``version``: optional, stale → 409. Raises NotFound 404 (dispute/action), Forbidden 403
    (role/scope), BadInput 400 (version, parameters), Conflict 409 (``stale_version``,
    ``invalid_state``, ``pending_approval``, ``no_pending_approval``)."""
    return perform_case(DISPUTE, user, dispute_id, action, params, version=version, now=now)


#: The side-action request of a case awaiting approval (its row), or None.
pending_approval = DISPUTE.pending_row
#: The table rows the user may take now on a case (for its page and the API).
allowed_actions = DISPUTE.allowed


def register(user: User, data: dict, now: datetime | None = None) -> Dispute:
    """Register a dispute (统一登记受理); one transaction, first history entry ``register``.

    ``data``: type_code, summary, lon/lat (WGS84 degrees), source (screening/walk_in/worker/
    transferred), parties [{kind person|organisation, name, id_number?, phone?}], amount
    (yuan, optional), risk_level (general/major/grave), escalation_risk (bool), difficulty
    (simple/complex/hard, default simple), leader (required for hard), incidents (ids to link,
    optional; each found in the user's scope). Raises BadInput (field named), Unprocessable 422
    (point outside every district), Forbidden 403 (point outside the user's scope), NotFound 404
    (an incident to link outside the scope).
    """
    now = now or utcnow()
    data = data if isinstance(data, dict) else {}
    type_code = data.get("type_code")
    if not isinstance(type_code, str) or db.session.scalar(select(DisputeType.code).where(
            DisputeType.code == type_code, DisputeType.active.is_(True))) is None:
        raise p.bad("type_code", _("纠纷类型 %(code)s 不存在", code=repr(type_code)))
    summary = p.text(data.get("summary"), "summary", SUMMARY_MAX)
    source = p.choice(data.get("source") or "screening", "source", SOURCES)
    risk = p.choice(data.get("risk_level") or "general", "risk_level", RISK_LEVELS)
    difficulty = p.choice(data.get("difficulty") or "simple", "difficulty", DIFFICULTIES)
    leader = _leader(difficulty, data.get("leader"))
    escalation = p.boolean(data.get("escalation_risk", False), "escalation_risk",
                           _("可能激化 (escalation_risk) 必须是 true 或 false"))
    amount = _amount(data.get("amount"))
    parties = _parties(data.get("parties"))
    try:
        loc = locate(data.get("lon"), data.get("lat"))
    except NotFound as err:
        raise Unprocessable(err.message, code="outside_district") from None
    require_location_in_scope(user, loc)
    incidents = data.get("incidents") or []
    if not isinstance(incidents, list):
        raise p.bad("incidents", _("关联事件 (incidents) 必须是事件编号的列表"))
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
    for incident_id in incidents:
        link = _link(user, dispute, {"incident": incident_id})
        db.session.add(DisputeEvent(dispute_id=dispute.id, actor_id=user.id, at=now, action="link",
                                    from_state=dispute.status, to_state=dispute.status, data=link))
    db.session.commit()
    return dispute
