"""The API's create path checks the token, the category, the location, the scope and the photos in
the one statement that inserts the case (services/incidents.py, services/compiled.py). Its SQL scope
check must decide exactly as the Python rule of every other write (core.scope.contains), for
every role; an invalid token is answered first; nothing is written on refusal."""
from __future__ import annotations

import io

import pytest
from caseutil import jpeg_bytes
from shapely.geometry import shape

GRIDS = ("610202002010001", "610202002010002")  # demo: two grids of one community
ELSEWHERE = "610202001"  # demo: another township (its first grid is used)


def _interior(client, headers, community: str, code: str | None = None):
    fc = client.get(f"/api/v1/grids?community_code={community}", headers=headers).get_json()
    feature = next(f for f in fc["features"] if code is None or f["properties"]["code"] == code)
    return feature["properties"]["code"], shape(feature["geometry"]).representative_point()


@pytest.fixture
def points(client, bearer):
    """(grid code, shapely point) inside two grids of one community and one grid of another township."""
    admin = bearer("admin")
    other = client.get("/api/v1/areas?level=community", headers=admin).get_json()["features"]
    elsewhere = next(f["properties"]["code"] for f in other if f["properties"]["parent_code"] == ELSEWHERE
                     and f["properties"].get("unit_type") != "village"
                     and client.get(f"/api/v1/grids?community_code={f['properties']['code']}",
                                    headers=admin).get_json()["features"])
    return [_interior(client, admin, g[:12], g) for g in GRIDS] + [_interior(client, admin, elsewhere)]


@pytest.mark.parametrize("role,scope", [
    ("admin", None), ("district", "610202"), ("township", "610202002"), ("township", ELSEWHERE),
    ("secretary", "610202002010"), ("worker", None),
])
def test_scope_in_the_statement_equals_the_rule(client, bearer, make_user, tx, points, role, scope):
    from gridapp.boundaries.locate import locate
    from gridapp.core.scope import contains as location_in_scope
    from gridapp.models import Incident

    user = make_user(role, scope, grids=(GRIDS[0],) if role == "worker" else ())
    headers = bearer(user.username)
    for code, pt in points:
        expected = location_in_scope(user, locate(pt.x, pt.y))
        before = tx.query(Incident).count()
        resp = client.post("/api/v1/incidents", headers=headers, json={
            "category_code": "0102", "description": f"测试（虚构）{role}", "lon": pt.x, "lat": pt.y})
        tx.expire_all()
        if expected:
            assert resp.status_code == 201, (role, scope, code, resp.get_json())
            assert resp.get_json()["grid_code"] == code
            assert tx.query(Incident).count() == before + 1
        else:
            assert resp.status_code == 403, (role, scope, code, resp.get_json())
            assert resp.get_json()["error"]["code"] == "outside_scope"
            assert tx.query(Incident).count() == before
    assert role != "worker" or [location_in_scope(user, locate(p.x, p.y)) for _c, p in points] == [True, False, False]


@pytest.mark.parametrize("body", [
    {"category_code": "0102", "description": "测试（虚构）", "lon": 109.07, "lat": 35.07},
    {"category_code": "9999", "description": " ", "lon": "east"},
    "not an object",
])
def test_a_revoked_token_is_answered_first(client, bearer, tx, body):
    from gridapp.models import Incident

    headers = bearer("worker")
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    before = tx.query(Incident).count()
    resp = client.post("/api/v1/incidents", headers=headers, json=body)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "invalid_token"
    assert tx.query(Incident).count() == before


def test_photos_are_checked_in_the_statement(client, bearer, tx, points):
    from gridapp.models import Incident, IncidentEvent

    code, pt = points[0]
    headers = bearer("worker")
    before = (tx.query(Incident).count(), tx.query(IncidentEvent).count())
    def report(photo_ref):
        return client.post("/api/v1/incidents", headers=headers, json={
            "category_code": "0102", "description": "测试（虚构）", "lon": pt.x, "lat": pt.y, "photos": [photo_ref]})

    def upload(who):
        return client.post("/api/v1/photos", data={"file": (io.BytesIO(jpeg_bytes(color="navy")), "p.jpg")},
                           headers=bearer(who), content_type="multipart/form-data").get_json()["ref"]

    absent = report("photo:" + "0" * 64)
    assert absent.status_code == 404 and absent.get_json()["error"]["code"] == "photo_not_found"
    assert "photo:" + "0" * 64 in absent.get_json()["error"]["message"]
    foreign = report(upload("hongqi"))  # issue 18: another user's photo answers as an absent one
    assert foreign.status_code == 404 and foreign.get_json()["error"]["code"] == "photo_not_found"
    assert foreign.get_json()["error"]["field"] == absent.get_json()["error"]["field"] == "photos"
    assert (tx.query(Incident).count(), tx.query(IncidentEvent).count()) == before
    assert report(upload("worker")).status_code == 201  # the same bytes, uploaded by the reporter


def test_compiled_statements_refuse_expanding_lists_and_missing_values(tx):
    from sqlalchemy import bindparam, literal, select

    from gridapp.core import compiled
    from gridapp.models import Incident

    with pytest.raises(ValueError, match="expanding"):
        compiled.execute(("test", "expanding"), lambda: select(Incident.id).where(Incident.status.in_(["a", "b"])), {})
    with pytest.raises(KeyError):
        compiled.execute(("test", "missing"), lambda: select(literal(1)).where(Incident.id == bindparam("x")), {})
    rows = compiled.execute(("test", "ok"), lambda: select(bindparam("x", type_=Incident.id.type).label("x")),
                            {"x": 7})
    assert [row.x for row in rows] == [7]


def test_a_statement_alone_outside_a_transaction_runs_on_a_pooled_connection_of_its_own(app):
    from sqlalchemy import Integer, bindparam, func, select

    from gridapp.core import compiled
    from gridapp.extensions import db

    def build():
        return select(bindparam("x", type_=Integer).label("x"), func.pg_backend_pid().label("pid"))

    with app.app_context():
        rows = compiled.execute(("test", "alone"), build, {"x": 3}, alone=True)
        # the session never began a transaction and the connection is back in the pool
        assert [r.x for r in rows] == [3]
        assert not db.session().in_transaction() and db.engine.pool.checkedout() == 0
        # inside the session's open transaction it runs on the session's connection
        session_pid = db.session.execute(select(func.pg_backend_pid())).scalar_one()
        rows = compiled.execute(("test", "alone"), build, {"x": 4}, alone=True)
        assert [(r.x, r.pid) for r in rows] == [(4, session_pid)] and db.engine.pool.checkedout() == 1
        db.session.rollback()
        db.session.remove()
