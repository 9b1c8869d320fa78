"""Provisioning of the private cluster: idempotent start, data kept across stop/start."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from gridapp import provision


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_start_is_idempotent_and_keeps_data():
    base = Path(tempfile.mkdtemp(prefix="gridapp-p", dir="/tmp"))
    try:
        url = provision.start(base)
        assert url == provision.start(base)  # already running: same cluster, same URL
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            assert conn.execute("SELECT postgis_version()").fetchone()[0].startswith("3.")
            conn.execute("CREATE TABLE kept (x int)")
            conn.execute("INSERT INTO kept VALUES (42)")
            assert conn.execute("SHOW listen_addresses").fetchone()[0] == ""
        provision.stop(base)
        assert provision.start(base) == url  # restarted: data still there
        with psycopg.connect(_dsn(url)) as conn:
            assert conn.execute("SELECT x FROM kept").fetchone()[0] == 42
    finally:
        provision.stop(base)
        shutil.rmtree(base, ignore_errors=True)


def test_too_long_a_socket_path_is_refused(tmp_path):
    with pytest.raises(provision.ProvisionError, match="too long"):
        provision.start(tmp_path / ("x" * 120))


@pytest.mark.skipif(os.geteuid() != 0, reason="the cluster runs as postgres only when provisioned by root")
def test_a_folder_the_server_cannot_reach_is_refused_with_the_reason():
    closed = Path(tempfile.mkdtemp(prefix="gridapp-closed", dir="/tmp"))  # mode 0700, root's
    try:
        with pytest.raises(provision.ProvisionError, match="cannot reach .*GRIDAPP_PGDIR"):
            provision.start(closed / "pg")
        assert not (closed / "pg" / "data").exists()  # refused before initdb
    finally:
        shutil.rmtree(closed, ignore_errors=True)


def test_production_refuses_a_missing_or_default_secret(app, database_url, monkeypatch):
    from gridapp import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    for key in (None, "change-me", "secret"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app({"GRIDAPP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": database_url,
                        "SECRET_KEY": key})
    # a good key passes this check; the test database holds the demo users (the app fixture loads
    # them, also when this file runs alone), which production also
    # refuses (a start on a database without them: tests/integration/test_audit.py)
    with pytest.raises(RuntimeError, match="demo users present"):
        create_app({"GRIDAPP_CONFIG": "production", "SQLALCHEMY_DATABASE_URI": database_url,
                    "SECRET_KEY": "f" * 16 + "0123456789abcdef" * 2})
