"""Imports and grid edits are accounted for (issue 18): every run, dry or committed, writes an
audit row (who, when, file name and sha256, counts, outcome); every case, dispute or place moved to
another grid gets a history row "moved" naming the edit or import and both grids; a grid edit can
be previewed — the report lists what it would move and nothing is kept."""
from __future__ import annotations

import hashlib
import io
import json

from caseutil import grid_point
from sqlalchemy import select

from gridapp.incidents.reports import report_incident
from gridapp.models import AuditEntry, Grid, Incident, IncidentEvent, User

COMMUNITY, FIRST, SECOND = "610202002010", "610202002010001", "610202002010002"


def _audit(tx, action):
    return tx.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())).first()


def _incident(tx, grid):
    worker = tx.scalar(select(User).where(User.username == "admin"))
    lon, lat = grid_point(grid)
    return report_incident(worker, "0101", "测试事件（虚构）", lon, lat)


def test_a_grid_edit_previews_what_it_moves_then_records_each_move(client, bearer, tx):
    incident = _incident(tx, FIRST)
    headers = bearer("admin")
    preview = client.post(f"/api/v1/grids/{FIRST}/split", json={"dry_run": True}, headers=headers).get_json()
    assert preview["committed"] is False
    moved = [m for m in preview["moved"] if m["table"] == "incidents" and m["id"] == incident.id]
    assert moved and moved[0]["from_grid"] == FIRST and moved[0]["to_grid"] in preview["issued"]
    tx.expire_all()
    assert tx.get(Grid, FIRST) is not None and tx.get(Incident, incident.id).grid_code == FIRST  # nothing kept
    assert _audit(tx, "grid_edit").detail["preview"] is True
    done = client.post(f"/api/v1/grids/{FIRST}/split", json={}, headers=headers).get_json()
    assert done["committed"] is True
    tx.expire_all()
    new_grid = tx.get(Incident, incident.id).grid_code
    event = tx.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id,
                                                   IncidentEvent.action == "moved")).one()
    assert event.data == {"from_grid": FIRST, "to_grid": new_grid, "cause": {"grid_edit": done["edit_id"]}}
    assert event.note == f"网格编辑 #{done['edit_id']}：{FIRST} → {new_grid}"
    assert event.from_state == event.to_state == "reported"
    entry = _audit(tx, "grid_edit")
    assert entry.entity_id == done["edit_id"] and entry.detail["moved"] == len(done["moved"]) >= 1
    history = client.get(f"/api/v1/incidents/{incident.id}", headers=headers).get_json()["history"]
    assert [h["action"] for h in history] == ["report", "moved"]


def test_every_import_run_is_audited_and_a_reimport_records_its_moves(client, bearer, tx, login):
    incident = _incident(tx, FIRST)
    headers = bearer("admin")
    fc = json.loads(client.get(f"/api/v1/export?level=grid&code={COMMUNITY}&format=geojson", headers=headers).data)
    for feature in fc["features"]:  # the same outlines with the first two codes swapped
        code = feature["properties"]["code"]
        feature["properties"]["code"] = {FIRST: SECOND, SECOND: FIRST}.get(code, code)
    payload = json.dumps(fc).encode()

    def run(mode):
        form = {"level": "grid", "parent_code": COMMUNITY, "mode": mode,
                "file": (io.BytesIO(payload), "网格.geojson")}
        return client.post("/api/v1/imports", data=form, headers=headers, content_type="multipart/form-data")

    dry = run("dry_run").get_json()
    assert not dry["refused"], dry["refused"][:3]
    entry = _audit(tx, "import")
    assert entry.id == dry["import_id"] and entry.detail["outcome"] == "dry_run"
    assert entry.detail["file"] == "网格.geojson"
    assert entry.detail["sha256"] == hashlib.sha256(payload).hexdigest() and entry.detail["moved"] == dry["moved"] >= 1
    tx.expire_all()
    assert tx.get(Incident, incident.id).grid_code == FIRST
    done = run("commit").get_json()
    assert done["committed"] is True and done["moved"] >= 1
    tx.expire_all()
    assert tx.get(Incident, incident.id).grid_code == SECOND
    event = tx.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident.id,
                                                   IncidentEvent.action == "moved")).one()
    assert event.data["cause"] == {"import": done["import_id"]} and event.data["from_grid"] == FIRST
    assert _audit(tx, "import").detail["outcome"] == "committed"
    refused = client.post("/api/v1/imports", headers=headers, content_type="multipart/form-data", data={
        "level": "grid", "parent_code": COMMUNITY, "mode": "commit", "file": (io.BytesIO(b"{}"), "bad.geojson")})
    assert refused.status_code == 422 and _audit(tx, "import").detail["outcome"] == "unreadable"
    login("admin")
    page = client.get("/admin/imports").text
    assert 'id="import-runs"' in page and "网格.geojson" in page and "committed" in page and "unreadable" in page
