"""The store: migrations, dedupe outcomes, revisions, URLs, pages, runs and sources."""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from helpers import LATER, NOW, count, record, table_counts

from storage import migrations, runs
from storage.errors import StorageError
from storage.store import Store
from storage.util import format_time, read_time


# ---- migrations --------------------------------------------------------------------------------------
def test_new_database_has_the_spec_tables_wal_and_pragmas(store: Store) -> None:
    names = set(store.db.table_names())
    assert {"sources", "articles", "segments", "article_urls", "article_revisions", "pages", "runs",
            "articles_fts"} <= names
    assert store.db.view_names() == ["stories"]
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    cols = [c.name for c in store.db["articles"].columns]
    assert cols == ["id", "source", "url", "canonical_url", "title", "published_at", "modified_at", "authors",
                    "section", "tags", "lang", "image", "dateline", "text", "content_hash", "cluster_id",
                    "revision", "first_seen_at", "last_seen_at"]
    assert [c.name for c in store.db["segments"].columns] == ["article_id", "position", "headline", "text"]
    assert store.db["segments"].pks == ["article_id", "position"]
    assert store.db["article_revisions"].pks == ["article_id", "revision"]
    assert [c.name for c in store.db["pages"].columns] == ["url", "source", "status", "etag", "last_modified",
                                                            "content_hash", "fetched_at", "error"]
    assert [c.name for c in store.db.view("stories").columns] == [
        "cluster_id", "article_id", "title", "published_at", "first_seen_at", "copies", "sources"]


def test_applying_migrations_twice_is_a_no_op(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Store.open(path) as s:
        schema = s.conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
        applied = count(s, "_sqlite_migrations")
    with Store.open(path) as s:
        assert migrations.pending(s.db) == []
        assert migrations.migrate(s.db) == []
        assert count(s, "_sqlite_migrations") == applied == len(migrations.migrations._migrations)
        assert s.conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall() == schema


def test_readers_know_the_migration_names() -> None:
    import storage.store as store_module

    assert store_module.SCHEMA_MIGRATIONS == tuple(m.name for m in migrations.migrations._migrations)
    assert store_module.MIGRATION_SET == migrations.MIGRATION_SET


def test_opening_an_older_database_upgrades_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    from sqlite_utils import Database

    old = Database(str(path))
    migrations.migrations.apply(old, stop_before="0002_articles_fts")  # the first released schema
    old.execute("INSERT INTO articles (source, url, canonical_url, title, text, content_hash, revision, "
                "first_seen_at, last_seen_at) VALUES ('fam68', 'https://f.example/a', 'https://f.example/a', "
                "'Banjir di Lebak', 'Sungai Ciujung meluap', 'x', 1, ?, ?)", [NOW, NOW])
    old.close()

    with pytest.raises(StorageError, match="older than this kabar"):
        Store.open(str(path), readonly=True)  # a reader never upgrades
    with Store.open(str(path)) as s:
        assert migrations.pending(s.db) == []
        hits = s.conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'ciujung'").fetchall()
        assert hits == [(1,)]  # the FTS index was built from the existing rows
        assert s.conn.execute("SELECT cluster_id, copies FROM stories").fetchall() == [(1, 1)]
        result = s.save_article(record(1))
        assert result.outcome == "new"
    with Store.open(str(path), readonly=True) as s:
        assert count(s, "articles") == 2


def test_upgrade_to_one_story_index_keeps_existing_stories_findable(tmp_path: Path) -> None:
    """An archive from before 0007 upgrades through the story model (0014): the MinHash index tables are gone,
    the stored article has its story, and a copy saved after the upgrade still joins the story stored
    before it."""
    from sqlite_utils import Database

    from storage import dedupe

    path = tmp_path / "v6.db"
    old = Database(str(path))
    migrations.migrations.apply(old, stop_before="0007_story_index")
    rec = record(1)
    feats = dedupe.story_features(rec.title, rec.segments, "2025-11-18T01:00:00+00:00")
    old.execute("INSERT INTO articles (id, source, url, canonical_url, title, text, content_hash, cluster_id, "
                "revision, first_seen_at, last_seen_at, published_at) VALUES (1, 'fam68', ?, ?, ?, ?, 'x', 1, 1, "
                "?, ?, '2025-11-18T01:00:00+00:00')", [rec.url, rec.canonical_url, rec.title, rec.text, NOW, NOW])
    old.execute("INSERT INTO story_features VALUES (1, ?, ?)", [feats.signature_blob(), feats.features_json()])
    old.conn.executemany("INSERT INTO minhash_bands (band, bucket, article_id) VALUES (?, ?, 1)",
                         list(enumerate(feats.buckets())))
    old.conn.commit()
    old.close()

    with Store.open(str(path)) as s:
        assert migrations.pending(s.db) == []
        tables = {r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "story_docs" in tables and not tables & {"minhash_bands", "story_keys", "story_index",
                                                        "story_features"}
        assert s.conn.execute("SELECT COUNT(*) FROM story_postings WHERE article_id = 1").fetchone()[0] > 0
        # the same text under another outlet's title and URL: found by the story model, same story
        copy = s.save_article(record(1, source="bantenpos", title="Judul lain sama sekali"))
        assert copy.outcome == "new" and copy.cluster_id == 1


def test_readonly_open_of_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(StorageError) as err:
        Store.open(str(path), readonly=True)
    assert str(path) in str(err.value) and "not found" in str(err.value)
    assert "\n" not in str(err.value)
    assert not path.exists()


def test_readonly_open_of_a_non_kabar_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE x (a)").connection.commit()
    with pytest.raises(StorageError, match="not a kabar database"):
        Store.open(str(path), readonly=True)


def test_opening_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StorageError, match="junk.db"):
        Store.open(str(path))


# ---- save outcomes -----------------------------------------------------------------------------------
def test_new_article_row_segments_urls(store: Store) -> None:
    rec = record(1, url="https://fam68.example/2025/11/berita-1/?utm_source=fb&fbclid=abc",
                 aliases=["https://amp.fam68.example/2025/11/berita-1/amp/"])
    result = store.save_article(rec, now=NOW)
    assert result.outcome == "new" and result.revision == 1 and result.cluster_id == result.article_id
    row = store.db["articles"].get(result.article_id)
    assert row["canonical_url"] == "https://fam68.example/2025/11/berita-1/"
    assert row["published_at"] == "2025-11-18T01:00:00+00:00"  # converted to UTC
    assert row["first_seen_at"] == row["last_seen_at"] == NOW
    assert row["authors"] == '["Redaksi"]' and row["text"] == rec.text
    segs = store.conn.execute("SELECT position, headline, text FROM segments WHERE article_id = ? "
                              "ORDER BY position", (result.article_id,)).fetchall()
    assert segs == [(0, None, "\n".join(rec.segments[0][1])), (1, "Subjudul 1", rec.segments[1][1][0])]
    urls = {u for (u,) in store.conn.execute("SELECT url FROM article_urls")}
    assert urls == {"https://fam68.example/2025/11/berita-1/",
                    "https://fam68.example/2025/11/berita-1/?utm_source=fb&fbclid=abc",
                    "https://amp.fam68.example/2025/11/berita-1/amp/"}
    for variant in urls | {"https://FAM68.example:443/2025/11/berita-1/?gclid=1#komentar"}:
        assert store.article_for_url(variant) == (result.article_id, NOW)
    assert store.article_for_url("https://fam68.example/2025/11/other/") is None


def test_unchanged_only_moves_last_seen(store: Store) -> None:
    first = store.save_article(record(1), now=NOW)
    before = table_counts(store)
    again = store.save_article(record(1, segments=[(None, ["  " + p.upper() + " " for p in record(1).segments[0][1]]),
                                                   record(1).segments[1]]), now=LATER)
    assert again.outcome == "unchanged" and again.article_id == first.article_id and again.revision == 1
    assert table_counts(store) == before
    row = store.db["articles"].get(first.article_id)
    assert (row["first_seen_at"], row["last_seen_at"]) == (NOW, LATER)


def test_updated_bumps_revision_and_keeps_the_old_version(store: Store) -> None:
    first = store.save_article(record(1), now=NOW)
    old = store.db["articles"].get(first.article_id)
    edited = record(1, title="Berita nomor 1 dari Banten (diperbarui)",
                    segments=[(None, ["Paragraf baru yang menggantikan semuanya."])])
    result = store.save_article(edited, now=LATER)
    assert result.outcome == "updated" and result.revision == 2 and result.article_id == first.article_id
    row = store.db["articles"].get(first.article_id)
    assert row["title"] == edited.title and row["text"] == edited.text and row["revision"] == 2
    assert row["first_seen_at"] == NOW and row["last_seen_at"] == LATER
    revs = list(store.db.query("SELECT * FROM article_revisions"))
    assert revs == [{"article_id": first.article_id, "revision": 1, "seen_at": NOW, "title": old["title"],
                     "text": old["text"], "content_hash": old["content_hash"]}]
    assert store.conn.execute("SELECT headline, text FROM segments WHERE article_id = ?",
                              (first.article_id,)).fetchall() == [(None, "Paragraf baru yang menggantikan semuanya.")]
    assert store.save_article(edited, now=LATER).outcome == "unchanged"
    third = store.save_article(record(1), now=LATER)
    assert third.outcome == "updated" and third.revision == 3
    assert count(store, "article_revisions") == 2


def test_same_source_new_url_same_content_is_a_duplicate_alias(store: Store) -> None:
    first = store.save_article(record(1), now=NOW)
    dup = record(1, url="https://fam68.example/berita/1-salinan", canonical_url="https://fam68.example/berita/1-salinan")
    result = store.save_article(dup, now=LATER)
    assert result.outcome == "duplicate" and result.article_id == first.article_id
    assert count(store, "articles") == 1
    assert store.article_for_url("https://fam68.example/berita/1-salinan") == (first.article_id, NOW)
    assert store.db["articles"].get(first.article_id)["last_seen_at"] == LATER
    # seen again under its alias: unchanged, not a second duplicate row
    assert store.save_article(dup, now=LATER).outcome == "unchanged"


def test_same_content_from_another_source_is_a_new_row_in_the_same_cluster(store: Store) -> None:
    first = store.save_article(record(1), now=NOW)
    other = store.save_article(record(1, source="bantenpos", url="https://bantenpos.example/a",
                                      canonical_url="https://bantenpos.example/a"), now=LATER)
    assert other.outcome == "new" and other.article_id != first.article_id
    assert other.cluster_id == first.cluster_id == first.article_id
    assert store.conn.execute("SELECT copies, sources FROM stories").fetchall() == [(2, "bantenpos,fam68")]


def test_saving_1000_articles_twice_adds_no_rows_and_10_edits_give_10_revisions(store: Store) -> None:
    records = [record(i) for i in range(1000)]
    outcomes = [store.save_article(r, now=NOW).outcome for r in records]
    assert outcomes.count("new") == 1000
    before = table_counts(store)
    assert {store.save_article(r, now=LATER).outcome for r in records} == {"unchanged"}
    assert table_counts(store) == before
    for i in range(0, 1000, 100):
        edited = record(i, segments=[(None, [f"Ralat: angka yang benar {i}."])] + records[i].segments[1:])
        assert store.save_article(edited, now=LATER).outcome == "updated"
    assert count(store, "article_revisions") == 10
    assert count(store, "articles") == 1000
    assert store.conn.execute("SELECT COUNT(*) FROM articles WHERE revision = 2").fetchone()[0] == 10


def test_touch_url_moves_last_seen_of_the_owner(store: Store) -> None:
    first = store.save_article(record(1, aliases=["https://fam68.example/?p=1"]), now=NOW)
    assert store.touch_url("https://fam68.example/?p=1", now=LATER) == first.article_id
    assert store.db["articles"].get(first.article_id)["last_seen_at"] == LATER
    assert store.touch_url("https://fam68.example/unknown", now=LATER) is None


def test_articles_are_saved_safely_from_several_threads(store: Store) -> None:
    def work(k: int) -> None:
        for i in range(k * 25, k * 25 + 25):
            store.save_article(record(i))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert count(store, "articles") == 100
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# ---- FTS and the stories view ------------------------------------------------------------------------
def fts_ids(store: Store, query: str) -> list[int]:
    return [r[0] for r in store.conn.execute(
        "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid", (query,))]


def test_fts_follows_inserts_updates_and_deletes(store: Store) -> None:
    a = store.save_article(record(1), now=NOW).article_id
    b = store.save_article(record(2), now=NOW).article_id
    assert fts_ids(store, "subjudul") == [a, b]
    store.save_article(record(1, title="Gempa Pandeglang", segments=[(None, ["Guncangan terasa kuat."])]), now=LATER)
    assert fts_ids(store, "guncangan") == [a] and fts_ids(store, "title:gempa") == [a]
    assert fts_ids(store, "subjudul") == [b]
    store.conn.execute("DELETE FROM articles WHERE id = ?", (b,))
    assert fts_ids(store, "subjudul") == []
    assert count(store, "segments") == 1  # ON DELETE CASCADE
    store.conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")


def test_stories_view_one_row_per_cluster_represented_by_its_first_article(store: Store) -> None:
    a = store.save_article(record(1), now=NOW)
    store.save_article(record(1, source="bantenpos", url="https://b.example/1", canonical_url="https://b.example/1"))
    store.save_article(record(1, source="kabarserang", url="https://k.example/1", canonical_url="https://k.example/1"))
    c = store.save_article(record(2), now=NOW)
    rows = list(store.db.query("SELECT * FROM stories ORDER BY cluster_id"))
    assert [(r["cluster_id"], r["article_id"], r["copies"], r["sources"]) for r in rows] == [
        (a.article_id, a.article_id, 3, "bantenpos,fam68,kabarserang"), (c.article_id, c.article_id, 1, "fam68")]
    assert rows[0]["title"] == record(1).title and rows[0]["first_seen_at"] == NOW


# ---- pages, runs, sources ----------------------------------------------------------------------------
def test_record_page_upserts_and_keeps_validators_on_failure(store: Store) -> None:
    url = "https://fam68.example/a"
    assert store.page_state(url) is None
    store.record_page(url, "fam68", status=200, etag='"v1"', last_modified="Tue, 18 Nov 2025 10:00:00 GMT",
                      content_hash="h1", now=NOW)
    store.record_page(url, "fam68", status=None, error="timeout after 20 s", now=LATER)
    state = store.page_state(url)
    assert state is not None
    assert (state.status, state.etag, state.last_modified, state.content_hash, state.fetched_at, state.error) == (
        None, '"v1"', "Tue, 18 Nov 2025 10:00:00 GMT", "h1", LATER, "timeout after 20 s")
    store.record_page(url, "fam68", status=304, now=LATER)
    state = store.page_state(url)
    assert state is not None and state.status == 304 and state.error is None and state.etag == '"v1"'
    assert count(store, "pages") == 1


def test_runs_start_finish_and_recover(store: Store) -> None:
    run = store.start_run("fam68", now=NOW)
    store.finish_run(run, "ok", {"discovered": 5, "fetched": 4, "new": 3, "unchanged": 1, "failed": 1}, now=LATER)
    row = store.db["runs"].get(run)
    assert (row["status"], row["started_at"], row["finished_at"], row["new"], row["failed"], row["updated"]) == (
        "ok", NOW, LATER, 3, 1, 0)
    assert store.sources()[0]["last_status"] == "ok" and store.sources()[0]["last_run_at"] == LATER
    left = store.start_run("fam68", now=NOW)
    other = store.start_run("bantenpos", now=NOW)
    assert store.recover_interrupted_runs() == 2
    assert {store.db["runs"].get(i)["status"] for i in (left, other)} == {"interrupted"}
    assert store.recover_interrupted_runs() == 0
    with pytest.raises(ValueError):
        store.finish_run(run, "running", {})
    with pytest.raises(ValueError):
        store.finish_run(run, "ok", {"bogus": 1})


def test_sources_ensure_and_update(store: Store) -> None:
    store.ensure_sources(["fam68", "bantenpos"])
    store.ensure_sources(["fam68"])
    store.update_source("fam68", next_run_at=LATER, interval_s=900, consecutive_failures=2, last_status="failed")
    rows = {r["name"]: r for r in store.sources()}
    assert set(rows) == {"bantenpos", "fam68"}
    assert (rows["fam68"]["next_run_at"], rows["fam68"]["interval_s"], rows["fam68"]["consecutive_failures"],
            rows["fam68"]["last_status"]) == (LATER, 900, 2, "failed")
    assert rows["bantenpos"]["consecutive_failures"] == 0
    with pytest.raises(ValueError, match="unknown source fields"):
        store.update_source("fam68", created_at="x")
    with pytest.raises(ValueError):
        store.update_source("fam68", last_status="exploded")


def test_batch_settings_are_restored_when_it_ends(store: Store) -> None:
    before = [store.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("wal_autocheckpoint", "cache_size")]
    with store.batch(cache_mb=64):
        assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024
        assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] > before[0]
        store.save_article(record(1))
    after = [store.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("wal_autocheckpoint", "cache_size")]
    assert after == before


def test_stamped_times_are_utc_milliseconds_and_old_ones_still_read(store: Store) -> None:
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")
    saved = store.save_article(record(1))
    run = store.start_run("fam68")
    store.finish_run(run, "ok", {})
    store.record_page(record(1).url, "fam68", status=200)
    article = store.db["articles"].get(saved.article_id)
    times = [article["first_seen_at"], article["last_seen_at"], store.page_state(record(1).url).fetched_at,
             *(store.db["runs"].get(run)[k] for k in ("started_at", "finished_at")),
             store.sources()[0]["created_at"], store.sources()[0]["last_run_at"]]
    assert all(stamp.match(t) for t in times), times
    assert format_time(datetime(2026, 12, 1, 20, 31, 27, 123456, tzinfo=UTC)) == "2026-12-01T20:31:27.123+00:00"
    assert format_time(datetime(2026, 12, 2, 3, 31, 27, tzinfo=timezone(timedelta(hours=7)))) == (
        "2026-12-01T20:31:27.000+00:00")
    # rows written before: seconds precision, other offsets, Z; the same instant reads the same
    moment = datetime(2026, 12, 1, 20, 31, 27, tzinfo=UTC)
    for old in ("2026-12-01T20:31:27+00:00", "2026-12-02T03:31:27+07:00", "2026-12-01T20:31:27Z",
                "2026-12-01T20:31:27.000+00:00", "2026-12-01T20:31:27"):
        assert read_time(old) == moment, old
    assert read_time("0001-01-01T00:00:00+05:00") is None and read_time("kemarin") is None
    # both forms sort in time order as text
    assert sorted(["2026-12-01T20:31:27.500+00:00", "2026-12-01T20:31:28+00:00", "2026-12-01T20:31:27+00:00"]) == [
        "2026-12-01T20:31:27+00:00", "2026-12-01T20:31:27.500+00:00", "2026-12-01T20:31:28+00:00"]


def test_an_abandoned_run_is_marked_interrupted_on_its_own_connection(store: Store) -> None:
    stuck = store.start_run("fam68", now=NOW)
    other = store.start_run("bantenpos", now=NOW)
    conn = sqlite3.connect(store.path, isolation_level=None)
    try:
        assert runs.interrupt_source_runs(conn, "fam68", LATER) == 1
        assert runs.interrupt_source_runs(conn, "fam68", LATER) == 0
    finally:
        conn.close()
    assert (store.db["runs"].get(stuck)["status"], store.db["runs"].get(stuck)["finished_at"]) == (
        "interrupted", LATER)
    assert store.db["runs"].get(other)["status"] == "running"
