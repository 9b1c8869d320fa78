"""Figures of inspections and rectification (检查整治统计), by SQL from the records (no
counters), for any area level, period and campaign — the shape the bureaus report in
(shared/seeds: "出动车辆50多台次，检查人员140余人次，对近百家企业进行了检查，累计下发整改通知书30余份…
对…5家回收企业依法进行取缔").

Area: grid / community / township / district (a place belongs to the area it was located in);
period: local dates (Asia/Shanghai, both inclusive, open ends when omitted); campaign: optional.

* inspections — inspections in the period (``inspected_at``) that visited at least one place of
  the area (of the campaign, when given);
* person_times (人次) — the sum of those inspections' team sizes (members);
* vehicle_trips (车辆台次) — the sum of their vehicle trips;
* places_inspected (检查场所家数) — distinct places of the area visited by them;
* notices_issued (下发整改通知书) — notices to places of the area issued in the period (from an
  inspection of the campaign, when given);
* rectified_on_time (按期整改) — of those, passed at a re-inspection no later than the deadline;
* overdue (逾期未整改) — of those, deadline passed at the time of the query without an on-time pass;
* banned (取缔) — distinct places of the area banned by an approved escalation decided in the
  period (of a notice of the campaign, when given).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import and_, func, not_, select

from ..analytics.kpi import area_condition
from ..boundaries.rules import LEVEL_NAMES
from ..core import params as p
from ..core import tabular
from ..core.clock import utcnow
from ..core.params import period_conditions
from ..extensions import db
from ..models import AdminArea, Campaign, Grid, Inspection, InspectionPlace, Place, RectificationNotice, User
from .service import campaign_id_of

FIELDS = ("inspections", "person_times", "vehicle_trips", "places_inspected", "notices_issued",
          "rectified_on_time", "overdue", "banned")
FIELD_NAMES = {"inspections": _l("检查次数"), "person_times": _l("检查人次"), "vehicle_trips": _l("出动车辆台次"),
               "places_inspected": _l("检查场所（家）"), "notices_issued": _l("下发整改通知书（份）"),
               "rectified_on_time": _l("按期整改（份）"), "overdue": _l("逾期未整改（份）"), "banned": _l("取缔（家）")}


def compute(user: User, level, code, date_from=None, date_to=None, campaign_id=None,
            now: datetime | None = None) -> dict:
    """The figures (definitions in the module docstring) of one area, period and campaign.
    Returns {level, code, from, to, campaign_id, counts: {field: int}}. Raises BadInput
    (level, dates), NotFound (area, campaign), Forbidden (area outside the caller's scope)."""
    now = now or utcnow()
    area = area_condition(user, level, code, Place)
    campaign = campaign_id_of(user, campaign_id)

    def period(col):
        return period_conditions(col, date_from, date_to)

    in_campaign = [Inspection.campaign_id == campaign] if campaign else []
    insp = db.session.execute(select(
        func.count(), func.coalesce(func.sum(func.jsonb_array_length(Inspection.members)), 0),
        func.coalesce(func.sum(Inspection.vehicle_trips), 0),
    ).where(*inspection_conditions(area, date_from, date_to, campaign))).one()
    places_inspected = db.session.scalar(
        select(func.count(func.distinct(InspectionPlace.place_id)))
        .join(Inspection, Inspection.id == InspectionPlace.inspection_id)
        .join(Place, Place.id == InspectionPlace.place_id)
        .where(area, *period(Inspection.inspected_at), *in_campaign))
    N = RectificationNotice  # noqa: N806 - short alias in the query
    on_time = and_(N.status == "passed", N.reinspected_at <= N.deadline_at)
    notices = db.session.execute(
        select(func.count(), func.count().filter(on_time),
               func.count().filter(and_(N.deadline_at < now, not_(on_time))))
        .join(Place, Place.id == N.place_id).join(Inspection, Inspection.id == N.inspection_id)
        .where(area, *period(N.issued_at), *in_campaign)).one()
    banned = db.session.scalar(
        select(func.count(func.distinct(N.place_id)))
        .join(Place, Place.id == N.place_id).join(Inspection, Inspection.id == N.inspection_id)
        .where(area, N.status == "escalated", N.measure == "ban", *period(N.decided_at), *in_campaign))
    counts = dict(zip(FIELDS, (int(insp[0]), int(insp[1]), int(insp[2]), int(places_inspected),
                               int(notices[0]), int(notices[1]), int(notices[2]), int(banned)), strict=True))
    return {"level": level, "code": code, "from": date_from, "to": date_to, "campaign_id": campaign,
            "counts": counts}


def inspection_conditions(area, date_from, date_to, campaign: int | None) -> list:
    """SQL conditions on :class:`Inspection` for the figure ``inspections``: in the period
    (local dates on ``inspected_at``), of the campaign (when given), visiting at least one place
    meeting ``area`` (a condition on Place, :func:`gridapp.analytics.kpi.area_condition`)."""
    visited = select(InspectionPlace.inspection_id).join(Place, Place.id == InspectionPlace.place_id).where(area)
    return [Inspection.id.in_(visited), *period_conditions(Inspection.inspected_at, date_from, date_to),
            *([Inspection.campaign_id == campaign] if campaign else [])]


CHILD = {"district": "township", "township": "community", "community": "grid"}


def children(level: str, code: str) -> list[tuple[str, str, str]]:
    """(level, code, name) of the areas one level below, by code."""
    if level == "community":
        return [("grid", g.code, g.name) for g in db.session.scalars(
            select(Grid).where(Grid.community_code == code).order_by(Grid.code))]
    if level in ("district", "township"):
        child = CHILD[level]
        q = select(AdminArea).where(AdminArea.parent_code == code) if level == "township" else \
            select(AdminArea).where(AdminArea.district_code == code, AdminArea.level == "township")
        return [(child, a.code, a.name) for a in db.session.scalars(q.order_by(AdminArea.code))]
    return []


def export_xlsx(user: User, level, code, date_from=None, date_to=None, campaign_id=None,
                now: datetime | None = None) -> tuple[bytes, str]:
    """An Excel workbook of the figures: one row for the area, then one per area one level
    below (townships of a district, communities of a township, grids of a community); Chinese
    headers and level names, dates as date cells (:func:`gridapp.core.tabular.workbook_bytes`).
    Returns (bytes, download name "检查整治统计-<area name>-<code>.xlsx"). Errors: :func:`compute`."""
    total = compute(user, level, code, date_from, date_to, campaign_id, now)
    start, end = (p.day(v, f) if v else None for v, f in ((date_from, "from"), (date_to, "to")))
    wb = Workbook()
    ws = wb.active
    ws.title = _("检查整治统计")
    tabular.append_row(ws, [_("统计区域"), _("编码"), _("层级"), _("起始日期"), _("截止日期"), _("专项整治行动")]
                       + [str(FIELD_NAMES[f]) for f in FIELDS])
    campaign = db.session.get(Campaign, total["campaign_id"]).name if total["campaign_id"] else ""
    name = (db.session.get(Grid, code).name if level == "grid" else db.session.get(AdminArea, code).name)
    rows = [(level, code, name, total)] + [(lv, c, n, compute(user, lv, c, date_from, date_to, campaign_id, now))
                                           for lv, c, n in children(level, code)]
    for lv, c, n, fig in rows:
        tabular.append_row(ws, [n, c, str(LEVEL_NAMES[lv]), start, end, campaign] + [fig["counts"][f] for f in FIELDS])
    return tabular.workbook_bytes(wb), f"{_('检查整治统计')}-{name}-{code}.xlsx"
