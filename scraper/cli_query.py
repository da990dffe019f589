"""Query commands: ``kabar search``, ``latest``, ``export`` and ``stats`` (thin glue over storage.query).

They open the database read-only (``file:...?mode=ro``) and never migrate it, so they run safely next to a
crawl or the daemon. Output formats: ``table`` (aligned columns cut to the terminal width), ``json`` (JSON
Lines) and ``csv``.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any, TypeVar

import click

from scraper.context import AppContext, pass_app
from scraper.errors import KabarError
from storage.query import Filters, export_articles, latest, recent_errors, search, source_stats
from storage.store import Store
from storage.util import parse_since

F = TypeVar("F", bound=Callable[..., Any])

# Columns a table shows (JSON and CSV carry every field); the flexible ones shrink to fit the terminal.
SEARCH_COLUMNS = ("published", "sources", "copies", "title", "snippet")
SEARCH_ALL_COLUMNS = ("published", "source", "cluster_id", "title", "snippet")
LATEST_COLUMNS = ("published", "source", "id", "title", "url")
STATS_COLUMNS = ("source", "articles", "last_run_at", "next_run_at", "last_status", "interval_s",
                 "consecutive_failures", "last_error")
ERROR_COLUMNS = ("at", "source", "kind", "what", "status", "error")
FLEXIBLE = ("title", "snippet", "url", "error", "what", "sources", "last_error")
MIN_FLEX = 12


def common_options(*, default_limit: int | None = 20, formats: Sequence[str] = ("table", "json", "csv"),
                   default_format: str = "table") -> Callable[[F], F]:
    """--source (repeatable), --since, --limit, --format."""
    def decorate(func: F) -> F:
        func = click.option("--format", "fmt", type=click.Choice(list(formats)), default=default_format,
                            show_default=True, help="Output format (json = JSON Lines).")(func)
        func = click.option("--limit", type=click.IntRange(min=0), default=default_limit,
                            show_default=default_limit is not None,
                            help="At most this many rows." + ("" if default_limit else " Default: all."))(func)
        func = click.option("--since", default=None, metavar="WHEN",
                            help="Only articles published (or, without a date, first seen) since WHEN: an ISO "
                                 "date/time or an age such as 30m, 6h, 2d.")(func)
        func = click.option("--source", "sources", multiple=True, metavar="NAME",
                            help="Only this source (repeatable).")(func)
        return func
    return decorate


def _filters(sources: tuple[str, ...], since: str | None, limit: int | None) -> Filters:
    return Filters(sources=tuple(sources), since=parse_since(since) if since is not None else None, limit=limit)


def _open(app: AppContext) -> Store:
    return Store.open(app.db_path, readonly=True)


def _when(value: str | None) -> str:
    """``2025-06-01T03:00:00+00:00`` -> ``2025-06-01 03:00`` for tables."""
    if not value:
        return "-"
    return value[:16].replace("T", " ")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else (text[: max(width - 1, 0)] + "…" if width > 0 else "")


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], *, width: int | None = None) -> str:
    """Aligned plain-text columns with a header; flexible columns shrink so lines fit ``width``."""
    width = width or shutil.get_terminal_size((120, 24)).columns
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    gap = 2
    total = sum(widths) + gap * (len(columns) - 1)
    flex = [i for i, c in enumerate(columns) if c in FLEXIBLE]
    while total > width and flex:
        widest = max(flex, key=lambda i: widths[i])
        if widths[widest] <= MIN_FLEX:
            break
        cut = min(total - width, widths[widest] - MIN_FLEX,
                  max(1, widths[widest] - max((widths[i] for i in flex if i != widest), default=0)))
        widths[widest] -= cut
        total -= cut
    lines = []
    for row in [list(columns), *cells]:
        parts = [_cut(v, w).ljust(w) for v, w in zip(row, widths, strict=True)]
        lines.append((" " * gap).join(parts).rstrip())
    return "\n".join(lines)


def emit(rows: Iterable[dict[str, Any]], fmt: str, columns: Sequence[str], out: IO[str] | None = None,
         *, csv_fields: Sequence[str] | None = None) -> int:
    """Write rows in the chosen format; returns how many."""
    out = out or sys.stdout
    n = 0
    if fmt == "table":
        materialised = list(rows)
        if materialised:
            out.write(render_table(materialised, columns) + "\n")
        return len(materialised)
    if fmt == "json" or fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
        return n
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(csv_fields or row.keys()), extrasaction="ignore",
                                    lineterminator="\n")
            writer.writeheader()
        writer.writerow({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
                         for k, v in row.items()})
        n += 1
    return n


def _with_published(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        r["published"] = _when(r.get("published_at"))
    return rows


@click.command("search")
@click.argument("query")
@common_options()
@click.option("--all-copies", is_flag=True, help="Every matching article, not one row per story.")
@pass_app
def search_cmd(app: AppContext, query: str, sources: tuple[str, ...], since: str | None, limit: int | None,
               fmt: str, all_copies: bool) -> int:
    """Full-text search (FTS5 syntax: words, "a phrase", OR, NOT, prefix*, title:word), newest first.

    One row per story (cluster) unless --all-copies; matched words are marked [like this]. When the
    full-text index is off (sqlite-utils disable-fts), exits 1 with one line saying how to turn it on.
    """
    filters = _filters(sources, since, limit)
    with _open(app) as store:
        rows = search(store, query, filters, all_copies=all_copies)
    emit(_with_published(rows) if fmt == "table" else rows, fmt,
         SEARCH_ALL_COLUMNS if all_copies else SEARCH_COLUMNS)
    if not rows and fmt == "table":
        click.echo("no matches", err=True)
    return 0


@click.command("latest")
@common_options()
@pass_app
def latest_cmd(app: AppContext, sources: tuple[str, ...], since: str | None, limit: int | None,
               fmt: str) -> int:
    """The newest articles: by publication date (unknown dates last), then first seen."""
    filters = _filters(sources, since, limit)
    with _open(app) as store:
        rows = latest(store, filters)
    emit(_with_published(rows) if fmt == "table" else rows, fmt, LATEST_COLUMNS)
    return 0


@click.command("export")
@common_options(default_limit=None, formats=("jsonl", "csv"), default_format="jsonl")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of standard output.")
@pass_app
def export_cmd(app: AppContext, sources: tuple[str, ...], since: str | None, limit: int | None, fmt: str,
               output: str | None) -> int:
    """Dump articles: JSON Lines with their segments, or CSV with one row per article (with text).

    Streams from the database: memory stays flat whatever the archive's size.
    """
    filters = _filters(sources, since, limit)
    with _open(app) as store:
        rows = export_articles(store, filters, with_segments=fmt == "jsonl")
        if output:
            try:
                fh = open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise KabarError(f"cannot write {output}: {exc.strerror or exc}") from exc
            with fh:
                n = emit(rows, fmt, (), fh)
            click.echo(f"{n} articles written to {output}", err=True)
        else:
            emit(rows, fmt, ())
    return 0


@click.command("stats")
@common_options(default_limit=10)
@click.option("--health", is_flag=True,
              help="Only check the daemon's heartbeat: exit 1 when it is stalled, stopped or never ran.")
@click.option("--max-age", "max_age", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="With --health: oldest acceptable heartbeat (default: three heartbeat intervals).")
@pass_app
def stats_cmd(app: AppContext, sources: tuple[str, ...], since: str | None, limit: int | None,
              fmt: str, health: bool, max_age: float | None) -> int:
    """Per-source article counts, last/next run and status, why the last failed or interrupted run ended,
    and the most recent errors (--limit of them).

    With --since, articles first seen and errors since then. With --health, only the daemon's state.
    """
    if health:
        from scraper.health import check_health

        result = check_health(app.db_path, max_age_s=max_age)
        click.echo(json.dumps({"ok": result.ok, "message": result.message, "age_s": result.age_s})
                   if fmt == "json" else result.message)
        return 0 if result.ok else 1
    filters = _filters(sources, since, limit)
    with _open(app) as store:
        per_source = source_stats(store, filters)
        errors = recent_errors(store, filters, limit=limit if limit is not None else 10)
    if fmt == "json":
        by_source: dict[str, list[dict[str, Any]]] = {}
        for e in errors:
            by_source.setdefault(e["source"], []).append(e)
        for row in per_source:
            row["recent_errors"] = by_source.get(row["source"], [])
        emit(per_source, fmt, STATS_COLUMNS)
        _cluster_stats(app, fmt)
        return 0
    if fmt == "csv":
        emit(per_source, fmt, STATS_COLUMNS)
        return 0
    if per_source:
        emit(per_source, fmt, STATS_COLUMNS)
    else:
        click.echo("no sources yet")
    if errors:
        click.echo("\nrecent errors:")
        emit(errors, fmt, ERROR_COLUMNS)
    _cluster_stats(app, fmt)
    return 0


def _cluster_stats(app: AppContext, fmt: str) -> None:
    """With [cluster]: the workers and the queue depth after the sources."""
    from scraper.cluster import cluster_dsn

    if (dsn := cluster_dsn(app.config)) is not None:
        from scraper.cluster.show import print_cluster

        print_cluster(dsn, app.config.cluster.stall_timeout, fmt)


QUERY_COMMANDS = (search_cmd, latest_cmd, export_cmd, stats_cmd)
