"""Deferring a job in the caller's transaction (the job row and the row that asks for it are
committed together, or neither); the worker is :mod:`gridapp.jobs.runner`."""
from __future__ import annotations

import json

from sqlalchemy import text

from ..extensions import db

#: The tasks' namespace and queues (procrastinate): long jobs, and the periodic tick apart (a worker
#: runs both, two jobs at a time: a long import never delays the reminders).
NAMESPACE = "gridapp"
QUEUE = "default"
PERIODIC_QUEUE = "periodic"
CONCURRENCY = 2


def defer_in_transaction(task: str, **args) -> int:
    """Defer the task ``task`` (its name without namespace) with ``args`` (JSON values) in the
    current transaction of ``db.session`` (procrastinate's own SQL function; its trigger wakes a
    listening worker at commit); returns the job id."""
    row = db.session.execute(text(
        "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, 0, NULL, NULL, CAST(:args AS jsonb), "
        "NULL)::procrastinate_job_to_defer_v1]))"), {"queue": QUEUE, "task": f"{NAMESPACE}:{task}",
                                                       "args": json.dumps(args)})
    return row.scalar_one()
