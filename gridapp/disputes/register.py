"""Registering a dispute (统一登记受理): the first action of its closed loop."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts import pii
from ..boundaries.locate import locate, point_expr
from ..core import params as p
from ..core.casework import Announcement
from ..core.clock import utcnow
from ..core.errors import NotFound, Unprocessable
from ..core.scope import require_location_in_scope
from ..extensions import db
from ..models import User
from ..models.disputes import Dispute, DisputeEvent, DisputeParty, DisputeType
from .rules import (
    DEADLINE_DAYS,
    DIFFICULTIES,
    PARTIES_MAX,
    PARTY_KINDS,
    REGISTER_NOTIFY,
    RISK_LEVELS,
    SOURCES,
    SUMMARY_MAX,
)
from .workflow import DISPUTE, check_leader, link_incident


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
    leader = check_leader(difficulty, data.get("leader"))
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
    event = DisputeEvent(dispute_id=dispute.id, actor_id=user.id, at=now, action="register", from_state=None,
                         to_state=dispute.status, data={"difficulty": difficulty, "leader": leader})
    db.session.add(event)
    db.session.flush()
    for notify in REGISTER_NOTIFY:  # routed to the handling level, in this transaction
        DISPUTE.announce(user, dispute, Announcement(notify, "register", _("新登记"), event.id), now)
    for incident_id in incidents:
        link = link_incident(user, dispute, {"incident": incident_id})
        db.session.add(DisputeEvent(dispute_id=dispute.id, actor_id=user.id, at=now, action="link",
                                    from_state=dispute.status, to_state=dispute.status, data=link))
    db.session.commit()
    return dispute
