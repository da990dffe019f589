"""A kabar cluster on one machine: 1, 2 and 4 ``kabar worker`` processes against the nginx static site.

    python bench/cluster.py [--articles 800] [--sources 4] [--workers 1,2,4] [--delay 0.02]

Generates the FAM68-style site of ``bench/crawl_site.py`` split into ``--sources`` sources (one child
sitemap each, one host:port for all), serves it with nginx (each request's time in its access log) and
starts a throwaway PostgreSQL (``tests/pg_server.py``: initdb in a temporary folder, 127.0.0.1). For each
worker count: a fresh PostgreSQL database and SQLite file, ``kabar cluster init``, the workers, then
``kabar crawl`` of every source (the crawl holds the writer lock and is the writer). Printed per round:
articles stored per minute (crawl wall time), the writer's lag (the oldest result waiting in PostgreSQL,
sampled every 0.25 s), and the smallest gap between two request starts to the host across all workers
(the cluster's politeness: never below ``--delay`` with ``--host-concurrency 1``, the default; with more
slots the grants are spaced by the delay and the server may see two starts closer by the senders'
scheduling jitter). Skips (exit 0) without nginx or PostgreSQL.

On a 2-core machine this measures contention as much as scaling; the check is correctness.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
sys.path[:0] = [str(HERE.parent), str(REPO / "tests"), str(REPO)]

import crawl_site  # noqa: E402
from pg_server import start_server, stop_server  # noqa: E402


def write_config(path: Path, base: str, db: Path, dsn: str, sources: int, delay: float, host_slots: int) -> None:
    lines = [f'[storage]\npath = "{db}"', f"[http]\nper_host_delay = {delay}\nper_host_concurrency = {host_slots}\n"
             "concurrency = 4\nretries = 1\ntimeout = 10.0", f'[cluster]\ndsn = "{dsn}"\nstall_timeout = 10']
    for i in range(1, sources + 1):
        lines.append(f'[[sources]]\nname = "s{i}"\nsitemaps = ["{base}/sitemap-{i}.xml"]\n'
                     f'allowed_domains = ["127.0.0.1"]\nmax_pages = 100000')
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")


def kabar(*args: str) -> list[str]:
    return [sys.executable, "-m", "scraper", *args]


def sample_lag(dsn: str, stop: threading.Event, out: list[float]) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        while not stop.wait(0.25):
            row = conn.execute("SELECT extract(epoch FROM clock_timestamp() - min(created_at)) "
                               "FROM kabar_results").fetchone()
            out.append(float(row[0]) if row and row[0] is not None else 0.0)


def min_gap(log: Path, since: float) -> float:
    starts = []
    for line in log.read_text().splitlines():
        end, took = line.split(" ")[:2]
        try:
            start = float(end) - float(took)
        except ValueError:
            continue
        if start >= since:
            starts.append(start)
    starts.sort()
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    return min(gaps) if gaps else math.inf


def one_round(n_workers: int, *, work: Path, base: str, server: Any, sources: int, delay: float,
              host_slots: int, log: Path) -> dict[str, Any]:
    import psycopg

    name = f"bench_{n_workers}_{int(time.time())}"
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    dsn = server.dsn(name)
    db = work / f"cluster-{n_workers}.db"
    cfg = work / f"cluster-{n_workers}.toml"
    write_config(cfg, base, db, dsn, sources, delay, host_slots)
    subprocess.run(kabar("--config", str(cfg), "cluster", "init"), check=True, cwd=str(REPO), capture_output=True)
    with open(work / f"workers-{n_workers}.log", "w") as out:
        workers = [subprocess.Popen(kabar("--config", str(cfg), "-q", "worker"), cwd=str(REPO), stdout=out,
                                    stderr=subprocess.STDOUT) for _ in range(n_workers)]
    lags: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=sample_lag, args=(dsn, stop, lags), daemon=True)
    time.sleep(2.0)     # the workers' start-up is not the crawl's
    since = time.time()
    t0 = time.perf_counter()
    sampler.start()
    crawl = subprocess.run(kabar("--config", str(cfg), "-q", "crawl"), cwd=str(REPO), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    stop.set()
    sampler.join()
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(60)
    with sqlite3.connect(db) as c:
        stored = int(c.execute("SELECT count(*) FROM articles").fetchone()[0])
    return {"workers": n_workers, "stored": stored, "wall": wall, "per_min": stored / wall * 60,
            "lag_max": max(lags, default=0.0), "gap_min": min_gap(log, since), "code": crawl.returncode,
            "stderr": crawl.stderr[-500:]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=800)
    ap.add_argument("--sources", type=int, default=4)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--delay", type=float, default=0.02, help="per_host_delay (seconds)")
    ap.add_argument("--host-concurrency", type=int, default=1, help="per_host_concurrency (the check's: 1)")
    args = ap.parse_args()
    nginx = crawl_site.find_nginx()
    if nginx is None:
        print("SKIP: nginx is not installed (apt-get install nginx)")
        return 0
    server, why = start_server()
    if server is None:
        print(f"SKIP: {why}")
        return 0
    work = Path(tempfile.mkdtemp(prefix="kabar-bench-cluster-"))
    work.chmod(0o755)
    site = work / "site"
    site.mkdir()
    port = crawl_site.free_port(1)
    base = crawl_site.host_base(0, port)
    crawl_site.URLS_PER_SITEMAP = math.ceil(args.articles / args.sources)    # one sitemap per source
    crawl_site.generate_site(site, args.articles, 1, port)
    log = work / "access.log"
    nginx_proc = crawl_site.start_nginx(nginx, work, site, port, 1, access_log=log)
    print(f"site: {args.articles} articles in {args.sources} sources on {base}; per_host_delay {args.delay}s, "
          f"per_host_concurrency {args.host_concurrency}")
    try:
        for n in (int(x) for x in args.workers.split(",")):
            r = one_round(n, work=work, base=base, server=server, sources=args.sources, delay=args.delay,
                          host_slots=args.host_concurrency, log=log)
            ok = "" if r["code"] == 0 else f"  (crawl exit {r['code']}: {r['stderr']})"
            print(f"{n} worker(s): {r['stored']} articles in {r['wall']:.1f}s = {r['per_min']:,.0f}/min; "
                  f"writer lag max {r['lag_max']:.2f}s; smallest gap to the host {r['gap_min'] * 1000:.1f} ms{ok}",
                  flush=True)
    finally:
        nginx_proc.terminate()
        nginx_proc.wait(10)
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True) if not os.environ.get("KEEP") else print(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
