"""Read-side queries behind ``kabar search``, ``latest``, ``export`` and ``stats``.

Every value from the user (FTS query, sources, since, limit) is a bound parameter; the only SQL text built
here is a fixed number of ``?`` placeholders. "Newest first" is ``published_at DESC`` (unknown dates sort
last, because SQLite orders NULL lowest), then ``first_seen_at DESC``, then ``id DESC``.
"""

from __future__ import annotations

import json
import logging
import shlex
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from storage.errors import QueryError, StorageError
from storage.store import Store, map_sqlite_error

logger = logging.getLogger(__name__)

NEWEST_FIRST = "published_at DESC, first_seen_at DESC, id DESC"
HIGHLIGHT = ("[", "]")
SNIPPET_TOKENS = 16
EXPORT_COLUMNS = ("id", "source", "url", "canonical_url", "title", "published_at", "modified_at", "authors",
                  "section", "tags", "lang", "image", "dateline", "cluster_id", "revision", "content_hash",
                  "first_seen_at", "last_seen_at", "text")


@dataclass(frozen=True)
class Filters:
    """The common options of the query commands. ``since`` is UTC ISO text (see storage.util.parse_since);
    it applies to ``published_at``, or ``first_seen_at`` for articles without a date."""

    sources: tuple[str, ...] = ()
    since: str | None = None
    limit: int | None = 20

    def where(self, alias: str = "a") -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if self.sources:
            clauses.append(f"{alias}.source IN ({','.join('?' * len(self.sources))})")
            params.extend(self.sources)
        if self.since:
            clauses.append(f"COALESCE({alias}.published_at, {alias}.first_seen_at) >= ?")
            params.append(self.since)
        return (" AND ".join(clauses) or "1"), params

    def limit_sql(self) -> tuple[str, list[Any]]:
        if self.limit is None:
            return "", []
        if self.limit < 0:
            raise QueryError(f"--limit must be 0 or more, not {self.limit}")
        return " LIMIT ?", [self.limit]


def _rows(store: Store, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    try:
        cur = store.conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    except sqlite3.Error as exc:
        raise map_sqlite_error(exc, store.path) from exc


def _fts_error(query: str, exc: sqlite3.Error) -> QueryError:
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return QueryError(f"bad search query {query!r}: {msg} (FTS5 syntax: words, \"phrases\", AND/OR/NOT, "
                      "prefix*, title:word)")


FTS_ON_COMMAND = ("sqlite-utils enable-fts {path} articles title text --fts5 "
                  "--tokenize 'unicode61 remove_diacritics 2' --create-triggers")


def fts_enabled(store: Store) -> bool:
    """True when the full-text index ``articles_fts`` exists (``sqlite-utils disable-fts`` drops it)."""
    try:
        return store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone() is not None
    except sqlite3.Error as exc:
        raise map_sqlite_error(exc, store.path) from exc


def search(store: Store, query: str, filters: Filters, *, all_copies: bool = False) -> list[dict[str, Any]]:
    """Full-text search (FTS5 syntax) over title and text, newest first.

    By default one row per story: the best-matching (bm25) copy of each cluster, with ``copies`` (articles
    in the story) and ``sources``; ``all_copies`` returns every matching article. ``snippet`` marks the
    matched words with ``[`` ``]``. Without the FTS index (``sqlite-utils disable-fts``) a
    :class:`StorageError` says how to turn it back on.
    """
    if not query.strip():
        raise QueryError("empty search query")
    if not fts_enabled(store):
        raise StorageError(f"full-text search is off in {store.path} (no articles_fts table, e.g. after "
                           f"sqlite-utils disable-fts); turn it back on with: "
                           f"{FTS_ON_COMMAND.format(path=shlex.quote(store.path))}")
    where, params = filters.where("a")
    limit_sql, limit_params = filters.limit_sql()
    if all_copies:
        sql = (f"WITH hits AS (SELECT rowid AS id, bm25(articles_fts, 4.0, 1.0) AS score FROM articles_fts "
               f"WHERE articles_fts MATCH ?) "
               f"SELECT a.id, a.cluster_id, a.source, a.title, a.url, a.published_at, a.first_seen_at, h.score "
               f"FROM hits h JOIN articles a ON a.id = h.id WHERE {where} "
               f"ORDER BY a.published_at DESC, a.first_seen_at DESC, a.id DESC{limit_sql}")
    else:
        sql = (f"WITH hits AS (SELECT rowid AS id, bm25(articles_fts, 4.0, 1.0) AS score FROM articles_fts "
               f"WHERE articles_fts MATCH ?), "
               f"m AS (SELECT a.id, a.cluster_id, a.source, a.title, a.url, a.published_at, a.first_seen_at, "
               f"h.score, ROW_NUMBER() OVER (PARTITION BY a.cluster_id ORDER BY h.score, a.id) AS rn "
               f"FROM hits h JOIN articles a ON a.id = h.id WHERE {where}) "
               f"SELECT id, cluster_id, source, title, url, published_at, first_seen_at, score FROM m "
               f"WHERE rn = 1 ORDER BY {NEWEST_FIRST}{limit_sql}")
    try:
        cur = store.conn.execute(sql, (query, *params, *limit_params))
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        snippets = _snippets(store, query, [r["id"] for r in rows])
    except sqlite3.OperationalError as exc:
        if "fts5" in str(exc).lower() or "syntax" in str(exc).lower() or "no such column" in str(exc).lower() \
                or "unterminated" in str(exc).lower() or "unknown special query" in str(exc).lower():
            raise _fts_error(query, exc) from exc
        raise map_sqlite_error(exc, store.path) from exc
    except sqlite3.Error as exc:
        raise map_sqlite_error(exc, store.path) from exc
    clusters = _cluster_info(store, sorted({r["cluster_id"] for r in rows})) if rows else {}
    for r in rows:
        r["snippet"] = snippets.get(r["id"], "")
        r["score"] = round(-float(r["score"]), 3)
        copies, sources = clusters.get(r["cluster_id"], (1, r["source"]))
        r["copies"] = copies
        r["sources"] = sources
    return rows


def _snippets(store: Store, query: str, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cur = store.conn.execute(
        f"SELECT rowid, snippet(articles_fts, -1, ?, ?, '…', ?) FROM articles_fts "
        f"WHERE articles_fts MATCH ? AND rowid IN ({marks})",
        (HIGHLIGHT[0], HIGHLIGHT[1], SNIPPET_TOKENS, query, *ids))
    return {int(rowid): " ".join(str(text or "").split()) for rowid, text in cur.fetchall()}


def _cluster_info(store: Store, cluster_ids: list[int]) -> dict[int, tuple[int, str]]:
    marks = ",".join("?" * len(cluster_ids))
    rows = _rows(store, f"SELECT cluster_id, COUNT(*) AS copies, group_concat(DISTINCT source) AS sources "
                        f"FROM articles WHERE cluster_id IN ({marks}) GROUP BY cluster_id", cluster_ids)
    out: dict[int, tuple[int, str]] = {}
    for r in rows:
        names = sorted(set((r["sources"] or "").split(",")))
        out[int(r["cluster_id"])] = (int(r["copies"]), ",".join(names))
    return out


def latest(store: Store, filters: Filters) -> list[dict[str, Any]]:
    """The newest articles (one row per article)."""
    where, params = filters.where("a")
    limit_sql, limit_params = filters.limit_sql()
    return _rows(store, f"SELECT a.id, a.cluster_id, a.source, a.title, a.url, a.published_at, a.first_seen_at, "
                        f"a.revision FROM articles a WHERE {where} "
                        f"ORDER BY a.published_at DESC, a.first_seen_at DESC, a.id DESC{limit_sql}",
                 [*params, *limit_params])


def export_articles(store: Store, filters: Filters, *, with_segments: bool = True) -> Iterator[dict[str, Any]]:
    """Every matching article in id order, streamed from a cursor (constant memory).

    ``authors`` and ``tags`` are lists; with ``with_segments`` each row carries ``segments``
    (``[{"headline", "paragraphs"}]``) read per article.
    """
    where, params = filters.where("a")
    limit_sql, limit_params = filters.limit_sql()
    cols = ", ".join(f"a.{c}" for c in EXPORT_COLUMNS)
    try:
        cur = store.conn.execute(f"SELECT {cols} FROM articles a WHERE {where} ORDER BY a.id{limit_sql}",
                                 (*params, *limit_params))
        for row in cur:
            item = dict(zip(EXPORT_COLUMNS, row, strict=True))
            for key in ("authors", "tags"):
                item[key] = json.loads(item[key]) if item[key] else []
            if with_segments:
                item["segments"] = [
                    {"headline": headline, "paragraphs": text.split("\n") if text else []}
                    for headline, text in store.conn.execute(
                        "SELECT headline, text FROM segments WHERE article_id = ? ORDER BY position",
                        (item["id"],))]
            yield item
    except sqlite3.Error as exc:
        raise map_sqlite_error(exc, store.path) from exc


def source_stats(store: Store, filters: Filters) -> list[dict[str, Any]]:
    """One row per source (configured or seen in articles): article count, last article, scheduling state.

    With ``filters.since`` the ``articles`` count is of articles first seen since then.
    """
    params: list[Any] = []
    since_sql = ""
    if filters.since:
        since_sql = " WHERE first_seen_at >= ?"
        params.append(filters.since)
    rows = _rows(store,
                 f"WITH counts AS (SELECT source, COUNT(*) AS articles, MAX(first_seen_at) AS last_article_at "
                 f"FROM articles{since_sql} GROUP BY source), "
                 f"names AS (SELECT name FROM sources UNION SELECT source FROM counts) "
                 f"SELECT n.name AS source, COALESCE(c.articles, 0) AS articles, c.last_article_at, "
                 f"s.last_run_at, s.next_run_at, s.last_status, s.interval_s, "
                 f"COALESCE(s.consecutive_failures, 0) AS consecutive_failures "
                 f"FROM names n LEFT JOIN counts c ON c.source = n.name LEFT JOIN sources s ON s.name = n.name "
                 f"ORDER BY n.name", params)
    if filters.sources:
        wanted = set(filters.sources)
        rows = [r for r in rows if r["source"] in wanted]
    failures = {r["source"]: r for r in _last_failures(store)}
    for row in rows:
        last = failures.get(row["source"])
        row["last_error_at"] = last["at"] if last else None
        row["last_error"] = _failure_reason(store, last) if last else None
    return rows


def _last_failures(store: Store) -> list[dict[str, Any]]:
    """The latest failed or interrupted run of each source."""
    return _rows(store,
                 "SELECT r.source, r.status, r.started_at, r.finished_at, r.error, "
                 "COALESCE(r.finished_at, r.started_at) AS at FROM runs r JOIN "
                 "(SELECT source, max(id) AS id FROM runs WHERE status IN ('failed', 'interrupted') "
                 "GROUP BY source) last ON last.id = r.id", ())


def _failure_reason(store: Store, run: dict[str, Any]) -> str:
    """Why a run failed: its recorded error; for a run that recorded none (older releases), the last page
    error recorded while it ran; else its status alone."""
    if run["error"]:
        return f"{run['status']}: {run['error']}"
    found = _rows(store,
                  "SELECT url, error FROM pages WHERE source = ? AND error IS NOT NULL AND fetched_at >= ? "
                  "AND fetched_at <= COALESCE(?, fetched_at) ORDER BY fetched_at DESC LIMIT 1",
                  (run["source"], run["started_at"], run["finished_at"]))
    if found:
        return f"{run['status']}: {found[0]['url']}: {found[0]['error']}"
    return f"{run['status']}: no reason recorded"


def recent_errors(store: Store, filters: Filters, *, limit: int = 10) -> list[dict[str, Any]]:
    """The latest failures: pages with an error and runs that failed or were interrupted, newest first."""
    page_where = ["p.error IS NOT NULL"]
    run_where = ["r.status IN ('failed', 'interrupted')"]
    page_params: list[Any] = []
    run_params: list[Any] = []
    if filters.sources:
        marks = ",".join("?" * len(filters.sources))
        page_where.append(f"p.source IN ({marks})")
        run_where.append(f"r.source IN ({marks})")
        page_params.extend(filters.sources)
        run_params.extend(filters.sources)
    if filters.since:
        page_where.append("p.fetched_at >= ?")
        run_where.append("COALESCE(r.finished_at, r.started_at) >= ?")
        page_params.append(filters.since)
        run_params.append(filters.since)
    return _rows(store,
                 f"SELECT * FROM (SELECT p.fetched_at AS at, p.source AS source, 'page' AS kind, p.url AS what, "
                 f"p.status AS status, p.error AS error FROM pages p WHERE {' AND '.join(page_where)} "
                 f"ORDER BY p.fetched_at DESC LIMIT ?) "
                 f"UNION ALL SELECT * FROM (SELECT COALESCE(r.finished_at, r.started_at) AS at, r.source, "
                 f"'run' AS kind, 'run ' || r.id AS what, r.status AS status, "
                 f"COALESCE(r.error, r.status) AS error FROM runs r WHERE {' AND '.join(run_where)} "
                 f"ORDER BY r.started_at DESC LIMIT ?) "
                 f"ORDER BY at DESC LIMIT ?",
                 [*page_params, limit, *run_params, limit, limit])
