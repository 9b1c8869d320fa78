"""A third-party Open311 client (PyPI ``georeport``, configured, not patched) reads our endpoint over
HTTP: the services, a service definition, the request a client system posted (form-encoded, as
GeoReport v2 says) and the list of requests. ``georeport`` sends no api_key with its GETs; the key
comes from a .netrc file (its HTTP library's standard configuration) as HTTP Basic."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request
from urllib.parse import urlsplit

from conftest import api_token
from georeport import GeoReport
from shapely.geometry import shape

USED_BY_TESTS = {"0101", "0102", "0103", "0115", "0505", "0599"}


def _inside_hongqi(live_server: str, key: str) -> tuple[float, float]:
    """A point inside 红旗社区's last grid (the demo secretary's community; not the worker's grid,
    which the integration tests, run later on the same database, count cases in)."""
    request = urllib.request.Request(f"{live_server}/api/v1/grids?community_code=610202002010",
                                     headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request) as resp:
        point = shape(json.load(resp)["features"][-1]["geometry"]).representative_point()
    return point.x, point.y


def _post(live_server: str, form: dict) -> list:
    request = urllib.request.Request(f"{live_server}/open311/v2/requests.json", method="POST",
                                     data=urllib.parse.urlencode(form).encode())
    with urllib.request.urlopen(request) as resp:
        assert resp.status == 201
        return json.load(resp)


def test_georeport_lists_services_and_reads_back_a_posted_request(live_server, tmp_path, monkeypatch):
    key = api_token(live_server, "hongqi")
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {urlsplit(live_server).hostname} login gridapp password {key}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client = GeoReport(f"{live_server}/open311/v2")
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "0101" in codes
    # a category no other test reports in: the request stays (committed) and must not be anyone's
    # possible duplicate
    service_code = next(c for c in reversed(codes) if c not in USED_BY_TESTS)
    assert client.get_service_definition("0101")["service_code"] == "0101"
    lon, lat = _inside_hongqi(live_server, key)
    posted = _post(live_server, {"api_key": key, "service_code": service_code, "lat": lat, "long": lon,
                                 "description": "井盖缺失（虚构，Open311 客户端测试）"})
    request_id = posted[0]["service_request_id"]
    read = client.get_service_request(request_id)
    assert read["service_request_id"] == request_id and read["status"] == "open"
    assert request_id in {r["service_request_id"] for r in client.get_service_requests(status="open")}
    xml_client = GeoReport(f"{live_server}/open311/v2", output_format="xml")
    assert xml_client.get_service_request(request_id)["service_code"] == service_code
