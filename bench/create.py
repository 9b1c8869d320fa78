"""Create-incident throughput: the whole product vs a bare Flask + psycopg INSERT, same gunicorn.

    .venv/bin/python bench/create.py [--clients 50] [--seconds 15] [--workers 3] [--threads 4]
                                     [--database-url URL]

Needs a database holding a city (bench/city.py). In one run, against the same database:

* **product**: gunicorn ``wsgi:app`` (development configuration); ``--clients`` grid workers
  (``bench-worker-NN``, fictitious, each assigned one grid of the city) log in with
  ``POST /api/v1/auth/token`` and then report cases at random points of their own grid with
  ``POST /api/v1/incidents`` and ``Authorization: Bearer <token>`` as a mobile client does: token
  lookup, validation, location, scope check, insert, history row, possible-duplicate lookup;
* **bare**: gunicorn ``bench.bare_app:app`` with the same options: the same JSON body, one INSERT;
* **same work**: gunicorn ``bench.bare_app:same_work``: the product's request (token, body), served by
  one hand-written statement doing the product's work (token, category, location, scope, insert,
  history row, possible duplicates) with the least checking in Python — the create path's analogue
  of the dashboard's plain-SQL baseline. Its cases stay, as the product's do.

Each side runs ``--seconds`` after a ``CHECKPOINT`` and a 2-second warm-up; the load client (the same for every side) is
``--procs`` processes of asyncio raw HTTP/1.1 keep-alive connections, one per client, each sending its
next request when the previous answer arrived (closed loop). Reports requests/s, p50/p95 latency
(ms), non-201 answers, the CPU each server used per request during the measured seconds (gunicorn:
its master and workers; PostgreSQL: all its processes — the machine's 2 cores are what both share),
and ratios product/bare and product/same work. The bare side's rows are deleted afterwards; the
product's cases stay (they are ordinary cases with history).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_command(app: str, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command line used for both sides (gthread workers, keep-alive)."""
    return [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--threads", str(threads), "--worker-class", "gthread", "--keep-alive", "75", "--timeout", "120",
            "--backlog", "2048", "--preload", "--log-level", "warning", app]


def _serve(app: str, database_url: str, workers: int, threads: int) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, GRIDAPP_CONFIG="development",
               GRIDAPP_INSTANCE=tempfile.mkdtemp(prefix="gridapp-bench-instance"))
    proc = subprocess.Popen(gunicorn_command(app, port, workers, threads), cwd=ROOT, env=env)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn {app} did not start")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- load client
async def _one_client(port: int, bodies: list[bytes], headers: bytes, start: float, warm: float, end: float,
                      out: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = 0
    while True:
        t0 = time.perf_counter()
        if t0 >= end:
            break
        body = bodies[i % len(bodies)]
        i += 1
        writer.write(b"POST /api/v1/incidents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     + headers + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        t1 = time.perf_counter()
        if t0 >= warm:
            out.append((t1 - t0, status, (os.getpid(), id(writer))))  # the client's connection
    writer.close()


def _client_proc(port: int, clients: list[tuple[list[bytes], bytes]], warm: float, end: float, queue) -> None:
    out: list = []

    async def main():
        await asyncio.gather(*(_one_client(port, bodies, headers, 0, warm, end, out) for bodies, headers in clients))

    asyncio.run(main())
    queue.put(out)


def load(port: int, clients: list[tuple[list[bytes], bytes]], seconds: float, procs: int = 2,
         warmup: float = 2.0, cpu=None) -> dict:
    """Run the closed-loop load; return {requests, requests_per_s, p50_ms, p95_ms, errors,
    connection_mean_ms: {min, median, max} of the clients' mean latencies}; with ``cpu`` (a
    function returning {name: CPU seconds so far}, :func:`cpu_seconds`) also ``cpu_ms_per_request``
    {name: ms}: the CPU each part used during the measured seconds, per measured request."""
    warm = time.perf_counter() + warmup + 0.5
    end = warm + seconds
    queue = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(
        target=_client_proc, args=(port, clients[k::procs], warm, end, queue)) for k in range(procs)]
    for w in workers:
        w.start()
    used = None
    if cpu is not None:
        time.sleep(max(0.0, warm - time.perf_counter()))
        before = cpu()
        time.sleep(max(0.0, end - time.perf_counter()))
        used = {name: seconds_now - before.get(name, 0.0) for name, seconds_now in cpu().items()}
    results = [r for _ in workers for r in queue.get()]
    for w in workers:
        w.join()
    lat = sorted(r[0] for r in results)
    errors = sum(1 for r in results if r[1] != 201)
    per_connection: dict = {}
    for r in results:
        per_connection.setdefault(r[2], []).append(r[0])
    means = sorted(sum(v) / len(v) for v in per_connection.values())

    def pct(p):
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

    out = {"requests": len(results), "requests_per_s": round(len(results) / seconds, 1),
           "p50_ms": pct(0.50), "p95_ms": pct(0.95), "errors": errors,
            # each client keeps its connection, and gunicorn's workers race to accept them: the spread
            # of the clients' mean latencies shows how evenly the workers got them
           "connection_mean_ms": {"min": round(1000 * means[0], 1), "median": round(1000 * means[len(means) // 2], 1),
                                  "max": round(1000 * means[-1], 1)} if means else None}
    if used is not None and results:
        out["cpu_ms_per_request"] = {name: round(1000 * s / len(results), 3) for name, s in used.items()}
    return out


def _process_table() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, CPU seconds used: user + system) of every process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        except OSError:  # the process ended meanwhile
            continue
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """{name: CPU seconds used so far by the process ``roots[name]`` and its children} — the
    gunicorn server (master and workers) and PostgreSQL (the postmaster and its backends, walwriter,
    checkpointer …). A child that ended is no longer counted: both servers keep theirs for the run."""
    table = _process_table()
    return {name: sum(cpu for pid, (parent, cpu) in table.items() if root in (pid, parent))
            for name, root in roots.items()}


def postmaster_pid(database_url: str) -> int:
    """The pid of the PostgreSQL server of ``database_url`` (the parent of a backend; same machine)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        return _process_table()[backend][0]  # while the backend lives


# --------------------------------------------------------------------------- set-up
def _setup(database_url: str, n: int, password: str) -> list[dict]:
    """Create (or reuse) ``n`` fictitious grid workers, each on one grid of the city spread over the
    district; return [{username, user_id, grid_code, community_code, district_code, points}] where
    points are 64 random (seeded) lon/lat points inside the worker's grid: one per report, in turn."""
    from sqlalchemy import select, text

    from bench.city import DISTRICT, make_app
    from gridapp.accounts.service import hash_password
    from gridapp.extensions import db
    from gridapp.models import GridAssignment, User

    app = make_app(database_url)
    with app.app_context():
        grids = db.session.execute(text("""
            SELECT code, community_code, district_code FROM grids WHERE district_code = :d
            ORDER BY md5(code) LIMIT :n"""), {"d": DISTRICT, "n": n}).all()
        hashed = hash_password(password)
        out = []
        for k, (code, community, district) in enumerate(grids):
            username = f"bench-worker-{k:02d}"
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                user = User(username=username, display_name=f"压测网格员{k:02d}（虚构）", role="worker")
                db.session.add(user)
            user.password_hash, user.active, user.failed_logins, user.locked_until = hashed, True, 0, None
            user.assignments = [GridAssignment(grid_code=code, is_primary=True)]
            db.session.flush()
            points = db.session.execute(text(
                "SELECT ST_X(d.geom), ST_Y(d.geom) FROM grids, ST_Dump(ST_GeneratePoints(geom, 64, :seed)) d "
                "WHERE code = :code"), {"seed": k + 1, "code": code}).all()
            out.append({"username": username, "user_id": user.id, "grid_code": code, "community_code": community,
                        "district_code": district, "points": [tuple(p) for p in points]})
        db.session.commit()
        db.session.remove()
    return out


def _bodies(worker: dict, mix: list[str], side: str, count: int = 64) -> list[bytes]:
    out = []
    for i in range(count):
        lon, lat = worker["points"][i % len(worker["points"])]
        body = {"category_code": mix[i % len(mix)], "description": f"压测事件（虚构）{side} {worker['username']} #{i}",
                "lon": lon, "lat": lat}
        if side == "bare":
            body.update(grid_code=worker["grid_code"], community_code=worker["community_code"],
                        district_code=worker["district_code"], reporter_id=worker["user_id"])
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


def _token(port: int, username: str, password: str) -> str:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/api/v1/auth/token", body=json.dumps({"username": username, "password": password}),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"login of {username} failed: {resp.status} {body}")
    return body["token"]


#: the sides, in the order they run: (result key, gunicorn app, label in the cases' descriptions)
SIDES = (("product", "wsgi:app", "product"), ("bare", "bench.bare_app:app", "bare"),
         ("same_work", "bench.bare_app:same_work", "same-work"))


def run(database_url: str, clients: int = 50, seconds: float = 15.0, workers: int = 3, threads: int = 4,
        procs: int = 2, log=print) -> dict:
    """Measure every side (module docstring); return {product: {...}, bare: {...}, same_work: {...},
    throughput_ratio, p95_ratio (product / bare), same_work_throughput_ratio, same_work_p95_ratio, config}."""
    password = secrets.token_urlsafe(12)
    users = _setup(database_url, clients, password)
    postmaster = postmaster_pid(database_url)
    mix = ["0102", "0110", "0113", "0107", "0117", "0199", "C01", "C02", "C04"]
    result = {"clients": clients, "seconds": seconds, "gunicorn": f"{workers} workers × {threads} threads (gthread)"}
    headers = None  # the workers' bearer tokens, issued by the product (the first side)
    for name, app, label in SIDES:
        proc, port = _serve(app, database_url, workers, threads)
        try:
            if headers is None:
                headers = [f"Authorization: Bearer {_token(port, u['username'], password)}\r\n".encode()
                           for u in users]
            conns = [(_bodies(u, mix, label), b"" if name == "bare" else h)
                     for u, h in zip(users, headers, strict=True)]
            log(f"create: {label}, {clients} clients × {seconds:g} s ...")
            _checkpoint(database_url)
            result[name] = load(port, conns, seconds, procs,
                                cpu=partial(cpu_seconds, {"gunicorn": proc.pid, "postgresql": postmaster}))
        finally:
            _stop(proc)
            if name == "bare":
                _delete_bare(database_url)
    p = result["product"]
    for name, key in (("bare", ""), ("same_work", "same_work_")):
        b = result[name]
        result[f"{key}throughput_ratio"] = round(p["requests_per_s"] / b["requests_per_s"], 2) \
            if b["requests_per_s"] else None
        result[f"{key}p95_ratio"] = round(p["p95_ms"] / b["p95_ms"], 2) if b["p95_ms"] else None
    return result


def _checkpoint(database_url: str) -> None:
    """Write out the dirty pages before a side runs, so that neither side's commits wait behind the
    writes of what ran before it (the city build, the bulk-location benchmark's UPDATE of 1M rows)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def _delete_bare(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("DELETE FROM incidents WHERE description LIKE '压测事件（虚构）bare %'")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--procs", type=int, default=2, help="load-client processes")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or set DATABASE_URL (a database holding bench/city.py's city)")
    print(json.dumps(run(args.database_url, args.clients, args.seconds, args.workers, args.threads, args.procs,
                         log=lambda m: print(m, file=sys.stderr, flush=True)), indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
