"""Issue #14's operator items of `kabar crawl`: `gone` URLs, `-q`, `--format json`, the reason of a failed run.

A small site on 127.0.0.1 (real sockets, so the CLI runs as an operator runs it) whose sitemap lists good
articles and dead ones; every test drives ``kabar crawl`` in-process and reads the database afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hostile_server import article_html

from scraper.cli import main
from storage.records import RUN_COUNTS

GOOD = "/2025/01/jembatan-baru-diresmikan/"
DEAD = "/2025/01/berita-yang-dihapus/"
PARAGRAPHS = [
    "Pemerintah Kabupaten Lebak meresmikan jembatan gantung sepanjang 120 meter yang menghubungkan dua desa "
    "di Kecamatan Cibeber, kata bupati kepada wartawan pada hari Senin.",
    "Jembatan itu dibangun dengan anggaran Rp 2,4 miliar dan dapat dilalui kendaraan roda dua, sehingga "
    "warga tidak lagi harus memutar sejauh delapan kilometer untuk ke pasar.",
    "Warga menyambut peresmian itu dengan syukuran di balai desa, dan kepala desa berharap jalan menuju "
    "jembatan segera diaspal sebelum musim hujan tiba.",
]


class Site:
    """path -> (status, body, content type), with a log of the paths asked; unknown paths answer 404."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, str]] = {}
        self.log: list[str] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                with site.lock:
                    site.log.append(self.path)
                    status, body, ctype = site.pages.get(self.path, (404, "not found", "text/plain"))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's signature)
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def sitemap(self, *paths: str, lastmod: str | None = None) -> None:
        mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        urls = "".join(f"<url><loc>{self.base}{p}</loc>{mod}</url>" for p in paths)
        self.pages["/sitemap.xml"] = (200, "<?xml version='1.0' encoding='UTF-8'?><urlset xmlns="
                                      f"'http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>",
                                      "application/xml")

    def article(self, path: str, title: str = "Jembatan Baru Diresmikan") -> None:
        self.pages[path] = (200, article_html(title, PARAGRAPHS), "text/html; charset=utf-8")

    def hits(self, path: str) -> int:
        with self.lock:
            return self.log.count(path)


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    s.pages["/robots.txt"] = (404, "", "text/plain")
    s.article(GOOD)
    s.sitemap(GOOD, DEAD)
    thread = threading.Thread(target=s.server.serve_forever, daemon=True)
    thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


def write_config(tmp_path: Path, site: Site, http: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[storage]\npath = '{tmp_path / 'k.db'}'\n\n[http]\nper_host_delay = 0.0\nretries = 0\n"
                   f"timeout = 5.0\nrecheck_days = 0.0\n{http}\n[[sources]]\nname = 'lebak'\nsitemaps = ['{site.base}/sitemap.xml']\n",
                   encoding="utf-8")
    return cfg


def kabar(capsys: pytest.CaptureFixture[str], cfg: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(cfg), *args])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def crawl_json(capsys: pytest.CaptureFixture[str], cfg: Path) -> tuple[int, dict[str, Any]]:
    code, out, _err = kabar(capsys, cfg, "crawl", "--format", "json")
    lines = out.splitlines()
    assert len(lines) == 1, out
    return code, json.loads(lines[0])


def db_rows(tmp_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "k.db") as conn:
        return conn.execute(sql, params).fetchall()


# ---- gone URLs -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [404, 410])
def test_a_dead_url_fails_twice_is_skipped_gone_once_then_left_alone(tmp_path: Path, site: Site,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      status: int) -> None:
    site.pages[DEAD] = (status, "gone", "text/html")
    cfg = write_config(tmp_path, site)
    for run in (1, 2):
        code, summary = crawl_json(capsys, cfg)
        assert code == 1 and summary["status"] == "ok", (run, summary)
        assert (summary["failed"], summary["skipped"]) == (1, 0), (run, summary)
        assert site.hits(DEAD) == run
    code, summary = crawl_json(capsys, cfg)
    assert code == 0 and (summary["failed"], summary["skipped"]) == (0, 1), summary
    assert site.hits(DEAD) == 3
    assert db_rows(tmp_path, "SELECT status, error FROM pages WHERE url = ?", site.base + DEAD) == [
        (status, "gone after 3 answers 404/410")]
    code, summary = crawl_json(capsys, cfg)
    assert code == 0 and (summary["failed"], summary["skipped"]) == (0, 0), summary
    assert summary["fetched"] == 0 and summary["discovered"] == 2
    assert site.hits(DEAD) == 3          # run 4 did not ask for it
    assert site.hits(GOOD) == 1          # stored by run 1, not re-checked (no lastmod, recheck_days = 0)


def test_a_url_answering_404_twice_then_200_is_not_gone(tmp_path: Path, site: Site,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    site.pages[DEAD] = (404, "not yet", "text/html")
    cfg = write_config(tmp_path, site)
    assert [crawl_json(capsys, cfg)[1]["failed"] for _ in range(2)] == [1, 1]
    site.article(DEAD, "Berita Kembali Tayang")           # the third answer is a 200: an article, not gone
    code, summary = crawl_json(capsys, cfg)
    assert code == 0 and (summary["new"], summary["skipped"], summary["failed"]) == (1, 0, 0), summary
    assert db_rows(tmp_path, "SELECT COUNT(*) FROM page_gone") == [(0,)]
    assert db_rows(tmp_path, "SELECT COUNT(*) FROM articles") == [(2,)]


def test_any_other_answer_starts_the_count_again(tmp_path: Path, site: Site,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, site)
    answers = [404, 410, 500, 404, 404]      # the 500 resets: no 3 in a row yet
    for status in answers:
        site.pages[DEAD] = (status, "dead", "text/html")
        code, summary = crawl_json(capsys, cfg)
        assert code == 1 and summary["failed"] == 1, (status, summary)
    code, summary = crawl_json(capsys, cfg)       # the third 404/410 in a row
    assert code == 0 and (summary["skipped"], summary["failed"]) == (1, 0)
    assert site.hits(DEAD) == len(answers) + 1


def test_a_gone_url_is_retried_when_its_lastmod_moves(tmp_path: Path, site: Site,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    site.pages[DEAD] = (410, "gone", "text/html")
    cfg = write_config(tmp_path, site, "gone_after = 1\n")
    code, summary = crawl_json(capsys, cfg)                  # gone_after = 1: the first 410 is gone
    assert code == 0 and (summary["skipped"], summary["failed"]) == (1, 0)
    crawl_json(capsys, cfg)
    assert site.hits(DEAD) == 1
    site.sitemap(GOOD, DEAD, lastmod="2099-01-01T00:00:00+00:00")   # newer than the last answer
    site.article(DEAD, "Berita Diterbitkan Ulang")
    code, summary = crawl_json(capsys, cfg)
    assert site.hits(DEAD) == 2 and summary["new"] == 1, summary


def test_gone_after_is_validated(tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0", "2.5", "true"):
        code, out, err = kabar(capsys, write_config(tmp_path, site, f"gone_after = {bad}\n"), "crawl")
        assert code == 2 and "gone_after" in err and out == "", (bad, err)


# ---- -q and --format json ------------------------------------------------------------------------------
def test_quiet_crawl_prints_nothing_on_success(tmp_path: Path, site: Site,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    site.sitemap(GOOD)
    code, out, err = kabar(capsys, write_config(tmp_path, site), "-q", "crawl")
    assert (code, out, err) == (0, "", "")
    assert db_rows(tmp_path, "SELECT COUNT(*) FROM articles") == [(1,)]


def test_quiet_crawl_with_failures_keeps_stdout_empty_and_says_so_in_one_line(
        tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = kabar(capsys, write_config(tmp_path, site), "-q", "crawl")
    assert code == 1 and out == ""
    assert err.splitlines() == [f"kabar: error: lebak: 1 failed (first: {site.base}{DEAD}: HTTP 404)"]


def test_format_json_prints_one_object_per_source_and_nothing_else(tmp_path: Path, site: Site,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = kabar(capsys, write_config(tmp_path, site), "crawl", "--format", "json")
    assert code == 1
    [line] = out.splitlines()
    summary = json.loads(line)
    assert list(summary) == ["source", "status", *RUN_COUNTS, "error", "run_id", "started_at", "finished_at"]
    assert summary["source"] == "lebak" and summary["status"] == "ok" and summary["error"] is None
    assert (summary["discovered"], summary["fetched"], summary["new"], summary["failed"]) == (2, 2, 1, 1)
    run = db_rows(tmp_path, "SELECT id, started_at, finished_at, status FROM runs")
    assert run == [(summary["run_id"], summary["started_at"], summary["finished_at"], "ok")]


def test_format_table_is_the_default(tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, site)
    code, out, _err = kabar(capsys, cfg, "crawl", "--format", "table")
    header, row = out.splitlines()
    assert code == 1 and header.split() == ["source", *RUN_COUNTS, "status"]
    assert row.split() == ["lebak", "2", "2", "1", "0", "0", "0", "0", "1", "ok"]
    code, out, _err = kabar(capsys, cfg, "crawl")
    assert out.splitlines()[0].split() == header.split()
    code, out, err = kabar(capsys, cfg, "crawl", "--format", "csv")
    assert code == 2 and out == ""


# ---- the reason of a failed run ------------------------------------------------------------------------
def test_a_source_whose_every_listing_fails_records_why_in_runs_error(
        tmp_path: Path, site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    site.pages["/sitemap.xml"] = (500, "oops", "text/plain")
    cfg = write_config(tmp_path, site)
    code, summary = crawl_json(capsys, cfg)
    assert code == 1 and summary["status"] == "failed"
    [(status, error)] = db_rows(tmp_path, "SELECT status, error FROM runs")
    assert status == "failed" and error == summary["error"]
    assert error.startswith("source could not be crawled: 1 of 1 listings, feeds and sitemaps failed")
    assert f"{site.base}/sitemap.xml" in error and "HTTP 500" in error
    code, out, err = kabar(capsys, cfg, "-q", "crawl")
    assert code == 1 and out == "" and err.splitlines() == [f"kabar: error: lebak: run failed: {error}"]


# ---- the store's count ---------------------------------------------------------------------------------
def test_page_gone_counts_consecutive_404_410_answers_only(tmp_path: Path) -> None:
    from storage import runs
    from storage.store import Store

    url = "https://lebak.example/2025/01/a/"
    with Store.open(str(tmp_path / "s.db")) as store:
        def answer(status: int | None) -> int:
            store.record_page(url, "lebak", status=status, error=None if status == 200 else "x")
            with store.transaction() as conn:
                return runs.gone_answers(conn, url)

        assert [answer(s) for s in (404, 410, None, 404)] == [1, 2, 2, 3]   # no answer (None) keeps it
        with store.transaction() as conn:
            assert runs.gone_pages(conn, "lebak", 3) == {url: store.page_state(url).fetched_at}  # type: ignore[union-attr]
            assert runs.gone_pages(conn, "lebak", 4) == {} and runs.gone_pages(conn, "other", 1) == {}
        assert [answer(s) for s in (304, 404, 500, 200)] == [0, 1, 0, 0]


def test_the_migration_starts_pages_last_answered_404_at_one(tmp_path: Path) -> None:
    from sqlite_utils import Database

    from storage import migrations
    from storage.store import Store

    path = tmp_path / "old.db"
    db = Database(str(path))
    migrations.migrations.apply(db, stop_before="0011_page_gone")
    db.conn.executemany("INSERT INTO pages (url, source, status, fetched_at) VALUES (?, NULL, ?, ?)",
                        [("https://x.example/a/", 404, "2025-01-01T00:00:00+00:00"),
                         ("https://x.example/b/", 200, "2025-01-01T00:00:00+00:00")])
    db.conn.commit()
    db.conn.close()
    with Store.open(str(path)) as store:
        rows = store.conn.execute("SELECT url, answers, last_at FROM page_gone").fetchall()
    assert rows == [("https://x.example/a/", 1, "2025-01-01T00:00:00+00:00")]
