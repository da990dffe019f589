"""Test-only parse worker hooks (``CrawlOptions(parse_hook="tests.worker_hooks:install")``).

Run once inside each parse worker process, never in the test process: they wrap the worker's readers so
that a document carrying one of the markers below misbehaves the way a hostile document would.
"""

from __future__ import annotations

import os
import signal
from typing import Any

SPIN = "<!-- kabar-test: spin -->"        # the reader spins (CPU-bound, never returns)
BOMB = "<!-- kabar-test: bomb -->"        # the reader allocates until its address space runs out
DIE = "<!-- kabar-test: die -->"          # the worker dies outright (as the kernel's OOM killer would)


def _misbehave(content: bytes) -> None:
    if SPIN.encode() in content:
        n = 0
        while True:           # pure Python: holds this process's GIL, and only this process's
            n += 1
    if BOMB.encode() in content:
        hoard = []
        while True:           # 64 MB at a time, never freed: RLIMIT_AS stops it with MemoryError
            hoard.append(bytearray(64 << 20))
    if DIE.encode() in content:
        os.kill(os.getpid(), signal.SIGKILL)


def install() -> None:
    from scraper import discover, parse_worker

    def wrap(func: Any) -> Any:
        def reader(content: bytes, *args: Any, **kwargs: Any) -> Any:
            _misbehave(content)
            return func(content, *args, **kwargs)
        return reader

    discover.parse_feed = wrap(discover.parse_feed)
    discover.parse_sitemap = wrap(discover.parse_sitemap)
    discover.links_from_listing = wrap(discover.links_from_listing)
    parse_worker.parse_html = wrap(parse_worker.parse_html)  # type: ignore[attr-defined]


def serve_slowly() -> None:
    """A worker main whose calls ``(seconds, payload)`` sleep, then answer the payload's length."""
    import time

    from storage import worker

    def handle(seconds: float, payload: bytes) -> int:
        time.sleep(seconds)
        return len(payload)

    worker.serve(lambda _setup: handle)
