"""The budget of one untrusted document: a deadline and a memory cap, enforced in the parse worker.

A test-only hook (tests/worker_hooks.py) makes the worker spin, allocate or die on marked documents; the
crawl must record those documents failed with the reason, kill and restart the worker, and read the rest.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from test_pipeline import HOST, article_html, build_site, crawl, db, make_config  # noqa: F401 - fixture
from test_pipeline import store as store  # noqa: PLC0414 - the fixture, re-exported for pytest
from worker_hooks import BOMB, DIE, SPIN

from scraper.options import CrawlOptions
from scraper.parse_worker import OverBudget, ParseService, ParseSetup, WorkerSetup, WorkStopped
from scraper.record import Scope
from storage import worker
from storage.store import Store

HOOK = "tests.worker_hooks:install"
BAD = "/2025/11/halaman-yang-jahat/"


def hostile_site(marker: str, where: str = "article"):  # type: ignore[no-untyped-def]
    site = build_site()
    if where == "article":
        site.html(BAD, article_html("Halaman Jahat", "Jahat", extra=marker))
        site.html("/", site.pages["/"][1].replace("</body>", f"<a href='{BAD}'>jahat</a></body>"))
    else:   # the feed
        site.xml("/feed/", site.pages["/feed/"][1] + marker)
    return site


def page_error(tmp_path: Path, path: str) -> str | None:
    row = db(tmp_path).execute("SELECT error FROM pages WHERE url = ?", (HOST + path,)).fetchone()
    return None if row is None else row["error"]


@pytest.mark.parametrize(("marker", "timeout", "reason"), [
    (SPIN, 1.0, "parse timeout after 1 s"),
    (BOMB, 15.0, "parse over the memory limit"),       # the deadline well above the bomb's time to fill 512 MB
    (DIE, 15.0, "parse worker died (exit -9; memory limit 512 MB)"),
])
def test_a_hostile_article_page_fails_alone_and_the_rest_parse(tmp_path: Path, store: Store, marker: str,
                                                                timeout: float, reason: str) -> None:
    opts = CrawlOptions(parse_timeout=timeout, parse_memory_mb=512, parse_hook=HOOK)
    t0 = time.monotonic()
    s = crawl(hostile_site(marker), make_config(tmp_path), store, options=opts)
    assert time.monotonic() - t0 < 20
    assert (s.new, s.skipped, s.failed) == (5, 3, 2), s.errors   # the usual 404, and the hostile page
    assert f"{HOST}{BAD}: {reason}" in s.errors
    assert page_error(tmp_path, BAD) == reason
    assert store.article_for_url(HOST + BAD) is None


def test_a_spinning_feed_is_a_failed_document_and_the_run_goes_on(tmp_path: Path, store: Store) -> None:
    opts = CrawlOptions(parse_timeout=1.0, parse_hook=HOOK)
    s = crawl(hostile_site(SPIN, "feed"), make_config(tmp_path), store, options=opts)
    # the feed's one article is not found; the listing's four are; the feed and the usual 404 failed
    assert (s.new, s.skipped, s.failed) == (4, 3, 2), s.errors
    assert f"{HOST}/feed/: feed: feed parse timeout after 1 s" in s.errors
    assert page_error(tmp_path, "/feed/") == "feed parse timeout after 1 s"


def _service(timeout: float = 1.0, stop: threading.Event | None = None) -> ParseService:
    setup = ParseSetup(Scope("site", ("site.test",)))
    src = make_config(Path("/nonexistent")).sources[0]
    return ParseService(WorkerSetup(setup, src, timeout=timeout, max_memory_mb=512, hook=HOOK), stop=stop)


def test_the_deadline_counts_from_when_the_worker_starts_on_a_document() -> None:
    from scraper.frontier import Doc

    service = _service(timeout=1.5)
    good = b"<html><body><a href='http://site.test/2025/11/satu-dua-tiga/'>x</a></body></html>"
    doc = Doc(f"{HOST}/", "listing", f"{HOST}/")
    try:
        assert service.request("links", doc, good, f"{HOST}/")[0].articles
        first = service.started
        results: dict[str, object] = {}

        def ask(name: str, content: bytes) -> None:
            try:
                results[name] = service.request("links", doc, content, f"{HOST}/")[0].articles
            except OverBudget as exc:
                results[name] = str(exc)

        threads = [threading.Thread(target=ask, args=("bad", good + SPIN.encode()))]
        threads += [threading.Thread(target=ask, args=(f"good{i}", good)) for i in range(3)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
            time.sleep(0.05)
        for t in threads:
            t.join(15)
        took = time.monotonic() - t0
        assert results["bad"] == "parse timeout after 1.5 s"
        # the documents queued behind the spinning one are answered by the next worker, not failed
        assert all(results[f"good{i}"] == [("http://site.test/2025/11/satu-dua-tiga/", None)] for i in range(3))
        assert 1.5 <= took < 10 and service.started == first + 1
    finally:
        service.close()


def test_stop_while_a_document_spins_kills_the_worker_at_once() -> None:
    from scraper.frontier import Doc

    stop = threading.Event()
    service = _service(timeout=60.0, stop=stop)
    doc = Doc(f"{HOST}/", "listing", f"{HOST}/")
    try:
        threading.Timer(1.0, stop.set).start()
        t0 = time.monotonic()
        with pytest.raises(WorkStopped):
            service.request("links", doc, SPIN.encode(), f"{HOST}/")
        assert time.monotonic() - t0 < 5
    finally:
        service.close()


def test_a_worker_stuck_with_nobody_watching_ends_itself_by_alarm() -> None:
    from scraper.frontier import Doc
    from scraper.parse_worker import ENTRY

    setup = WorkerSetup(ParseSetup(Scope("site")), make_config(Path("/nonexistent")).sources[0], hook=HOOK)
    child = worker.ChildWorker(ENTRY, setup, name="kabar-test", deadline=1.0)   # the parent sets no timeout
    try:
        t0 = time.monotonic()
        fut = child.submit("links", 0, Doc(f"{HOST}/", "listing", f"{HOST}/"), SPIN.encode(), f"{HOST}/")
        with pytest.raises(worker.WorkerKilled):
            fut.result(timeout=15)
        assert time.monotonic() - t0 < 10 and child.proc.returncode == -14   # SIGALRM
    finally:
        child.close()


def test_a_worker_that_cannot_start_means_parsing_here(tmp_path: Path, store: Store,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork(*args: object, **kwargs: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(worker.subprocess, "Popen", no_fork)
    s = crawl(build_site(), make_config(tmp_path), store, options=CrawlOptions())
    assert (s.new, s.skipped, s.failed) == (5, 3, 1)


def test_a_long_lived_process_keeps_its_parse_workers_between_runs(tmp_path: Path, store: Store,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper import parse_worker

    started: list[int] = []
    real_start = parse_worker.start_parse_process

    def spy(setup):  # type: ignore[no-untyped-def]
        proc = real_start(setup)
        started.append(proc.proc.pid)
        return proc

    monkeypatch.setattr(parse_worker, "start_parse_process", spy)
    with parse_worker.shared_workers() as pool:
        first = crawl(build_site(), make_config(tmp_path), store)
        again = crawl(hostile_site(SPIN), make_config(tmp_path), store, options=CrawlOptions())
        other = crawl(build_site(), make_config(tmp_path), store, options=CrawlOptions(parse_timeout=1.0,
                                                                                       parse_hook=HOOK))
        kept = list(pool._idle)
    assert (first.new, again.new, other.new) == (5, 1, 0)   # the second run found one new page
    assert len(started) == 2                                 # the second run reused the first's worker
    assert [p.proc.pid for p in kept] == started and all(p.proc.returncode == 0 for p in kept)


# ---- one worker shared by the runs of several sources ------------------------------------------------

def _page(path: str, extra: str = ""):  # type: ignore[no-untyped-def]
    from scraper.parse_worker import FetchedPage

    html = article_html("Kerja Sama Imigrasi", "Banten", extra=extra).encode()
    return FetchedPage(html, HOST + path, "utf-8", HOST + path)


def _source_service(name: str, timeout: float = 15.0) -> ParseService:
    src = make_config(Path("/nonexistent")).sources[0]
    return ParseService(WorkerSetup(ParseSetup(Scope(name, ("site.test",))), src, timeout=timeout,
                                    max_memory_mb=512, hook=HOOK))


def _source_of(verdict) -> str:  # type: ignore[no-untyped-def]
    article = verdict.article
    return (getattr(article, "record", None) or article).source


def test_runs_at_once_share_one_worker_each_with_its_own_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper import parse_worker

    started: list[int] = []
    real_start = parse_worker.start_parse_process
    monkeypatch.setattr(parse_worker, "start_parse_process",
                        lambda setup: (p := real_start(setup)) and (started.append(p.proc.pid) or p))
    with parse_worker.shared_workers(max_workers=1) as pool:
        a, b = _source_service("portal-a"), _source_service("portal-b")
        try:
            answers = [(a.request("page", _page(f"/2025/11/satu-{i}/")), b.request("page", _page(f"/2025/11/dua-{i}/")))
                       for i in range(3)]
            assert [(_source_of(x), _source_of(y)) for x, y in answers] == [("portal-a", "portal-b")] * 3
            assert a._proc is b._proc and len(started) == 1 and a._proc.users == 2
        finally:
            a.close()
            assert len(pool._idle) == 0 and b._proc is not None and b._proc.child.alive  # still b's
            b.close()
        assert [p.proc.pid for p in pool._idle] == started          # kept for the next runs
        c = _source_service("portal-c")
        try:
            assert _source_of(c.request("page", _page("/2025/11/tiga/"))) == "portal-c"
            assert len(started) == 1                                # the idle worker, bound to c's setup
        finally:
            c.close()


def test_a_hostile_page_of_one_source_costs_the_other_source_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper import parse_worker

    started: list[int] = []
    real_start = parse_worker.start_parse_process
    monkeypatch.setattr(parse_worker, "start_parse_process",
                        lambda setup: (p := real_start(setup)) and (started.append(p.proc.pid) or p))
    with parse_worker.shared_workers(max_workers=1):
        bad, good = _source_service("portal-bad", timeout=1.5), _source_service("portal-good", timeout=1.5)
        results: dict[str, object] = {}

        def ask(name: str, service: ParseService, page) -> None:  # type: ignore[no-untyped-def]
            try:
                results[name] = _source_of(service.request("page", page))
            except OverBudget as exc:
                results[name] = str(exc)

        try:
            assert _source_of(good.request("page", _page("/2025/11/awal/"))) == "portal-good"
            threads = [threading.Thread(target=ask, args=("bad", bad, _page(BAD, extra=SPIN)))]
            threads += [threading.Thread(target=ask, args=(f"good{i}", good, _page(f"/2025/11/baik-{i}/")))
                        for i in range(3)]
            for t in threads:
                t.start()
                time.sleep(0.05)
            for t in threads:
                t.join(15)
        finally:
            bad.close()
            good.close()
    assert results["bad"] == "parse timeout after 1.5 s"
    # the other source's pages queued behind the spinning one are parsed by the next worker, by its setup
    assert all(results[f"good{i}"] == "portal-good" for i in range(3)), results
    assert len(started) == 2


def test_a_crawl_of_two_sources_on_two_cores_starts_one_parse_worker(tmp_path: Path, store: Store,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from scraper import parse_worker
    from scraper.config import config_from_dict
    from scraper.crawl import run_crawl

    monkeypatch.setattr(parse_worker.os, "cpu_count", lambda: 2)
    assert parse_worker.worker_cap(8) == 1
    started: list[int] = []
    real_start = parse_worker.start_parse_process
    monkeypatch.setattr(parse_worker, "start_parse_process",
                        lambda setup: (p := real_start(setup)) and (started.append(p.proc.pid) or p))
    site = build_site()

    def handler(request: httpx.Request) -> httpx.Response:   # other.test: a second portal, the same pages
        if request.url.host == "other.test":
            request = httpx.Request(request.method, request.url.copy_with(host="site.test"), headers=request.headers)
        return site.handler(request)

    config = config_from_dict({
        "storage": {"path": str(tmp_path / "kabar.db")},
        "http": {"per_host_delay": 0.0, "retries": 0, "concurrency": 4, "per_host_concurrency": 4},
        "sources": [{"name": "site", "start_urls": [f"{HOST}/"], "feeds": [f"{HOST}/feed/"]},
                    {"name": "other", "start_urls": ["http://other.test/"]}],
    })
    outcome = run_crawl(config, store, config.sources, transport=httpx.MockTransport(handler),
                        options=CrawlOptions(), jobs=2)
    first, second = outcome.summaries
    assert (first.new, first.skipped, first.failed) == (5, 3, 1), first.errors
    assert (second.new, second.failed) == (4, 1), second.errors   # no feed: the listing and its links
    assert len(started) == 1                               # both sources' pages went to one worker
    sources = {r[0] for r in db(tmp_path).execute("SELECT DISTINCT source FROM articles")}
    assert sources == {"site", "other"}


def test_worker_cap_leaves_a_core_to_the_crawling_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper import parse_worker

    for cores, runs, want in ((2, 8, 1), (1, 4, 1), (16, 8, 8), (16, 1, 1), (4, 8, 3)):
        monkeypatch.setattr(parse_worker.os, "cpu_count", lambda cores=cores: cores)
        assert parse_worker.worker_cap(runs) == want


def test_a_worker_never_reads_a_document_with_another_runs_setup() -> None:
    from scraper.parse_worker import _handler

    handle = _handler(WorkerSetup(ParseSetup(Scope("portal-a", ("site.test",)))))
    ok, exc = handle("page", 7, _page("/2025/11/satu/"))            # key 7 was never bound
    assert not ok and str(exc) == "no setup bound under key 7"
    assert handle("bind", 7, WorkerSetup(ParseSetup(Scope("portal-b", ("site.test",))))) == (True, None)
    ok, verdict = handle("page", 7, _page("/2025/11/satu/"))
    assert ok and _source_of(verdict) == "portal-b"
    assert handle("unbind", 7) == (True, None) and not handle("page", 7, _page("/2025/11/satu/"))[0]
