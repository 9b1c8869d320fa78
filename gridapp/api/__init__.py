"""JSON API v1 under ``/api/v1``: the contract of mobile clients and acceptance checks.

Authentication: ``POST /api/v1/auth/token`` → bearer token; later calls send
``Authorization: Bearer <token>`` (a logged-in browser session also works for GET).
Errors are JSON ``{"error": {"code": ..., "message": ...}}`` (see :mod:`gridapp.errors`).
Coordinates are WGS84 (SRID 4326), lon/lat order; times are ISO 8601 UTC.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_babel import gettext as _

from ..accounts import service as accounts
from ..auth import api_user, bearer_token, login_throttle
from ..boundaries import areas
from ..boundaries.locate import locate
from ..core import params
from ..errors import BadInput
from ..extensions import csrf
from ..incidents import queries as case_queries
from ..incidents import reports as incidents
from .contract import GEOJSON, operation
from .idempotency import idempotent
from .schemas import incidents as inc
from .schemas.common import FeatureCollection, FeaturePage

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput(_("请求体必须是 JSON 对象"), code="invalid_json")
    return body


@bp.post("/auth/token")
@operation("auth", inc.Token, body=inc.TokenRequest, public=True, errors=(401, 429))
@login_throttle
def create_token():
    """Exchange {username, password} (JSON) for a bearer token.

    200 {"token": str, "expires_at": ISO 8601 UTC, "token_type": "Bearer"}; 401 on bad credentials;
    400 when the body is not a JSON object; 429 too many failed logins (from this address, or
    for this username from this address: :mod:`gridapp.accounts.rules`).
    """
    body = json_body()
    user = accounts.authenticate(body.get("username"), body.get("password"), channel="api",
                                 address=request.remote_addr)
    token, expires = accounts.issue_token(user, current_app.config["TOKEN_HOURS"])
    return jsonify(token=token, token_type="Bearer", expires_at=expires.isoformat())


@bp.delete("/auth/token")
@operation("auth", None, status=204)
def revoke_token():
    """Revoke the bearer token of this request: 204; it no longer works afterwards."""
    user = api_user()
    accounts.revoke_token(request.headers["Authorization"].partition(" ")[2].strip(), user)
    return "", 204


@bp.get("/areas")
@operation("areas", FeatureCollection, query=inc.AreasQuery, media=GEOJSON)
def list_areas():
    """GeoJSON FeatureCollection of areas: ``?level=district|township|community`` (default
    district; community includes villages). Properties: code, name, level, parent_code,
    unit_type, boundary_source. ``?precision=`` (0–15) decimal places of the coordinates
    (degrees, default 7 ≈ 1 cm, RFC 7946). 400 for an unknown level or a bad precision."""
    api_user()
    precision = params.integer(request.args.get("precision", areas.GEOJSON_PRECISION), "precision", 0, areas.PRECISION,
                               _("precision 必须是 0 到 15 的整数"))
    return jsonify(areas.areas_collection(request.args.get("level", "district"), precision))


@bp.get("/grids")
@operation("areas", FeatureCollection, query=inc.GridsQuery, media=GEOJSON)
def list_grids():
    """GeoJSON FeatureCollection of the grids the caller may see (``?community_code=`` to
    narrow). Properties: code, name, community_code."""
    user = api_user()
    return jsonify(areas.grids_collection(user, request.args.get("community_code") or None))


@bp.get("/locate")
@operation("areas", inc.Location, query=inc.LocateQuery)
def locate_point():
    """``?lon=..&lat=..`` (WGS84 degrees) → 200 {grid_code (null in a village),
    community_code, township_code, district_code}; 404 outside every district; 400 on
    malformed or out-of-range input. The rule: :mod:`gridapp.boundaries.locate`."""
    api_user()
    return jsonify(locate(request.args.get("lon"), request.args.get("lat")).as_dict())


@bp.post("/incidents")
@operation("incidents", inc.IncidentCreated, status=201, body=inc.IncidentReport, errors=(422,), domain_order=True)
@idempotent
def create_incident():
    """Report an incident: JSON {category_code, description, lon, lat, photos?, accuracy_m?}
    (photos: list of "photo:<sha256>" from POST /photos; accuracy_m: the point's GPS accuracy in
    metres, 0–100 000) → 201 {id, grid_code,
    community_code, status, reported_at (UTC), possible_duplicates [{id, distance_m, status}]};
    400 bad input; 403 outside the caller's scope
    (a grid worker outside their grids); 422 outside the district. 401 (before any other error)
    without a valid bearer token: a browser session cannot write through the API."""
    token = bearer_token()
    if token is None or not isinstance(request.get_json(silent=True), dict):
        api_user()  # 401 without a valid token comes first
    body = json_body()
    return jsonify(incidents.report_with_token(token, body.get("category_code"), body.get("description"),
                                               body.get("lon"), body.get("lat"), body.get("photos"),
                                               body.get("accuracy_m"))), 201


@bp.get("/incidents")
@operation("incidents", FeaturePage, query=inc.IncidentQuery, media=GEOJSON)
def list_incidents():
    """GeoJSON FeatureCollection of the incidents the caller may see, newest first. Filters:
    state (comma-separated), category (code prefix), grid, community, overdue=true, mine=true,
    from/to (local dates, inclusive), bbox (min_lon,min_lat,max_lon,max_lat, SRID 4326 degrees),
    page, per_page (≤ 500, default 500). Members
    numberMatched / numberReturned (OGC API Features) and page / per_page."""
    user = api_user()
    items, total, page, per_page = case_queries.search(user, request.args)
    return jsonify({"type": "FeatureCollection",
                    "features": [incidents.incident_feature(i) for i in items],
                    "numberMatched": total, "numberReturned": len(items), "page": page,
                    "per_page": per_page})


def init_app(app: Flask) -> None:
    """Register the API blueprint (CSRF-exempt: writes need a bearer token, not a cookie)."""
    csrf.exempt(bp)
    app.register_blueprint(bp)


from . import boundaries, cases, dashboard, disputes, org, places, security, tiles  # noqa: E402,F401
