"""``kabar stats`` with ``[cluster]``: the workers (alive, current source, last heartbeat), the queue depth."""

from __future__ import annotations

import json

import click

from scraper.cluster.commands import stats

WORKER_COLUMNS = ("name", "alive", "state", "source", "heartbeat_at", "age_s")


def print_cluster(dsn: str, stall_timeout: float, fmt: str) -> None:
    """Print the cluster's state: one JSON line (``--format json``) or two small tables."""
    got = stats(dsn, stall_timeout)
    if fmt == "json":
        click.echo(json.dumps({"cluster": got}, ensure_ascii=False))
        return
    q = got["queue"]
    click.echo(f"\ncluster queue: {q['todo']} waiting, {q['doing']} running, {q['results']} results for the "
               f"writer, {len(got['open_runs'])} open run(s)")
    rows = [[str(w["name"]), "yes" if w["alive"] else "no", str(w["state"]), str(w["source"] or "-"),
             str(w["heartbeat_at"]), f"{w['age_s']:.0f}s ago"] for w in got["workers"]]
    if not rows:
        click.echo("workers: none seen")
        return
    table = [list(WORKER_COLUMNS[:-1]) + ["heartbeat_age"], *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    click.echo("workers:")
    for r in table:
        click.echo("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
