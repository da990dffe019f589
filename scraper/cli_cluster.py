"""``kabar cluster init`` and ``kabar worker``: the commands of a cluster (``[cluster] dsn``)."""

from __future__ import annotations

import logging

import click

from scraper.context import AppContext, pass_app
from scraper.errors import UsageError


def require_dsn(app: AppContext) -> str:
    """The cluster's DSN; a usage error (exit 2) when none is configured."""
    from scraper.cluster import cluster_dsn

    dsn = cluster_dsn(app.config)
    if dsn is None:
        raise UsageError("no cluster configured: set dsn in a [cluster] table of config.toml "
                         "(postgresql://USER@HOST:PORT/DB) or KABAR_CLUSTER_DSN")
    return dsn


@click.group("cluster")
def cluster_cmd() -> None:
    """The PostgreSQL side of a cluster of crawl workers ([cluster] dsn or KABAR_CLUSTER_DSN)."""


@cluster_cmd.command("init")
@pass_app
def init_cmd(app: AppContext) -> int:
    """Create or upgrade the queue schema and kabar's own tables in PostgreSQL; safe to run again."""
    from scraper.cluster.app import init_cluster

    done = init_cluster(require_dsn(app))
    click.echo(f"cluster ready: queue schema {done['queue_schema']}, kabar tables {done['kabar_tables']}")
    return 0


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(min=1, max=256), default=1, show_default=True,
              help="Sources this worker crawls at once.")
@pass_app
def worker_cmd(app: AppContext, concurrency: int) -> int:
    """Run crawl jobs from the cluster's queue until SIGTERM or SIGINT.

    A worker never opens the SQLite archive: results go to the writer (`kabar daemon`) through
    PostgreSQL. On SIGTERM/SIGINT the runs in hand stop and go back to the queue for another worker; a
    second signal exits at once with 130.
    """
    from scraper.cluster.worker import run_worker

    dsn = require_dsn(app)
    if app.verbosity == 0:
        logging.getLogger("scraper.cluster").setLevel(logging.INFO)
    return run_worker(app.config, dsn, concurrency=concurrency)
