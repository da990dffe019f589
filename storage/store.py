"""The SQLite store: one connection, migrations on open, dedupe and story clusters on save.

The write path (:meth:`Store.save_article`) uses plain ``sqlite3`` statements in one ``BEGIN IMMEDIATE``
transaction per article: the article row, its segments, every URL it was seen under, the previous revision
and its story-cluster index rows commit together or not at all. sqlite-utils runs the migrations and backs
the read helpers. Every ``sqlite3`` error is mapped to the storage error tree (:mod:`storage.errors`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import logging
import os
import sqlite3
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from storage.errors import DatabaseLockedError, DiskFullError, ReadOnlyDatabaseError, StorageError
from storage.records import RUN_COUNTS, ArticleRecord, PageState, PageUpdate, SaveResult
from storage.urls import canonical_url
from storage.util import to_utc_iso, utcnow_iso

if TYPE_CHECKING:
    from sqlite_utils import Database

    from storage.dedupe import StoryFeatures

logger = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT = 10.0
PREPARE_CHUNK = 16              # records per message to the prepare worker (Store.save_many)
BATCH_AUTOCHECKPOINT = 10_000   # WAL pages between automatic checkpoints inside batch() (default 1,000)
MIGRATION_SET = "kabar"
# The names of storage/migrations.py, in order (a test keeps the two equal): readers check them without
# importing sqlite-utils.
SCHEMA_MIGRATIONS = ("0001_core_tables", "0002_articles_fts", "0003_story_clusters", "0004_stories_view",
                     "0005_daemon_heartbeat", "0006_cluster_index_by_period", "0007_story_index")
RUN_STATUSES = frozenset({"running", "ok", "failed", "interrupted"})
SOURCE_FIELDS = frozenset({"last_run_at", "next_run_at", "last_status", "interval_s", "consecutive_failures"})


def map_sqlite_error(exc: sqlite3.Error, path: str) -> StorageError:
    """The storage error (one line, naming the database) for a ``sqlite3`` error."""
    msg = str(exc)
    low = msg.lower()
    code = getattr(exc, "sqlite_errorcode", None)
    code = code & 0xFF if isinstance(code, int) else None
    if "locked" in low or "busy" in low or code in (5, 6):
        return DatabaseLockedError(f"{path}: database is locked by another process (gave up after the busy "
                                   f"timeout)")
    if "disk is full" in low or "disk full" in low or code == 13:
        return DiskFullError(f"{path}: database or disk is full ({msg})")
    if "readonly" in low or "read-only" in low or code == 8:
        return ReadOnlyDatabaseError(f"{path}: database is read-only ({msg})")
    if "unable to open" in low or code == 14:
        if _unwritable(path):
            return ReadOnlyDatabaseError(f"{path}: cannot open the database for writing ({msg})")
        return StorageError(f"{path}: cannot open the database ({msg})")
    if "not a database" in low or "malformed" in low or code in (11, 26):
        return StorageError(f"{path}: not a usable SQLite database ({msg})")
    return StorageError(f"{path}: {msg}")


def _unwritable(path: str) -> bool:
    if path == ":memory:":
        return False
    p = Path(path)
    if p.exists():
        return not os.access(p, os.W_OK)
    parent = p.parent if str(p.parent) else Path(".")
    return parent.exists() and not os.access(parent, os.W_OK)


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
        if readonly and (path == ":memory:" or not Path(path).is_file()):
            raise StorageError(f"{path}: database not found (run `kabar crawl` or `kabar demo` to create it)")
        # autocommit mode (transactions are explicit); a statement cache big enough for the IN (...) variants
        options: dict[str, Any] = {"isolation_level": None, "check_same_thread": False, "timeout": busy_timeout,
                                   "cached_statements": 512}
        try:
            if readonly:
                conn = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, **options)
            else:
                if path != ":memory:" and not Path(path).parent.exists():
                    raise StorageError(f"{path}: directory {str(Path(path).parent)!r} does not exist")
                conn = sqlite3.connect(path, **options)
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc, path) from exc
        store = cls(conn, path, readonly=readonly)
        try:
            store._configure(busy_timeout)
            if readonly:
                store._check_readable()
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

    def _configure(self, busy_timeout: float) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        c.execute("PRAGMA foreign_keys = ON")
        c.execute("PRAGMA cache_size = -32768")
        c.execute("PRAGMA temp_store = MEMORY")
        if self.readonly:
            c.execute("PRAGMA query_only = ON")
            return
        if self.path != ":memory:":
            mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                logger.warning("%s: journal_mode is %s, not WAL", self.path, mode)
        c.execute("PRAGMA synchronous = NORMAL")

    def _check_readable(self) -> None:
        """A reader checks, without sqlite-utils, that the file is a kabar database at the current schema."""
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "articles" not in tables:
            raise StorageError(f"{self.path}: not a kabar database (no articles table)")
        applied: set[str] = set()
        if "_sqlite_migrations" in tables:
            applied = {r[0] for r in self.conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATION_SET,))}
        todo = [name for name in SCHEMA_MIGRATIONS if name not in applied]
        if todo:
            raise StorageError(f"{self.path}: database schema is older than this kabar (missing "
                               f"{', '.join(todo)}); open it once for writing, e.g. with `kabar crawl`, "
                               "to upgrade it")

    def close(self) -> None:
        """Close the connection (committing an open batch first)."""
        with self._lock:
            try:
                if self._batch is not None:
                    self._batch.closed()
                    self._batch = None
                    if self.conn.in_transaction:
                        self.conn.execute("COMMIT")
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
                # Checkpoint less often while bulk-writing: a page rewritten by several commits is copied
                # back into the database once (the WAL grows to ~40 MB at most, then restarts).
                with self._errors():
                    self._batch.autocheckpoint = self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
                    self.conn.execute(f"PRAGMA wal_autocheckpoint = {BATCH_AUTOCHECKPOINT}")
                    if cache_mb is not None:
                        self._batch.cache_size = self.conn.execute("PRAGMA cache_size").fetchone()[0]
                        self.conn.execute(f"PRAGMA cache_size = {-1024 * int(cache_mb)}")
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
                            self._commit_quietly_on_error(batch)
                        self.conn.execute(f"PRAGMA wal_autocheckpoint = {int(batch.autocheckpoint)}")
                        if batch.cache_size is not None:
                            self.conn.execute(f"PRAGMA cache_size = {int(batch.cache_size)}")
                        batch.raise_failure()

    def _commit_quietly_on_error(self, batch: _Batch) -> None:
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            batch.failure = exc

    def _flush_batch(self) -> None:
        """Timer thread: commit a batch transaction that has been open for ``max_seconds``."""
        with self._lock:
            batch = self._batch
            if batch is None or not self.conn.in_transaction:
                return
            batch.closed()
            self._commit_quietly_on_error(batch)
            if batch.failure is not None:
                logger.error("%s: batch commit failed: %s", self.path, batch.failure)

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock, self._errors():
            cur = self.conn.execute(sql, tuple(params))
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

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
        rec, canonical, urls, chash = prep.record, prep.canonical, prep.urls, prep.content_hash
        now = now or utcnow_iso()
        with self.transaction() as conn:
            row = conn.execute("SELECT id, content_hash, cluster_id, revision FROM articles "
                               "WHERE canonical_url = ?", (canonical,)).fetchone()
            if row is None:
                row = _find_by_urls(conn, urls, rec.source)
            if row is not None:
                article_id, old_hash, cluster_id, revision = row
                _add_urls(conn, urls, article_id)
                if old_hash == chash:
                    conn.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", (now, article_id))
                    return SaveResult("unchanged", article_id, cluster_id, revision)
                return self._update(conn, prep, article_id, cluster_id, revision, now)
            same = conn.execute("SELECT id, cluster_id, revision, source FROM articles WHERE content_hash = ? "
                                "ORDER BY id", (chash,)).fetchall()
            for article_id, cluster_id, revision, source in same:
                if source == rec.source:   # identical content, same outlet, new URL: an alias
                    _add_urls(conn, urls | {canonical}, article_id)
                    conn.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", (now, article_id))
                    return SaveResult("duplicate", article_id, cluster_id, revision)
            # identical content from other outlets: the same story
            return self._insert(conn, prep, now, {row[1] for row in same if row[1] is not None})

    def save_many(self, records: Iterable[ArticleRecord], *, parallel: bool = True, max_writes: int = 1000,
                  max_seconds: float = 1.0, window: int = 64, cache_mb: int = 128) -> Iterator[SaveResult]:
        """Save ``records`` in order inside :meth:`batch`, yielding each result: the bulk import path.

        With ``parallel`` a worker process prepares the records (hashes, story features:
        :func:`prepare_article`), ``PREPARE_CHUNK`` per message and up to ``window`` ahead, while this
        thread writes; without it, or when the worker cannot start or dies, this thread prepares them
        itself. Memory stays bounded by ``window``. Transactions commit every ``max_writes`` articles or
        ``max_seconds``, whichever comes first, with a ``cache_mb`` page cache (see :meth:`batch`).
        """
        from storage import worker

        with self.batch(max_writes=max_writes, max_seconds=max_seconds, cache_mb=cache_mb):
            helper: worker.ChildWorker | None = None
            if parallel:
                try:
                    helper = worker.ChildWorker("storage.store:_prepare_main", None, name="kabar-prepare")
                except OSError:
                    logger.warning("could not start the prepare worker; preparing in this process", exc_info=True)
            try:
                pending: deque[tuple[list[ArticleRecord], Future[Any] | None]] = deque()
                for chunk in _chunks(records, PREPARE_CHUNK):
                    fut = None
                    if helper is not None:
                        try:
                            fut = helper.submit(chunk)
                        except worker.WorkerGone:
                            logger.warning("the prepare worker exited; preparing in this process")
                            helper.close()
                            helper = None
                    pending.append((chunk, fut))
                    if len(pending) * PREPARE_CHUNK >= window:
                        for item in _prepared(*pending.popleft()):
                            yield self.save_article(item)
                while pending:
                    for item in _prepared(*pending.popleft()):
                        yield self.save_article(item)
            finally:
                if helper is not None:
                    helper.close()

    def _insert(self, conn: sqlite3.Connection, prep: PreparedArticle, now: str,
                same_content: set[int]) -> SaveResult:
        from storage import dedupe

        rec, canonical, urls, chash = prep.record, prep.canonical, prep.urls, prep.content_hash
        published = to_utc_iso(rec.published_at)
        feats = prep.story_features()
        feats.set_period(dedupe.time_bucket(published or now))
        article_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM articles").fetchone()[0]
        clusters = self._matching_clusters(conn, article_id, rec.source, feats, published or now)
        if same_content:
            clusters.add(min(same_content))
        cluster_id = min(clusters) if clusters else article_id
        conn.execute(
            "INSERT INTO articles (id, source, url, canonical_url, title, published_at, modified_at, authors, "
            "section, tags, lang, image, dateline, text, content_hash, cluster_id, revision, first_seen_at, "
            "last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
            (article_id, rec.source, rec.url, canonical, rec.title, published, to_utc_iso(rec.modified_at),
             json.dumps(list(rec.authors), ensure_ascii=False), rec.section,
             json.dumps(list(rec.tags), ensure_ascii=False), rec.lang, rec.image, rec.dateline, rec.text,
             chash, cluster_id, now, now))
        _write_segments(conn, article_id, rec)
        _add_urls(conn, urls | {canonical}, article_id)
        _index_features(conn, article_id, feats)
        _merge_clusters(conn, cluster_id, clusters)
        return SaveResult("new", article_id, cluster_id, 1)

    def _update(self, conn: sqlite3.Connection, prep: PreparedArticle, article_id: int, cluster_id: int,
                revision: int, now: str) -> SaveResult:
        from storage import dedupe

        rec, chash = prep.record, prep.content_hash
        conn.execute(
            "INSERT INTO article_revisions (article_id, revision, seen_at, title, text, content_hash) "
            "SELECT id, revision, last_seen_at, title, text, content_hash FROM articles WHERE id = ?",
            (article_id,))
        revision += 1
        published = to_utc_iso(rec.published_at)
        conn.execute(
            "UPDATE articles SET url = ?, title = ?, published_at = COALESCE(?, published_at), "
            "modified_at = COALESCE(?, modified_at), authors = ?, section = ?, tags = ?, lang = ?, image = ?, "
            "dateline = ?, text = ?, content_hash = ?, revision = ?, last_seen_at = ? WHERE id = ?",
            (rec.url, rec.title, published, to_utc_iso(rec.modified_at),
             json.dumps(list(rec.authors), ensure_ascii=False), rec.section,
             json.dumps(list(rec.tags), ensure_ascii=False), rec.lang, rec.image, rec.dateline, rec.text,
             chash, revision, now, article_id))
        conn.execute("DELETE FROM segments WHERE article_id = ?", (article_id,))
        _write_segments(conn, article_id, rec)
        # Re-index the story features; the article stays in its cluster and may join others.
        _unindex_features(conn, article_id)
        pub = conn.execute("SELECT COALESCE(published_at, first_seen_at) FROM articles WHERE id = ?",
                           (article_id,)).fetchone()[0]
        feats = prep.story_features()
        feats.set_period(dedupe.time_bucket(pub))
        clusters = self._matching_clusters(conn, article_id, rec.source, feats, pub)
        clusters.add(cluster_id)
        new_cluster = min(clusters)
        _index_features(conn, article_id, feats)
        _merge_clusters(conn, new_cluster, clusters)
        return SaveResult("updated", article_id, new_cluster, revision)

    def _matching_clusters(self, conn: sqlite3.Connection, article_id: int, source: str,
                           feats: StoryFeatures, when: str) -> set[int]:
        """Cluster ids of stored articles that carry the same story (LSH + rare keys, then verified)."""
        from storage import dedupe

        votes: Counter[int] = Counter()
        bands, keys = feats.band_keys(), feats.fact_keys()
        if bands:   # copies appear within MAX_DAYS_APART: the periods that window touches
            periods = dedupe.periods_within(when, dedupe.MAX_DAYS_APART)
            for other in {other for _key, other in conn.execute(
                    _index_lookup_sql(len(bands), len(periods)), (*periods, *bands))}:
                if other != article_id:
                    votes[other] += 2        # sharing any band bucket: one strong vote
        if keys:    # rare facts: the article's period and its neighbours
            periods = range(feats.period - dedupe.KEY_PERIODS, feats.period + dedupe.KEY_PERIODS + 1)
            postings: dict[int, list[int]] = {}
            for key, other in conn.execute(_index_lookup_sql(len(keys), len(periods)), (*periods, *keys)):
                if other != article_id:
                    postings.setdefault(key, []).append(other)
            key_votes: Counter[int] = Counter()
            for ids in postings.values():
                if len(ids) <= dedupe.KEY_POSTINGS_CAP:  # a key carried by many articles is not rare
                    key_votes.update(ids)
            for other, n in key_votes.items():
                if n >= dedupe.MIN_SHARED_KEYS:
                    votes[other] += n
        if not votes:
            return set()
        chosen = [i for i, _ in votes.most_common(dedupe.MAX_CANDIDATES)]
        marks = ",".join("?" * len(chosen))
        rows = conn.execute(
            "SELECT f.article_id, f.signature, f.features, a.source, a.cluster_id, "
            f"COALESCE(a.published_at, a.first_seen_at) FROM story_features f JOIN articles a "
            f"ON a.id = f.article_id WHERE f.article_id IN ({marks})", chosen).fetchall()
        found: set[int] = set()
        for _other, sig, features, other_source, other_cluster, other_when in rows:
            if other_cluster in found:
                continue
            other_feats = dedupe.StoryFeatures.from_stored(sig, features)
            if dedupe.match(feats, other_feats, same_source=other_source == source,
                            days=dedupe.days_apart(when, other_when)):
                found.add(other_cluster)
        return found

    def touch_url(self, url: str, *, now: str | None = None) -> int | None:
        """A 304 or unchanged page: move the owning article's ``last_seen_at``; its id, or None if unknown."""
        now = now or utcnow_iso()
        with self.transaction() as conn:
            found = _lookup_url(conn, url)
            if found is None:
                return None
            conn.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", (now, found[0]))
            return int(found[0])

    def article_for_url(self, url: str) -> tuple[int, str] | None:
        """``(article_id, first_seen_at)`` of the article known under ``url`` (raw or canonical), or None."""
        with self._lock, self._errors():
            found = _lookup_url(self.conn, url)
            return (int(found[0]), str(found[1])) if found else None

    # ---- pages -------------------------------------------------------------------------------------
    def page_state(self, url: str) -> PageState | None:
        """The fetch state stored for exactly this URL (as fetched, not canonicalised)."""
        rows = self._read("SELECT url, source, status, etag, last_modified, content_hash, fetched_at, error "
                          "FROM pages WHERE url = ?", (url,))
        if not rows:
            return None
        r = rows[0]
        return PageState(url=r["url"], source=r["source"], status=r["status"], etag=r["etag"],
                         last_modified=r["last_modified"], content_hash=r["content_hash"],
                         fetched_at=r["fetched_at"], error=r["error"])

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
            conn.execute(
                "INSERT INTO pages (url, source, status, etag, last_modified, content_hash, fetched_at, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET source = excluded.source, "
                "status = excluded.status, etag = COALESCE(excluded.etag, pages.etag), "
                "last_modified = COALESCE(excluded.last_modified, pages.last_modified), "
                "content_hash = COALESCE(excluded.content_hash, pages.content_hash), "
                "fetched_at = excluded.fetched_at, error = excluded.error",
                (page.url, page.source, page.status, page.etag, page.last_modified, page.content_hash, now,
                 page.error))
            return saved

    # ---- runs --------------------------------------------------------------------------------------
    def start_run(self, source: str, *, now: str | None = None) -> int:
        now = now or utcnow_iso()
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO sources (name, created_at) VALUES (?, ?)", (source, now))
            cur = conn.execute("INSERT INTO runs (source, started_at, status) VALUES (?, ?, 'running')",
                               (source, now))
            return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int], *, now: str | None = None,
                   error: str | None = None) -> None:
        """Close a run: its status, finish time and summary counts; also the source's last_run_at/status.

        ``error`` (optional, a kabar extension of the design API) records why a run failed or stopped.
        """
        if status not in RUN_STATUSES - {"running"}:
            raise ValueError(f"run status must be ok, failed or interrupted, not {status!r}")
        unknown = set(counts) - set(RUN_COUNTS)
        if unknown:
            raise ValueError(f"unknown run counts: {', '.join(sorted(unknown))}")
        now = now or utcnow_iso()
        values = [int(counts.get(name, 0)) for name in RUN_COUNTS]
        sets = ", ".join(f"{name} = ?" for name in RUN_COUNTS)
        with self.transaction() as conn:
            cur = conn.execute(f"UPDATE runs SET status = ?, finished_at = ?, error = ?, {sets} WHERE id = ?",
                               (status, now, error, *values, run_id))
            if cur.rowcount == 0:
                raise ValueError(f"no run with id {run_id}")
            conn.execute("UPDATE sources SET last_run_at = ?, last_status = ? WHERE name = "
                         "(SELECT source FROM runs WHERE id = ?)", (now, status, run_id))

    def recover_interrupted_runs(self, *, now: str | None = None) -> int:
        """Mark runs left ``running`` by a killed process as ``interrupted``; returns how many."""
        now = now or utcnow_iso()
        with self.transaction() as conn:
            cur = conn.execute("UPDATE runs SET status = 'interrupted', finished_at = COALESCE(finished_at, ?), "
                               "error = COALESCE(error, 'process ended while running') WHERE status = 'running'",
                               (now,))
            if cur.rowcount:
                logger.info("%d interrupted run(s) recovered", cur.rowcount)
            return int(cur.rowcount)

    # ---- sources -----------------------------------------------------------------------------------
    def ensure_sources(self, names: Iterable[str], *, now: str | None = None) -> None:
        now = now or utcnow_iso()
        with self.transaction() as conn:
            conn.executemany("INSERT OR IGNORE INTO sources (name, created_at) VALUES (?, ?)",
                             [(name, now) for name in names])

    def update_source(self, name: str, **fields: Any) -> None:
        """Set scheduling fields of a source (created when missing): last_run_at, next_run_at,
        last_status, interval_s, consecutive_failures."""
        unknown = set(fields) - SOURCE_FIELDS
        if unknown:
            raise ValueError(f"unknown source fields: {', '.join(sorted(unknown))}")
        if "last_status" in fields and fields["last_status"] not in RUN_STATUSES | {None}:
            raise ValueError(f"last_status must be a run status, not {fields['last_status']!r}")
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO sources (name, created_at) VALUES (?, ?)", (name, utcnow_iso()))
            if fields:
                names = sorted(fields)
                conn.execute(f"UPDATE sources SET {', '.join(f'{n} = ?' for n in names)} WHERE name = ?",
                             (*[fields[n] for n in names], name))

    def sources(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self._read("SELECT * FROM sources ORDER BY name")]


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

    def raise_failure(self) -> None:
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure


@dataclass
class PreparedArticle:
    """What saving a record derives before it touches the database: pure and picklable, so a worker
    process can compute it (:meth:`Store.save_many`, the crawl's parse worker)."""

    record: ArticleRecord
    canonical: str                      # the canonical URL the article is keyed by
    urls: set[str]                      # every URL form it was seen under
    content_hash: str
    features: StoryFeatures | None = None   # computed on first need when absent

    def story_features(self) -> StoryFeatures:
        if self.features is None:
            from storage import dedupe

            rec = self.record
            self.features = dedupe.story_features(rec.title, rec.segments)
        return self.features

    def derived(self) -> tuple[str, set[str], str, StoryFeatures | None]:
        """Everything but the record (what a worker sends back to the process that has the record)."""
        return self.canonical, self.urls, self.content_hash, self.features


def prepare_article(rec: ArticleRecord, *, features: bool = False) -> PreparedArticle:
    """Canonical URL, URL forms and content hash of ``rec``; with ``features`` also its story features
    (needed only when the article turns out new or changed), with their band buckets, keys and, when
    the publication time is known, their stored form computed too."""
    from storage import dedupe

    canonical = _canonical((rec.canonical_url or rec.url).strip())
    urls = _url_forms([rec.url, rec.canonical_url, *rec.aliases])
    urls.discard("")
    prep = PreparedArticle(rec, canonical, urls, dedupe.content_hash(rec.title, rec.segments))
    if features:
        published = to_utc_iso(rec.published_at)
        feats = prep.story_features()
        feats.buckets()   # computed here, off the writing process (memoised with the features)
        feats.keys()
        if published:
            feats.set_period(dedupe.time_bucket(published))
            feats.features_json()
    return prep


def _prepared(chunk: list[ArticleRecord], fut: Future[Any] | None) -> list[ArticleRecord | PreparedArticle]:
    """The worker's answers for ``chunk`` as PreparedArticles, or the records themselves (to be prepared
    here) when the worker failed."""
    if fut is None:
        return list(chunk)
    try:
        answers = fut.result()
    except Exception:
        logger.debug("prepare worker failed; preparing here", exc_info=True)
        return list(chunk)
    return [PreparedArticle(rec, *derived) for rec, derived in zip(chunk, answers, strict=True)]


def _chunks(items: Iterable[ArticleRecord], size: int) -> Iterator[list[ArticleRecord]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _prepare_remote(chunk: list[ArticleRecord]) -> list[tuple[Any, ...]]:
    return [prepare_article(rec, features=True).derived() for rec in chunk]


def _prepare_main() -> None:
    """The prepare worker's main (see :meth:`Store.save_many`)."""
    from storage import worker

    worker.serve(lambda _setup: _prepare_remote)


@functools.lru_cache(maxsize=8)
def _index_lookup_sql(keys: int, periods: int) -> str:
    """Index rows of ``keys`` within ``periods`` periods: primary-key probes, periods x keys."""
    return (f"SELECT key, article_id FROM story_index WHERE period IN ({', '.join('?' * periods)}) "
            f"AND key IN ({', '.join('?' * keys)})")


_canonical = functools.lru_cache(maxsize=8192)(canonical_url)


def _url_forms(urls: Iterable[str]) -> set[str]:
    """Each URL as given and canonicalised."""
    out: set[str] = set()
    for url in urls:
        if url:
            url = url.strip()
            out.add(url)
            out.add(_canonical(url))
    return out


def _find_by_urls(conn: sqlite3.Connection, urls: set[str], source: str) -> tuple[Any, ...] | None:
    if not urls:
        return None
    marks = ",".join("?" * len(urls))
    row = conn.execute(
        f"SELECT a.id, a.content_hash, a.cluster_id, a.revision FROM article_urls u JOIN articles a "
        f"ON a.id = u.article_id WHERE u.url IN ({marks}) AND a.source = ? ORDER BY a.id LIMIT 1",
        (*sorted(urls), source)).fetchone()
    return tuple(row) if row else None


def _lookup_url(conn: sqlite3.Connection, url: str) -> tuple[Any, ...] | None:
    forms = sorted(_url_forms([url]))
    marks = ",".join("?" * len(forms))
    row = conn.execute(f"SELECT a.id, a.first_seen_at FROM article_urls u JOIN articles a ON a.id = u.article_id "
                       f"WHERE u.url IN ({marks}) ORDER BY a.id LIMIT 1", forms).fetchone()
    if row is None:
        row = conn.execute(f"SELECT id, first_seen_at FROM articles WHERE canonical_url IN ({marks}) "
                           f"ORDER BY id LIMIT 1", forms).fetchone()
    return tuple(row) if row else None


def _add_urls(conn: sqlite3.Connection, urls: set[str], article_id: int) -> None:
    conn.executemany("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
                     [(u, article_id) for u in sorted(urls) if u])


def _write_segments(conn: sqlite3.Connection, article_id: int, rec: ArticleRecord) -> None:
    conn.executemany("INSERT INTO segments (article_id, position, headline, text) VALUES (?, ?, ?, ?)",
                     [(article_id, i, headline, "\n".join(paragraphs))
                      for i, (headline, paragraphs) in enumerate(rec.segments)])


def _index_features(conn: sqlite3.Connection, article_id: int, feats: StoryFeatures) -> None:
    conn.execute("INSERT OR REPLACE INTO story_features (article_id, signature, features) VALUES (?, ?, ?)",
                 (article_id, feats.signature_blob(), feats.features_json()))
    conn.executemany("INSERT OR IGNORE INTO story_index (period, key, article_id) VALUES (?, ?, ?)",
                     [(feats.period, key, article_id) for key in feats.index_keys()])


def _unindex_features(conn: sqlite3.Connection, article_id: int) -> None:
    from storage import dedupe

    row = conn.execute("SELECT signature, features FROM story_features WHERE article_id = ?",
                       (article_id,)).fetchone()
    if row is None:
        return
    old = dedupe.StoryFeatures.from_stored(row[0], row[1])
    conn.executemany("DELETE FROM story_index WHERE period = ? AND key = ? AND article_id = ?",
                     [(old.period, key, article_id) for key in old.index_keys()])
    conn.execute("DELETE FROM story_features WHERE article_id = ?", (article_id,))


def _merge_clusters(conn: sqlite3.Connection, winner: int, clusters: set[int]) -> None:
    """Move every article of the other matched clusters into ``winner`` (the smallest id)."""
    losers = sorted(c for c in clusters if c != winner)
    if losers:
        marks = ",".join("?" * len(losers))
        conn.execute(f"UPDATE articles SET cluster_id = ? WHERE cluster_id IN ({marks})", (winner, *losers))
        logger.debug("clusters %s merged into %d", losers, winner)
