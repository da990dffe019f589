"""``kabar daemon [SOURCE...]``: run the sources on their schedules until SIGTERM/SIGINT."""

from __future__ import annotations

import logging

import click

from scraper.config import Config, load_config
from scraper.context import AppContext, pass_app
from scraper.crawl import exit_after_signal
from scraper.daemon import DEFAULT_HEARTBEAT_S, Daemon


@click.command("daemon")
@click.argument("sources", nargs=-1)
@click.option("--heartbeat", "heartbeat_s", type=click.FloatRange(min=0.1), default=DEFAULT_HEARTBEAT_S,
              show_default=True, metavar="SECONDS",
              help="Seconds between heartbeat writes; `kabar stats --health` fails after three missed beats.")
@pass_app
def daemon_cmd(app: AppContext, sources: tuple[str, ...], heartbeat_s: float) -> int:
    """Run every source (or the named ones) on its schedule until SIGTERM or SIGINT.

    Schedules come from config.toml (`schedule = "every 15m"` or a standard five-field `cron = "..."`,
    read in [daemon].timezone, per source; else [daemon].default_schedule); state (last/next run, current interval, failures) lives in the database, so
    a restart runs each overdue source once and waits for the others. SIGHUP reloads config.toml. The first
    SIGTERM/SIGINT lets in-flight writes finish within [daemon].stop_timeout and exits 0; a second one
    exits at once with 130. One daemon per database: a second one (or a `kabar crawl`) on the same
    database exits 1 naming this one. With [cluster] (or KABAR_CLUSTER_DSN) the runs become jobs for `kabar
    worker`s and this daemon writes their results: the only SQLite writer.
    """
    path = app.config.path

    def reload() -> Config:
        return load_config(path, explicit=True) if path else load_config(None)

    if app.verbosity == 0:
        # a daemon's default output is one line per run; -q keeps only errors, -v adds the rest
        logging.getLogger("scraper.daemon").setLevel(logging.INFO)
    from scraper.cluster import cluster_dsn

    dsn = cluster_dsn(app.config)
    if dsn is not None:     # [cluster]: runs become jobs for `kabar worker`s; this daemon is the writer
        from scraper.cluster.commands import make_daemon

        daemon, cluster = make_daemon(app.config, app.db_path, dsn, names=sources, reload_config=reload,
                                      heartbeat_s=heartbeat_s)
    else:
        daemon = Daemon(app.config, app.db_path, names=sources, reload_config=reload, heartbeat_s=heartbeat_s)
    code = daemon.run()
    if daemon.signalled:
        exit_after_signal(code)     # a second signal while Python shuts down must still mean 130
    return code
