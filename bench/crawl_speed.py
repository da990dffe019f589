"""Crawl speed and memory: kabar vs Scrapy vs a bare httpx loop, on the same static site, in one run.

    python bench/crawl_speed.py [--articles 5000] [--tools kabar,scrapy,bare] [--keep]

Generates a FAM68-style site of ``--articles`` pages (one HTML file each, a sitemap index with children of
1,000 URLs, a permissive robots.txt) in a temporary folder and serves it with nginx (one worker, loopback,
access log off, ETags on), so the server is not the bottleneck. When nginx is missing the bench runs
``apt-get install -y nginx`` once if it is root, else it skips with a message (exit 0).

Each tool runs in its own subprocess, reads the sitemap and stores every article into its own SQLite file:

* kabar: ``crawl_source`` (per_host_delay 0, concurrency 8, per_host_concurrency 8, robots.txt obeyed):
  parse into segments, promo removal, dedupe, story clusters, FTS;
* Scrapy: a ``SitemapSpider`` in a ``CrawlerProcess`` storing the ``<p>`` texts with batched inserts
  (CONCURRENT_REQUESTS 16, DOWNLOAD_DELAY 0, AutoThrottle off, LOG_LEVEL ERROR);
* bare: one ``httpx.Client`` fetching the sitemap's URLs in turn, Lexbor ``<p>`` text, batched inserts
  (the floor cost of this stack).

Printed: articles stored per minute, CPU time per article (all threads, crawl only: steadier than wall time
on a shared machine; kabar's includes its parse worker process, and its crawling process's share is shown) and peak RSS (the tool's whole process tree, sampled from /proc) per tool, the ratios,
and kabar's time split into discover, fetch, parse and store (``RunSummary.timings``: fetch and parse are summed
over worker threads, store is the writing thread). Bars: kabar >= Scrapy articles/min, peak RSS < 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
URLS_PER_SITEMAP = 1000
RSS_BAR_MB = 200.0

# ---- the generated site ------------------------------------------------------------------------------

WORDS = (
    "pemerintah provinsi banten kepolisian imigrasi kerja sama warga desa kota kabupaten bupati gubernur "
    "menteri presiden rakyat pekerja migran program bantuan sosial anggaran pendidikan sekolah guru murid "
    "rumah sakit dokter pasien kesehatan jalan tol jembatan banjir longsor gempa cuaca hujan angin petani "
    "nelayan pasar harga beras cabai minyak goreng inflasi ekonomi investasi pabrik buruh upah minimum "
    "pengadilan hakim jaksa saksi korupsi penangkapan tersangka polisi razia narkoba lalu lintas kecelakaan "
    "festival budaya pariwisata pantai gunung hotel wisatawan olahraga sepak bola pertandingan juara atlet "
    "teknologi internet digital aplikasi startup pemilu partai calon kampanye suara rapat dewan perwakilan "
    "data laporan survei penelitian universitas mahasiswa dosen lingkungan sampah hutan sungai air bersih "
    "listrik energi tambang transportasi kereta bandara pelabuhan kapal bus angkutan umum perumahan tanah"
).split()
SECTIONS = ("daerah", "nasional", "hukum", "ekonomi", "olahraga", "wisata")


STOP = ("yang dan di ke dari untuk dengan pada dalam ini itu akan juga oleh sebagai tidak ada atau karena "
        "telah sudah bagi para tersebut kata saat lebih bisa agar serta hingga namun menjadi").split()
_SYLLABLES = ("ba be bi bo bu da de di du ga gi gu ka ke ki ko ku la li lu ma me mi mu na ni nu pa pe pi "
              "pu ra re ri ru sa se si su ta te ti tu wa ya jan kan lah nya ran tan man ang ung ing").split()


def _vocabulary(rng: random.Random, n: int = 20_000) -> list[str]:
    """The news vocabulary plus pseudo-words, in a Zipf-like frequency order."""
    words = list(WORDS)
    seen = set(words)
    while len(words) < n:
        w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


_VOCAB: list[str] = []
_WEIGHTS: list[float] = []


def _word(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(STOP)
    if not _VOCAB:
        _VOCAB.extend(_vocabulary(random.Random(1)))
        acc = 0.0
        for rank in range(1, len(_VOCAB) + 1):
            acc += 1.0 / rank
            _WEIGHTS.append(acc)
    return rng.choices(_VOCAB, cum_weights=_WEIGHTS)[0]


def _sentence(rng: random.Random, n: int) -> str:
    """A sentence of Zipf-distributed words; one in four carries a number (news text cites figures)."""
    words = [_word(rng) for _ in range(n)]
    if rng.random() < 0.25:
        words.insert(rng.randrange(len(words)), str(rng.randrange(10, 99999)))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(12, 22)) for _ in range(rng.randint(2, 4)))


def article_page(i: int, rng: random.Random, base: str) -> tuple[str, str]:
    """(path, html) of article ``i`` in the FAM68 style."""
    section = SECTIONS[i % len(SECTIONS)]
    title = _sentence(rng, 8).rstrip(".")
    slug = "-".join(title.lower().split()[:8]) + f"-{i}"
    path = f"/2025/{1 + i % 12:02d}/{slug}/"
    parts = [f"<p>FAM68 – {_paragraph(rng)}</p>", f"<p>{_paragraph(rng)}</p>"]
    for _ in range(3):
        parts.append(f"<h2>{_sentence(rng, 7).rstrip('.')}</h2>")
        parts.append(f"<p>FAM68 – {_paragraph(rng)}</p>")
        parts.extend(f"<p>{_paragraph(rng)}</p>" for _ in range(rng.randint(1, 3)))
    promo = "".join(f"<li><a href='{base}/2025/01/berita-lain-{rng.randrange(10**6)}/'>{_sentence(rng, 6)}</a></li>"
                    for _ in range(4))
    nav = "".join(f"<li><a href='{base}/category/{s}/'>{s.title()}</a></li>" for s in SECTIONS)
    script = "<script>" + "var x=" + json.dumps([rng.random() for _ in range(150)]) + ";</script>"
    html = (
        "<!DOCTYPE html><html lang='id-ID'><head><meta charset='UTF-8'>"
        f"<title>{title} - FAM68</title><link rel='canonical' href='{base}{path}'>"
        f"<meta property='og:title' content='{title}'><meta property='article:published_time' "
        f"content='2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+07:00'>{script}</head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1 class='entry-title'>{title}</h1><div class='entry-meta'>Redaksi FAM68 · "
        f"<a href='{base}/category/{section}/'>{section.title()}</a></div>"
        f"<div class='entry-content'>{''.join(parts)}"
        f"<p><strong>Berita Terpercaya :</strong></p><ul>{promo}</ul>"
        "<div class='sharedaddy'>Bagikan: Facebook Twitter WhatsApp</div></div></article></main>"
        f"<footer><p>© 2025 FAM68. Hak cipta dilindungi.</p><ul>{nav}</ul></footer></body></html>")
    return path, html


def generate_site(root: Path, n: int, base: str) -> int:
    """Write the site; returns the number of article pages."""
    rng = random.Random(68)
    paths: list[str] = []
    for i in range(n):
        path, html = article_page(i, rng, base)
        d = root / path.strip("/")
        d.mkdir(parents=True, exist_ok=True)
        (d / "index.html").write_text(html, encoding="utf-8")
        paths.append(path)
    children = []
    for k in range(0, n, URLS_PER_SITEMAP):
        name = f"sitemap-{k // URLS_PER_SITEMAP + 1}.xml"
        body = "".join(f"<url><loc>{base}{p}</loc><lastmod>2025-11-01</lastmod></url>"
                       for p in paths[k:k + URLS_PER_SITEMAP])
        (root / name).write_text('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                                 f'schemas/sitemap/0.9">{body}</urlset>', encoding="utf-8")
        children.append(name)
    index = "".join(f"<sitemap><loc>{base}/{c}</loc></sitemap>" for c in children)
    (root / "sitemap_index.xml").write_text('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://'
                                            f'www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>',
                                            encoding="utf-8")
    (root / "robots.txt").write_text(f"User-agent: *\nDisallow: /wp-admin/\nSitemap: {base}/sitemap_index.xml\n")
    (root / "index.html").write_text("<html><body><h1>FAM68</h1></body></html>")
    return n


# ---- nginx -------------------------------------------------------------------------------------------

def find_nginx() -> str | None:
    for cand in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if cand and os.access(cand, os.X_OK):
            return cand
    if os.geteuid() != 0:
        return None
    print("nginx not found: apt-get install -y nginx (once)", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    rc = subprocess.call(["apt-get", "install", "-y", "-q", "nginx-light"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rc != 0:
        rc = subprocess.call(["apt-get", "install", "-y", "-q", "nginx"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if rc != 0:
        return None
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_nginx(nginx: str, work: Path, site: Path, port: int,
                access_log: Path | None = None) -> subprocess.Popen[bytes]:
    """nginx serving ``site``; ``access_log``: each request's end time and duration (seconds) one a line."""
    conf = work / "nginx.conf"
    log = f"log_format t '$msec $request_time $request $connection';\n  access_log {access_log} t;" if access_log else "access_log off;"
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(f"  {k}_temp_path {work / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf.write_text(f"""{user}
worker_processes 1;
daemon off;
pid {work / 'nginx.pid'};
error_log {work / 'nginx-error.log'} warn;
events {{ worker_connections 1024; }}
http {{
  types {{ text/html html; application/xml xml; text/plain txt; }}
  default_type application/octet-stream;
  {log}
  sendfile on;
  tcp_nopush on;
  etag on;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
{temp}
  server {{
    listen 127.0.0.1:{port};
    root {site};
    index index.html;
  }}
}}
""")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start listening")


# ---- the measured tools (each runs in a child process: `crawl_speed.py --run TOOL BASE DB`) ----------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_kabar(base: str, db: str) -> dict[str, Any]:
    from scraper.config import config_from_dict
    from scraper.pipeline import crawl_source
    from storage.store import Store

    config = config_from_dict({
        "storage": {"path": db},
        "http": {"per_host_delay": 0.0, "concurrency": 8, "per_host_concurrency": 8, "respect_robots": True,
                 "retries": 1},
        "sources": [{"name": "bench", "sitemaps": [f"{base}/sitemap_index.xml"], "max_pages": 1_000_000}],
    })
    store = Store.open(db)
    t0, c0, k0 = time.perf_counter(), time.process_time(), children_cpu()
    summary = crawl_source(config.sources[0], config, store)
    elapsed, main_cpu = time.perf_counter() - t0, time.process_time() - c0
    cpu = main_cpu + children_cpu() - k0   # the parse worker of a bulk run, reaped when the run ends
    stored = store.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    store.close()
    return {"stored": stored, "elapsed": elapsed, "cpu": cpu, "main_cpu": main_cpu, "timings": summary.timings,
            "counts": summary.counts(), "errors": summary.errors[:5]}


SCRAPY_SPIDER = r'''
import sqlite3, sys, time
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider

BASE, DB = sys.argv[1], sys.argv[2]

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
    sitemap_urls = [BASE + "/sitemap_index.xml"]
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


def run_bare(base: str, db: str) -> dict[str, Any]:
    import httpx
    from selectolax.lexbor import LexborHTMLParser

    from scraper.discover import parse_sitemap

    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE articles (url TEXT PRIMARY KEY, title TEXT, text TEXT)")
    t0, c0 = time.perf_counter(), time.process_time()
    batch: list[tuple[str, str, str]] = []
    with httpx.Client() as client:
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


def child_main(tool: str, base: str, db: str) -> None:
    result = TOOLS[tool](base, db)
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


def measure(tool: str, base: str, work: Path) -> dict[str, Any] | None:
    db = work / f"{tool}.db"
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        p.unlink(missing_ok=True)
    if tool == "scrapy":   # the spider is its own __main__ so Scrapy can import its pipeline by name
        script = work / "scrapy_bench_spider.py"
        script.write_text(SCRAPY_SPIDER)
        cmd = [sys.executable, str(script), base, str(db)]
    else:
        cmd = [sys.executable, str(HERE), "--run", tool, base, str(db)]
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
        print(f"{tool}: failed (exit {proc.returncode})\n{stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(line[len("RESULT "):])
    result["wall"] = wall
    # the whole process tree, sampled every 50 ms; at least the main process's own peak
    result["tree_rss_mb"] = max(tree_peak / 1024.0, result["peak_rss_mb"])
    result["per_min"] = result["stored"] / result["elapsed"] * 60 if result["elapsed"] else 0.0
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=5000)
    ap.add_argument("--tools", default="kabar,scrapy,bare")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of all tools, interleaved; each tool's best round is reported (noisy machines)")
    ap.add_argument("--run", nargs=3, metavar=("TOOL", "BASE", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.run:
        child_main(*args.run)
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
    nginx = find_nginx()
    if nginx is None:
        print("SKIP: nginx is not installed and cannot be installed here (apt-get install nginx)")
        return 0

    work = Path(tempfile.mkdtemp(prefix="kabar-bench-"))
    os.chmod(work, 0o755)
    site = work / "site"
    site.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    n = generate_site(site, args.articles, base)
    size = sum(f.stat().st_size for f in site.rglob("*.html"))
    print(f"site: {n} articles, {size / n / 1024:.1f} KiB per page, generated in {time.perf_counter() - t0:.1f}s")
    server = start_nginx(nginx, work, site, port)
    results: dict[str, dict[str, Any]] = {}
    try:
        for rnd in range(max(1, args.repeat)):
            for tool in tools:
                print(f"round {rnd + 1}: running {tool} ...", flush=True)
                r = measure(tool, base, work)
                if r is None:
                    continue
                main = (f" ({r['main_cpu'] / max(r['stored'], 1) * 1000:.2f} ms in the crawling process)"
                        if "main_cpu" in r else "")
                print(f"  {r['per_min']:,.0f} articles/min, {r['cpu'] / max(r['stored'], 1) * 1000:.2f} ms CPU "
                      f"per article{main}", flush=True)
                best = results.get(tool)
                if best is None or r["per_min"] > best["per_min"]:
                    results[tool] = r
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

    print()
    print(f"{'tool':<13} {'stored':>7} {'seconds':>8} {'articles/min':>13} {'CPU ms/article':>15} "
          f"{'peak RSS MB':>12}")
    for tool, r in results.items():
        cpu_ms = r["cpu"] / max(r["stored"], 1) * 1000
        print(f"{tool:<13} {r['stored']:>7} {r['elapsed']:>8.1f} {r['per_min']:>13,.0f} {cpu_ms:>15.2f} "
              f"{r['tree_rss_mb']:>12.1f}")
    if "kabar" in results:
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
              f"parse); store {t['store']:.1f}s on the writing thread ({100 * t['store'] / k['elapsed']:.0f}% "
              f"of {k['elapsed']:.1f}s wall)")
        print(f"kabar counts: {k['counts']}")
        if k.get("errors"):
            print(f"kabar errors: {k['errors']}")
        bars = []
        if "scrapy" in results:
            ok = k["per_min"] >= results["scrapy"]["per_min"]
            bars.append(f"kabar >= Scrapy articles/min: {'PASS' if ok else 'FAIL'}")
        if args.articles >= 5000:
            bars.append(f"peak RSS < {RSS_BAR_MB:.0f} MB (all processes): "
                        f"{'PASS' if k['tree_rss_mb'] < RSS_BAR_MB else 'FAIL'}")
        for b in bars:
            print(b)
        if k["stored"] != n:
            print(f"WARNING: kabar stored {k['stored']} of {n} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
