"""A child Python process that answers pickled calls in order: CPU work off the calling process's GIL.

The crawl parses pages in one (:mod:`scraper.parse_worker`), :meth:`storage.store.Store.save_many` prepares
articles (hashes, story features) in one while the calling process writes. The child is a plain
``python -c`` process, not :mod:`multiprocessing`: spawn and forkserver re-run the caller's ``__main__``,
and fork is unsafe in a process whose other threads hold locks. It talks length-prefixed pickles over its
stdin and stdout, gets one setup object first, answers each call in order and exits when its stdin
closes, so a SIGKILLed parent does not leave it behind.

A budget for untrusted work: :meth:`ChildWorker.call` takes a ``timeout`` (counted from when the child
starts on the call, not from when it was queued) and SIGKILLs the child on overrun; ``max_memory`` caps the
child's address space (``RLIMIT_AS``), so a memory bomb ends only the child. The call that was running when
the child died raises :class:`WorkerKilled`; calls queued behind it raise plain :class:`WorkerGone` (they
may be asked again of a new worker). ``deadline`` arms ``alarm()`` in the child around each call as a
backstop: a child stuck in C code (which never reads its closed stdin) dies even when its parent is gone.
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

_FRAME = struct.Struct("<I")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where storage/ and scraper/ live


_DEADLINE_ENV = "KABAR_WORKER_DEADLINE"    # whole seconds the child gives itself per call (alarm)
_READY = "kabar-worker-ready"              # the child's first frame: set up, reading calls


class WorkerGone(RuntimeError):
    """The child process exited (killed, out of memory, failed to start): no more answers."""


class WorkerKilled(WorkerGone):
    """The child died (or was killed) while working on this call: the call itself is the likely cause."""


class WorkerTimeout(WorkerKilled):
    """The call ran past its timeout: the child was killed."""


class WorkerCancelled(WorkerGone):
    """The caller's ``cancel`` event was set while the call ran: the child was killed."""


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
    write_frame(out, _READY)                       # deadlines count from here, not from the start-up
    deadline = int(os.environ.get(_DEADLINE_ENV) or 0)
    frames = _read_ahead(inp)
    while (frame := frames.get()) is not None:
        signal.alarm(deadline)                     # SIGALRM's default action ends the process
        answer = handle(*pickle.loads(frame))
        signal.alarm(0)
        write_frame(out, answer)


def _read_ahead(inp: IO[bytes]) -> queue.SimpleQueue[bytes | None]:
    """The calls as they arrive, read by a thread while the child works on earlier ones: the parent's
    writes never wait for the child to finish a call (a call bigger than the pipe would otherwise block the
    parent until then). The parent bounds what it sends ahead; None ends the stream."""
    frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def read() -> None:
        try:
            while (frame := read_frame(inp)) is not None:
                frames.put(frame)
        finally:
            frames.put(None)

    threading.Thread(target=read, name="kabar-worker-calls", daemon=True).start()
    return frames


def _child_command(entry: str, max_memory: int | None) -> str:
    module, func = entry.split(":")
    cap = ""
    if max_memory:
        cap = (f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({int(max_memory)}, "
               f"resource.getrlimit(resource.RLIMIT_AS)[1])); ")
    return f"{cap}from {module} import {func}; {func}()"


class _Call:
    __slots__ = ("future", "started")

    def __init__(self) -> None:
        self.future: Future[Any] = Future()
        self.started: float | None = None     # when the child began on it (it was at the queue's head)


class ChildWorker:
    """The parent's end: ``submit`` is thread-safe and returns a future answered in call order.

    ``entry`` names the child's main as ``"module:function"`` (a function that calls :func:`serve`);
    ``max_memory`` caps the child's address space in bytes; ``deadline`` (seconds) is the child's own
    backstop per call (see the module's doc).
    """

    def __init__(self, entry: str, setup: Any, *, name: str = "kabar-worker", max_memory: int | None = None,
                 deadline: float | None = None) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p))
        env[_DEADLINE_ENV] = str(math.ceil(deadline) + 2 if deadline else 0)
        self.proc = subprocess.Popen([sys.executable, "-c", _child_command(entry, max_memory)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin, self.proc.stdout
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._waiting: deque[_Call] = deque()
        self._broken = False
        self._death: type[WorkerKilled] = WorkerKilled   # what the running call raises when the child dies
        self._death_reason = "worker process exited"
        self._ready = False                              # the child is set up (its first frame came)
        write_frame(self._in, setup)
        self._reader = threading.Thread(target=self._read_answers, name=f"{name}-answers", daemon=True)
        self._reader.start()

    def _read_answers(self) -> None:
        if read_frame(self._out) is not None:
            with self._lock:
                self._ready = True
                if self._waiting:
                    self._waiting[0].started = time.monotonic()
            self._answer_calls()
        with self._lock:   # the child is gone: nothing more will be answered
            self._broken = True
            waiting, self._waiting = list(self._waiting), deque()
            death, reason = self._death, self._death_reason
        if waiting and self._ready and not self._died_idle():
            waiting.pop(0).future.set_exception(death(reason))
        for call in waiting:
            call.future.set_exception(WorkerGone("worker process exited"))

    def _answer_calls(self) -> None:
        while (frame := read_frame(self._out)) is not None:
            with self._lock:
                call = self._waiting.popleft()
                if self._waiting:
                    self._waiting[0].started = time.monotonic()
            try:
                call.future.set_result(pickle.loads(frame))
            except Exception as exc:   # an answer this process cannot unpickle: that call's failure
                call.future.set_exception(WorkerGone(f"unreadable answer: {type(exc).__name__}: {exc}"))

    def _died_idle(self) -> bool:
        """The child exited on its own with status 0 (its stdin closed): no call was its cause."""
        try:
            return self.proc.wait(timeout=5) == 0
        except subprocess.TimeoutExpired:
            return False

    def submit(self, *args: Any) -> Future[Any]:
        return self._submit(args).future

    def _submit(self, args: tuple[Any, ...]) -> _Call:
        call = _Call()
        # Writes are serialised by their own lock and the answer queue by ``_lock``, which is never held
        # while writing: a writer blocked on a full pipe must not keep the reader from draining answers
        # (the child stops reading while its answers are not read).
        with self._write_lock:
            with self._lock:
                if self._broken:
                    raise WorkerGone("worker process exited")
                if not self._waiting and self._ready:
                    call.started = time.monotonic()
                self._waiting.append(call)
            try:
                write_frame(self._in, args)
            except (OSError, ValueError) as exc:
                with self._lock:
                    if call in self._waiting:
                        self._waiting.remove(call)
                    self._broken = True
                raise WorkerGone(f"worker process exited: {exc}") from exc
        return call

    def call(self, *args: Any, timeout: float | None = None, cancel: threading.Event | None = None,
             cancel_grace: float = 0.0) -> Any:
        """The child's answer to ``args``. With ``timeout``, a call the child works on longer than that
        kills the child (:class:`WorkerTimeout`); a ``cancel`` event set for ``cancel_grace`` seconds
        while the call waits kills it too (:class:`WorkerCancelled`)."""
        call = self._submit(args)
        if timeout is None and cancel is None:
            return call.future.result()
        cancelled_at: float | None = None
        while True:
            with self._lock:
                started = call.started
            now = time.monotonic()
            wait = 0.1 if cancel is not None else None
            if timeout is not None:
                left = timeout if started is None else started + timeout - now
                wait = left if wait is None else min(wait, left)
            try:
                return call.future.result(timeout=max(wait, 0.0) if wait is not None else None)
            except TimeoutError:
                pass
            now = time.monotonic()
            if cancel is not None and cancel.is_set():
                cancelled_at = now if cancelled_at is None else cancelled_at
                if now >= cancelled_at + cancel_grace:
                    self.kill(WorkerCancelled, "cancelled")
                    continue
            if timeout is not None and started is not None and now >= started + timeout:
                self.kill(WorkerTimeout, f"timeout after {timeout:g} s")

    def kill(self, death: type[WorkerKilled] | type[WorkerGone] = WorkerKilled, reason: str = "killed") -> None:
        """SIGKILL the child (and reap it): the running call raises ``death(reason)``, queued calls
        :class:`WorkerGone`."""
        with self._lock:
            if not self._broken:
                self._death, self._death_reason = death, reason  # type: ignore[assignment]
                self._broken = True
        with contextlib.suppress(OSError):
            self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)

    @property
    def ready(self) -> bool:
        """The child got set up (it answered its setup frame)."""
        with self._lock:
            return self._ready

    @property
    def alive(self) -> bool:
        with self._lock:
            return not self._broken

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
