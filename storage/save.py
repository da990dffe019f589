"""The save path: one prepared article into the tables, by SPEC.md's dedup rules.

:func:`save` runs inside a transaction the caller holds (:meth:`storage.store.Store.save_article`): it looks
the article up by canonical URL, then by any URL it was seen under, then by content hash, and inserts,
updates (keeping the previous revision) or only records aliases; a new or changed article's story features
are indexed and the stored articles that carry the same story (:func:`matching_clusters`) put it in their
cluster, merging clusters it bridges. Every statement on ``articles``, ``segments``, ``article_urls``,
``article_revisions``, ``removed_blocks``, ``story_features`` and ``story_index`` is here.
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections import Counter
from typing import TYPE_CHECKING, Any

from storage.prepare import PreparedArticle, url_forms
from storage.records import ArticleRecord, SaveResult
from storage.util import to_utc_iso

if TYPE_CHECKING:
    from storage.dedupe import StoryFeatures

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
    from storage import dedupe

    rec, canonical, urls, chash = prep.record, prep.canonical, prep.urls, prep.content_hash
    published = to_utc_iso(rec.published_at)
    feats = prep.story_features()
    feats.set_period(dedupe.time_bucket(published or now))
    article_id = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM articles").fetchone()[0]
    clusters = matching_clusters(conn, article_id, rec.source, feats, published or now)
    if same_content:
        clusters.add(min(same_content))
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
    _index_features(conn, article_id, feats)
    _merge_clusters(conn, cluster_id, clusters)
    return SaveResult("new", article_id, cluster_id, 1)


def _update(conn: sqlite3.Connection, prep: PreparedArticle, article_id: int, cluster_id: int, revision: int,
            now: str) -> SaveResult:
    from storage import dedupe

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
    # Re-index the story features; the article stays in its cluster and may join others.
    _unindex_features(conn, article_id)
    pub = conn.execute("SELECT COALESCE(published_at, first_seen_at) FROM articles WHERE id = ?",
                       (article_id,)).fetchone()[0]
    feats = prep.story_features()
    feats.set_period(dedupe.time_bucket(pub))
    clusters = matching_clusters(conn, article_id, rec.source, feats, pub)
    clusters.add(cluster_id)
    new_cluster = min(clusters)
    _index_features(conn, article_id, feats)
    _merge_clusters(conn, new_cluster, clusters)
    return SaveResult("updated", article_id, new_cluster, revision)


def _described(rec: ArticleRecord) -> tuple[Any, ...]:
    """The columns from ``modified_at`` to ``text``, in table order, as insert and update write them."""
    return (to_utc_iso(rec.modified_at), json.dumps(list(rec.authors), ensure_ascii=False), rec.section,
            json.dumps(list(rec.tags), ensure_ascii=False), rec.lang, rec.image, rec.dateline, rec.text)


# ---- candidates ----------------------------------------------------------------------------------------
def matching_clusters(conn: sqlite3.Connection, article_id: int, source: str, feats: StoryFeatures,
                      when: str) -> set[int]:
    """Cluster ids of stored articles that carry the same story (LSH + rare keys, then verified)."""
    from storage import dedupe

    votes = _candidate_votes(conn, article_id, feats, when)
    if not votes:
        return set()
    chosen = [i for i, _ in votes.most_common(dedupe.MAX_CANDIDATES)]
    marks = ",".join("?" * len(chosen))
    rows = conn.execute(
        "SELECT f.article_id, f.signature, f.features, a.source, a.cluster_id, "
        f"COALESCE(a.published_at, a.first_seen_at) FROM story_features f JOIN articles a "
        f"ON a.id = f.article_id WHERE f.article_id IN ({marks})", chosen).fetchall()
    found: set[int] = set()
    for _other, sig, features, other_source, other_cluster, other_when in rows:
        if other_cluster in found:
            continue
        other_feats = dedupe.StoryFeatures.from_stored(sig, features)
        if dedupe.match(feats, other_feats, same_source=other_source == source,
                        days=dedupe.days_apart(when, other_when)):
            found.add(other_cluster)
    return found


def _candidate_votes(conn: sqlite3.Connection, article_id: int, feats: StoryFeatures, when: str) -> Counter[int]:
    """Stored articles sharing an LSH band bucket (2 votes) or enough rare keys (one vote per key)."""
    from storage import dedupe

    votes: Counter[int] = Counter()
    bands, keys = feats.band_keys(), feats.fact_keys()
    if bands:   # copies appear within MAX_DAYS_APART: the periods that window touches
        periods = dedupe.periods_within(when, dedupe.MAX_DAYS_APART)
        for other in {other for _key, other in conn.execute(
                _index_lookup_sql(len(bands), len(periods)), (*periods, *bands))}:
            if other != article_id:
                votes[other] += 2        # sharing any band bucket: one strong vote
    if keys:    # rare facts: the article's period and its neighbours
        periods = range(feats.period - dedupe.KEY_PERIODS, feats.period + dedupe.KEY_PERIODS + 1)
        postings: dict[int, list[int]] = {}
        for key, other in conn.execute(_index_lookup_sql(len(keys), len(periods)), (*periods, *keys)):
            if other != article_id:
                postings.setdefault(key, []).append(other)
        key_votes: Counter[int] = Counter()
        for ids in postings.values():
            if len(ids) <= dedupe.KEY_POSTINGS_CAP:  # a key carried by many articles is not rare
                key_votes.update(ids)
        for other, n in key_votes.items():
            if n >= dedupe.MIN_SHARED_KEYS:
                votes[other] += n
    return votes


@functools.lru_cache(maxsize=8)
def _index_lookup_sql(keys: int, periods: int) -> str:
    """Index rows of ``keys`` within ``periods`` periods: primary-key probes, periods x keys."""
    return (f"SELECT key, article_id FROM story_index WHERE period IN ({', '.join('?' * periods)}) "
            f"AND key IN ({', '.join('?' * keys)})")


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


def _index_features(conn: sqlite3.Connection, article_id: int, feats: StoryFeatures) -> None:
    conn.execute("INSERT OR REPLACE INTO story_features (article_id, signature, features) VALUES (?, ?, ?)",
                 (article_id, feats.signature_blob(), feats.features_json()))
    conn.executemany("INSERT OR IGNORE INTO story_index (period, key, article_id) VALUES (?, ?, ?)",
                     [(feats.period, key, article_id) for key in feats.index_keys()])


def _unindex_features(conn: sqlite3.Connection, article_id: int) -> None:
    from storage import dedupe

    row = conn.execute("SELECT signature, features FROM story_features WHERE article_id = ?",
                       (article_id,)).fetchone()
    if row is None:
        return
    old = dedupe.StoryFeatures.from_stored(row[0], row[1])
    conn.executemany("DELETE FROM story_index WHERE period = ? AND key = ? AND article_id = ?",
                     [(old.period, key, article_id) for key in old.index_keys()])
    conn.execute("DELETE FROM story_features WHERE article_id = ?", (article_id,))


def _merge_clusters(conn: sqlite3.Connection, winner: int, clusters: set[int]) -> None:
    """Move every article of the other matched clusters into ``winner`` (the smallest id)."""
    losers = sorted(c for c in clusters if c != winner)
    if losers:
        marks = ",".join("?" * len(losers))
        conn.execute(f"UPDATE articles SET cluster_id = ? WHERE cluster_id IN ({marks})", (winner, *losers))
        logger.debug("clusters %s merged into %d", losers, winner)
