"""API v1 for the closed loop: one case, its actions, KPIs, and the OpenAPI document."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from ..analytics import facts
from ..auth import api_user
from ..errors import BadInput
from ..incidents import duplicates, photos, workflow
from ..incidents import present as case_present
from ..settings import photo_settings
from . import bp, contract, json_body
from .contract import operation
from .idempotency import idempotent
from .schemas import incidents as inc
from .schemas.common import OpenAPIDocument


@bp.get("/incidents/duplicates")
@operation("incidents", inc.DuplicateCandidates, query=inc.DuplicatesQuery)
def incident_duplicates():
    """Possible duplicates before reporting: ``?category_code=&lon=&lat=`` (WGS84) → {"candidates":
    [{id, distance_m, status, reported_at}]} — open cases of that category within 50 m reported in
    the last 7 days that the caller may see, nearest first. 400 malformed point."""
    user = api_user()
    args = request.args
    try:
        lon, lat = float(args.get("lon", "")), float(args.get("lat", ""))
    except ValueError:
        raise BadInput(_("lon 和 lat 必须是数字（WGS84 度）"), code="invalid_point") from None
    found = duplicates.candidates(user, str(args.get("category_code", "")), lon, lat)
    return jsonify(candidates=duplicates.as_list(found))


@bp.get("/incidents/<int:incident_id>")
@operation("incidents", inc.Case)
def get_incident(incident_id: int):
    """One case: id, state (= status), version, category, level, lon/lat, grid, community,
    reported/filed/deadline/handled/closed times (ISO 8601 UTC), overdue / due_soon / due_today,
    department_code, handler, rating, reworks, extensions, pending_approval, allowed_actions
    (for the caller) and history (oldest first). 404 when absent or outside the caller's scope."""
    user = api_user()
    return jsonify(case_present.case_dict(user, workflow.get_case(user, incident_id)))


@bp.post("/incidents/<int:incident_id>/actions/<action>")
@operation("incidents", inc.Case, body=inc.CaseActionBody, body_required=False, errors=(409,),
           path=inc.CaseActionPath)
def incident_action(incident_id: int, action: str):
    """Take an action of the closed loop (see the README's table): JSON body (may be empty)
    with ``version`` (optional; stale → 409 ``stale_version``), ``note``, ``attachments`` and the
    action's parameters (dispatch: department_code / handler; verify: passed; evaluate: rating
    1–5; extend: hours; approve: approved). 200 → the case as in GET; 400 bad parameters;
    403 not allowed for the caller's role/scope; 404 unknown case/action; 409 state or version
    conflict."""
    user = api_user()
    body = json_body() if request.get_data() else {}
    incident = workflow.perform(user, incident_id, action, body, version=body.get("version"))
    return jsonify(case_present.case_dict(user, incident))


@bp.get("/kpi")
@operation("analytics", inc.Kpi, query=inc.KpiQuery)
def get_kpi():
    """KPIs of an area and a date range: ``?level=grid|community|township|district&code=...
    &from=YYYY-MM-DD&to=YYYY-MM-DD`` (local dates, Asia/Shanghai, inclusive, on reported_at).
    Definitions: :mod:`gridapp.analytics.kpi` and the README. 400 malformed; 403 outside the
    caller's scope; 404 unknown area."""
    user = api_user()
    args = request.args
    return jsonify(facts.compute(user, args.get("level"), args.get("code"), args.get("from"), args.get("to")))


@bp.get("/openapi.json")
@operation("meta", OpenAPIDocument, public=True)
def openapi_document():
    """The OpenAPI 3.1 document of every /api/v1 endpoint, generated from the schemas
    (:mod:`gridapp.api.contract`; no authentication needed)."""
    return jsonify(contract.document())


@bp.post("/photos")
@operation("photos", inc.Photo, status=201, form=inc.PhotoForm, errors=(413,))
@idempotent
def upload_photo():
    """Upload one photo (multipart field ``file``): JPEG, PNG or WebP by content, size limit
    ``PHOTO_MAX_BYTES`` (10 MB). 201 {ref ("photo:<sha256>", for ``attachments`` and
    ``photos``), content_type, size, width, height, gps {lon, lat} from EXIF or null}; 400
    ``photo_type`` / ``photo_empty`` / ``photo_missing``; 413 ``photo_too_large``."""
    user = api_user()
    file = request.files.get("file")
    if file is None:
        raise BadInput(_("请以 multipart 字段 file 上传照片"), code="photo_missing")
    return jsonify(photos.photo_dict(photos.store(user, file.read(), file.filename, settings=photo_settings()))), 201
