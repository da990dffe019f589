"""Errors raised by the storage layer.

``KabarError`` is the root of every error kabar reports to a user; it lives here because ``storage``
is the lower layer (``storage`` never imports ``scraper``). The full tree, including the scraper's
errors, is drawn in ``scraper/errors.py``.
"""

from __future__ import annotations


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
