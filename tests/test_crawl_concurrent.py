"""`kabar crawl` runs its sources at once: loopback portals on 127.0.0.N, one shared fetcher.

Each portal is a real HTTP server on its own loopback address (robots.txt, a sitemap, article pages that
take a little while to answer) and logs when every request started and ended, so that the tests can see
the sources overlap in time while the limits hold: ``per_host_concurrency`` and robots.txt's
``Crawl-delay`` per host across the sources that share it, ``http.concurrency`` across all of them.
"""

from __future__ import annotations

import io
import json
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helpers import article_html, kabar_cmd, kabar_env, toml_value

from scraper.config import Config, config_from_dict
from scraper.crawl import run_crawl
from scraper.errors import StorageError
from scraper.pipeline import run_threads
from scraper.progress import Board
from storage.store import Store

WORDS = ("pasar banjir jalan sekolah petani nelayan hujan warga dokter pabrik buruh hakim kereta kapal "
         "pantai gunung hotel listrik sampah sungai").split()


@dataclass
class Hit:
    host: str
    path: str
    start: float
    end: float = 0.0


@dataclass
class Traffic:
    """Every request of every portal, and how many were in flight at most (per host and in all)."""

    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    now: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    total_now: int = 0
    total_peak: int = 0

    def begin(self, host: str, path: str) -> Hit:
        with self.lock:
            hit = Hit(host, path, time.monotonic())
            self.hits.append(hit)
            self.now[host] = self.now.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.now[host])
            self.total_now += 1
            self.total_peak = max(self.total_peak, self.total_now)
            return hit

    def end(self, hit: Hit) -> None:
        with self.lock:
            hit.end = time.monotonic()
            self.now[hit.host] -= 1
            self.total_now -= 1

    def articles(self, host: str) -> list[Hit]:
        return sorted((h for h in self.hits if h.host == host and h.path.startswith("/2025/")),
                      key=lambda h: h.start)


class Portal:
    """A news portal on ``127.0.0.N``: ``articles`` pages per section prefix, each answered after ``delay``."""

    def __init__(self, addr: str, traffic: Traffic, *, prefixes: tuple[str, ...] = ("a",), articles: int = 8,
                 delay: float = 0.05, crawl_delay: float | None = None) -> None:
        self.addr = addr
        self.traffic = traffic
        self.delay = delay
        self.pages: dict[str, tuple[str, str]] = {}
        for prefix in prefixes:
            for i in range(articles):
                words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(6))
                paras = [f"Laporan {prefix}{i} dari {addr} tentang {words} yang dibahas warga pada pekan ini."
                         for _ in range(3)]
                self.pages[f"/2025/01/{prefix}-berita-{i}/"] = ("text/html", article_html(
                    f"Berita {prefix} {i} {words}", [f"{p} Bagian {j} {prefix}{i}." for j, p in enumerate(paras)]))
        self.server = ThreadingHTTPServer((addr, 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://{addr}:{self.server.server_address[1]}"
        robots = "User-agent: *\nAllow: /\n" + (f"Crawl-delay: {crawl_delay}\n" if crawl_delay else "")
        self.pages["/robots.txt"] = ("text/plain", robots)
        for prefix in prefixes:
            locs = "".join(f"<url><loc>{self.base}{p}</loc></url>" for p in self.pages if p.startswith(
                f"/2025/01/{prefix}-"))
            self.pages[f"/sitemap-{prefix}.xml"] = (
                "application/xml", f"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{locs}</urlset>")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                # in flight from the request's arrival to the answer's first byte: within the time the
                # client holds its slot (which it lets go only once it has read the answer)
                hit = portal.traffic.begin(portal.addr, self.path)
                try:
                    page = portal.pages.get(self.path)
                    if page is not None and self.path.startswith("/2025/"):
                        time.sleep(portal.delay)
                finally:
                    portal.traffic.end(hit)
                body = (page[1] if page else "not here").encode()
                self.send_response(200 if page else 404)
                self.send_header("Content-Type", f"{page[0] if page else 'text/plain'}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def sitemap(self, prefix: str = "a") -> str:
        return f"{self.base}/sitemap-{prefix}.xml"

    def __enter__(self) -> Portal:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def source(name: str, sitemap: str, prefix: str = "a") -> dict[str, Any]:
    return {"name": name, "sitemaps": [sitemap], "article_pattern": f"/2025/01/{prefix}-"}


def make_config(tmp_path: Path, sources: list[dict[str, Any]], **http: Any) -> Config:
    return config_from_dict({
        "storage": {"path": str(tmp_path / "kabar.db")},
        "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 5.0, "concurrency": 8,
                 "per_host_concurrency": 2, **http},
        "sources": sources,
    })


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


def dead_url() -> str:
    """A loopback address and port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.4", 0))
        return f"http://127.0.0.4:{s.getsockname()[1]}"


def overlap(a: list[Hit], b: list[Hit]) -> float:
    """Seconds during which both hosts were being crawled (their article windows intersect)."""
    return min(a[-1].end, b[-1].end) - max(a[0].start, b[0].start)


# ---- in process: run_crawl ------------------------------------------------------------------------------

def test_sources_overlap_in_time_and_each_host_keeps_its_limit(tmp_path: Path, store: Store,
                                                               traffic: Traffic) -> None:
    with Portal("127.0.0.1", traffic, articles=10) as one, Portal("127.0.0.2", traffic, articles=10) as two:
        config = make_config(tmp_path, [source("satu", one.sitemap()), source("dua", two.sitemap())])
        outcome = run_crawl(config, store, config.sources, jobs=2)
    assert outcome.exit_code == 0
    assert [(s.source, s.status, s.new) for s in outcome.summaries] == [("satu", "ok", 10), ("dua", "ok", 10)]
    a, b = traffic.articles("127.0.0.1"), traffic.articles("127.0.0.2")
    assert len(a) == len(b) == 10
    # each portal takes at least 5 x 0.05 s (10 pages, 2 at a time): at once, most of that is shared
    assert overlap(a, b) > 0.15, (a[0], a[-1], b[0], b[-1])
    assert traffic.peak == {"127.0.0.1": 2, "127.0.0.2": 2}
    assert traffic.total_peak >= 3


def test_one_job_crawls_the_sources_one_after_another(tmp_path: Path, store: Store, traffic: Traffic) -> None:
    with Portal("127.0.0.1", traffic, articles=4) as one, Portal("127.0.0.2", traffic, articles=4) as two:
        config = make_config(tmp_path, [source("satu", one.sitemap()), source("dua", two.sitemap())])
        outcome = run_crawl(config, store, config.sources, jobs=1)
    assert [s.new for s in outcome.summaries] == [4, 4]
    a, b = traffic.articles("127.0.0.1"), traffic.articles("127.0.0.2")
    assert a[-1].end <= b[0].start
    assert traffic.total_peak <= 2


def test_politeness_of_a_host_holds_across_the_sources_sharing_it(tmp_path: Path, store: Store,
                                                                 traffic: Traffic) -> None:
    # two sources on one portal: per_host_concurrency 1 and the robots.txt Crawl-delay are the host's
    with Portal("127.0.0.3", traffic, prefixes=("a", "b"), articles=4, delay=0.01, crawl_delay=0.1) as portal:
        config = make_config(tmp_path, [source("kiri", portal.sitemap("a"), "a"),
                                        source("kanan", portal.sitemap("b"), "b")], per_host_concurrency=1)
        outcome = run_crawl(config, store, config.sources, jobs=2)
    assert [(s.status, s.new) for s in outcome.summaries] == [("ok", 4), ("ok", 4)]
    assert traffic.peak["127.0.0.3"] == 1
    assert sum(h.path == "/robots.txt" for h in traffic.hits) == 1       # one robots.txt for both
    fetched = sorted((h for h in traffic.hits if h.path != "/robots.txt"), key=lambda h: h.start)
    gaps = [b.start - a.start for a, b in zip(fetched, fetched[1:], strict=False)]
    # the fetcher spaces its request starts 0.1 s apart; seen here, a start may come a little late
    assert min(gaps) >= 0.05 and fetched[-1].start - fetched[0].start >= 0.1 * len(gaps) - 0.05, gaps


def test_the_global_concurrency_cap_holds_across_sources(tmp_path: Path, store: Store, traffic: Traffic) -> None:
    with Portal("127.0.0.1", traffic, articles=6) as p1, Portal("127.0.0.2", traffic, articles=6) as p2, \
            Portal("127.0.0.3", traffic, articles=6) as p3:
        config = make_config(tmp_path, [source(f"s{i}", p.sitemap()) for i, p in enumerate((p1, p2, p3))],
                             concurrency=2, per_host_concurrency=2)
        outcome = run_crawl(config, store, config.sources, jobs=3)
    assert [s.new for s in outcome.summaries] == [6, 6, 6]
    assert traffic.total_peak == 2
    assert all(overlap(traffic.articles(a), traffic.articles(b)) > 0
               for a, b in (("127.0.0.1", "127.0.0.2"), ("127.0.0.2", "127.0.0.3")))


def test_a_dead_source_does_not_stop_the_others(tmp_path: Path, store: Store, traffic: Traffic) -> None:
    dead = dead_url()
    with Portal("127.0.0.2", traffic, articles=6) as live:
        config = make_config(tmp_path, [source("mati", f"{dead}/sitemap-a.xml"), source("hidup", live.sitemap())])
        outcome = run_crawl(config, store, config.sources, jobs=2)
    mati, hidup = outcome.summaries
    assert (mati.source, mati.status) == ("mati", "failed") and mati.reason
    assert (hidup.source, hidup.status, hidup.new, hidup.failed) == ("hidup", "ok", 6, 0)
    assert outcome.exit_code == 1
    rows = store.conn.execute("SELECT source, status, new FROM runs ORDER BY source").fetchall()
    assert [tuple(r) for r in rows] == [("hidup", "ok", 6), ("mati", "failed", 0)]


def stop_when_both_served(traffic: Traffic, stop: threading.Event, n: int = 5) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(
            len([h for h in traffic.articles(host) if h.end]) >= n for host in ("127.0.0.1", "127.0.0.2")):
        time.sleep(0.02)
    stop.set()


def test_a_stop_leaves_unstarted_sources_out_and_records_the_started_interrupted(
        tmp_path: Path, store: Store, traffic: Traffic) -> None:
    stop = threading.Event()
    with Portal("127.0.0.1", traffic, articles=60, delay=0.05) as one, \
            Portal("127.0.0.2", traffic, articles=60, delay=0.05) as two:
        config = make_config(tmp_path, [source("satu", one.sitemap()), source("dua", two.sitemap()),
                                        source("tiga", two.sitemap())])
        watcher = threading.Thread(target=stop_when_both_served, args=(traffic, stop), daemon=True)
        watcher.start()
        outcome = run_crawl(config, store, config.sources, jobs=2, stop=stop)
        watcher.join()
    assert outcome.interrupted and outcome.exit_code == 130
    assert [(s.source, s.status) for s in outcome.summaries] == [("satu", "interrupted"), ("dua", "interrupted")]
    assert all(0 < s.new < 60 for s in outcome.summaries)
    stored = store.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert stored == sum(s.new for s in outcome.summaries)


# ---- the progress board ----------------------------------------------------------------------------------

def test_the_board_shows_every_source_and_the_whole_crawl() -> None:
    out = io.StringIO()
    board = Board(out, 3, fps=1000.0, size=lambda: (80, 20))
    a, b = board.sink("fam68"), board.sink("bantenpos-yang-namanya-panjang-sekali")
    a("total", 10)
    b("total", 4)
    for _ in range(5):
        a("new", 1)
    b("failed", 1)
    b.close()
    lines = board.lines(80, 20)
    assert lines[0] == "kabar crawl: 1/3 sources done, 1 running; 6/14 articles, 1 failed"
    assert lines[1].startswith("  fam68 ") and "5/10" in lines[1]
    assert "1/4" in lines[2] and lines[2].endswith("done")
    assert "bantenpos-yang-namanya-p " in lines[2]                # names cut to 24 characters
    assert all(len(ln) < 40 for ln in board.lines(40, 20))        # no line wraps
    board.close()
    text = out.getvalue()
    assert text.endswith("\n") and "\x1b[2A" in text    # redrawn in place over its three lines
    # a terminal too small for every source: the finished ones go first
    assert [ln.split()[0] for ln in board.lines(80, 3)[1:]] == ["fam68"]


# ---- the command ----------------------------------------------------------------------------------------

def write_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    lines = []
    for table in ("storage", "http"):
        lines.append(f"[{table}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in config[table].items()]
    for src in config["sources"]:
        lines.append("[[sources]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in src.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_config(tmp_path: Path, sources: list[dict[str, Any]], **http: Any) -> Path:
    return write_config(tmp_path, {
        "storage": {"path": str(tmp_path / "kabar.db")},
        "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 5.0, "concurrency": 8, "per_host_concurrency": 2,
                 **http},
        "sources": sources})


@pytest.fixture
def two_portals(traffic: Traffic) -> Iterator[tuple[Portal, Portal]]:
    with Portal("127.0.0.1", traffic, articles=5) as one, Portal("127.0.0.2", traffic, articles=5) as two:
        yield one, two


def test_the_summary_lists_every_source(tmp_path: Path, two_portals: tuple[Portal, Portal],
                                        traffic: Traffic) -> None:
    one, two = two_portals
    cfg = cli_config(tmp_path, [source("satu", one.sitemap()), source("mati", f"{dead_url()}/x.xml"),
                                source("dua", two.sitemap())])
    proc = subprocess.run(kabar_cmd("--config", str(cfg), "crawl", "--jobs", "3", "--format", "json"),
                          env=kabar_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    rows = [json.loads(ln) for ln in proc.stdout.splitlines()]
    assert [(r["source"], r["status"], r["new"]) for r in rows] == [("satu", "ok", 5), ("mati", "failed", 0),
                                                                    ("dua", "ok", 5)]
    table = subprocess.run(kabar_cmd("--config", str(cfg), "crawl"), env=kabar_env(), capture_output=True,
                           text=True, timeout=120)
    assert [ln.split()[0] for ln in table.stdout.splitlines()] == ["source", "satu", "mati", "dua"]
    assert [ln.split()[-1] for ln in table.stdout.splitlines()[1:]] == ["ok", "failed", "ok"]
    quiet = subprocess.run(kabar_cmd("--config", str(cfg), "-q", "crawl"), env=kabar_env(), capture_output=True,
                           text=True, timeout=120)
    assert quiet.returncode == 1 and quiet.stdout == ""
    assert quiet.stderr.strip().splitlines() == [
        "kabar: error: mati: run failed: " + rows[1]["error"]]


def test_sigint_stops_every_running_source_and_exits_130(tmp_path: Path, traffic: Traffic) -> None:
    with Portal("127.0.0.1", traffic, articles=200, delay=0.05) as one, \
            Portal("127.0.0.2", traffic, articles=200, delay=0.05) as two:
        cfg = cli_config(tmp_path, [source("satu", one.sitemap()), source("dua", two.sitemap())])
        proc = subprocess.Popen(kabar_cmd("--config", str(cfg), "crawl", "--format", "json"), env=kabar_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        signalled = threading.Event()
        stop_when_both_served(traffic, signalled)
        time.sleep(0.3)       # those articles stored
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    assert "finished pages were kept" in err
    rows = [json.loads(ln) for ln in out.splitlines()]
    assert [(r["source"], r["status"]) for r in rows] == [("satu", "interrupted"), ("dua", "interrupted")]
    conn = sqlite3.connect(tmp_path / "kabar.db")
    runs = conn.execute("SELECT source, status, new FROM runs ORDER BY id").fetchall()
    stored = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    conn.close()
    assert sorted(r[0] for r in runs) == ["dua", "satu"] and {r[1] for r in runs} == {"interrupted"}
    assert 0 < stored == sum(r[2] for r in runs) < 400


class FailingStore:
    """The store, except that one source's article writes fail as a full disk does."""

    def __init__(self, store: Store, host: str) -> None:
        self.store = store
        self.host = host

    def record_outcome(self, page: Any, **kw: Any) -> Any:
        if self.host in page.url and kw.get("article") is not None:
            raise StorageError("database is full (disk full)")
        return self.store.record_outcome(page, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_database_error_stops_every_source_and_propagates(tmp_path: Path, store: Store,
                                                             traffic: Traffic) -> None:
    with Portal("127.0.0.1", traffic, articles=40) as one, Portal("127.0.0.2", traffic, articles=40) as two:
        config = make_config(tmp_path, [source("satu", one.sitemap()), source("dua", two.sitemap())])
        with pytest.raises(StorageError, match="disk full"):
            run_crawl(config, FailingStore(store, "127.0.0.1"), config.sources, jobs=2)  # type: ignore[arg-type]
    runs = dict(store.conn.execute("SELECT source, status FROM runs").fetchall())
    assert runs == {"satu": "failed", "dua": "interrupted"}
    assert store.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] < 40


def test_a_run_has_threads_for_its_hosts_slots_and_two_more(tmp_path: Path) -> None:
    one = make_config(tmp_path, [source("satu", "http://127.0.0.1:8080/sitemap.xml")], concurrency=16,
                      per_host_concurrency=8)
    assert run_threads(one.sources[0], one.http) == 10
    two_hosts = make_config(tmp_path, [{"name": "dua", "start_urls": ["http://a.test/", "http://a.test/x/"],
                                        "feeds": ["http://b.test/feed/"]}], concurrency=16, per_host_concurrency=2)
    assert run_threads(two_hosts.sources[0], two_hosts.http) == 6
    capped = make_config(tmp_path, [source("tiga", "http://127.0.0.1:8080/s.xml")], concurrency=4,
                         per_host_concurrency=8)
    assert run_threads(capped.sources[0], capped.http) == 4
