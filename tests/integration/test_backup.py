"""Backup and restore round-trip the demo district (pg_dump / pg_restore)."""
from __future__ import annotations

import os

import psycopg
import pytest
from sqlalchemy.engine import make_url

from gridapp.backup import BackupError, backup, libpq_uri, restore

COUNTS = ("SELECT (SELECT count(*) FROM admin_areas), (SELECT count(*) FROM grids), "
          "(SELECT count(*) FROM users), (SELECT md5(string_agg(code || ST_AsEWKB(geom)::text, ',' ORDER BY code)) "
          "FROM grids)")


@pytest.fixture
def scratch_url(database_url):
    url = make_url(database_url)
    name = f"gridapp_restore_{os.getpid()}"
    admin = libpq_uri(url.set(database="postgres").render_as_string(hide_password=False))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_restore_round_trip(app, database_url, scratch_url, tmp_path):
    dump = backup(database_url, tmp_path / "gridapp.dump")
    assert dump.stat().st_size > 10_000
    restore(scratch_url, dump)
    with psycopg.connect(libpq_uri(database_url)) as a, psycopg.connect(libpq_uri(scratch_url)) as b:
        original, restored = a.execute(COUNTS).fetchone(), b.execute(COUNTS).fetchone()
    assert restored == original and restored[1] == 261
    restore(scratch_url, dump)  # restoring again over existing data replaces it
    with psycopg.connect(libpq_uri(scratch_url)) as b:
        assert b.execute(COUNTS).fetchone() == original


def test_a_bad_backup_file_changes_nothing(database_url, scratch_url, tmp_path):
    dump = backup(database_url, tmp_path / "gridapp.dump")
    restore(scratch_url, dump)
    broken = tmp_path / "broken.dump"
    broken.write_bytes(dump.read_bytes()[: len(dump.read_bytes()) // 2])
    with pytest.raises(BackupError):
        restore(scratch_url, broken)
    with psycopg.connect(libpq_uri(scratch_url)) as b:
        assert b.execute("SELECT count(*) FROM grids").fetchone()[0] == 261


def test_cli_backup_and_restore(app, tmp_path):
    runner = app.test_cli_runner()
    path = tmp_path / "cli.dump"
    result = runner.invoke(args=["gridapp", "backup", str(path)])
    assert result.exit_code == 0 and path.stat().st_size > 10_000, result.output
    result = runner.invoke(args=["gridapp", "restore", str(tmp_path / "missing.dump"), "--yes"])
    assert result.exit_code != 0 and "does not exist" in result.output
