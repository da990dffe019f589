"""Per-host politeness across every worker of the cluster: one row per host:port, one lease per request.

A request may start when fewer than ``concurrency`` leases of its host are live and ``delay`` seconds have
passed since the host's last request *started or ended* (the row's ``last_start``, moved again when a
lease is released): measuring from the end of the previous request as well keeps the gap seen by the
server at least ``delay`` even when a worker sends a little after its grant. The largest delay any
worker asked for (a robots.txt ``Crawl-delay``) is kept in the row and holds for all. Times are
PostgreSQL's clock, one clock for every machine; a dead worker's lease expires after ``lease_s``.
"""

from __future__ import annotations

from typing import Any

import psycopg


def try_acquire(conn: psycopg.Connection[Any], host: str, token: str, *, delay: float, concurrency: int,
                lease_s: float) -> float | None:
    """Take a lease on ``host`` now (None) or say how many seconds to wait before trying again."""
    with conn.transaction():
        conn.execute("INSERT INTO kabar_hosts (host) VALUES (%s) ON CONFLICT DO NOTHING", (host,))
        row = conn.execute(
            "SELECT extract(epoch FROM (last_start + make_interval(secs => GREATEST(delay, %s))) "
            "- clock_timestamp()), delay FROM kabar_hosts WHERE host = %s FOR UPDATE", (delay, host)).fetchone()
        assert row is not None
        wait = float(row[0]) if row[0] is not None else 0.0
        conn.execute("DELETE FROM kabar_host_leases WHERE host = %s AND expires_at < clock_timestamp()", (host,))
        live = conn.execute("SELECT count(*) FROM kabar_host_leases WHERE host = %s", (host,)).fetchone()
        if live is not None and int(live[0]) >= concurrency:
            return max(0.02, min(wait, 0.1)) if wait > 0 else 0.05
        if wait > 0:
            return wait
        conn.execute("INSERT INTO kabar_host_leases (token, host, expires_at) "
                     "VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s))", (token, host, lease_s))
        conn.execute("UPDATE kabar_hosts SET last_start = clock_timestamp(), delay = GREATEST(delay, %s) "
                     "WHERE host = %s", (delay, host))
        return None


def release(conn: psycopg.Connection[Any], host: str, token: str) -> None:
    """End a lease; the host's next request waits its delay from now."""
    with conn.transaction():
        conn.execute("DELETE FROM kabar_host_leases WHERE token = %s", (token,))
        conn.execute("UPDATE kabar_hosts SET last_start = GREATEST(last_start, clock_timestamp()) "
                     "WHERE host = %s", (host,))
