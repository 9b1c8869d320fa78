"""API v1 for places, inspections, campaigns, rectification notices, figures and notifications."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from ..auth import api_user
from ..downloads import XLSX, xlsx_response
from ..errors import BadInput
from ..inspections import figures as place_figures
from ..inspections import notices as rectification
from ..inspections import service as inspections
from ..notifications import inbox
from ..places import service as places
from . import bp, json_body
from .contract import GEOJSON, operation
from .idempotency import idempotent
from .schemas import places as ps
from .schemas.common import FeatureCollection


@bp.get("/places")
@operation("places", FeatureCollection, query=ps.PlacesQuery, media=GEOJSON)
def list_places():
    """GeoJSON FeatureCollection (SRID 4326 points) of the places in the caller's scope — the map
    layer: ``?type=<type code>&status=operating|suspended|banned``. Properties: id, name,
    type_code, type_name, operator, licence_no, risk_level, status, status_name, grid_code,
    community_code, version. 400 unknown status."""
    user = api_user()
    return jsonify(places.geojson(user, request.args.get("type") or None, request.args.get("status") or None))


@bp.post("/places")
@operation("places", ps.Place, status=201, body=ps.PlaceBody)
def create_place():
    """Register a place: JSON {name, type (code or name), operator, licence_no, lon, lat (WGS84),
    risk_level (low|medium|high), status (operating|suspended|banned)} → 201 the place; 400 bad
    field (``details.field``); 403 point outside the caller's scope."""
    user = api_user()
    place = places.create(user, json_body())
    return jsonify(places.place_dict(place)), 201


@bp.post("/places/import")
@operation("places", ps.Written, status=201, form=ps.UploadForm)
def import_places():
    """Import places from an uploaded ``file`` (.xlsx or .csv; multipart): 201 {"written": n};
    400 ``bad_rows`` with details.rows [{row, column, reason}] and nothing written."""
    user = api_user()
    upload = request.files.get("file")
    if upload is None:
        raise BadInput(_("请上传 .xlsx 或 .csv 文件"), code="file_required")
    return jsonify(written=places.import_places(user, upload.filename or "", upload.read())), 201


@bp.get("/places/<int:place_id>")
@operation("places", ps.PlaceWithTimeline)
def get_place(place_id: int):
    """One place with its timeline (oldest first: registered, inspected, notice_issued,
    reinspect, escalate, approve; ``at`` ISO 8601 UTC). 404 absent or outside scope."""
    user = api_user()
    place = places.get_place(user, place_id)
    return jsonify({**places.place_dict(place), "timeline": [
        {"at": e.at.isoformat(), "action": e.action, "actor": e.actor.username, "note": e.note,
         "notice_id": e.notice_id, "inspection_id": e.inspection_id, "data": e.data, "attachments": e.attachments}
        for e in places.timeline(place)]})


@bp.get("/place-types")
@operation("places", ps.PlaceTypes)
def list_place_types():
    """The place types (editable list) with their checklists: {"types": [{code, name, checklist}]}."""
    api_user()
    return jsonify(types=[{"code": t.code, "name": t.name, "checklist": t.checklist} for t in places.types()])


@bp.put("/place-types/<code>")
@operation("places", ps.PlaceType, body=ps.PlaceTypeBody)
def save_place_type(code: str):
    """Create or edit a place type and its checklist (admin only): JSON {name, checklist: [items]}
    → 200 {code, name, checklist}; 403 not admin; 400 bad code/name or name taken."""
    user = api_user()
    body = json_body()
    checklist = body.get("checklist") or []
    if not isinstance(checklist, list):
        raise BadInput(_("检查表 (checklist) 必须是项目列表"), code="invalid_checklist")
    t = places.save_type(user, code, body.get("name"), checklist)
    return jsonify(code=t.code, name=t.name, checklist=t.checklist)


@bp.post("/inspections")
@operation("places", ps.InspectionCreated, status=201, body=ps.InspectionBody)
@idempotent
def create_inspection():
    """Record an inspection: JSON {kind: planned|ad_hoc, campaign_id?, department, members: [names],
    vehicle_trips, visits: [{place_id, checklist: {item: bool}, findings, attachments:
    ["photo:<sha256>"], notice?: {requirements, deadline: YYYY-MM-DD local}}]} → 201 {id,
    notices: [{id, number}]}. 400 bad input; 404 place/campaign outside scope."""
    user = api_user()
    inspection = inspections.record_inspection(user, json_body())
    issued = [{"id": n.id, "number": n.number} for n in inspections.notices_of(inspection)]
    return jsonify(id=inspection.id, notices=issued), 201


@bp.post("/campaigns")
@operation("places", ps.Created, status=201, body=ps.CampaignBody)
def create_campaign():
    """Create a campaign (专项整治行动): JSON {name, area_code, starts_on, ends_on (local dates),
    description} → 201 {id}. 403 not an office role or area outside scope; 400 bad input."""
    user = api_user()
    b = json_body()
    c = inspections.create_campaign(user, b.get("name"), b.get("area_code"), b.get("starts_on"), b.get("ends_on"),
                                    b.get("description"))
    return jsonify(id=c.id), 201


@bp.get("/notices/<int:notice_id>")
@operation("places", ps.Notice)
def get_notice(notice_id: int):
    """One rectification notice: number, place, requirements, deadline_at (UTC), status, overdue,
    measure, version, allowed_actions. 404 absent or outside scope."""
    user = api_user()
    return jsonify(rectification.notice_dict(user, rectification.get_notice(user, notice_id)))


@bp.post("/notices/<int:notice_id>/actions/<action>")
@operation("places", ps.Notice, body=ps.NoticeActionBody, body_required=False, errors=(409,))
def notice_action(notice_id: int, action: str):
    """Act on a notice (README table): reinspect {passed}, escalate {measure: fine|suspend|ban,
    note}, approve {approved, note}; ``version`` optional (stale → 409). 200 the notice; 400;
    403; 404; 409 state or version conflict."""
    user = api_user()
    body = json_body() if request.get_data() else {}
    notice = rectification.act(user, notice_id, action, body, version=body.get("version"))
    return jsonify(rectification.notice_dict(user, notice))


@bp.get("/inspection-figures")
@operation("places", ps.Figures, query=ps.FiguresQuery, media=XLSX)
def inspection_figures():
    """Figures of inspections and rectification: ``?level=grid|community|township|district&code=
    &from=&to=`` (local dates, inclusive) ``&campaign_id=``; ``&format=xlsx`` for the Excel
    workbook (the area and the areas one level below). Definitions: README. 400; 403; 404."""
    user = api_user()
    a = request.args
    params = (a.get("level"), a.get("code"), a.get("from"), a.get("to"), a.get("campaign_id"))
    if a.get("format") == "xlsx":
        return xlsx_response(*place_figures.export_xlsx(user, *params))
    return jsonify(place_figures.compute(user, *params))


@bp.get("/notifications")
@operation("notifications", ps.Notifications, query=ps.NotificationsQuery)
def list_notifications():
    """The caller's notifications, newest first (``?unread=1`` only unread): {unread, items: [{id,
    kind, subject_type, subject_id, message, url, created_at (UTC), read_at}]}."""
    user = api_user()
    items = inbox.for_user(user, request.args.get("unread") in ("1", "true"))
    return jsonify(unread=inbox.unread_count(user), items=[inbox.notification_dict(n) for n in items])


@bp.post("/notifications/read")
@operation("notifications", ps.Marked, body=ps.ReadBody, body_required=False)
def read_notifications():
    """Mark notifications read: JSON {id} for one, {} for all → {"marked": n}."""
    user = api_user()
    body = json_body() if request.get_data() else {}
    return jsonify(marked=inbox.mark_read(user, body.get("id")))
