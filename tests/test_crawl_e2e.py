"""End to end over loopback: `python -m scraper crawl` against the bundled demo site, then the database.

Three crawls of one served site: the first stores every article once (clean, segmented, aliases folded,
syndicated copies clustered, the multi-page article stitched); the second is answered by 304s and changes
nothing; after two articles are edited on the site, the third adds exactly two revisions.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import config_to_toml

from scraper.demo import BANTENPOS, FAM68, DemoSite, demo_config, serve_demo
from storage.urls import canonical_url

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
PROMO = ("Berita Terpercaya", "Baca juga", "Baca Juga", "ADVERTISEMENT", "FAM68 –", "SCROLL TO CONTINUE")


def crawl(config_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scraper", "--config", str(config_path), "-v", "crawl"],
                          capture_output=True, text=True, timeout=240, cwd=str(REPO))
    return proc, time.perf_counter() - t0


def summary_rows(stdout: str) -> dict[str, dict[str, str]]:
    lines = [ln.split() for ln in stdout.splitlines() if ln.strip()]
    header = lines[0]
    assert header[0] == "source" and header[-1] == "status", stdout
    return {row[0]: dict(zip(header, row, strict=True)) for row in lines[1:] if len(row) == len(header)}


def one(conn: sqlite3.Connection, sql: str, *params: object) -> Any:
    return conn.execute(sql, params).fetchone()[0]


def test_demo_site_crawl_recrawl_and_edits(tmp_path: Path) -> None:
    site = DemoSite.load()
    db = tmp_path / "e2e.db"
    cfg_path = tmp_path / "config.toml"
    with serve_demo(site) as base:
        cfg_path.write_text(config_to_toml(demo_config(base, str(db))), encoding="utf-8")
        fam = site.article_urls(FAM68)
        bp = site.article_urls(BANTENPOS)

        # ---- 1: first crawl -------------------------------------------------------------------------
        proc, first_s = crawl(cfg_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = summary_rows(proc.stdout)
        assert rows[FAM68]["new"] == str(len(fam)) and rows[BANTENPOS]["new"] == str(len(bp))
        assert rows[FAM68]["status"] == "ok" and rows[FAM68]["failed"] == "0"

        conn = sqlite3.connect(db)
        conn.row_factory = sqlite3.Row
        stored = {r["canonical_url"]: r for r in conn.execute("SELECT * FROM articles")}
        assert len(stored) == len(fam) + len(bp)
        assert set(stored) == {canonical_url(u) for u in fam + bp}
        assert one(conn, "SELECT COUNT(*) FROM articles WHERE source = ?", FAM68) == len(fam)

        # clean text: no promo, ad or dateline left anywhere
        for r in stored.values():
            for phrase in PROMO:
                assert phrase not in r["text"], (phrase, r["url"])
                assert phrase not in r["title"], (phrase, r["url"])
        for (text,) in conn.execute("SELECT text FROM segments"):
            assert not any(p in (text or "") for p in PROMO)

        # segments with headlines, matching the site's own structure
        for url in fam[:10]:
            art = site.article(url)
            aid = stored[canonical_url(url)]["id"]
            heads = [h for (h,) in conn.execute(
                "SELECT headline FROM segments WHERE article_id = ? ORDER BY position", (aid,))]
            assert heads[0] is None
            assert [s.headline for s in art.sections] == [h for h in heads if h], url

        # AMP and tracking variants folded into their article as aliases
        aliases = {u: aid for u, aid in conn.execute("SELECT url, article_id FROM article_urls")}
        amp_seen = [(amp, canon) for amp, canon in site.amp_urls().items() if amp in aliases]
        assert amp_seen, "no AMP variant was recorded as an alias"
        for amp, canon in amp_seen:
            assert aliases[amp] == stored[canonical_url(canon)]["id"]
        tracked = [u for u in aliases if "utm_source=" in u]
        assert tracked
        for u in tracked:
            assert aliases[u] == stored[canonical_url(u)]["id"]

        # syndicated copies: their own rows, in the cluster of the original
        for copy, original, mode in site.syndicated():
            c, o = stored[canonical_url(copy)], stored[canonical_url(original)]
            assert c["id"] != o["id"] and c["source"] == BANTENPOS
            assert c["cluster_id"] == o["cluster_id"], (mode, copy)

        # the multi-page article is one row holding both pages
        for url, more in site.multipage_urls().items():
            art = site.article(url)
            text = stored[canonical_url(url)]["text"]
            assert art.sections[-1].paragraphs[-1] in text and art.sections[0].paragraphs[0] in text
            assert all(canonical_url(p) not in stored for p in more)

        # robots.txt: the draft preview was never requested
        requested = {rec.path for rec in site.request_log()}
        assert not any("preview=" in p for p in requested)
        assert one(conn, "SELECT COUNT(*) FROM article_revisions") == 0
        article_paths = {site.article(u).path for u in fam + bp}

        # ---- 2: nothing changed: 304s, no new row, no revision --------------------------------------
        site.clear_request_log()
        proc, second_s = crawl(cfg_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = summary_rows(proc.stdout)
        for name, n in ((FAM68, len(fam)), (BANTENPOS, len(bp))):
            assert (rows[name]["new"], rows[name]["updated"], rows[name]["unchanged"]) == ("0", "0", str(n))
        assert one(conn, "SELECT COUNT(*) FROM articles") == len(fam) + len(bp)
        assert one(conn, "SELECT COUNT(*) FROM article_revisions") == 0
        article_requests = [rec for rec in site.request_log() if rec.path in article_paths]
        assert {rec.path for rec in article_requests} == article_paths
        assert all(rec.if_none_match and rec.status == 304 for rec in article_requests)

        # ---- 3: two articles edited on the site: exactly two revisions ------------------------------
        edited = [u for u in fam if u not in site.multipage_urls()][5:7]
        for i, url in enumerate(edited):
            site.edit_article(url, f"Pembaruan {i}: keterangan tambahan dari Humas Pemprov Banten pada sore hari.")
        proc, third_s = crawl(cfg_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        rows = summary_rows(proc.stdout)
        assert rows[FAM68]["updated"] == "2" and rows[FAM68]["new"] == "0"
        assert one(conn, "SELECT COUNT(*) FROM article_revisions") == 2
        assert one(conn, "SELECT COUNT(*) FROM articles") == len(fam) + len(bp)
        for i, url in enumerate(edited):
            r = conn.execute("SELECT revision, text FROM articles WHERE canonical_url = ?",
                             (canonical_url(url),)).fetchone()
            assert r["revision"] == 2 and f"Pembaruan {i}:" in r["text"]
        conn.close()
    print(f"\ne2e crawl timings: first {first_s:.2f}s, second {second_s:.2f}s, third {third_s:.2f}s")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scraper", *args], capture_output=True, text=True, timeout=120,
                          cwd=str(cwd))


def test_crawl_usage_errors_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("[http]\nper_host_delay = 0.0\n")
    proc = run_cli("--config", str(empty), "crawl", cwd=tmp_path)
    assert proc.returncode == 2 and "no sources configured" in proc.stderr
    one_source = tmp_path / "one.toml"
    one_source.write_text('[[sources]]\nname = "a"\nstart_urls = ["http://127.0.0.1:9/"]\n')
    proc = run_cli("--config", str(one_source), "--db", str(tmp_path / "x.db"), "crawl", "nope", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown source 'nope'" in proc.stderr


def test_unreachable_source_exits_1_with_a_failed_run(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:       # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[http]\nper_host_delay = 0.0\nretries = 0\ntimeout = 2.0\n\n[[sources]]\nname = "gone"\n'
                   f'start_urls = ["http://127.0.0.1:{port}/"]\n')
    proc = run_cli("--config", str(cfg), "--db", str(tmp_path / "x.db"), "crawl", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    row = summary_rows(proc.stdout)["gone"]
    assert row["status"] == "failed"
    conn = sqlite3.connect(tmp_path / "x.db")
    assert one(conn, "SELECT status FROM runs") == "failed"
    assert one(conn, "SELECT COUNT(*) FROM pages WHERE error IS NOT NULL") >= 1
    conn.close()


def test_sigint_interrupts_keeps_finished_articles_and_exits_130(tmp_path: Path) -> None:
    import signal

    db = tmp_path / "int.db"
    with serve_demo() as base:
        config = demo_config(base, str(db))
        # a polite delay makes the crawl take long enough to be interrupted in the middle
        slow = dataclasses.replace(config, http=dataclasses.replace(config.http, per_host_delay=0.3))
        cfg = tmp_path / "c.toml"
        cfg.write_text(config_to_toml(slow), encoding="utf-8")
        # one source at a time: the first one is the one interrupted (several at once: test_crawl_concurrent)
        proc = subprocess.Popen([sys.executable, "-m", "scraper", "--config", str(cfg), "-v", "crawl", "--jobs", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(tmp_path))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:   # wait until some articles are stored
            time.sleep(0.3)
            if db.exists():
                try:
                    with sqlite3.connect(db) as c:
                        if one(c, "SELECT COUNT(*) FROM articles") >= 3:
                            break
                except sqlite3.Error:
                    continue
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-2000:]
    conn = sqlite3.connect(db)
    stored = one(conn, "SELECT COUNT(*) FROM articles")
    run = conn.execute("SELECT status, new FROM runs ORDER BY id LIMIT 1").fetchone()
    conn.close()
    assert run[0] == "interrupted"
    assert 3 <= stored < 60 and run[1] == stored
    assert "interrupted" in summary_rows(out)[FAM68]["status"]
