"""OGC API – Features Part 1 (issue 21) through the test client: landing page, conformance,
collections with extents, items with bbox, limit/offset paging and next links, single items,
``application/geo+json``; grids, incidents and places scoped like every read; HTTP Basic with an API
key for desktop GIS (read only); errors naming the parameter."""
from __future__ import annotations

import base64

from caseutil import GRID, grid_point, make_case
from openapi_spec_validator import validate
from sqlalchemy import func, select

from gridapp.accounts.service import issue_token
from gridapp.models import AdminArea, Grid, User


def _basic(token: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"qgis:{token}".encode()).decode()}


def test_landing_conformance_and_collections(client, bearer):
    headers = bearer("district")
    landing = client.get("/ogcapi/", headers=headers).get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    # the service-desc is an OpenAPI 3.0 document of /ogcapi's own paths (conformance class oas30)
    desc = next(link for link in landing["links"] if link["rel"] == "service-desc")
    assert desc["href"] == "http://localhost/ogcapi/api" and desc["type"].endswith("version=3.0")
    resp = client.get("/ogcapi/api")
    document = resp.get_json()
    validate(document)  # openapi-spec-validator: a valid OpenAPI 3.0 document
    assert resp.mimetype == "application/vnd.oai.openapi+json" and document["openapi"] == "3.0.3"
    assert document["servers"] == [{"url": "http://localhost/ogcapi"}]
    assert set(document["paths"]) == {"/", "/conformance", "/collections", "/collections/{collectionId}",
                                      "/collections/{collectionId}/items",
                                      "/collections/{collectionId}/items/{featureId}"}
    [collection_id] = [q for q in document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
                       if q["name"] == "collectionId"]
    assert collection_id["schema"]["enum"] == ["districts", "townships", "communities", "grids", "incidents", "places"]
    conf = client.get("/ogcapi/conformance", headers=headers).get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conf
    ids = [c["id"] for c in client.get("/ogcapi/collections", headers=headers).get_json()["collections"]]
    assert ids == ["districts", "townships", "communities", "grids", "incidents", "places"]
    grids = client.get("/ogcapi/collections/grids", headers=headers).get_json()
    assert grids["extent"]["spatial"]["bbox"][0][0] > 108 and grids["itemType"] == "feature"
    assert client.get("/ogcapi/collections/rivers", headers=headers).status_code == 404


def test_items_page_with_bbox_and_next_links(client, bearer, tx):
    headers = bearer("district")
    total = tx.scalar(select(func.count()).select_from(AdminArea).where(AdminArea.level == "community"))
    resp = client.get("/ogcapi/collections/communities/items?limit=5", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "application/geo+json"
    page = resp.get_json()
    assert page["numberMatched"] == total and page["numberReturned"] == 5
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    second = client.get(nxt.replace("http://localhost", ""), headers=headers).get_json()
    assert {f["id"] for f in second["features"]}.isdisjoint({f["id"] for f in page["features"]})
    lon, lat = grid_point(GRID)
    boxed = client.get(f"/ogcapi/collections/grids/items?bbox={lon - 1e-4},{lat - 1e-4},{lon + 1e-4},{lat + 1e-4}",
                       headers=headers).get_json()
    assert GRID in {f["id"] for f in boxed["features"]}
    one = client.get(f"/ogcapi/collections/grids/items/{GRID}", headers=headers)
    assert one.mimetype == "application/geo+json" and one.get_json()["properties"]["code"] == GRID
    for bad, field in (("limit=0", "limit"), ("limit=10001", "limit"), ("offset=-1", "offset"), ("bbox=1,2,3", "bbox")):
        resp = client.get(f"/ogcapi/collections/grids/items?{bad}", headers=headers)
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == field


def test_scoped_collections_and_basic_auth_for_desktop_gis(client, bearer, tx, make_user):
    worker = make_user("worker", grids=[GRID])
    mine = make_case(worker, "reported", grid=GRID)
    other = tx.scalar(select(Grid.code).where(Grid.community_code != GRID[:12]).order_by(Grid.code))
    theirs = make_case(tx.scalar(select(User).where(User.username == "admin")), "reported", grid=other)
    tx.commit()
    token, _expires = issue_token(worker, 24)
    grids = client.get("/ogcapi/collections/grids/items?limit=10000", headers=_basic(token)).get_json()
    assert {f["id"] for f in grids["features"]} == {GRID}
    incidents = client.get("/ogcapi/collections/incidents/items?limit=10000", headers=_basic(token)).get_json()
    ids = {f["id"] for f in incidents["features"]}
    assert mine.id in ids and theirs.id not in ids
    assert client.get(f"/ogcapi/collections/incidents/items/{theirs.id}", headers=_basic(token)).status_code == 404
    anonymous = client.get("/ogcapi/collections")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    write = client.post("/api/v1/incidents", json={}, headers=_basic(token))  # Basic is for reading only
    assert write.status_code == 401
