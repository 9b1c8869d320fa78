"""Pooled connections are pinged only after being idle (gridapp.extensions.ping_when_idle): a
connection the server dropped is replaced, not handed to a request; a fresh one is not pinged."""
from __future__ import annotations

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
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_the_server_dropped_is_replaced(database_url):
    engine, pings = _engine(database_url, 0.0)  # every checkout counts as idle: always pinged
    try:
        first = _pid(engine)
        _terminate(database_url, first)
        second = _pid(engine)  # the ping fails, the pool connects anew: no error reaches the caller
        assert second != first and len(pings) >= 2
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(database_url):
    engine, pings = _engine(database_url, 3600.0)
    try:
        _pid(engine)
        assert pings == [1]  # a new connection is pinged once
        _pid(engine)
        assert pings == [1]  # returned a moment ago: used without a ping round trip
        first = _pid(engine)
        _terminate(database_url, first)
        try:  # not pinged: the dropped connection fails the next use, and the pool is recycled
            _pid(engine)
        except Exception:  # noqa: BLE001 — the driver's error, whatever its class
            pass
        assert _pid(engine) != first
    finally:
        engine.dispose()
