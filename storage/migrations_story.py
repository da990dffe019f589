"""Migration 0014: the story model's tables (storage/story.py, storage/story_store.py).

One story per article (``story_docs``), document frequencies that grow with the archive (``story_terms``),
candidate postings per period (``story_postings``), per-source template lines (``source_lines``) and the
progress of an interrupted ``kabar recluster`` (``story_state``). The tables of the earlier MinHash index
(``story_features``, ``story_index``) are no longer kept and are dropped. Existing articles get their stories
here; their clusters stay as they are until ``kabar recluster`` applies the model to them.

The DDL is this migration's own (a later change to the tables is a later migration); storage/migrations.py runs
it and indexes the existing articles. ``IF NOT EXISTS``: a database whose tables were made ahead of the
migration (the upgrade tests write one) keeps them.
"""

from __future__ import annotations

SCHEMA_0014 = """
CREATE TABLE IF NOT EXISTS story_docs (
    article_id INTEGER PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    period INTEGER NOT NULL,     -- storage.story_store.period_of() the article (its postings' period)
    story TEXT NOT NULL,         -- storage.story.Story.to_json(): numbers, names, quotes, the title's numbers
    terms BLOB,                  -- its content words: keys (int64) then counts (uint16), little-endian
    shingles BLOB,               -- word 3-gram hashes (top 32 bits), uint32 little-endian, sorted
    keys TEXT NOT NULL,          -- JSON list of its story_postings keys
    counted INTEGER NOT NULL     -- 1: counted in story_terms (every article until DF_FULL, then a sample)
);
CREATE TABLE IF NOT EXISTS story_terms (
    key INTEGER PRIMARY KEY,     -- storage.story.term_key(word); 0: the number of documents
    df INTEGER NOT NULL          -- documents (story_docs rows) holding the word
);
CREATE TABLE IF NOT EXISTS story_postings (
    period INTEGER NOT NULL,
    key INTEGER NOT NULL,        -- a retrieval key (storage.story_store.retrieval_keys)
    article_id INTEGER NOT NULL,
    PRIMARY KEY (period, key, article_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source_lines (
    source TEXT NOT NULL,
    key INTEGER NOT NULL,        -- storage.templates.line_key() of a line; 0: the source's articles counted
    articles INTEGER NOT NULL,   -- the source's articles carrying it (>= 2: a template line)
    PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_state (
    name TEXT PRIMARY KEY,       -- e.g. 'recluster': the progress of an interrupted kabar recluster
    value TEXT NOT NULL
);
DROP TABLE IF EXISTS story_features;
DROP TABLE IF EXISTS story_index;
"""
