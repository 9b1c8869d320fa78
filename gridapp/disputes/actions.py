"""Dispute actions besides the case table: revealing a party's personal data (logged), the
dispute types (admin, district) and the mediators. One transaction each."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, true

from ..accounts import pii
from ..core import params as p
from ..core.casework import find_in_scope
from ..core.errors import Forbidden, NotFound
from ..core.scope import area_location, contains, find_area
from ..extensions import db
from ..models import AdminArea, DisputeType, MediationCommittee, Mediator, User
from .present import party_dicts
from .rules import may_reveal_parties
from .workflow import get_dispute


def reveal_parties(user: User, dispute_id, channel: str = "api") -> list[dict]:
    """Show the parties of a dispute in full (PIPL): allowed by
    :func:`gridapp.disputes.rules.may_reveal_parties` (admin, secretaries, and the handler at the
    dispute's current level) with the dispute in scope; each value shown is logged (one PiiView per
    party and field, entity ``dispute_party``, ``channel`` api|web); one transaction. Returns the
    parties as :func:`~gridapp.disputes.present.party_dicts`. Raises NotFound 404 (dispute not in
    scope), Forbidden 403 ``pii_forbidden``."""
    dispute = get_dispute(user, dispute_id)
    allowed = may_reveal_parties(user.role, dispute.difficulty)
    parties = party_dicts(dispute, lambda party, field: pii.shown(user, "dispute_party", party, field, True, channel,
                                                                  allowed))
    db.session.commit()
    return parties


def save_type(user: User, data: dict) -> DisputeType:
    """Create or edit a dispute type {code (1–16 chars), name, active?, position?} (admin or a
    district user). Raises Forbidden, BadInput (``invalid_code``, ``invalid_name``, name taken)."""
    if user.role not in ("admin", "district"):
        raise Forbidden(_("只有区级用户和管理员可以维护纠纷类型"), code="action_forbidden")
    code = p.text(data.get("code"), "code", 16)
    name = p.text(data.get("name"), "name", 50)
    taken = db.session.scalar(select(DisputeType.code).where(DisputeType.name == name, DisputeType.code != code))
    if taken:
        raise p.bad("name", _("类型名称“%(name)s”已被 %(code)s 使用", name=name, code=taken))
    row = db.session.get(DisputeType, code) or DisputeType(code=code, position=99)
    row.name = name
    row.active = p.boolean(data.get("active", True), "active", _("active 必须是 true 或 false"))
    if data.get("position") is not None:
        row.position = p.integer(data.get("position"), "position", 0, 9999, _("position 必须是 0 到 9999 的整数"))
    db.session.add(row)
    db.session.commit()
    return row


def add_mediator(user: User, data: dict) -> Mediator:
    """Add a mediator {name, committee_id} or, with {committee_name, area_code}, a committee
    and its first mediator. The committee's area must be in the user's scope (secretary: their
    community; township: its communities or itself; district: the district). Raises BadInput,
    Forbidden (403: role), NotFound (404: a committee or area unknown or outside the scope alike)."""
    if user.role not in ("admin", "district", "township", "secretary"):
        raise Forbidden(_("只有社区、街道、区级用户可以维护调解员"), code="action_forbidden")
    name = p.text(data.get("name"), "name", 50)
    if data.get("committee_id") not in (None, ""):
        committee = find_in_scope(MediationCommittee, true(), data.get("committee_id"), "committee_not_found",
                                  lambda i: _("调解委员会 %(id)s 不存在", id=i), field="committee_id")
        if not contains(user, area_location(db.session.get(AdminArea, committee.area_code))):
            raise NotFound(_("调解委员会 %(id)s 不存在", id=committee.id), code="committee_not_found",
                           field="committee_id")  # outside the scope: as absent (issue 18)
    else:
        area = find_area(user, data.get("area_code"), "area_code")
        committee = MediationCommittee(name=p.text(data.get("committee_name"), "committee_name", 100),
                                       area_code=area.code, district_code=area.district_code)
    mediator = Mediator(name=name, committee=committee)
    db.session.add(mediator)
    db.session.commit()
    return mediator
