"""Helpers for tests that run the job worker (procrastinate) in-process."""
from __future__ import annotations

import asyncio
import threading


def run_in_thread(main):
    """``asyncio.run(main())`` in a thread of its own (the browser tests' Playwright keeps an event
    loop running in the main thread of the test session); returns what ``main()`` returned."""
    out = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(main())))
    thread.start()
    thread.join()
    assert out, "the worker's event loop ended with an error"
    return out[0]
