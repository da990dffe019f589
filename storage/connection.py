"""Opening the database: the ``sqlite3`` connection, its settings and the reader's schema check.

:class:`storage.store.Store` opens through :func:`connect` and :func:`configure`; a writer then runs the
migrations (sqlite-utils), a reader only checks with :func:`check_readable` that they have run.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from storage.errors import StorageError, map_sqlite_error

logger = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT = 10.0
MIGRATION_SET = "kabar"
# The names of storage/migrations.py, in order (a test keeps the two equal): readers check them without
# importing sqlite-utils.
SCHEMA_MIGRATIONS = ("0001_core_tables", "0002_articles_fts", "0003_story_clusters", "0004_stories_view",
                     "0005_daemon_heartbeat", "0006_cluster_index_by_period", "0007_story_index",
                     "0008_foreign_keys_and_fts_triggers", "0009_canonical_url_keys", "0010_run_owner",
                     "0011_page_gone", "0012_removed_blocks", "0013_story_table", "0014_story_model",
                     "0015_drop_prefix_indexes")


def connect(path: str, *, readonly: bool, busy_timeout: float) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode (transactions are explicit), safe to share between
    threads under one lock. ``readonly`` opens ``file:PATH?mode=ro`` and needs an existing file."""
    if readonly and (path == ":memory:" or not Path(path).is_file()):
        raise StorageError(f"{path}: database not found (run `kabar crawl` or `kabar demo` to create it)")
    # a statement cache big enough for the IN (...) variants
    options: dict[str, Any] = {"isolation_level": None, "check_same_thread": False, "timeout": busy_timeout,
                               "cached_statements": 512}
    try:
        if readonly:
            return _connect_reader(path, options)
        if path != ":memory:" and not Path(path).parent.exists():
            raise StorageError(f"{path}: directory {str(Path(path).parent)!r} does not exist")
        return sqlite3.connect(path, **options)
    except sqlite3.Error as exc:
        raise map_sqlite_error(exc, path) from exc


def _connect_reader(path: str, options: dict[str, Any]) -> sqlite3.Connection:
    """``mode=ro``; in a folder (or on a file) that cannot be written, where a WAL database's ``-shm`` cannot
    be created (a backup mount, another user's folder), ``immutable=1`` with one warning line."""
    uri = f"file:{quote(os.path.abspath(path))}"
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, **options)
    if _writable(path):
        return conn
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        why = str(exc)
    logger.warning("%s: the folder or the file is read-only and the database cannot be opened normally (%s): reading it "
                   "as immutable; results may miss writes still in an un-checkpointed %s-wal", path, why,
                   Path(path).name)
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, **options)


def _writable(path: str) -> bool:
    """Can this process write the database file and create files next to it (``-wal``, ``-shm``)?"""
    folder = os.path.dirname(os.path.abspath(path))
    return os.access(folder, os.W_OK) and os.access(path, os.W_OK)


def configure(conn: sqlite3.Connection, path: str, *, readonly: bool, busy_timeout: float) -> None:
    """The connection's pragmas: busy timeout, foreign keys, a 32 MB cache; WAL for a writer on a file."""
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA cache_size = -32768")
    conn.execute("PRAGMA temp_store = MEMORY")
    if readonly:
        conn.execute("PRAGMA query_only = ON")
        return
    if path != ":memory:":
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            logger.warning("%s: journal_mode is %s, not WAL", path, mode)
    conn.execute("PRAGMA synchronous = NORMAL")


def check_readable(conn: sqlite3.Connection, path: str) -> None:
    """A reader checks, without sqlite-utils, that the file is a kabar database at the current schema."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "articles" not in tables:
        raise StorageError(f"{path}: not a kabar database (no articles table)")
    applied: set[str] = set()
    if "_sqlite_migrations" in tables:
        applied = {r[0] for r in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATION_SET,))}
    todo = [name for name in SCHEMA_MIGRATIONS if name not in applied]
    if todo:
        raise StorageError(f"{path}: database schema is older than this kabar (missing "
                           f"{', '.join(todo)}); open it once for writing, e.g. with `kabar crawl`, "
                           "to upgrade it")
