"""Open311 GeoReport v2 at /open311/v2 (issue 21): every JSON response validates against the
open311 schema-validation repository's JSON Schemas (tests/data/open311, commit 47e06a4); XML uses
the specification's element names; a client system with an API key posts a request, reads it
back, lists and filters requests and updates — scoped like its user; errors are the spec's list."""
from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from caseutil import GRID, OTHER_COMMUNITY, grid_point, make_case
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy import select

from gridapp.accounts.service import issue_token
from gridapp.models import Grid, Incident, User

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "open311"
REGISTRY = Registry().with_resources(
    (path.name, Resource.from_contents(json.loads(path.read_text("utf-8")), default_specification=DRAFT4))
    for path in SCHEMAS.glob("*.json"))


def _valid(document, schema: str) -> None:
    validator = Draft4Validator(json.loads((SCHEMAS / schema).read_text("utf-8")), registry=REGISTRY)
    errors = [e.message for e in validator.iter_errors(document)]
    assert not errors, errors[:3]


@pytest.fixture
def key(make_user, tx):
    worker = make_user("worker", grids=[GRID])
    tx.commit()
    return issue_token(worker, 24)[0], worker


def test_discovery_services_and_definitions(client):
    assert client.get("/open311/v2/discovery.json").get_json()["endpoints"][0]["formats"]
    services = client.get("/open311/v2/services.json").get_json()
    _valid(services, "services.json")
    by_code = {s["service_code"]: s for s in services}
    assert by_code["0101"]["group"] and by_code["0101"]["metadata"] is False
    definition = client.get("/open311/v2/services/0101.json").get_json()
    _valid(definition, "service-definition.json")
    xml = ElementTree.fromstring(client.get("/open311/v2/services.xml").data)
    assert xml.tag == "services" and xml[0].tag == "service" and xml[0].find("service_code") is not None
    missing = client.get("/open311/v2/services/9999.json")
    assert missing.status_code == 404 and missing.get_json()[0]["code"] == 404


def test_a_client_posts_reads_lists_and_follows_a_request(client, tx, key):
    token, worker = key
    lon, lat = grid_point(GRID)
    posted = client.post("/open311/v2/requests.json", data={"api_key": token, "service_code": "0102", "lat": lat,
                                                            "long": lon, "description": "井盖缺失（虚构，Open311）"})
    assert posted.status_code == 201, posted.get_json()
    request_id = posted.get_json()[0]["service_request_id"]
    assert tx.get(Incident, int(request_id)).grid_code == GRID
    one = client.get(f"/open311/v2/requests/{request_id}.json?api_key={token}").get_json()
    _valid(one, "requests.json")
    assert one[0]["status"] == "open" and one[0]["address_id"] == GRID and one[0]["lat"] == pytest.approx(lat)
    listing = client.get(f"/open311/v2/requests.json?api_key={token}&status=open&service_code=0102").get_json()
    _valid(listing, "requests.json")
    assert request_id in {r["service_request_id"] for r in listing}
    assert client.get(f"/open311/v2/tokens/{request_id}.json?api_key={token}").get_json()[0]["token"] == request_id
    xml = ElementTree.fromstring(client.get(f"/open311/v2/requests/{request_id}.xml?api_key={token}").data)
    assert xml.tag == "service_requests" and xml[0].tag == "request" and xml[0].findtext("status") == "open"
    updates = client.get(f"/open311/v2/servicerequestupdates.json?api_key={token}").get_json()
    assert any(u["service_request_id"] == request_id for u in updates)


def test_scope_and_errors(client, tx, key):
    token, _worker = key  # a grid worker of GRID: sees the cases of that grid and their own reports
    other_grid = tx.scalar(select(Grid.code).where(Grid.community_code == OTHER_COMMUNITY).order_by(Grid.code))
    theirs = make_case(tx.scalar(select(User).where(User.username == "admin")), "reported", grid=other_grid)
    tx.commit()
    outside = client.get(f"/open311/v2/requests/{theirs.id}.json?api_key={token}")
    absent = client.get(f"/open311/v2/requests/999999999.json?api_key={token}")
    assert outside.status_code == absent.status_code == 404
    listed = {r["service_request_id"] for r in client.get(f"/open311/v2/requests.json?api_key={token}").get_json()}
    assert str(theirs.id) not in listed
    no_key = client.get("/open311/v2/requests.json")
    assert no_key.status_code == 401 and no_key.get_json()[0]["code"] == 401
    lon, lat = grid_point(other_grid)
    refused = client.post("/open311/v2/requests.xml", data={"api_key": token, "service_code": "0102", "lat": lat,
                                                            "long": lon, "description": "范围外（虚构）"})
    errors = ElementTree.fromstring(refused.data)
    assert refused.status_code == 403 and errors.tag == "errors" and errors[0].findtext("code") == "403"
    bad = client.get(f"/open311/v2/requests.json?api_key={token}&start_date=0001-01-01T00:00:00Z")
    assert bad.status_code == 400 and "start_date" in bad.get_json()[0]["description"]
