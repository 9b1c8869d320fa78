"""The case board (and the incident map's selection) as a file: the rows of
:func:`gridapp.incidents.queries.search` with the same filters and scope, every row, not one page
(:mod:`gridapp.core.exportfiles`). Cases hold no personal data beyond user names: nothing masked."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core.clock import utcnow
from ..core.exportfiles import ExportRow, ExportTable, streamed
from ..extensions import db
from ..models import Incident, IncidentCategory, User
from .queries import search_conditions
from .rules import DEADLINE_STATES, STATE_NAMES

COLUMNS = (("id", _l("编号")), ("reported_at", _l("上报时间")), ("category_code", _l("类别编码")),
           ("category_name", _l("类别")), ("grid_code", _l("网格")), ("community_code", _l("社区")),
           ("state", _l("状态")), ("deadline_at", _l("处置时限")), ("overdue", _l("已超期")),
           ("department_code", _l("专业部门")), ("handled_at", _l("处置完成时间")), ("closed_at", _l("结案时间")),
           ("description", _l("描述")))


def cases_table(user: User, args: dict, now: datetime | None = None) -> ExportTable:
    """Every case of the board for ``args`` (the filters of
    :func:`gridapp.incidents.queries.search`, bbox included; page arguments ignored), newest
    first, with its point. Raises BadInput for a malformed filter (before any row is read)."""
    now = now or utcnow()
    query = (select(Incident.id, Incident.reported_at, Incident.category_code, IncidentCategory.name,
                    Incident.grid_code, Incident.community_code, Incident.status, Incident.deadline_at,
                    Incident.department_code, Incident.handled_at, Incident.closed_at, Incident.description,
                    func.ST_AsGeoJSON(Incident.geom, 6))
             .join(IncidentCategory, IncidentCategory.code == Incident.category_code)
             .where(*search_conditions(user, args, now))
             .order_by(Incident.reported_at.desc(), Incident.id.desc()))
    states = {k: str(v) for k, v in STATE_NAMES.items()}
    yes, no = _("是"), _("否")

    def convert(r) -> ExportRow:
        overdue = r.status in DEADLINE_STATES and r.deadline_at is not None and r.deadline_at < now
        return ExportRow((r.id, r.reported_at, r.category_code, r.name, r.grid_code, r.community_code,
                          states[r.status], r.deadline_at, yes if overdue else no, r.department_code,
                          r.handled_at, r.closed_at, r.description), r[-1])

    return ExportTable(_("案件"), [k for k, _h in COLUMNS], [str(h) for _k, h in COLUMNS],
                       streamed(query, convert, db.session), widths={"category_name": 16, "description": 40},
                       query=query)
