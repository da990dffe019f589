"""Connections to the cluster's PostgreSQL (``[cluster] dsn``): opening, error mapping, reconnecting.

Imported only when ``[cluster]`` is configured: a one-machine kabar never loads psycopg. Every failure a
user meets becomes one :class:`ClusterError` line (exit 1); a DSN that cannot be parsed is
:class:`BadDsnError` (exit 2). :class:`PgLink` is one connection that reconnects with backoff when
PostgreSQL restarts, so workers and the writer go on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg import conninfo

from storage.errors import KabarError

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT_S = 5
RECONNECT_MAX_S = 5.0       # longest wait between two reconnection attempts


class ClusterError(KabarError):
    """The cluster's PostgreSQL cannot be used (unreachable, refusing, not initialised)."""


class BadDsnError(ClusterError):
    """The DSN itself is malformed."""

    exit_code = 2


class NotInitialisedError(ClusterError):
    """The queue schema or kabar's tables are missing."""


def safe_dsn(dsn: str) -> str:
    """The DSN without its password, for messages."""
    try:
        parts = conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparseable dsn>"
    parts.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in parts.items())


def check_dsn(dsn: str, where: str) -> str:
    """``dsn`` when it parses as a libpq connection string or URI; :class:`BadDsnError` otherwise."""
    if not dsn.startswith(("postgresql://", "postgres://")):
        raise BadDsnError(f"{where}: expected a postgresql://USER@HOST:PORT/DB URI, got {dsn[:80]!r}")
    try:
        conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise BadDsnError(f"{where}: invalid PostgreSQL DSN: {' '.join(str(exc).split())}") from None
    return dsn


def connect(dsn: str, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A connection to the cluster's database; :class:`ClusterError` (one line) when it cannot be had."""
    try:
        return psycopg.connect(dsn, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.ProgrammingError as exc:
        raise BadDsnError(f"invalid PostgreSQL DSN: {' '.join(str(exc).split())}") from None
    except psycopg.Error as exc:
        raise ClusterError(f"cannot connect to PostgreSQL ({safe_dsn(dsn)}): {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(text[0].split()) if text else type(exc).__name__


class PgLink:
    """One autocommit connection used by one thread at a time (a lock), reopened with backoff when
    PostgreSQL goes away. :meth:`run` calls ``fn(conn)`` until it succeeds or ``stop`` is set."""

    def __init__(self, dsn: str, *, stop: threading.Event | None = None,
                 give_up_after: float | None = None) -> None:
        self.dsn = dsn
        self.stop = stop
        self.give_up_after = give_up_after
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.dsn)
        return self._conn

    def run(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        """``fn(conn)``; a lost connection is reopened (backoff up to :data:`RECONNECT_MAX_S`) and ``fn``
        called again. Raises :class:`ClusterError` when stopped or after ``give_up_after`` seconds."""
        started = time.monotonic()
        delay = 0.2
        while True:
            with self._lock:
                try:
                    return fn(self._connection())
                except (psycopg.OperationalError, ClusterError) as exc:
                    if isinstance(exc, BadDsnError | NotInitialisedError):
                        raise
                    self._drop()
                    error = exc
            if self.give_up_after is not None and time.monotonic() - started > self.give_up_after:
                raise ClusterError(f"PostgreSQL unreachable for {self.give_up_after:.0f}s: "
                                   f"{_first_line(error)}") from None
            log.warning("PostgreSQL connection lost (%s); reconnecting in %.1fs", _first_line(error), delay)
            if self.stop is not None:
                if self.stop.wait(delay):
                    raise ClusterError(f"stopped while PostgreSQL was unreachable: {_first_line(error)}")
            else:
                time.sleep(delay)
            delay = min(RECONNECT_MAX_S, delay * 2)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                log.debug("closing a broken connection failed", exc_info=True)

    def close(self) -> None:
        with self._lock:
            self._drop()
