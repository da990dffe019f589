"""``kabar stats --health``: is a daemon alive on this database? Reads only the heartbeat row.

Depends on storage alone (not on the daemon or APScheduler), so the check starts fast and works where the
daemon's dependencies are not importable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from storage.heartbeat import Heartbeat, read_heartbeat

#: A heartbeat older than this many beats means the daemon is stalled.
STALE_BEATS = 3


@dataclass(frozen=True)
class Health:
    ok: bool
    message: str
    heartbeat: Heartbeat | None
    age_s: float | None


def check_health(db_path: str, *, max_age_s: float | None = None, now: datetime | None = None) -> Health:
    """Is a daemon alive on ``db_path``? Healthy means: state ``running`` and a heartbeat younger than
    ``max_age_s`` (default: :data:`STALE_BEATS` heartbeat intervals).

    Raises :class:`storage.errors.StorageError` when the database cannot be read.
    """
    hb = read_heartbeat(db_path)
    if hb is None:
        return Health(False, "no daemon heartbeat in this database", None, None)
    now = now or datetime.now(UTC)
    age = (now - hb.beat_at).total_seconds()
    limit = max_age_s if max_age_s is not None else STALE_BEATS * hb.interval_s
    where = f"pid {hb.pid}" + (f" on {hb.host}" if hb.host else "")
    if hb.state != "running":
        return Health(False, f"daemon {where} is {hb.state} (last heartbeat {age:.0f}s ago)", hb, age)
    if age > limit:
        return Health(False, f"daemon {where} is stalled: last heartbeat {age:.0f}s ago (limit {limit:.0f}s)",
                      hb, age)
    running = f", crawling {hb.running}" if hb.running else ""
    return Health(True, f"daemon {where} is running: last heartbeat {age:.0f}s ago{running}", hb, age)
