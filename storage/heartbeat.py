"""The ``daemon_heartbeat`` table: one row (``id = 1``) that ``kabar daemon`` rewrites every heartbeat.

The daemon writes it through a :class:`HeartbeatWriter`: its own connection, apart from the store its crawl
threads share, so a beat never waits behind a crawl's transaction and the main thread can still record an
abandoned run after ``stop_timeout``. ``kabar stats --health`` reads it with :func:`read_heartbeat`
(read-only, never migrating). Times are ISO 8601 UTC text; the writer takes them as text, in the stored form.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from storage import connection, runs
from storage.errors import StorageError, map_sqlite_error
from storage.util import utcnow_iso

TABLE = "daemon_heartbeat"

_WRITE_TIMEOUT_S = 10.0
_READ_TIMEOUT_S = 5.0

_UPSERT = f"""INSERT INTO {TABLE} (id, pid, host, state, started_at, beat_at, interval_s, running)
    VALUES (1, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host, state = excluded.state,
        started_at = excluded.started_at, beat_at = excluded.beat_at,
        interval_s = excluded.interval_s, running = excluded.running"""
_SELECT = f"SELECT pid, host, state, started_at, beat_at, interval_s, running FROM {TABLE} WHERE id = 1"


class NotMigratedError(StorageError):
    """The database has no ``daemon_heartbeat`` table: it was not migrated by this version of kabar."""


@dataclass(frozen=True)
class Heartbeat:
    pid: int
    host: str
    state: str                 # running | stopping | stopped
    started_at: datetime
    beat_at: datetime
    interval_s: float
    running: str               # comma-separated names of the sources crawling at the last beat


def _utc(text: str) -> datetime:
    dt = datetime.fromisoformat(text)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def _connect(path: str, *, readonly: bool) -> sqlite3.Connection:
    if readonly:   # the readers' open: mode=ro, immutable in a read-only folder
        conn = connection.connect(path, readonly=True, busy_timeout=_READ_TIMEOUT_S)
    else:
        conn = sqlite3.connect(path, timeout=_WRITE_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(_WRITE_TIMEOUT_S * 1000)}")
    except BaseException:
        conn.close()
        raise
    return conn


class HeartbeatWriter:
    """The daemon's own connection to ``path``: heartbeat writes and the record of abandoned runs.

    Every method raises :class:`StorageError` (mapped like the store's errors); a missing table raises
    :class:`NotMigratedError`.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self._conn: sqlite3.Connection | None = _connect(path, readonly=False)
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc, path) from exc

    def _execute(self, sql: str | Callable[[sqlite3.Connection], object], params: tuple[object, ...] = ()) -> None:
        if self._conn is None:
            raise StorageError(f"{self.path}: the heartbeat connection is closed")
        try:
            if callable(sql):
                sql(self._conn)
            else:
                self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            if "no such table" in str(exc):
                raise NotMigratedError(f"{self.path}: {exc} (the database was not migrated)") from exc
            raise map_sqlite_error(exc, self.path) from exc

    def write(self, *, pid: int, host: str, state: str, started_at: str, beat_at: str, interval_s: float,
              running: str) -> None:
        """Rewrite the heartbeat row. ``started_at`` and ``beat_at`` are stored time text."""
        self._execute(_UPSERT, (pid, host, state, started_at, beat_at, interval_s, running))

    def interrupt_running(self, source: str) -> None:
        """Record the ``running`` run of ``source`` as interrupted, finished now (a crawl abandoned after
        ``stop_timeout``; a source never overlaps itself, so its only running row is that one)."""
        now = utcnow_iso()
        self._execute(lambda conn: runs.interrupt_source_runs(conn, source, now))

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def read_heartbeat(path: str) -> Heartbeat | None:
    """The heartbeat row of ``path`` (opened read-only), or None when no daemon ever wrote one.

    Raises :class:`StorageError` when the database cannot be opened.
    """
    if not os.path.exists(path):
        raise StorageError(f"{path}: no such database")
    try:
        conn = _connect(path, readonly=True)
        try:
            row = conn.execute(_SELECT).fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise map_sqlite_error(exc, path) from exc
    except sqlite3.Error as exc:
        raise map_sqlite_error(exc, path) from exc
    if row is None:
        return None
    return Heartbeat(pid=int(row[0]), host=str(row[1] or ""), state=str(row[2]), started_at=_utc(row[3]),
                     beat_at=_utc(row[4]), interval_s=float(row[5]), running=str(row[6] or ""))
