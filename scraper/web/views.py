"""The data behind each page of ``kabar serve``: plain dicts from a read-only connection (no HTML here).

The HTML templates and the ``.json`` routes show the same dicts. Every value from the request is a bound
parameter. The story list walks the articles newest first along an index that carries ``cluster_id``
(migration ``0013_story_table``) and keeps the first row of each story it meets: a page costs a few index
entries per story, not a grouping of the whole archive.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from markupsafe import escape

from scraper.web import diff
from storage.errors import QueryError
from storage.query import HIGHLIGHT, Filters

PAGE_SIZE = 20
MAX_PAGE = 500
MAX_DIFFED_COPIES = 50
MAX_HITS = 2000          # a search looks at this many of the most recently stored matches
SNIPPET_TOKENS = 24
# Marks SQLite puts around matched words: private-use characters, replaced by <mark> after escaping.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"

Explain = Callable[[sqlite3.Connection, int], dict[int, dict[str, Any]]]

ARTICLE_COLUMNS = ("id", "source", "url", "canonical_url", "title", "published_at", "modified_at", "authors",
                   "section", "tags", "lang", "image", "dateline", "cluster_id", "revision", "content_hash",
                   "first_seen_at", "last_seen_at")


def rows(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
    cur = conn.execute(sql, tuple(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def earliest_key(a: dict[str, Any]) -> tuple[Any, ...]:
    """Order of copies: by ``published_at`` (unknown last), then ``first_seen_at``, then id."""
    return (a["published_at"] is None, a["published_at"] or "", a["first_seen_at"] or "", a["id"])


def marked_html(text: str | None) -> str:
    """``text`` escaped for HTML, SQLite's match marks turned into ``<mark>`` (the only markup in it)."""
    escaped = str(escape(text or ""))
    return escaped.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")


def plain_marks(text: str | None) -> str:
    """``text`` with the match marks as ``[`` ``]`` (as ``kabar search`` prints them)."""
    return (text or "").replace(MARK_OPEN, HIGHLIGHT[0]).replace(MARK_CLOSE, HIGHLIGHT[1])


# ---- the front page --------------------------------------------------------------------------------------
def _filters_sql(source: str | None, section: str | None, since: str | None) -> tuple[str, list[Any]]:
    where, params = Filters(sources=(source,) if source else (), since=since, limit=None).where("a")
    if section:
        where += " AND a.section = ?"
        params.append(section)
    return where, params


def _walk_clusters(conn: sqlite3.Connection, where: str, params: list[Any], skip: int, take: int) -> list[int]:
    """Cluster ids in the order their newest article appears, the ``take`` after the first ``skip``."""
    cur = conn.execute(f"SELECT a.cluster_id FROM articles a WHERE {where} "
                       "ORDER BY a.published_at DESC, a.first_seen_at DESC, a.id DESC", params)
    seen: set[int] = set()
    out: list[int] = []
    for (cluster_id,) in cur:
        if cluster_id in seen:
            continue
        seen.add(cluster_id)
        if len(seen) > skip:
            out.append(cluster_id)
            if len(out) >= take:
                break
    cur.close()
    return out


def _search_clusters(conn: sqlite3.Connection, q: str, where: str, params: list[Any], skip: int,
                     take: int) -> tuple[list[tuple[int, int]], bool]:
    """(cluster_id, newest matching article id) of the stories matching ``q``, newest first, among the
    MAX_HITS most recently stored matches; and whether that cap was reached."""
    try:
        ids = [r[0] for r in conn.execute("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? "
                                          "ORDER BY rowid DESC LIMIT ?", (q, MAX_HITS))]
    except sqlite3.OperationalError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if msg == "interrupted":
            raise
        raise QueryError(f"bad search query {q!r}: {msg} (FTS5 syntax: words, \"phrases\", AND/OR/NOT, "
                         "prefix*, title:word)") from exc
    cur = conn.execute(f"SELECT a.cluster_id, a.id FROM articles a WHERE a.id IN (SELECT value FROM json_each(?)) "
                       f"AND {where} ORDER BY a.published_at DESC, a.first_seen_at DESC, a.id DESC",
                       (json.dumps(ids), *params))
    seen: set[int] = set()
    out: list[tuple[int, int]] = []
    for cluster_id, article_id in cur:
        if cluster_id not in seen:
            seen.add(cluster_id)
            if len(seen) > skip:
                out.append((cluster_id, article_id))
                if len(out) >= take:
                    break
    return out, len(ids) >= MAX_HITS


def _snippets(conn: sqlite3.Connection, q: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    """highlight() of the title and snippet() of the text of each of ``ids`` (matches of ``q``).

    FTS5 takes no ``rowid IN (...)`` constraint, so the match is read over the ids' rowid range (at most
    MAX_HITS rows: the ids come from the newest matches) and the marking is computed for the ids only."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = (f"SELECT rowid, CASE WHEN rowid IN ({marks}) THEN highlight(articles_fts, 0, ?, ?) END, "
           f"CASE WHEN rowid IN ({marks}) THEN snippet(articles_fts, 1, ?, ?, '…', {SNIPPET_TOKENS}) END "
           f"FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ?")
    wanted = set(ids)
    return {r[0]: (r[1], r[2]) for r in conn.execute(
        sql, (*ids, MARK_OPEN, MARK_CLOSE, *ids, MARK_OPEN, MARK_CLOSE, q, min(ids), max(ids))) if r[0] in wanted}


def _story_rows(conn: sqlite3.Connection, cluster_ids: list[int]) -> dict[int, dict[str, Any]]:
    """One summary per cluster: headline and time of its earliest copy, copies, outlets."""
    if not cluster_ids:
        return {}
    marks = ",".join("?" * len(cluster_ids))
    members = rows(conn, "SELECT id, cluster_id, source, title, published_at, first_seen_at FROM articles "
                         f"WHERE cluster_id IN ({marks})", cluster_ids)
    by_cluster: dict[int, list[dict[str, Any]]] = {}
    for m in members:
        by_cluster.setdefault(m["cluster_id"], []).append(m)
    out = {}
    for cluster_id, copies in by_cluster.items():
        copies.sort(key=earliest_key)
        first = copies[0]
        out[cluster_id] = {
            "story_id": cluster_id, "article_id": first["id"], "title": first["title"],
            "first_source": first["source"], "published_at": first["published_at"],
            "first_seen_at": first["first_seen_at"], "copies": len(copies),
            "outlets": len({c["source"] for c in copies}),
            "sources": sorted({c["source"] for c in copies}),
            "latest_at": max((c["published_at"] or c["first_seen_at"] or "") for c in copies),
        }
    return out


def front(conn: sqlite3.Connection, *, q: str | None = None, source: str | None = None,
          section: str | None = None, since: str | None = None, page: int = 1) -> dict[str, Any]:
    """The latest stories (or those matching ``q``), PAGE_SIZE a page; raises QueryError on a bad query."""
    page = min(max(page, 1), MAX_PAGE)
    where, params = _filters_sql(source, section, since)
    skip = (page - 1) * PAGE_SIZE
    q = (q or "").strip() or None
    hits: dict[int, int] = {}
    capped = False
    if q:
        found, capped = _search_clusters(conn, q, where, params, skip, PAGE_SIZE + 1)
        cluster_ids = [c for c, _ in found]
        hits = dict(found)
    else:
        cluster_ids = _walk_clusters(conn, where, params, skip, PAGE_SIZE + 1)
    has_next = len(cluster_ids) > PAGE_SIZE
    cluster_ids = cluster_ids[:PAGE_SIZE]
    summaries = _story_rows(conn, cluster_ids)
    stories = [summaries[c] for c in cluster_ids if c in summaries]
    if q:
        snippets = _snippets(conn, q, list(hits.values()))
        for story in stories:
            hit = hits[story["story_id"]]
            title, snippet = snippets.get(hit, (story["title"], ""))
            story.update(match_id=hit, title_html=marked_html(title), snippet_html=marked_html(snippet),
                         snippet=plain_marks(snippet))
    return {"query": q, "source": source, "section": section, "since": since, "page": page,
            "has_next": has_next, "capped": capped, "max_hits": MAX_HITS, "page_size": PAGE_SIZE, "stories": stories,
            "sources": source_names(conn)}


def source_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sources ORDER BY name")]


# ---- a story -------------------------------------------------------------------------------------------
def members(conn: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    """Every article of the story ``article_id`` belongs to, earliest first (empty if unknown)."""
    found = rows(conn, "SELECT id, cluster_id, source, url, title, published_at, first_seen_at, text "
                       "FROM articles WHERE cluster_id = (SELECT cluster_id FROM articles WHERE id = ?)",
                 (article_id,))
    return sorted(found, key=earliest_key)


def cluster_explain(conn: sqlite3.Connection, article_id: int) -> dict[int, dict[str, Any]]:
    """Why each copy is in the story, per member id, from the clustering itself
    (:func:`storage.story_store.explain`, what ``kabar story`` prints): the score of its best match among the
    members before it, whether it is a copy, and the names, numbers and quotes they share."""
    from storage import story_store

    found = story_store.explain(conn, article_id)
    out: dict[int, dict[str, Any]] = {}
    for member in (found or {}).get("members", []):
        joined = member.get("joined")
        if joined is None:
            out[member["id"]] = {"reason": "the story's first article"}
            continue
        out[member["id"]] = {"against": joined["with"], "score": joined["score"], "copy": joined["copy"],
                             "shared_names": joined["shared_names"], "shared_numbers": joined["shared_numbers"],
                             "shared_quotes": joined["shared_quotes"],
                             "reason": f"a copy of #{joined['with']}" if joined["copy"] else
                                       f"most like #{joined['with']}"}
    return out


def story(conn: sqlite3.Connection, article_id: int, explain: Explain = cluster_explain
          ) -> dict[str, Any] | None:
    """The story of any member ``article_id``: every copy, the earliest marked, and each later copy's
    sentence diff against the earliest and why it joined (``explain``). None when the article is unknown."""
    copies = members(conn, article_id)
    if not copies:
        return None
    first = copies[0]
    why = explain(conn, article_id)
    out = []
    for n, copy in enumerate(copies):
        entry = {k: copy[k] for k in ("id", "source", "url", "title", "published_at", "first_seen_at")}
        entry["earliest"] = n == 0
        entry["why"] = why.get(copy["id"])
        if n and n <= MAX_DIFFED_COPIES:
            entry["diff"] = diff.compare(first["text"], copy["text"])
            entry["title_changed"] = copy["title"] != first["title"]
        else:
            entry["diff"] = None
        out.append(entry)
    return {"story_id": first["cluster_id"], "title": first["title"], "earliest_id": first["id"],
            "requested_id": article_id, "outlets": sorted({c["source"] for c in copies}), "copies": out,
            "earliest_sentences": len(diff.sentences(first["text"]))}


# ---- an article ----------------------------------------------------------------------------------------
def article(conn: sqlite3.Connection, article_id: int) -> dict[str, Any] | None:
    """One article: its row, segments, the blocks the cleaner removed, its URLs and revisions with the
    diff from each version to the next. None when unknown."""
    found = rows(conn, f"SELECT {', '.join(ARTICLE_COLUMNS)}, text FROM articles WHERE id = ?", (article_id,))
    if not found:
        return None
    art = found[0]
    text = art.pop("text")
    for key in ("authors", "tags"):
        try:
            art[key] = json.loads(art[key] or "[]")
        except ValueError:
            art[key] = []
    segments = rows(conn, "SELECT position, headline, text FROM segments WHERE article_id = ? ORDER BY position",
                    (article_id,))
    for seg in segments:
        seg["paragraphs"] = [p for p in (seg.pop("text") or "").split("\n") if p]
    removed = rows(conn, "SELECT position, kind, text FROM removed_blocks WHERE article_id = ? ORDER BY position",
                   (article_id,))
    urls = [r[0] for r in conn.execute("SELECT url FROM article_urls WHERE article_id = ? ORDER BY url",
                                       (article_id,))]
    versions = rows(conn, "SELECT revision, seen_at, title, text, content_hash FROM article_revisions "
                          "WHERE article_id = ? ORDER BY revision", (article_id,))
    versions.append({"revision": art["revision"], "seen_at": art["last_seen_at"], "title": art["title"],
                     "text": text, "content_hash": art["content_hash"]})
    revisions = []
    for prev, cur in zip(versions, versions[1:], strict=False):
        revisions.append({"from": prev["revision"], "to": cur["revision"], "seen_at": prev["seen_at"],
                          "title_before": prev["title"], "title_after": cur["title"],
                          "diff": diff.compare(prev["text"], cur["text"])})
    story_size = conn.execute("SELECT COUNT(*) FROM articles WHERE cluster_id = ?", (art["cluster_id"],)
                              ).fetchone()[0]
    return {"article": art, "segments": segments, "removed": removed, "urls": urls, "revisions": revisions,
            "story_copies": story_size}
