"""Idempotent creation (issue 19): with an ``Idempotency-Key`` a retried create request returns the
first answer and creates nothing; a key reused with another body is refused naming the header; a
refused request leaves no key; the key is committed in the same transaction as the record."""
from __future__ import annotations

import io
import threading
import uuid
from datetime import timedelta

import placeutil as pu
import pytest
from caseutil import COMMUNITY, GRID, PERSON, grid_point, jpeg_bytes
from sqlalchemy import delete, func, select, text

from gridapp.core import idempotency
from gridapp.extensions import db
from gridapp.models import (
    Dispute,
    IdempotencyKey,
    Incident,
    IncidentEvent,
    Inspection,
    PhotoUpload,
    Place,
    User,
)


def _key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _count(tx, model, *where) -> int:
    return tx.scalar(select(func.count()).select_from(model).where(*where))


def test_incident_retry_returns_the_first_answer_and_creates_one_case(client, tx, bearer):
    headers = {**bearer("worker"), **_key()}
    lon, lat = grid_point(GRID)
    body = {"category_code": "0102", "description": "幂等测试：重复发送（虚构）", "lon": lon, "lat": lat}
    first = client.post("/api/v1/incidents", json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    again = client.post("/api/v1/incidents", json=dict(reversed(body.items())), headers=headers)  # key order differs
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert _count(tx, Incident, Incident.description == body["description"]) == 1
    # the same key with another body is refused, naming the header; nothing is created
    other = client.post("/api/v1/incidents", json={**body, "description": "另一件事（虚构）"}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert other.get_json()["error"]["field"] == "Idempotency-Key"
    assert _count(tx, Incident, Incident.description == "另一件事（虚构）") == 0
    # without a key, the same body creates a second case (as before)
    plain = client.post("/api/v1/incidents", json=body, headers=bearer("worker"))
    assert plain.status_code == 201 and plain.get_json()["id"] != first.get_json()["id"]


def test_keys_are_per_user(client, tx, bearer, make_user):
    key = _key()
    lon, lat = grid_point(GRID)
    body = {"category_code": "0102", "description": "幂等测试：两个用户同一个键（虚构）", "lon": lon, "lat": lat}
    other_worker = make_user("worker", grids=[GRID])
    a = client.post("/api/v1/incidents", json=body, headers={**bearer("worker"), **key})
    b = client.post("/api/v1/incidents", json=body, headers={**bearer(other_worker.username), **key})
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]
    assert _count(tx, Incident, Incident.description == body["description"]) == 2


def test_a_refused_request_leaves_no_key(client, tx, bearer):
    headers = {**bearer("worker"), **_key()}
    lon, lat = grid_point(GRID)
    body = {"category_code": "9999", "description": "幂等测试：先错后对（虚构）", "lon": lon, "lat": lat}
    refused = client.post("/api/v1/incidents", json=body, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_category"
    assert _count(tx, IdempotencyKey, IdempotencyKey.key == headers["Idempotency-Key"]) == 0
    fixed = client.post("/api/v1/incidents", json={**body, "category_code": "0102"}, headers=headers)
    assert fixed.status_code == 201, fixed.get_json()
    assert _count(tx, IdempotencyKey, IdempotencyKey.key == headers["Idempotency-Key"]) == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "键"])
def test_a_malformed_key_is_refused_naming_the_header(client, tx, bearer, key):
    lon, lat = grid_point(GRID)
    resp = client.post("/api/v1/incidents", headers={**bearer("worker"), "Idempotency-Key": key},
                       json={"category_code": "0102", "description": "幂等测试：坏键（虚构）", "lon": lon, "lat": lat})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == {**resp.get_json()["error"], "code": "invalid_idempotency_key",
                                        "field": "Idempotency-Key"}


def test_a_key_without_a_token_is_401(client, tx):
    resp = client.post("/api/v1/incidents", json={}, headers=_key())
    assert resp.status_code == 401


def test_photo_upload_retry_and_reuse(client, tx, bearer):
    headers = {**bearer("worker"), **_key()}

    def upload(data):
        return client.post("/api/v1/photos", data={"file": (io.BytesIO(data), "p.jpg")}, headers=headers,
                           content_type="multipart/form-data")

    data = jpeg_bytes((80, 60), color="purple")
    first, again = upload(data), upload(data)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() and again.headers["Idempotent-Replayed"] == "true"
    other = upload(jpeg_bytes((80, 60), color="orange"))
    assert other.status_code == 422 and other.get_json()["error"]["field"] == "Idempotency-Key"
    sha = first.get_json()["ref"][6:]
    assert _count(tx, PhotoUpload, PhotoUpload.sha256 == sha) == 1


def test_dispute_registration_retry_creates_one_dispute(client, tx, bearer, make_user):
    secretary = make_user("secretary", COMMUNITY)
    headers = {**bearer(secretary.username), **_key()}
    lon, lat = grid_point(GRID)
    body = {"type_code": "01", "summary": "幂等测试纠纷（虚构）", "lon": lon, "lat": lat, "source": "walk_in",
            "parties": [PERSON], "risk_level": "major", "escalation_risk": True}
    first = client.post("/api/v1/disputes", json=body, headers=headers)
    again = client.post("/api/v1/disputes", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _count(tx, Dispute, Dispute.summary == body["summary"]) == 1


def test_inspection_retry_creates_one_inspection(client, tx, bearer, make_user):
    worker = make_user("worker", grids=[pu.G1])
    place = pu.make_place(worker, pu.G1, "幂等测试煤场（虚构）")
    tx.commit()
    headers = {**bearer(worker.username), **_key()}
    body = {"kind": "planned", "members": ["张某"],
            "visits": [{"place_id": place.id, "findings": None,
                        "checklist": dict.fromkeys(db.session.get(Place, place.id).place_type.checklist, "pass")}]}
    first = client.post("/api/v1/inspections", json=body, headers=headers)
    again = client.post("/api/v1/inspections", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.get_json() == first.get_json()
    assert _count(tx, Inspection, Inspection.created_by == worker.id) == 1


def test_the_key_commits_with_the_record_or_not_at_all(tx):
    """An action whose own commit is followed by an error leaves neither its record nor the key:
    the action's commit is held until the answer is stored."""
    worker = tx.scalar(select(User).where(User.username == "worker"))
    lon, lat = grid_point(GRID)

    def action():
        incident = Incident(category_code="0102", description="幂等测试：提交后出错（虚构）", reporter_id=worker.id,
                            geom=f"SRID=4326;POINT({lon} {lat})", grid_code=GRID, community_code=COMMUNITY,
                            district_code="610202", status="reported", version=1)
        db.session.add(incident)
        db.session.commit()
        raise RuntimeError("the answer was never produced")

    with pytest.raises(RuntimeError):
        idempotency.run_once(worker.id, "atomic-1", "POST /test", "f" * 64, action)
    assert _count(tx, Incident, Incident.description == "幂等测试：提交后出错（虚构）") == 0
    assert _count(tx, IdempotencyKey, IdempotencyKey.key == "atomic-1") == 0


def test_concurrent_retries_with_one_key_create_one_case(app):
    """Two requests with the same key at once (a retry sent while the first still runs), on real
    committed transactions: one case; both answers carry its id."""
    client = app.test_client()
    with app.app_context():
        token = client.post("/api/v1/auth/token", json={"username": "worker", "password": "test-password-1"})
        headers = {"Authorization": f"Bearer {token.get_json()['token']}", **_key()}
        lon, lat = grid_point(GRID)
        db.session.remove()
    body = {"category_code": "0102", "description": "幂等测试：并发重试（虚构）", "lon": lon, "lat": lat}
    barrier, answers = threading.Barrier(2), [None, None]

    def run(i):
        barrier.wait()
        resp = app.test_client().post("/api/v1/incidents", json=body, headers=headers)
        answers[i] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert [a[0] for a in answers] == [201, 201], answers
        assert answers[0][1]["id"] == answers[1][1]["id"]
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Incident)
                                     .where(Incident.description == body["description"])) == 1
    finally:
        with app.app_context():
            ids = db.session.scalars(select(Incident.id).where(Incident.description == body["description"])).all()
            db.session.execute(text("SET LOCAL gridapp.purge_history = 'on'"))
            db.session.execute(delete(IncidentEvent).where(IncidentEvent.incident_id.in_(ids)))
            db.session.execute(delete(Incident).where(Incident.id.in_(ids)))
            db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.key == headers["Idempotency-Key"]))
            db.session.commit()


def test_keys_older_than_the_retention_are_forgotten(tx):
    worker = tx.scalar(select(User).where(User.username == "worker"))
    old = IdempotencyKey(user_id=worker.id, key="old-key", endpoint="POST /test", fingerprint="a" * 64,
                         status=201, response={"id": 1}, created_at=idempotency.utcnow() - idempotency.KEEP
                         - timedelta(minutes=1))
    recent = IdempotencyKey(user_id=worker.id, key="recent-key", endpoint="POST /test", fingerprint="a" * 64,
                            status=201, response={"id": 2}, created_at=idempotency.utcnow() - timedelta(days=1))
    tx.add_all([old, recent])
    tx.commit()
    body, status, replayed = idempotency.run_once(worker.id, "new-key", "POST /test", "b" * 64,
                                                  lambda: ({"id": 3}, 201))
    assert (body, status, replayed) == ({"id": 3}, 201, False)
    keys = set(tx.scalars(select(IdempotencyKey.key).where(IdempotencyKey.user_id == worker.id)))
    assert {"recent-key", "new-key"} <= keys and "old-key" not in keys
    again = idempotency.run_once(worker.id, "recent-key", "POST /test", "a" * 64, lambda: ({}, 201))
    assert again == ({"id": 2}, 201, True)
