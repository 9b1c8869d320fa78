"""List-export benchmark (issue 23): the case board of the whole city exported as one file, streamed,
with the peak memory of the process measured.

    .venv/bin/python bench/export.py --database-url URL [--formats csv,xlsx,geojson]

Needs a database holding a city (bench/city.py). Each format runs in a fresh child process: it
creates the app, takes the bench admin, builds the export of every case
(:func:`gridapp.incidents.exports.cases_table`; no filter, except :data:`FILTERS`) and reads the
streamed response (:func:`gridapp.downloads.table_response`, as a WSGI server would) chunk by
chunk, counting bytes without keeping them. Reported per format: MB written, seconds, the child's
resident memory before the export (the app loaded) and its peak during the export (``VmHWM``
reset through ``/proc/self/clear_refs`` when the export starts), MB. Target: peak under 200 MB
for 1,000,000 rows.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(1, {bench!r})
import city
from gridapp.downloads import table_response
from gridapp.extensions import db
from gridapp.incidents.exports import cases_table

def status_mb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
app = city.make_app({url!r})
with app.test_request_context():
    admin = city.bench_admin()
    before = status_mb("VmRSS")
    open("/proc/self/clear_refs", "w").write("5")  # the peak (VmHWM) from here on: the export's
    t = time.perf_counter()
    resp = table_response(cases_table(admin, {args!r}), {fmt!r})
    size = 0
    for chunk in resp.response:
        size += len(chunk)
    seconds = time.perf_counter() - t
    resp.close()
    peak = status_mb("VmHWM")
    db.session.remove()
print(json.dumps({{"mb": round(size / 1e6, 1), "seconds": round(seconds, 1), "rss_before_mb": round(before),
                  "peak_rss_mb": round(peak), "filters": {args!r},
                  "process_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""


#: filters per format: Excel is written at about 4,000 rows per CPU-second (openpyxl's cell writer), so
#: the bench exports the last 30 days' cases as .xlsx and every case as CSV and GeoJSON
FILTERS = {"xlsx": "last_30_days"}


def _filters(fmt: str) -> dict:
    if FILTERS.get(fmt) != "last_30_days":
        return {}
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    return {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}


def run(database_url: str, formats=("csv", "geojson", "xlsx"), log=print) -> dict:
    """Export the city's cases in each format in a child process; returns {rows, formats: {fmt:
    {mb, seconds, rss_before_mb, peak_rss_mb (during the export), process_peak_mb, filters}}}."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    out: dict = {"rows": rows, "formats": {}}
    for fmt in formats:
        code = CHILD.format(root=str(ROOT), bench=str(ROOT / "bench"), url=database_url, fmt=fmt, args=_filters(fmt))
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                              env=dict(os.environ, DATABASE_URL=database_url))
        if done.returncode:
            raise RuntimeError(f"export {fmt} failed: {done.stderr[-2000:]}")
        out["formats"][fmt] = json.loads(done.stdout.strip().splitlines()[-1])
        log(f"  export {fmt}: {out['formats'][fmt]}")
    return out


def main() -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--formats", default="csv,xlsx,geojson")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL (a database holding the bench city)")
    print(json.dumps(run(args.database_url, tuple(args.formats.split(","))), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
