"""Load test: N concurrent API clients report and move cases against gunicorn for a fixed time, then
every acknowledged write is checked against the database — none lost, none extra.

    .venv/bin/python bench/load.py [--clients 100] [--seconds 30] [--workers 4] [--threads 8] [--write]

What it does (not part of ``make test``):

1. starts a private, durable PostgreSQL cluster in a temporary folder (fsync on; or uses
   ``DATABASE_URL`` when set, which must be an empty database), migrates it and loads the demo
   district with a random demo password;
2. starts gunicorn (``wsgi:app``, development configuration) on 127.0.0.1 on a free port;
3. runs ``--clients`` threads, each with its own keep-alive connection: it logs in
   (``POST /api/v1/auth/token`` as the secretary ``hongqi``, or the grid worker ``worker`` for one
   client in four) and then, until the deadline, reports a case at a point of its grids
   (``POST /api/v1/incidents``), and — secretaries — accepts and files it
   (``POST /api/v1/incidents/<id>/actions/accept|file`` with the version read, optimistic lock);
   a worker reads its case back instead. Requests still in flight at the deadline are awaited;
4. compares, in the database: the incidents created after the start with the acknowledged
   creations (201), and every incident's history rows (incident_events) and state with its
   acknowledged actions. *Lost* = acknowledged but absent; *phantom* = present but never
   acknowledged (a request that got no answer — timeout, reset — and still wrote would show here).
   Requests without an answer are counted apart as *unknown* (with their error types).

Prints a JSON summary; ``--write`` also replaces the "Load test" section of BENCHMARKS.md.
Exit status 1 when anything is lost or phantom.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridapp import provision  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmarks_md import replace_section  # noqa: E402

BIN = Path(sys.executable).parent
COMMUNITY = "610202002010"          # 红旗社区 (the demo secretary's community)
WORKER_GRID = "610202002010001"     # the demo worker's grid


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client(threading.Thread):
    """One simulated user on its own HTTP/1.1 connection."""

    def __init__(self, n: int, port: int, password: str, points: list, deadline_box: list, results: dict,
                 barrier: threading.Barrier):
        super().__init__(daemon=True)
        self.barrier = barrier
        self.n, self.port, self.password, self.points = n, port, password, points
        self.deadline_box, self.results = deadline_box, results
        self.username = "worker" if n % 4 == 0 else "hongqi"
        self.created: list[int] = []                      # acknowledged incident ids
        self.actions: list[tuple[int, str]] = []          # acknowledged (id, action)
        self.unknown: list[tuple[str, str]] = []          # (method path, error) without an answer
        self.statuses: Counter = Counter()
        self.latencies: list[float] = []

    def _call(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as err:
            self.unknown.append((f"{method} {path}", repr(err)))
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            return None, None
        self.latencies.append(time.perf_counter() - start)
        self.statuses[resp.status] += 1
        return resp.status, (json.loads(data) if data else None)

    def run(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        status, body = self._call("POST", "/api/v1/auth/token", {"username": self.username, "password": self.password})
        ok = status == 200
        if not ok:
            self.results["login_failures"] += 1
        self.login_s = self.latencies[-1] if self.latencies else None
        self.barrier.wait()           # the timed phase starts when every client has logged in
        if not ok:
            return
        token = body["token"]
        i = 0
        while time.monotonic() < self.deadline_box[0]:
            lon, lat = self.points[(self.n + i) % len(self.points)] if self.username == "hongqi" else self.points[0]
            i += 1
            status, body = self._call("POST", "/api/v1/incidents", {
                "category_code": "0102", "description": f"压测事件（虚构）client {self.n} #{i}",
                "lon": lon, "lat": lat}, token)
            if status != 201:
                continue
            case_id = body["id"]
            self.created.append(case_id)
            self.actions.append((case_id, "report"))
            if self.username == "worker":
                self._call("GET", f"/api/v1/incidents/{case_id}", token=token)
                continue
            version = 1
            for action in ("accept", "file"):
                status, body = self._call("POST", f"/api/v1/incidents/{case_id}/actions/{action}",
                                          {"version": version}, token)
                if status != 200:
                    break
                self.actions.append((case_id, action))
                version = body["version"]
        self.conn.close()


def _serve(url: str, port: int, workers: int, threads: int, password: str) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, GRIDAPP_CONFIG="development", GRIDAPP_DEMO_PASSWORD=password,
               GRIDAPP_INSTANCE=tempfile.mkdtemp(prefix="gridapp-bench-instance"))
    for args in (["db", "upgrade"], ["gridapp", "load-demo"]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                             "--threads", str(threads), "--timeout", "120", "--keep-alive", "75", "--preload",
                             "--log-level", "warning",
                             "wsgi:app"],
                            cwd=ROOT, env=env)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def _check(url: str, before_id: int, clients: list[Client]) -> dict:
    """Compare the database with the acknowledged writes."""
    acked_created = {c for cl in clients for c in cl.created}
    acked_actions: dict[int, Counter] = defaultdict(Counter)
    for cl in clients:
        for case_id, action in cl.actions:
            acked_actions[case_id][action] += 1
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        in_db = {r[0]: r[1] for r in conn.execute("SELECT id, status FROM incidents WHERE id > %s", (before_id,))}
        events: dict[int, Counter] = defaultdict(Counter)
        for case_id, action in conn.execute("SELECT incident_id, action FROM incident_events WHERE incident_id > %s",
                                            (before_id,)):
            events[case_id][action] += 1
    expected_state = {"report": "reported", "accept": "accepted", "file": "filed"}
    lost = sorted(acked_created - in_db.keys())
    phantom = sorted(in_db.keys() - acked_created)
    lost_events = sum(((acked_actions[c] - events[c]).total() for c in acked_actions), 0)
    phantom_events = sum(((events[c] - acked_actions[c]).total() for c in events), 0)
    wrong_state = [c for c in acked_created & in_db.keys()
                   if in_db[c] != expected_state[max(acked_actions[c], key=("report", "accept", "file").index)]]
    return {"incidents_acknowledged": len(acked_created), "incidents_in_db": len(in_db),
            "events_acknowledged": sum(c.total() for c in acked_actions.values()),
            "events_in_db": sum(c.total() for c in events.values()),
            "lost_incidents": len(lost), "phantom_incidents": len(phantom), "lost_events": lost_events,
            "phantom_events": phantom_events, "wrong_state": len(wrong_state)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="write the result into BENCHMARKS.md")
    args = parser.parse_args()

    base = None
    url = os.environ.get("DATABASE_URL")
    if not url:
        base = Path(tempfile.mkdtemp(prefix="gl-", dir="/tmp"))
        url = provision.start(base, throwaway=False)
    password = secrets.token_urlsafe(12)
    port = _free_port()
    server = _serve(url, port, args.workers, args.threads, password)
    try:
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain) as conn:
            before_id = conn.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()[0]
            points = [tuple(r) for r in conn.execute(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM grids "
                "WHERE community_code = %s ORDER BY code = %s DESC, code", (COMMUNITY, WORKER_GRID))]
        results = {"login_failures": 0}
        deadline = [0.0]
        box = {}

        def _start_clock():
            box["started"] = time.monotonic()
            deadline[0] = box["started"] + args.seconds

        barrier = threading.Barrier(args.clients, action=_start_clock)
        clients = [Client(n, port, password, points, deadline, results, barrier) for n in range(args.clients)]
        login_started = time.monotonic()
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        elapsed = time.monotonic() - box["started"]
        login_phase = box["started"] - login_started
        for c in clients:            # the timed phase's figures only
            c.latencies = c.latencies[1:]
            c.statuses[200] -= 1 if c.login_s is not None else 0
        check = _check(url, before_id, clients)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        if base is not None:
            provision.stop(base)
            shutil.rmtree(base, ignore_errors=True)
    latencies = sorted(x for c in clients for x in c.latencies)
    statuses = sum((c.statuses for c in clients), Counter())
    summary = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "clients": args.clients,
        "seconds": args.seconds, "elapsed_s": round(elapsed, 1), "login_phase_s": round(login_phase, 1),
        "gunicorn": f"{args.workers} workers × {args.threads} threads", "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "latency_ms": {"median": round(statistics.median(latencies) * 1000, 1) if latencies else None,
                       "p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 1) if latencies else None},
        "statuses": dict(sorted(statuses.items())), "unknown": sum(len(c.unknown) for c in clients),
        "unknown_errors": dict(Counter(err.split("(")[0] for c in clients for _r, err in c.unknown)),
        "login_failures": results["login_failures"], **check}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    ok = not (check["lost_incidents"] or check["phantom_incidents"] or check["lost_events"]
              or check["phantom_events"] or check["wrong_state"])
    if args.write:
        _write(summary, ok)
    return 0 if ok else 1


def _write(summary: dict, ok: bool) -> None:
    head = "## Load test (bench/load.py)"
    section = (f"{head}\n\nLast run {summary['when']}: {summary['clients']} concurrent API clients for "
               f"{summary['seconds']:g} s against gunicorn ({summary['gunicorn']}) on 127.0.0.1, a durable "
               f"private PostgreSQL cluster; secretaries report, accept and file cases, grid workers report and "
               f"read them back.\n\n"
               f"| measure | value |\n|---|---|\n"
               + "".join(f"| {k} | {json.dumps(v, ensure_ascii=False)} |\n" for k, v in summary.items()
                         if k not in ("when",))
               + f"\nResult: **{'no lost and no phantom writes' if ok else 'LOST OR PHANTOM WRITES'}** "
               f"({summary['incidents_acknowledged']} acknowledged incidents, {summary['events_acknowledged']} "
               f"acknowledged history rows{', all found and nothing else' if ok else ''}). Machine: "
               f"{os.cpu_count()} CPUs, shared with other work; times are indicative only.\n")
    replace_section(head, section)


if __name__ == "__main__":
    sys.exit(main())
