"""Soak: a real `kabar daemon` with many sources over a loopback site, watched from /proc (not run by CI).

Serves a small news portal on 127.0.0.1 with ``--sources`` sections (each publishes a new article every
``--publish-every`` seconds), starts ``python -m scraper daemon`` on it in a temporary directory and samples
the daemon's CPU time and RSS from ``/proc/PID`` every ``--sample`` seconds for ``--duration`` seconds. The
daemon's JSON log tells when runs were in flight, so each sample interval is classed *busy* (a run overlapped
it) or *idle*. Prints, at the end:

* idle CPU %: CPU seconds / wall seconds over the idle intervals (bar: < 1 %);
* overall CPU %, the runs per source and how many failed;
* retained RSS: samples taken while no run is in flight and a heartbeat after the last run ended (the
  daemon hands freed heap back to the OS then), after a 90 s warm-up; the median of the first and of the
  last fifth of them, the growth and a least-squares trend (bar: flat, within 2 MiB / 5 %).

Usage::

    python bench/soak.py                          # 20 sources, 10 minutes
    python bench/soak.py --duration 180           # shortened
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_WORDS = ("pemerintah kota menggelar rapat koordinasi bersama warga untuk membahas rencana perbaikan jalan "
          "saluran air dan penerangan yang dikeluhkan sejak musim hujan tahun lalu").split()
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The daemon's heartbeat, also when it hands freed memory back to the OS after runs (malloc_trim).
HEARTBEAT_S = 5.0
WARM_UP_S = 90.0
PAGE = os.sysconf("SC_PAGE_SIZE")


class Site:
    """``/s<i>/`` lists the ten newest articles of section i; a new one appears every ``publish_every``
    seconds (sections are staggered so publications are spread out)."""

    def __init__(self, sections: int, publish_every: float) -> None:
        self.sections = sections
        self.publish_every = publish_every
        self.t0 = time.monotonic()
        self.requests = 0
        self.lock = threading.Lock()

    def newest(self, i: int) -> int:
        return 5 + int((time.monotonic() - self.t0 + i * self.publish_every / self.sections) // self.publish_every)

    def page(self, path: str) -> tuple[int, str]:
        with self.lock:
            self.requests += 1
        parts = [p for p in path.split("?")[0].split("/") if p]
        if parts and parts[0].startswith("s") and parts[0][1:].isdigit() and int(parts[0][1:]) < self.sections:
            i = int(parts[0][1:])
            newest = self.newest(i)
            if len(parts) == 1:
                links = "".join(f'<li><a href="/s{i}/2024/05/berita-{n}/">Berita {n}</a></li>'
                                for n in range(newest, max(0, newest - 10), -1))
                return 200, f"<h1>Seksi {i}</h1><ul>{links}</ul>"
            if len(parts) == 4 and parts[3].startswith("berita-"):
                n = int(parts[3].removeprefix("berita-"))
                if n <= newest:
                    paras = "".join(
                        f"<p>S{i} {n}-{k}: " + " ".join(_WORDS[(n * 7 + k * 3 + j) % len(_WORDS)] for j in range(28))
                        + ".</p>" for k in range(4))
                    return 200, f"<article><h1>Berita seksi {i} nomor {n}</h1>{paras}</article>"
        return 404, "<p>not found</p>"

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status, body = site.page(self.path)
                data = f"<!doctype html><html lang=id><head><meta charset=utf-8><title>x</title></head><body>{body}" \
                       f"</body></html>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"


def write_config(path: Path, base: str, db: Path, sources: int, schedule: str) -> None:
    lines = ["[storage]", f'path = "{db}"', "", "[http]", "per_host_delay = 0.0", "retries = 0",
             "timeout = 10.0", "", "[daemon]", "jitter = 0.1", "max_running = 4", 'max_interval = "10m"', ""]
    for i in range(sources):
        lines += ["[[sources]]", f'name = "s{i}"', f'start_urls = ["{base}/s{i}/"]',
                  f"article_pattern = '^{base}/s{i}/\\d{{4}}/'", f'schedule = "{schedule}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime (fields 14 and 15 of stat)


def rss_mib(pid: int) -> float:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def run_intervals(log: Path) -> tuple[list[tuple[float, float]], dict[str, int], dict[str, int]]:
    """(start, end) wall times of the runs in the daemon's JSON log; runs and failed runs per source."""
    open_runs: dict[str, float] = {}
    spans: list[tuple[float, float]] = []
    runs: dict[str, int] = defaultdict(int)
    failed: dict[str, int] = defaultdict(int)
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        src = ev.get("source")
        if not src or ev.get("logger") != "scraper.daemon":
            continue
        t = datetime.fromisoformat(ev["time"]).timestamp()
        if ev["message"].endswith(": run started"):
            open_runs[src] = t
        elif "counts" in ev and src in open_runs:
            spans.append((open_runs.pop(src), t))
            runs[src] += 1
            failed[src] += ev.get("status") == "failed"
    spans += [(t, float("inf")) for t in open_runs.values()]
    return spans, runs, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=600.0, help="seconds to watch (default 600)")
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--schedule", default="every 1m", help='per-source schedule (default "every 1m")')
    ap.add_argument("--publish-every", type=float, default=120.0, help="seconds between new articles per section")
    ap.add_argument("--sample", type=float, default=5.0, help="seconds between /proc samples")
    args = ap.parse_args()

    site = Site(args.sources, args.publish_every)
    server, base = site.serve()
    with tempfile.TemporaryDirectory(prefix="kabar-soak-") as tmp:
        work = Path(tmp)
        cfg, db, log = work / "config.toml", work / "kabar.db", work / "daemon.log"
        write_config(cfg, base, db, args.sources, args.schedule)
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "scraper", "--config", str(cfg), "--log-format", "json",
                                     "daemon", "--heartbeat", str(HEARTBEAT_S)],
                                    cwd=work, stdout=out, stderr=subprocess.STDOUT)
        samples: list[tuple[float, float, float]] = []   # (wall time, cpu seconds, rss MiB)
        t_end = time.time() + args.duration
        try:
            while time.time() < t_end and proc.poll() is None:
                samples.append((time.time(), cpu_seconds(proc.pid), rss_mib(proc.pid)))
                time.sleep(args.sample)
            samples.append((time.time(), cpu_seconds(proc.pid), rss_mib(proc.pid)))
        finally:
            t_stop = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
            stop_s = time.monotonic() - t_stop
            server.shutdown()
        spans, runs, failed = run_intervals(log)

    idle_cpu = idle_wall = busy_cpu = busy_wall = 0.0
    for (t0, c0, _), (t1, c1, _) in zip(samples, samples[1:], strict=False):
        busy = any(s < t1 and e > t0 for s, e in spans)
        if busy:
            busy_cpu, busy_wall = busy_cpu + (c1 - c0), busy_wall + (t1 - t0)
        else:
            idle_cpu, idle_wall = idle_cpu + (c1 - c0), idle_wall + (t1 - t0)
    total_wall = samples[-1][0] - samples[0][0]
    total_cpu = samples[-1][1] - samples[0][1]
    # Retained memory: RSS sampled while no run is in flight and at least one heartbeat after the last run
    # ended (the daemon trims the heap then), after the warm-up. Samples taken mid-run also hold that run's
    # pages, trees and thread stacks, which are transient.
    steady = [s for s in samples if s[0] >= samples[0][0] + WARM_UP_S]
    settled = [s for s in steady
               if not any(st - 1.0 < s[0] < e + HEARTBEAT_S + 1.0 for st, e in spans)]
    basis = settled if len(settled) >= 6 else (steady or samples)
    fifth = max(1, len(basis) // 5)
    rss_start = statistics.median(r for _, _, r in basis[:fifth])
    rss_end = statistics.median(r for _, _, r in basis[-fifth:])
    growth = rss_end - rss_start
    slope = 0.0
    if len(basis) >= 2:
        ts = [t for t, _, _ in basis]
        rs = [r for _, _, r in basis]
        tm, rm = statistics.fmean(ts), statistics.fmean(rs)
        var = sum((t - tm) ** 2 for t in ts)
        slope = sum((t - tm) * (r - rm) for t, r in zip(ts, rs, strict=True)) / var * 3600 if var else 0.0

    n_runs = sum(runs.values())
    print(f"soak: {args.sources} sources, {args.schedule}, {total_wall:.0f} s, {len(samples)} samples, "
          f"{n_runs} runs ({sum(failed.values())} failed), {site.requests} requests served")
    print(f"runs per source: min {min(runs.values(), default=0)}, max {max(runs.values(), default=0)}")
    if idle_wall:
        print(f"idle CPU: {100 * idle_cpu / idle_wall:.3f} % over {idle_wall:.0f} s of idle intervals "
              f"(bar < 1 %)")
    else:
        print("idle CPU: no idle interval (runs overlapped every sample; lengthen the schedule)")
    if busy_wall:
        print(f"busy CPU: {100 * busy_cpu / busy_wall:.2f} % over {busy_wall:.0f} s with a run in flight")
    print(f"overall CPU: {100 * total_cpu / total_wall:.3f} % ({total_cpu:.1f} s CPU)")
    which = f"{len(settled)} settled samples" if basis is settled else "all samples (too few settled ones)"
    print(f"RSS ({which}): {rss_start:.1f} MiB after warm-up -> {rss_end:.1f} MiB at the end "
          f"({growth:+.1f} MiB, {100 * growth / rss_start:+.1f} %), trend {slope:+.1f} MiB/h; "
          f"peak {max(r for _, _, r in samples):.1f} MiB")
    per_minute = defaultdict(list)
    for t, _, r in samples:
        per_minute[int((t - samples[0][0]) // 60)].append(r)
    print("RSS by minute (MiB):", " ".join(f"{statistics.median(v):.1f}" for _, v in sorted(per_minute.items())))
    print(f"stop: exit {code} in {stop_s:.2f} s")
    ok = (not idle_wall or idle_cpu / idle_wall < 0.01) and growth < max(2.0, 0.05 * rss_start) and code == 0
    print("bars:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
