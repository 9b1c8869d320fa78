"""The security audit log: logins, failures, lockouts, unlocks, logouts, token revocation, exports
and full personal-data views are recorded, readable by admins (page and API), append-only in the
database for everyone; production refuses to start with demo users."""
from __future__ import annotations

import secrets

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from gridapp import create_app
from gridapp.accounts import service as accounts
from gridapp.extensions import limiter
from gridapp.models import AuditEntry, PiiView

HOSTILE = "<script>x</script>${1}`\\"


def _log(client, bearer, **query) -> list[dict]:
    resp = client.get("/api/v1/audit-log", headers=bearer("admin"), query_string={"per_page": 100, **query})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_logins_failures_lockout_and_unlock_are_logged(client, tx, login, make_user, bearer, csrf_of):
    user = make_user("secretary", "610202002010")
    for _ in range(5):
        assert login(user.username, "wrong-password-9").status_code == 401
    assert login(user.username).status_code == 429            # throttled here, even with the right password
    limiter.reset()                                            # (the next minute)
    accounts.unlock(user.username)
    assert login(user.username).status_code == 302
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 302
    actions = [e["action"] for e in reversed(_log(client, bearer, username=user.username))]
    assert actions == ["login_failed"] * 5 + ["login", "logout"], actions
    throttled = _log(client, bearer, action="login_throttled")[0]
    assert throttled["detail"]["username"] == user.username and throttled["detail"]["address"] == "127.0.0.1"
    unlock = _log(client, bearer, action="unlock")[0]      # by an admin at the command line: no user
    assert unlock["user"] is None and unlock["entity_id"] == user.id
    failed = _log(client, bearer, username=user.username, action="login_failed")[0]
    assert failed["detail"] == {"username": user.username, "reason": "bad_password", "channel": "web",
                                "address": "127.0.0.1"}


def test_unknown_user_and_api_logins_are_logged(client, tx, bearer):
    assert client.post("/api/v1/auth/token", json={"username": HOSTILE, "password": "x"}).status_code == 401
    entry = _log(client, bearer, action="login_failed")[0]
    assert entry["user"] is None and entry["detail"]["username"] == HOSTILE
    assert entry["detail"]["reason"] == "unknown_user"
    headers = bearer("worker")
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    worker_log = _log(client, bearer, username="worker")
    assert [e["action"] for e in worker_log[:2]] == ["token_revoke", "login"]
    assert worker_log[1]["detail"]["channel"] == "api"


def test_exports_and_full_views_are_logged(client, tx, bearer, login):
    assert client.get("/api/v1/export?level=grid&code=610202002010&format=csv",
                      headers=bearer("district")).status_code == 200
    entry = _log(client, bearer, action="export", username="district")[0]
    assert entry["entity"] == "boundaries" and entry["detail"]["format"] == "csv"
    assert entry["detail"]["count"] > 0
    views = tx.scalar(select(func.count()).select_from(PiiView))
    login("hongqi")
    assert client.get("/org/community/610202002010/export.xlsx?full=1").status_code == 200
    tx.expire_all()
    added = tx.scalar(select(func.count()).select_from(PiiView)) - views
    assert added > 0
    resp = client.get("/api/v1/audit-log", headers=bearer("admin"),
                      query_string={"username": "hongqi", "action": "pii_view", "per_page": 1})
    assert resp.get_json()["total"] == added
    assert resp.get_json()["items"][0]["detail"]["channel"] == "export"
    export = _log(client, bearer, username="hongqi", action="export")[0]
    assert export["entity"] == "roster" and export["detail"] == {"full": True}


def test_admin_page_shows_the_log_literally(client, tx, login):
    client.post("/api/v1/auth/token", json={"username": HOSTILE, "password": "x"})
    login("admin")
    page = client.get("/admin/audit?action=login_failed")
    assert page.status_code == 200
    assert "<script>x</script>" not in page.text
    assert "\\u003cscript\\u003ex\\u003c/script\\u003e" in page.text or "&lt;script&gt;" in page.text
    login("district")
    assert client.get("/admin/audit").status_code == 403


@pytest.mark.parametrize("table", ["audit_entries", "pii_views"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET entity = 'x'", "DELETE FROM {t}", "TRUNCATE {t} CASCADE"])
def test_logs_are_append_only(tx, table, statement):
    admin_id = tx.scalar(text("SELECT id FROM users WHERE username = 'admin'"))
    tx.add(AuditEntry(user_id=admin_id, action="login", entity="user", entity_id=admin_id, detail={}))
    tx.add(PiiView(user_id=admin_id, entity="member", entity_id=1, field="phone", channel="screen"))
    tx.commit()
    with pytest.raises(DBAPIError, match="append-only"), tx.begin_nested():
        tx.execute(text(statement.format(t=table)))


def test_production_refuses_demo_users(app, database_url, fresh_database):
    key = secrets.token_hex(32)
    with pytest.raises(RuntimeError, match="demo users present"):
        create_app({"GRIDAPP_CONFIG": "production", "SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": database_url})
    # a database without them (here: not migrated yet, as before the first `flask db upgrade`) starts
    empty, server = fresh_database(database_url, f"{make_url(database_url).database}_empty")
    try:
        prod = create_app({"GRIDAPP_CONFIG": "production", "SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": empty})
        assert prod.config["SESSION_COOKIE_SECURE"] is True and prod.config["DEMO_USERS"] is False
        with prod.app_context():
            from gridapp.extensions import db

            db.engine.dispose()
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{make_url(empty).database}" WITH (FORCE)')


def test_the_log_refuses_out_of_range_paging_and_times_naming_the_parameter(client, bearer):
    """Issue 17: no silent clamp — page, per_page and since outside their limits are 400 with the field."""
    headers = bearer("admin")
    for query, field in (("per_page=101", "per_page"), ("page=0", "page"), ("since=0001-01-01", "since"),
                         ("since=yesterday", "since"), ("page=99999999999", "page")):
        resp = client.get(f"/api/v1/audit-log?{query}", headers=headers)
        assert resp.status_code == 400 and resp.get_json()["error"]["field"] == field, (query, resp.get_json())
    assert client.get("/api/v1/audit-log?since=2026-01-01&per_page=100", headers=headers).status_code == 200
