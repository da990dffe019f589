"""crawl_source() over httpx.MockTransport serving a tiny hand-built site."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from scraper import parse_worker
from scraper.article import Article, Segment
from scraper.config import Config, config_from_dict
from scraper.crawl import run_crawl
from scraper.errors import DiskFullError
from scraper.options import CrawlOptions
from scraper.parse import NO_BODY_WARNING
from scraper.pipeline import RunSummary, crawl_source
from scraper.record import Scope, not_article_reason, verdict
from storage.outcome import apply_outcome, own_key_if_taken
from storage.records import ArticleRecord, PageOutcome, PageUpdate
from storage.store import PreparedArticle, Store, prepare_article

HOST = "http://site.test"

PARAGRAPHS = [
    "FAM68 – Imigrasi Banten dan Kepolisian Banten bekerja sama memerangi TPPO dan TPPM di seluruh "
    "Provinsi Banten, kata pejabat setempat kepada wartawan pada hari Senin.",
    "Berdasarkan data dari KP3MI, Banten merupakan salah satu wilayah utama tempat pekerja migran Indonesia "
    "berangkat ke luar negeri, dengan puluhan ribu pekerja setiap tahun.",
    "Program Desa Binaan Keimigrasian kini menjadi instrumen strategis untuk mencegah pelanggaran dan "
    "bertukar data lintas negara, ujar kepala kantor wilayah.",
]


def article_html(title: str, topic: str, extra: str = "") -> str:
    paras = "".join(f"<p>{p.replace('Banten', topic)}</p>" for p in PARAGRAPHS)
    return (f"<!doctype html><html lang='id'><head><title>{title} - FAM68</title>"
            f"<meta property='og:title' content='{title}'></head><body><article>"
            f"<h1 class='entry-title'>{title}</h1><div class='entry-content'>{paras}"
            f"<p>{extra}</p><p>Berita Terpercaya :</p><p><a href='/2025/11/lain-cerita-yang-tidak-terkait/'>"
            f"Cerita lain</a></p></div></article></body></html>")


@dataclass
class Site:
    """A dict of path -> body with ETags, conditional GET and a request log."""

    pages: dict[str, tuple[int, str, dict[str, str]]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def html(self, path: str, body: str) -> None:
        self.pages[path] = (200, body, {"content-type": "text/html; charset=utf-8"})

    def xml(self, path: str, body: str) -> None:
        self.pages[path] = (200, body, {"content-type": "application/xml"})

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        path = request.url.raw_path.decode()
        if request.url.host != "site.test":
            return httpx.Response(200, text="elsewhere", headers={"content-type": "text/html"})
        if path not in self.pages:
            return httpx.Response(404, text="not found", headers={"content-type": "text/html"})
        status, body, headers = self.pages[path]
        headers = dict(headers)
        if status == 200:
            etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
            headers["etag"] = etag
            if request.headers.get("if-none-match") == etag:
                return httpx.Response(304, headers={"etag": etag})
        return httpx.Response(status, text=body, headers=headers)

    def hits(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.raw_path.decode() == path]


ARTICLES = {
    "/2025/11/imigrasi-banten-perangi-tppo/": ("Imigrasi Banten Perangi TPPO", "Banten"),
    "/2025/11/polda-jabar-gelar-razia/": ("Polda Jabar Gelar Razia", "Jabar"),
    "/2025/11/banjir-bogor-rendam-rumah/": ("Banjir Bogor Rendam Rumah", "Bogor"),
    "/2025/11/pasar-murah-di-serang/": ("Pasar Murah di Serang", "Serang"),
    "/2025/11/festival-budaya-lampung/": ("Festival Budaya Lampung", "Lampung"),
}


def build_site() -> Site:
    site = Site()
    site.pages["/robots.txt"] = (200, "User-agent: *\nDisallow: /private/\n", {"content-type": "text/plain"})
    listing = "".join(f"<a href='{p}'>{t}</a>" for p, (t, _) in list(ARTICLES.items())[:3])
    listing += ("<a href='/private/2025/11/rahasia-dapur-redaksi/'>rahasia</a>"
                "<a href='/2025/11/berita-yang-sudah-hilang/'>hilang</a>"
                "<a href='/2025/11/pindah-ke-situs-lain/'>pindah</a>"
                "<a href='/2025/11/halaman-kosong-tanpa-isi/'>kosong</a>"
                "<a href='/2025/11/imigrasi-banten-perangi-tppo/?utm_source=fb'>tracking copy</a>"
                "<a href='/category/daerah/'>Daerah</a><a href='/page/2/'>2</a>")
    site.html("/", f"<html><body>{listing}</body></html>")
    site.html("/page/2/", "<html><body><a href='/2025/11/pasar-murah-di-serang/'>x</a></body></html>")
    site.html("/category/daerah/", "<html><body><a href='/2025/11/pasar-murah-di-serang/amp/'>amp</a></body></html>")
    site.xml("/feed/", "<rss version='2.0'><channel><item><link>http://site.test/2025/11/festival-budaya-lampung/"
                       "</link></item></channel></rss>")
    for path, (title, topic) in ARTICLES.items():
        site.html(path, article_html(title, topic))
    site.html("/private/2025/11/rahasia-dapur-redaksi/", article_html("Rahasia", "Dapur"))
    site.pages["/2025/11/pindah-ke-situs-lain/"] = (301, "", {"location": "http://elsewhere.test/story"})
    site.html("/2025/11/halaman-kosong-tanpa-isi/", "<html><body><h1>Kosong</h1><p>Segera.</p></body></html>")
    return site


def make_config(tmp_path: Path, **http: object) -> Config:
    return config_from_dict({
        "storage": {"path": str(tmp_path / "kabar.db")},
        "http": {"per_host_delay": 0.0, "retries": 0, "concurrency": 4, "per_host_concurrency": 4, **http},
        "sources": [{"name": "site", "start_urls": [f"{HOST}/"], "feeds": [f"{HOST}/feed/"]}],
    })


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(str(tmp_path / "kabar.db"))
    yield s
    s.close()


def crawl(site: Site, config: Config, store: Store, **kw: object) -> RunSummary:
    return crawl_source(config.sources[0], config, store, transport=httpx.MockTransport(site.handler),
                        **kw)  # type: ignore[arg-type]


def db(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(tmp_path / "kabar.db"))
    conn.row_factory = sqlite3.Row
    return conn


def test_first_crawl_counts_every_outcome_once(tmp_path: Path, store: Store) -> None:
    site = build_site()
    s = crawl(site, make_config(tmp_path), store)
    assert s.status == "ok"
    # 5 articles + private + 404 + off-site redirect + empty page
    assert s.discovered == 9
    assert (s.new, s.updated, s.unchanged, s.duplicate) == (5, 0, 0, 0)
    assert s.skipped == 3          # robots disallow, off-site redirect, not an article
    assert s.failed == 1           # 404
    assert s.fetched == 9
    assert s.new + s.updated + s.unchanged + s.duplicate + s.skipped + s.failed == s.fetched
    conn = db(tmp_path)
    run = conn.execute("SELECT * FROM runs WHERE id = ?", (s.run_id,)).fetchone()
    assert run["status"] == "ok"
    assert (run["discovered"], run["new"], run["skipped"], run["failed"]) == (9, 5, 3, 1)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5
    # robots.txt forbids /private/: never requested
    assert not site.hits("/private/2025/11/rahasia-dapur-redaksi/")
    # the tracking variant was folded into the article, fetched once, kept as an alias
    assert len(site.hits("/2025/11/imigrasi-banten-perangi-tppo/")) == 1
    alias = conn.execute("SELECT article_id FROM article_urls WHERE url LIKE '%utm_source=fb%'").fetchone()
    assert alias is not None
    # the section page linked from the home page was read; its AMP link folded into the article
    assert site.hits("/category/daerah/") and not site.hits("/2025/11/pasar-murah-di-serang/amp/")
    amp = conn.execute("SELECT a.url FROM article_urls u JOIN articles a ON a.id = u.article_id "
                       "WHERE u.url LIKE '%/amp/'").fetchone()
    assert amp is not None and amp[0] == f"{HOST}/2025/11/pasar-murah-di-serang/"
    errors = {r["url"]: (r["status"], r["error"]) for r in conn.execute("SELECT * FROM pages")}
    assert errors[f"{HOST}/2025/11/berita-yang-sudah-hilang/"][0] == 404
    assert "404" in errors[f"{HOST}/2025/11/berita-yang-sudah-hilang/"][1]
    assert "robots" in errors[f"{HOST}/private/2025/11/rahasia-dapur-redaksi/"][1]
    assert "off-site" in errors[f"{HOST}/2025/11/pindah-ke-situs-lain/"][1]
    assert errors[f"{HOST}/2025/11/halaman-kosong-tanpa-isi/"][1].startswith("not an article")
    # promo block is gone from the stored text
    text = conn.execute("SELECT text FROM articles WHERE url LIKE '%imigrasi%'").fetchone()[0]
    assert "Berita Terpercaya" not in text and "Imigrasi" in text
    assert not any(r.url.host == "elsewhere.test" for r in site.requests)


def test_second_crawl_is_conditional_and_unchanged(tmp_path: Path, store: Store) -> None:
    site = build_site()
    config = make_config(tmp_path)
    crawl(site, config, store)
    site.requests.clear()
    s = crawl(site, config, store)
    assert (s.new, s.updated, s.duplicate) == (0, 0, 0)
    assert s.unchanged == 5
    for path in ARTICLES:
        hits = site.hits(path)
        assert len(hits) == 1 and hits[0].headers.get("if-none-match"), path
    conn = db(tmp_path)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5
    assert conn.execute("SELECT COUNT(*) FROM article_revisions").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM pages WHERE status = 304").fetchone()[0] == 5


def test_old_articles_are_not_rechecked_without_a_newer_lastmod(tmp_path: Path, store: Store) -> None:
    site = build_site()
    crawl(site, make_config(tmp_path), store)
    site.requests.clear()
    s = crawl(site, make_config(tmp_path, recheck_days=0.0), store)
    assert s.fetched == 4          # only the never-stored URLs are tried again
    assert not any(site.hits(p) for p in ARTICLES)


def test_edited_article_becomes_updated_with_a_revision(tmp_path: Path, store: Store) -> None:
    site = build_site()
    config = config_from_dict({
        "http": {"per_host_delay": 0.0, "retries": 0, "recheck_days": 0.0},
        "sources": [{"name": "site", "sitemaps": [f"{HOST}/sitemap.xml"]}],
    })
    paths = list(ARTICLES)

    def sitemap(lastmod: dict[str, str]) -> None:
        site.xml("/sitemap.xml", "<urlset>" + "".join(
            f"<url><loc>{HOST}{p}</loc><lastmod>{lastmod.get(p, '2025-01-01')}</lastmod></url>" for p in paths)
            + "</urlset>")

    sitemap({})
    first = crawl(site, config, store)
    assert first.new == 5
    title, topic = ARTICLES[paths[1]]
    site.html(paths[1], article_html(title, topic, extra="Pembaruan: jumlah korban bertambah menjadi tiga orang."))
    sitemap({paths[1]: "2099-01-01"})
    site.requests.clear()
    second = crawl(site, config, store)
    assert (second.updated, second.new, second.fetched) == (1, 0, 1)
    conn = db(tmp_path)
    row = conn.execute("SELECT id, revision, text FROM articles WHERE url = ?", (f"{HOST}{paths[1]}",)).fetchone()
    assert row["revision"] == 2 and "Pembaruan" in row["text"]
    assert conn.execute("SELECT COUNT(*) FROM article_revisions WHERE article_id = ?", (row["id"],)).fetchone()[0] == 1


def test_storage_error_stops_the_run(tmp_path: Path, store: Store) -> None:
    site = build_site()
    calls = 0
    real_save = store.save_article

    def failing_save(rec, **kw):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls >= 2:
            raise DiskFullError("disk full")
        return real_save(rec, **kw)

    store.save_article = failing_save  # type: ignore[method-assign]
    with pytest.raises(DiskFullError):
        crawl(site, make_config(tmp_path, concurrency=1), store)
    conn = db(tmp_path)
    assert conn.execute("SELECT status FROM runs").fetchone()[0] == "failed"
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1


def test_stop_event_interrupts_and_keeps_finished_work(tmp_path: Path, store: Store) -> None:
    site = build_site()
    stop = threading.Event()
    done: list[str] = []

    def progress(event: str, n: int) -> None:
        if event != "total":
            done.append(event)
            stop.set()

    s = crawl(site, make_config(tmp_path, concurrency=1, per_host_concurrency=1), store, stop=stop,
              progress=progress)
    assert s.status == "interrupted"
    assert 1 <= s.fetched < 9
    conn = db(tmp_path)
    assert conn.execute("SELECT status FROM runs WHERE id = ?", (s.run_id,)).fetchone()[0] == "interrupted"
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == s.new


def test_max_pages_limits_article_fetches(tmp_path: Path, store: Store) -> None:
    site = build_site()
    s = crawl(site, make_config(tmp_path), store, max_pages=2)
    assert s.fetched == 2 and s.discovered == 9


def test_unreachable_source_is_a_failed_run(tmp_path: Path, store: Store) -> None:
    site = Site()   # everything 404, robots.txt included (= allow all)
    s = crawl(site, make_config(tmp_path), store)
    assert s.status == "failed"
    assert s.failed == 2 and s.discovered == 0   # the start page and the feed


def test_bulk_run_writes_in_batches_with_the_same_outcomes(tmp_path: Path, store: Store,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    options = CrawlOptions(bulk_jobs=1)
    batches: list[float] = []
    real_batch = store.batch

    def spy(**kw):  # type: ignore[no-untyped-def]
        batches.append(kw["max_seconds"])
        return real_batch(**kw)

    monkeypatch.setattr(store, "batch", spy)
    s = crawl(build_site(), make_config(tmp_path), store, options=options)
    assert batches == [options.batch_seconds]
    assert (s.new, s.skipped, s.failed, s.fetched) == (5, 3, 1, 9)
    # everything is committed when the run returns: another connection sees it
    assert db(tmp_path).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5


def test_a_bulk_run_commits_whole_outcomes_when_its_batches_fill(tmp_path: Path, store: Store) -> None:
    # batch_seconds=0: every write fills the batch; an outcome (page state + article) commits as one
    s = crawl(build_site(), make_config(tmp_path), store, options=CrawlOptions(bulk_jobs=1, batch_seconds=0.0))
    assert (s.new, s.skipped, s.failed, s.fetched) == (5, 3, 1, 9) and s.status == "ok"
    conn = db(tmp_path)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5
    assert conn.execute("SELECT COUNT(*) FROM pages WHERE error IS NULL AND status = 200").fetchone()[0] >= 5


def test_bulk_run_parses_in_a_worker_process_with_the_same_results(tmp_path: Path, store: Store,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(str(tmp_path / "ref.db")) as ref_store:
        reference = crawl(build_site(), make_config(tmp_path), ref_store, options=CrawlOptions(parse_in_worker=False))
    started: list[object] = []
    real_start = parse_worker.start_parse_process

    def spy(setup):  # type: ignore[no-untyped-def]
        parser = real_start(setup)
        started.append(parser)
        return parser

    monkeypatch.setattr(parse_worker, "start_parse_process", spy)
    s = crawl(build_site(), make_config(tmp_path), store, options=CrawlOptions())
    assert len(started) == 1 and started[0] is not None
    assert started[0].proc.returncode == 0            # the worker was asked to leave and did
    assert s.counts() == reference.counts() and (s.new, s.skipped, s.failed) == (5, 3, 1)
    assert sorted(s.errors) == sorted(reference.errors)
    query = "SELECT canonical_url, title, published_at, lang FROM articles ORDER BY canonical_url"
    ref_rows = sqlite3.connect(tmp_path / "ref.db").execute(query).fetchall()
    assert [tuple(row) for row in db(tmp_path).execute(query)] == ref_rows


def test_a_dead_parse_worker_costs_no_article(tmp_path: Path, store: Store,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real_start = parse_worker.start_parse_process

    killed: list[object] = []

    def start_then_kill(setup):  # type: ignore[no-untyped-def]
        parser = real_start(setup)
        if not killed:   # the first worker dies before its first answer: its documents go to the next one
            parser.proc.kill()
            parser.proc.wait()
            killed.append(parser)
        return parser

    monkeypatch.setattr(parse_worker, "start_parse_process", start_then_kill)
    s = crawl(build_site(), make_config(tmp_path), store, options=CrawlOptions())
    assert (s.new, s.skipped, s.failed) == (5, 3, 1)   # parsed by a restarted worker instead
    assert killed


# ---- the article verdict -----------------------------------------------------------------------------

SHORT = ["Gempa magnitudo 5,1 mengguncang Lebak, Banten, Senin pagi; belum ada kerusakan.",
         "BMKG menyebut pusat gempa di laut, 40 km barat daya Bayah, tanpa potensi tsunami."]


def short_article(declared: str | None, paragraphs: list[str] = SHORT, title: str = "Gempa Guncang Lebak"
                  ) -> Article:
    return Article(url=f"{HOST}/2025/11/gempa-guncang-lebak/", title=title, lang="id",
                   published_at="2025-11-03T07:12:00+07:00", segments=[Segment(None, list(paragraphs))],
                   declared_type=declared)


def test_a_short_page_that_declares_itself_an_article_is_stored(store: Store) -> None:
    assert sum(map(len, SHORT)) == 160
    scope = Scope("site")
    url = f"{HOST}/2025/11/gempa-guncang-lebak/"
    for declared in ("NewsArticle", "article"):   # JSON-LD @type, og:type
        assert not_article_reason(short_article(declared)) is None
    decided = verdict(short_article("NewsArticle"), scope, url, url)
    assert decided.outcome is None and decided.article is not None
    outcome = PageOutcome(PageUpdate(url, "site", 200), article=decided.article)
    assert apply_outcome(store, outcome) == "new"
    assert store.article_for_url(url) is not None
    # the same page declaring nothing keeps the text floor
    undeclared = verdict(short_article(None), scope, url, url)
    assert (undeclared.outcome, undeclared.reason) == ("skipped", "not an article: too little text (160 characters)")


def test_a_declared_article_still_needs_a_title_and_a_body() -> None:
    assert not_article_reason(short_article("NewsArticle", title="  ")) == "no title"
    assert not_article_reason(short_article("NewsArticle", paragraphs=[])) == "no body"
    assert not_article_reason(short_article("NewsArticle", paragraphs=[""])) == "too little text (0 characters)"
    no_body = short_article("NewsArticle")
    no_body.warnings.append(NO_BODY_WARNING)
    assert not_article_reason(no_body) == NO_BODY_WARNING


def test_run_crawl_gives_each_source_a_progress_display_and_closes_it(tmp_path: Path, store: Store) -> None:
    events: list[tuple[str, str, int]] = []
    closed: list[str] = []

    class Sink:
        def __init__(self, name: str) -> None:
            self.name = name

        def __call__(self, event: str, n: int) -> None:
            events.append((self.name, event, n))

        def close(self) -> None:
            closed.append(self.name)

    outcome = run_crawl(make_config(tmp_path), store, make_config(tmp_path).sources,
                        transport=httpx.MockTransport(build_site().handler), progress=Sink)
    assert outcome.exit_code == 1 and not outcome.interrupted      # the 404 counts as failed
    assert events[0] == ("site", "total", 9) and len(events) == 10 and closed == ["site"]
    assert sorted(e for _, e, _ in events[1:]) == sorted(["new"] * 5 + ["skipped"] * 3 + ["failed"])


def multipage_site() -> Site:
    site = build_site()
    path = "/2025/11/sidang-panjang-di-serang/"
    links = ("<div class='page-links'>Halaman: <span>1</span> <a href='{0}2/'>2</a> <a href='{0}3/'>3</a></div>",
             "<div class='page-links'>Halaman: <a href='{0}'>1</a> <span>2</span> <a href='{0}3/'>3</a></div>",
             "<div class='page-links'>Halaman: <a href='{0}'>1</a> <a href='{0}2/'>2</a> <span>3</span></div>")
    for n, suffix in enumerate(("", "2/", "3/")):
        site.html(path + suffix, article_html("Sidang Panjang di Serang", f"Serang{n + 1}",
                                              extra=f"Bagian {n + 1} dari sidang.").replace(
            "<p>Berita Terpercaya", links[n].format(path) + "<p>Berita Terpercaya"))
    site.html("/", site.pages["/"][1].replace("</body>", f"<a href='{path}'>sidang</a></body>"))
    return site


@pytest.mark.parametrize("in_worker", [False, True])
def test_a_multi_page_article_is_stitched_in_one_process(tmp_path: Path, store: Store, in_worker: bool,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    real_start = parse_worker.start_parse_process
    monkeypatch.setattr(parse_worker, "start_parse_process", lambda setup: started.append(1) or real_start(setup))
    site = multipage_site()
    s = crawl(site, make_config(tmp_path), store, options=CrawlOptions(parse_in_worker=in_worker))
    assert len(started) == (1 if in_worker else 0)
    assert (s.new, s.skipped, s.failed) == (6, 3, 1)
    path = "/2025/11/sidang-panjang-di-serang/"
    assert [len(site.hits(path + p)) for p in ("", "2/", "3/")] == [1, 1, 1]
    text = db(tmp_path).execute("SELECT text FROM articles WHERE url = ?", (HOST + path,)).fetchone()[0]
    assert all(f"Bagian {n} dari sidang." in text for n in (1, 2, 3))
    assert text.index("Serang1") < text.index("Serang2") < text.index("Serang3")


def test_a_further_page_that_cannot_be_fetched_fails_the_article(tmp_path: Path, store: Store) -> None:
    site = multipage_site()
    del site.pages["/2025/11/sidang-panjang-di-serang/2/"]
    s = crawl(site, make_config(tmp_path), store)
    assert (s.new, s.failed) == (5, 2)
    assert any(e.startswith(f"{HOST}/2025/11/sidang-panjang-di-serang/: page 2 ({HOST}/2025/11/sidang-panjang-di"
                            "-serang/2/)") for e in s.errors), s.errors


# ---- canonicals that cannot overwrite (#14) -------------------------------------------------------------

REAL = "/2025/01/berita-asli/"
BLOG = "http://blog-user.site.test/2025/01/tulisan-saya/"


def hijack_site(first: str, blog_body: str) -> Site:
    """A real article and a page on another in-scope host declaring the real one its canonical."""
    site = Site()
    site.html(REAL, article_html("Berita Asli", "Banten"))
    site.html("/", f"<html><body><a href='{first}'>a</a>"
                   f"<a href='{BLOG if first == REAL else REAL}'>b</a></body></html>")
    site.pages["/robots.txt"] = (200, "User-agent: *\n", {"content-type": "text/plain"})
    blog = blog_body.replace("<head>", f"<head><link rel='canonical' href='{HOST}{REAL}'>")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "blog-user.site.test":
            with site.lock:
                site.requests.append(request)
            if request.url.path == "/2025/01/tulisan-saya/":
                return httpx.Response(200, text=blog, headers={"content-type": "text/html; charset=utf-8"})
            return httpx.Response(404, text="not found", headers={"content-type": "text/html"})
        return Site.handler(site, request)

    site.handler = handler  # type: ignore[method-assign]
    return site


def hijack_config(tmp_path: Path) -> Config:
    return config_from_dict({
        "http": {"per_host_delay": 0.0, "retries": 0, "concurrency": 1, "per_host_concurrency": 1},
        "sources": [{"name": "site", "start_urls": [f"{HOST}/"], "allowed_domains": ["site.test"]}],
    })


@pytest.mark.parametrize("first", [REAL, BLOG])
def test_a_declared_canonical_never_overwrites_an_article_fetched_under_it(tmp_path: Path, store: Store,
                                                                           first: str) -> None:
    site = hijack_site(first, article_html("Tulisan Pengguna", "Garut", extra="Isi lain sama sekali."))
    s = crawl(site, hijack_config(tmp_path), store)
    assert (s.new, s.updated, s.failed) == (2, 0, 0), s.errors
    conn = db(tmp_path)
    real = conn.execute("SELECT title, url, revision, text FROM articles WHERE canonical_url = ?",
                        (f"{HOST}{REAL}",)).fetchone()
    assert (real["title"], real["url"], real["revision"]) == ("Berita Asli", f"{HOST}{REAL}", 1)
    assert "Garut" not in real["text"]
    assert conn.execute("SELECT COUNT(*) FROM article_revisions").fetchone()[0] == 0
    blog = conn.execute("SELECT title, canonical_url FROM articles WHERE url = ?", (BLOG,)).fetchone()
    assert tuple(blog) == ("Tulisan Pengguna", BLOG)
    again = crawl(site, hijack_config(tmp_path), store)     # and on the next run too
    assert (again.new, again.updated) == (0, 0)
    assert conn.execute("SELECT revision FROM articles WHERE url = ?", (f"{HOST}{REAL}",)).fetchone()[0] == 1


def test_a_copy_under_a_declared_canonical_becomes_an_alias(tmp_path: Path, store: Store) -> None:
    site = hijack_site(REAL, article_html("Berita Asli", "Banten"))
    s = crawl(site, hijack_config(tmp_path), store)
    assert (s.new, s.duplicate, s.updated) == (1, 1, 0)
    conn = db(tmp_path)
    assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1
    alias = conn.execute("SELECT a.url FROM article_urls u JOIN articles a ON a.id = u.article_id "
                         "WHERE u.url = ?", (BLOG,)).fetchone()
    assert alias is not None and alias[0] == f"{HOST}{REAL}"


def test_variants_and_undisputed_canonicals_keep_folding_in(store: Store) -> None:
    real = f"{HOST}{REAL}"
    store.record_outcome(PageUpdate(real, "site", 200))          # fetched directly

    def rec(url: str, canonical: str) -> ArticleRecord:
        return ArticleRecord("site", url, canonical, "Judul", [(None, ["isi"])], aliases=[url + "?utm_source=x"])

    for variant in ("http://m.site.test/2025/01/berita-asli/", "http://www.site.test/2025/01/berita-asli/",
                    "http://amp.site.test/2025/01/berita-asli/", f"{HOST}/2025/01/berita-asli/amp/"):
        item = rec(variant, real)
        assert own_key_if_taken(store, item) is item, variant
    elsewhere = rec(BLOG, f"{HOST}/2025/01/belum-diambil/")         # nobody fetches it directly: a syndication
    assert own_key_if_taken(store, elsewhere) is elsewhere
    assert own_key_if_taken(store, elsewhere, direct={f"{HOST}/2025/01/belum-diambil/"}) is not elsewhere
    keyed = own_key_if_taken(store, rec(BLOG, real))
    assert isinstance(keyed, ArticleRecord) and keyed.canonical_url == BLOG and real not in keyed.aliases
    prepared = own_key_if_taken(store, prepare_article(rec(BLOG, real), features=True))
    assert isinstance(prepared, PreparedArticle) and prepared.canonical == BLOG and real not in prepared.urls
    assert prepared.story is not None


def test_an_aborted_or_stopped_run_records_why_in_runs_error(tmp_path: Path, store: Store) -> None:
    site = build_site()
    real_save = store.save_article

    def failing_save(rec, **kw):  # type: ignore[no-untyped-def]
        store.save_article = real_save  # type: ignore[method-assign]
        raise DiskFullError("disk full")

    store.save_article = failing_save  # type: ignore[method-assign]
    with pytest.raises(DiskFullError):
        crawl(site, make_config(tmp_path, concurrency=1), store)
    stop = threading.Event()
    stop.set()
    s = crawl(site, make_config(tmp_path), store, stop=stop)
    conn = db(tmp_path)
    rows = [tuple(r) for r in conn.execute("SELECT status, error FROM runs ORDER BY id")]
    assert rows == [("failed", "database: disk full"), ("interrupted", s.reason)]
    assert s.reason and s.reason.startswith("stopped before the end")


def test_a_404_counts_failed_until_gone_after_then_skipped_and_left_out(tmp_path: Path, store: Store) -> None:
    site = build_site()       # its listing links /2025/11/berita-yang-sudah-hilang/, which answers 404
    dead = "/2025/11/berita-yang-sudah-hilang/"
    config = make_config(tmp_path, gone_after=2, recheck_days=0.0)
    first = crawl(site, config, store)
    second = crawl(site, config, store)
    third = crawl(site, config, store)
    assert (first.failed, second.failed, third.failed) == (1, 0, 0)
    assert (second.skipped, third.skipped) == (first.skipped + 1, first.skipped)   # the other skips repeat
    assert len(site.hits(dead)) == 2
    assert not any(dead in e for e in second.errors + third.errors)
