"""A child Python process that answers pickled calls in order: CPU work off the calling process's GIL.

The crawl parses pages in one (:mod:`scraper.parse_worker`), :meth:`storage.store.Store.save_many` prepares
articles (hashes, story features) in one while the calling process writes. The child is a plain
``python -c`` process, not :mod:`multiprocessing`: spawn and forkserver re-run the caller's ``__main__``,
and fork is unsafe in a process whose other threads hold locks. It talks length-prefixed pickles over its
stdin and stdout, gets one setup object first, answers each call in order and exits when its stdin
closes, so a SIGKILLed parent does not leave it behind.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

_FRAME = struct.Struct("<I")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where storage/ and scraper/ live


class WorkerGone(RuntimeError):
    """The child process exited (killed, out of memory, failed to start): no more answers."""


def read_frame(stream: IO[bytes]) -> bytes | None:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


def write_frame(stream: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(data)) + data)
    stream.flush()


def serve(setup: Callable[[Any], Callable[..., Any]]) -> None:
    """The child's loop: ``setup(first object)`` returns the handler each further frame's args are passed to.

    A handler should return its failures as values: an exception ends the child (the parent sees
    :class:`WorkerGone` and does the work itself).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle: it closes our stdin
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)                                  # stray prints must not corrupt the answers
    inp = sys.stdin.buffer
    frame = read_frame(inp)
    if frame is None:
        return
    handle = setup(pickle.loads(frame))
    while (frame := read_frame(inp)) is not None:
        write_frame(out, handle(*pickle.loads(frame)))


class ChildWorker:
    """The parent's end: ``submit`` is thread-safe and returns a future answered in call order.

    ``entry`` names the child's main as ``"module:function"`` (a function that calls :func:`serve`).
    """

    def __init__(self, entry: str, setup: Any, *, name: str = "kabar-worker") -> None:
        module, func = entry.split(":")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p))
        self.proc = subprocess.Popen([sys.executable, "-c", f"from {module} import {func}; {func}()"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._waiting: deque[Future[Any]] = deque()
        self._broken = False
        write_frame(self._in, setup)
        self._reader = threading.Thread(target=self._read_answers, name=f"{name}-answers", daemon=True)
        self._reader.start()

    def _read_answers(self) -> None:
        while (frame := read_frame(self._out)) is not None:
            with self._lock:
                fut = self._waiting.popleft()
            fut.set_result(pickle.loads(frame))
        with self._lock:   # the child is gone: nothing more will be answered
            self._broken = True
            waiting, self._waiting = list(self._waiting), deque()
        for fut in waiting:
            fut.set_exception(WorkerGone("worker process exited"))

    def submit(self, *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        # Writes are serialised by their own lock and the answer queue by ``_lock``, which is never held
        # while writing: a writer blocked on a full pipe must not keep the reader from draining answers
        # (the child stops reading while its answers are not read).
        with self._write_lock:
            with self._lock:
                if self._broken:
                    raise WorkerGone("worker process exited")
                self._waiting.append(fut)
            try:
                write_frame(self._in, args)
            except (OSError, ValueError) as exc:
                with self._lock:
                    if fut in self._waiting:
                        self._waiting.remove(fut)
                    self._broken = True
                raise WorkerGone(f"worker process exited: {exc}") from exc
        return fut

    def call(self, *args: Any) -> Any:
        return self.submit(*args).result()

    def close(self) -> None:
        with self._lock:
            self._broken = True
        with self._write_lock, contextlib.suppress(OSError):
            self._in.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)
        self._out.close()
