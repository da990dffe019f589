"""A fixed set of threads running the tasks one dispatching thread hands them, results back as they finish.

What :func:`scraper.pipeline.crawl_source` runs its fetches, parse requests and document reads on. Unlike
``concurrent.futures.ThreadPoolExecutor`` it makes no Future (a Condition, its lock and a waiter per
``wait()`` call over every pending one) per task: a task goes through one queue to a thread and its result
through another back to the dispatcher, which at thousands of articles a minute is a visible share of the
crawling process's CPU. Threads start with the first tasks, up to ``size``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

_POLL_S = 0.5     # a dispatcher blocked on a result wakes this often (signals reach a main thread)


class TaskPool:
    """``submit`` tasks (callables without arguments) and take their results with ``result`` (the order in
    which they finish; an exception a task raised is raised there). One dispatching thread; ``close``
    drops the tasks not started yet and waits for those running."""

    def __init__(self, size: int, name: str) -> None:
        self.size = max(1, size)
        self.name = name
        self._todo: queue.SimpleQueue[Callable[[], Any] | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []

    def submit(self, task: Callable[[], Any]) -> None:
        if len(self._threads) < self.size:
            thread = threading.Thread(target=self._serve, name=f"{self.name}_{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()
        self._todo.put(task)

    def result(self) -> Any:
        """The result of a task that finished (waits for one; submit first)."""
        while True:
            try:
                ok, value = self._done.get(timeout=_POLL_S)
                break
            except queue.Empty:
                continue
        if not ok:
            raise value
        return value

    def _serve(self) -> None:
        while (task := self._todo.get()) is not None:
            try:
                answer = (True, task())
            except BaseException as exc:    # handed to the dispatcher, which raises it
                answer = (False, exc)
            self._done.put(answer)
            del task, answer

    def close(self) -> None:
        while True:
            try:
                self._todo.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join()
        self._threads.clear()
