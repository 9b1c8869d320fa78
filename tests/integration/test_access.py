"""The access table: every route of the app's URL map × every role and scope, allow or deny.

``ACCESS`` has one entry per (method, rule) of ``app.url_map``; a route without an entry — or an
entry without a route — fails :func:`test_every_route_has_an_entry`. An entry says which roles may
use the route and, when the route takes an object (an incident, a community, a grid, a group, a
member, a grid worker, a photo), of which *kind*: the test then runs once per *place* of that
object relative to the demo users —

| place       | object lies in                                        | reached by                 |
|-------------|-------------------------------------------------------|----------------------------|
| `grid`      | the demo worker's grid 610202002010001 (红旗社区)      | worker, secretary, township, district, admin |
| `community` | another grid of 红旗社区 (the secretary's community)   | secretary, township, district, admin |
| `township`  | another community of 红旗街街道 (翠溪社区)              | township, district, admin |
| `district`  | a community of another township of 王益区              | district, admin            |

— and for each principal (anonymous and the demo users admin, district, hongqijie (township),
hongqi (secretary), worker) expects *allow* exactly when the role is listed and the place is
reached. *deny* is 401/403/404 or a redirect to the login page; *allow* is anything else below
500 (a 400 for the deliberately incomplete body counts: the request got past the access check).
Every request runs in a savepoint rolled back afterwards, so allowed writes leave nothing behind.

To add a route: add one line to ``ACCESS``.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import accessutil
import placeutil as pu
import pytest
from accessutil import ADMIN, ALL, EDITORS, EXPORTS, FULL_VIEW, INTEROP, OFFICE, PLACES, PUBLIC, REACH, USERS, Access
from caseutil import COMMUNITY, GRID, OTHER_COMMUNITY, OTHER_GRID, TOWNSHIP, grid_point, jpeg_bytes, make_case
from mbtilesutil import write_mbtiles
from sqlalchemy import func, select

from gridapp.accounts import service as accounts
from gridapp.core.clock import local_zone
from gridapp.disputes import register as dispute_register
from gridapp.incidents import photos
from gridapp.models import (
    AdminArea,
    Dispute,
    DisputeType,
    Grid,
    GridPartyGroup,
    GridWorker,
    IncidentEvent,
    InspectionPlace,
    PartyMember,
    Place,
    RectificationNotice,
    User,
)
from gridapp.places import service as place_service
from gridapp.settings import photo_settings

A = Access
ACCESS: dict[tuple[str, str], Access] = {
    # --- public -------------------------------------------------------------------------------
    ("GET", "/login"): A(PUBLIC),
    ("POST", "/login"): A(PUBLIC),
    ("POST", "/logout"): A(PUBLIC),
    ("GET", "/about"): A(PUBLIC),
    ("GET", "/healthz"): A(PUBLIC), ("GET", "/favicon.ico"): A(PUBLIC),
    ("GET", "/sw.js"): A(PUBLIC), ("GET", "/manifest.webmanifest"): A(PUBLIC),  # the phone app (issue 19)
    ("GET", "/lang/<code>"): A(PUBLIC),
    ("GET", "/static/<path:filename>"): A(PUBLIC, params={"filename": "favicon.svg"}),
    ("GET", "/static/vendor/<package>/<path:filename>"): A(PUBLIC),
    ("GET", "/api/v1/openapi.json"): A(PUBLIC),
    ("POST", "/api/v1/auth/token"): A(PUBLIC),
    **INTEROP,
    **EXPORTS,
    # --- any logged-in user, results filtered by scope ----------------------------------------
    ("DELETE", "/api/v1/auth/token"): A(ALL),
    ("GET", "/"): A(ALL),
    ("GET", "/map"): A(ALL),
    ("GET", "/incidents"): A(ALL),
    ("GET", "/incidents/new"): A(ALL),
    ("POST", "/incidents/new"): A(ALL),
    ("GET", "/tasks"): A(ALL),
    ("GET", "/cases"): A(ALL),
    ("GET", "/cases/map"): A(ALL),
    ("POST", "/photos"): A(ALL),
    ("POST", "/phone/token"): A(ALL),
    ("POST", "/api/v1/photos"): A(ALL),
    ("GET", "/api/v1/areas"): A(ALL),
    ("GET", "/api/v1/grids"): A(ALL),
    ("GET", "/api/v1/locate"): A(ALL, query="lon=109.06&lat=35.07"),
    ("GET", "/api/v1/incidents"): A(ALL),
    ("GET", "/api/v1/incidents/duplicates"): A(ALL),
    ("GET", "/api/v1/coverage/grids"): A(ALL),
    ("GET", "/api/v1/tiles/<layer>/<int:z>/<int:x>/<int:y>.pbf"): A(ALL, params={"layer": "coverage", "z": "12",
                                                                         "x": "3288", "y": "1621"}),
    ("GET", "/api/v1/tiles/<layer>.json"): A(ALL, params={"layer": "grids"}),
    ("GET", "/basemap/tiles/<int:z>/<int:x>/<int:y>"): A(
        ALL, params={"z": "0", "x": "0", "y": "0"}, config={"BASEMAP": "mbtiles", "MBTILES_FILE": "access.mbtiles"}),
    ("GET", "/api/v1/incidents/clusters"): A(ALL, query="bbox=108.8,34.8,109.4,35.4&zoom=12"),
    ("GET", "/api/v1/export"): A(ALL, query="level=grid&format=geojson"),
    ("GET", "/org"): A(OFFICE),
    # --- incidents, by place ------------------------------------------------------------------
    ("POST", "/api/v1/incidents"): A(ALL, "grid", json={"category_code": "0102", "description": "x",
                                                        "lon": "{lon}", "lat": "{lat}"}),
    ("GET", "/cases/<int:incident_id>"): A(ALL, "incident"),
    ("GET", "/api/v1/incidents/<int:incident_id>"): A(ALL, "incident"),
    ("POST", "/cases/<int:incident_id>/act"): A(OFFICE, "incident", form={"action": "accept", "version": "1"}),
    ("POST", "/api/v1/incidents/<int:incident_id>/actions/<action>"): A(OFFICE, "incident"),
    ("GET", "/photos/<sha>"): A(ALL, "photo"),
    ("GET", "/photos/<sha>/<any(thumb):size>"): A(ALL, "photo"),
    ("GET", "/api/v1/kpi"): A(ALL, "grid", query="level=grid&code={grid}"),
    # --- boundaries and coverage --------------------------------------------------------------
    ("GET", "/coverage-check"): A(OFFICE, "community", query="code={community}"),
    ("GET", "/api/v1/coverage-check"): A(OFFICE, "community", query="code={community}"),
    ("GET", "/api/v1/coverage"): A(OFFICE, "community", query="level=community&code={community}"),
    ("POST", "/api/v1/communities/<code>/grids/generate"): A(EDITORS, "community", json={}),
    ("POST", "/api/v1/communities/<code>/grids/renumber"): A(EDITORS, "community", json={}),
    ("POST", "/api/v1/grids/<code>/split"): A(EDITORS, "grid", json={}),
    ("POST", "/api/v1/grids/merge"): A(EDITORS, "grid", json={"codes": ["{grid}"]}),
    ("POST", "/api/v1/grids/move-edge"): A(EDITORS, "grid", json={"codes": ["{grid}", "{grid}"]}),
    ("GET", "/admin/imports"): A(ADMIN),
    ("POST", "/admin/imports"): A(ADMIN),
    ("POST", "/api/v1/imports"): A(ADMIN),
    ("GET", "/admin/categories"): A(ADMIN),
    ("POST", "/admin/categories"): A(ADMIN, form={"op": "rule"}),
    ("GET", "/admin/audit"): A(ADMIN),
    ("GET", "/api/v1/audit-log"): A(ADMIN),
    # --- party organisation -------------------------------------------------------------------
    ("GET", "/org/community/<code>"): A(OFFICE, "community"),
    ("GET", "/org/community/<code>/export.xlsx"): A(OFFICE, "community"),
    ("POST", "/org/community/<code>/groups"): A(OFFICE, "community"),
    ("POST", "/org/community/<code>/import"): A(OFFICE, "community"),
    ("POST", "/org/community/<code>/members"): A(OFFICE, "community"),
    ("POST", "/org/community/<code>/ratings"): A(OFFICE, "community"),
    ("POST", "/org/community/<code>/workers"): A(OFFICE, "community"),
    ("GET", "/org/grid/<code>"): A(OFFICE, "grid"),
    ("POST", "/org/groups/<int:group_id>/dissolve"): A(OFFICE, "group"),
    ("POST", "/org/members/<int:member_id>/move"): A(OFFICE, "member"),
    ("POST", "/org/members/<int:member_id>/remove"): A(OFFICE, "member"),
    ("POST", "/org/reveal/<entity>/<int:obj_id>/<field>"): A(FULL_VIEW, "member"),
    ("POST", "/org/workers/<int:worker_id>/assign"): A(OFFICE, "worker"),
    ("GET", "/api/v1/party-groups"): A(OFFICE, "community", query="community_code={community}"),
    ("POST", "/api/v1/party-groups"): A(OFFICE, "community", json={"community_code": "{community}", "name": "访问"}),
    ("GET", "/api/v1/party-groups/<int:group_id>"): A(OFFICE, "group"),
    ("PATCH", "/api/v1/party-groups/<int:group_id>"): A(OFFICE, "group", json={}),
    ("DELETE", "/api/v1/party-groups/<int:group_id>"): A(OFFICE, "group"),
    ("GET", "/api/v1/party-members"): A(OFFICE, "community", query="community_code={community}"),
    ("POST", "/api/v1/party-members"): A(OFFICE, "community", json={"community_code": "{community}", "name": "访问"}),
    ("PATCH", "/api/v1/party-members/<int:member_id>"): A(OFFICE, "member", json={}),
    ("DELETE", "/api/v1/party-members/<int:member_id>"): A(OFFICE, "member"),
    ("GET", "/api/v1/grid-workers"): A(OFFICE, "community", query="community_code={community}"),
    ("POST", "/api/v1/grid-workers"): A(OFFICE, "community", json={"community_code": "{community}", "name": "访问"}),
    ("PUT", "/api/v1/grid-workers/<int:worker_id>/grids"): A(OFFICE, "worker", json={"grid_codes": []}),
    ("DELETE", "/api/v1/grid-workers/<int:worker_id>"): A(OFFICE, "worker"),
    ("POST", "/api/v1/ratings"): A(OFFICE, "community", json={"community_code": "{community}", "stars": 3}),
    ("POST", "/api/v1/stationed-units"): A(OFFICE, "community", json={"community_code": "{community}", "name": "访问"}),
    ("GET", "/api/v1/audit"): A(OFFICE, "community", query="community_code={community}"),
    # --- disputes -----------------------------------------------------------------------------
    ("GET", "/disputes"): A(ALL),
    ("GET", "/disputes/new"): A(ALL),
    ("POST", "/disputes/new"): A(ALL),
    ("GET", "/api/v1/disputes"): A(ALL),
    ("GET", "/api/v1/dispute-types"): A(ALL),
    ("POST", "/api/v1/dispute-types"): A(EDITORS, json={"code": "访问", "name": "访问"}),
    ("GET", "/api/v1/mediators"): A(ALL),
    ("POST", "/api/v1/mediators"): A(OFFICE, json={"name": "访问", "committee_name": "访问", "area_code": COMMUNITY}),
    ("POST", "/api/v1/disputes"): A(ALL, "grid", json={"type_code": "02", "summary": "x", "source": "worker",
                                                     "parties": [{"kind": "person", "name": "x"}],
                                                     "lon": "{lon}", "lat": "{lat}"}),
    ("GET", "/api/v1/disputes/stats"): A(ALL, "grid", query="level=grid&code={grid}"),
    ("GET", "/disputes/<int:dispute_id>"): A(ALL, "dispute"),
    ("POST", "/disputes/<int:dispute_id>/act"): A(OFFICE, "dispute", form={"action": "accept", "version": "1"}),
    ("GET", "/api/v1/disputes/<int:dispute_id>"): A(ALL, "dispute"),
    ("POST", "/api/v1/disputes/<int:dispute_id>/actions/<action>"): A(OFFICE, "dispute"),
    # --- places, inspections, notices, notifications ------------------------------------------
    ("GET", "/places"): A(ALL),
    ("POST", "/places/new"): A(ALL),
    ("POST", "/places/import"): A(ALL),
    ("GET", "/api/v1/places"): A(ALL),
    ("POST", "/api/v1/places"): A(ALL, "grid", json={"name": "x", "type": "网吧", "lon": "{lon}",
                                                                "lat": "{lat}"}),
    ("POST", "/api/v1/places/import"): A(ALL),
    ("GET", "/api/v1/place-types"): A(ALL),
    ("PUT", "/api/v1/place-types/<code>"): A(ADMIN, json={"name": "访问"}),
    ("POST", "/api/v1/campaigns"): A(OFFICE, json={"name": "访问", "area_code": COMMUNITY, "starts_on": "2026-01-02",
                                                   "ends_on": "2026-01-01"}),
    ("GET", "/inspections/new"): A(ALL),
    ("POST", "/inspections/new"): A(ALL),
    ("POST", "/api/v1/inspections"): A(ALL, json={}),
    ("GET", "/inspection-figures"): A(ALL),
    ("GET", "/api/v1/inspection-figures"): A(ALL, "grid", query="level=grid&code={grid}"),
    # --- district review dashboard (issue 7) --------------------------------------------------
    ("GET", "/dashboard"): A(OFFICE, "community", query="level=community&code={community}"),
    ("GET", "/dashboard/report.xlsx"): A(OFFICE, "community", query="level=community&code={community}"),
    ("GET", "/dashboard/report.csv"): A(OFFICE, "community", query="level=community&code={community}"),
    ("GET", "/dashboard/print"): A(OFFICE, "community", query="level=community&code={community}"),
    ("GET", "/api/v1/dashboard"): A(OFFICE, "community", query="level=community&code={community}"),
    ("GET", "/api/v1/dashboard/areas"): A(OFFICE, "community", query="level=community&code={community}"),
    ("GET", "/notices"): A(ALL),
    ("GET", "/notifications"): A(ALL),
    ("POST", "/notifications"): A(ALL),
    ("GET", "/notifications/unread"): A(ALL),
    ("GET", "/notifications/channels"): A(ALL),
    ("POST", "/notifications/channels"): A(ALL, form={"email": "", "webhook": ""}),
    ("GET", "/admin/deliveries"): A(ADMIN),
    ("GET", "/admin/imports/jobs/<int:job_id>"): A(ADMIN, "import_job"),
    ("GET", "/admin/imports/jobs/<int:job_id>.json"): A(ADMIN, "import_job"),
    ("POST", "/admin/imports/jobs/<int:job_id>/cancel"): A(ADMIN, "import_job", form={}),
    ("GET", "/api/v1/notifications"): A(ALL),
    ("POST", "/api/v1/notifications/read"): A(ALL, json={}),
    ("GET", "/places/<int:place_id>"): A(ALL, "place"),
    ("GET", "/api/v1/places/<int:place_id>"): A(ALL, "place"),
    ("GET", "/inspections/<int:inspection_id>"): A(ALL, "inspection"),
    ("GET", "/notices/<int:notice_id>"): A(ALL, "notice"),
    ("GET", "/api/v1/notices/<int:notice_id>"): A(ALL, "notice"),
    # anyone in scope re-inspects (回头检查: grid workers too); escalation approvals need rank
    ("POST", "/notices/<int:notice_id>/act"): A(ALL, "notice", form={"action": "reinspect", "version": "1"}),
    ("POST", "/api/v1/notices/<int:notice_id>/actions/<action>"): A(ALL, "notice",
                                                                    params={"action": "reinspect"}),
}

# Fixed values of path parameters that are not objects.
FIXED = {"code": "en", "filename": "leaflet.js", "package": "leaflet", "action": "accept",
         "size": "thumb", "entity": "member", "field": "phone"}


def _routes(app) -> set[tuple[str, str]]:
    return {(m, r.rule) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_an_entry(app):
    routes = _routes(app)
    assert sorted(routes - ACCESS.keys()) == [], "routes without an entry in the access table"
    assert sorted(ACCESS.keys() - routes) == [], "entries of the access table without a route"


def _cases():
    for (method, rule), access in ACCESS.items():
        for place in PLACES[access.kind] if access.kind else (None,):
            yield pytest.param(method, rule, place, id=f"{method} {rule} {place or ''}".strip())


@pytest.fixture
def places(tx, request, tmp_path):
    """The objects of each place: grid and community codes, a point, a party group, a party member
    and a grid worker; for incident and photo routes also an incident (reported, by the admin) with
    a photo."""
    spec = getattr(request.node, "callspec", None)
    access = ACCESS[(spec.params["method"], spec.params["rule"])] if spec else None
    with_cases = access is not None and access.kind in ("incident", "photo")
    far = tx.scalar(select(AdminArea.code).where(AdminArea.level == "community", AdminArea.district_code == "610202",
                                                 AdminArea.parent_code != TOWNSHIP,
                                                 AdminArea.code.in_(select(Grid.community_code)))
                    .order_by(AdminArea.code))
    first_grid = select(Grid.code).order_by(Grid.code)
    grid_of = {"grid": GRID, "community": OTHER_GRID,
               "township": tx.scalar(first_grid.where(Grid.community_code == OTHER_COMMUNITY)),
               "district": tx.scalar(first_grid.where(Grid.community_code == far))}
    community_of = {"grid": COMMUNITY, "community": COMMUNITY, "township": OTHER_COMMUNITY, "district": far}
    admin = tx.scalar(select(User).where(User.username == "admin"))
    out = {}
    for place, grid in grid_of.items():
        community = community_of[place]
        lon, lat = grid_point(grid)
        out[place] = {"grid": grid, "community": community, "code": grid, "lon": lon, "lat": lat}
        for key, model in (("group_id", GridPartyGroup), ("member_id", PartyMember), ("worker_id", GridWorker)):
            out[place][key] = tx.scalar(select(model.id).where(model.community_code == community).order_by(model.id))
        out[place]["obj_id"] = out[place]["member_id"]
        if access is not None and access.kind in ("dispute", "place", "notice", "inspection"):
            out[place].update(_located_objects(tx, admin, place, grid, community))
        if access is not None and access.kind in ("import_job", "export_job"):
            out[place]["job_id"] = accessutil.admin_job(tx, admin, access.kind, tmp_path)
        if with_cases:
            incident = make_case(admin, grid=grid)
            sha = photos.store(admin, jpeg_bytes((8 + len(out), 8)), "p.jpg", commit=False,
                               settings=photo_settings()).sha256
            tx.add(IncidentEvent(incident_id=incident.id, actor_id=admin.id, at=incident.reported_at,
                                 action="report", to_state="reported", attachments=[f"photo:{sha}"]))
            out[place].update(incident_id=incident.id, sha=sha)
    tx.commit()
    return out


def _located_objects(tx, admin, place: str, grid: str, community: str) -> dict:
    """A dispute, a place, an inspection of that place only and its rectification notice, all in this
    *place*: the demo's own where it has them, else made here by the services (fictitious data)."""
    at = (Grid.code == GRID) if place == "grid" else (Grid.community_code == community) & (Grid.code != GRID)
    in_place = select(Grid.code).where(at)
    dispute_id = tx.scalar(select(Dispute.id).where(Dispute.grid_code.in_(in_place)).order_by(Dispute.id))
    lon, lat = grid_point(grid)
    if dispute_id is None:
        type_code = tx.scalar(select(DisputeType.code).where(DisputeType.active.is_(True)).order_by(DisputeType.code))
        dispute_id = dispute_register.register(admin, {
            "type_code": type_code, "summary": "测试纠纷（虚构）", "lon": lon, "lat": lat,
            "parties": [{"kind": "person", "name": "张某"}]}).id
    place_ids = select(Place.id).where(Place.grid_code.in_(in_place))
    notice = tx.scalar(select(RectificationNotice).where(RectificationNotice.place_id.in_(place_ids))
                       .order_by(RectificationNotice.id))
    inspection_id = tx.scalar(  # an inspection all of whose places lie in this place
        select(InspectionPlace.inspection_id).join(Place, Place.id == InspectionPlace.place_id)
        .group_by(InspectionPlace.inspection_id).having(func.bool_and(Place.grid_code.in_(in_place)))
        .order_by(InspectionPlace.inspection_id))
    if notice is None or inspection_id is None:
        site = place_service.create(admin, {"name": "测试场所（虚构）", "type": place_service.types()[0].code,
                                            "lon": lon, "lat": lat})
        due = (datetime.now(local_zone()).date() + timedelta(days=7)).isoformat()
        inspection = pu.inspect(admin, [pu.visit(site, "测试发现（虚构）", due)], datetime.now(local_zone()))
        inspection_id = inspection.id
        notice = tx.scalar(select(RectificationNotice).where(RectificationNotice.inspection_id == inspection_id))
    return {"dispute_id": dispute_id, "place_id": notice.place_id, "notice_id": notice.id,
            "inspection_id": inspection_id}


def _fill(value, obj: dict):
    if isinstance(value, str):
        if value in ("{lon}", "{lat}"):
            return obj[value[1:-1]]
        return value.format(**obj) if "{" in value else value
    if isinstance(value, list):
        return [_fill(v, obj) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, obj) for k, v in value.items()}
    return value


def _url(rule: str, access: Access, obj: dict) -> str:
    import re

    def param(match):
        name = match.group(1).split(":")[-1]
        if name in access.params:
            return access.params[name]
        return str(obj[name]) if access.kind and name in obj else FIXED[name]

    return re.sub(r"<([^>]+)>", param, rule)


def _denied(resp, public: bool) -> bool:
    if resp.status_code in (401, 403, 404):
        return True
    # a public route may send anyone to the login page (POST /logout does)
    return not public and resp.status_code in (301, 302, 303) and "/login" in resp.headers.get("Location", "")


@pytest.mark.parametrize("method,rule,place", list(_cases()))
def test_access(app, client, tx, places, monkeypatch, method, rule, place):
    access = ACCESS[(method, rule)]
    obj = places[place] if place else places["grid"]
    if access.kind == "community":
        obj = dict(obj, code=obj["community"])
    url = _url(rule, access, obj)
    query = _fill(access.query, obj)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    for key, value in access.config.items():
        monkeypatch.setitem(app.config, key, value)
    if "MBTILES_FILE" in access.config:  # an offline base-map package of one tile, 0/0/0
        write_mbtiles(Path(app.instance_path) / access.config["MBTILES_FILE"], {"format": "png"},
                      [(0, 0, 0, b"\x89PNG")])
    users = {u.username: u for u in tx.scalars(select(User).where(User.username.in_(USERS.values())))}
    credentials = {}
    for role, username in USERS.items():
        credentials[role] = (accounts.start_session(users[username]), accounts.issue_token(users[username], 1)[0])
    uids = {role: users[name].id for role, name in USERS.items()}
    conn = tx.connection()
    wrong = []
    for principal in ("anonymous",) + ALL:
        headers = {}
        with client.session_transaction() as sess:
            sess.clear()
            if principal != "anonymous":
                sid, token = credentials[principal]
                sess["_user_id"], sess["_fresh"] = f"{uids[principal]}:{sid}", True
                if rule.startswith(("/api/", "/ogcapi", "/open311")):
                    headers["Authorization"] = f"Bearer {token}"
        tx.commit()
        savepoint = conn.begin_nested()
        try:
            resp = client.open(url + (f"?{query}" if query else ""), method=method, headers=headers,
                               json=_fill(access.json, obj) if access.json is not None else None,
                               data=_fill(access.form, obj) if access.json is None and method != "GET" else None)
        finally:
            savepoint.rollback()
            tx.expire_all()
        if resp.status_code >= 500:
            wrong.append((principal, "no 5xx", resp.status_code, ""))
        expected = principal in access.roles and (place is None or place in REACH[principal])
        if expected == _denied(resp, "anonymous" in access.roles):
            why = resp.text[:160] if resp.is_json else resp.headers.get("Location", "")
            wrong.append((principal, "allow" if expected else "deny", resp.status_code, why))
    assert not wrong, "; ".join(f"{p}: expected {e}, got {s} {t!r}" for p, e, s, t in wrong)
