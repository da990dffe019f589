"""Migration 0009: stored keys recomputed with today's canonical_url, articles sharing a key merged.

The database is written by the current release's code path: the schema up to 0007 and the Store's save
path keying URLs with the 0.1.0 canonical_url (copied below), then opened by this release.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from sqlite_utils import Database

import storage.prepare as prepare_module
from storage import connection, migrations, runs
from storage.migrations_story import SCHEMA_0014
from storage.records import ArticleRecord
from storage.store import Store
from storage.urls import canonical_url

FIRST_NEW = "0008_foreign_keys_and_fts_triggers"   # the first migration after the 0.1.0 release
STORY_TABLES = SCHEMA_0014.split("DROP TABLE", 1)[0]
STORY_TABLE_NAMES = ("story_docs", "story_terms", "story_postings", "source_lines", "story_state")
T0, T1, T2, T3 = ("2025-11-18T10:00:00+00:00", "2025-11-18T11:00:00+00:00", "2025-11-18T12:00:00+00:00",
                  "2025-11-18T13:00:00+00:00")

_OLD_TRACKING = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
    "ref", "ref_src", "ref_url", "cmpid", "amp", "amp;",
    "outputtype", "ns_source", "ns_mchannel", "ns_campaign", "wt.mc_id", "s_cid", "icid", "trk",
})
_OLD_AMP_PATH_RE = re.compile(r"(?:/amp(?=/|$)|\.amp$|\.amp(?=\.html?$))", re.IGNORECASE)


def released_canonical_url(url: str) -> str:
    """storage.urls.canonical_url as released in 0.1.0 (IDNA untouched, no percent or dot normalising)."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, {"http": 80, "https": 443}[scheme]) else f"{host}:{port}"
    path = _OLD_AMP_PATH_RE.sub("", parts.path or "/") or "/"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if k.lower() not in _OLD_TRACKING and not k.lower().startswith(
                                 ("utm_", "pk_", "mtm_", "hsa_", "at_", "__twitter"))))
    return urlunsplit((scheme, netloc, path, query, ""))


def release_store(path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A Store on a 0.1.0 database (migrations up to 0007) that keys URLs as 0.1.0 did."""
    db = Database(str(path))
    migrations.migrations.apply(db, stop_before=FIRST_NEW)
    db.close()
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.executescript(STORY_TABLES)    # what this release's save path writes to; dropped again when written
    store = Store(conn, str(path), readonly=False)
    connection.configure(conn, str(path), readonly=False, busy_timeout=10.0)
    monkeypatch.setattr(prepare_module, "cached_canonical", released_canonical_url)
    return store


# one subject per article number: different stories for the story model, whatever their shared frame
SUBJECTS = ("", "banjir rob pesisir utara", "pasar murah beras medium", "vaksinasi campak sekolah dasar",
            "perbaikan jembatan gantung desa", "festival kuliner malam minggu", "razia knalpot brong",
            "pelatihan nelayan budidaya rumput laut", "lomba perahu naga danau", "bantuan sapi perah peternak",
            "pemadaman listrik bergilir", "penertiban reklame liar")


def article(i: int, url: str, source: str = "fam68", words: str | None = None) -> ArticleRecord:
    words = words or f"versi {i}"
    subject = SUBJECTS[i]
    return ArticleRecord(
        source=source, url=url, canonical_url=url, title=f"Judul {words}",
        segments=[(None, [f"Paragraf pertama {words} soal {subject} mencatat {1000 + i * 7} warga.",
                          f"Kepala kantor {words} menyebut {subject} melibatkan {i * 13 + 101} orang."])],
        published_at="2025-11-18T08:00:00+07:00")


@pytest.fixture
def released_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "release.db"
    ids: dict[str, int] = {}
    store = release_store(path, monkeypatch)
    with store:
        def save(name: str, rec: ArticleRecord, now: str) -> None:
            ids[name] = store.save_article(rec, now=now).article_id
        # an IDN host and its punycode form, different texts: a2's text becomes a revision of a1
        save("a1", article(1, "https://bücher.example/2025/11/buku/"), T0)
        save("a2", article(2, "https://xn--bcher-kva.example/2025/11/buku/", words="kedua"), T1)
        # %2D and -, the same text from two outlets (one story): only an alias survives
        save("b1", article(3, "https://fam68.example/2025/11/berita%2Dbanten/"), T0)
        save("b2", article(3, "https://fam68.example/2025/11/berita-banten/", source="bantenpos"), T1)
        # é and %C3%A9; c2 has its own revision and a copy c3 in its story
        save("c1", article(5, "https://fam68.example/2025/11/kafé/"), T0)
        save("c2", article(6, "https://fam68.example/2025/11/kaf%C3%A9/"), T1)
        store.save_article(article(6, "https://fam68.example/2025/11/kaf%C3%A9/", words="versi 6 ralat"), now=T2)
        save("c3", article(6, "https://bantenpos.example/kafe-salinan/", source="bantenpos",
                           words="versi 6 ralat"), T3)
        # /a/../b/ and /b/
        save("d1", article(8, "https://fam68.example/a/../b/"), T0)
        save("d2", article(9, "https://fam68.example/b/"), T2)
        # keys that only change: a bracket-less IPv6 key, a new tracking parameter
        save("e", article(10, "http://[::1]:8080/berita/"), T0)
        save("f", article(11, "https://fam68.example/berita/?id=4&srsltid=AfmBOo"), T0)
        store.record_page("https://fam68.example/b/", "fam68", status=200, now=T2)
        with store.transaction() as conn:   # 0.1.0's start_run: runs.owner (0010) does not exist yet
            runs.ensure_sources(conn, ["fam68"], T0)
            run = int(conn.execute("INSERT INTO runs (source, started_at, status) VALUES (?, ?, 'running')",
                                   ("fam68", T0)).lastrowid or 0)
        store.finish_run(run, "ok", {"new": 9}, now=T1)
        for table in STORY_TABLE_NAMES:      # 0.1.0 had none of them (0014 makes them and fills them)
            store.conn.execute(f"DROP TABLE {table}")
    monkeypatch.undo()   # from here on, this release's canonical_url
    return path, ids


def rows(conn: sqlite3.Connection, sql: str, *params: object) -> list[tuple]:
    return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def test_released_database_has_the_old_split_keys(released_db) -> None:
    path, ids = released_db
    conn = sqlite3.connect(path)
    keys = dict(rows(conn, "SELECT id, canonical_url FROM articles"))
    assert keys[ids["a1"]] == "https://bücher.example/2025/11/buku/"
    assert keys[ids["e"]] == "http://::1:8080/berita/"            # the 0.1.0 bug the issue names
    assert len(set(ids.values())) == 11
    assert rows(conn, "SELECT revision FROM articles WHERE id = ?", ids["c2"]) == [(2,)]
    conn.close()


def test_upgrade_rekeys_and_merges_keeping_revisions_urls_and_clusters(released_db) -> None:
    path, ids = released_db
    with Store.open(str(path)) as s:
        conn = s.conn
        assert migrations.pending(s.db) == []
        survivors = {i for (i,) in rows(conn, "SELECT id FROM articles")}
        assert survivors == {ids[k] for k in ("a1", "b1", "c1", "c3", "d1", "e", "f")}   # ids kept
        for (key,) in rows(conn, "SELECT canonical_url FROM articles"):
            assert canonical_url(key) == key
        keys = dict(rows(conn, "SELECT id, canonical_url FROM articles"))
        assert keys[ids["a1"]] == "https://xn--bcher-kva.example/2025/11/buku/"
        assert keys[ids["b1"]] == "https://fam68.example/2025/11/berita-banten/"
        assert keys[ids["c1"]] == "https://fam68.example/2025/11/kaf%C3%A9/"
        assert keys[ids["d1"]] == "https://fam68.example/b/"
        assert keys[ids["e"]] == "http://[::1]:8080/berita/"
        assert keys[ids["f"]] == "https://fam68.example/berita/?id=4"

        # a2's text is a revision of a1; a1's text stays current, under the next revision number
        assert rows(conn, "SELECT title, revision FROM articles WHERE id = ?", ids["a1"]) == [("Judul versi 1", 2)]
        assert rows(conn, "SELECT revision, seen_at, title FROM article_revisions WHERE article_id = ?",
                    ids["a1"]) == [(1, T1, "Judul kedua")]
        # the same text (b2): no revision, only its URLs
        assert rows(conn, "SELECT revision FROM articles WHERE id = ?", ids["b1"]) == [(1,)]
        assert rows(conn, "SELECT COUNT(*) FROM article_revisions WHERE article_id = ?", ids["b1"]) == [(0,)]
        # both of c2's versions, in the order seen
        assert rows(conn, "SELECT revision, seen_at, title FROM article_revisions WHERE article_id = ? "
                    "ORDER BY revision", ids["c1"]) == [(1, T1, "Judul versi 6"), (2, T2, "Judul versi 6 ralat")]
        assert rows(conn, "SELECT revision, first_seen_at, last_seen_at FROM articles WHERE id = ?",
                    ids["c1"]) == [(3, T0, T2)]

        urls = dict(rows(conn, "SELECT url, article_id FROM article_urls"))
        for url in ("https://bücher.example/2025/11/buku/", "https://xn--bcher-kva.example/2025/11/buku/"):
            assert urls[url] == ids["a1"]
        assert urls["https://fam68.example/2025/11/berita-banten/"] == ids["b1"]
        assert urls["https://fam68.example/a/../b/"] == urls["https://fam68.example/b/"] == ids["d1"]
        assert set(urls.values()) <= survivors

        # stories: b1/b2 were one story, c2's story (with c3) joined c1's; the smaller id wins
        cluster = dict(rows(conn, "SELECT id, cluster_id FROM articles"))
        assert cluster[ids["c3"]] == cluster[ids["c1"]] == ids["c1"]
        assert set(cluster.values()) <= survivors
        # nothing left of the merged-away rows
        gone = [ids[k] for k in ("a2", "b2", "c2", "d2")]
        marks = ",".join("?" * len(gone))
        for table in ("segments", "article_revisions", "story_docs", "story_postings"):
            assert rows(conn, f"SELECT COUNT(*) FROM {table} WHERE article_id IN ({marks})", *gone) == [(0,)]
        assert rows(conn, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'kedua'") == []
        conn.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")
        assert rows(conn, "PRAGMA foreign_key_check") == []
        assert rows(conn, "PRAGMA integrity_check") == [("ok",)]
        assert rows(conn, "SELECT COUNT(*) FROM pages") == [(1,)] and rows(conn, "SELECT COUNT(*) FROM runs") == [(1,)]

        # later saves find the merged article under either spelling
        again = s.save_article(article(1, "https://BÜCHER.example/2025/11/buku/#x"), now=T3)
        assert (again.outcome, again.article_id) == ("unchanged", ids["a1"])
        again = s.save_article(article(9, "https://fam68.example/x/../b/"), now=T3)
        assert (again.outcome, again.article_id) == ("updated", ids["d1"])


def test_rekey_is_a_no_op_on_current_keys(tmp_path: Path) -> None:
    from storage.migrations_rekey import rekey

    with Store.open(str(tmp_path / "k.db")) as s:
        s.save_article(article(1, "https://bücher.example/a/"), now=T0)
        s.save_article(article(2, "https://fam68.example/b/?utm_source=x"), now=T0)
        result = rekey(s.conn)
        assert (result.rekeyed, result.merged, result.urls_added) == (0, 0, 0)
