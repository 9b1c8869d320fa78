"""The job runner (procrastinate) in-process against the test PostGIS: the periodic job writes a
due-soon reminder exactly once, with no cron and no command run (issue 22).

The worker's connections see only committed rows: this test commits an incident (no history,
deleted afterwards with its notifications) in a category and grid of its own."""
from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import psycopg
from caseutil import make_case
from jobutil import run_in_thread
from sqlalchemy import delete, distinct, func, select, tuple_

from gridapp.core.clock import utcnow
from gridapp.extensions import db
from gridapp.jobs import runner
from gridapp.jobs.queue import PERIODIC_QUEUE
from gridapp.models import Incident, KpiRollup, Notification, User
from gridapp.reminders.rules import SCHEDULE

GRID = "610202002010002"  # a grid of 红旗社区 whose secretary (hongqi) is told



def _due_soon_count(url: str, incident_id: int) -> int:
    with psycopg.connect(runner.conninfo(url)) as conn:
        return conn.execute("SELECT count(*) FROM notifications WHERE subject_type = 'incident' "
                            "AND subject_id = %s AND kind = 'due_soon'", (incident_id,)).fetchone()[0]


def _run_worker_until(url: str, incident_id: int, seconds: float = 20) -> int:
    """Run a worker (periodic deferrer included) until the reminder appears, then stop it."""
    app = runner.make_app(url)

    async def main() -> int:
        async with app.open_async():
            worker = asyncio.create_task(app.run_worker_async(queues=[PERIODIC_QUEUE], wait=True,
                                                              install_signal_handlers=False))
            count = 0
            for _ in range(int(seconds / 0.25)):
                await asyncio.sleep(0.25)
                count = await asyncio.to_thread(_due_soon_count, url, incident_id)
                if count:
                    await asyncio.sleep(1)  # let a second tick (if any) run: it must write nothing
                    count = await asyncio.to_thread(_due_soon_count, url, incident_id)
                    break
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            return count

    return run_in_thread(main)


def test_periodic_job_writes_a_due_soon_reminder_exactly_once(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert SCHEDULE == "* * * * *"  # every minute, no cron daemon
    assert any(t.task.name == "gridapp:tick" for t in runner.make_app(url).periodic_registry.periodic_tasks.values())
    with app.app_context():
        worker_user = db.session.scalar(select(User).where(User.username == "worker"))
        incident = make_case(worker_user, "dispatched", grid=GRID, category="0199",
                             reported_at=utcnow() - timedelta(hours=70))
        incident.deadline_at = utcnow() + timedelta(hours=3)  # due within 24 h, not yet passed
        db.session.commit()
        incident_id = incident.id
    try:
        runner.bind(app.app_context, {"reminder_channels": "log"})
        assert _run_worker_until(url, incident_id) == 1
        assert _run_worker_until(url, incident_id, seconds=3) == 1  # a new worker: still exactly once
        with app.app_context():  # the tick also merged the KPI roll-ups' delta rows: one row per key
            rows, keys = db.session.execute(select(func.count(), func.count(distinct(tuple_(
                KpiRollup.span, KpiRollup.start, KpiRollup.level, KpiRollup.area_code, KpiRollup.category_code))))
            ).one()
            assert rows == keys > 0
        with app.app_context():
            secretary = db.session.scalar(select(User).where(User.username == "hongqi"))
            assert db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.subject_id == incident_id, Notification.subject_type == "incident",
                Notification.user_id == secretary.id, Notification.kind == "due_soon")) == 1
    finally:
        with app.app_context():
            db.session.execute(delete(Notification).where(Notification.subject_type == "incident",
                                                          Notification.subject_id == incident_id))
            db.session.execute(delete(Incident).where(Incident.id == incident_id))
            db.session.commit()
