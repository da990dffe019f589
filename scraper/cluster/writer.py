"""The cluster's single SQLite writer: the workers' results applied in order, the frontier mirrored back.

Whoever holds the database's writer lock runs a :class:`Writer` (``kabar daemon``, else the ``kabar crawl``
that took the lock). Each :meth:`Writer.cycle` takes the oldest messages of ``kabar_results`` and applies
them exactly as a one-machine crawl writes: ``start`` opens a ``runs`` row, ``doc`` records a listing's or
feed's fetch state, ``page`` goes through :func:`storage.outcome.record` (the store's dedupe, story
features compared with the archive, the canonical rules) and is counted here, ``finish`` closes the run
with these counts plus the worker's count of documents. Then the URLs touched are mirrored to PostgreSQL
(:func:`storage.pg_frontier.push`) and, in one PostgreSQL transaction, the messages removed and the
attempts' state saved. An attempt whose worker was lost (a newer attempt starts, or the job ended without
a final ``finish``: a ``lost`` message) is closed ``interrupted``. A crash between the SQLite commit and
the PostgreSQL one applies those messages again: articles are keyed by URL, so they are not stored twice.

:class:`StallWatch` runs procrastinate's stalled-job recovery every few seconds beside it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from scraper.cluster.app import make_app, retry_stalled
from storage import pg_frontier, pg_queue
from storage.outcome import record
from storage.pg_conn import PgLink
from storage.records import RUN_COUNTS, PageOutcome
from storage.store import Store
from storage.util import utcnow_iso

log = logging.getLogger(__name__)

OUTCOME_COLUMNS = RUN_COUNTS[2:]
LOST_REASON = "worker lost mid-run (no heartbeat within stall_timeout): run again as attempt {n}"


class Writer:
    """Applies the cluster's results to ``store`` (the holder of the writer lock only)."""

    def __init__(self, store: Store, dsn: str, *, gone_after: int, stop: threading.Event | None = None) -> None:
        self.store = store
        self.link = PgLink(dsn, stop=stop)
        self.gone_after = gone_after
        self._states: dict[str, dict[int, dict[str, Any]]] = {}

    def mirror_all(self) -> int:
        """Mirror the whole archive's frontier state to PostgreSQL (at the writer's start)."""
        with self.store.transaction() as db:
            return self.link.run(lambda pg: pg_frontier.mirror_all(db, pg))

    def _attempts(self, run_key: str) -> dict[int, dict[str, Any]]:
        got = self._states.get(run_key)
        if got is None:
            rows = self.link.run(lambda c: pg_queue.attempts(c, run_key))
            got = self._states[run_key] = {r["attempt"]: r for r in rows}
        return got

    def _state(self, run_key: str, attempt: int) -> dict[str, Any]:
        return self._attempts(run_key).setdefault(
            attempt, {"attempt": attempt, "run_id": None, "counts": {}, "finished": False})

    def cycle(self) -> int:
        """Apply the waiting messages (one batch); how many."""
        messages = self.link.run(pg_queue.take)
        if not messages:
            return 0
        applied: list[int] = []
        touched: set[str] = set()
        changed: set[tuple[str, int]] = set()
        written: dict[str, dict[str, Any]] = {}
        try:
            for msg in messages:
                self._apply(msg, touched, changed, written)
                applied.append(msg.id)
        finally:
            self._commit(applied, touched, changed, written)
        return len(applied)

    def _commit(self, applied: list[int], touched: set[str], changed: set[tuple[str, int]],
                written: dict[str, dict[str, Any]]) -> None:
        if touched:    # read under the store's lock, written to PostgreSQL without holding it
            with self.store.transaction() as db:
                rows = pg_frontier.read_urls(db, touched)
            self.link.run(lambda pg: pg_frontier.push(pg, rows))
        states = {(k, a): self._states[k][a] for k, a in changed}
        if applied or states or written:
            self.link.run(lambda c: pg_queue.done(c, applied, states, written))
        for key in written:
            self._states.pop(key, None)

    def _apply(self, msg: pg_queue.Message, touched: set[str], changed: set[tuple[str, int]],
               written: dict[str, dict[str, Any]]) -> None:
        st = self._state(msg.run_key, msg.attempt)
        changed.add((msg.run_key, msg.attempt))
        p = msg.payload
        if msg.kind == "start":
            self._close_lost(msg.run_key, msg.attempt, changed, LOST_REASON.format(n=msg.attempt),
                             now=p.get("started_at"))
            st.update(source=p["source"], run_id=self.store.start_run(p["source"], now=p.get("started_at")),
                      counts={}, finished=False)
        elif msg.kind == "doc":
            self.store.record_outcome(p)
            touched.add(p.url)
        elif msg.kind == "page":
            self._page(st, p["outcome"], bool(p.get("declared_direct")))
            touched.add(p["outcome"].url)
        elif msg.kind == "finish":
            self._finish(msg.run_key, st, p, written)
        elif msg.kind == "lost":
            self._close_lost(msg.run_key, None, changed, p["reason"])
            written[msg.run_key] = {"source": p["source"], "run_id": None, "status": "failed",
                                    "counts": {}, "error": p["reason"], "finished_at": utcnow_iso()}
        else:
            log.error("unknown result message %r of %s: ignored", msg.kind, msg.run_key)

    def _page(self, st: dict[str, Any], outcome: PageOutcome, declared_direct: bool) -> None:
        article = outcome.article
        declared = getattr(getattr(article, "record", article), "canonical_url", None)
        direct = frozenset([declared]) if declared_direct and declared else frozenset()
        counted = record(self.store, outcome, direct=direct, gone_after=self.gone_after)
        counts = st.setdefault("counts", {})
        counts[counted.column] = counts.get(counted.column, 0) + 1

    def _finish(self, run_key: str, st: dict[str, Any], p: dict[str, Any],
                written: dict[str, dict[str, Any]]) -> None:
        tallied = st.get("counts", {})
        counts = {"discovered": p["discovered"], "fetched": p["fetched"]}
        for col in OUTCOME_COLUMNS:
            counts[col] = int(p["documents"].get(col, 0)) + int(tallied.get(col, 0))
        status = p["status"] if p["final"] else "interrupted"
        error = p.get("error") if p["final"] else "worker stopped mid-run: the job went back to the queue"
        if st.get("run_id") is not None:
            self.store.finish_run(int(st["run_id"]), status, counts, now=p.get("finished_at"), error=error)
        st["finished"] = True
        if p["final"]:
            written[run_key] = {"source": st.get("source"), "run_id": st.get("run_id"), "status": status,
                                "counts": counts, "error": error, "finished_at": p.get("finished_at")}

    def _close_lost(self, run_key: str, before: int | None, changed: set[tuple[str, int]], reason: str, *,
                    now: str | None = None) -> None:
        """Record the unfinished attempts of a run (older than ``before``) ``interrupted``, ended ``now``
        (the next attempt's start: the runs of a source never overlap)."""
        for n, st in self._attempts(run_key).items():
            if st.get("finished") or (before is not None and n >= before):
                continue
            if st.get("run_id") is not None:
                counts = {c: int(st.get("counts", {}).get(c, 0)) for c in OUTCOME_COLUMNS}
                self.store.finish_run(int(st["run_id"]), "interrupted", counts, now=now, error=reason)
                log.warning("run %s (%s) attempt %d: %s", st["run_id"], run_key, n, reason)
            st["finished"] = True
            changed.add((run_key, n))

    def drain(self, stop: threading.Event | None = None) -> int:
        """Apply until nothing waits; how many."""
        total = 0
        while not (stop is not None and stop.is_set()):
            n = self.cycle()
            if not n:
                break
            total += n
        return total

    def serve(self, stop: threading.Event, *, idle_s: float = 0.2) -> None:
        """Apply results until ``stop`` (what waits then stays in PostgreSQL for the next writer)."""
        while not stop.is_set():
            if not self.cycle():
                stop.wait(idle_s)

    def close(self) -> None:
        self.link.close()


class StallWatch:
    """procrastinate's stalled-job recovery, every ``every_s`` seconds, in a thread of its own."""

    def __init__(self, dsn: str, stall_timeout: float, *, every_s: float = 2.0) -> None:
        self.dsn = dsn
        self.stall_timeout = stall_timeout
        self.every_s = every_s
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="kabar-stall-watch", daemon=True)

    def start(self) -> StallWatch:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                asyncio.run(self._loop())
            except Exception as exc:
                log.warning("stalled-job watch: %s", " ".join(str(exc).split())[:200])
            self.stop.wait(self.every_s)

    async def _loop(self) -> None:
        app = make_app(self.dsn)
        async with app.open_async():
            while not self.stop.is_set():
                await retry_stalled(app, self.stall_timeout)
                await asyncio.sleep(self.every_s)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=self.every_s + 5)


def serve_in_thread(writer: Writer, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=_serve_logged, args=(writer, stop), name="kabar-cluster-writer", daemon=True)
    thread.start()
    return thread


def _serve_logged(writer: Writer, stop: threading.Event) -> None:
    try:
        writer.serve(stop)
    except Exception:
        log.critical("the cluster writer stopped: results wait in PostgreSQL", exc_info=True)
        stop.set()
