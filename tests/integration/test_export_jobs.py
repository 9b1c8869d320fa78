"""Exports of large lists as jobs (issue 23), against the test PostGIS with committed data (the job
reads on connections of its own): a forced job (``?job=1``) writes the same file as the streamed
export in every format; progress is visible through the JSON the page polls; a cancelled job
leaves no file; a job and its file are its owner's alone and expire; the threshold decides
between streaming and a job. Data: 1,500 cases imported with a text of their own, deleted
afterwards."""
from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from caseutil import COMMUNITY, GRID, OTHER_COMMUNITY, grid_point
from flask.testing import FlaskClient
from jobutil import finish_jobs, run_in_thread
from openpyxl import load_workbook
from sqlalchemy import delete, func, select, update

from gridapp.boundaries import imports
from gridapp.core.clock import utcnow
from gridapp.core.exportfiles import FORMATS
from gridapp.exports import jobs as export_jobs
from gridapp.exports import rules
from gridapp.extensions import db
from gridapp.jobs import longjob, runner
from gridapp.models import Incident, LongJob, PiiView, User

LABEL = "导出作业测试（虚构）"
PASSWORD = "test-password-1"  # the demo users' in tests (tests/conftest.py)
QUERY = f"community={COMMUNITY}&category=01"  # the case board's filters: a community, a category group


def _csv(rows: int, lon: float, lat: float) -> bytes:
    lines = ["lon,lat,description"] + [f"{lon + (i % 50) * 1e-6:.7f},{lat:.7f},{LABEL}{i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def labelled(app):
    """1,200 cases of category 0102 in the worker's grid (in QUERY) and 300 of 0201 in another
    community (not in QUERY), committed; deleted afterwards."""
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        for grid, category, rows in ((GRID, "0102", 1200), (OTHER_COMMUNITY + "001", "0201", 300)):
            options = imports.parse_options({"level": "incident", "mode": "commit", "category_code": category},
                                            app.config["IMPORT_EXTENT"])
            assert imports.import_file(admin, _csv(rows, *grid_point(grid)), "t.csv", options)["created"] == rows
    yield
    with app.app_context():
        db.session.execute(delete(Incident).where(Incident.description.like(LABEL + "%")))
        db.session.commit()


@pytest.fixture
def login_as(app, csrf_of):
    """``login_as(username)``: a plain test client (each request in an app context of its own, no
    rolled-back transaction), logged in as a demo user."""
    def _login(username: str) -> FlaskClient:
        client = FlaskClient(app, app.response_class, use_cookies=True)
        token = csrf_of(client.get("/login").text)
        client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        return client
    return _login


def _start(client, path: str) -> int:
    resp = client.get(path)
    assert resp.status_code == 302 and "/exports/" in resp.headers["Location"], (resp.status_code, resp.text[:200])
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _content(fmt: str, data: bytes):
    if fmt == "csv":
        return list(csv.reader(io.StringIO(data.decode("utf-8"))))
    if fmt == "geojson":
        return json.loads(data)
    return [(ws.title, [[c.value for c in row] for row in ws.iter_rows()]) for ws in load_workbook(io.BytesIO(data))]


def _run(app, job_id: int) -> None:
    """Run the job as the worker's task does (in this thread)."""
    with app.app_context():
        export_jobs.run(job_id)


def _path(app, job_id: int) -> str | None:
    with app.app_context():
        return db.session.get(LongJob, job_id).path


def test_a_forced_job_writes_what_the_streamed_export_sends(app, labelled, login_as, csrf_of):
    client = login_as("district")
    ids = {fmt: _start(client, f"/cases/export.{fmt}?{QUERY}&job=1") for fmt in FORMATS}
    page = client.get(f"/exports/{ids['csv']}")
    assert page.status_code == 200 and 'id="job-progress"' in page.text and "排队中" in page.text
    assert finish_jobs(app, ids.values()) == {i: "done" for i in ids.values()}  # the real worker
    for fmt, job_id in ids.items():
        shown = client.get(f"/exports/{job_id}.json").get_json()
        assert shown["status"] == "done" and shown["available"] and shown["percent"] == 100
        assert shown["done"] == shown["total"] == shown["result"]["rows"] >= 1200
        assert (shown["list"], shown["format"]) == ("cases", fmt)
        file = client.get(f"/exports/{job_id}/file")
        streamed = client.get(f"/cases/export.{fmt}?{QUERY}", buffered=True)
        assert file.status_code == streamed.status_code == 200
        assert file.headers["Content-Disposition"] == streamed.headers["Content-Disposition"]
        assert file.mimetype == streamed.mimetype
        assert _content(fmt, file.data) == _content(fmt, streamed.data), fmt
    rows = _content("csv", client.get(f"/exports/{ids['csv']}/file").data)[1:]
    assert all(r[2].startswith("01") and r[5] == COMMUNITY for r in rows)
    assert sum(r[12].startswith(LABEL) for r in rows) == 1200  # the other community's 300: not in the filter
    page = client.get(f"/exports/{ids['xlsx']}")
    assert 'id="job-download"' in page.text and f"/exports/{ids['xlsx']}/file" in page.text
    listing = client.get("/exports").text
    assert all(f'href="/exports/{i}"' in listing for i in ids.values())


def test_progress_is_visible_and_a_cancelled_export_leaves_no_file(app, labelled, login_as, csrf_of, monkeypatch):
    client = login_as("district")
    job_id = _start(client, f"/cases/export.csv?{QUERY}&job=1")
    path = _path(app, job_id)
    monkeypatch.setattr(rules, "EXPORT_PROGRESS_ROWS", 100)
    seen = []
    real = longjob.report

    def observe():  # the page's view while the job runs, then its cancel button
        seen.append(client.get(f"/exports/{job_id}.json").get_json())
        seen.append(Path(path + ".part").exists())
        page = client.get(f"/exports/{job_id}")
        seen.append(client.post(f"/exports/{job_id}/cancel", data={"csrf_token": csrf_of(page.text)}))

    def report(jid, **values):
        real(jid, **values)
        if values.get("done") and not seen:  # another thread: the requests' own app contexts
            thread = threading.Thread(target=observe)
            thread.start()
            thread.join()

    monkeypatch.setattr(longjob, "report", report)
    _run(app, job_id)
    running, partial, cancelled = seen
    assert running["status"] == "running" and running["done"] == 100 and running["total"] >= 1200
    assert 0 < running["percent"] < 100 and not running["available"]
    assert partial and cancelled.status_code == 302
    shown = client.get(f"/exports/{job_id}.json").get_json()
    assert shown["status"] == "cancelled" and shown["done"] == 200 and not shown["available"]
    assert not Path(path).exists() and not Path(path + ".part").exists()
    assert client.get(f"/exports/{job_id}/file").status_code == 404
    assert client.post(f"/exports/{job_id}/cancel", data={"csrf_token": csrf_of(
        client.get("/exports").text)}).status_code == 302  # finished: refused with a message, nothing changes
    assert client.get(f"/exports/{job_id}.json").get_json()["status"] == "cancelled"


def test_a_job_and_its_file_are_the_owners_alone_and_expire(app, labelled, login_as, csrf_of):
    owner, other = login_as("district"), login_as("hongqi")
    job_id = _start(owner, f"/cases/export.geojson?{QUERY}&job=1")
    _run(app, job_id)
    assert owner.get(f"/exports/{job_id}/file").status_code == 200
    token = csrf_of(other.get("/exports").text)
    for resp in (other.get(f"/exports/{job_id}"), other.get(f"/exports/{job_id}.json"),
                 other.get(f"/exports/{job_id}/file"),
                 other.post(f"/exports/{job_id}/cancel", data={"csrf_token": token})):
        assert resp.status_code == 404
    assert f'href="/exports/{job_id}"' not in other.get("/exports").text
    path = Path(_path(app, job_id))
    with app.app_context():  # written a day and an hour ago: expired, deleted by the periodic clean-up
        db.session.execute(update(LongJob).where(LongJob.id == job_id).values(
            finished_at=utcnow() - timedelta(hours=rules.EXPORT_KEPT_HOURS + 1)))
        db.session.commit()
    assert path.exists() and owner.get(f"/exports/{job_id}/file").status_code == 404  # expired before the clean-up
    with app.app_context():
        assert export_jobs.clean(utcnow())["export_files_deleted"] >= 1
    assert not path.exists() and _path(app, job_id) is None
    shown = owner.get(f"/exports/{job_id}.json").get_json()
    assert shown["status"] == "done" and not shown["available"]
    assert "已过期" in owner.get("/exports").text


def test_the_threshold_decides_between_streaming_and_a_job(app, labelled, login_as, csrf_of, monkeypatch):
    client = login_as("district")
    rows = len(_content("csv", client.get(f"/cases/export.csv?{QUERY}", buffered=True).data)) - 1
    monkeypatch.setattr(rules, "EXPORT_JOB_ROWS", rows)
    small = client.get(f"/cases/export.csv?{QUERY}", buffered=True)
    assert small.status_code == 200 and small.mimetype == "text/csv"  # exactly the threshold: streamed
    monkeypatch.setattr(rules, "EXPORT_JOB_ROWS", rows - 1)
    job_id = _start(client, f"/cases/export.xlsx?{QUERY}")  # one more than the threshold: a job
    shown = client.get(f"/exports/{job_id}.json").get_json()
    assert shown["status"] == "queued" and shown["total"] is None and shown["list_name"] == "案件看板"
    page = client.get(f"/exports/{job_id}")
    client.post(f"/exports/{job_id}/cancel", data={"csrf_token": csrf_of(page.text)})
    path = _path(app, job_id)
    _run(app, job_id)  # cancelled before it began: nothing written
    assert client.get(f"/exports/{job_id}.json").get_json()["status"] == "cancelled"
    assert not Path(path).exists() and not Path(path + ".part").exists()
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(LongJob))
    assert client.get("/cases/export.csv?state=nope&job=1").status_code == 400  # refused before any job
    worker = login_as("worker")
    assert worker.get("/disputes/export.xlsx?reveal=1&job=1").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LongJob)) == before


def test_a_job_reveals_and_logs_as_the_streamed_export(app, login_as):
    """The demo roster's party members of 红旗社区, phones and ID numbers in full for its secretary
    who asks: the same file, and as many logged views of personal values (PiiView, channel export),
    as the streamed export; without ``reveal`` masked and nothing logged."""
    client = login_as("hongqi")
    path = f"/org/party-members/export.csv?community={COMMUNITY}&reveal=1"

    def logged() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(PiiView).where(
                PiiView.channel == "export", PiiView.user_id == select(User.id).where(User.username == "hongqi")
                .scalar_subquery()))

    before = logged()
    streamed = client.get(path, buffered=True)
    assert streamed.status_code == 200
    by_stream = logged() - before
    job_id = _start(client, path + "&job=1")
    _run(app, job_id)
    assert logged() - before == 2 * by_stream > 0
    assert _content("csv", client.get(f"/exports/{job_id}/file").data) == _content("csv", streamed.data)
    masked = _start(client, path.replace("reveal=1", "job=1"))
    _run(app, masked)
    assert logged() - before == 2 * by_stream  # no reveal asked: nothing shown in full, nothing logged
    assert _content("csv", client.get(f"/exports/{masked}/file").data) != _content("csv", streamed.data)


def test_a_failed_or_abandoned_job_says_why_and_leaves_no_file(app, labelled, login_as):
    client = login_as("district")
    failing, abandoned = (_start(client, f"/cases/export.csv?{QUERY}&job=1") for _ in range(2))
    with app.app_context():  # a filter the list refuses by the time the job runs
        db.session.execute(update(LongJob).where(LongJob.id == failing).values(options={
            "list": "cases", "format": "csv", "args": {"state": "nope"}, "reveal": False, "excel": False}))
        db.session.execute(update(LongJob).where(LongJob.id == abandoned).values(  # queued a day ago, never run
            created_at=utcnow() - timedelta(hours=rules.EXPORT_KEPT_HOURS + 1)))
        db.session.commit()
    path = _path(app, failing)
    _run(app, failing)
    shown = client.get(f"/exports/{failing}.json").get_json()
    assert shown["status"] == "failed" and "nope" in shown["error"] and not shown["available"]
    assert not Path(path).exists() and not Path(path + ".part").exists()
    assert "nope" in client.get(f"/exports/{failing}").text
    with app.app_context():
        assert export_jobs.clean(utcnow())["export_jobs_ended"] >= 1
    shown = client.get(f"/exports/{abandoned}.json").get_json()
    assert shown["status"] == "failed" and str(rules.EXPORT_KEPT_HOURS) in shown["error"]
    _run(app, abandoned)  # the worker's task, should it come late: nothing to do
    assert client.get(f"/exports/{abandoned}.json").get_json()["status"] == "failed"


def test_a_job_whose_worker_died_is_run_again_and_finishes(app, labelled, login_as):
    """A long job left "doing" by a worker that stopped (its heartbeat an hour old) is queued again
    by the periodic ``retry_stalled`` task and then runs to its end; a job whose worker still beats
    is left alone (gridapp.jobs.runner)."""
    client = login_as("district")
    orphan, busy = (_start(client, f"/cases/export.csv?{QUERY}&job=1") for _ in range(2))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with psycopg.connect(runner.conninfo(url), autocommit=True) as conn:
        def hold(job_id: int, heartbeat: str) -> tuple[int, int]:
            worker = conn.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - %s::interval) "
                                  "RETURNING id", (heartbeat,)).fetchone()[0]
            queued = conn.execute("UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s, attempts = 1 "
                                  "WHERE task_name = 'gridapp:long_job' AND (args->>'job_id')::int = %s RETURNING id",
                                  (worker, job_id)).fetchone()[0]
            conn.execute("UPDATE long_jobs SET status = 'running', done = 600 WHERE id = %s", (job_id,))
            return worker, queued

        (dead, orphan_task), (alive, busy_task) = hold(orphan, "1 hour"), hold(busy, "1 second")
        proc = runner.make_app(url)

        async def retry():
            async with proc.open_async():
                return await runner.retry_stalled.func(SimpleNamespace(app=proc), 0)

        assert run_in_thread(retry) == [orphan_task]
        status = dict(conn.execute("SELECT id, status::text FROM procrastinate_jobs WHERE id = ANY(%s)",
                                   ([orphan_task, busy_task],)).fetchall())
        assert status == {orphan_task: "todo", busy_task: "doing"}
        assert finish_jobs(app, [orphan]) == {orphan: "done"}  # the real worker runs it again, from the start
        shown = client.get(f"/exports/{orphan}.json").get_json()
        assert shown["available"] and shown["done"] == shown["total"] == shown["result"]["rows"] >= 1200
        assert len(client.get(f"/exports/{orphan}/file").text.splitlines()) == shown["total"] + 1
        # the live worker's job: handed back (that worker "stops" without running it), then run
        conn.execute("UPDATE procrastinate_jobs SET status = 'todo', worker_id = NULL WHERE id = %s", (busy_task,))
        conn.execute("DELETE FROM procrastinate_workers WHERE id = ANY(%s)", ([dead, alive],))
    assert finish_jobs(app, [busy]) == {busy: "done"}
