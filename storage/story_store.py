"""The story model's tables: stories, document frequencies, per-source template lines, candidate postings.

Connection-level functions (the caller holds the transaction), used by the save path, ``kabar recluster`` and
``kabar story``:

* The tables are created by migration 0014 (:mod:`storage.migrations_story`).
* :func:`index_story` / :func:`unindex_story` keep ``story_docs`` (one :class:`storage.story.Story` per
  article), ``story_terms`` (document frequencies of content words, growing with the archive; key 0 holds the
  number of documents), ``story_postings`` (candidate keys per period) and ``source_lines`` (how many of a
  source's articles carry each line: its template lines) in step.
* :func:`matching_clusters` finds the clusters a new article joins: candidate articles from the postings of
  its retrieval keys (its ``TOP_TERMS`` most distinctive content words and its strong numbers) within the time
  window, each key's postings capped at ``KEY_POSTINGS`` (newest first) and the candidates ranked by keys
  shared, at most ``MAX_COMPARE`` compared in full, each with up to ``MEMBERS_COMPARED`` members of its
  cluster; the decision is :func:`storage.story.choose_clusters`. Work per article is bounded whatever the
  archive's size.
* :func:`explain` is why the members of one story are together (the one function ``kabar story`` and the web
  view show).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import sqlite3
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from storage import dedupe, story
from storage.templates import (
    TEMPLATE_MIN_ARTICLES,
    TEMPLATE_MIN_WORDS,
    SourceTemplates,
    split_lines,
    template_keys,
)

TOP_TERMS = 12                  # content words an article is found by
MAX_NUMBER_KEYS = 6             # strong numbers it is found by
KEY_POSTINGS = 48               # postings read per key and period, newest first
MIN_SHARED_KEYS = 2             # a candidate shares this many keys
MAX_COMPARE = 12                # candidates compared in full
MEMBERS_COMPARED = 8            # members of a candidate's cluster compared (the first ones)
WINDOW_DAYS = 4.0               # copies of a story appear within days of each other (either side)
PERIOD_DAYS = 8.0               # postings are kept per period of this many days: a look-up names 1 or 2
LINES_FULL = 200                # a source's articles whose lines all count towards its templates, ...
LINES_SAMPLE = 4                # ... then every LINES_SAMPLE-th one's (by id): template lines are in most
MAX_LINES = 200                 # lines of an article counted towards its source's templates
EXPLAIN_MEMBERS = 200
DOCS_KEY = 0                    # story_terms row holding the number of documents
SOURCE_KEY = 0                  # source_lines row holding the number of the source's articles counted
DF_FULL = 2_000                 # documents counted in story_terms before ...
DF_SAMPLE = 8                   # ... only every DF_SAMPLE-th article (by id) is: the frequencies are ratios
MAX_PENDING = 100_000           # words counted in memory before they are written (else at the commit)

def period_of(when: str | None) -> int:
    """The postings period of an article published (else first seen) at ``when``."""
    return dedupe.time_bucket(when, PERIOD_DAYS)


def _key(kind: str, value: str) -> int:
    raw = int.from_bytes(hashlib.blake2b(f"{kind}:{value}".encode(), digest_size=8).digest(), "little")
    raw -= 1 << 63                                       # signed 64-bit; 0 is DOCS_KEY
    return raw or 1


@dataclass
class Prepared:
    """A story computed outside the writer (picklable), with the keys of the lines it was computed from."""

    story: story.Story
    line_keys: list[int]
    lines: int = 0                        # lines it was computed from (of at least TEMPLATE_MIN_WORDS words)


def prepare(title: str | None, segments: Sequence[tuple[str | None, Sequence[str]]]) -> Prepared:
    paragraphs = _paragraphs(segments)
    lines = split_lines([title or "", *paragraphs])
    s = story.story_of(title, paragraphs, lines=lines).precompute()    # computed here, off the writing process
    lines = lines[:MAX_LINES]
    return Prepared(s, template_keys(lines), sum(1 for line in lines                 # (words counted up to 3)
                                                 if len(line.split(maxsplit=TEMPLATE_MIN_WORDS)) >= TEMPLATE_MIN_WORDS))


def _paragraphs(segments: Sequence[tuple[str | None, Sequence[str]]]) -> list[str]:
    out: list[str] = []
    for headline, paragraphs in segments:
        if headline:
            out.append(headline)
        out.extend(paragraphs)
    return out


def with_templates(conn: sqlite3.Connection, source: str, prep: Prepared, title: str | None,
                   segments: Sequence[tuple[str | None, Sequence[str]]]) -> story.Story:
    """The article's story with its source's template lines out: lines ``TEMPLATE_MIN_ARTICLES`` of the
    source's earlier articles carried. When they are most of the article it is a re-post of one of them (the
    same page under another address), not a template: then nothing is discounted."""
    keys = prep.line_keys
    if not keys:
        return prep.story
    counts = dict(conn.execute(
        f"SELECT key, articles FROM source_lines WHERE source = ? AND key IN ({','.join('?' * len(keys))}) "
        f"AND articles >= ?", (source, *keys, TEMPLATE_MIN_ARTICLES)).fetchall())
    if not counts or len(counts) * 2 > max(len(keys), prep.lines):
        return prep.story
    return story.story_of(title, _paragraphs(segments), SourceTemplates(counts))


def story_for(conn: sqlite3.Connection, source: str, prep: Prepared, title: str | None,
              segments: Sequence[tuple[str | None, Sequence[str]]]) -> tuple[story.Story, list[int]]:
    """The story the save path indexes (its source's template lines out) and the line keys to count."""
    return with_templates(conn, source, prep, title, segments), prep.line_keys


class _TermCache:
    """Document frequencies read from ``story_terms`` (and counted since) by one connection: the common words
    of every article are looked up once, not per article. Approximate by design: another writer's counts
    arrive when an entry is dropped, a rolled-back article's counts stay (``kabar recluster`` recounts).

    While the vocabulary fits (``MAX_ENTRIES``), it is held whole as two sorted arrays (keys, counts) that a
    story's words are looked up in at once; the counts since are merged into them in bulk
    (:meth:`_merge`), so an article's vector look-up may not see the last few articles' words yet (one word's
    look-up, :meth:`count_of`, does). Past that size, words are looked up in the table and cached."""

    MAX_ENTRIES = 2_000_000

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn                      # held: its id() cannot be reused while it is cached
        self.df: dict[int, int] = {}          # looked-up counts (not complete)
        self.n: int | None = None
        self.complete = False                 # every stored word is in the arrays (absent: df 0)
        self.keys = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)
        self.unmerged: dict[int, int] = {}    # counts not yet in the arrays
        self.pending: dict[int, int] = {}     # counts not yet written to ``story_terms`` (flush_counts)
        self.view: _CachedDocFreq | None = None   # what doc_freq() hands out while n is unchanged

    def _load(self) -> None:
        row = self.conn.execute("SELECT df FROM story_terms WHERE key = ?", (DOCS_KEY,)).fetchone()
        self.n = row[0] if row else 0
        rows = self.conn.execute("SELECT key, df FROM story_terms WHERE key != ? ORDER BY key LIMIT ?",
                                 (DOCS_KEY, self.MAX_ENTRIES + 1)).fetchall()
        if len(rows) <= self.MAX_ENTRIES:     # small enough: all of it, no look-ups at all
            got = np.array(rows, dtype=np.int64).reshape(-1, 2)
            self.keys, self.counts = got[:, 0].copy(), got[:, 1].copy()
            self.complete = True

    def _merge(self) -> None:
        if not self.unmerged:
            return
        new_keys = np.fromiter(self.unmerged.keys(), dtype=np.int64, count=len(self.unmerged))
        deltas = np.fromiter(self.unmerged.values(), dtype=np.int64, count=len(self.unmerged))
        self.unmerged = {}
        order = np.argsort(new_keys)
        new_keys, deltas = new_keys[order], deltas[order]
        at = np.searchsorted(self.keys, new_keys)
        known = at < len(self.keys)
        known[known] = self.keys[at[known]] == new_keys[known]
        self.counts[at[known]] += deltas[known]
        self.keys = np.insert(self.keys, at[~known], new_keys[~known])
        self.counts = np.insert(self.counts, at[~known], deltas[~known])
        if len(self.keys) > self.MAX_ENTRIES:    # outgrown: from now on looked up, and cached
            self.complete = False
            self.keys, self.counts = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)

    def counts_of(self, keys: np.ndarray) -> np.ndarray:
        """The document frequency of each key (complete mode: the arrays, merged first when much is new)."""
        if len(self.unmerged) > max(256, len(self.keys) // 50):
            self._merge()
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.float64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.counts[at], 0).astype(np.float64)

    def count_of(self, key: int) -> int:
        if not self.complete:
            return self.df.get(key, 0)
        got = self.unmerged.get(key, 0)
        at = int(np.searchsorted(self.keys, key))
        if at < len(self.keys) and self.keys[at] == key:
            got += int(self.counts[at])
        return got

    def lookup(self, keys: Sequence[int]) -> None:
        """Make sure the counts of ``keys`` are known (read from the table when not complete)."""
        if self.n is None:
            self._load()
        if self.complete:
            return
        missing = [k for k in keys if k not in self.df]
        if len(self.df) + len(missing) > self.MAX_ENTRIES:
            self.df.clear()
            missing = list(keys)
        for start in range(0, len(missing), 900):
            part = missing[start:start + 900]
            self.df.update(dict.fromkeys(part, 0))
            self.df.update(self.conn.execute(
                f"SELECT key, df FROM story_terms WHERE key IN ({','.join('?' * len(part))})", part).fetchall())

    def count(self, keys: Iterable[int], delta: int) -> None:
        keys = list(keys)
        pending = self.pending
        for k in keys:
            pending[k] = pending.get(k, 0) + delta
        pending[DOCS_KEY] = pending.get(DOCS_KEY, 0) + delta
        if self.complete:
            unmerged = self.unmerged
            for k in keys:
                unmerged[k] = unmerged.get(k, 0) + delta
        else:
            df = self.df
            for k in keys:
                if k in df:
                    df[k] += delta
        if self.n is not None:
            self.n += delta


class _CachedDocFreq(story.DocFreq):
    """:class:`storage.story.DocFreq` read through a connection's :class:`_TermCache`."""

    def __init__(self, cache: _TermCache) -> None:
        super().__init__(cache.n or 0)
        self.cache = cache

    def count_of(self, term: str) -> int:
        return self.cache.count_of(story._term_key(term)) if story.counted_term(term) else 0

    def idfs(self, terms: Iterable[str]) -> list[float]:
        """:meth:`idf` of each of ``terms`` with one array look-up (the same counts as :meth:`count_of`)."""
        terms = list(terms)
        cache = self.cache
        if not cache.complete or len(terms) < 4:
            return super().idfs(terms)
        counted = [story.counted_term(t) for t in terms]
        keys = np.fromiter((story._term_key(t) if ok else 0 for t, ok in zip(terms, counted, strict=True)),
                           dtype=np.int64,
                           count=len(terms))
        counts = cache.counts_of(keys)
        if cache.unmerged:                          # what count_of() adds: the counts since the last merge
            counts += np.fromiter(map(cache.unmerged.get, keys.tolist(), itertools.repeat(0)), dtype=np.float64,
                                  count=len(terms))
        counts[~np.array(counted, dtype=bool)] = 0
        return np.log((self.n + self.PRIOR_DOCS + 1) / (counts + 1.0)).tolist()

    def idf_keys(self, keys: np.ndarray) -> np.ndarray:
        cache = self.cache
        counts = cache.counts_of(keys) if cache.complete else np.fromiter(
            map(cache.df.get, keys.tolist(), itertools.repeat(0)), dtype=np.float64, count=len(keys))
        return np.log((self.n + self.PRIOR_DOCS + 1) / (counts + 1.0))


_CACHES: OrderedDict[int, _TermCache] = OrderedDict()
MAX_CACHES = 4                  # connections whose counts are cached (the most recently used)


def _cache(conn: sqlite3.Connection) -> _TermCache:
    got = _CACHES.get(id(conn))
    if got is None or got.conn is not conn:
        got = _CACHES[id(conn)] = _TermCache(conn)
        while len(_CACHES) > MAX_CACHES:
            _CACHES.popitem(last=False)
    _CACHES.move_to_end(id(conn))
    return got


def forget_counts(conn: sqlite3.Connection) -> None:
    """Drop the connection's cached document frequencies and unwritten counts (after the tables were
    rewritten wholesale)."""
    _CACHES.pop(id(conn), None)


def flush_counts(conn: sqlite3.Connection) -> None:
    """Write the document-frequency counts the connection's articles added since the last flush: once per
    word per transaction, not once per article (the store calls it before each commit; an unflushed count
    is written by the connection's next :func:`index_story`)."""
    got = _CACHES.get(id(conn))
    if got is None or got.conn is not conn or not got.pending:
        return
    rows = sorted((k, d) for k, d in got.pending.items() if d)
    got.pending = {}
    conn.executemany("INSERT INTO story_terms (key, df) VALUES (?, ?) "
                     "ON CONFLICT (key) DO UPDATE SET df = df + excluded.df", rows)


def doc_freq(conn: sqlite3.Connection, stories: Iterable[story.Story]) -> story.DocFreq:
    """The archive's document frequencies of the words of ``stories`` (read through the connection's cache)."""
    stories = list(stories)
    cache = _cache(conn)
    if cache.n is None or not cache.complete:
        keys = stories[0].keys if len(stories) == 1 else np.unique(np.concatenate([s.keys for s in stories]))
        cache.lookup(keys.tolist())
    got = cache.view
    if got is None or got.n != (cache.n or 0):     # one object while the counts stand: weights are kept
        got = cache.view = _CachedDocFreq(cache)
    return got


def retrieval_keys(s: story.Story, df: story.DocFreq) -> list[int]:
    """The keys an article is found by: its most distinctive words (tf-idf) and strongest numbers."""
    if len(s.keys) > TOP_TERMS:
        weight, _norm = s.weights(df)
        ranked = set(s.keys[np.argpartition(-weight, TOP_TERMS)[:TOP_TERMS]].tolist())
    else:
        ranked = set(s.keys.tolist())
    numbers = sorted((n for n in s.numbers if n.startswith("=")), key=lambda n: (-len(n), n))[:MAX_NUMBER_KEYS]
    return sorted(ranked | {_key("n", n) for n in numbers})


def index_story(conn: sqlite3.Connection, article_id: int, source: str, s: story.Story, period: int,
                line_keys: Sequence[int], df: story.DocFreq | None = None,
                keys: Sequence[int] | None = None) -> None:
    """Store the article's story and count it in the document frequencies, postings and source lines
    (``keys``: its :func:`retrieval_keys` when the caller has them)."""
    if keys is None:
        keys = retrieval_keys(s, df or doc_freq(conn, [s]))
    cache = _cache(conn)
    cache.lookup([])
    counted = (cache.n or 0) < DF_FULL or article_id % DF_SAMPLE == 0
    conn.execute("INSERT OR REPLACE INTO story_docs (article_id, period, story, terms, shingles, keys, counted) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (article_id, period, s.to_json(), s.terms_blob(), s.shingle_blob(), json.dumps(keys), int(counted)))
    if counted:
        if len(cache.pending) > MAX_PENDING:
            flush_counts(conn)
        cache.count(s.keys.tolist(), 1)
    conn.executemany("INSERT OR IGNORE INTO story_postings (period, key, article_id) VALUES (?, ?, ?)",
                     [(period, k, article_id) for k in keys])
    if line_keys and _count_lines(conn, source, article_id):
        conn.executemany("INSERT INTO source_lines (source, key, articles) VALUES (?, ?, 1) "
                         "ON CONFLICT (source, key) DO UPDATE SET articles = articles + 1",
                         [(source, k) for k in (SOURCE_KEY, *line_keys)])


def _count_lines(conn: sqlite3.Connection, source: str, article_id: int) -> bool:
    """Are this article's lines counted towards its source's templates? All of the source's first
    ``LINES_FULL`` articles, then a sample (a source's template lines are in nearly all of its articles)."""
    if article_id % LINES_SAMPLE == 0:
        return True
    row = conn.execute("SELECT articles FROM source_lines WHERE source = ? AND key = ?",
                       (source, SOURCE_KEY)).fetchone()
    return row is None or row[0] < LINES_FULL


def unindex_story(conn: sqlite3.Connection, article_id: int) -> None:
    """Undo :func:`index_story` for the document frequencies and postings (source lines stay counted)."""
    row = conn.execute("SELECT period, story, terms, keys, counted FROM story_docs WHERE article_id = ?",
                       (article_id,)).fetchone()
    if row is None:
        return
    period, data, terms, keys, counted = row
    old = story.Story.from_stored(data, None, terms)
    if counted:
        _cache(conn).count(old.keys.tolist(), -1)
    conn.executemany("DELETE FROM story_postings WHERE period = ? AND key = ? AND article_id = ?",
                     [(period, k, article_id) for k in json.loads(keys)])
    conn.execute("DELETE FROM story_docs WHERE article_id = ?", (article_id,))


PROBES_PER_QUERY = 450         # (period, key) look-ups per statement (SQLite allows 500 compound selects)


@functools.lru_cache(maxsize=64)
def _postings_sql(probes: int, ranked: bool) -> str:
    """Votes per article over ``probes`` look-ups (each the key's newest ``KEY_POSTINGS`` in one period);
    ``ranked``: only the ``MAX_COMPARE`` best with ``MIN_SHARED_KEYS`` votes, most first."""
    one = "SELECT * FROM (SELECT article_id FROM story_postings WHERE period = ? AND key = ? " \
          f"ORDER BY article_id DESC LIMIT {KEY_POSTINGS})"
    tail = f" HAVING n >= {MIN_SHARED_KEYS} ORDER BY n DESC, article_id LIMIT {MAX_COMPARE}" if ranked else ""
    return (f"SELECT article_id, COUNT(*) AS n FROM ({' UNION ALL '.join([one] * probes)}) "
            f"WHERE article_id != ? AND article_id < ? GROUP BY article_id{tail}")


def candidates(conn: sqlite3.Connection, article_id: int, keys: Sequence[int], when: str | None,
               before: int | None = None) -> list[int]:
    """Articles sharing at least ``MIN_SHARED_KEYS`` keys within the window, most shared first, capped
    (with ``before``, only articles with a smaller id)."""
    probes = [(p, k) for p in dedupe.periods_within(when, WINDOW_DAYS, PERIOD_DAYS) for k in keys]
    limit = before if before is not None else 1 << 62
    if len(probes) <= PROBES_PER_QUERY:
        return [other for other, _n in conn.execute(
            _postings_sql(len(probes), True), [*(x for probe in probes for x in probe), article_id, limit])]
    votes: Counter[int] = Counter()
    for start in range(0, len(probes), PROBES_PER_QUERY):
        part = probes[start:start + PROBES_PER_QUERY]
        votes.update(dict(conn.execute(_postings_sql(len(part), False),
                                       [*(x for probe in part for x in probe), article_id, limit])))
    ranked = sorted((n, -other) for other, n in votes.items() if n >= MIN_SHARED_KEYS)
    return [-neg for _n, neg in reversed(ranked[-MAX_COMPARE:])]


@dataclass
class Member:
    article_id: int
    source: str
    cluster_id: int
    story: story.Story
    when: str | None = None          # published, else first seen


def load_members(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Member]:
    ids = sorted(set(ids))
    out: dict[int, Member] = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for aid, source, cluster, data, terms, shingles, when in conn.execute(
                f"SELECT a.id, a.source, a.cluster_id, d.story, d.terms, d.shingles, "
                f"COALESCE(a.published_at, a.first_seen_at) "
                f"FROM articles a JOIN story_docs d ON d.article_id = a.id "
                f"WHERE a.id IN ({','.join('?' * len(part))})", part):
            out[aid] = Member(aid, source, cluster if cluster is not None else aid,
                              story.Story.from_stored(data, shingles, terms), when)
    return out


def _cluster_members(conn: sqlite3.Connection, clusters: Iterable[int],
                     before: int | None) -> tuple[dict[int, list[int]], dict[int, int]]:
    """The first ``MEMBERS_COMPARED`` member ids of each cluster and each cluster's size (with ``before``,
    of its members with a smaller id)."""
    limit = before if before is not None else 1 << 62
    firsts: dict[int, list[int]] = {}
    sizes: dict[int, int] = {}
    for c in clusters:
        firsts[c] = [r[0] for r in conn.execute(
            "SELECT id FROM articles WHERE cluster_id = ? AND id < ? ORDER BY id LIMIT ?", (c, limit, MEMBERS_COMPARED))]
        sizes[c] = len(firsts[c]) if len(firsts[c]) < MEMBERS_COMPARED else conn.execute(
            "SELECT COUNT(*) FROM articles WHERE cluster_id = ? AND id < ?", (c, limit)).fetchone()[0]
    return firsts, sizes


def matching_clusters(conn: sqlite3.Connection, article_id: int, source: str, s: story.Story,
                      when: str | None, *, before: int | None = None, df: story.DocFreq | None = None,
                      keys: Sequence[int] | None = None) -> list[int]:
    """The clusters the article joins, best first (see :func:`storage.story.choose_clusters`); with
    ``before``, only articles with a smaller id are looked at (``kabar recluster``). ``df``: the document
    frequencies of the article's words when the caller has them."""
    if keys is None:
        keys = retrieval_keys(s, df or doc_freq(conn, [s]))
    found = candidates(conn, article_id, keys, when, before)
    if not found:
        return []
    cands = load_members(conn, found)
    firsts, sizes = _cluster_members(conn, {m.cluster_id for m in cands.values()}, before)
    members = {**load_members(conn, {i for ids in firsts.values() for i in ids} - set(cands)), **cands}
    members.pop(article_id, None)
    df = doc_freq(conn, [s, *(m.story for m in members.values())])
    links: dict[int, list[story.Link]] = {}
    for m in members.values():
        c = story.compare(s, m.story, df, dedupe.days_apart(when, m.when))
        links.setdefault(m.cluster_id, []).append(
            story.Link(m.article_id, story.similarity(c), story.same_story(c, same_source=m.source == source)))
    memo: dict[tuple[int, int], bool] = {}

    def alike(a: int, b: int) -> bool:
        key = (min(a, b), max(a, b))
        if key not in memo:
            ma, mb = members[a], members[b]
            c = story.compare(ma.story, mb.story, df, dedupe.days_apart(ma.when, mb.when))
            memo[key] = story.same_story(c, same_source=ma.source == mb.source)
        return memo[key]

    return story.choose_clusters(links, sizes, alike)


def explain(conn: sqlite3.Connection, article_id: int) -> dict[str, Any] | None:
    """One story: its members (outlet, URL, published and first-seen times, the earliest marked) and why each
    is there: its best match among the members before it (score, shared names, numbers, quotes). None when the
    article is unknown."""
    row = conn.execute("SELECT cluster_id FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return None
    cluster = row[0] if row[0] is not None else article_id
    rows = conn.execute("SELECT id, source, url, title, published_at, first_seen_at FROM articles "
                        "WHERE cluster_id = ? OR id = ? ORDER BY id LIMIT ?",
                        (cluster, article_id, EXPLAIN_MEMBERS)).fetchall()
    stories = load_members(conn, [r[0] for r in rows])
    df = doc_freq(conn, [m.story for m in stories.values()])
    earliest = min(rows, key=lambda r: (r[4] or r[5] or "", r[0]))[0]
    out = []
    for n, (aid, source, url, title, published, seen) in enumerate(rows):
        entry: dict[str, Any] = {"id": aid, "outlet": source, "url": url, "title": title,
                                 "published_at": published, "first_seen_at": seen, "earliest": aid == earliest}
        best = _best_match(stories.get(aid), [stories[r[0]] for r in rows[:n] if r[0] in stories], df)
        if best is not None:
            entry["joined"] = {"with": best[0], "copy": story.is_copy(best[1]), **best[1].as_dict()}
        out.append(entry)
    return {"cluster_id": cluster, "article_id": article_id, "size": len(out), "members": out,
            "threshold": story.WEIGHTS.threshold}


def _best_match(mine: Member | None, earlier: Sequence[Member],
                df: story.DocFreq) -> tuple[int, story.Comparison] | None:
    """The earlier member most like ``mine`` and the comparison (None for the first member)."""
    best: tuple[int, story.Comparison] | None = None
    if mine is None:
        return None
    for other in earlier:
        c = story.compare(mine.story, other.story, df, dedupe.days_apart(mine.when, other.when))
        if best is None or c.score > best[1].score:
            best = (other.article_id, c)
    return best
