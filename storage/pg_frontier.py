"""The frontier state crawl workers read from PostgreSQL, kept current by the writer from SQLite.

Workers never open the SQLite archive: what a run needs of it (is an article URL known, and since when;
a URL's validators and content hash; which URLs are gone) is mirrored in ``kabar_known`` and
``kabar_pages``; the workers share their robots.txt answers in ``kabar_robots``. The writer mirrors what it applied (:func:`read_urls`, then :func:`push`) and, when it starts, the whole
archive (:func:`mirror_all`), so a worker on any machine plans exactly as a one-machine crawl would.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

import psycopg

from storage.prepare import url_forms
from storage.records import PageState

CHUNK = 2000

_PAGE_COLS = "url, source, status, etag, last_modified, content_hash, fetched_at, error"


# -- the workers' side -----------------------------------------------------------------------------------


def article_for_url(conn: psycopg.Connection[Any], url: str) -> tuple[int, str] | None:
    """``(article_id, first_seen_at)`` of the article known under ``url`` or one of its forms."""
    row = conn.execute("SELECT article_id, first_seen_at FROM kabar_known WHERE url = ANY(%s) "
                       "ORDER BY article_id LIMIT 1", (sorted(url_forms([url])),)).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def page_state(conn: psycopg.Connection[Any], url: str) -> PageState | None:
    row = conn.execute(f"SELECT {_PAGE_COLS} FROM kabar_pages WHERE url = %s", (url,)).fetchone()
    return PageState(*row) if row else None


def gone_pages(conn: psycopg.Connection[Any], source: str, answers: int) -> dict[str, str | None]:
    """URL -> time of the last answer, of the pages of ``source`` with ``answers`` 404/410 in a row."""
    return {str(u): t for u, t in conn.execute(
        "SELECT url, gone_last_at FROM kabar_pages WHERE source = %s AND gone_answers >= %s", (source, answers))}


def robots_answer(conn: psycopg.Connection[Any], url: str, max_age_s: float) -> tuple[int, bytes, str | None] | None:
    """A worker's answer to ``url`` (a robots.txt) younger than ``max_age_s``: (status, body, location)."""
    row = conn.execute("SELECT status, body, location FROM kabar_robots WHERE url = %s AND "
                       "fetched_at > clock_timestamp() - make_interval(secs => %s)", (url, max_age_s)).fetchone()
    return (int(row[0]), bytes(row[1]), row[2]) if row else None


def save_robots_answer(conn: psycopg.Connection[Any], url: str, status: int, body: bytes, location: str | None) -> None:
    conn.execute("INSERT INTO kabar_robots (url, status, body, location) VALUES (%s, %s, %s, %s) "
                 "ON CONFLICT (url) DO UPDATE SET status = excluded.status, body = excluded.body, "
                 "location = excluded.location, fetched_at = clock_timestamp()", (url, status, body, location))


# -- the writer's side -----------------------------------------------------------------------------------


def _sqlite_pages(db: sqlite3.Connection, urls: list[str] | None) -> Iterator[tuple[Any, ...]]:
    sql = (f"SELECT {', '.join('p.' + c.strip() for c in _PAGE_COLS.split(','))}, "
           "COALESCE(g.answers, 0), g.last_at FROM pages p LEFT JOIN page_gone g ON g.url = p.url")
    if urls is None:
        yield from db.execute(sql)
        return
    for i in range(0, len(urls), 500):
        part = urls[i:i + 500]
        yield from db.execute(f"{sql} WHERE p.url IN ({','.join('?' * len(part))})", part)


def _sqlite_known(db: sqlite3.Connection, urls: list[str] | None) -> Iterator[tuple[Any, ...]]:
    """(url, article_id, first_seen_at) for every URL and canonical URL of the articles concerned."""
    if urls is None:
        yield from db.execute("SELECT u.url, a.id, a.first_seen_at FROM article_urls u "
                              "JOIN articles a ON a.id = u.article_id")
        yield from db.execute("SELECT canonical_url, id, first_seen_at FROM articles WHERE canonical_url IS NOT NULL")
        return
    forms = sorted(url_forms(urls))
    ids: set[int] = set()
    for i in range(0, len(forms), 500):
        part = forms[i:i + 500]
        marks = ",".join("?" * len(part))
        ids.update(int(r[0]) for r in db.execute(f"SELECT article_id FROM article_urls WHERE url IN ({marks})", part))
        ids.update(int(r[0]) for r in db.execute(f"SELECT id FROM articles WHERE canonical_url IN ({marks})", part))
    id_list = sorted(ids)
    for i in range(0, len(id_list), 500):
        part_ids = id_list[i:i + 500]
        marks = ",".join("?" * len(part_ids))
        yield from db.execute(f"SELECT u.url, a.id, a.first_seen_at FROM article_urls u JOIN articles a "
                              f"ON a.id = u.article_id WHERE a.id IN ({marks})", part_ids)
        yield from db.execute(f"SELECT canonical_url, id, first_seen_at FROM articles WHERE id IN ({marks}) "
                              f"AND canonical_url IS NOT NULL", part_ids)


def _chunks(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _upsert(pg: psycopg.Connection[Any], pages: Iterable[tuple[Any, ...]], known: Iterable[tuple[Any, ...]]) -> int:
    n = 0
    with pg.cursor() as cur:
        for chunk in _chunks(pages):
            cur.executemany(
                "INSERT INTO kabar_pages (url, source, status, etag, last_modified, content_hash, fetched_at, "
                "error, gone_answers, gone_last_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (url) DO UPDATE SET source = excluded.source, status = excluded.status, "
                "etag = excluded.etag, last_modified = excluded.last_modified, "
                "content_hash = excluded.content_hash, fetched_at = excluded.fetched_at, error = excluded.error, "
                "gone_answers = excluded.gone_answers, gone_last_at = excluded.gone_last_at", chunk)
            n += len(chunk)
        for chunk in _chunks(known):
            cur.executemany("INSERT INTO kabar_known (url, article_id, first_seen_at) VALUES (%s, %s, %s) "
                            "ON CONFLICT (url) DO UPDATE SET article_id = excluded.article_id, "
                            "first_seen_at = excluded.first_seen_at", chunk)
            n += len(chunk)
    return n


Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def read_urls(db: sqlite3.Connection, urls: Iterable[str]) -> Rows:
    """The fetch state of ``urls`` and the URLs of their articles, read from SQLite (for :func:`push`)."""
    wanted = sorted(set(urls))
    if not wanted:
        return [], []
    return list(_sqlite_pages(db, wanted)), list(_sqlite_known(db, wanted))


def push(pg: psycopg.Connection[Any], rows: Rows) -> int:
    """Write what :func:`read_urls` read to PostgreSQL, in one transaction; rows written."""
    pages, known = rows
    if not pages and not known:
        return 0
    with pg.transaction():
        return _upsert(pg, pages, known)


def mirror_all(db: sqlite3.Connection, pg: psycopg.Connection[Any]) -> int:
    """Copy the whole archive's frontier state to PostgreSQL (the writer's start); rows written."""
    with pg.transaction():
        return _upsert(pg, _sqlite_pages(db, None), _sqlite_known(db, None))
