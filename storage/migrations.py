"""The database schema as a list of named sqlite-utils migrations.

Each migration is applied once, in order, and recorded in ``_sqlite_migrations`` (sqlite-utils'
``Migrations`` table); opening an older database applies the missing ones, applying twice is a no-op. Never
edit a migration that has shipped: add a new one. The public tables are those of SPEC.md; the
``story_features``/``minhash_bands``/``story_keys`` tables are the story-cluster index (internal, rebuilt
from ``articles`` by nothing else, documented in the README).
"""

from __future__ import annotations

import logging
import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from storage.errors import StorageError

logger = logging.getLogger(__name__)

MIGRATION_SET = "kabar"  # storage.store.MIGRATION_SET / SCHEMA_MIGRATIONS mirror these for readers
migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_core_tables")
def _core_tables(db: Database) -> None:
    db.executescript("""
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    created_at TEXT,
    last_run_at TEXT,
    next_run_at TEXT,
    last_status TEXT,            -- a runs.status value
    interval_s INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    title TEXT,
    published_at TEXT,
    modified_at TEXT,
    authors TEXT,                -- JSON array
    section TEXT,
    tags TEXT,                   -- JSON array
    lang TEXT,
    image TEXT,
    dateline TEXT,
    text TEXT,
    content_hash TEXT NOT NULL,
    cluster_id INTEGER,          -- id of the first article of the story
    revision INTEGER NOT NULL DEFAULT 1,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX articles_latest ON articles (published_at DESC, first_seen_at DESC);
CREATE INDEX articles_source_latest ON articles (source, published_at DESC, first_seen_at DESC);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_cluster ON articles (cluster_id);

CREATE TABLE segments (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    headline TEXT,
    text TEXT NOT NULL,          -- the paragraphs, one per line
    PRIMARY KEY (article_id, position)
);

CREATE TABLE article_urls (
    url TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX article_urls_article ON article_urls (article_id);

CREATE TABLE article_revisions (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    seen_at TEXT NOT NULL,       -- when this version was last seen
    title TEXT,
    text TEXT,
    content_hash TEXT NOT NULL,
    PRIMARY KEY (article_id, revision)
);

CREATE TABLE pages (
    url TEXT PRIMARY KEY,
    source TEXT,
    status INTEGER,              -- last HTTP status, NULL when none came back
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    fetched_at TEXT,
    error TEXT                   -- reason of the last failure or skip
);
CREATE INDEX pages_errors ON pages (fetched_at DESC) WHERE error IS NOT NULL;

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',  -- running | ok | failed | interrupted
    discovered INTEGER NOT NULL DEFAULT 0,
    fetched INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    duplicate INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error TEXT                   -- why a run failed or was interrupted (kabar extension)
);
CREATE INDEX runs_source_started ON runs (source, started_at DESC);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';
""")


@migrations(name="0002_articles_fts")
def _articles_fts(db: Database) -> None:
    # External-content FTS5 index over articles(title, text). The update trigger fires only when the
    # indexed columns change, so touching last_seen_at costs no FTS work.
    db.executescript("""
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, text, content="articles", content_rowid="id", tokenize="unicode61 remove_diacritics 2"
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');
""")


@migrations(name="0003_story_clusters")
def _story_clusters(db: Database) -> None:
    # The near-duplicate index (see storage/dedupe.py): one MinHash signature and feature set per article,
    # its LSH band buckets, and rare-token keys (numbers, names, quotes) for spun rewrites. Articles stored
    # before this migration keep their own cluster and are simply not candidates for later matches.
    db.executescript("""
CREATE TABLE story_features (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    signature BLOB,              -- MinHash signature, uint32 little-endian
    features TEXT NOT NULL       -- JSON: shingle count, numbers, names, name pairs, title words, quotes, period
);
CREATE TABLE minhash_bands (
    band INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (band, bucket, article_id)
) WITHOUT ROWID;
CREATE TABLE story_keys (
    key INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
UPDATE articles SET cluster_id = id WHERE cluster_id IS NULL;
""")


@migrations(name="0004_stories_view")
def _stories_view(db: Database) -> None:
    # One row per story, represented by its first (lowest id = cluster_id) article.
    db.executescript("""
CREATE VIEW stories AS
SELECT
    c.cluster_id AS cluster_id,
    a.id AS article_id,
    a.title AS title,
    a.published_at AS published_at,
    a.first_seen_at AS first_seen_at,
    c.copies AS copies,
    c.sources AS sources
FROM (
    SELECT cluster_id, MIN(id) AS first_id, COUNT(*) AS copies,
           (SELECT group_concat(source, ',') FROM (
                SELECT DISTINCT x.source FROM articles x WHERE x.cluster_id = g.cluster_id ORDER BY x.source
           )) AS sources
    FROM articles g
    GROUP BY cluster_id
) c
JOIN articles a ON a.id = c.first_id;
""")


@migrations(name="0005_daemon_heartbeat")
def _daemon_heartbeat(db: Database) -> None:
    # One row (id = 1) rewritten by `kabar daemon` every heartbeat interval; `kabar stats --health` reads it.
    db.executescript("""
CREATE TABLE daemon_heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    host TEXT,
    state TEXT NOT NULL,         -- running | stopping | stopped
    started_at TEXT NOT NULL,
    beat_at TEXT NOT NULL,
    interval_s REAL NOT NULL,    -- seconds between beats
    running TEXT                 -- comma-separated sources crawling at the last beat
);
""")


@migrations(name="0006_cluster_index_by_period")
def _cluster_index_by_period(db: Database) -> None:
    # Rare keys are indexed under (period, key): the index grows at its recent end, so writes stay in hot
    # pages and look-ups name the periods they search. LSH uses 16 bands (half the writes of 32; copies the
    # bands miss are still proposed by their shared facts). Rebuilt from story_features, no text re-read.
    from storage import dedupe

    db.executescript("""
DROP TABLE story_keys;
DROP TABLE minhash_bands;
CREATE TABLE minhash_bands (
    band INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (band, bucket, article_id)
) WITHOUT ROWID;
CREATE TABLE story_keys (
    period INTEGER NOT NULL,     -- storage.dedupe.time_bucket() of the article
    key INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    PRIMARY KEY (period, key, article_id)
) WITHOUT ROWID;
""")
    for article_id, signature, features in db.execute(
            "SELECT article_id, signature, features FROM story_features").fetchall():
        feats = dedupe.StoryFeatures.from_stored(signature, features)
        db.conn.executemany("INSERT OR IGNORE INTO minhash_bands (band, bucket, article_id) VALUES (?, ?, ?)",
                            [(band, bucket, article_id) for band, bucket in enumerate(feats.buckets())])
        db.conn.executemany("INSERT OR IGNORE INTO story_keys (period, key, article_id) VALUES (?, ?, ?)",
                            [(feats.period, key, article_id) for key in feats.keys()])


@migrations(name="0007_story_index")
def _story_index(db: Database) -> None:
    # One index for both kinds of candidate look-up, keyed (period, key): LSH band buckets (even keys) and
    # rare-fact keys (odd keys), so proposing candidates is one primary-key probe and indexing an article
    # one insert. Band buckets are now under their article's period too: a bucket is a random number, so
    # without the period every new article dirtied 16 random pages of a table growing with the archive.
    # FTS5 automerge 8 (default 4): half the segment merging on insert, at a small cost to searches.
    from storage import dedupe

    db.executescript("""
DROP TABLE minhash_bands;
DROP TABLE story_keys;
CREATE TABLE story_index (
    period INTEGER NOT NULL,     -- storage.dedupe.time_bucket() of the article
    key INTEGER NOT NULL,        -- even: an LSH band bucket; odd: a rare fact (storage.dedupe.index_keys)
    article_id INTEGER NOT NULL,
    PRIMARY KEY (period, key, article_id)
) WITHOUT ROWID;
INSERT INTO articles_fts (articles_fts, rank) VALUES ('automerge', 8);
""")
    for article_id, signature, features in db.execute(
            "SELECT article_id, signature, features FROM story_features").fetchall():
        feats = dedupe.StoryFeatures.from_stored(signature, features)
        db.conn.executemany("INSERT OR IGNORE INTO story_index (period, key, article_id) VALUES (?, ?, ?)",
                            [(feats.period, key, article_id) for key in feats.index_keys()])



def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Execute ``script`` statement by statement inside the open transaction (``executescript`` would
    commit it first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement[:80]!r}")


# sqlite-utils' trigger names and its quoting of the FTS table (``disable-fts`` drops the triggers that
# write ``[articles_fts]``), with kabar's ``AFTER UPDATE OF title, text``: touching last_seen_at costs no
# FTS work. Created only while articles_fts exists.
FTS_TRIGGERS = """
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO [articles_fts] (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO [articles_fts] ([articles_fts], rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO [articles_fts] ([articles_fts], rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO [articles_fts] (rowid, title, text) VALUES (new.id, new.title, new.text);
END;
"""


@migrations(name="0008_foreign_keys_and_fts_triggers")
def _foreign_keys_and_fts_triggers(db: Database) -> None:
    # Declared foreign keys (Datasette links them, sqlite-utils lists them): articles.source, runs.source,
    # pages.source -> sources.name and articles.cluster_id -> articles.id. SQLite cannot add a constraint
    # to a table, so the three tables are rebuilt (same columns, same ids: the FTS rowids stay valid). The
    # data is made to satisfy them first, and triggers keep it so: a row naming an unknown source adds it
    # to sources; deleting a story's first article hands the story to its next article. The FTS triggers
    # get sqlite-utils' names and quoting (see FTS_TRIGGERS). migrate() runs this with
    # foreign_keys off; kabar's connections turn it on again afterwards.
    conn: sqlite3.Connection = db.conn
    has_fts = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles_fts'").fetchone() is not None
    _run_script(conn, """
INSERT OR IGNORE INTO sources (name, created_at) SELECT source, MIN(first_seen_at) FROM articles GROUP BY source;
INSERT OR IGNORE INTO sources (name, created_at) SELECT source, MIN(started_at) FROM runs GROUP BY source;
INSERT OR IGNORE INTO sources (name, created_at)
    SELECT source, MIN(fetched_at) FROM pages WHERE source IS NOT NULL GROUP BY source;
UPDATE articles SET cluster_id = id WHERE cluster_id IS NULL;
CREATE TEMP TABLE kabar_orphan_clusters AS
    SELECT cluster_id AS old, MIN(id) AS new FROM articles
    WHERE cluster_id NOT IN (SELECT id FROM articles) GROUP BY cluster_id;
UPDATE articles SET cluster_id = (SELECT new FROM temp.kabar_orphan_clusters WHERE old = articles.cluster_id)
    WHERE cluster_id IN (SELECT old FROM temp.kabar_orphan_clusters);
DROP TABLE temp.kabar_orphan_clusters;
PRAGMA legacy_alter_table = ON;
ALTER TABLE articles RENAME TO kabar_old_articles;
ALTER TABLE runs RENAME TO kabar_old_runs;
ALTER TABLE pages RENAME TO kabar_old_pages;
PRAGMA legacy_alter_table = OFF;
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL REFERENCES sources (name),
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    title TEXT,
    published_at TEXT,
    modified_at TEXT,
    authors TEXT,                -- JSON array
    section TEXT,
    tags TEXT,                   -- JSON array
    lang TEXT,
    image TEXT,
    dateline TEXT,
    text TEXT,
    content_hash TEXT NOT NULL,
    cluster_id INTEGER REFERENCES articles (id),  -- id of the first article of the story
    revision INTEGER NOT NULL DEFAULT 1,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
INSERT INTO articles SELECT id, source, url, canonical_url, title, published_at, modified_at, authors, section,
    tags, lang, image, dateline, text, content_hash, cluster_id, revision, first_seen_at, last_seen_at
    FROM kabar_old_articles ORDER BY id;
DROP TABLE kabar_old_articles;
CREATE INDEX articles_latest ON articles (published_at DESC, first_seen_at DESC);
CREATE INDEX articles_source_latest ON articles (source, published_at DESC, first_seen_at DESC);
CREATE INDEX articles_content_hash ON articles (content_hash);
CREATE INDEX articles_cluster ON articles (cluster_id);

CREATE TABLE pages (
    url TEXT PRIMARY KEY,
    source TEXT REFERENCES sources (name),
    status INTEGER,              -- last HTTP status, NULL when none came back
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    fetched_at TEXT,
    error TEXT                   -- reason of the last failure or skip
);
INSERT INTO pages SELECT url, source, status, etag, last_modified, content_hash, fetched_at, error
    FROM kabar_old_pages ORDER BY rowid;
DROP TABLE kabar_old_pages;
CREATE INDEX pages_errors ON pages (fetched_at DESC) WHERE error IS NOT NULL;

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL REFERENCES sources (name),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',  -- running | ok | failed | interrupted
    discovered INTEGER NOT NULL DEFAULT 0,
    fetched INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    duplicate INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    error TEXT                   -- why a run failed or was interrupted (kabar extension)
);
INSERT INTO runs SELECT id, source, started_at, finished_at, status, discovered, fetched, new, updated, unchanged,
    duplicate, skipped, failed, error FROM kabar_old_runs ORDER BY id;
DROP TABLE kabar_old_runs;
CREATE INDEX runs_source_started ON runs (source, started_at DESC);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TRIGGER articles_source BEFORE INSERT ON articles BEGIN
    INSERT INTO sources (name, created_at) SELECT new.source, new.first_seen_at
        WHERE NOT EXISTS (SELECT 1 FROM sources WHERE name = new.source);
END;
CREATE TRIGGER articles_source_update BEFORE UPDATE OF source ON articles BEGIN
    INSERT INTO sources (name, created_at) SELECT new.source, new.last_seen_at
        WHERE NOT EXISTS (SELECT 1 FROM sources WHERE name = new.source);
END;
CREATE TRIGGER articles_cluster_ad AFTER DELETE ON articles BEGIN
    UPDATE articles SET cluster_id = (SELECT MIN(id) FROM articles WHERE cluster_id = old.id)
        WHERE cluster_id = old.id;
END;
CREATE TRIGGER runs_source BEFORE INSERT ON runs BEGIN
    INSERT INTO sources (name, created_at) SELECT new.source, new.started_at
        WHERE NOT EXISTS (SELECT 1 FROM sources WHERE name = new.source);
END;
CREATE TRIGGER pages_source BEFORE INSERT ON pages WHEN new.source IS NOT NULL BEGIN
    INSERT INTO sources (name, created_at) SELECT new.source, new.fetched_at
        WHERE NOT EXISTS (SELECT 1 FROM sources WHERE name = new.source);
END;
CREATE TRIGGER pages_source_update BEFORE UPDATE OF source ON pages WHEN new.source IS NOT NULL BEGIN
    INSERT INTO sources (name, created_at) SELECT new.source, new.fetched_at
        WHERE NOT EXISTS (SELECT 1 FROM sources WHERE name = new.source);
END;
""")
    if has_fts:
        _run_script(conn, FTS_TRIGGERS)


@migrations(name="0009_canonical_url_keys")
def _canonical_url_keys(db: Database) -> None:
    # Keys from storage.urls.canonical_url with IDNA 2008 hosts and w3lib's percent-encoding and dot
    # segments: every key and URL form recomputed, articles now sharing a key merged (see
    # storage/migrations_rekey.py for what is kept).
    from storage.migrations_rekey import rekey

    rekey(db.conn)


@migrations(name="0010_run_owner")
def _run_owner(db: Database) -> None:
    # The process that runs (ran) each crawl, as `pid@host` (storage.lock.this_owner): recovery marks
    # `interrupted` only the `running` rows whose owner is dead, never a live process's run.
    db.execute("ALTER TABLE runs ADD COLUMN owner TEXT")


@migrations(name="0011_page_gone")
def _page_gone(db: Database) -> None:
    # page_gone: URLs whose last answers were 404/410, with how many in a row, kept by triggers on pages
    # (any other answer deletes the row; no answer at all, status NULL, leaves it). An article URL with
    # http.gone_after of them is gone: not fetched again until its sitemap lastmod is newer than the last
    # of them. A page whose last answer was a 404/410 starts at 1.
    count = """
    UPDATE page_gone SET answers = answers + 1, last_at = new.fetched_at WHERE url = new.url;
    INSERT INTO page_gone (url, answers, last_at) SELECT new.url, 1, new.fetched_at
        WHERE NOT EXISTS (SELECT 1 FROM page_gone WHERE url = new.url);"""
    # (an INSERT OR REPLACE in a trigger would take the outer upsert's conflict policy and fail)
    _run_script(db.conn, f"""
CREATE TABLE page_gone (
    url TEXT PRIMARY KEY REFERENCES pages (url) ON DELETE CASCADE ON UPDATE CASCADE,
    answers INTEGER NOT NULL,    -- consecutive 404/410 answers
    last_at TEXT                 -- pages.fetched_at of the last of them
);
INSERT INTO page_gone (url, answers, last_at) SELECT url, 1, fetched_at FROM pages WHERE status IN (404, 410);
CREATE TRIGGER page_gone_ai AFTER INSERT ON pages WHEN new.status IN (404, 410) BEGIN{count}
END;
CREATE TRIGGER page_gone_au AFTER UPDATE OF status, fetched_at ON pages WHEN new.status IN (404, 410) BEGIN{count}
END;
CREATE TRIGGER page_gone_reset AFTER UPDATE OF status, fetched_at ON pages
    WHEN new.status IS NOT NULL AND new.status NOT IN (404, 410) BEGIN
    DELETE FROM page_gone WHERE url = new.url;
END;
""")


@migrations(name="0012_removed_blocks")
def _removed_blocks(db: Database) -> None:
    # The blocks the cleaner took out of each article (SPEC.md's removed kinds: ad, related, share, ...), in
    # page order, replaced with the article's segments. Not part of the content hash. Filled from this
    # release on: older articles have none.
    db.executescript("""
CREATE TABLE removed_blocks (
    article_id INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);
""")


@migrations(name="0013_story_table")
def _story_table(db: Database) -> None:
    # The web view's story list walks articles newest first and keeps the first row of each cluster it
    # meets, so it reads a few index entries per story instead of grouping the archive on every request
    # (the stories view: ~280 ms at 100,000 articles). These indexes carry cluster_id, so the walk never
    # touches the table; the section filter has its own. The sources page counts each source's articles
    # per day stored (first_seen_at) along its own index.
    db.executescript("""
CREATE INDEX articles_latest_story ON articles (published_at DESC, first_seen_at DESC, id DESC, cluster_id);
CREATE INDEX articles_source_story ON articles (source, published_at DESC, first_seen_at DESC, id DESC, cluster_id);
CREATE INDEX articles_section_story ON articles (section, published_at DESC, first_seen_at DESC, id DESC, cluster_id);
CREATE INDEX articles_source_seen ON articles (source, first_seen_at);
""")


@migrations(name="0014_story_model")
def _story_model(db: Database) -> None:
    # The story model (storage/story.py): its tables, the old MinHash index dropped, every article's story
    # computed (clusters unchanged until `kabar recluster`); see storage/migrations_story.py.
    from storage.migrations_story import SCHEMA_0014
    from storage.recluster import index_existing

    _run_script(db.conn, SCHEMA_0014)
    index_existing(db.conn)


@migrations(name="0015_drop_prefix_indexes")
def _drop_prefix_indexes(db: Database) -> None:
    # articles_latest and articles_source_latest are prefixes of 0013's articles_latest_story and
    # articles_source_story: every query they served is served by those as well, and each index is one more
    # B-tree insert per stored article (bench/store.py: the write path's cost beside the bare loop).
    db.executescript("""
DROP INDEX IF EXISTS articles_latest;
DROP INDEX IF EXISTS articles_source_latest;
""")


def known() -> list[str]:
    """The names of this release's migrations, in order."""
    return [m.name for m in migrations.pending(Database(memory=True))]


def unknown_applied(db: Database) -> list[str]:
    """Migrations recorded in the database that this release does not know (a newer kabar wrote it)."""
    if not db.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlite_migrations'"
                           ).fetchone():
        return []
    names = set(known())
    return [name for (name,) in db.conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid", (MIGRATION_SET,))
        if name not in names]


def check_known(db: Database) -> None:
    """Raise :class:`StorageError` when the database has a migration this release does not know: writing it
    with an older schema's rules could corrupt it. Reading it (``Store.open(readonly=True)``) is allowed."""
    unknown = unknown_applied(db)
    if unknown:
        row = db.conn.execute("PRAGMA database_list").fetchone()
        path = (row[2] if row else "") or ":memory:"
        raise StorageError(f"{path}: written by a newer kabar (unknown migration {', '.join(unknown)}); "
                           "refusing to write it: upgrade kabar (query commands can still read it)")


def pending(db: Database) -> list[str]:
    """Names of the migrations not yet applied (read-only)."""
    return [m.name for m in migrations.pending(db)]


def migrate(db: Database) -> list[str]:
    """Apply the pending migrations under one write lock; returns the names applied.

    Refuses (:class:`StorageError`) a database with a migration this release does not know. ``BEGIN
    IMMEDIATE`` serialises two processes opening a new database at once: the second waits (busy timeout),
    then finds nothing pending. Foreign keys are not enforced while migrating (table rebuilds must not
    cascade) and restored afterwards. The connection must be in autocommit mode (``isolation_level=None``).
    """
    check_known(db)
    todo = pending(db)
    if not todo:
        return []
    conn: sqlite3.Connection = db.conn
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            check_known(db)
            todo = pending(db)
            migrations.apply(db)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
    if todo:
        logger.info("database migrated: %s", ", ".join(todo))
    return todo
