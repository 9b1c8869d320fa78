"""Helpers for tests that run the job worker (procrastinate) in-process."""
from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import psycopg

from gridapp.jobs import runner
from gridapp.jobs.queue import QUEUE
from gridapp.jobs.rules import JOB_FINISHED


def run_in_thread(main):
    """``asyncio.run(main())`` in a thread of its own (the browser tests' Playwright keeps an event
    loop running in the main thread of the test session); returns what ``main()`` returned."""
    out = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(main())))
    thread.start()
    thread.join()
    assert out, "the worker's event loop ended with an error"
    return out[0]


def finish_jobs(app, job_ids, seconds: float = 60) -> dict[int, str]:
    """Run the job worker (procrastinate, in-process, the app's database) until the long jobs
    ``job_ids`` have finished; returns their states {id: status}."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    runner.bind(app.app_context, {"reminder_channels": "log"})
    proc = runner.make_app(url)

    def states() -> dict[int, str]:
        with psycopg.connect(runner.conninfo(url)) as conn:
            rows = conn.execute("SELECT id, status FROM long_jobs WHERE id = ANY(%s)", (list(job_ids),)).fetchall()
        return dict(rows)

    async def main():
        async with proc.open_async():
            worker = asyncio.create_task(proc.run_worker_async(queues=[QUEUE], wait=True,
                                                               install_signal_handlers=False))
            end = time.monotonic() + seconds
            state = {}
            while time.monotonic() < end:
                await asyncio.sleep(0.05)
                state = await asyncio.to_thread(states)
                if all(s in JOB_FINISHED for s in state.values()):
                    break
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            return state

    return run_in_thread(main)
