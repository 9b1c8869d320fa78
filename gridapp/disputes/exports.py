"""The dispute register as a file: every dispute of :func:`gridapp.disputes.queries.search` for
the same filters and scope (:mod:`gridapp.core.exportfiles`), with its parties.

Parties (PIPL, :mod:`gridapp.accounts.pii`): names of persons, phones and ID numbers masked;
with ``reveal`` (asked by a role that may reveal some disputes' parties,
:func:`gridapp.disputes.rules.may_reveal_parties`, else Forbidden 403 before any byte) the
disputes whose parties the user may see are written in full and each full value is logged (one
PiiView per party and field, channel ``export``), committed when the file ends, however it ends;
the others stay masked."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts import pii
from ..core.clock import utcnow
from ..core.errors import Forbidden
from ..core.exportfiles import BATCH, ExportRow, ExportTable
from ..extensions import db
from ..models import Dispute, DisputeParty, DisputeType, User
from .queries import SEARCH_ORDER, search_conditions
from .rules import DIFFICULTY_NAMES, HANDLING_ROLE, OPEN_STATES, RISK_NAMES, STATE_NAMES, may_reveal_parties

COLUMNS = (("id", _l("编号")), ("registered_at", _l("登记时间")), ("type", _l("类型")),
           ("community_code", _l("社区")), ("grid_code", _l("网格")), ("difficulty", _l("难度")),
           ("risk_level", _l("风险等级")), ("escalation_risk", _l("可能激化")), ("state", _l("状态")),
           ("deadline_at", _l("期限")), ("overdue", _l("已超期")), ("summary", _l("纠纷概要")),
           ("parties", _l("当事人")))


def _party_text(user: User, party, reveal: bool) -> str:
    """The party as one text: name (a person's masked), phone, ID number; in full when ``reveal``
    (already decided allowed), each full value logged."""
    def value(field):
        if field == "name" and party.kind != "person":
            return party.name
        return pii.shown(user, "dispute_party", party, field, reveal, "export", allowed=reveal)
    return " ".join(v for v in (value("name"), value("phone"), value("id_number")) if v)


def may_reveal_any(user: User) -> bool:
    """True when the user's role may see some disputes' parties in full (the export offers
    ``reveal``)."""
    return any(may_reveal_parties(user.role, d) for d in HANDLING_ROLE)


def disputes_table(user: User, args: dict, reveal: bool = False, now: datetime | None = None) -> ExportTable:
    """Every dispute of the register for ``args`` (filters of
    :func:`gridapp.disputes.queries.search`; page arguments ignored), newest first, with its
    point and parties (module doc). Raises BadInput (filter), Forbidden ``pii_forbidden``
    (``reveal`` by a role that may reveal no dispute's parties)."""
    now = now or utcnow()
    if reveal and not may_reveal_any(user):
        raise Forbidden(_("您的角色无权查看完整的个人信息"), code="pii_forbidden")
    query = (select(Dispute.id, Dispute.registered_at, DisputeType.name.label("type_name"), Dispute.community_code,
                    Dispute.grid_code, Dispute.difficulty, Dispute.risk_level, Dispute.escalation_risk,
                    Dispute.status, Dispute.deadline_at, Dispute.summary, func.ST_AsGeoJSON(Dispute.geom, 6))
             .join(DisputeType, DisputeType.code == Dispute.type_code)
             .where(*search_conditions(user, args, now)).order_by(*SEARCH_ORDER))
    yes, no = _("是"), _("否")

    def rows() -> Iterator[ExportRow]:
        result = db.session.execute(query.execution_options(yield_per=BATCH))
        for batch in result.partitions():
            parties: dict[int, list] = {}
            for party in db.session.execute(select(DisputeParty.id, DisputeParty.dispute_id, DisputeParty.kind,
                                                   DisputeParty.name, DisputeParty.phone, DisputeParty.id_number)
                                            .where(DisputeParty.dispute_id.in_([r.id for r in batch]))
                                            .order_by(DisputeParty.id)):
                parties.setdefault(party.dispute_id, []).append(party)
            for r in batch:
                full = reveal and may_reveal_parties(user.role, r.difficulty)
                overdue = r.status in OPEN_STATES and now > r.deadline_at
                yield ExportRow((r.id, r.registered_at, r.type_name, r.community_code, r.grid_code,
                                 str(DIFFICULTY_NAMES[r.difficulty]), str(RISK_NAMES[r.risk_level]),
                                 yes if r.escalation_risk else no, str(STATE_NAMES[r.status]), r.deadline_at,
                                 yes if overdue else no, r.summary,
                                 "；".join(_party_text(user, p, full) for p in parties.get(r.id, []))), r[-1])
            if reveal:
                db.session.flush()  # the batch's log of full values, committed by on_close

    return ExportTable(_("矛盾纠纷"), [k for k, _h in COLUMNS], [str(h) for _k, h in COLUMNS], rows(),
                       widths={"summary": 40, "parties": 40}, on_close=db.session.commit if reveal else None,
                       query=query)
