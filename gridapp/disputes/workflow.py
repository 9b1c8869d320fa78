"""Disputes on the casework core: register, then every action through one :func:`perform`.

The rules (routing by difficulty, the table, the deadline) are in :mod:`gridapp.disputes.rules`;
the order of checks, the optimistic lock, approvals and the history row are
:func:`gridapp.core.casework.perform`'s. This module declares the dispute's own: who the actor
kinds are, the parameters of each action and their effects.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core import params as p
from ..core.casework import Outcome, StoredKind, Transition, find_in_scope
from ..core.casework import perform as perform_case
from ..core.errors import BadInput
from ..core.roles import RANK, office_rank
from ..core.scope import scope_condition, scope_kinds
from ..core.timefmt import local_text
from ..extensions import db
from ..incidents.workflow import get_case
from ..models import User
from ..models.disputes import (
    Dispute,
    DisputeApproval,
    DisputeEvent,
    DisputeIncident,
    DisputeVisit,
    MediationCommittee,
    MediationSession,
    Mediator,
)
from ..notifications import recipients
from ..notifications.outbox import Announcing, request_words
from .rules import (
    CHANNELS,
    CLOSED_OUT,
    DIFFICULTIES,
    DIFFICULTY_NAMES,
    EXTEND_MAX_DAYS,
    HANDLING_ROLE,
    KIND_NAMES,
    PERFORMANCE,
    STATE_NAMES,
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
    return find_in_scope(Dispute, dispute_filter(user), dispute_id, "dispute_not_found",
                         lambda i: _("纠纷 %(id)s 不存在或不在您的管辖范围内", id=i))


# --- parameters ------------------------------------------------------------------------------

def check_leader(difficulty: str, value) -> str | None:
    """The responsible leader (``leader``): required for a 疑难 (hard) dispute. Raises BadInput."""
    leader = p.text(value, "leader", 50, required=False)
    if difficulty == "hard" and not leader:
        raise BadInput(_("疑难纠纷必须指定区级包案领导 (leader)"), code="leader_required", field="leader")
    return leader


def _mediator(dispute: Dispute, value) -> int | None:
    """The mediator ``value`` (an id) of a committee of the dispute's district; None when empty.
    NotFound (404, field ``mediator_id``) for an unknown one and one of another district alike."""
    if value in (None, ""):
        return None
    in_district = Mediator.committee_id.in_(select(MediationCommittee.id).where(
        MediationCommittee.district_code == dispute.district_code))
    return find_in_scope(Mediator, in_district, value, "mediator_not_found",
                         lambda i: _("调解员 %(id)s 不存在", id=i), field="mediator_id").id


def link_incident(user: User, dispute: Dispute, params: dict) -> dict:
    """Link the incident ``params["incident"]`` (found in the user's scope: 404 otherwise)."""
    incident = get_case(user, params.get("incident"), "incident")
    if db.session.get(DisputeIncident, (dispute.id, incident.id)) is None:
        db.session.add(DisputeIncident(dispute_id=dispute.id, incident_id=incident.id))
    return {"incident": incident.id}


# --- the kind --------------------------------------------------------------------------------

#: The texts of refusals of the core (gridapp.core.casework.CaseKind.message).
REFUSALS = {"stale": _l("纠纷已被他人更新（您的版本 %(mine)s，当前版本 %(now)s），请刷新后重试"),
            "race": _l("纠纷已被他人同时更新，请刷新后重试"),
            "state": _l("纠纷处于“%(state)s”状态，不能执行“%(action)s”"),
            "forbidden": _l("您无权对此纠纷执行“%(action)s”（允许：%(who)s）"),
            "pending": _l("此纠纷已有待审批的申请"), "no_pending": _l("此纠纷没有待审批的申请"),
            "not_applicable": _l("纠纷已处于“%(state)s”状态，申请的“%(action)s”不再适用，请驳回")}


class DisputeKind(Announcing, StoredKind):
    """The dispute as a case kind: table :data:`~gridapp.disputes.rules.TRANSITIONS`."""

    name = "dispute"
    messages = REFUSALS
    table, state_names, role_names = TRANSITIONS, STATE_NAMES, KIND_NAMES
    event_model, approval_model, case_fk = DisputeEvent, DisputeApproval, "dispute_id"

    find, actor_kinds = staticmethod(get_dispute), staticmethod(actor_kinds)

    def audience(self, case, to: str, pending) -> set[int]:
        """handlers (the users of the handling level's role in scope), approvers, requester."""
        if to == "handlers":
            return recipients.in_scope_with_roles(case.community_code, case.district_code,
                                                  (HANDLING_ROLE[case.difficulty],))
        return recipients.approvers(case, pending) if to == "approvers" else recipients.requester(pending)

    def title(self, case) -> str:
        return _("纠纷 #%(id)s（%(difficulty)s）", id=case.id, difficulty=DIFFICULTY_NAMES[case.difficulty])

    def link(self, case) -> str:
        return f"/disputes/{case.id}"

    def detail(self, case, pending) -> str:
        """A request in words: 延期 — the days and the new deadline (local time); the reason."""
        days = ((pending.data or {}) if pending else {}).get("days")
        return request_words(_("%(days)s 天，新时限 %(deadline)s", days=days, deadline=local_text(
            case.deadline_at + timedelta(days=int(days)))) if days else None, pending)

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
            out.data = {"from": case.difficulty, "difficulty": new,
                        "leader": check_leader(new, params.get("leader"))}
        elif needs == "days":
            data["days"] = p.integer(params.get("days"), "days", 1, EXTEND_MAX_DAYS,
                                     _("延期天数 (days) 必须是 1 到 %(max)s 的整数", max=EXTEND_MAX_DAYS))
        elif needs == "performance":
            data["performance"] = p.choice(params.get("performance"), "performance", PERFORMANCE)
        elif needs == "satisfaction":
            data["satisfaction"] = p.integer(params.get("satisfaction"), "satisfaction", 1, 5,
                                             _("满意度 (satisfaction) 必须是 1 到 5 的整数"))
        elif needs == "incident":
            out.data = link_incident(user, case, params)
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
