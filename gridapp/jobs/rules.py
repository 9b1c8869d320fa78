"""The long jobs' rules: their kinds and states (the CHECK constraints of ``long_jobs`` read them)."""
from __future__ import annotations

#: The kinds of long job (the job runner's RUNNERS by kind): an import of a file, an export of a list.
JOB_KINDS = ("import", "export")
#: queued → running → done | failed | cancelled
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
#: The states a job ends in (nothing more happens to it).
JOB_FINISHED = ("done", "failed", "cancelled")
