"""The crawl's bookkeeping tables: ``runs``, ``sources`` and ``pages`` (the fetch state of each URL).

Each function runs its statements on a connection inside the caller's transaction
(:meth:`storage.store.Store.transaction`) and checks its arguments first; times are the stored form of
:func:`storage.util.format_time`, given by the caller.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from storage.records import RUN_COUNTS, PageState, PageUpdate

logger = logging.getLogger(__name__)

RUN_STATUSES = frozenset({"running", "ok", "failed", "interrupted"})
SOURCE_FIELDS = frozenset({"last_run_at", "next_run_at", "last_status", "interval_s", "consecutive_failures"})
_SETS = ", ".join(f"{name} = ?" for name in RUN_COUNTS)
_PAGE_COLUMNS = "url, source, status, etag, last_modified, content_hash, fetched_at, error"
GONE_STATUSES = frozenset({404, 410})     # answers counted in page_gone (its triggers: migration 0011)


# ---- runs ----------------------------------------------------------------------------------------------
def start_run(conn: sqlite3.Connection, source: str, now: str, owner: str | None = None) -> int:
    """Open a ``running`` run of ``source``; ``owner`` is the process running it (``pid@host``)."""
    ensure_sources(conn, [source], now)
    cur = conn.execute("INSERT INTO runs (source, started_at, status, owner) VALUES (?, ?, 'running', ?)",
                       (source, now, owner))
    return int(cur.lastrowid or 0)


def check_finish(status: str, counts: Mapping[str, int]) -> None:
    """A ValueError unless ``status`` ends a run and ``counts`` names only :data:`RUN_COUNTS`."""
    if status not in RUN_STATUSES - {"running"}:
        raise ValueError(f"run status must be ok, failed or interrupted, not {status!r}")
    unknown = set(counts) - set(RUN_COUNTS)
    if unknown:
        raise ValueError(f"unknown run counts: {', '.join(sorted(unknown))}")


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, counts: Mapping[str, int], now: str,
               error: str | None) -> None:
    """Close a run (see :meth:`storage.store.Store.finish_run`)."""
    values = [int(counts.get(name, 0)) for name in RUN_COUNTS]
    cur = conn.execute(f"UPDATE runs SET status = ?, finished_at = ?, error = ?, {_SETS} WHERE id = ?",
                       (status, now, error, *values, run_id))
    if cur.rowcount == 0:
        raise ValueError(f"no run with id {run_id}")
    conn.execute("UPDATE sources SET last_run_at = ?, last_status = ? WHERE name = "
                 "(SELECT source FROM runs WHERE id = ?)", (now, status, run_id))


def note_run_error(conn: sqlite3.Connection, source: str, run_id: int | None, error: str) -> int:
    """Give a failed or interrupted run that has no reason this one: run ``run_id``, or (when the crawl raised
    before returning its id) the source's latest run. A recorded reason is kept. Returns rows changed."""
    if run_id is None:
        row = conn.execute("SELECT max(id) FROM runs WHERE source = ?", (source,)).fetchone()
        run_id = row[0] if row else None
        if run_id is None:
            return 0
    cur = conn.execute("UPDATE runs SET error = ? WHERE id = ? AND source = ? AND error IS NULL "
                       "AND status IN ('failed', 'interrupted')", (error, run_id, source))
    return int(cur.rowcount)


def recover_interrupted(conn: sqlite3.Connection, now: str,
                        alive: Callable[[str | None], bool] = lambda owner: False) -> int:
    """Mark the runs left ``running`` whose owner is dead (``alive(owner)`` false) as ``interrupted``;
    returns how many. A live process's run is left alone."""
    rows = conn.execute("SELECT id, owner FROM runs WHERE status = 'running'").fetchall()
    dead = [(int(run_id),) for run_id, owner in rows if not alive(owner)]
    conn.executemany("UPDATE runs SET status = 'interrupted', finished_at = COALESCE(finished_at, ?), "
                     "error = COALESCE(error, 'process ended while running') WHERE id = ?",
                     [(now, run_id) for (run_id,) in dead])
    if dead:
        logger.info("%d interrupted run(s) recovered", len(dead))
    if len(dead) < len(rows):
        logger.info("%d run(s) left running: their process is alive", len(rows) - len(dead))
    return len(dead)


def interrupt_source_runs(conn: sqlite3.Connection, source: str, now: str) -> int:
    """Mark the runs of ``source`` still ``running`` as ``interrupted`` (a crawl abandoned by a stopping
    daemon, whose thread still holds the store: run on a connection of its own); returns how many."""
    cur = conn.execute("UPDATE runs SET status = 'interrupted', finished_at = ?, "
                       "error = COALESCE(error, 'abandoned: the daemon stopped before the run ended') "
                       "WHERE source = ? AND status = 'running'", (now, source))
    return int(cur.rowcount)


# ---- sources -------------------------------------------------------------------------------------------
def ensure_sources(conn: sqlite3.Connection, names: Iterable[str], now: str) -> None:
    conn.executemany("INSERT OR IGNORE INTO sources (name, created_at) VALUES (?, ?)",
                     [(name, now) for name in names])


def check_source_fields(fields: Mapping[str, Any]) -> None:
    """A ValueError unless ``fields`` are :data:`SOURCE_FIELDS` and a ``last_status`` is a run status."""
    unknown = set(fields) - SOURCE_FIELDS
    if unknown:
        raise ValueError(f"unknown source fields: {', '.join(sorted(unknown))}")
    if "last_status" in fields and fields["last_status"] not in RUN_STATUSES | {None}:
        raise ValueError(f"last_status must be a run status, not {fields['last_status']!r}")


def update_source(conn: sqlite3.Connection, name: str, fields: Mapping[str, Any], now: str) -> None:
    ensure_sources(conn, [name], now)
    if fields:
        names = sorted(fields)
        conn.execute(f"UPDATE sources SET {', '.join(f'{n} = ?' for n in names)} WHERE name = ?",
                     (*[fields[n] for n in names], name))


def sources(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    cur = conn.execute("SELECT * FROM sources ORDER BY name")
    cur.row_factory = sqlite3.Row
    return [dict(r) for r in cur.fetchall()]


# ---- pages ---------------------------------------------------------------------------------------------
def page_state(conn: sqlite3.Connection, url: str) -> PageState | None:
    row = conn.execute(f"SELECT {_PAGE_COLUMNS} FROM pages WHERE url = ?", (url,)).fetchone()
    return PageState(*row) if row else None


def record_page(conn: sqlite3.Connection, page: PageUpdate, now: str) -> None:
    """Upsert the fetch state: validators and hash left None keep their stored values (the triggers of
    ``page_gone`` count consecutive 404/410 answers)."""
    conn.execute(
        f"INSERT INTO pages ({_PAGE_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET source = excluded.source, "
        "status = excluded.status, etag = COALESCE(excluded.etag, pages.etag), "
        "last_modified = COALESCE(excluded.last_modified, pages.last_modified), "
        "content_hash = COALESCE(excluded.content_hash, pages.content_hash), "
        "fetched_at = excluded.fetched_at, error = excluded.error",
        (page.url, page.source, page.status, page.etag, page.last_modified, page.content_hash, now, page.error))


def gone_answers(conn: sqlite3.Connection, url: str) -> int:
    """The consecutive 404/410 answers stored for exactly ``url`` (0 when none or unknown)."""
    row = conn.execute("SELECT answers FROM page_gone WHERE url = ?", (url,)).fetchone()
    return int(row[0]) if row else 0


def gone_pages(conn: sqlite3.Connection, source: str, answers: int) -> dict[str, str | None]:
    """URL -> time of the last answer of the pages of ``source`` with at least ``answers`` consecutive
    404/410 answers."""
    if answers < 1:
        raise ValueError(f"answers must be >= 1, not {answers}")
    cur = conn.execute("SELECT g.url, g.last_at FROM page_gone g JOIN pages p ON p.url = g.url "
                       "WHERE p.source = ? AND g.answers >= ?", (source, answers))
    return {str(url): last_at for url, last_at in cur}
