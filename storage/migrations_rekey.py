"""Re-keying stored articles with the current :func:`storage.urls.canonical_url` (migration 0008).

Every URL an article was seen under is kept in ``article_urls``, so the keys can be recomputed whenever
the canonicalisation rules change: :func:`rekey` recomputes ``articles.canonical_url``, adds the new
canonical form of every stored URL to ``article_urls``, and merges articles that now share a key.

Merging keeps everything: the survivor is the article with the smallest id (its id, current text,
segments, story-index rows stay); every version of a merged-away article (its earlier revisions and its
current text) whose content differs from the survivor's current text becomes a revision of the survivor,
in the order they were seen, numbered after the survivor's own revisions (the survivor's current text gets
the next number); its URLs become the survivor's (``article_urls``); ``first_seen_at``/``last_seen_at``
widen to cover both; the two stories merge, the smaller ``cluster_id`` winning. Then the merged-away row,
its segments and story-index rows are deleted.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

_TEMP_PREFIX = "kabar-rekey:"   # a key no canonical URL can have (no scheme), for the two-step update


@dataclass(frozen=True)
class RekeyResult:
    rekeyed: int      # articles whose canonical_url changed
    merged: int       # articles merged into another one (and deleted)
    urls_added: int   # new canonical forms added to article_urls


def article_key(old_key: str, url: str) -> str:
    """An article's key by today's rules: its old key canonicalised again, or, when the old key lost its
    host (0.1.0 wrote ``http://::1:8080/x`` for an IPv6 host), its fetched URL canonicalised."""
    from storage.urls import canonical_url

    key = canonical_url(old_key)
    try:
        if urlsplit(key).hostname:
            return key
    except ValueError:
        pass
    return canonical_url(url)


def rekey(conn: sqlite3.Connection) -> RekeyResult:
    """Recompute every key, merge articles that share one. Runs in the caller's transaction."""
    from storage.urls import canonical_url

    conn.create_function("kabar_canonical_url", 1, canonical_url, deterministic=True)
    conn.create_function("kabar_article_key", 2, article_key, deterministic=True)
    conn.execute("DROP TABLE IF EXISTS temp.kabar_rekey")
    conn.execute("CREATE TEMP TABLE kabar_rekey (id INTEGER PRIMARY KEY, old TEXT NOT NULL, new TEXT NOT NULL)")
    conn.execute("INSERT INTO temp.kabar_rekey (id, old, new) "
                 "SELECT id, canonical_url, kabar_article_key(canonical_url, url) FROM main.articles")
    conn.execute("CREATE INDEX temp.kabar_rekey_new ON kabar_rekey (new)")
    merged = 0
    groups = conn.execute("SELECT group_concat(id) FROM (SELECT new, id FROM temp.kabar_rekey ORDER BY new, id) "
                          "GROUP BY new HAVING COUNT(*) > 1").fetchall()
    for (ids,) in groups:
        winner, *losers = sorted(int(i) for i in str(ids).split(","))
        for loser in losers:
            _merge(conn, winner, loser)
            merged += 1
    conn.execute("DELETE FROM temp.kabar_rekey WHERE old = new OR id NOT IN (SELECT id FROM main.articles)")
    rekeyed = conn.execute("SELECT COUNT(*) FROM temp.kabar_rekey").fetchone()[0]
    # UNIQUE is checked row by row: first move the changed keys out of the way, then set the new ones.
    conn.execute("UPDATE main.articles SET canonical_url = ? || id WHERE id IN (SELECT id FROM temp.kabar_rekey)",
                 (_TEMP_PREFIX,))
    conn.execute("UPDATE main.articles SET canonical_url = (SELECT new FROM temp.kabar_rekey k "
                 "WHERE k.id = articles.id) WHERE id IN (SELECT id FROM temp.kabar_rekey)")
    before = conn.total_changes
    conn.execute("INSERT OR IGNORE INTO main.article_urls (url, article_id) "
                 "SELECT kabar_canonical_url(url), article_id FROM main.article_urls")
    conn.execute("INSERT OR IGNORE INTO main.article_urls (url, article_id) SELECT canonical_url, id "
                 "FROM main.articles")
    urls_added = conn.total_changes - before
    conn.execute("DROP TABLE temp.kabar_rekey")
    result = RekeyResult(rekeyed=int(rekeyed), merged=merged, urls_added=urls_added)
    logger.info("canonical URLs re-keyed: %d changed, %d merged, %d URL forms added", result.rekeyed,
                result.merged, result.urls_added)
    return result


def _merge(conn: sqlite3.Connection, winner: int, loser: int) -> None:
    """Fold article ``loser`` into ``winner`` (see the module docstring)."""
    w_revision, w_hash, w_cluster = conn.execute(
        "SELECT revision, content_hash, cluster_id FROM articles WHERE id = ?", (winner,)).fetchone()
    l_cluster, l_url, l_key = conn.execute(
        "SELECT cluster_id, url, canonical_url FROM articles WHERE id = ?", (loser,)).fetchone()
    versions = conn.execute(
        "SELECT seen_at, title, text, content_hash FROM (SELECT revision, seen_at, title, text, content_hash "
        "FROM article_revisions WHERE article_id = :l UNION ALL SELECT revision, last_seen_at, title, text, "
        "content_hash FROM articles WHERE id = :l) WHERE content_hash != :h ORDER BY seen_at, revision",
        {"l": loser, "h": w_hash}).fetchall()
    revision = int(w_revision)
    for seen_at, title, text, content_hash in versions:
        conn.execute("INSERT INTO article_revisions (article_id, revision, seen_at, title, text, content_hash) "
                     "VALUES (?, ?, ?, ?, ?, ?)", (winner, revision, seen_at, title, text, content_hash))
        revision += 1
    conn.execute(
        "UPDATE articles SET revision = :r, "
        "first_seen_at = MIN(first_seen_at, (SELECT first_seen_at FROM articles WHERE id = :l)), "
        "last_seen_at = MAX(last_seen_at, (SELECT last_seen_at FROM articles WHERE id = :l)) WHERE id = :w",
        {"r": revision, "l": loser, "w": winner})
    conn.execute("UPDATE article_urls SET article_id = ? WHERE article_id = ?", (winner, loser))
    conn.executemany("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)",
                     [(l_url, winner), (l_key, winner)])
    conn.execute("DELETE FROM article_revisions WHERE article_id = ?", (loser,))
    conn.execute("DELETE FROM segments WHERE article_id = ?", (loser,))
    _unindex(conn, loser)
    # One story: the smaller cluster id wins; nothing may keep pointing at the deleted row.
    target = min([c for c in (w_cluster, l_cluster) if c is not None] or [winner])
    conn.execute("UPDATE articles SET cluster_id = ? WHERE cluster_id IN (?, ?, ?)",
                 (target, w_cluster, l_cluster, loser))
    conn.execute("DELETE FROM articles WHERE id = ?", (loser,))
    logger.debug("article %d merged into %d (%d versions kept as revisions)", loser, winner, len(versions))


def _unindex(conn: sqlite3.Connection, article_id: int) -> None:
    """Remove an article's story features and their index rows."""
    from storage import dedupe

    row = conn.execute("SELECT signature, features FROM story_features WHERE article_id = ?",
                       (article_id,)).fetchone()
    if row is not None:
        feats = dedupe.StoryFeatures.from_stored(row[0], row[1])
        conn.executemany("DELETE FROM story_index WHERE period = ? AND key = ? AND article_id = ?",
                         [(feats.period, key, article_id) for key in feats.index_keys()])
        conn.execute("DELETE FROM story_features WHERE article_id = ?", (article_id,))
