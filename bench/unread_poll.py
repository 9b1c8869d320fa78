"""The cost of the live unread badge per connected user (issue 22): short polling of
``GET /notifications/unread`` against SSE.

    .venv/bin/python bench/unread_poll.py [--requests 2000] [--notifications 200]

Provisions a throwaway cluster (gridapp.provision), migrates, loads the demo, gives one user
``--notifications`` unread notifications, logs in through the form and times
``--requests`` polls in one process (the Flask test client: the app's own cost — routing,
session, the user, one index probe — without the network). Prints the mean and p95 per poll,
the response's bytes, and what one user costs at one poll per POLL_SECONDS seconds.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gridapp import create_app, provision  # noqa: E402
from gridapp.notifications.rules import POLL_SECONDS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--notifications", type=int, default=200)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="gridapp-poll", dir="/tmp"))
    try:
        url = provision.start(base, throwaway=True)
        os.environ["GRIDAPP_INSTANCE"] = str(base / "instance")
        app = create_app({"GRIDAPP_CONFIG": "test", "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            from flask_migrate import upgrade
            from sqlalchemy import select

            from gridapp.demo import load_demo
            from gridapp.extensions import db
            from gridapp.models import User
            from gridapp.notifications.outbox import write

            upgrade()
            load_demo("bench-password-1", log=lambda m: None)
            user = db.session.scalar(select(User).where(User.username == "chuzhi"))
            for i in range(args.notifications):
                write([user.id], "assigned", "incident", i, f"bench {i}", f"/cases/{i}", f"bench:{i}")
            db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": "chuzhi", "password": "bench-password-1"})
        first = client.get("/notifications/unread")
        assert first.status_code == 200, first.status_code
        times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            resp = client.get("/notifications/unread")
            times.append((time.perf_counter() - t) * 1000)
        mean, p95 = statistics.mean(times), statistics.quantiles(times, n=20)[18]
        size = len(resp.data) + sum(len(k) + len(v) + 4 for k, v in resp.headers.items())
        per_core = 1000 / mean
        print(f"unread poll: {args.requests} requests, mean {mean:.2f} ms, p95 {p95:.2f} ms, "
              f"{size} bytes (body {len(resp.data)}: {resp.data.decode().strip()})")
        print(f"one user polling every {POLL_SECONDS} s: {mean / POLL_SECONDS:.3f} ms CPU per second "
              f"(≈ {per_core * POLL_SECONDS:.0f} connected users per core), {size / POLL_SECONDS:.0f} B/s")
    finally:
        provision.stop(base)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
