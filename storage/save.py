"""The save path: one prepared article into the tables, by SPEC.md's dedup rules.

:func:`save` runs inside a transaction the caller holds (:meth:`storage.store.Store.save_article`): it looks
the article up by canonical URL, then by any URL it was seen under, then by content hash, and inserts,
updates (keeping the previous revision) or only records aliases; a new or changed article's story is
indexed and the clusters of the stored articles that carry the same story
(:func:`storage.story_store.matching_clusters`) take it in, the smallest id winning. Every statement on
``articles``, ``segments``, ``article_urls``, ``article_revisions`` and ``removed_blocks`` is here, those on the story tables
in :mod:`storage.story_store`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from storage.prepare import PreparedArticle, url_forms
from storage.records import ArticleRecord, SaveResult
from storage.util import to_utc_iso

logger = logging.getLogger(__name__)


def save(conn: sqlite3.Connection, prep: PreparedArticle, now: str) -> SaveResult:
    """Store ``prep`` (see :meth:`storage.store.Store.save_article` for the outcomes) in the caller's
    transaction."""
    rec, canonical, urls, chash = prep.record, prep.canonical, prep.urls, prep.content_hash
    row = conn.execute("SELECT id, content_hash, cluster_id, revision FROM articles "
                       "WHERE canonical_url = ?", (canonical,)).fetchone()
    if row is None:
        row = _find_by_urls(conn, urls, rec.source)
    if row is not None:
        article_id, old_hash, cluster_id, revision = row
        _add_urls(conn, urls, article_id)
        if old_hash == chash:
            _seen(conn, article_id, now)
            return SaveResult("unchanged", article_id, cluster_id, revision)
        return _update(conn, prep, article_id, cluster_id, revision, now)
    same = conn.execute("SELECT id, cluster_id, revision, source FROM articles WHERE content_hash = ? "
                        "ORDER BY id", (chash,)).fetchall()
    for article_id, cluster_id, revision, source in same:
        if source == rec.source:   # identical content, same outlet, new URL: an alias
            _add_urls(conn, urls | {canonical}, article_id)
            _seen(conn, article_id, now)
            return SaveResult("duplicate", article_id, cluster_id, revision)
    # identical content from other outlets: the same story
    return _insert(conn, prep, now, {row[1] for row in same if row[1] is not None})


def touch(conn: sqlite3.Connection, url: str, now: str) -> int | None:
    """Move ``last_seen_at`` of the article known under ``url``; its id, or None if unknown."""
    found = lookup_url(conn, url)
    if found is None:
        return None
    _seen(conn, found[0], now)
    return int(found[0])


def lookup_url(conn: sqlite3.Connection, url: str) -> tuple[Any, ...] | None:
    """``(id, first_seen_at)`` of the article seen under ``url`` or one of its forms, else whose
    canonical URL it is; None when unknown."""
    forms = sorted(url_forms([url]))
    marks = ",".join("?" * len(forms))
    row = conn.execute(f"SELECT a.id, a.first_seen_at FROM article_urls u JOIN articles a ON a.id = u.article_id "
                       f"WHERE u.url IN ({marks}) ORDER BY a.id LIMIT 1", forms).fetchone()
    if row is None:
        row = conn.execute(f"SELECT id, first_seen_at FROM articles WHERE canonical_url IN ({marks}) "
                           f"ORDER BY id LIMIT 1", forms).fetchone()
    return tuple(row) if row else None


def _seen(conn: sqlite3.Connection, article_id: int, now: str) -> None:
    conn.execute("UPDATE articles SET last_seen_at = ? WHERE id = ?", (now, article_id))


def _insert(conn: sqlite3.Connection, prep: PreparedArticle, now: str, same_content: set[int]) -> SaveResult:
    from storage import story_store

    rec, canonical, urls, chash = prep.record, prep.canonical, prep.urls, prep.content_hash
    published = to_utc_iso(rec.published_at)
    article_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM articles").fetchone()[0]
    story, lines = story_store.story_for(conn, rec.source, prep.story_prepared(), rec.title, rec.segments)
    keys = story_store.retrieval_keys(story, story_store.doc_freq(conn, [story]))
    if same_content:     # an identical copy's story is its original's: joining more would chain two stories
        clusters = {min(same_content)}
    else:
        clusters = set(story_store.matching_clusters(conn, article_id, rec.source, story, published or now,
                                                     keys=keys))
    cluster_id = min(clusters) if clusters else article_id
    conn.execute(
        "INSERT INTO articles (id, source, url, canonical_url, title, published_at, modified_at, authors, "
        "section, tags, lang, image, dateline, text, content_hash, cluster_id, revision, first_seen_at, "
        "last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        (article_id, rec.source, rec.url, canonical, rec.title, published, *_described(rec), chash, cluster_id,
         now, now))
    _write_segments(conn, article_id, rec)
    _write_removed(conn, article_id, rec)
    _add_urls(conn, urls | {canonical}, article_id)
    story_store.index_story(conn, article_id, rec.source, story, story_store.period_of(published or now), lines,
                            keys=keys)
    _merge_clusters(conn, cluster_id, clusters)
    return SaveResult("new", article_id, cluster_id, 1)


def _update(conn: sqlite3.Connection, prep: PreparedArticle, article_id: int, cluster_id: int, revision: int,
            now: str) -> SaveResult:
    from storage import story_store

    rec, chash = prep.record, prep.content_hash
    conn.execute(
        "INSERT INTO article_revisions (article_id, revision, seen_at, title, text, content_hash) "
        "SELECT id, revision, last_seen_at, title, text, content_hash FROM articles WHERE id = ?",
        (article_id,))
    revision += 1
    conn.execute(
        "UPDATE articles SET url = ?, title = ?, published_at = COALESCE(?, published_at), "
        "modified_at = COALESCE(?, modified_at), authors = ?, section = ?, tags = ?, lang = ?, image = ?, "
        "dateline = ?, text = ?, content_hash = ?, revision = ?, last_seen_at = ? WHERE id = ?",
        (rec.url, rec.title, to_utc_iso(rec.published_at), *_described(rec), chash, revision, now, article_id))
    conn.execute("DELETE FROM segments WHERE article_id = ?", (article_id,))
    _write_segments(conn, article_id, rec)
    _replace_removed(conn, article_id, rec)
    # Re-index the story; the article stays in its cluster and may join others.
    story_store.unindex_story(conn, article_id)
    pub = conn.execute("SELECT COALESCE(published_at, first_seen_at) FROM articles WHERE id = ?",
                       (article_id,)).fetchone()[0]
    story, lines = story_store.story_for(conn, rec.source, prep.story_prepared(), rec.title, rec.segments)
    clusters = set(story_store.matching_clusters(conn, article_id, rec.source, story, pub))
    clusters.add(cluster_id)
    new_cluster = min(clusters)
    story_store.index_story(conn, article_id, rec.source, story, story_store.period_of(pub), lines)
    _merge_clusters(conn, new_cluster, clusters)
    return SaveResult("updated", article_id, new_cluster, revision)


def _described(rec: ArticleRecord) -> tuple[Any, ...]:
    """The columns from ``modified_at`` to ``text``, in table order, as insert and update write them."""
    return (to_utc_iso(rec.modified_at), json.dumps(list(rec.authors), ensure_ascii=False), rec.section,
            json.dumps(list(rec.tags), ensure_ascii=False), rec.lang, rec.image, rec.dateline, rec.text)


def _find_by_urls(conn: sqlite3.Connection, urls: set[str], source: str) -> tuple[Any, ...] | None:
    if not urls:
        return None
    marks = ",".join("?" * len(urls))
    row = conn.execute(
        f"SELECT a.id, a.content_hash, a.cluster_id, a.revision FROM article_urls u JOIN articles a "
        f"ON a.id = u.article_id WHERE u.url IN ({marks}) AND a.source = ? ORDER BY a.id LIMIT 1",
        (*sorted(urls), source)).fetchone()
    return tuple(row) if row else None


# ---- rows beside the article ---------------------------------------------------------------------------
def _add_urls(conn: sqlite3.Connection, urls: set[str], article_id: int) -> None:
    conn.executemany("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
                     [(u, article_id) for u in sorted(urls) if u])


def _write_segments(conn: sqlite3.Connection, article_id: int, rec: ArticleRecord) -> None:
    conn.executemany("INSERT INTO segments (article_id, position, headline, text) VALUES (?, ?, ?, ?)",
                     [(article_id, i, headline, "\n".join(paragraphs))
                      for i, (headline, paragraphs) in enumerate(rec.segments)])


def _replace_removed(conn: sqlite3.Connection, article_id: int, rec: ArticleRecord) -> None:
    """The article's removed blocks become ``rec.removed``. A store on a schema before 0012 (tests write
    one to check upgrades) has no table to clear: nothing to do unless there are blocks to write."""
    try:
        conn.execute("DELETE FROM removed_blocks WHERE article_id = ?", (article_id,))
    except sqlite3.OperationalError as exc:
        if rec.removed or "no such table" not in str(exc):
            raise
        return
    _write_removed(conn, article_id, rec)


def _write_removed(conn: sqlite3.Connection, article_id: int, rec: ArticleRecord) -> None:
    if not rec.removed:
        return
    conn.executemany("INSERT INTO removed_blocks (article_id, position, kind, text) VALUES (?, ?, ?, ?)",
                     [(article_id, i, kind, text) for i, (kind, text) in enumerate(rec.removed)])


def _merge_clusters(conn: sqlite3.Connection, winner: int, clusters: set[int]) -> None:
    """Move every article of the other matched clusters into ``winner`` (the smallest id)."""
    losers = sorted(c for c in clusters if c != winner)
    if losers:
        marks = ",".join("?" * len(losers))
        conn.execute(f"UPDATE articles SET cluster_id = ? WHERE cluster_id IN ({marks})", (winner, *losers))
        logger.debug("clusters %s merged into %d", losers, winner)
