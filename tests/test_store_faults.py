"""Failures while writing: nothing partial is left, and each SQLite error becomes one clear storage error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers import NOW, record, table_counts

import storage.save as save_module
from storage import story_store
from storage.errors import DatabaseLockedError, DiskFullError, ReadOnlyDatabaseError, StorageError
from storage.store import Store, map_sqlite_error


def assert_consistent(store: Store) -> None:
    c = store.conn
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    c.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
    # every article is whole: its segments, its canonical URL and its cluster index rows
    assert c.execute("SELECT COUNT(*) FROM articles a WHERE NOT EXISTS "
                     "(SELECT 1 FROM segments s WHERE s.article_id = a.id)").fetchone()[0] == 0
    assert c.execute("SELECT COUNT(*) FROM articles a WHERE NOT EXISTS "
                     "(SELECT 1 FROM article_urls u WHERE u.url = a.canonical_url)").fetchone()[0] == 0
    assert c.execute("SELECT COUNT(*) FROM articles a WHERE NOT EXISTS "
                     "(SELECT 1 FROM story_docs f WHERE f.article_id = a.id)").fetchone()[0] == 0


# ---- atomicity ---------------------------------------------------------------------------------------
def test_a_failing_step_mid_insert_leaves_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.save_article(record(1), now=NOW)
    before = table_counts(store)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure after the article, segments and URLs were written")

    monkeypatch.setattr(story_store, "index_story", boom)
    with pytest.raises(RuntimeError, match="injected"):
        store.save_article(record(2), now=NOW)
    assert table_counts(store) == before
    assert store.article_for_url(record(2).url) is None
    assert store.conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'nomor AND 2'").fetchall() == []
    monkeypatch.undo()
    assert store.save_article(record(2), now=NOW).outcome == "new"  # the store is still usable
    assert_consistent(store)


def test_a_trigger_failing_on_the_last_segment_rolls_back_the_article(store: Store) -> None:
    store.conn.execute("CREATE TEMP TRIGGER no_boom BEFORE INSERT ON main.segments WHEN new.headline = 'BOOM' "
                       "BEGIN SELECT RAISE(ABORT, 'segment refused'); END")
    before = table_counts(store)
    bad = record(3, segments=[(None, ["Paragraf pertama yang sah."]), ("BOOM", ["Paragraf kedua."])])
    with pytest.raises(StorageError, match="segment refused"):
        store.save_article(bad, now=NOW)
    assert table_counts(store) == before
    assert store.conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0] == 0
    assert_consistent(store)


def test_a_failed_update_keeps_the_previous_version_whole(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    first = store.save_article(record(1), now=NOW)
    before = table_counts(store)
    old = store.db["articles"].get(first.article_id)

    def boom(*args: object) -> None:
        raise RuntimeError("injected")

    monkeypatch.setattr(save_module, "_merge_clusters", boom)
    with pytest.raises(RuntimeError):
        store.save_article(record(1, title="Judul yang diubah", segments=[(None, ["Teks baru."])]), now=NOW)
    assert table_counts(store) == before
    assert store.db["articles"].get(first.article_id) == old
    assert_consistent(store)


def test_batched_writes_stay_atomic_per_article(store: Store) -> None:
    """Writes inside an outer transaction use savepoints: a failed article does not undo the others."""
    store.conn.execute("CREATE TEMP TRIGGER no_boom BEFORE INSERT ON main.segments WHEN new.headline = 'BOOM' "
                       "BEGIN SELECT RAISE(ABORT, 'segment refused'); END")
    store.conn.execute("BEGIN IMMEDIATE")
    store.save_article(record(1), now=NOW)
    with pytest.raises(StorageError):
        store.save_article(record(2, segments=[(None, ["x"]), ("BOOM", ["y"])]), now=NOW)
    store.save_article(record(3), now=NOW)
    store.conn.execute("COMMIT")
    assert [r[0] for r in store.conn.execute("SELECT title FROM articles ORDER BY id")] == [
        record(1).title, record(3).title]
    assert_consistent(store)


# ---- read-only, disk full, locked --------------------------------------------------------------------
def test_readonly_store_rejects_writes(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Store.open(path) as s:
        s.save_article(record(1), now=NOW)
    with Store.open(path, readonly=True) as ro:
        for write in (lambda: ro.save_article(record(2)), lambda: ro.record_page("https://x.example/", "x", status=200),
                      lambda: ro.start_run("fam68"), lambda: ro.touch_url(record(1).url)):
            with pytest.raises(ReadOnlyDatabaseError) as err:
                write()
            assert path in str(err.value) and "\n" not in str(err.value)
        assert ro.article_for_url(record(1).url) is not None  # reading still works


def test_unwritable_database_file_is_a_readonly_error(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    with Store.open(str(path)) as s:
        s.save_article(record(1), now=NOW)
    path.chmod(0o444)
    try:
        if path.stat().st_mode & 0o200 or _running_as_root():
            pytest.skip("root ignores file permissions")
        with pytest.raises(ReadOnlyDatabaseError):
            with Store.open(str(path)) as s:
                s.save_article(record(2))
    finally:
        path.chmod(0o644)


def _running_as_root() -> bool:
    import os

    return os.geteuid() == 0


def test_disk_full_is_a_clear_error_and_the_database_stays_valid(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Store.open(path) as s:
        s.save_article(record(0), now=NOW)
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count = {pages + 12}")
        big = [(None, [f"Paragraf panjang {k} " + "kata " * 400 for k in range(6)])]
        saved = 0
        with pytest.raises(DiskFullError) as err:
            for i in range(1, 200):
                s.save_article(record(i, segments=big + [(None, [f"unik {i}"])]), now=NOW)
                saved += 1
        assert path in str(err.value) and "full" in str(err.value) and "\n" not in str(err.value)
    with Store.open(path) as s:
        assert table_counts(s)["articles"] == saved + 1
        assert_consistent(s)
        assert s.save_article(record(500), now=NOW).outcome == "new"  # room again once the limit is gone


def test_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    Store.open(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with Store.open(path, busy_timeout=0.2) as s:
            with pytest.raises(DatabaseLockedError) as err:
                s.save_article(record(1), now=NOW)
            assert path in str(err.value) and "locked" in str(err.value) and "\n" not in str(err.value)
            with pytest.raises(DatabaseLockedError):
                s.record_page("https://x.example/", "x", status=200)
    finally:
        other.execute("ROLLBACK")
        other.close()
    with Store.open(path) as s:
        assert s.save_article(record(1), now=NOW).outcome == "new"


def test_readers_are_not_blocked_by_a_writer(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Store.open(path) as s:
        s.save_article(record(1), now=NOW)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM segments")
    try:
        with Store.open(path, readonly=True, busy_timeout=0.2) as ro:
            assert ro.article_for_url(record(1).url) is not None
            assert ro.conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0] == 2
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize(("message", "code", "kind"), [
    ("database is locked", 5, DatabaseLockedError),
    ("database or disk is full", 13, DiskFullError),
    ("attempt to write a readonly database", 8, ReadOnlyDatabaseError),
    ("file is not a database", 26, StorageError),
])
def test_sqlite_errors_map_to_one_line_storage_errors(message: str, code: int, kind: type[StorageError]) -> None:
    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    mapped = map_sqlite_error(exc, "/data/kabar.db")
    assert type(mapped) is kind
    assert "/data/kabar.db" in str(mapped) and "\n" not in str(mapped)


# ---- batch() -----------------------------------------------------------------------------------------
def test_batch_commits_every_max_writes_and_at_the_end(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Store.open(path) as s:
        reader = sqlite3.connect(path)
        with s.batch(max_writes=3, max_seconds=60):
            for i in range(5):
                s.save_article(record(i), now=NOW)
            # three committed, two pending in the open transaction
            assert reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 3
            assert s.conn.in_transaction
        assert not s.conn.in_transaction
        assert reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 5
        reader.close()


def test_batch_keeps_each_article_atomic_and_commits_on_error(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Store.open(path) as s:
        s.conn.execute("CREATE TEMP TRIGGER no_boom BEFORE INSERT ON main.segments WHEN new.headline = 'BOOM' "
                       "BEGIN SELECT RAISE(ABORT, 'segment refused'); END")
        with pytest.raises(KeyboardInterrupt):
            with s.batch(max_writes=100, max_seconds=60):
                s.save_article(record(1), now=NOW)
                with pytest.raises(StorageError):
                    s.save_article(record(2, segments=[(None, ["x"]), ("BOOM", ["y"])]), now=NOW)
                s.save_article(record(3), now=NOW)
                raise KeyboardInterrupt  # a stop request: what finished is kept
        assert not s.conn.in_transaction
    with Store.open(path) as again:
        assert [r[0] for r in again.conn.execute("SELECT title FROM articles ORDER BY id")] == [
            record(1).title, record(3).title]
        assert_consistent(again)


def test_an_idle_batch_is_committed_by_its_timer(tmp_path: Path) -> None:
    import time

    path = str(tmp_path / "k.db")
    with Store.open(path) as s:
        with s.batch(max_writes=100, max_seconds=0.05):
            s.save_article(record(1), now=NOW)
            deadline = time.monotonic() + 10
            while s.conn.in_transaction and time.monotonic() < deadline:
                time.sleep(0.02)
            assert not s.conn.in_transaction  # the write lock is not held while the caller is idle
            other = Store.open(path, busy_timeout=0.5)  # another writer gets in
            other.record_page("https://x.example/", "x", status=200)
            other.close()
            s.save_article(record(2), now=NOW)
        assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 2


def test_nested_batches_share_one_and_close_commits(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    s = Store.open(path)
    with s.batch(max_writes=100, max_seconds=60):
        with s.batch():
            s.save_article(record(1), now=NOW)
        assert s.conn.in_transaction  # the inner end does not commit
        s.save_article(record(2), now=NOW)
    assert not s.conn.in_transaction
    s.close()
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 2


def test_closing_inside_a_batch_commits_it(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    s = Store.open(path)
    with s.batch(max_writes=100, max_seconds=60):
        s.save_article(record(1), now=NOW)
        s.close()
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1
