"""Rectification notices and inspections as files (:mod:`gridapp.core.exportfiles`):

* notices — every notice of :func:`gridapp.inspections.notices.notices` (the notices page: the
  user's scope, earliest deadline first), with its place's point;
* inspections — the inspections counted by the figure ``inspections`` of the figures page
  (:func:`gridapp.inspections.figures.compute`: area, period, campaign), newest first, with the
  places of the area they visited."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from ..analytics.kpi import area_condition
from ..core.clock import utcnow
from ..core.exportfiles import ExportRow, ExportTable, streamed
from ..extensions import db
from ..models import Campaign, Inspection, InspectionPlace, Place, RectificationNotice, User
from .figures import inspection_conditions
from .notices import NOTICES_ORDER, notice_filter
from .rules import KIND_NAMES, NOTICE_STATE_NAMES
from .service import campaign_id_of

NOTICE_COLUMNS = (("number", _l("编号")), ("place", _l("场所")), ("state", _l("状态")),
                  ("issued_at", _l("下发时间")), ("deadline_at", _l("整改期限")), ("overdue", _l("已超期")),
                  ("requirements", _l("整改要求")))
INSPECTION_COLUMNS = (("id", _l("编号")), ("inspected_at", _l("检查时间")), ("kind", _l("检查类型")),
                      ("campaign", _l("专项行动")), ("department", _l("检查部门")), ("members", _l("检查人员")),
                      ("vehicle_trips", _l("出动车辆台次")), ("places", _l("检查场所")))


def notices_table(user: User, now: datetime | None = None) -> ExportTable:
    """Every notice of the notices page (scope; earliest deadline first), with its place's point."""
    now = now or utcnow()
    N = RectificationNotice  # noqa: N806 - short alias in the query
    query = (select(N.number, Place.name, N.status, N.issued_at, N.deadline_at, N.requirements,
                    func.ST_AsGeoJSON(Place.geom, 6))
             .join(Place, Place.id == N.place_id).where(notice_filter(user)).order_by(*NOTICES_ORDER))
    yes, no = _("是"), _("否")

    def convert(r) -> ExportRow:
        overdue = r.status == "issued" and now > r.deadline_at
        return ExportRow((r.number, r.name, str(NOTICE_STATE_NAMES[r.status]), r.issued_at, r.deadline_at,
                          yes if overdue else no, r.requirements), r[-1])

    return ExportTable(_("整改通知书"), [k for k, _h in NOTICE_COLUMNS], [str(h) for _k, h in NOTICE_COLUMNS],
                       streamed(query, convert, db.session), widths={"place": 24, "requirements": 40}, query=query)


def inspections_table(user: User, level, code, date_from=None, date_to=None, campaign_id=None) -> ExportTable:
    """The inspections of the figure ``inspections`` for an area, period and campaign (module
    doc), newest first; ``places``: names of the area's places visited. Raises as
    :func:`gridapp.inspections.figures.compute` (BadInput, NotFound, Forbidden)."""
    area = area_condition(user, level, code, Place)
    campaign = campaign_id_of(user, campaign_id)
    places = (select(func.string_agg(Place.name, aggregate_order_by(literal("、"), Place.name)))
              .join(InspectionPlace, InspectionPlace.place_id == Place.id)
              .where(InspectionPlace.inspection_id == Inspection.id, area).scalar_subquery())
    query = (select(Inspection.id, Inspection.inspected_at, Inspection.kind, Campaign.name.label("campaign"),
                    Inspection.department, Inspection.members, Inspection.vehicle_trips, places.label("places"))
             .outerjoin(Campaign, Campaign.id == Inspection.campaign_id)
             .where(*inspection_conditions(area, date_from, date_to, campaign))
             .order_by(Inspection.inspected_at.desc(), Inspection.id.desc()))

    def convert(r) -> ExportRow:
        return ExportRow((r.id, r.inspected_at, str(KIND_NAMES.get(r.kind, r.kind)), r.campaign, r.department,
                          "、".join(r.members or []), r.vehicle_trips, r.places))

    return ExportTable(_("检查记录"), [k for k, _h in INSPECTION_COLUMNS], [str(h) for _k, h in INSPECTION_COLUMNS],
                       streamed(query, convert, db.session), widths={"places": 40, "members": 20}, query=query)
