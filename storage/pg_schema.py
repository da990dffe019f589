"""kabar's own PostgreSQL tables (beside procrastinate's queue schema) and their creation.

::

    kabar_schema       one row: the version of these tables
    kabar_runs         one row per requested run of a source ("run key"); at most one ``open`` per source
    kabar_attempts     each attempt of a run (a job retried after a lost worker is a new attempt): its
                       SQLite ``runs.id`` and the counts the writer tallied so far
    kabar_results      the workers' results waiting for the writer, in ``id`` order per attempt
    kabar_known        article URLs (and their forms) the archive knows: ``(article_id, first_seen_at)``
    kabar_pages        the fetch state of each URL (validators, hash, consecutive 404/410 answers)
    kabar_robots       robots.txt answers (2xx, 3xx, 4xx) shared by the workers for a day
    kabar_hosts        per host:port: last request start across all workers and the largest delay asked
    kabar_host_leases  requests in flight per host (expire on their own when a worker dies)
    kabar_workers      each worker process: heartbeat and the source it crawls

Every statement is idempotent (``IF NOT EXISTS``): :func:`init_schema` creates or completes the tables.
"""

from __future__ import annotations

from typing import Any

import psycopg

from storage.pg_conn import NotInitialisedError

SCHEMA_VERSION = 1

_DDL = """
CREATE TABLE IF NOT EXISTS kabar_schema (version integer NOT NULL);
CREATE TABLE IF NOT EXISTS kabar_runs (
    run_key text PRIMARY KEY,
    source text NOT NULL,
    requested_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    job_id bigint,
    attempts integer NOT NULL DEFAULT 0,
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'written')),
    summary jsonb,
    written_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS kabar_runs_one_open ON kabar_runs (source) WHERE state = 'open';
CREATE TABLE IF NOT EXISTS kabar_attempts (
    run_key text NOT NULL REFERENCES kabar_runs (run_key) ON DELETE CASCADE,
    attempt integer NOT NULL,
    run_id bigint,
    counts jsonb NOT NULL DEFAULT '{}',
    finished boolean NOT NULL DEFAULT false,
    PRIMARY KEY (run_key, attempt)
);
CREATE TABLE IF NOT EXISTS kabar_results (
    id bigserial PRIMARY KEY,
    run_key text NOT NULL,
    attempt integer NOT NULL,
    kind text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS kabar_known (
    url text PRIMARY KEY,
    article_id bigint NOT NULL,
    first_seen_at text NOT NULL
);
CREATE TABLE IF NOT EXISTS kabar_pages (
    url text PRIMARY KEY,
    source text NOT NULL,
    status integer,
    etag text,
    last_modified text,
    content_hash text,
    fetched_at text,
    error text,
    gone_answers integer NOT NULL DEFAULT 0,
    gone_last_at text
);
CREATE INDEX IF NOT EXISTS kabar_pages_source ON kabar_pages (source);
CREATE TABLE IF NOT EXISTS kabar_robots (
    url text PRIMARY KEY,
    status integer NOT NULL,
    body bytea NOT NULL,
    location text,
    fetched_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE IF NOT EXISTS kabar_hosts (
    host text PRIMARY KEY,
    last_start timestamptz,
    delay double precision NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS kabar_host_leases (
    token text PRIMARY KEY,
    host text NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS kabar_host_leases_host ON kabar_host_leases (host);
CREATE TABLE IF NOT EXISTS kabar_workers (
    name text PRIMARY KEY,
    hostname text NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    state text NOT NULL DEFAULT 'running',
    source text,
    run_key text
);
"""


def queue_schema_present(conn: psycopg.Connection[Any]) -> bool:
    """Whether procrastinate's queue schema is installed."""
    row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
    return bool(row and row[0])


def kabar_version(conn: psycopg.Connection[Any]) -> int | None:
    """The version of kabar's tables, None when they are missing."""
    row = conn.execute("SELECT to_regclass('kabar_schema') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return None
    got = conn.execute("SELECT max(version) FROM kabar_schema").fetchone()
    return int(got[0]) if got and got[0] is not None else None


def init_schema(conn: psycopg.Connection[Any]) -> bool:
    """Create or complete kabar's tables in one transaction (serialised by an advisory lock); True when
    they were missing or older."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('kabar cluster init'))")
        before = kabar_version(conn)
        conn.execute(_DDL)
        if before is None:
            conn.execute("INSERT INTO kabar_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        elif before < SCHEMA_VERSION:
            conn.execute("UPDATE kabar_schema SET version = %s", (SCHEMA_VERSION,))
    return before is None or before < SCHEMA_VERSION


def require_schema(conn: psycopg.Connection[Any]) -> None:
    """:class:`NotInitialisedError` unless both the queue schema and kabar's tables are there."""
    version = kabar_version(conn)
    if not queue_schema_present(conn) or version is None:
        raise NotInitialisedError("the cluster's PostgreSQL database is not initialised: run `kabar cluster init`")
    if version < SCHEMA_VERSION:
        raise NotInitialisedError(f"the cluster's kabar tables are version {version}, this kabar needs "
                                  f"{SCHEMA_VERSION}: run `kabar cluster init`")
