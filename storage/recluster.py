"""``kabar recluster``: apply the current story model to the archive, resumably, one transaction per batch.

Three phases, each article in id order, the progress kept in ``story_state`` (committed with each batch, so an
interrupted run continues where it stopped when run again with the same ``--since``):

1. ``reset`` (one transaction): the story rows of the articles in range are removed (all of them without
   ``since``: the document frequencies and source templates are then rebuilt from nothing);
2. ``index``: each article's story is computed again from its stored title and segments (its source's
   template lines out) and indexed, so the document frequencies are the whole archive's before any decision;
3. ``cluster``: each article is put in the cluster of the articles before it that carry its story
   (:func:`storage.story_store.matching_clusters`, only articles with a smaller id are looked at, so the
   result does not depend on stale rows of articles not yet redone); SPEC's rule: the smaller id wins.

Readers see a consistent archive after every batch; mid-run, articles not yet redone keep their old cluster.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from storage import story_store

STATE = "recluster"
PHASES = ("index", "cluster")

Transaction = Callable[[], contextlib.AbstractContextManager[sqlite3.Connection]]


@dataclass
class Progress:
    phase: str          # "index" or "cluster"; "done" at the end
    done: int           # articles of the phase done
    total: int          # articles in range
    last_id: int        # the last article id done in this phase
    stories: int = 0    # at the end: the stories in the archive


def _range_sql(since: str | None) -> tuple[str, tuple[str, ...]]:
    if since is None:
        return "1", ()
    return "COALESCE(published_at, first_seen_at) >= ?", (since,)


def _state(conn: sqlite3.Connection) -> dict[str, object] | None:
    row = conn.execute("SELECT value FROM story_state WHERE name = ?", (STATE,)).fetchone()
    return json.loads(row[0]) if row else None


def _save_state(conn: sqlite3.Connection, state: dict[str, object]) -> None:
    conn.execute("INSERT OR REPLACE INTO story_state (name, value) VALUES (?, ?)", (STATE, json.dumps(state)))


def _reset(conn: sqlite3.Connection, since: str | None) -> None:
    if since is None:
        for table in ("story_docs", "story_terms", "story_postings", "source_lines"):
            conn.execute(f"DELETE FROM {table}")
        story_store.forget_counts(conn)
        return
    where, params = _range_sql(since)
    for (aid,) in conn.execute(f"SELECT id FROM articles WHERE {where}", params).fetchall():
        story_store.unindex_story(conn, aid)


def _batches(conn: sqlite3.Connection, since: str | None, after: int, size: int) -> list[tuple[int, ...]]:
    where, params = _range_sql(since)
    return conn.execute(f"SELECT id, source, title, COALESCE(published_at, first_seen_at) FROM articles "
                        f"WHERE {where} AND id > ? ORDER BY id LIMIT ?", (*params, after, size)).fetchall()


def _segments(conn: sqlite3.Connection, article_id: int) -> list[tuple[str | None, list[str]]]:
    """The stored segments (the article's text as one segment when it has none)."""
    got = [(h, (t or "").split("\n")) for h, t in conn.execute(
        "SELECT headline, text FROM segments WHERE article_id = ? ORDER BY position", (article_id,))]
    if not got:
        row = conn.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()
        got = [(None, (row[0] or "").split("\n"))] if row else []
    return got


def _index_one(conn: sqlite3.Connection, row: tuple[int, ...]) -> None:
    aid, source, title, when = row
    segments = _segments(conn, int(aid))
    prep = story_store.prepare(str(title) if title else None, segments)
    s = story_store.with_templates(conn, str(source), prep, str(title) if title else None, segments)
    story_store.index_story(conn, int(aid), str(source), s, story_store.period_of(str(when) if when else None),
                            prep.line_keys)


def index_existing(conn: sqlite3.Connection) -> int:
    """Index every article without a story (the upgrade to the story model); how many."""
    rows = conn.execute("SELECT id, source, title, COALESCE(published_at, first_seen_at) FROM articles "
                        "WHERE id NOT IN (SELECT article_id FROM story_docs) ORDER BY id").fetchall()
    for row in rows:
        _index_one(conn, row)
    story_store.flush_counts(conn)
    return len(rows)


def _cluster_one(conn: sqlite3.Connection, row: tuple[int, ...]) -> None:
    aid, source, _title, when = row
    got = conn.execute("SELECT story, shingles, terms FROM story_docs WHERE article_id = ?", (aid,)).fetchone()
    chosen = []
    if got is not None:
        s = story_store.story.Story.from_stored(got[0], got[1], got[2])
        chosen = story_store.matching_clusters(conn, int(aid), str(source), s, str(when) if when else None,
                                               before=int(aid))
    winner = min(chosen) if chosen else int(aid)
    conn.execute("UPDATE articles SET cluster_id = ? WHERE id = ?", (winner, aid))
    losers = [c for c in chosen if c != winner]
    if losers:
        conn.execute(f"UPDATE articles SET cluster_id = ? WHERE cluster_id IN ({','.join('?' * len(losers))}) "
                     f"AND id < ?", (winner, *losers, aid))


def recluster(transaction: Transaction, *, since: str | None = None, batch: int = 500,
              progress: Callable[[Progress], None] | None = None,
              stopped: Callable[[], bool] | None = None) -> Progress:
    """Run (or continue) a recluster of the articles published (else first seen) since ``since`` (all
    without it). ``transaction()`` yields a connection inside one write transaction (the writer's lock).
    ``stopped()`` is asked between batches: when true, the run stops there (phase ``stopped``; run again
    to continue)."""
    with transaction() as conn:
        total = conn.execute(f"SELECT COUNT(*) FROM articles WHERE {_range_sql(since)[0]}",
                             _range_sql(since)[1]).fetchone()[0]
        state = _state(conn)
        if state is None or state.get("since") != since:
            _reset(conn, since)
            story_store.flush_counts(conn)
            state = {"since": since, "phase": "index", "last_id": 0, "done": 0}
            _save_state(conn, state)
    for phase in PHASES[PHASES.index(str(state["phase"])):]:
        step = _index_one if phase == "index" else _cluster_one
        for rows in _phase_batches(transaction, since, state, batch):
            if stopped is not None and stopped():
                return Progress("stopped", int(str(state["done"])), total, int(str(state["last_id"])))
            with transaction() as conn:
                for row in rows:
                    step(conn, row)
                story_store.flush_counts(conn)
                state = {"since": since, "phase": phase, "last_id": int(rows[-1][0]),
                         "done": int(str(state["done"])) + len(rows)}
                _save_state(conn, state)
            if progress:
                progress(Progress(phase, int(str(state["done"])), total, int(str(state["last_id"]))))
        state = {"since": since, "phase": "cluster", "last_id": 0, "done": 0}
        if phase == "index":
            with transaction() as conn:
                _save_state(conn, state)
    with transaction() as conn:
        conn.execute("DELETE FROM story_state WHERE name = ?", (STATE,))
        stories = conn.execute("SELECT COUNT(DISTINCT cluster_id) FROM articles").fetchone()[0]
    return Progress("done", total, total, 0, stories)


def _phase_batches(transaction: Transaction, since: str | None, state: dict[str, object],
                   size: int) -> Iterator[list[tuple[int, ...]]]:
    after = int(str(state["last_id"]))
    while True:
        with transaction() as conn:
            rows = _batches(conn, since, after, size)
        if not rows:
            return
        yield rows
        after = int(rows[-1][0])
