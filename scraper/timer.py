"""APScheduler 3 as the daemon's timer: one date job per source, on a thread pool of ``max_running``.

The jobs only say *when*; what a job does and when it is armed again is decided by :mod:`scraper.roster`
and the daemon's main thread. ``coalesce`` and ``max_instances = 1`` keep a source from overlapping
itself even if a job were armed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger

#: Event codes handed to ``on_event``: the job ran (its body returned or raised) or could not start.
JOB_EXECUTED = EVENT_JOB_EXECUTED
JOB_MAX_INSTANCES = EVENT_JOB_MAX_INSTANCES

_PREFIX = "source:"


def job_id(name: str) -> str:
    return f"{_PREFIX}{name}"


class JobTimer:
    """Runs ``run(name, generation)`` at the time each source's job is armed for.

    ``on_event(name, code)`` is called when a job ended or was skipped, possibly from APScheduler's own
    thread while it holds its job-store lock: it must not arm or remove jobs itself.
    """

    def __init__(self, max_running: int, run: Callable[[str, int], None],
                 on_event: Callable[[str, int], None]) -> None:
        self._run = run
        self._on_event = on_event
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=max_running)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler.add_listener(self._on_job_event,
                                     EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES
                                     | EVENT_JOB_MISSED)

    def _on_job_event(self, event: JobEvent) -> None:
        jid = getattr(event, "job_id", "")
        if jid.startswith(_PREFIX):
            self._on_event(jid[len(_PREFIX):], event.code)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop firing jobs; runs in flight go on (the daemon waits for them itself)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def arm(self, name: str, when: datetime, generation: int) -> None:
        """(Re)arm ``name``'s job to fire once at ``when``."""
        self.remove(name)
        self._scheduler.add_job(self._run, trigger=DateTrigger(run_date=when), args=[name, generation],
                                id=job_id(name), name=name)

    def remove(self, name: str) -> None:
        try:
            self._scheduler.remove_job(job_id(name))
        except JobLookupError:
            pass
