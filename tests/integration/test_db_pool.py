"""Pooled connections are pinged only after being idle (gridapp.extensions.ping_when_idle): a
connection the server dropped is replaced, not handed to a request; a fresh one is not pinged."""
from __future__ import annotations

import time

import psycopg
from sqlalchemy import create_engine, text

from gridapp.extensions import ping_when_idle


def _engine(database_url: str, seconds: float):
    """An engine of one pooled connection with ping_when_idle, and the list its pings append to."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, seconds)
    pings, ping = [], engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted
    return engine, pings


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(database_url: str, pid: int) -> None:
    """Terminate a backend and wait until it is gone (it has then written its FATAL message and
    closed its socket)."""
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):
            if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.05)


def test_an_idle_connection_the_server_dropped_is_replaced(database_url):
    engine, pings = _engine(database_url, 0.0)  # every checkout counts as idle: always pinged
    try:
        first = _pid(engine)
        _terminate(database_url, first)
        second = _pid(engine)  # the ping fails, the pool connects anew: no error reaches the caller
        assert second != first and len(pings) >= 2
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged_unless_the_server_closed_it(database_url):
    engine, pings = _engine(database_url, 3600.0)
    try:
        _pid(engine)
        assert pings == [1]  # a new connection is pinged once
        _pid(engine)
        assert pings == [1]  # returned a moment ago: used without a ping round trip
        first = _pid(engine)
        _terminate(database_url, first)  # as a server restart does: FATAL message, socket closed
        second = _pid(engine)  # the socket shows it: pinged, replaced, no error reaches the caller
        assert second != first and len(pings) == 3
    finally:
        engine.dispose()


def test_an_unreachable_database_answers_503_with_retry_after(tmp_path):
    """Not a 500: the database being away is a condition clients can retry, API and pages alike."""
    from gridapp import create_app

    app = create_app({"GRIDAPP_CONFIG": "test", "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@/gridapp?host={tmp_path}"})
    client = app.test_client()
    resp = client.post("/api/v1/auth/token", json={"username": "worker", "password": "x"})
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    assert resp.get_json()["error"]["code"] == "database_unavailable"
    resp = client.post("/api/v1/incidents", headers={"Authorization": "Bearer x"}, json={
        "category_code": "0102", "description": "测试（虚构）", "lon": 109.07, "lat": 35.07})
    assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "database_unavailable"
    resp = client.post("/login", data={"username": "worker", "password": "x"})
    assert resp.status_code == 503 and "数据库暂时不可用" in resp.text


def test_app_sessions_have_the_configured_session_settings(app, database_url):
    """Every pooled session runs in UTC, without JIT, and with GRIDAPP_DB_PARALLEL_WORKERS parallel
    workers per gather (default 0: config.DB_PARALLEL_WORKERS); an app configured with 2 gets 2."""
    from gridapp import create_app
    from gridapp.extensions import db

    def settings() -> tuple:  # on a connection of the current app's pool (tx binds the session elsewhere)
        with db.engine.connect() as conn:
            return tuple(conn.execute(text(f"SHOW {name}")).scalar_one()
                         for name in ("TimeZone", "jit", "max_parallel_workers_per_gather"))

    assert app.config["DB_PARALLEL_WORKERS"] == 0
    with app.app_context():
        assert settings() == ("UTC", "off", "0")
    other = create_app({"GRIDAPP_CONFIG": "test", "SQLALCHEMY_DATABASE_URI": database_url, "DB_PARALLEL_WORKERS": 2})
    with other.app_context():
        try:
            assert settings() == ("UTC", "off", "2")
        finally:
            db.engine.dispose()
