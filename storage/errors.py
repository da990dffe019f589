"""Errors raised by the storage layer.

``KabarError`` is the root of every error kabar reports to a user; it lives here because ``storage``
is the lower layer (``storage`` never imports ``scraper``). The full tree, including the scraper's
errors, is drawn in ``scraper/errors.py``. :func:`map_sqlite_error` is the one translation of a ``sqlite3``
error into this tree.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


class KabarError(Exception):
    """Base class: a failure a user can meet, reported as one line and an exit code."""

    exit_code = 1


class StorageError(KabarError):
    """The database cannot be used (corrupt, not a kabar database, missing for a query)."""


class DatabaseLockedError(StorageError):
    """Another process held a write lock for longer than the busy timeout."""


class DiskFullError(StorageError):
    """SQLite reported SQLITE_FULL: the disk (or max_page_count) is exhausted."""


class ReadOnlyDatabaseError(StorageError):
    """The database file or its directory cannot be written."""


class QueryError(KabarError):
    """A user-supplied query (FTS5 syntax, --since value) is malformed."""

    exit_code = 2


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
