"""Migration 0008 (declared foreign keys, sqlite-utils' FTS conventions), the newer-database guard and the
shipped Datasette metadata."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from sqlite_utils import Database

from scraper.cli import main
from storage import migrations
from storage.errors import StorageError
from storage.query import FTS_ON_COMMAND, Filters, search
from storage.records import ArticleRecord
from storage.store import Store

FIRST_NEW = "0008_foreign_keys_and_fts_triggers"
NOW = "2025-11-18T10:00:00+00:00"


def rec(i: int, source: str = "fam68", word: str = "banjir") -> ArticleRecord:
    return ArticleRecord(source=source, url=f"https://{source}.example/berita-{i}/",
                         canonical_url=f"https://{source}.example/berita-{i}/", title=f"Berita {word} nomor {i}",
                         segments=[(None, [f"Paragraf {word} ke-{i} mencatat {100 + i * 7} warga di desa {i}.",
                                           f"Camat menyebut {i * 13 + 5} rumah terdampak {word}."])],
                         published_at="2025-11-18T08:00:00+07:00")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "k.db"
    with Store.open(str(path)) as s:
        for i in range(3):
            s.save_article(rec(i), now=NOW)
    return path


def sqlite_utils_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sqlite_utils", *args], capture_output=True, text=True, timeout=60)


def kabar(capsys: pytest.CaptureFixture[str], tmp_path: Path, db: Path, *args: str) -> tuple[int, str, str]:
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text('[[sources]]\nname = "fam68"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config), "--db", str(db), *args])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


# ---- foreign keys ------------------------------------------------------------------------------------
def test_foreign_keys_are_declared_and_hold(db_path: Path) -> None:
    db = Database(str(db_path))
    fks = {(fk.table, fk.column, fk.other_table, fk.other_column)
           for table in ("articles", "runs", "pages") for fk in db[table].foreign_keys}
    assert {("articles", "source", "sources", "name"), ("articles", "cluster_id", "articles", "id"),
            ("runs", "source", "sources", "name"), ("pages", "source", "sources", "name")} <= fks
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [r[0] for r in db.execute("SELECT name FROM sources")] == ["fam68"]   # added by the insert trigger
    db.close()


def test_writes_keep_the_declared_keys_true(db_path: Path) -> None:
    with Store.open(str(db_path)) as s:
        s.record_page("https://other.example/x", "other", status=404, now=NOW)
        run = s.start_run("third", now=NOW)
        s.finish_run(run, "ok", {}, now=NOW)
        s.save_article(rec(7, source="fourth"), now=NOW)
        names = [r[0] for r in s.conn.execute("SELECT name FROM sources ORDER BY name")]
        assert names == ["fam68", "fourth", "other", "third"]
        # deleting a story's first article hands the story to its next one
        s.save_article(rec(1, source="bantenpos"), now=NOW)
        head = s.conn.execute("SELECT cluster_id FROM articles WHERE source = 'bantenpos'").fetchone()[0]
        s.conn.execute("DELETE FROM articles WHERE id = ?", (head,))
        assert s.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        (cluster,) = s.conn.execute("SELECT cluster_id FROM articles WHERE source = 'bantenpos'").fetchone()
        assert cluster == s.conn.execute("SELECT id FROM articles WHERE source = 'bantenpos'").fetchone()[0]


def test_upgrade_from_0007_keeps_ids_and_repairs_references(tmp_path: Path) -> None:
    path = tmp_path / "v7.db"
    old = Database(str(path))
    migrations.migrations.apply(old, stop_before=FIRST_NEW)
    for i, (aid, cluster) in enumerate([(5, 5), (9, 5), (12, 3), (14, 3)]):   # story 3's first row is gone
        old.execute("INSERT INTO articles (id, source, url, canonical_url, title, text, content_hash, cluster_id, "
                    "first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, 'teks', 'h', ?, ?, ?)",
                    [aid, f"src{i % 2}", f"https://x.example/{aid}", f"https://x.example/{aid}", f"judul {aid}",
                     cluster, NOW, NOW])
    old.execute("INSERT INTO runs (source, started_at) VALUES ('runonly', ?)", [NOW])
    old.execute("INSERT INTO pages (url, source) VALUES ('https://p.example/', 'pageonly')")
    old.conn.commit()
    old.close()
    with Store.open(str(path)) as s:
        c = s.conn
        assert [r[0] for r in c.execute("SELECT id FROM articles ORDER BY id")] == [5, 9, 12, 14]
        assert dict(c.execute("SELECT id, cluster_id FROM articles").fetchall()) == {5: 5, 9: 5, 12: 12, 14: 12}
        assert {r[0] for r in c.execute("SELECT name FROM sources")} == {"src0", "src1", "runonly", "pageonly"}
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
        assert [r[0] for r in c.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'judul' "
                                        "ORDER BY rowid")] == [5, 9, 12, 14]
        c.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1   # kabar's connection setting is back
        assert s.save_article(rec(1), now=NOW).outcome == "new"


# ---- FTS with sqlite-utils ---------------------------------------------------------------------------
def test_triggers_follow_sqlite_utils_conventions(db_path: Path) -> None:
    db = Database(str(db_path))
    assert db["articles"].detect_fts() == "articles_fts"
    triggers = {t.name: t.sql for t in db["articles"].triggers}
    assert {"articles_ai", "articles_ad", "articles_au"} <= set(triggers)
    assert "AFTER UPDATE OF title, text ON articles" in triggers["articles_au"]
    assert all("INSERT INTO [articles_fts]" in triggers[n] for n in ("articles_ai", "articles_ad", "articles_au"))
    db.close()


def test_disable_fts_then_kabar_keeps_writing_and_search_says_how_to_turn_it_on(
        db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(str(db_path))
    db["articles"].disable_fts()
    assert not db["articles_fts"].exists() and not [t for t in db["articles"].triggers if "fts" in t.sql]
    db.close()
    with Store.open(str(db_path)) as s:   # new, updated, unchanged: all still work
        assert s.save_article(rec(10, word="kebakaran"), now=NOW).outcome == "new"
        assert s.save_article(rec(0, word="longsor"), now=NOW).outcome == "updated"
        assert s.save_article(rec(1), now=NOW).outcome == "unchanged"
        with pytest.raises(StorageError, match="full-text search is off"):
            search(s, "banjir", Filters())
    code, out, err = kabar(capsys, tmp_path, db_path, "search", "kebakaran")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("kabar: error: full-text search is off")
    assert FTS_ON_COMMAND.format(path=db_path) in err

    command = FTS_ON_COMMAND.format(path=db_path).split()
    assert command[0] == "sqlite-utils"
    r = sqlite_utils_cli(*[a.strip("'") for a in command[1:4]], "title", "text", "--fts5", "--tokenize",
                         "unicode61 remove_diacritics 2", "--create-triggers")
    assert r.returncode == 0, r.stderr
    code, out, err = kabar(capsys, tmp_path, db_path, "search", "kebakaran", "--format", "json")
    assert code == 0 and json.loads(out)["title"] == "Berita kebakaran nomor 10"
    with Store.open(str(db_path)) as s:    # sqlite-utils' own triggers keep the index in step
        s.save_article(rec(11, word="gempa"), now=NOW)
        assert [r["title"] for r in search(s, "gempa", Filters())] == ["Berita gempa nomor 11"]


@pytest.mark.parametrize("command", [["rebuild-fts", "articles"], ["populate-fts", "articles", "title", "text"],
                                     ["enable-fts", "articles", "title", "text", "--fts5", "--replace",
                                      "--create-triggers"]])
def test_sqlite_utils_fts_commands_work_on_kabar_db(db_path: Path, command: list[str]) -> None:
    if command[0] == "populate-fts":   # populate an empty index (after disable/enable without content)
        db = Database(str(db_path))
        db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('delete-all')")
        db.conn.commit()
        db.close()
    r = sqlite_utils_cli(command[0], str(db_path), *command[1:])
    assert r.returncode == 0, r.stderr
    with Store.open(str(db_path)) as s:
        assert len(search(s, "banjir", Filters(), all_copies=True)) == 3
        s.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        assert s.save_article(rec(20), now=NOW).outcome == "new"


def test_fts_disabled_under_0007_is_repaired_by_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "v7.db"
    old = Database(str(path))
    migrations.migrations.apply(old, stop_before=FIRST_NEW)
    old["articles"].disable_fts()   # 0.1.0's triggers stay behind and break every write
    with pytest.raises(sqlite3.OperationalError, match="articles_fts"):
        old.execute("INSERT INTO articles (source, url, canonical_url, content_hash, first_seen_at, last_seen_at) "
                    "VALUES ('a', 'u', 'u', 'h', 't', 't')")
    old.close()
    with Store.open(str(path)) as s:
        assert s.save_article(rec(1), now=NOW).outcome == "new"
        assert s.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE '%fts%'").fetchone()[0] == 0


# ---- a database from a newer release -----------------------------------------------------------------
def test_a_newer_database_is_read_but_never_written(db_path: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    db = Database(str(db_path))
    db["_sqlite_migrations"].insert({"migration_set": "kabar", "name": "0099_from_the_future",
                                     "applied_at": "2030-01-01 00:00:00+00:00"})
    db.close()
    with pytest.raises(StorageError, match="unknown migration 0099_from_the_future"):
        Store.open(str(db_path))
    with Store.open(str(db_path), readonly=True) as ro:
        assert ro.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
    code, out, err = kabar(capsys, tmp_path, db_path, "crawl")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("kabar: error: ") and "0099_from_the_future" in err and "newer kabar" in err
    code, out, err = kabar(capsys, tmp_path, db_path, "latest", "--format", "json")
    assert code == 0 and len(out.splitlines()) == 3


def test_known_migrations_are_the_registered_ones() -> None:
    known = migrations.known()
    assert known.index(FIRST_NEW) + 1 == known.index("0009_canonical_url_keys")
    with Store.open(":memory:") as s:
        assert migrations.unknown_applied(s.db) == []


# ---- the shipped Datasette metadata ------------------------------------------------------------------
def datasette_metadata() -> dict:
    return json.loads((resources.files("storage") / "datasette-metadata.json").read_text(encoding="utf-8"))


def test_datasette_metadata_names_only_what_a_new_database_has(db_path: Path) -> None:
    meta = datasette_metadata()
    (name, database), = meta["databases"].items()
    assert name == "kabar"   # Datasette names a database after its file: kabar.db
    with Store.open(str(db_path)) as s:
        c = s.conn
        objects = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        for table, conf in database["tables"].items():
            assert table in objects, table
            columns = {r[1] for r in c.execute(f"PRAGMA table_info([{table}])")}
            named = set(conf.get("columns", {})) | set(conf.get("facets", []))
            named |= {conf[k] for k in ("label_column", "sort_desc", "sort", "fts_pk") if k in conf}
            assert named <= columns, (table, named - columns)
            if "fts_table" in conf:
                assert conf["fts_table"] in objects
        for table in ("story_docs", "story_terms", "story_postings", "source_lines", "story_state", "daemon_heartbeat", "_sqlite_migrations",
                      "articles_fts_data", "articles_fts_idx", "articles_fts_docsize", "articles_fts_config"):
            assert database["tables"][table] == {"hidden": True}
        public = objects - {t for t, conf in database["tables"].items() if conf.get("hidden")}
        assert public == {"articles", "stories", "sources", "segments", "removed_blocks", "article_urls", "article_revisions",
                          "pages", "runs"}
        assert set(database["tables"]["articles"]["columns"]) == {r[1] for r in c.execute("PRAGMA table_info(articles)")}
        params = {"query": "banjir", "cluster_id": 1, "article_id": 1}
        for qname, query in database["queries"].items():
            found = c.execute(query["sql"], params).fetchall()
            if qname not in ("recent_errors", "failed_runs"):
                assert found, qname


@pytest.mark.slow
def test_crawl_after_sqlite_utils_disable_fts(tmp_path: Path) -> None:
    """The issue's check: `sqlite-utils disable-fts` followed by a crawl must not fail."""
    import os

    from helpers import config_to_toml

    from scraper.demo import BANTENPOS, FAM68, demo_config, serve_demo

    db = tmp_path / "k.db"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with serve_demo() as base_url:
        cfg = tmp_path / "c.toml"
        cfg.write_text(config_to_toml(demo_config(base_url, str(db))), encoding="utf-8")

        def kabar_cli(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "scraper", "--config", str(cfg), *args], env=env,
                                  capture_output=True, text=True, timeout=180)

        assert kabar_cli("-q", "crawl", BANTENPOS).returncode == 0
        before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        r = sqlite_utils_cli("disable-fts", str(db), "articles")
        assert r.returncode == 0, r.stderr
        crawl = kabar_cli("-q", "crawl", FAM68)
        assert crawl.returncode == 0, crawl.stderr[-2000:]
        assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM articles").fetchone()[0] > before
        found = kabar_cli("search", "banten")
        assert found.returncode == 1 and found.stderr.startswith("kabar: error: full-text search is off")
