"""crawl_source() against the hostile loopback server: every route survived, counted, explained, bounded.

One crawl of one source touches every route of :mod:`hostile_server` (the listing and the sitemap link them
all as articles), plus a Retry-After longer than ``max_retry_after`` on a second server of its own and a
host that does not resolve (a transport that raises ``httpx.ConnectError``: no DNS look-up). The tests then
read what the run left: the summary columns, ``pages.error`` for every failed or skipped URL, no article
row for any of them, the good pages stored intact, and a total run time bounded by the configured limits.
"""

from __future__ import annotations

import re
import resource
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import article_html, config_to_toml
from hostile_server import (
    EVIL_HOST,
    INVALID_UTF8_TITLE,
    LYING_TITLE,
    ROUTE_BY_NAME,
    ROUTES,
    SITEMAP_BOMB_PATH,
    UNRESOLVABLE_HOST,
    HostileServer,
    Route,
)

from scraper.config import Config, config_from_dict
from scraper.pipeline import RunSummary, crawl_source
from storage.store import Store
from storage.urls import canonical_url

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
HTTP = {
    "timeout": 2.0, "max_bytes": 2_000_000, "retries": 1, "backoff_base": 0.05, "backoff_max": 0.2,
    "per_host_delay": 0.0, "max_retry_after": 3.0, "concurrency": 16, "per_host_concurrency": 16,
}
SOURCE = "hostile"
UNRESOLVABLE_URL = f"http://{UNRESOLVABLE_HOST}/2025/01/tak-pernah-ada/"
# The longest any one URL may take with the config above: (retries + 1) attempts of `timeout`, the longest
# Retry-After honoured, and the backoff. The run fetches in parallel, so the whole run must stay within a
# few of these, not their sum over ~30 routes.
WORST_URL_S = (HTTP["retries"] + 1) * HTTP["timeout"] + HTTP["max_retry_after"] + HTTP["backoff_max"]
RUN_BOUND_S = 4 * WORST_URL_S + 10.0


def hostile_config(db: Path, start: str, *, domains: tuple[str, ...] = ("127.0.0.1",),
                   **http: Any) -> Config:
    data = {
        "storage": {"path": str(db)},
        "http": {**HTTP, **http},
        "sources": [{"name": SOURCE, "start_urls": [f"{start}/"], "sitemaps": [f"{start}/sitemap.xml"],
                     "allowed_domains": list(domains), "article_pattern": "/2025/01/"}],
    }
    return config_from_dict(data, "<hostile>")


class LoopbackOnly:
    """A transport that records every request and only lets 127.0.0.1 through to a real socket.

    Any other host raises ``httpx.ConnectError`` here, as an unresolvable name would, without a DNS
    look-up or a packet leaving the machine; the record shows whether kabar ever tried.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.lock = threading.Lock()
        self.real = httpx.HTTPTransport()
        self.mock = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        if request.url.scheme != "http" or request.url.host != "127.0.0.1":
            raise httpx.ConnectError(f"[Errno -2] Name or service not known: {request.url.host}",
                                     request=request)
        return self.real.handle_request(request)

    def hosts(self) -> set[str]:
        with self.lock:
            return {r.url.host for r in self.requests}

    def close(self) -> None:
        self.real.close()


@dataclass
class HostileRun:
    srv: HostileServer
    lone: HostileServer             # serves only the long Retry-After
    summary: RunSummary
    elapsed: float
    db: sqlite3.Connection
    transport: LoopbackOnly
    rss_growth_mb: float
    urls: dict[str, str] = field(default_factory=dict)   # route name -> URL

    def page(self, url: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute("SELECT * FROM pages WHERE url = ?",
                                                  (canonical_url(url),)).fetchone()
        return row

    def article(self, url: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT a.* FROM articles a WHERE a.canonical_url = ? OR a.id IN "
            "(SELECT article_id FROM article_urls WHERE url IN (?, ?))",
            (canonical_url(url), url, canonical_url(url))).fetchone()
        return row


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    tmp = tmp_path_factory.mktemp("hostile")
    with HostileServer(routes=["retry-after-long"], articles=0) as lone:
        long_url = lone.url(lone.paths["retry-after-long"])
        with HostileServer(articles=6, extra_links=[long_url, UNRESOLVABLE_URL]) as srv:
            config = hostile_config(tmp / "h.db", srv.base_url, domains=("127.0.0.1", UNRESOLVABLE_HOST))
            transport = LoopbackOnly()
            rss_before = _peak_rss_mb()
            with Store.open(str(tmp / "h.db")) as store:
                t0 = time.monotonic()
                summary = crawl_source(config.sources[0], config, store, transport=transport.mock)
                elapsed = time.monotonic() - t0
            transport.close()
            db = sqlite3.connect(f"file:{tmp / 'h.db'}?mode=ro", uri=True)
            db.row_factory = sqlite3.Row
            urls = {**srv.route_urls(), "retry-after-long": long_url}
            yield HostileRun(srv, lone, summary, elapsed, db, transport, _peak_rss_mb() - rss_before, urls)
            db.close()


def _outcome(run: HostileRun, url: str) -> str:
    """What the database says happened to one URL: new (an article row) or the pages.error text."""
    if run.article(url) is not None:
        return "new"
    page = run.page(url)
    assert page is not None, f"no pages row for {url}"
    assert page["error"], f"{url}: neither an article nor a reason in pages.error"
    return page["error"]


# every route the one big run touches: the shared server's, plus the long Retry-After on its own server
ALL_ROUTES = [r for r in ROUTES if not r.isolated] + [ROUTE_BY_NAME["retry-after-long"]]


def test_run_survives_and_finishes_within_the_limits(run: HostileRun) -> None:
    assert run.summary.status == "ok", run.summary.errors
    assert run.elapsed < RUN_BOUND_S, f"run took {run.elapsed:.1f}s (bound {RUN_BOUND_S:.0f}s)"
    # A gzip bomb or an endless body held in memory would show here (GBs); limits keep it to a few MB.
    assert run.rss_growth_mb < 400, f"peak RSS grew by {run.rss_growth_mb:.0f} MB"


@pytest.mark.parametrize("route", ALL_ROUTES, ids=[r.name for r in ALL_ROUTES])
def test_route_outcome_and_reason(run: HostileRun, route: Route) -> None:
    url = run.urls[route.name]
    got = _outcome(run, url)
    if route.outcome == "new":
        assert got == "new", f"{route.name} ({route.what}): expected a stored article, got {got!r}"
        page = run.page(url)
        assert page is not None and page["error"] is None and page["status"] == 200
        return
    if route.outcome == "any":
        # Skipping it (with the reason, checked by _outcome) is fine; storing it is fine only when the stored
        # article follows SPEC.md like any other: no dateline left in a paragraph, the title not glued in.
        if got == "new":
            art = run.article(url)
            assert art is not None
            assert "FAM68 –" not in art["text"], f"{route.name}: stored text keeps the dateline: {art['text'][:120]!r}"
            assert not art["text"].startswith(art["title"]), f"{route.name}: title glued into the text"
        return
    assert got != "new", f"{route.name} ({route.what}) was stored as an article"
    assert re.search(route.reason, got, re.IGNORECASE), f"{route.name}: reason {got!r} !~ /{route.reason}/"
    assert "\n" not in got and len(got) <= 500, f"{route.name}: pages.error is not one short line: {got!r}"


def test_summary_columns_match_what_each_url_became(run: HostileRun) -> None:
    """Each URL lands in exactly one column: new for stored pages, failed or skipped as SPEC.md names."""
    expected = {"new": len(run.srv.article_paths), "failed": 1, "skipped": 0}   # failed: the unresolvable host
    for route in ALL_ROUTES:
        outcome = route.outcome
        if outcome == "any":
            got = _outcome(run, run.urls[route.name])
            outcome = "new" if got == "new" else ("skipped" if re.search("not an article", got) else "failed")
        expected[outcome] += 1
    s = run.summary
    assert (s.new, s.failed, s.skipped) == (expected["new"], expected["failed"], expected["skipped"]), s.counts()
    assert s.updated == s.unchanged == s.duplicate == 0
    assert s.discovered == len(run.srv.article_paths) + len(ALL_ROUTES) + 1


def test_failed_and_skipped_urls_leave_no_article_and_no_alias(run: HostileRun) -> None:
    bad = [run.urls[r.name] for r in ALL_ROUTES if r.outcome in ("failed", "skipped")] + [UNRESOLVABLE_URL]
    for url in bad:
        assert run.article(url) is None, url
        n = run.db.execute("SELECT count(*) FROM article_urls WHERE url IN (?, ?)",
                           (url, canonical_url(url))).fetchone()[0]
        assert n == 0, url
    # nothing partial anywhere: every article has its segments and its full-text row
    orphans = run.db.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                             "(SELECT 1 FROM segments s WHERE s.article_id = a.id)").fetchone()[0]
    assert orphans == 0
    assert run.db.execute("SELECT count(*) FROM articles").fetchone()[0] == \
        run.db.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
    assert run.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_unresolvable_host_fails_without_a_lookup(run: HostileRun) -> None:
    got = _outcome(run, UNRESOLVABLE_URL)
    assert re.search(r"connect|unreachable|resolve", got, re.IGNORECASE), got
    asked = [r for r in run.transport.requests if r.url.host == UNRESOLVABLE_HOST]
    assert asked, "the unresolvable host was never tried"
    # robots.txt first; the article itself is not asked for once the host is known to be down
    assert all(r.url.path == "/robots.txt" for r in asked), [str(r.url) for r in asked]
    assert len(asked) == HTTP["retries"] + 1


def test_nothing_left_loopback(run: HostileRun) -> None:
    assert run.transport.hosts() <= {"127.0.0.1", UNRESOLVABLE_HOST}, run.transport.hosts()
    assert EVIL_HOST not in run.transport.hosts()
    assert all(r.url.scheme == "http" for r in run.transport.requests)


def _gaps(records: list[Any]) -> list[float]:
    return [b.time - a.time for a, b in zip(records, records[1:], strict=False)]


def test_retry_after_seconds_is_waited(run: HostileRun) -> None:
    reqs = run.srv.requests_for(run.srv.paths["retry-after-429"])
    assert len(reqs) == 2
    assert _gaps(reqs)[0] >= 0.9


def test_retry_after_http_date_is_waited(run: HostileRun) -> None:
    reqs = run.srv.requests_for(run.srv.paths["retry-after-503-date"])
    assert len(reqs) == 2
    assert _gaps(reqs)[0] >= 1.5     # the date is 2 s after the response's Date header


def test_persistent_429_gives_up_after_the_retries(run: HostileRun) -> None:
    reqs = run.srv.requests_for(run.srv.paths["always-429"])
    assert len(reqs) == HTTP["retries"] + 1
    assert all(g >= 0.9 for g in _gaps(reqs))


def test_retry_after_above_the_maximum_is_not_waited_for(run: HostileRun) -> None:
    assert len(run.lone.requests_for(run.lone.paths["retry-after-long"])) == 1


@pytest.mark.parametrize("name", ["burst-500-1", "burst-500-5", "reset-mid-body", "trickle"])
def test_transient_failures_are_retried_exactly_the_configured_times(run: HostileRun, name: str) -> None:
    assert len(run.srv.requests_for(run.srv.paths[name])) == HTTP["retries"] + 1


@pytest.mark.parametrize("name", ["wrong-type-pdf", "wrong-type-png", "big-20mb", "not-found", "empty-200",
                                  "redirect-evil", "redirect-file", "redirect-other-ip", "redirect-userinfo"])
def test_permanent_answers_are_not_retried(run: HostileRun, name: str) -> None:
    assert len(run.srv.requests_for(run.srv.paths[name])) == 1


def test_redirect_hops_stop_at_ten(run: HostileRun) -> None:
    asked = {r.path for r in run.srv.log}
    assert "/2025/01/hop-1/" in asked          # ten redirects followed
    assert "/2025/01/hop-0/" not in asked      # the eleventh is not


def test_redirect_loop_is_not_followed_around(run: HostileRun) -> None:
    assert len(run.srv.requests_for(run.srv.paths["redirect-loop"])) == 1
    assert len(run.srv.requests_for("/2025/01/loop-b/")) == 1


def test_lying_charset_is_read_as_utf8(run: HostileRun) -> None:
    art = run.article(run.urls["lying-charset"])
    assert art is not None
    assert art["title"] == LYING_TITLE
    assert "Rp 5.000 – separuh harga" in art["text"]
    assert "“harganya pas untuk pelajar”" in art["text"]
    assert "Ã" not in art["text"] and "â€" not in art["text"]


def test_invalid_utf8_keeps_the_valid_text(run: HostileRun) -> None:
    art = run.article(run.urls["invalid-utf8"])
    assert art is not None
    assert art["title"] == INVALID_UTF8_TITLE
    assert "kantor desa masing-masing" in art["text"]


def test_nul_bytes_never_reach_the_database(run: HostileRun) -> None:
    art = run.article(run.urls["nul-bytes"])
    assert art is not None
    assert "\x00" not in art["title"] and "\x00" not in art["text"]
    segs = run.db.execute("SELECT headline, text FROM segments WHERE article_id = ?", (art["id"],)).fetchall()
    assert segs and all("\x00" not in (h or "") + t for h, t in segs)
    assert "Anggaran sebesar" in art["text"].replace("  ", " ") or "Anggaran" in art["text"]


def test_good_articles_are_stored_whole(run: HostileRun) -> None:
    for path in run.srv.article_paths:
        art = run.article(run.srv.url(path))
        assert art is not None, path
        assert "FAM68 –" not in art["text"] and "Berita Terpercaya" not in art["text"]
        assert "kantor desa masing-masing" in art["text"]


def test_robots_txt_500_closes_the_host_for_the_run_and_is_asked_again(tmp_path: Path) -> None:
    with HostileServer(articles=3, routes=[]) as srv:
        srv.robots_failures = 1
        config = hostile_config(tmp_path / "r.db", srv.base_url)
        with Store.open(str(tmp_path / "r.db")) as store:
            first = crawl_source(config.sources[0], config, store)
            assert [r.path for r in srv.log] == ["/robots.txt"], "fetched from a host whose robots.txt failed"
            assert first.new == 0
            assert first.skipped + first.failed >= 1
            errors = [e for (e,) in store.conn.execute("SELECT error FROM pages WHERE error IS NOT NULL")]
            assert errors and all(re.search("robots", e, re.IGNORECASE) for e in errors), errors
            srv.reset()
            second = crawl_source(config.sources[0], config, store)
        assert second.new == 3 and second.failed == 0, second.counts()
        assert second.status == "ok"
        assert [r.path for r in srv.log][0] == "/robots.txt"   # asked again: the failure was not cached


def test_every_route_is_listed_by_the_sitemap(run: HostileRun) -> None:
    """Guard for the suite itself: a route the crawl never touched would pass the checks above vacuously."""
    asked = {r.path for r in run.srv.log}
    for name, path in run.srv.paths.items():
        assert path in asked, f"route {name} was never requested"
    assert ROUTE_BY_NAME["retry-after-long"].isolated


def test_trickling_headers_are_cut_at_the_total_timeout(tmp_path: Path) -> None:
    """SPEC.md: ``timeout`` is the total for one attempt, connect to last byte. Headers that trickle in a
    byte at a time must be cut too, not only a trickling body."""
    route = ROUTE_BY_NAME["trickle-headers"]
    result: dict[str, RunSummary] = {}
    db = tmp_path / "t.db"
    with HostileServer(routes=[route.name], articles=1) as srv:
        config = hostile_config(db, srv.base_url)

        def crawl() -> None:
            with Store.open(str(db)) as store:
                result["summary"] = crawl_source(config.sources[0], config, store)

        worker = threading.Thread(target=crawl, name="trickle-headers-crawl", daemon=True)
        t0 = time.monotonic()
        worker.start()
        worker.join(timeout=(HTTP["retries"] + 1) * HTTP["timeout"] + HTTP["backoff_max"] + 5)
        hung = worker.is_alive()
        elapsed = time.monotonic() - t0
        url = srv.url(srv.paths[route.name])
    worker.join(timeout=30)      # stopping the server ended the trickle, so a hung crawl gets free here
    assert not hung, (f"the crawl was still waiting for headers after {elapsed:.0f}s (timeout "
                      f"{HTTP['timeout']}s x {HTTP['retries'] + 1} attempts)")
    summary = result["summary"]
    assert summary.failed == 1 and summary.new == 1, summary.counts()
    conn = sqlite3.connect(db)
    try:
        (error,) = conn.execute("SELECT error FROM pages WHERE url = ?", (canonical_url(url),)).fetchone()
    finally:
        conn.close()
    assert re.search(route.reason, error, re.IGNORECASE), error


def test_kabar_crawl_over_the_hostile_server_exits_1_with_the_counts(tmp_path: Path) -> None:
    """The same routes through the real command: no traceback, the summary row, exit 1 (pages failed)."""
    db = tmp_path / "cli.db"
    with HostileServer(articles=2) as srv:
        cfg = tmp_path / "hostile.toml"
        cfg.write_text(config_to_toml(hostile_config(db, srv.base_url)), encoding="utf-8")
        t0 = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "scraper", "--config", str(cfg), "crawl"],
                              capture_output=True, text=True, timeout=RUN_BOUND_S + 30, cwd=REPO)
        elapsed = time.monotonic() - t0
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr
    assert elapsed < RUN_BOUND_S + 10
    header, row = proc.stdout.splitlines()[:2]
    got = dict(zip(header.split(), row.split(), strict=True))
    assert got["source"] == SOURCE and got["status"] == "ok"
    routes = [r for r in ROUTES if not r.isolated]
    loose = sum(r.outcome == "any" for r in routes)
    for column, extra in (("new", 2), ("failed", 0), ("skipped", 0)):
        want = extra + sum(r.outcome == column for r in routes)
        assert want <= int(got[column]) <= want + loose, (column, got)
    assert sum(int(got[c]) for c in ("new", "failed", "skipped")) == 2 + len(routes), got
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0] == 1
    finally:
        conn.close()


def test_a_gzip_sitemap_bomb_is_read_within_bounds(tmp_path: Path) -> None:
    """A .xml.gz sitemap that inflates past the sitemap size limit: the run goes on, memory stays bounded."""
    with HostileServer(articles=3, routes=[]) as srv:
        data = {
            "storage": {"path": str(tmp_path / "b.db")},
            "http": HTTP,
            "sources": [{"name": SOURCE, "start_urls": [f"{srv.base_url}/"],
                         "sitemaps": [srv.url(SITEMAP_BOMB_PATH)], "allowed_domains": ["127.0.0.1"],
                         "article_pattern": "/2025/01/"}],
        }
        config = config_from_dict(data, "<bomb>")
        rss_before = _peak_rss_mb()
        with Store.open(str(tmp_path / "b.db")) as store:
            summary = crawl_source(config.sources[0], config, store)
        growth = _peak_rss_mb() - rss_before
        assert len(srv.requests_for(SITEMAP_BOMB_PATH)) == 1
    assert summary.status == "ok" and summary.new == 3, summary.counts()
    assert growth < 400, f"peak RSS grew by {growth:.0f} MB"


class _SlowSite:
    """Loopback: a listing of 24 articles that each take ``delay`` seconds to answer; records when every
    article request arrived (monotonic)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.arrivals: list[float] = []
        self.lock = threading.Lock()
        self.four_in_flight = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path == "/":
                    links = "".join(f'<a href="/2025/01/lambat-{i:02d}/">lambat {i}</a>' for i in range(24))
                    self._send(200, f"<html><body>{links}</body></html>".encode())
                elif self.path.startswith("/2025/01/"):
                    with site.lock:
                        site.arrivals.append(time.monotonic())
                        if len(site.arrivals) == 4:
                            site.four_in_flight.set()
                    time.sleep(site.delay)
                    n = self.path.rstrip("/").rsplit("-", 1)[-1]
                    self._send(200, article_html(f"Berita Lambat Nomor {n}",
                                                 [f"Paragraf {k} berita lambat nomor {n} untuk uji henti."
                                                  * 4 for k in range(3)]).encode())
                else:
                    self._send(404, b"not found")

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self) -> _SlowSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_stop_with_four_requests_in_flight_starts_no_new_request(tmp_path: Path) -> None:
    """Issue 14, "stop means stop": 4 article requests in flight to a slow site and more queued; after the
    stop event no further request is sent and the run ends once the 4 are answered."""
    stop = threading.Event()
    with _SlowSite(delay=1.5) as site:
        data = {
            "storage": {"path": str(tmp_path / "s.db")},
            "http": {**HTTP, "timeout": 10.0, "concurrency": 8, "per_host_concurrency": 4},
            "sources": [{"name": SOURCE, "start_urls": [f"{site.base_url}/"], "allowed_domains": ["127.0.0.1"],
                         "article_pattern": "/2025/01/"}],
        }
        config = config_from_dict(data, "<slow>")
        result: list[RunSummary] = []
        with Store.open(str(tmp_path / "s.db")) as store:
            crawl = threading.Thread(target=lambda: result.append(
                crawl_source(config.sources[0], config, store, stop=stop)))
            crawl.start()
            assert site.four_in_flight.wait(30)
            time.sleep(0.2)                   # the rest queue up behind the host's 4 slots
            stop.set()
            stopped_at = time.monotonic()
            crawl.join(30)
            ended = time.monotonic() - stopped_at
        time.sleep(0.2)
        with site.lock:
            after_stop = [t for t in site.arrivals if t > stopped_at]
            total = len(site.arrivals)
    assert not crawl.is_alive()
    assert after_stop == [], f"{len(after_stop)} article request(s) sent after the stop"
    assert total == 4
    summary = result[0]
    assert summary.status == "interrupted" and summary.fetched == 4, summary.counts()
    assert ended < 1.5 + 3.0, f"the run took {ended:.1f}s to end after the stop"
