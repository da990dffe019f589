"""The run bookkeeping and result queue in PostgreSQL (tables of :mod:`storage.pg_schema`).

A *run* (``kabar_runs``) is one requested crawl of one source, named by its run key; at most one run of a
source is open at a time (a unique partial index), so a second request joins the open one. Workers append
their results (``kabar_results``: pickled start / document / page / finish messages, in ``id`` order) and
the single writer takes them, applies them to SQLite and deletes them together with the attempt's tallied
counts in one PostgreSQL transaction. Payloads are pickles written by kabar's own workers: the cluster's
database is trusted like the config file.
"""

from __future__ import annotations

import json
import pickle
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

MAX_BATCH = 500


@dataclass(frozen=True)
class Message:
    id: int
    run_key: str
    attempt: int
    kind: str
    payload: Any


def new_run_key(source: str) -> str:
    return f"{source}:{uuid.uuid4().hex[:12]}"


def open_run(conn: psycopg.Connection[Any], source: str, requested_by: str) -> tuple[str, bool]:
    """The open run of ``source``, made when there is none: ``(run_key, created)``."""
    key = new_run_key(source)
    row = conn.execute("INSERT INTO kabar_runs (run_key, source, requested_by) VALUES (%s, %s, %s) "
                       "ON CONFLICT (source) WHERE state = 'open' DO NOTHING RETURNING run_key",
                       (key, source, requested_by)).fetchone()
    if row is not None:
        return key, True
    got = conn.execute("SELECT run_key FROM kabar_runs WHERE source = %s AND state = 'open'",
                       (source,)).fetchone()
    if got is None:     # written between the two statements: try again
        return open_run(conn, source, requested_by)
    return str(got[0]), False


def set_job(conn: psycopg.Connection[Any], run_key: str, job_id: int | None) -> None:
    conn.execute("UPDATE kabar_runs SET job_id = %s WHERE run_key = %s", (job_id, run_key))


def next_attempt(conn: psycopg.Connection[Any], run_key: str) -> int | None:
    """Count one more attempt of a run; None when the run is not open any more."""
    row = conn.execute("UPDATE kabar_runs SET attempts = attempts + 1 WHERE run_key = %s AND state = 'open' "
                       "RETURNING attempts", (run_key,)).fetchone()
    return int(row[0]) if row else None


def run_row(conn: psycopg.Connection[Any], run_key: str) -> dict[str, Any] | None:
    """``state``, ``job_id``, ``summary`` and the procrastinate job's ``job_status`` of a run."""
    row = conn.execute("SELECT r.state, r.job_id, r.summary, j.status::text FROM kabar_runs r "
                       "LEFT JOIN procrastinate_jobs j ON j.id = r.job_id WHERE r.run_key = %s",
                       (run_key,)).fetchone()
    if row is None:
        return None
    return {"state": row[0], "job_id": row[1], "summary": row[2], "job_status": row[3]}


def open_runs(conn: psycopg.Connection[Any]) -> list[tuple[str, str]]:
    return [(str(k), str(s)) for k, s in conn.execute(
        "SELECT run_key, source FROM kabar_runs WHERE state = 'open' ORDER BY created_at")]


def post(conn: psycopg.Connection[Any], run_key: str, attempt: int, kind: str, payload: Any) -> None:
    """Append one message of an attempt for the writer."""
    conn.execute("INSERT INTO kabar_results (run_key, attempt, kind, payload) VALUES (%s, %s, %s, %s)",
                 (run_key, attempt, kind, pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)))


def take(conn: psycopg.Connection[Any], limit: int = MAX_BATCH) -> list[Message]:
    """The oldest waiting messages (not removed: :func:`done` removes them once applied)."""
    rows = conn.execute("SELECT id, run_key, attempt, kind, payload FROM kabar_results ORDER BY id LIMIT %s",
                        (limit,)).fetchall()
    return [Message(int(i), str(k), int(a), str(kind), pickle.loads(p)) for i, k, a, kind, p in rows]


def pending_for(conn: psycopg.Connection[Any], run_key: str) -> int:
    row = conn.execute("SELECT count(*) FROM kabar_results WHERE run_key = %s", (run_key,)).fetchone()
    return int(row[0]) if row else 0


def pending_count(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT count(*) FROM kabar_results").fetchone()
    return int(row[0]) if row else 0


def attempts(conn: psycopg.Connection[Any], run_key: str) -> list[dict[str, Any]]:
    return [{"attempt": a, "run_id": r, "counts": dict(c), "finished": f} for a, r, c, f in conn.execute(
        "SELECT attempt, run_id, counts, finished FROM kabar_attempts WHERE run_key = %s ORDER BY attempt",
        (run_key,))]


def done(conn: psycopg.Connection[Any], ids: Iterable[int], states: Mapping[tuple[str, int], dict[str, Any]],
         written: Mapping[str, dict[str, Any]]) -> None:
    """In one transaction: remove applied messages, save the attempts' state (``run_id``, ``counts``,
    ``finished``) and mark runs written with their summary."""
    with conn.transaction():
        for (key, attempt), st in states.items():
            conn.execute("INSERT INTO kabar_attempts (run_key, attempt, run_id, counts, finished) "
                         "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (run_key, attempt) DO UPDATE SET "
                         "run_id = excluded.run_id, counts = excluded.counts, finished = excluded.finished",
                         (key, attempt, st.get("run_id"), Jsonb(st.get("counts", {})), bool(st.get("finished"))))
        for key, summary in written.items():
            conn.execute("UPDATE kabar_runs SET state = 'written', summary = %s, written_at = clock_timestamp() "
                         "WHERE run_key = %s", (Jsonb(json.loads(json.dumps(summary))), key))
        conn.execute("DELETE FROM kabar_results WHERE id = ANY(%s)", (list(ids),))


# -- workers ---------------------------------------------------------------------------------------------


def worker_beat(conn: psycopg.Connection[Any], name: str, hostname: str, pid: int, state: str,
                source: str | None, run_key: str | None) -> None:
    conn.execute("INSERT INTO kabar_workers (name, hostname, pid, state, source, run_key) "
                 "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
                 "source = excluded.source, run_key = excluded.run_key, heartbeat_at = clock_timestamp()",
                 (name, hostname, pid, state, source, run_key))


def workers(conn: psycopg.Connection[Any], alive_within_s: float) -> list[dict[str, Any]]:
    """Every worker seen in the last day: name, state, source, heartbeat age, alive."""
    rows = conn.execute(
        "SELECT name, hostname, pid, state, source, heartbeat_at, "
        "extract(epoch FROM clock_timestamp() - heartbeat_at) FROM kabar_workers "
        "WHERE heartbeat_at > clock_timestamp() - interval '1 day' ORDER BY name").fetchall()
    return [{"name": n, "hostname": h, "pid": p, "state": st, "source": src,
             "heartbeat_at": hb.isoformat(timespec="seconds"), "age_s": float(age),
             "alive": st != "stopped" and float(age) <= alive_within_s}
            for n, h, p, st, src, hb, age in rows]


def queue_depth(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Jobs waiting (``todo``) and running (``doing``), and results waiting for the writer."""
    counts = dict.fromkeys(("todo", "doing"), 0)
    for status, n in conn.execute("SELECT status::text, count(*) FROM procrastinate_jobs "
                                  "WHERE status IN ('todo', 'doing') GROUP BY status"):
        counts[str(status)] = int(n)
    counts["results"] = pending_count(conn)
    return counts
