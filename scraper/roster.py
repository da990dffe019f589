"""The daemon's table of sources: each one's policy, stored state and next plan, who is crawling, and which
jobs are to be (re)armed. Thread-safe: APScheduler's worker threads claim and finish runs, the main thread
plans, arms and reloads.

The scheduling decisions live here (what :mod:`scraper.schedule` decides, applied to the table: the first
plan of each source, the re-plan after a reload, the arming after each run); :mod:`scraper.daemon` wires
them to APScheduler, signals and the heartbeat.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scraper.config import Config, SourceConfig
from scraper.runner import RunRecord, StoreLike, save_state
from scraper.schedule import Plan, Policy, Rand, SourceState, first_run, on_schedule_change, policy_for
from scraper.timer import JOB_EXECUTED, JOB_MAX_INSTANCES
from storage.util import format_time

logger = logging.getLogger("scraper.daemon")

#: Finished runs kept in memory (:attr:`Roster.history`).
HISTORY_SIZE = 1000
#: Seconds before a job that fired while its previous instance still held the executor is tried again.
MAX_INSTANCES_RETRY_S = 1.0
#: Interval used to re-arm a job that ended abnormally when the source has no interval of its own.
REARM_FALLBACK_S = 60.0


@dataclass
class Slot:
    """The daemon's view of one source: its config, its policy and the state last stored for it."""

    source: SourceConfig
    policy: Policy
    state: SourceState
    removed: bool = False
    next_plan: Plan | None = None
    generation: int = 0        # new (daemon-wide unique) at every arming; a job of an older one does nothing
    runs: int = 0


@dataclass(frozen=True)
class Claim:
    """A run that may start: what it runs with, read under the lock."""

    slot: Slot
    source: SourceConfig
    state: SourceState
    config: Config


@dataclass(frozen=True)
class Changes:
    added: list[str]
    removed: list[str]
    changed: list[str]


class Roster:
    """The sources of a running daemon. ``wake`` is called whenever a job is queued for arming."""

    def __init__(self, config: Config, *, now: Callable[[], datetime], rand: Rand,
                 wake: Callable[[], None]) -> None:
        self._now = now
        self._rand = rand
        self._wake = wake
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._config = config
        self._slots: dict[str, Slot] = {}
        # names of the sources crawling now; by name, not slot, so that a source removed and re-added by two
        # reloads while its old run goes on still never overlaps itself
        self._busy: set[str] = set()
        self._finished_runs = 0
        self._generations = itertools.count(1)
        self._to_arm: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()
        self.history: deque[RunRecord] = deque(maxlen=HISTORY_SIZE)

    # ---- reading ------------------------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._config

    @property
    def finished_runs(self) -> int:
        with self._lock:
            return self._finished_runs

    def busy(self) -> list[str]:
        """The sources crawling now, sorted."""
        with self._lock:
            return sorted(self._busy)

    def scheduled(self) -> dict[str, datetime | None]:
        """Each source's next planned run (None while it runs)."""
        with self._lock:
            return {n: (s.next_plan.next_run_at if s.next_plan and n not in self._busy else None)
                    for n, s in self._slots.items()}

    def policy_of(self, slot: Slot) -> Policy:
        with self._lock:
            return slot.policy

    # ---- planning -----------------------------------------------------------------------------------

    def add(self, source: SourceConfig, state: SourceState, now: datetime, store: StoreLike | None) -> None:
        """A source to run: plan its first run by the catch-up rule."""
        with self._lock:
            slot = Slot(source, policy_for(source, self._config.daemon), state)
            self._slots[source.name] = slot
            self._plan(slot, first_run(slot.policy, slot.state, now, self._rand), now, store)

    def _plan(self, slot: Slot, plan: Plan, now: datetime, store: StoreLike | None) -> None:
        """Store ``plan`` for ``slot`` and queue the arming of its job (caller holds the lock)."""
        name = slot.source.name
        slot.next_plan = plan
        slot.state = SourceState(last_run_at=slot.state.last_run_at, next_run_at=plan.next_run_at,
                                 interval_s=plan.interval_s, last_status=slot.state.last_status,
                                 consecutive_failures=plan.consecutive_failures)
        if store is not None:
            save_state(store, name, next_run_at=format_time(plan.next_run_at),
                       interval_s=round(plan.interval_s, 3), consecutive_failures=plan.consecutive_failures)
        logger.info("%s: next run %s (%s, in %.1fs)", name, format_time(plan.next_run_at), plan.reason,
                    plan.delay_s(now), extra={"source": name, "reason": plan.reason})
        self.queue_arm(name, 0)

    def apply(self, config: Config, sources: Sequence[SourceConfig], rows: Mapping[str, Mapping[str, Any]],
              now: datetime, store: StoreLike | None) -> Changes:
        """A reloaded config: drop removed sources, plan added ones, re-plan those whose policy changed.

        ``rows`` are the stored ``sources`` rows of the added ones.
        """
        wanted = {s.name: s for s in sources}
        changes = Changes([], [], [])
        with self._lock:
            self._config = config
            for name in list(self._slots):
                if name not in wanted:
                    self._slots.pop(name).removed = True   # its job, if it fires, does nothing
                    changes.removed.append(name)
            for name, src in wanted.items():
                slot = self._slots.get(name)
                if slot is None:
                    self.add(src, SourceState.from_row(rows.get(name)), now, store)
                    changes.added.append(name)
                elif self._replace_source(slot, src, now, store):
                    changes.changed.append(name)
        return changes

    def _replace_source(self, slot: Slot, src: SourceConfig, now: datetime, store: StoreLike | None) -> bool:
        """Give ``slot`` its reloaded config (caller holds the lock); False when nothing changed."""
        policy = policy_for(src, self._config.daemon)
        if slot.source == src and slot.policy == policy:
            return False
        old_policy = slot.policy
        slot.source, slot.policy = src, policy
        if policy != old_policy:
            if policy.schedule_key != old_policy.schedule_key:
                slot.state = on_schedule_change(policy, slot.state, now)
            if src.name not in self._busy:
                self._plan(slot, first_run(policy, slot.state, now, self._rand), now, store)
        return True

    # ---- arming ---------------------------------------------------------------------------------------

    def queue_arm(self, name: str, code: int) -> None:
        """Queue the (re)arming of ``name``'s job; ``code`` is the APScheduler event that ended its last job
        (0: newly planned). Takes no lock: called from APScheduler's listener too."""
        self._to_arm.put((name, code))
        self._wake()

    def armings(self, stopping: threading.Event) -> Iterator[tuple[str, datetime, int]]:
        """Drain the arming queue: ``(name, when, generation)`` for each job to arm now.

        A running source is skipped: it is queued again when its run ends.
        """
        while True:
            try:
                name, code = self._to_arm.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                slot = self._slots.get(name)
                if slot is None or slot.removed or name in self._busy or stopping.is_set():
                    continue
                plan = self._arming_plan(slot, code)
                slot.next_plan = plan
                slot.generation = next(self._generations)
                when, generation = plan.next_run_at, slot.generation
            yield name, when, generation

    def _arming_plan(self, slot: Slot, code: int) -> Plan:
        name = slot.source.name
        if code == JOB_MAX_INSTANCES and slot.next_plan is not None:
            # fired while an older instance still held the executor (a re-arm during a saturated pool): try
            # again shortly, keeping the plan
            retry = self._now() + timedelta(seconds=MAX_INSTANCES_RETRY_S)
            plan = slot.next_plan
            return Plan(max(retry, plan.next_run_at), plan.interval_s, plan.consecutive_failures, "retry")
        if slot.next_plan is None or code not in (0, JOB_EXECUTED):
            # the job was skipped or failed outside its guarded body (should not happen): never drop the
            # source, try again in one interval
            logger.error("%s: job event %s; re-arming", name, code, extra={"source": name})
            interval = slot.state.interval_s or REARM_FALLBACK_S
            return Plan(self._now() + timedelta(seconds=interval), interval, slot.state.consecutive_failures,
                        "rearm")
        return slot.next_plan

    # ---- runs -----------------------------------------------------------------------------------------

    def claim(self, name: str, generation: int, stopping: threading.Event) -> Claim | None:
        """Mark ``name`` running for the job of ``generation``; None when that job must do nothing (source
        removed or running, daemon stopping, job of an older arming)."""
        with self._lock:
            slot = self._slots.get(name)
            if (slot is None or slot.removed or stopping.is_set() or name in self._busy
                    or generation != slot.generation):
                return None
            self._busy.add(name)
            slot.next_plan = None
            return Claim(slot, slot.source, slot.state, self._config)

    def finish(self, slot: Slot, record: RunRecord, plan: Plan) -> None:
        """A claimed run ended: keep its state and plan (the main thread re-arms the job)."""
        with self._lock:
            slot.state = SourceState(last_run_at=record.started, next_run_at=plan.next_run_at,
                                     interval_s=plan.interval_s, last_status=record.status,
                                     consecutive_failures=plan.consecutive_failures)
            self._busy.discard(record.source)
            self._finished_runs += 1
            slot.runs += 1
            self.history.append(record)
            if not slot.removed:
                slot.next_plan = plan
            self._idle.notify_all()

    def wait_idle(self, deadline: float) -> list[str]:
        """Wait until no source crawls or ``time.monotonic()`` reaches ``deadline``; the ones still crawling."""
        with self._lock:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._idle.wait(timeout=left)
            return sorted(self._busy)
