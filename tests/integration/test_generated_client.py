"""The contract is usable, not only valid: openapi-python-client generates a typed client from
``/api/v1/openapi.json`` into a temporary folder, and that client — its models and its functions,
nothing written by hand — drives the closed loop of a case: report → accept → file → dispatch →
start → handle → verify. Its HTTP goes to the test client (inside the rolled-back transaction)."""
from __future__ import annotations

import importlib
import json
import subprocess
import sys

import httpx
import pytest
from caseutil import grid_point

PACKAGE = "gridapp_contract_client"


class FlaskTransport(httpx.BaseTransport):
    """httpx requests answered by a Flask test client (so the app runs in the test's transaction)."""

    def __init__(self, client):
        self.client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        resp = self.client.open(request.url.raw_path.decode("ascii"), method=request.method,
                                headers=dict(request.headers), data=request.read())
        return httpx.Response(resp.status_code, headers=list(resp.headers.items()), content=resp.get_data())


@pytest.fixture
def generated(client, tmp_path):
    doc = tmp_path / "openapi.json"
    doc.write_text(json.dumps(client.get("/api/v1/openapi.json").get_json(), ensure_ascii=False), "utf-8")
    config = tmp_path / "config.yaml"
    config.write_text("literal_enums: true\npost_hooks: []\npackage_name_override: " + PACKAGE + "\n", "utf-8")
    out = tmp_path / PACKAGE
    run = subprocess.run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(doc),
                          "--output-path", str(out), "--meta", "none", "--config", str(config)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield lambda name: importlib.import_module(f"{PACKAGE}.{name}")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_generated_client_drives_the_closed_loop(generated, client, tx):
    models, client_mod = generated("models"), generated("client")
    create_token = generated("api.auth.create_token")
    create_incident, get_incident = generated("api.incidents.create_incident"), generated("api.incidents.get_incident")
    incident_action = generated("api.incidents.incident_action")

    def session(username: str):
        anonymous = client_mod.Client(base_url="http://localhost").set_httpx_client(
            httpx.Client(base_url="http://localhost", transport=FlaskTransport(client)))
        token = create_token.sync(client=anonymous, body=models.TokenRequest(username=username,
                                                                            password="test-password-1"))
        assert isinstance(token, models.Token), token
        return client_mod.AuthenticatedClient(base_url="http://localhost", token=token.token).set_httpx_client(
            httpx.Client(base_url="http://localhost", transport=FlaskTransport(client),
                         headers={"Authorization": f"Bearer {token.token}"}))

    worker, secretary, department = session("worker"), session("hongqi"), session("chuzhi")
    lon, lat = grid_point()
    created = create_incident.sync(client=worker, body=models.IncidentReport(
        category_code="0102", description="井盖缺失（生成的客户端，虚构）", lon=lon, lat=lat))
    assert isinstance(created, models.IncidentCreated), created
    case_id = created.id

    def act(who, action: str, **params):
        seen = get_incident.sync(case_id, client=who)
        assert isinstance(seen, models.Case), seen
        answer = incident_action.sync(case_id, action, client=who,
                                      body=models.CaseActionBody(version=seen.version, **params))
        assert isinstance(answer, models.Case), answer
        return answer

    assert act(secretary, "accept").state == "accepted"
    filed = act(secretary, "file")
    assert filed.state == "filed" and filed.deadline_at is not None
    assert act(secretary, "dispatch", department_code="DEMO-SZ").state == "dispatched"
    act(department, "start")
    assert act(department, "handle", note="已补装井盖").state == "handled"
    closed = act(worker, "verify", passed=True)
    assert closed.state == "closed"
    assert [h.action for h in closed.history] == ["report", "accept", "file", "dispatch", "start", "handle", "verify"]
    stale = incident_action.sync_detailed(case_id, "accept", client=secretary, body=models.CaseActionBody(version=1))
    assert stale.status_code == 409 and isinstance(stale.parsed, models.ErrorBody)
    assert stale.parsed.error.code in ("stale_version", "invalid_state")
