"""``kabar serve``'s app through Starlette's test client over a store built with Store.save_article."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from scraper.web import views
from scraper.web.app import create_app
from storage.records import ArticleRecord
from storage.store import Store

LEAD = ["Gubernur Banten Andra Soni meresmikan jembatan baru di Serang pada Senin pagi. Jembatan sepanjang 120 "
        "meter itu menelan biaya Rp 45 miliar.",
        "Menurut Andra Soni, jembatan ini akan memperlancar arus barang. Warga menyambut gembira.",
        "Peresmian dihadiri 300 warga."]
REST = ["Kepala Dinas PUPR Banten Arlan Marzan mengatakan pembangunan dimulai pada Maret 2024 dan selesai tepat waktu.",
        "Jembatan itu menghubungkan Kecamatan Cipocok Jaya dengan Kecamatan Taktakan yang selama ini terpisah sungai.",
        "Sebelumnya warga harus memutar sejauh 7 kilometer untuk menyeberang ke pasar terdekat.",
        "Pemerintah provinsi juga berencana membangun 3 jembatan serupa di Lebak dan Pandeglang tahun depan."]
SPUN = [REST[0], REST[1], "Gubernur Banten Andra Soni meresmikan jembatan baru di Serang pada Senin pagi. Jembatan "
        "dengan panjang 120 meter tersebut menelan biaya Rp 45 miliar.", "Acara ini juga dihadiri Bupati Serang.",
        REST[2], REST[3]]
SCRIPT_TITLE = 'Jembatan <script>document.title="pwned"</script> baru diresmikan'


def record(source: str, slug: str, title: str, paragraphs: list[str], published: str, **kw: Any) -> ArticleRecord:
    url = f"https://{source}.example/{slug}"
    return ArticleRecord(source=source, url=url, canonical_url=url, title=title, segments=[(None, paragraphs)],
                         published_at=published, **kw)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "k.db"
    with Store.open(str(path)) as s:
        s.save_article(record("fam68", "jembatan", SCRIPT_TITLE, LEAD + REST, "2025-06-02T08:00:00+07:00",
                              section="Daerah", removed=[("ad", "ADVERTISEMENT"), ("related", "Baca juga: Banjir")]),
                       now="2025-06-02T01:05:00+00:00")
        s.save_article(record("bantenpos", "jembatan-baru", "Jembatan baru diresmikan Gubernur", SPUN,
                              "2025-06-02T10:00:00+07:00"), now="2025-06-02T03:05:00+00:00")
        for i in range(25):
            s.save_article(record("bantenpos", f"lain-{i}", f"Kabar lain nomor {i}",
                                  [f"Paragraf tentang hal lain ke-{i} dengan {i * 17 + 3} kata unik{i}x."],
                                  f"2025-06-01T{i % 24:02d}:00:00+07:00"), now="2025-06-01T20:00:00+00:00")
        run = s.start_run("fam68", now="2025-06-02T01:00:00+00:00")
        s.finish_run(run, "failed", {"discovered": 3, "fetched": 2, "new": 1, "failed": 1},
                     now="2025-06-02T01:06:00+00:00", error="robots.txt answered 500")
    return path


@pytest.fixture
def client(db: Path) -> TestClient:
    from datetime import UTC, datetime

    return TestClient(create_app(str(db), now=lambda: datetime(2025, 6, 3, tzinfo=UTC)))


def test_front_page_lists_stories_with_copies_and_pages(client: TestClient) -> None:
    data = client.get("/.json").json()
    assert len(data["stories"]) == 20 and data["has_next"]
    top = data["stories"][0]
    assert top["copies"] == 2 and top["sources"] == ["bantenpos", "fam68"] and top["first_source"] == "fam68"
    page2 = client.get("/.json?page=2").json()
    assert len(page2["stories"]) == 6 and not page2["has_next"]
    ids = {s["story_id"] for s in data["stories"]} | {s["story_id"] for s in page2["stories"]}
    assert len(ids) == 26
    html = client.get("/").text
    assert "2 copies" in html and 'rel="next"' in html


def test_filters_by_source_section_and_since(client: TestClient) -> None:
    fam = client.get("/.json?source=fam68").json()["stories"]
    assert [s["copies"] for s in fam] == [2]
    assert len(client.get("/.json?section=Daerah").json()["stories"]) == 1
    assert len(client.get("/.json?since=2025-06-02").json()["stories"]) == 1
    bad = client.get("/?since=kemarin")
    assert bad.status_code == 200 and "expected an ISO date" in bad.text


def test_search_highlights_and_a_bad_query_is_a_message(client: TestClient) -> None:
    data = client.get("/.json?q=jembatan").json()
    assert len(data["stories"]) == 1
    hit = data["stories"][0]
    assert "<mark>" in hit["snippet_html"] and "[jembatan]" in hit["snippet"].lower()
    scripted = client.get("/.json?q=pwned").json()["stories"][0]
    assert "&lt;script&gt;" in scripted["title_html"] and "<mark>pwned</mark>" in scripted["title_html"]
    html = client.get("/?q=jembatan").text
    assert "<mark>jembatan</mark>" in html.lower() and "<script>" not in html
    for q in ('"unterminated', "AND", "title:(", "nosuchcol:x"):
        page = client.get("/", params={"q": q})
        assert page.status_code == 200 and "bad search query" in page.text, q
        js = client.get("/.json", params={"q": q})
        assert js.status_code == 400 and "bad search query" in js.json()["error"]


def test_story_page_marks_the_earliest_and_diffs_the_copy(client: TestClient) -> None:
    data = client.get("/story/2.json").json()     # any member's id
    first, copy = data["copies"]
    assert first["id"] == 1 and first["earliest"] and not copy["earliest"]
    assert copy["diff"]["counts"]["reworded"] == 1 and copy["diff"]["counts"]["added"] == 1
    assert copy["diff"]["counts"]["shared"] >= 4 and copy["diff"]["counts"]["dropped"] >= 1
    assert "serang" in copy["why"]["shared_names"] and "120" in copy["why"]["shared_numbers"]
    assert copy["why"]["against"] == 1 and copy["why"]["score"] >= 0.6      # the clustering's own reasons
    html = client.get("/story/1").text
    assert html.count('class="badge first"') >= 1 and "bantenpos" in html and "fam68" in html
    assert "<ins>dengan panjang</ins>" in html and "<script>" not in html
    assert client.get("/story/999").status_code == 404
    assert client.get("/story/999.json").json()["error"]


def test_story_takes_its_explanations_from_the_injected_function(db: Path) -> None:
    calls: list[int] = []

    def explain(conn: sqlite3.Connection, article_id: int) -> dict[int, dict[str, Any]]:
        calls.append(article_id)
        return {2: {"score": 0.87, "shared_quotes": ["jembatan ini"]}}

    client = TestClient(create_app(str(db), explain=explain))
    data = client.get("/story/2.json").json()
    assert calls == [2] and data["copies"][1]["why"]["score"] == 0.87
    assert "score 0.87" in client.get("/story/2").text


def test_article_page_shows_removed_blocks_and_revisions(db: Path, client: TestClient) -> None:
    data = client.get("/article/1.json").json()
    assert data["article"]["section"] == "Daerah" and data["revisions"] == []
    assert [(r["kind"], r["text"]) for r in data["removed"]] == [("ad", "ADVERTISEMENT"),
                                                                  ("related", "Baca juga: Banjir")]
    assert "ADVERTISEMENT" in client.get("/article/1").text
    with Store.open(str(db)) as s:
        # other removed blocks only: the same content, not a revision
        same = s.save_article(record("fam68", "jembatan", SCRIPT_TITLE, LEAD + REST, "2025-06-02T08:00:00+07:00",
                                     removed=[("share", "Bagikan")]))
        assert same.outcome == "unchanged"
        edited = s.save_article(record("fam68", "jembatan", SCRIPT_TITLE, LEAD[:2] + REST + ["Ralat: 301 warga."],
                                       "2025-06-02T08:00:00+07:00", removed=[("share", "Bagikan")]))
        assert edited.outcome == "updated"
    data = client.get("/article/1.json").json()
    assert [(r["kind"], r["text"]) for r in data["removed"]] == [("share", "Bagikan")]
    (rev,) = data["revisions"]
    assert (rev["from"], rev["to"]) == (1, 2)
    assert rev["diff"]["counts"]["dropped"] == 1 and rev["diff"]["counts"]["added"] == 1
    assert client.get("/article/77").status_code == 404


def test_sources_page_draws_a_chart_and_lists_failures(client: TestClient) -> None:
    data = client.get("/sources.json").json()
    fam = next(s for s in data["sources"] if s["name"] == "fam68")
    assert fam["per_day"]["2025-06-02"] == 1 and fam["runs"][0]["status"] == "failed"
    assert fam["failed_runs"][0]["error"] == "robots.txt answered 500"
    bars = {b["day"]: b for b in fam["chart"]["bars"]}
    assert len(bars) == 30 and bars["2025-06-02"]["h"] > 0 and bars["2025-06-01"]["h"] == 0
    html = client.get("/sources").text
    assert "<svg" in html and "<rect" in html and "robots.txt answered 500" in html


def test_safe_by_default(client: TestClient, db: Path) -> None:
    for path in ("/", "/.json", "/story/1", "/article/1.json", "/sources"):
        assert client.post(path).status_code == 405
        assert client.delete(path).status_code == 405
    page = client.get("/article/1")
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"]     # default-src 'none': no scripts
    assert "default-src 'none'" in page.headers["content-security-policy"]
    with Store.open(str(db)) as s:
        s.save_article(record("fam68", "js", "Tautan jahat", ["Teks yang cukup panjang tentang tautan jahat."],
                              "2025-06-02T09:00:00+07:00", aliases=[]))
        s.conn.execute("UPDATE articles SET url = 'javascript:alert(1)' WHERE title = 'Tautan jahat'")
        bad_id = s.conn.execute("SELECT id FROM articles WHERE title = 'Tautan jahat'").fetchone()[0]
    assert 'href="javascript:' not in client.get(f"/article/{bad_id}").text


def test_reads_while_a_writer_holds_the_database(db: Path, client: TestClient) -> None:
    with Store.open(str(db)) as writer:
        writer.conn.execute("BEGIN IMMEDIATE")
        writer.conn.execute("UPDATE articles SET title = 'sedang ditulis' WHERE id = 3")
        assert client.get("/.json").status_code == 200
        assert client.get("/article/3.json").json()["article"]["title"] != "sedang ditulis"
        writer.conn.execute("COMMIT")
    assert client.get("/article/3.json").json()["article"]["title"] == "sedang ditulis"


def test_a_missing_or_foreign_database_is_one_error(tmp_path: Path) -> None:
    client = TestClient(create_app(str(tmp_path / "none.db")))
    resp = client.get("/.json")
    assert resp.status_code == 503 and "database not found" in resp.json()["error"]
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    assert "not a kabar database" in TestClient(create_app(str(other))).get("/").text


def test_views_walk_stories_newest_first(db: Path) -> None:
    with Store.open(str(db), readonly=True) as s:
        stories = views.front(s.conn)["stories"]
    times = [s["latest_at"] for s in stories]
    assert times == sorted(times, reverse=True)


def test_a_query_past_its_budget_is_stopped_with_a_message(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scraper.web import app as app_module

    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT COUNT(*) FROM n"
    monkeypatch.setattr(app_module, "QUERY_BUDGET_S", 0.2)
    monkeypatch.setattr(views, "front", lambda conn, **kw: conn.execute(endless).fetchone())
    client = TestClient(create_app(str(db)))
    page = client.get("/?q=banjir")
    assert page.status_code == 200 and "took longer than 0.2 s" in page.text
    assert client.get("/.json?q=banjir").status_code == 400
    assert client.get("/sources.json").status_code == 200      # the connection is still usable


def test_serve_command_errors_are_one_line(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from scraper.cli import main

    config = tmp_path / "config.toml"
    config.write_text('[[sources]]\nname = "fam68"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    with pytest.raises(SystemExit) as missing:
        main(["--config", str(config), "--db", str(tmp_path / "none.db"), "serve", "--port", "0"])
    err = capsys.readouterr().err
    assert missing.value.code == 1 and err.startswith("kabar: error: ") and "database not found" in err
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        with pytest.raises(SystemExit) as busy:
            main(["--config", str(config), "--db", str(db), "serve", "--port", str(taken.getsockname()[1])])
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert busy.value.code == 2 and err.count("\n") == 1 and "cannot listen on 127.0.0.1:" in err
