"""The rules of list exports run as jobs (issue 23)."""
from __future__ import annotations

#: A list of more rows than this is exported by a job (progress page, file kept), not streamed.
EXPORT_JOB_ROWS = 50_000
#: How long an export job's file is kept for its owner after it was written (hours); then the
#: worker's periodic tick deletes it, and a job still unfinished by then is ended as failed.
EXPORT_KEPT_HOURS = 24
#: A running export reports its progress (and looks for a cancellation) every so many rows.
EXPORT_PROGRESS_ROWS = 2_000
