"""A crash in the middle of an import leaves nothing half-written: ``flask gridapp import ...
--mode commit`` runs in a subprocess, is caught *inside* its transaction — its INSERT of the
incidents done, the statement's foreign-key check waiting on a row lock the test holds — and
killed with SIGKILL; afterwards the database holds none of its rows."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[3]
CSV = ROOT / "tests/data/imports/incidents_gbk.csv"


def _wait(conn, sql: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(sql).fetchone()
        if row:
            return row
        time.sleep(0.1)
    return None


def test_sigkill_during_import_leaves_nothing(app, database_url):
    plain = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as watch, psycopg.connect(plain) as locker:
        before = watch.execute("SELECT count(*), coalesce(max(id), 0) FROM incidents").fetchone()
        # the import's INSERT checks its reporter (the admin) FOR KEY SHARE: make that wait
        locker.execute("SELECT id FROM users WHERE username = 'admin' FOR UPDATE")
        env = dict(os.environ, DATABASE_URL=database_url, GRIDAPP_CONFIG="test")
        proc = subprocess.Popen([str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "gridapp", "import",
                                 str(CSV), "--level", "incident", "--mode", "commit"],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            caught = _wait(watch, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                  "AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL "
                                  "AND query ILIKE '%INSERT INTO incidents%'")
            assert caught, "the import never reached its INSERT: " + (proc.poll() is not None and
                                                                      proc.stdout.read().decode() or "")
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(30) == -signal.SIGKILL
        finally:
            if proc.poll() is None:
                proc.kill()
            locker.rollback()
        # the server ends the orphaned backend (its client is gone) and rolls its transaction back
        assert _wait(watch, f"SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = {caught[0]})")
        after = watch.execute("SELECT count(*), coalesce(max(id), 0) FROM incidents").fetchone()
        assert after[0] == before[0]
        assert watch.execute("SELECT count(*) FROM incidents WHERE description LIKE '测试事件%'").fetchone()[0] == 0
        # the same file is a valid import: run to the end it would create its two incidents
        done = subprocess.run([str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "gridapp", "import",
                               str(CSV), "--level", "incident", "--mode", "dry_run"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"created":2' in done.stdout.replace(" ", "")
