"""Long imports as jobs (issue 22), run by an in-process worker against the test PostGIS: progress
(rows done / total) visible while the import's transaction is open, cancellation writing nothing,
completion writing everything at once. Committed data: incidents of a text of their own, deleted
afterwards."""
from __future__ import annotations

import asyncio
import contextlib
import io
import time

import psycopg
from caseutil import GRID, grid_point
from jobutil import run_in_thread
from sqlalchemy import delete, func, select

from gridapp.boundaries import import_jobs, imports
from gridapp.extensions import db
from gridapp.jobs import runner
from gridapp.jobs.queue import QUEUE
from gridapp.models import Incident, LongJob, User

LABEL = "作业导入测试（虚构）"



def _csv(rows: int, lon: float, lat: float) -> bytes:
    lines = ["lon,lat,description"] + [f"{lon + (i % 50) * 1e-6:.7f},{lat:.7f},{LABEL}{i}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _job(url: str, job_id: int) -> tuple:
    with psycopg.connect(runner.conninfo(url)) as conn:
        return conn.execute("SELECT status, done, total FROM long_jobs WHERE id = %s", (job_id,)).fetchone()


def _written(url: str) -> int:
    with psycopg.connect(runner.conninfo(url)) as conn:
        return conn.execute("SELECT count(*) FROM incidents WHERE description LIKE %s", (LABEL + "%",)).fetchone()[0]


def _worker_until(app, url: str, job_id: int, on_progress=None, seconds: float = 60) -> tuple:
    """Run a worker until the job has finished; ``on_progress(done, total)`` once, at the first
    progress seen while it runs. Returns the job's (status, done, total) and the first progress."""
    runner.bind(app.app_context, {"reminder_channels": "log"})
    proc = runner.make_app(url)
    seen = None

    async def main():
        nonlocal seen
        async with proc.open_async():
            worker = asyncio.create_task(proc.run_worker_async(queues=[QUEUE], wait=True,
                                                               install_signal_handlers=False))
            end = time.monotonic() + seconds
            state = None
            while time.monotonic() < end:
                await asyncio.sleep(0.05)
                state = await asyncio.to_thread(_job, url, job_id)
                if seen is None and state[0] == "running" and state[1]:
                    seen = state
                    if on_progress:
                        await asyncio.to_thread(on_progress, state[1], state[2])
                if state[0] in import_jobs.FINISHED:
                    break
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            return state

    return run_in_thread(main), seen


def _start(app, tmp_path, rows: int):
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        lon, lat = grid_point(GRID)
        options = imports.parse_options({"level": "incident", "mode": "commit", "category_code": "0102"},
                                        app.config["IMPORT_EXTENT"])
        job = import_jobs.start(admin, _csv(rows, lon, lat), "jobs.csv", options, tmp_path)
        assert job.status == "queued" and list(tmp_path.iterdir())
        return job.id


def test_a_200000_row_import_shows_progress_and_its_cancellation_writes_nothing(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    job_id = _start(app, tmp_path, 200_000)

    def cancel(done, total):
        with app.app_context():
            admin = db.session.scalar(select(User).where(User.username == "admin"))
            import_jobs.cancel(admin, job_id)

    (status, done, total), seen = _worker_until(app, url, job_id, cancel)
    assert seen is not None and 0 < seen[1] < seen[2] == 200_000  # progress was visible
    assert status == "cancelled" and done < total == 200_000
    assert _written(url) == 0  # nothing written
    assert not list(tmp_path.iterdir())  # the waiting file is gone
    with app.app_context():
        shown = import_jobs.job_dict(db.session.get(LongJob, job_id))
        assert shown["status"] == "cancelled" and 0 <= shown["percent"] < 100


def test_an_import_job_runs_to_the_end_in_one_transaction(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    job_id = _start(app, tmp_path, 3000)
    try:
        (status, done, total), _seen = _worker_until(app, url, job_id)
        assert (status, done, total) == ("done", 3000, 3000)
        assert _written(url) == 3000
        with app.app_context():
            shown = import_jobs.job_dict(db.session.get(LongJob, job_id))
            assert shown["percent"] == 100 and shown["result"]["created"] == 3000 and shown["result"]["committed"]
            assert db.session.scalar(select(func.count()).select_from(Incident).where(
                Incident.description.like(LABEL + "%"), Incident.grid_code == GRID)) == 3000
    finally:
        with app.app_context():
            db.session.execute(delete(Incident).where(Incident.description.like(LABEL + "%")))
            db.session.commit()


def test_the_job_page_shows_progress_and_cancels(client, tx, login, csrf_of):
    login("admin")
    form = client.get("/admin/imports").text
    lon, lat = grid_point(GRID)
    resp = client.post("/admin/imports", data={
        "csrf_token": csrf_of(form), "level": "incident", "mode": "commit", "category_code": "0102",
        "tolerance_m": "0.5", "as_job": "y", "file": (io.BytesIO(_csv(10, lon, lat)), "page.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 302 and "/admin/imports/jobs/" in resp.headers["Location"]
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200 and 'id="job-progress"' in page.text and "排队中" in page.text
    job_url = resp.headers["Location"]
    shown = client.get(job_url + ".json").get_json()
    assert shown["status"] == "queued" and shown["done"] == 0 and shown["total"] is None
    cancelled = client.post(job_url + "/cancel", data={"csrf_token": csrf_of(page.text)})
    assert cancelled.status_code == 302
    assert client.get(job_url + ".json").get_json()["cancel_requested"] is True
    assert tx.scalar(select(func.count()).select_from(Incident).where(Incident.description.like(LABEL + "%"))) == 0
