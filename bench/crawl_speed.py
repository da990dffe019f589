"""Crawl speed and memory: kabar vs Scrapy vs a bare httpx loop, on the same static site, in one run.

    python bench/crawl_speed.py [--articles 5000] [--hosts 2] [--tools kabar,scrapy,bare] [--repeat 2]
    python bench/crawl_speed.py --archive 100000 [--tools kabar]     # the crawl into a 100k archive too

Generates ``--articles`` FAM68-style pages split over ``--hosts`` portals (``127.0.0.1``, ``127.0.0.2``, ...:
one loopback address each, so one host each for politeness; every portal has its own robots.txt, a sitemap
index with children of 1,000 URLs and its own stories) in a temporary folder and serves them with nginx
(``bench/crawl_site.py``). When nginx is missing the bench runs ``apt-get install -y nginx`` once if it is
root, else it skips with a message (exit 0).

Each tool runs in its own subprocess, reads the sitemaps and stores every article into its own SQLite file:

* kabar: ``scraper.crawl.run_crawl`` over one source per portal, as ``kabar crawl`` runs them (the sources
  at once, up to ``[daemon].max_running``; ``max_pages = 10000``, ``concurrency = 16``,
  ``per_host_concurrency = 8``, ``per_host_delay = 0``, robots.txt obeyed): parse into segments, promo
  removal, dedupe, story clusters, FTS;
* Scrapy: a ``SitemapSpider`` over every portal's sitemap in a ``CrawlerProcess`` storing the ``<p>`` texts
  with batched inserts (CONCURRENT_REQUESTS 16, DOWNLOAD_DELAY 0, AutoThrottle off, LOG_LEVEL ERROR);
* bare: one ``httpx.Client`` fetching the sitemaps' URLs in turn, Lexbor ``<p>`` text, batched inserts
  (the floor cost of this stack).

With ``--archive N`` the database of a second kabar crawl (``kabar+archive``) is first filled with N
articles (``bench/store.py``'s generator; one in ten an earlier outlet's copy of a crawled story, so every
crawled article meets story candidates; built once, copied for each round) and the same site is crawled
into it: its rate against the crawl into an empty database is the bar (>= 0.8x, issue 16).

Printed: articles stored per minute, CPU time per article (all threads, crawl only: steadier than wall time
on a shared machine; kabar's includes its parse worker processes, and its crawling process's share is shown)
and peak RSS (the tool's whole process tree, sampled from /proc) per tool, the ratios, and kabar's time
split into discover, fetch, parse and store (``RunSummary.timings`` summed over the sources: fetch and parse
are summed over worker threads, store over the writing threads). Bars: kabar >= 1.2x Scrapy articles/min,
peak RSS < 200 MB, every article stored.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from crawl_site import (
    archive_records,
    find_nginx,
    free_port,
    generate_site,
    host_base,
    site_stories,
    start_nginx,
)

HERE = Path(__file__).resolve()
RSS_BAR_MB = 200.0
SCRAPY_BAR = 1.2
ARCHIVE_BAR = 0.8

# ---- the measured tools (each runs in a child process: `crawl_speed.py --run TOOL DB BASE,BASE...`) -----


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def kabar_config(db: str, bases: list[str]) -> Any:
    from scraper.config import config_from_dict

    return config_from_dict({
        "storage": {"path": db},
        "http": {"per_host_delay": 0.0, "concurrency": 16, "per_host_concurrency": 8, "respect_robots": True,
                 "retries": 1},
        "sources": [{"name": f"fam68-{h}", "sitemaps": [f"{b}/sitemap_index.xml"], "max_pages": 10_000}
                    for h, b in enumerate(bases)],
    })


def run_kabar(bases: list[str], db: str) -> dict[str, Any]:
    from scraper.crawl import open_store, run_crawl

    config = kabar_config(db, bases)
    store = open_store(db)
    t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
    outcome = run_crawl(config, store, config.sources)
    elapsed, main_cpu = time.perf_counter() - t0, time.process_time() - c0
    cpu = main_cpu + children_cpu() - k0   # the parse workers, reaped when the crawl ends
    stored = store.conn.execute("SELECT COUNT(*) FROM articles WHERE source LIKE 'fam68-%'").fetchone()[0]
    joined = store.conn.execute(   # crawled articles that joined a story of other articles (the archive's)
        "SELECT COUNT(*) FROM articles a WHERE a.source LIKE 'fam68-%' AND EXISTS (SELECT 1 FROM articles b "
        "WHERE b.cluster_id = a.cluster_id AND b.id != a.id)").fetchone()[0]
    store.close()
    timings = {k: sum(s.timings[k] for s in outcome.summaries) for k in ("discover", "fetch", "parse", "store")}
    counts: dict[str, int] = {}
    for s in outcome.summaries:
        for k, v in s.counts().items():
            counts[k] = counts.get(k, 0) + v
    return {"stored": stored, "joined": joined, "elapsed": elapsed, "cpu": cpu, "main_cpu": main_cpu,
            "timings": timings,
            "counts": counts, "errors": [e for s in outcome.summaries for e in s.errors[:3]],
            "spans": [(s.source, round(s.timings["total"], 1)) for s in outcome.summaries]}


SCRAPY_SPIDER = r'''
import sqlite3, sys, time
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider

DB, BASES = sys.argv[1], sys.argv[2].split(",")

class Store:
    def open_spider(self, spider):
        self.conn = sqlite3.connect(DB)
        self.conn.execute("CREATE TABLE articles (url TEXT PRIMARY KEY, title TEXT, text TEXT)")
        self.batch = []
    def process_item(self, item, spider):
        self.batch.append((item["url"], item["title"], item["text"]))
        if len(self.batch) >= 500:
            self.flush()
        return item
    def flush(self):
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?)", self.batch)
        self.batch = []
    def close_spider(self, spider):
        self.flush()
        self.conn.close()

class Bench(SitemapSpider):
    name = "bench"
    sitemap_urls = [b + "/sitemap_index.xml" for b in BASES]
    def parse(self, response):
        yield {"url": response.url, "title": response.css("h1::text").get(),
               "text": "\n".join(t.strip() for t in response.xpath("//p//text()").getall() if t.strip())}

process = CrawlerProcess(settings={
    "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True, "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False, "ITEM_PIPELINES": {"__main__.Store": 100},
})
t0, c0 = time.perf_counter(), time.process_time()
process.crawl(Bench)
process.start()
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
conn = sqlite3.connect(DB)
stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
conn.close()
import json, resource
print("RESULT " + json.dumps({"stored": stored, "elapsed": elapsed, "cpu": cpu,
      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}), flush=True)
'''


def run_bare(bases: list[str], db: str) -> dict[str, Any]:
    import httpx
    from selectolax.lexbor import LexborHTMLParser

    from scraper.discover import parse_sitemap

    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE articles (url TEXT PRIMARY KEY, title TEXT, text TEXT)")
    t0, c0 = time.perf_counter(), time.process_time()
    batch: list[tuple[str, str, str]] = []
    with httpx.Client() as client:
        for base in bases:
            _, children = parse_sitemap(client.get(f"{base}/sitemap_index.xml").content)
            for child in children:
                urls, _ = parse_sitemap(client.get(child).content)
                for url, _lastmod in urls:
                    resp = client.get(url)
                    tree = LexborHTMLParser(resp.content)
                    h1 = tree.css_first("h1")
                    text = "\n".join(p.text(strip=True) for p in tree.css("p"))
                    batch.append((url, h1.text(strip=True) if h1 else "", text))
                    if len(batch) >= 500:
                        with conn:
                            conn.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?)", batch)
                        batch = []
    with conn:
        conn.executemany("INSERT OR REPLACE INTO articles VALUES (?, ?, ?)", batch)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    conn.close()
    return {"stored": stored, "elapsed": elapsed, "cpu": cpu}


TOOLS = {"kabar": run_kabar, "bare": run_bare}
ALL_TOOLS = ("kabar", "scrapy", "bare")


def child_main(tool: str, db: str, bases: str) -> None:
    result = TOOLS[tool](bases.split(","), db)
    result["peak_rss_mb"] = peak_rss_mb()
    print("RESULT " + json.dumps(result), flush=True)


def tree_rss_kib(root: int) -> int:
    """Sum of VmRSS over ``root`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/status") as f:
                for ln in f:
                    if ln.startswith("VmRSS:"):
                        total += int(ln.split()[1])
                        break
        except OSError:
            continue
    return total


def _fresh_db(db: Path, template: Path | None) -> None:
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    if template is not None:
        shutil.copyfile(template, db)


def measure(label: str, bases: list[str], work: Path, template: Path | None = None) -> dict[str, Any] | None:
    """Run one tool (``kabar+archive``: kabar into a copy of ``template``) in its own process."""
    tool = label.split("+")[0]
    db = work / f"{label}.db"
    _fresh_db(db, template)
    if tool == "scrapy":   # the spider is its own __main__ so Scrapy can import its pipeline by name
        script = work / "scrapy_bench_spider.py"
        script.write_text(SCRAPY_SPIDER)
        cmd = [sys.executable, str(script), str(db), ",".join(bases)]
    else:
        cmd = [sys.executable, str(HERE), "--run", tool, str(db), ",".join(bases)]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, cwd=str(HERE.parent.parent))
        tree_peak = 0
        while proc.poll() is None:
            tree_peak = max(tree_peak, tree_rss_kib(proc.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    line = next((ln for ln in stdout.splitlines() if ln.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        print(f"{label}: failed (exit {proc.returncode})\n{stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(line[len("RESULT "):])
    result["wall"] = wall
    # the whole process tree, sampled every 50 ms; at least the main process's own peak
    result["tree_rss_mb"] = max(tree_peak / 1024.0, result["peak_rss_mb"])
    result["per_min"] = result["stored"] / result["elapsed"] * 60 if result["elapsed"] else 0.0
    return result


def build_archive(work: Path, n: int, articles: int, hosts: int) -> Path:
    """The pre-filled database of the ``kabar+archive`` crawl (built once, in a child process so that this
    one stays small: a child inherits its parent's peak RSS; each round crawls a copy)."""
    path = work / "archive-template.db"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(HERE), "--build-archive", str(path), str(n), str(articles), str(hosts)],
                   check=True, cwd=str(HERE.parent.parent))
    print(f"archive: {n:,} articles stored in {time.perf_counter() - t0:.0f}s "
          f"({path.stat().st_size / 1e6:,.0f} MB)", flush=True)
    return path


def archive_main(path: str, n: int, articles: int, hosts: int) -> None:
    from storage.store import Store

    with Store.open(path) as store:
        for _ in store.save_many(archive_records(n, site_stories(articles, hosts))):
            pass
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def report(results: dict[str, dict[str, Any]], n: int, check_rss: bool) -> None:
    print()
    print(f"{'tool':<14} {'stored':>7} {'seconds':>8} {'articles/min':>13} {'CPU ms/article':>15} "
          f"{'peak RSS MB':>12}")
    for tool, r in results.items():
        cpu_ms = r["cpu"] / max(r["stored"], 1) * 1000
        print(f"{tool:<14} {r['stored']:>7} {r['elapsed']:>8.1f} {r['per_min']:>13,.0f} {cpu_ms:>15.2f} "
              f"{r['tree_rss_mb']:>12.1f}")
    if "kabar" not in results:
        return
    k = results["kabar"]
    for other in ("scrapy", "bare"):
        if other in results and results[other]["per_min"]:
            o = results[other]
            print(f"kabar / {other}: {k['per_min'] / o['per_min']:.2f}x articles/min, "
                  f"{(k['cpu'] / k['stored']) / (o['cpu'] / o['stored']):.2f}x CPU per article")
    t = k["timings"]
    busy = t["fetch"] + t["parse"]
    print(f"kabar time split: discover {t['discover']:.1f}s wall; fetch {t['fetch']:.1f}s and parse "
          f"{t['parse']:.1f}s summed over worker threads ({100 * t['parse'] / busy if busy else 0:.0f}% "
          f"parse); store {t['store']:.1f}s on the writing threads; {k['elapsed']:.1f}s wall; "
          f"per source {k['spans']}")
    print(f"kabar counts: {k['counts']}")
    if k.get("errors"):
        print(f"kabar errors: {k['errors']}")
    bars = []
    if "scrapy" in results:
        ratio = k["per_min"] / results["scrapy"]["per_min"]
        bars.append(f"kabar >= {SCRAPY_BAR}x Scrapy articles/min: {'PASS' if ratio >= SCRAPY_BAR else 'FAIL'}")
    if check_rss:
        bars.append(f"peak RSS < {RSS_BAR_MB:.0f} MB (all processes): "
                    f"{'PASS' if k['tree_rss_mb'] < RSS_BAR_MB else 'FAIL'}")
    if "kabar+archive" in results:
        a = results["kabar+archive"]
        ratio = a["per_min"] / k["per_min"]
        print(f"kabar+archive / kabar: {ratio:.2f}x articles/min (store {a['timings']['store']:.1f}s vs "
              f"{t['store']:.1f}s; {a['joined']} of {a['stored']} crawled articles joined an archived story)")
        bars.append(f"archive crawl >= {ARCHIVE_BAR}x the empty one: {'PASS' if ratio >= ARCHIVE_BAR else 'FAIL'}")
    for label, r in results.items():
        if label.startswith("kabar"):
            bars.append(f"{label} stored all {n} articles: {'PASS' if r['stored'] == n else 'FAIL'} "
                        f"({r['stored']})")
    for b in bars:
        print(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=5000, help="articles in all (split over the hosts)")
    ap.add_argument("--hosts", type=int, default=2, choices=range(1, 9), metavar="1..8",
                    help="portals, one loopback address each (default 2)")
    ap.add_argument("--tools", default="kabar,scrapy,bare")
    ap.add_argument("--archive", type=int, default=0, metavar="N",
                    help="also crawl into a database pre-filled with N articles (kabar+archive)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of all tools, interleaved; each tool's best round is reported (noisy machines)")
    ap.add_argument("--run", nargs=3, metavar=("TOOL", "DB", "BASES"), help=argparse.SUPPRESS)
    ap.add_argument("--build-archive", nargs=4, metavar=("DB", "N", "ARTICLES", "HOSTS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        child_main(*args.run)
        return 0
    if args.build_archive:
        archive_main(args.build_archive[0], *map(int, args.build_archive[1:]))
        return 0

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(tools) - set(ALL_TOOLS)
    if unknown:
        ap.error(f"unknown tools: {', '.join(sorted(unknown))}")
    if "scrapy" in tools:
        try:
            import scrapy  # noqa: F401
        except ImportError:
            print("scrapy is not installed (pip install -e '.[bench]'): measuring without it", file=sys.stderr)
            tools.remove("scrapy")
    if args.archive and "kabar" not in tools:
        tools.insert(0, "kabar")
    nginx = find_nginx()
    if nginx is None:
        print("SKIP: nginx is not installed and cannot be installed here (apt-get install nginx)")
        return 0

    work = Path(tempfile.mkdtemp(prefix="kabar-bench-"))
    os.chmod(work, 0o755)
    site = work / "site"
    port = free_port(args.hosts)
    bases = [host_base(h, port) for h in range(args.hosts)]
    t0 = time.perf_counter()
    portals = generate_site(site, args.articles, args.hosts, port)
    n = sum(len(p) for p in portals)
    size = sum(f.stat().st_size for f in site.rglob("*.html"))
    print(f"site: {n} articles on {args.hosts} host(s) ({', '.join(bases)}), {size / n / 1024:.1f} KiB per page, "
          f"generated in {time.perf_counter() - t0:.1f}s")
    results: dict[str, dict[str, Any]] = {}
    server = start_nginx(nginx, work, site, port, args.hosts)
    try:
        template = build_archive(work, args.archive, args.articles, args.hosts) if args.archive else None
        labels = [*tools, *(["kabar+archive"] if template else [])]
        for rnd in range(max(1, args.repeat)):
            for label in labels:
                print(f"round {rnd + 1}: running {label} ...", flush=True)
                r = measure(label, bases, work, template if label == "kabar+archive" else None)
                if r is None:
                    continue
                main = (f" ({r['main_cpu'] / max(r['stored'], 1) * 1000:.2f} ms in the crawling process)"
                        if "main_cpu" in r else "")
                print(f"  {r['per_min']:,.0f} articles/min, {r['cpu'] / max(r['stored'], 1) * 1000:.2f} ms CPU "
                      f"per article{main}, peak RSS {r['tree_rss_mb']:.0f} MB", flush=True)
                best = results.get(label)
                if best is None or r["per_min"] > best["per_min"]:
                    results[label] = r
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    report(results, n, check_rss=args.articles >= 5000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
