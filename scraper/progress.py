"""The progress board of ``kabar crawl`` on a terminal: every source of a crawl whose sources run at once.

One line for the whole crawl (sources done and running, articles done of those planned, failures), then one
line per source that started, with its bar: ``fam68  [#########-----------]  1,234/2,500``. The runs'
threads report through :meth:`Board.sink` (a :class:`scraper.crawl.ProgressSink` per source); the board
redraws in place (ANSI cursor moves, lines cut to the terminal's width so that none wraps) at most
``fps`` times a second, and once more when it closes. When the lines would not fit the terminal, the
sources that finished are left out first.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

BAR_WIDTH = 24


@dataclass
class _Row:
    name: str
    total: int | None = None     # articles planned (None: still discovering)
    done: int = 0
    failed: int = 0
    finished: bool = False


class _Sink:
    """One source's display on the board."""

    def __init__(self, board: Board, row: _Row) -> None:
        self.board = board
        self.row = row

    def __call__(self, event: str, n: int) -> None:
        self.board.update(self.row, event, n)

    def close(self) -> None:
        self.board.update(self.row, "finished", 0)


def _terminal_size() -> tuple[int, int]:
    cols, rows = shutil.get_terminal_size()
    return cols, rows


class Board:
    """The board; thread-safe. ``sources`` is how many the crawl runs in all."""

    def __init__(self, stream: TextIO, sources: int, *, fps: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 size: Callable[[], tuple[int, int]] | None = None) -> None:
        self.stream = stream
        self.sources = sources
        self.interval = 1.0 / fps
        self.clock = clock
        self.size = size or _terminal_size
        self.rows: list[_Row] = []
        self.lock = threading.Lock()
        self.drawn = 0              # lines on the screen from the last draw
        self.last = -float("inf")

    def sink(self, name: str) -> _Sink:
        row = _Row(name)
        with self.lock:
            self.rows.append(row)
            self._draw()
        return _Sink(self, row)

    def update(self, row: _Row, event: str, n: int) -> None:
        with self.lock:
            if event == "total":
                row.total = n
            elif event == "finished":
                row.finished = True
            else:
                row.done += n
                if event == "failed":
                    row.failed += n
            force = event in ("total", "finished")
            if force or self.clock() - self.last >= self.interval:
                self._draw()

    def close(self) -> None:
        """The last draw; the cursor goes below the board."""
        with self.lock:
            if self.rows:
                self._draw()
                self.stream.write("\n")
                self.stream.flush()
            self.drawn = 0

    # -- drawing (the caller holds the lock) -------------------------------------------------------------

    def lines(self, width: int, height: int) -> list[str]:
        running = [r for r in self.rows if not r.finished]
        finished = [r for r in self.rows if r.finished]
        planned = sum(r.total or 0 for r in self.rows)
        done = sum(r.done for r in self.rows)
        failed = sum(r.failed for r in self.rows)
        head = (f"kabar crawl: {len(finished)}/{self.sources} sources done, {len(running)} running; "
                f"{done:,}/{planned:,} articles" + (f", {failed:,} failed" if failed else ""))
        room = max(1, height - 2)
        shown = self.rows if len(self.rows) <= room else running[:room]
        name_w = min(24, max((len(r.name) for r in shown), default=0))
        out = [head]
        out.extend(self._line(r, name_w) for r in shown)
        return [ln if len(ln) < width else ln[:max(1, width - 2)] + "…" for ln in out]

    @staticmethod
    def _line(row: _Row, name_w: int) -> str:
        name = row.name[:name_w].ljust(name_w)
        if row.total is None:
            return f"  {name}  discovering ..."
        frac = row.done / row.total if row.total else 1.0
        fill = round(BAR_WIDTH * min(1.0, frac))
        state = "  done" if row.finished else ""
        failed = f"  {row.failed:,} failed" if row.failed else ""
        return f"  {name}  [{'#' * fill}{'-' * (BAR_WIDTH - fill)}]  {row.done:,}/{row.total:,}{failed}{state}"

    def _draw(self) -> None:
        width, height = self.size()
        lines = self.lines(max(20, width), max(3, height))
        up = f"\x1b[{self.drawn - 1}A" if self.drawn > 1 else ""
        self.stream.write("\r" + up + "\x1b[J" + "\n".join(lines))
        self.stream.flush()
        self.drawn = len(lines)
        self.last = self.clock()
