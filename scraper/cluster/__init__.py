"""Crawl workers on PostgreSQL (``[cluster]``): procrastinate jobs, one SQLite writer.

::

    kabar daemon (writer)  --defer "crawl source S" (queueing lock S)-->  procrastinate_jobs
         ^   schedules (scraper.daemon), applies results to SQLite,          |
         |   mirrors the frontier state to PostgreSQL                         v
    kabar_results  <--start / doc / page / finish messages--  kabar worker (any machine): crawl_source()
                                                               with a RemoteStore, host leases in PG

* :mod:`scraper.cluster.app` — the procrastinate app and its tasks (crawl one source; retry stalled jobs);
* :mod:`scraper.cluster.remote` — the worker's side of a run: frontier lookups in PostgreSQL, results
  posted there, the per-host gate;
* :mod:`scraper.cluster.worker` — ``kabar worker``: heartbeat, signals, the procrastinate worker;
* :mod:`scraper.cluster.writer` — the single writer: results applied to SQLite, the frontier mirrored;
* :mod:`scraper.cluster.runs` — requesting runs and waiting for them (``kabar daemon``, ``kabar crawl``).

Nothing here is imported (nor psycopg, nor procrastinate) unless a DSN is configured.
"""

from __future__ import annotations

import os

from scraper.config import Config


def cluster_dsn(config: Config) -> str | None:
    """The cluster's DSN (``KABAR_CLUSTER_DSN``, else ``[cluster] dsn``), checked; None: no cluster.

    Raises :class:`storage.pg_conn.BadDsnError` (exit 2) for a malformed one."""
    dsn = config.cluster.resolved_dsn()
    if not dsn:
        return None
    from storage.pg_conn import check_dsn

    where = ("KABAR_CLUSTER_DSN" if os.environ.get("KABAR_CLUSTER_DSN")
             else f"{config.path or '<config>'}: cluster.dsn")
    return check_dsn(dsn, where)
