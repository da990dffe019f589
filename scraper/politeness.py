"""Politeness for one :class:`scraper.fetch.Fetcher`: per-host slots, delays, pauses, backoff, the stop event.

A host (``host:port``) has at most ``per_host_concurrency`` requests in flight and ``per_host_delay`` seconds
between request starts (a robots.txt ``Crawl-delay`` wins when larger, capped at ``max_retry_after``); a
``Retry-After`` pauses the host for every thread; at most ``concurrency`` requests are in flight in total.
Retries wait an exponential backoff with equal jitter (:meth:`Politeness.backoff`).

Stop means stop: once the ``stop`` event is set no new request starts. Every wait (for a host slot, a
global slot, a delay, a pause, a backoff) ends early on it, and the flag is checked again after the turn
is granted, just before the request is sent; either way :class:`FetchStopped` is raised.
"""

from __future__ import annotations

import email.utils
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC

from scraper.config import HttpConfig
from scraper.errors import FetchError

__all__ = ["FetchStopped", "HostGate", "HostSlot", "Politeness", "parse_retry_after"]

#: Politeness beyond this process (a cluster worker: a lease per host in PostgreSQL): called with the URL
#: and the host's delay once this process granted the turn; the request is sent inside the context.
HostGate = Callable[[str, float], AbstractContextManager[object]]

logger = logging.getLogger("scraper.fetch")

# How often a thread blocked on a full host or global slot looks at the stop event.
_STOP_POLL = 0.05


class FetchStopped(FetchError):
    """The ``stop`` event was set while the fetch was waiting for its turn: no request was sent."""

    outcome = "skipped"


class HostSlot:
    """Politeness state of one host:port."""

    __slots__ = ("delay", "last_start", "lock", "paused_until", "sem")

    def __init__(self, concurrency: int, delay: float) -> None:
        self.sem = threading.Semaphore(max(1, concurrency))
        self.lock = threading.Lock()
        self.delay = delay
        self.last_start = -math.inf
        self.paused_until = -math.inf

    def ready_at(self) -> float:
        return max(self.last_start + self.delay, self.paused_until)


class Politeness:
    """The slots of every host of one run, the global limit and the stop event.

    With ``stop`` and the default ``sleep``, waits use ``stop.wait`` so they wake up at once.
    """

    def __init__(self, http: HttpConfig, *, sleep: Callable[[float], object] = time.sleep,
                 clock: Callable[[], float] = time.monotonic, rand: Callable[[], float],
                 stop: threading.Event | None = None, gate: HostGate | None = None) -> None:
        self.http = http
        self._gate = gate
        self._stop = stop
        self._sleep: Callable[[float], object] = stop.wait if (stop is not None and sleep is time.sleep) \
            else sleep
        self._clock = clock
        self._rand = rand
        self._global = threading.Semaphore(max(1, http.concurrency))
        self._slots: dict[str, HostSlot] = {}
        self._slots_lock = threading.Lock()
        self._capped_delay_warned: set[str] = set()

    def check_stop(self, url: str) -> None:
        if self._stop is not None and self._stop.is_set():
            raise FetchStopped("stopped before the request was sent", url=url)

    def slot(self, key: str) -> HostSlot:
        slot = self._slots.get(key)
        if slot is None:
            with self._slots_lock:
                slot = self._slots.get(key)
                if slot is None:
                    slot = self._slots[key] = HostSlot(self.http.per_host_concurrency,
                                                       float(self.http.per_host_delay))
        return slot

    def wait(self, seconds: float, url: str) -> None:
        """Sleep ``seconds`` (or until stopped); raises :class:`FetchStopped` when stopped."""
        self.check_stop(url)
        self._sleep(seconds)
        self.check_stop(url)

    def _acquire(self, sem: threading.Semaphore, url: str) -> None:
        if sem.acquire(blocking=False):
            return
        if self._stop is None:
            sem.acquire()
            return
        while not sem.acquire(timeout=_STOP_POLL):
            self.check_stop(url)

    @contextmanager
    def turn(self, slot: HostSlot, url: str = "") -> Iterator[None]:
        """Hold a host slot and a global slot, started no earlier than the host's delay and pause allow.

        Raises :class:`FetchStopped` instead when the stop event is set before the turn begins."""
        self._acquire(slot.sem, url)
        try:
            while True:
                with slot.lock:
                    wait = slot.ready_at() - self._clock()
                if wait > 0:
                    self.wait(wait, url)
                    continue
                self._acquire(self._global, url)
                with slot.lock:  # re-check: another thread of this host may have started meanwhile
                    now = self._clock()
                    if slot.ready_at() <= now:
                        slot.last_start = now
                        break
                self._global.release()
            try:
                self.check_stop(url)  # the stop may have come while this thread waited for its turn
                with self._gate(url, slot.delay) if self._gate is not None else nullcontext():
                    yield
            finally:
                self._global.release()
        finally:
            slot.sem.release()

    def pause(self, slot: HostSlot, until: float) -> None:
        """No request to the host before ``until`` (on the clock), for every thread (a Retry-After)."""
        with slot.lock:
            slot.paused_until = max(slot.paused_until, until)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with equal jitter: half the step fixed, half random, capped."""
        step = min(float(self.http.backoff_max), float(self.http.backoff_base) * (2 ** attempt))
        return step / 2 + self._rand() * step / 2

    def apply_crawl_delay(self, key: str, crawl_delay: float) -> None:
        cap = float(self.http.max_retry_after)
        if crawl_delay > cap and key not in self._capped_delay_warned:
            self._capped_delay_warned.add(key)
            logger.warning("robots.txt of %s asks for Crawl-delay %gs; waiting %gs (http.max_retry_after)",
                           key, crawl_delay, cap)
        slot = self.slot(key)
        slot.delay = max(float(self.http.per_host_delay), min(crawl_delay, cap))


def parse_retry_after(value: str | None, *, date: str | None = None,
                      wall: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    An HTTP-date is measured from the response's ``Date`` header when there is one (the server's own
    clock, immune to skew), else from ``wall()``. A date in the past gives 0. Unparseable gives None.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    when = _http_date(value)
    if when is None:
        return None
    ref = _http_date(date) if date else None
    return max(0.0, when - (ref if ref is not None else wall()))


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
