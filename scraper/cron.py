"""Five-field crontab expressions in standard (Vixie/Debian cron) semantics, evaluated by ``cronsim``.

* fields ``minute hour day-of-month month day-of-week``; ranges, lists and steps (``1-5``, ``1,15``,
  ``*/15``); month and day names (``jan``, ``mon-fri``, any case);
* day-of-week 0 and 7 are both Sunday;
* when day-of-month and day-of-week are both restricted (neither starts with ``*``), a day matches if
  **either** matches: ``0 6 13 * 5`` is 06:00 on every 13th and on every Friday;
* the macros ``@hourly``, ``@daily``/``@midnight``, ``@weekly``, ``@monthly``, ``@yearly``/``@annually``;
* times are wall-clock times in a time zone (``[daemon].timezone``, an IANA name, default UTC). Across a
  daylight-saving change a fixed time that does not exist that day fires when the clock jumps past it, and
  one that exists twice fires once (as Debian cron does). Results are returned in UTC.

APScheduler's ``CronTrigger`` is not used for this: it counts day-of-week from Monday = 0 and ANDs the day
fields (agronholm/apscheduler#286).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

#: The ``@`` shorthands and the five-field expressions they stand for.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

#: Longest expression accepted (config text; cronsim itself has no limit).
MAX_EXPRESSION_CHARS = 200
#: Iterations allowed to step over fire times that fall before the start (an hour repeated by DST).
_MAX_STEPS = 100


def expand(expr: str) -> str:
    """``@daily`` -> ``0 0 * * *``; any other text is returned stripped, with single spaces."""
    text = " ".join(expr.split())
    return MACROS.get(text.lower(), text)


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The time zone named ``name`` (IANA, e.g. ``Asia/Jakarta``). Raises ValueError for an unknown name."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r} (expected an IANA name such as 'Asia/Jakarta' or "
                         "'UTC')") from None


def validate_cron(text: str) -> str:
    """Check a five-field crontab expression (or a macro). Returns ``text``; raises ValueError."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"crontab expression longer than {MAX_EXPRESSION_CHARS} characters")
    expr = expand(text)
    if expr.startswith("@"):
        raise ValueError(f"unknown crontab macro {text!r} (expected one of: {', '.join(MACROS)})")
    if len(expr.split()) != 5:
        raise ValueError(f"expected a five-field crontab expression such as '*/15 * * * *', got {text!r}")
    try:
        next(CronSim(expr, datetime(2000, 1, 1, tzinfo=UTC)))
    except CronSimError as exc:
        raise ValueError(f"invalid crontab expression {text!r}: {exc}") from None
    except StopIteration:
        raise ValueError(f"crontab expression {text!r} never fires") from None
    return text


def cron_next(expr: str, after: datetime, tz: str = "UTC") -> datetime:
    """The first fire time of ``expr`` (wall-clock times in zone ``tz``) strictly after ``after``, in UTC."""
    start = after.astimezone(zone(tz))
    times = CronSim(expand(expr), start)
    for _ in range(_MAX_STEPS):
        try:
            nxt = next(times)
        except StopIteration:  # pragma: no cover - validated expressions fire within 50 years
            break
        # inside an hour repeated by DST the evaluator may answer a time of the hour's first pass
        if nxt > after:
            return nxt.astimezone(UTC)
    raise ValueError(f"crontab expression {expr!r} never fires after {after.isoformat()}")


def cron_period(expr: str, after: datetime, tz: str = "UTC") -> float:
    """Seconds between the next two fire times of ``expr`` after ``after``: a cron source's interval."""
    first = cron_next(expr, after, tz)
    return (cron_next(expr, first, tz) - first).total_seconds()
