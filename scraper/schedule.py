"""When does each source run next? The daemon's scheduling policy, as pure functions.

Everything here is a function of (the source's config, its stored state, the outcome of a run, ``now``,
``rand``): no clock is read and no randomness is drawn behind the caller's back, so every rule is tested
exactly with a fixed clock. :mod:`scraper.daemon` stores the result in the ``sources`` table and arms one
APScheduler date job per source with it.

The rules:

* **Schedules.** ``schedule = "every 15m"`` (units s, m, h, d) or ``cron = "*/15 * * * *"`` (standard
  cron, read in ``[daemon].timezone``: see :mod:`scraper.cron`); sources with neither use
  ``[daemon].default_schedule``.
* **Cron sources fire at their cron times**, as cron does: after every run (failed ones included) the next
  run is the expression's next fire time after the end of the run; no jitter, no adaptive or failure
  back-off. A never-run cron source runs once at start; one whose slot passed while the daemon was down
  runs once at start.
* **Jitter** (interval sources). Each delay is stretched by a random fraction ``rand() * jitter`` of itself
  (``jitter = 0.1``: up to 10 % later), so sources configured alike drift apart instead of hitting the
  network in step. A delay at its cap is shortened instead, so a cap is never exceeded.
* **Fixed rate.** An interval source's next run is measured from the *start* of the previous run; a run
  that takes longer than the interval is followed at once by the next one (never overlapped, never queued
  twice).
* **Adaptive polling** (``adaptive = true``, interval sources only). A successful run that found no new
  article multiplies the interval by :data:`GROWTH`, step by step up to ``max_interval``; a run that found
  news returns to the configured interval at once.
* **Failure back-off** (interval sources). A failed run (``runs.status = failed`` or an exception) waits
  ``interval * 2**failures`` (jittered) up to ``max_backoff`` instead of dropping the source; the next
  successful run returns to the configured interval.
* **Catch-up after a restart** (:func:`first_run`): a source that fell due while the daemon was down runs
  **once**, soon after start (not once per missed slot); one that is not due yet waits for its stored
  ``next_run_at``; a run cut short (``running``/``interrupted``) is redone soon.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from scraper.config import DaemonConfig, SourceConfig, parse_schedule
from scraper.cron import cron_next, cron_period

#: Factor applied to the interval of an adaptive source after each run that found nothing new.
GROWTH = 1.5
#: Upper bound of the random spread of catch-up runs at start-up (seconds), so that many overdue sources
#: do not all start in the same second.
MAX_STARTUP_SPREAD_S = 10.0

Rand = Callable[[], float]


@dataclass(frozen=True)
class Policy:
    """The scheduling knobs of one source, resolved from its config and ``[daemon]``."""

    interval_s: float | None          # fixed interval; None for a cron source
    cron: str | None                  # five-field crontab expression; None for an interval source
    jitter: float = 0.1
    adaptive: bool = True
    max_interval_s: float = 6 * 3600.0
    max_backoff_s: float = 3600.0
    timezone: str = "UTC"             # IANA zone in which ``cron`` is read

    @property
    def schedule_key(self) -> tuple[float | None, str | None, str]:
        """What decides the run times (a change of it on reload re-plans the source)."""
        return self.interval_s, self.cron, self.timezone

    def __post_init__(self) -> None:
        if (self.interval_s is None) == (self.cron is None):
            raise ValueError("a policy needs exactly one of interval_s and cron")

    @property
    def is_cron(self) -> bool:
        return self.cron is not None


def policy_for(source: SourceConfig, daemon: DaemonConfig) -> Policy:
    """The policy of ``source``: its own ``schedule``/``cron``, else ``daemon.default_schedule``."""
    if source.cron:
        interval, cron = None, source.cron
    else:
        interval, cron = parse_schedule(source.schedule or daemon.default_schedule), None
    return Policy(interval_s=interval, cron=cron, jitter=daemon.jitter, adaptive=daemon.adaptive,
                  max_interval_s=daemon.max_interval_s, max_backoff_s=daemon.max_backoff_s,
                  timezone=daemon.timezone)


@dataclass(frozen=True)
class SourceState:
    """What the ``sources`` table remembers of a source between runs and across restarts."""

    last_run_at: datetime | None = None
    next_run_at: datetime | None = None
    interval_s: float | None = None
    last_status: str | None = None
    consecutive_failures: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | None) -> SourceState:
        """Build from a ``sources`` row (ISO 8601 text times); missing or empty columns become None."""
        if not row:
            return cls()
        interval = row.get("interval_s")
        return cls(
            last_run_at=parse_time(row.get("last_run_at")),
            next_run_at=parse_time(row.get("next_run_at")),
            interval_s=float(interval) if interval not in (None, "") else None,
            last_status=row.get("last_status") or None,
            consecutive_failures=int(row.get("consecutive_failures") or 0),
        )


@dataclass(frozen=True)
class Plan:
    """The decision for a source: when it runs next and what to store."""

    next_run_at: datetime
    interval_s: float                 # the current (adapted or backed-off) interval, for `kabar stats`
    consecutive_failures: int
    reason: str                       # new | overdue | redo | waiting | news | quiet | failed | interrupted | cron

    def delay_s(self, now: datetime) -> float:
        return max(0.0, (self.next_run_at - now).total_seconds())


# --------------------------------------------------------------------------------------------------
# time helpers


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 text (as stored) -> aware UTC datetime; None/empty -> None. Naive times are taken as UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        dt = datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def next_slot(policy: Policy, after: datetime) -> datetime:
    """A cron source's first fire time strictly after ``after`` (UTC)."""
    assert policy.cron is not None
    return cron_next(policy.cron, after, policy.timezone)


def base_interval(policy: Policy, now: datetime) -> float:
    """The configured interval; for a cron source the distance between its next two fire times."""
    if policy.interval_s is not None:
        return policy.interval_s
    assert policy.cron is not None
    return cron_period(policy.cron, now, policy.timezone)


def jittered(delay: float, fraction: float, rand: Rand, *, cap: float = math.inf) -> float:
    """``delay`` stretched by up to ``fraction`` of itself; at (or above) ``cap`` shortened instead."""
    if delay >= cap:
        return cap * (1.0 - fraction * rand())
    return min(delay * (1.0 + fraction * rand()), cap)


# --------------------------------------------------------------------------------------------------
# the rules


def adaptive_cap(policy: Policy, base: float) -> float:
    return max(policy.max_interval_s, base)


def backoff_cap(policy: Policy, base: float) -> float:
    return max(policy.max_backoff_s, base)


def grow_interval(policy: Policy, current: float | None, base: float) -> float:
    """One adaptive step for a run that found nothing new: ``current * GROWTH`` capped at max_interval."""
    start = max(current or base, base)
    return min(start * GROWTH, adaptive_cap(policy, base))


def failure_delay(policy: Policy, failures: int, base: float) -> float:
    """Un-jittered wait after the ``failures``-th failed run in a row (1, 2, ...): base * 2**failures."""
    if failures < 1:
        return base
    exponent = min(failures, 60)  # 2**60 * any positive base is far above any cap
    return min(base * 2.0 ** exponent, backoff_cap(policy, base))


def after_run(policy: Policy, state: SourceState, *, status: str, new: int, started: datetime,
              now: datetime, rand: Rand) -> Plan:
    """The next run of a source whose run began at ``started`` and ended at ``now``.

    ``status`` is the ``runs.status`` of the run (``ok``, ``failed`` or ``interrupted``); an exception
    from the crawl counts as ``failed``. ``new`` is the number of new articles it stored.
    """
    base = base_interval(policy, now)
    if status == "interrupted":
        # The daemon is stopping (or the crawl was cut short): the run did not complete, so it is due again
        # as soon as the daemon runs; the interval and failure count are left as they were.
        return Plan(now, state.interval_s or base, state.consecutive_failures, "interrupted")

    if policy.cron is not None:
        # as cron does: the next fire time, whatever the outcome (a failure is only counted)
        if status == "failed":
            return Plan(next_slot(policy, now), base, state.consecutive_failures + 1, "failed")
        return Plan(next_slot(policy, now), base, 0, "cron")

    if status == "failed":
        failures = state.consecutive_failures + 1
        cap = backoff_cap(policy, base)
        delay = jittered(failure_delay(policy, failures, base), policy.jitter, rand, cap=cap)
        return Plan(now + timedelta(seconds=delay), delay, failures, "failed")

    # a successful run
    if policy.adaptive and new == 0 and state.consecutive_failures == 0:
        interval, reason = grow_interval(policy, state.interval_s, base), "quiet"
    else:
        interval, reason = base, "news" if new > 0 else "interval"
    delay = jittered(interval, policy.jitter, rand)
    when = max(started + timedelta(seconds=delay), now)
    return Plan(when, interval, 0, reason)


def longest_wait(policy: Policy, state: SourceState, now: datetime) -> float:
    """The longest delay the current (interval) policy could have produced: bounds a stored
    ``next_run_at``."""
    base = base_interval(policy, now)
    longest = adaptive_cap(policy, base) if policy.adaptive else base
    if state.consecutive_failures:
        longest = max(longest, backoff_cap(policy, base))
    return longest * (1.0 + policy.jitter)


def first_run(policy: Policy, state: SourceState, now: datetime, rand: Rand) -> Plan:
    """The catch-up rule: when a source runs first after the daemon (re)starts.

    * never run (no ``next_run_at``): soon;
    * its last run was cut short (``last_status`` ``running`` or ``interrupted``): soon, to redo it;
    * due while the daemon was down (``next_run_at <= now``): soon, **once**, however many slots passed;
    * not due yet: at its stored ``next_run_at``, bounded by what the current config could produce (a
      shortened interval or a lowered cap takes effect without waiting out the old, longer delay).

    "Soon" is ``now`` plus a random spread of up to ``jitter * interval`` (at most
    :data:`MAX_STARTUP_SPREAD_S`), so that many due sources do not start in the same instant. A cron
    source has no spread, and one not due yet waits for its expression's next fire time.
    """
    if policy.cron is not None:
        return _first_cron_run(policy, state, now)
    base = base_interval(policy, now)
    spread = timedelta(seconds=rand() * min(policy.jitter * base, MAX_STARTUP_SPREAD_S))
    interval = state.interval_s or base
    if not state.consecutive_failures:
        cap = adaptive_cap(policy, base) if policy.adaptive else base
        interval = min(max(interval, base), cap)
    failures = state.consecutive_failures

    if state.next_run_at is None:
        return Plan(now + spread, interval, failures, "new")
    if state.last_status in ("running", "interrupted"):
        return Plan(now + spread, interval, failures, "redo")
    if state.next_run_at <= now:
        return Plan(now + spread, interval, failures, "overdue")
    latest = now + timedelta(seconds=longest_wait(policy, state, now))
    return Plan(min(state.next_run_at, latest), interval, failures, "waiting")


def _first_cron_run(policy: Policy, state: SourceState, now: datetime) -> Plan:
    """:func:`first_run` for a cron source: at once when never run, cut short or overdue, else at the next
    fire time (a stored time the current expression or time zone would not give is not kept)."""
    base = base_interval(policy, now)
    failures = state.consecutive_failures
    if state.next_run_at is None:
        return Plan(now, base, failures, "new")
    if state.last_status in ("running", "interrupted"):
        return Plan(now, base, failures, "redo")
    if state.next_run_at <= now:
        return Plan(now, base, failures, "overdue")
    return Plan(next_slot(policy, now), base, failures, "waiting")


def on_schedule_change(policy: Policy, state: SourceState, now: datetime) -> SourceState:
    """A source's schedule changed (SIGHUP reload): forget the adapted interval and, when the new
    interval makes it due earlier than planned, bring ``next_run_at`` forward (never later). A cron
    source takes its new expression's next slot after its last run."""
    if policy.cron is not None:
        # the new expression's first slot after the last run: due now when one passed since
        return replace(state, next_run_at=next_slot(policy, state.last_run_at or now), interval_s=None)
    candidate = (state.last_run_at or now) + timedelta(seconds=base_interval(policy, now))
    nxt = state.next_run_at
    if nxt is None or candidate < nxt:
        nxt = candidate
    return replace(state, next_run_at=nxt, interval_s=None)
