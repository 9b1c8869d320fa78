"""The job runner: procrastinate (pinned) on the app's own PostgreSQL — no extra server.

* **Worker**: ``flask --app wsgi gridapp worker`` (``make run`` starts one beside the web
  server; production: a second process, README "Jobs"). It runs the periodic job :func:`tick`
  every minute (cron :data:`gridapp.reminders.rules.SCHEDULE`, no cron daemon: procrastinate's
  periodic deferrer; the database keeps one job per scheduled minute however many workers run)
  and the long jobs (imports, exports) deferred by the pages.
* **Deferring in the caller's transaction** (:func:`gridapp.jobs.queue.defer_in_transaction`): a job row is written
  with the row that asks for it (an import job), so either both exist or neither.
* **Tasks** run synchronously in a thread of the worker, each inside an application context
  handed in by :func:`bind` (the domain code imports no web framework).
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import procrastinate
from sqlalchemy.engine import make_url

from ..analytics import facts
from ..boundaries import import_jobs
from ..exports import jobs as export_jobs
from ..extensions import db
from ..notifications import delivery
from ..reminders import service as reminders
from ..reminders.rules import SCHEDULE
from .queue import CONCURRENCY, NAMESPACE, PERIODIC_QUEUE, QUEUE

log = logging.getLogger("gridapp.jobs")
#: The job runner's tasks (procrastinate blueprint, namespace ``gridapp``).
tasks = procrastinate.Blueprint()
#: What the tasks need from the application: ``context`` (a callable giving an application
#: context) and ``settings`` (the delivery settings, a dict); set by :func:`bind`.
BOUND: dict = {"context": None, "settings": {}}
#: The long jobs, by kind: a callable(job_id) that runs the job's row to its end.
RUNNERS: dict[str, Callable[[int], None]] = {import_jobs.KIND: import_jobs.run, export_jobs.KIND: export_jobs.run}


def conninfo(database_url: str) -> str:
    """A libpq connection string from the app's SQLAlchemy URL (``postgresql+psycopg://…``)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


@functools.cache
def make_app(database_url: str) -> procrastinate.App:
    """The procrastinate app on ``database_url`` with our tasks (not opened); one per URL (the
    blueprint's tasks are namespaced once)."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(database_url),
                                                                     min_size=1, max_size=4))
    app.add_tasks_from(tasks, namespace=NAMESPACE)
    return app


def bind(context: Callable, settings: dict) -> None:
    """Hand the tasks an application context factory and the delivery settings."""
    BOUND.update(context=context, settings=dict(settings))


def run_worker(database_url: str, *, wait: bool = True, signals: bool = True) -> None:
    """Run a worker on both queues, :data:`~gridapp.jobs.queue.CONCURRENCY` jobs at a time, until
    stopped (``wait=False``: until no job is left); call :func:`bind` first."""
    make_app(database_url).run_worker(queues=[QUEUE, PERIODIC_QUEUE], wait=wait, install_signal_handlers=signals,
                                      listen_notify=True, concurrency=CONCURRENCY)


@tasks.periodic(cron=SCHEDULE)
@tasks.task(name="tick", queue=PERIODIC_QUEUE, queueing_lock="tick")
def tick(timestamp: int) -> dict:
    """The periodic job (every minute): the reminders of deadlines due at ``timestamp`` (written
    once per case, kind and deadline), then deliveries beyond the app (planned once, sent, one
    retry after a failure), then the KPI roll-ups' rows of the last minute merged
    (:func:`gridapp.analytics.facts.compact`), then the clean-up of expired export files.
    Returns the counts."""
    now = datetime.fromtimestamp(timestamp, UTC)
    with BOUND["context"]():
        result = reminders.run(now, BOUND["settings"].get("reminder_channels", "log"))
        result.update(delivery.send_due(now, BOUND["settings"]))
        result["kpi_rows_compacted"] = facts.compact()
        result.update(export_jobs.clean(now))
        db.session.remove()
    log.info("tick %s: %s", now.isoformat(), result)
    return result


#: A worker silent for this many seconds is taken for dead (procrastinate's workers beat every 10 s
#: and prune the workers silent for 30 s when they start).
STALLED_AFTER_S = 30


@tasks.periodic(cron=SCHEDULE)
@tasks.task(name="retry_stalled", queue=PERIODIC_QUEUE, queueing_lock="retry_stalled", pass_context=True)
async def retry_stalled(context, timestamp: int) -> list[int]:
    """The long jobs whose worker stopped while running them (its process killed, the machine
    restarted: no heartbeat for :data:`STALLED_AFTER_S` s, or the worker's row pruned) queued again
    — procrastinate's recipe for stalled jobs (``get_stalled_jobs``, ``retry_job``) — so that an
    import or export is never left "running" with nobody running it. A runner starts afresh
    (:func:`gridapp.jobs.longjob.begin`): an import is one transaction, rolled back when its worker
    died; an export writes its file anew. Returns the procrastinate ids of the jobs retried."""
    manager = context.app.job_manager
    stalled = await manager.get_stalled_jobs(task_name=f"{NAMESPACE}:long_job", seconds_since_heartbeat=STALLED_AFTER_S)
    for job in stalled:
        await manager.retry_job(job)
        log.warning("long job %s (%s) retried: its worker stopped", job.task_kwargs.get("job_id"), job.id)
    return [job.id for job in stalled]


@tasks.task(name="long_job", queue=QUEUE)
def long_job(kind: str, job_id: int) -> None:
    """A long job (an import, an export) of the registered ``kind`` (:data:`RUNNERS`) on its row ``job_id``."""
    with BOUND["context"]():
        try:
            RUNNERS[kind](job_id)
        finally:
            db.session.remove()
