"""One writer per database: an exclusive ``flock`` on ``<db>.lock`` beside the database file.

A writing command (``kabar crawl``, ``kabar demo``, ``kabar daemon`` for its whole lifetime) takes
:class:`WriterLock` before it writes; query commands never do. Once the lock is taken, the file holds the
owner (pid, host, command, start time) as JSON, so a second process can name the one in its way
(:func:`holder`). The kernel drops the lock when its process dies (SIGKILL included): a stale lock file
is simply taken by the next writer. An in-memory database needs no lock.

The owner is also written to ``runs.owner`` (``pid@host``, :func:`this_owner`), so that recovery marks
``interrupted`` only the runs whose process is dead (:func:`owner_is_alive`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from storage.errors import ReadOnlyDatabaseError, StorageError
from storage.util import utcnow_iso

__all__ = ["Owner", "WriterLock", "WriterLockedError", "holder", "is_held", "lock_path", "owner_is_alive",
           "this_owner"]

POLL_S = 0.1
_MAX_OWNER_BYTES = 4096
_held: dict[str, WriterLock] = {}      # lock file -> the lock this process holds on it
_held_guard = threading.Lock()


@dataclass(frozen=True)
class Owner:
    """Who holds (or last held) a database's writer lock."""

    pid: int
    host: str
    command: str
    since: str

    @property
    def key(self) -> str:
        """The ``runs.owner`` form: ``pid@host``."""
        return f"{self.pid}@{self.host}"

    @property
    def is_daemon(self) -> bool:
        return self.command.split()[-1:] == ["daemon"]

    def describe(self) -> str:
        return f"{self.command} (pid {self.pid} on host {self.host}, since {self.since})"


class WriterLockedError(StorageError):
    """Another process holds the database's writer lock."""

    def __init__(self, db_path: str, owner: Owner | None, *, hint: str | None = None) -> None:
        self.db_path = db_path
        self.owner = owner
        who = owner.describe() if owner is not None else "another kabar process"
        super().__init__(f"{db_path} is being written by {who}" + (f": {hint}" if hint else ""))


def needs_lock(db_path: str) -> bool:
    """False for an in-memory database (nobody else can write it)."""
    path = str(db_path)
    return path not in ("", ":memory:") and not path.startswith("file::memory:")


def lock_path(db_path: str) -> Path:
    """``<db>.lock`` beside the database (symlinks resolved: every name of one file shares one lock)."""
    return Path(os.path.realpath(db_path) + ".lock")


def this_owner() -> str:
    """This process as ``runs.owner`` records it: ``pid@host``."""
    return f"{os.getpid()}@{socket.gethostname()}"


def _parse_owner(raw: bytes) -> Owner | None:
    try:
        data = json.loads(raw.decode("utf-8"))
        return Owner(int(data["pid"]), str(data["host"]), str(data["command"]), str(data["since"]))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None


def _read_owner(path: Path, *, settle_s: float = 0.0) -> Owner | None:
    """The owner written in ``path``; waits up to ``settle_s`` for a holder that has not written it yet."""
    deadline = time.monotonic() + settle_s
    while True:
        try:
            with open(path, "rb") as f:
                owner = _parse_owner(f.read(_MAX_OWNER_BYTES))
        except OSError:
            owner = None
        if owner is not None or time.monotonic() >= deadline:
            return owner
        time.sleep(0.02)


def holder(db_path: str) -> Owner | None:
    """The owner of the writer lock of ``db_path`` while someone holds it, else None."""
    if not needs_lock(db_path) or not is_held(db_path):
        return None
    return _read_owner(lock_path(db_path), settle_s=0.2)


def is_held(db_path: str) -> bool:
    """Whether some process (this one included) holds the writer lock of ``db_path``."""
    path = lock_path(db_path)
    with _held_guard:
        if str(path) in _held:
            return True
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)     # closing drops a shared lock taken by the probe
    return False


def held_by_this_process(db_path: str) -> bool:
    with _held_guard:
        return str(lock_path(db_path)) in _held


def owner_is_alive(owner: str | None, db_path: str) -> bool:
    """Whether the process recorded as ``owner`` (``pid@host``) of a ``running`` run may still write it.

    Recovery runs when a writer starts, before its first run, so a row without owner (written before
    ``runs.owner`` existed) or naming this very process (an earlier process with the same pid) is dead.
    While this process holds the writer lock nobody else can be writing: every owner is dead. Otherwise an
    owner on this host is alive while its pid is, one on another host while the lock is held.
    """
    if not owner or owner == this_owner() or held_by_this_process(db_path):
        return False
    pid_text, _, host = owner.partition("@")
    if host != socket.gethostname():
        return is_held(db_path)
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    return _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True       # a process of another user
    return True


def _open_lock_file(db_path: str, path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except FileNotFoundError as exc:
        raise StorageError(f"{db_path}: directory {str(path.parent)!r} does not exist") from exc
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise ReadOnlyDatabaseError(f"{db_path}: cannot create the writer lock {path} ({exc.strerror}): "
                                        "the folder is not writable") from exc
        raise StorageError(f"{db_path}: cannot open the writer lock {path} ({exc.strerror})") from exc


class WriterLock:
    """The exclusive writer lock of one database, held until :meth:`release` (or the process ends)."""

    def __init__(self, db_path: str, path: Path | None, fd: int | None, owner: Owner) -> None:
        self.db_path = db_path
        self.path = path
        self.owner = owner
        self._fd = fd

    @classmethod
    def acquire(cls, db_path: str, *, wait: float | None = 0.0, command: str = "kabar",
                stop: threading.Event | None = None) -> WriterLock:
        """Take the lock of ``db_path``: at once (``wait=0``), within ``wait`` seconds, or whenever it is
        free (``wait=None``). Raises :class:`WriterLockedError` naming the holder when it stays taken (or
        ``stop`` is set while waiting), :class:`StorageError` when the lock file cannot be created."""
        db_path = str(db_path)
        owner = Owner(os.getpid(), socket.gethostname(), command, utcnow_iso())
        if not needs_lock(db_path):
            return cls(db_path, None, None, owner)
        path = lock_path(db_path)
        with _held_guard:
            if str(path) in _held:
                raise WriterLockedError(db_path, _held[str(path)].owner)
        fd = _open_lock_file(db_path, path)
        deadline = None if wait is None else time.monotonic() + max(0.0, wait)
        try:
            while not _try_flock(fd):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0 or stop is not None and stop.is_set():
                    raise WriterLockedError(db_path, _read_owner(path, settle_s=0.2))
                pause = POLL_S if remaining is None else min(POLL_S, remaining)
                if stop is not None:
                    stop.wait(pause)
                else:
                    time.sleep(pause)
            _write_owner(fd, owner)
        except BaseException:
            os.close(fd)
            raise
        lock = cls(db_path, path, fd, owner)
        with _held_guard:
            _held[str(path)] = lock
        return lock

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up (the file stays, emptied: removing it could race with the next writer)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with _held_guard:
            if self.path is not None and _held.get(str(self.path)) is self:
                del _held[str(self.path)]
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)      # closing the descriptor drops the flock

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _try_flock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_owner(fd: int, owner: Owner) -> None:
    data = json.dumps({"pid": owner.pid, "host": owner.host, "command": owner.command, "since": owner.since})
    os.ftruncate(fd, 0)
    os.pwrite(fd, data.encode("utf-8") + b"\n", 0)
