"""The SQLite store: one connection, migrations on open, dedupe and story clusters on save.

:class:`Store` owns the connection (opened by :mod:`storage.connection`), its lock, transactions and
batching; each write runs its statements in one ``BEGIN IMMEDIATE`` transaction (a savepoint inside a
batch): :mod:`storage.save` for articles, aliases and clusters (on what :mod:`storage.prepare` derived),
:mod:`storage.runs` for runs, sources and page states. sqlite-utils runs the migrations and backs the read
helpers. Every ``sqlite3`` error is mapped to the storage error tree (:func:`storage.errors.map_sqlite_error`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from storage import connection, lock, runs, save
from storage.connection import DEFAULT_BUSY_TIMEOUT, MIGRATION_SET, SCHEMA_MIGRATIONS
from storage.errors import map_sqlite_error
from storage.prepare import PreparedArticle, prepare_article, prepared
from storage.records import ArticleRecord, PageState, PageUpdate, SaveResult
from storage.runs import RUN_STATUSES, SOURCE_FIELDS
from storage.util import utcnow_iso

if TYPE_CHECKING:
    from sqlite_utils import Database

__all__ = ["DEFAULT_BUSY_TIMEOUT", "MIGRATION_SET", "RUN_STATUSES", "SCHEMA_MIGRATIONS", "SOURCE_FIELDS",
           "PreparedArticle", "Store", "map_sqlite_error", "prepare_article"]

logger = logging.getLogger(__name__)

BATCH_AUTOCHECKPOINT = 10_000   # WAL pages between automatic checkpoints inside batch() (default 1,000)


class Store:
    """kabar's database. Open with :meth:`Store.open`; thread-safe (one lock around the connection)."""

    def __init__(self, conn: sqlite3.Connection, path: str, *, readonly: bool) -> None:
        self.conn = conn
        self.path = path
        self.readonly = readonly
        self._db: Database | None = None
        self._lock = threading.RLock()
        self._batch: _Batch | None = None
        self._savepoints = 0     # open transaction() savepoints: a batch commits only outside all of them
        self._on_commit: list[Callable[[sqlite3.Connection], None]] = [_flush_story_counts]  # before COMMIT

    def _before_commit(self) -> None:
        for callback in self._on_commit:
            callback(self.conn)

    @property
    def db(self) -> Database:
        """The connection as a sqlite-utils ``Database`` (imported on first use: sqlite-utils pulls in numpy
        and dateutil, which a read-only query command does not need)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False)
        return self._db

    # ---- opening and closing -----------------------------------------------------------------------
    @classmethod
    def open(cls, path: str, *, readonly: bool = False, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Store:
        """Open (and unless ``readonly`` create and migrate) the database at ``path``.

        ``readonly`` opens ``file:PATH?mode=ro``: it never writes or migrates, a missing file is a
        :class:`StorageError`. ``busy_timeout`` (seconds) is how long a statement waits for another
        writer's lock before :class:`DatabaseLockedError`.
        """
        path = str(path)
        conn = connection.connect(path, readonly=readonly, busy_timeout=busy_timeout)
        store = cls(conn, path, readonly=readonly)
        try:
            connection.configure(conn, path, readonly=readonly, busy_timeout=busy_timeout)
            if readonly:
                connection.check_readable(conn, path)
            else:
                from storage import migrations

                migrations.migrate(store.db)
        except sqlite3.Error as exc:
            conn.close()
            raise map_sqlite_error(exc, path) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def close(self) -> None:
        """Close the connection (committing an open batch first)."""
        with self._lock:
            try:
                if self._batch is not None:
                    self._batch.closed()
                    self._batch = None
                    if self.conn.in_transaction:
                        self._before_commit()
                        self.conn.execute("COMMIT")
                if not self.readonly and self.path != ":memory:":
                    # copy the WAL back now, without blocking readers, so that the last close (which
                    # checkpoints under an exclusive lock and removes the WAL) holds that lock only briefly
                    self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self.conn.close()
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, self.path) from exc

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # ---- plumbing ----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc, self.path) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write under the store lock: ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any
        exception. Inside :meth:`batch` (or any open transaction) it is a savepoint of the open transaction."""
        with self._lock, self._errors():
            conn = self.conn
            batch = self._batch
            if batch is not None:
                batch.raise_failure()
                if not conn.in_transaction:
                    conn.execute("BEGIN IMMEDIATE")
                    batch.opened(self._flush_batch)
            if conn.in_transaction:
                conn.execute("SAVEPOINT kabar_write")
                self._savepoints += 1
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK TO kabar_write")
                        conn.execute("RELEASE kabar_write")
                    raise
                finally:
                    self._savepoints -= 1
                conn.execute("RELEASE kabar_write")
                if batch is not None and not self._savepoints and batch.full():
                    self._commit()
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        logger.exception("rollback failed")
                raise
            self._commit()

    def _commit(self) -> None:
        """COMMIT (the caller holds the lock); a failed commit is rolled back and raised."""
        if self._batch is not None:
            self._batch.closed()
        try:
            self._before_commit()
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def batch(self, *, max_writes: int = 200, max_seconds: float = 1.0,
              cache_mb: int | None = None) -> Iterator[Store]:
        """Group the writes made inside into few transactions: the throughput mode for bulk saves.

        Each write stays atomic on its own (a savepoint: a failed article leaves nothing and does not undo
        the others). A transaction commits after ``max_writes`` writes, ``max_seconds`` after it opened (a
        timer commits an idle one, so other writers are not held up), and when the outermost ``batch()``
        ends, also on an exception: what finished is kept. A crash loses at most the uncommitted writes of
        the last ``max_seconds``, as if their pages had not been fetched yet. Nested and concurrent uses
        from several threads share one batch. ``cache_mb`` enlarges the page cache for the outermost batch
        (bulk imports: the indexes written at random places stay in memory), restored when it ends.
        """
        with self._lock:
            if self._batch is None:
                self._batch = _Batch(max_writes, max_seconds)
                with self._errors():
                    self._batch.tune(self.conn, cache_mb)
            self._batch.depth += 1
        try:
            yield self
        finally:
            with self._lock, self._errors():
                batch = self._batch
                # None: the store was closed inside the batch (close() committed it)
                if batch is not None:
                    batch.depth -= 1
                    if batch.depth == 0:
                        self._batch = None
                        batch.closed()
                        if self.conn.in_transaction:
                            batch.commit(self.conn, self._before_commit)
                        batch.restore(self.conn)
                        batch.raise_failure()

    def _flush_batch(self) -> None:
        """Timer thread: commit a batch transaction that has been open for ``max_seconds``."""
        with self._lock:
            batch = self._batch
            if batch is None or not self.conn.in_transaction:
                return
            batch.closed()
            batch.commit(self.conn, self._before_commit)
            if batch.failure is not None:
                logger.error("%s: batch commit failed: %s", self.path, batch.failure)

    # ---- articles ----------------------------------------------------------------------------------
    def save_article(self, item: ArticleRecord | PreparedArticle, *, now: str | None = None) -> SaveResult:
        """Store one parsed article (see SPEC.md's dedup rules) in one transaction.

        * known canonical URL (or a URL already seen for it), same content hash: ``unchanged``, only
          ``last_seen_at`` moves (new URL variants are still recorded);
        * known, different hash: ``updated``, ``revision`` + 1, the previous version copied to
          ``article_revisions``, segments replaced, the story features re-indexed;
        * unknown URL whose content hash equals an article of the same source: ``duplicate``, the URLs
          become aliases of that article;
        * otherwise ``new`` (the same content from another source is a new row in the same cluster).

        ``item`` may come from :func:`prepare_article` (e.g. computed in a worker process): then the
        hashes and story features are not computed again here.
        """
        prep = item if isinstance(item, PreparedArticle) else prepare_article(item)
        now = now or utcnow_iso()
        with self.transaction() as conn:
            return save.save(conn, prep, now)

    def save_many(self, records: Iterable[ArticleRecord], *, parallel: bool = True, max_writes: int = 1000,
                  max_seconds: float = 1.0, window: int = 64, cache_mb: int = 128) -> Iterator[SaveResult]:
        """Save ``records`` in order inside :meth:`batch`, yielding each result: the bulk import path.

        With ``parallel`` a worker process prepares the records (hashes, story features:
        :func:`prepare_article`), ``PREPARE_CHUNK`` per message and up to ``window`` ahead, while this
        thread writes; without it, or when the worker cannot start or dies, this thread prepares them
        itself (:func:`storage.prepare.prepared`). Memory stays bounded by ``window``. Transactions commit
        every ``max_writes`` articles or ``max_seconds``, whichever comes first, with a ``cache_mb`` page
        cache (see :meth:`batch`).
        """
        with self.batch(max_writes=max_writes, max_seconds=max_seconds, cache_mb=cache_mb), \
                contextlib.closing(prepared(records, parallel=parallel, window=window)) as items:
            for item in items:
                yield self.save_article(item)

    def touch_url(self, url: str, *, now: str | None = None) -> int | None:
        """A 304 or unchanged page: move the owning article's ``last_seen_at``; its id, or None if unknown."""
        now = now or utcnow_iso()
        with self.transaction() as conn:
            return save.touch(conn, url, now)

    def article_for_url(self, url: str) -> tuple[int, str] | None:
        """``(article_id, first_seen_at)`` of the article known under ``url`` (raw or canonical), or None."""
        with self._lock, self._errors():
            found = save.lookup_url(self.conn, url)
            return (int(found[0]), str(found[1])) if found else None

    # ---- pages -------------------------------------------------------------------------------------
    def page_state(self, url: str) -> PageState | None:
        """The fetch state stored for exactly this URL (as fetched, not canonicalised)."""
        with self._lock, self._errors():
            return runs.page_state(self.conn, url)

    def record_page(self, url: str, source: str, *, status: int | None, etag: str | None = None,
                    last_modified: str | None = None, content_hash: str | None = None,
                    error: str | None = None, now: str | None = None) -> None:
        """Upsert the fetch state of ``url``. Validators and hash missing from this answer (a failure, a
        304 without headers) keep their stored values; status, error and ``fetched_at`` are replaced."""
        self.record_outcome(PageUpdate(url, source, status, etag, last_modified, content_hash, error), now=now)

    def record_outcome(self, page: PageUpdate, *, article: ArticleRecord | PreparedArticle | None = None,
                       touch: bool = False, now: str | None = None) -> SaveResult | None:
        """One fetch outcome in one transaction: the page's fetch state and, when given, the article
        saved by :meth:`save_article`'s rules (its result is returned), or with ``touch`` (a 304) the
        owning article's ``last_seen_at`` moved."""
        now = now or utcnow_iso()
        with self.transaction() as conn:
            saved = self.save_article(article, now=now) if article is not None else None
            if touch:
                self.touch_url(page.url, now=now)
            runs.record_page(conn, page, now)
            return saved

    # ---- runs --------------------------------------------------------------------------------------
    def start_run(self, source: str, *, now: str | None = None) -> int:
        now = now or utcnow_iso()
        with self.transaction() as conn:
            return runs.start_run(conn, source, now, lock.this_owner())

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int], *, now: str | None = None,
                   error: str | None = None) -> None:
        """Close a run: its status, finish time and summary counts; also the source's last_run_at/status.

        ``error`` (optional, a kabar extension of the design API) records why a run failed or stopped.
        """
        runs.check_finish(status, counts)
        now = now or utcnow_iso()
        with self.transaction() as conn:
            runs.finish_run(conn, run_id, status, counts, now, error)

    def recover_interrupted_runs(self, *, now: str | None = None) -> int:
        """Mark runs left ``running`` by a dead process as ``interrupted`` (:func:`storage.lock.owner_is_alive`:
        while this process holds the writer lock, every run not its own); returns how many."""
        now = now or utcnow_iso()
        with self.transaction() as conn:
            return runs.recover_interrupted(conn, now, lambda owner: lock.owner_is_alive(owner, self.path))

    # ---- sources -----------------------------------------------------------------------------------
    def ensure_sources(self, names: Iterable[str], *, now: str | None = None) -> None:
        now = now or utcnow_iso()
        with self.transaction() as conn:
            runs.ensure_sources(conn, names, now)

    def update_source(self, name: str, **fields: Any) -> None:
        """Set scheduling fields of a source (created when missing): last_run_at, next_run_at,
        last_status, interval_s, consecutive_failures."""
        runs.check_source_fields(fields)
        with self.transaction() as conn:
            runs.update_source(conn, name, fields, utcnow_iso())

    def sources(self) -> list[dict[str, Any]]:
        with self._lock, self._errors():
            return runs.sources(self.conn)


def _flush_story_counts(conn: sqlite3.Connection) -> None:
    """The story model's deferred document-frequency counts (nothing to do when it was never loaded)."""
    flush = getattr(sys.modules.get("storage.story_store"), "flush_counts", None)
    if flush is not None:        # absent too while another thread is still importing it: nothing counted yet
        flush(conn)


class _Batch:
    """State of :meth:`Store.batch`: writes in the open transaction, its age, the idle-commit timer."""

    def __init__(self, max_writes: int, max_seconds: float) -> None:
        self.max_writes = max(1, max_writes)
        self.max_seconds = max_seconds
        self.depth = 0
        self.writes = 0
        self.started = 0.0
        self.timer: threading.Timer | None = None
        self.failure: BaseException | None = None
        self.autocheckpoint = 1000      # the connection's settings before the batch, restored after it
        self.cache_size: int | None = None

    def tune(self, conn: sqlite3.Connection, cache_mb: int | None) -> None:
        """Checkpoint less often while bulk-writing: a page rewritten by several commits is copied back
        into the database once (the WAL grows to ~40 MB at most, then restarts); with ``cache_mb`` a
        bigger page cache. :meth:`restore` puts the connection's settings back."""
        self.autocheckpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        conn.execute(f"PRAGMA wal_autocheckpoint = {BATCH_AUTOCHECKPOINT}")
        if cache_mb is not None:
            self.cache_size = conn.execute("PRAGMA cache_size").fetchone()[0]
            conn.execute(f"PRAGMA cache_size = {-1024 * int(cache_mb)}")

    def restore(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(self.autocheckpoint)}")
        if self.cache_size is not None:
            conn.execute(f"PRAGMA cache_size = {int(self.cache_size)}")

    def opened(self, flush: Callable[[], None]) -> None:
        self.writes = 0
        self.started = time.monotonic()
        self.timer = threading.Timer(self.max_seconds, flush)
        self.timer.daemon = True
        self.timer.start()

    def full(self) -> bool:
        self.writes += 1
        return self.writes >= self.max_writes or time.monotonic() - self.started >= self.max_seconds

    def closed(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def commit(self, conn: sqlite3.Connection, before: Callable[[], None]) -> None:
        """COMMIT the open transaction (``before()`` first); a failure is rolled back and kept for
        :meth:`raise_failure`."""
        try:
            before()
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self.failure = exc

    def raise_failure(self) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
