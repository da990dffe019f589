"""``kabar crawl`` and ``kabar demo``: options in, :func:`scraper.crawl.run_crawl`, the summary out.

Exit codes (SPEC.md): 0 every page fetched or deliberately skipped; 1 some page failed, a source could not
be crawled or the database stopped the run; 2 bad usage or config; 130 interrupted by SIGINT/SIGTERM (what
finished is kept, the run is recorded ``interrupted``): :attr:`scraper.crawl.CrawlOutcome.exit_code`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

import click

from scraper.context import AppContext, pass_app
from scraper.crawl import ProgressSink, crawl_session, exit_after_signal, run_crawl, stop_on_signals
from scraper.errors import UsageError
from scraper.pipeline import RunSummary
from scraper.progress import Board
from storage.query import Filters, search
from storage.records import RUN_COUNTS
from storage.store import Store

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ("source", *RUN_COUNTS, "status")
DEMO_DB = "kabar-demo.db"
# A fixed port keeps the demo's URLs stable, so a second `kabar demo` into the same database re-checks the
# same articles (all unchanged) instead of finding them again under new URLs.
DEMO_PORT = 6868
DEMO_QUERY = "pasar"


def summary_json(s: RunSummary) -> dict[str, Any]:
    """One source's summary as ``kabar crawl --format json`` prints it: the table's fields, the run's id,
    times and ``error`` (why the run failed or was interrupted, ``runs.error``)."""
    return {"source": s.source, "status": s.status, **s.counts(), "error": s.reason, "run_id": s.run_id,
            "started_at": s.started_at, "finished_at": s.finished_at}


def problem_lines(summaries: Sequence[RunSummary]) -> list[str]:
    """One line per source that failed or has failed pages (what ``-q`` prints on stderr instead of the
    table)."""
    lines = []
    for s in summaries:
        if s.status == "failed":
            lines.append(f"{s.source}: run failed: {s.reason or 'see kabar stats'}")
        elif s.failed:
            first = f" (first: {s.errors[0]})" if s.errors else ""
            lines.append(f"{s.source}: {s.failed} failed{first}")
    return lines


def print_summaries(app: AppContext, summaries: Sequence[RunSummary], fmt: str) -> None:
    """The crawl's summary on stdout: JSON Lines, or the table unless -q (then only problems, on stderr)."""
    if fmt == "json":
        for s in summaries:
            click.echo(json.dumps(summary_json(s), ensure_ascii=False))
    elif app.verbosity >= 0:
        click.echo(summary_table(summaries))
    else:
        for line in problem_lines(summaries):
            click.echo(f"kabar: error: {line}", err=True)


def summary_table(summaries: Sequence[RunSummary]) -> str:
    """The SPEC's summary: one row per source, right-aligned counts."""
    rows = [list(SUMMARY_COLUMNS)]
    for s in summaries:
        rows.append([s.source, *(str(getattr(s, c)) for c in SUMMARY_COLUMNS[1:-1]), s.status])
    widths = [max(len(r[i]) for r in rows) for i in range(len(SUMMARY_COLUMNS))]
    lines = []
    for r in rows:
        cells = [r[0].ljust(widths[0])]
        cells += [r[i].rjust(widths[i]) for i in range(1, len(r) - 1)]
        cells.append(r[-1])
        lines.append("  ".join(cells))
    return "\n".join(lines)


@contextlib.contextmanager
def _progress(app: AppContext, sources: int, fmt: str = "table") -> Iterator[Callable[[str], ProgressSink] | None]:
    """The progress board (every source of the crawl, :mod:`scraper.progress`) on a terminal, unless -v
    asked for log lines (they would tear it apart), -q for quiet or --format json for machine-readable
    output; closed when the block ends, before the summary prints."""
    if not (sys.stderr.isatty() and app.verbosity == 0 and fmt == "table"):
        yield None
        return
    board = Board(sys.stderr, sources)
    try:
        yield board.sink
    finally:
        board.close()


def _say(line: str) -> None:
    click.echo(line, err=True)


def _interrupted_waiting() -> NoReturn:
    click.echo("kabar: interrupted while waiting for the database: nothing was crawled", err=True)
    exit_after_signal(130)


@click.command("crawl")
@click.argument("sources", nargs=-1)
@click.option("--max-pages", type=click.IntRange(min=1), default=None,
              help="Article fetches per source for this run (overrides max_pages of the config).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Sources crawled at once (default: [daemon].max_running of the config, 4).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="The summary as a table, or one JSON object per source (JSON Lines, no progress bar).")
@pass_app
def crawl_cmd(app: AppContext, sources: tuple[str, ...], max_pages: int | None, jobs: int | None, fmt: str) -> int:
    """Crawl the named sources once (default: all configured sources) and print a summary.

    Up to --jobs sources run at once, sharing the per-host limits, robots.txt and http.concurrency.
    Shows a progress bar per source on a terminal. With -q stdout stays empty (a source with failures gets one
    ``kabar: error:`` line on stderr); ``--format json`` prints one JSON object per source. Exit 0 when
    every page was fetched or deliberately skipped, 1 when some failed, 130 when interrupted (what
    finished is kept). One writer per database: while `kabar daemon` runs on it the crawl refuses
    (exit 1); behind another crawl it waits for that one to end. With [cluster] the sources are crawled by
    `kabar worker`s: the daemon writes the results when it runs (the crawl waits), else this crawl does.
    """
    config = app.config
    if not config.sources:
        where = config.path or "no config file found"
        raise UsageError(f"no sources configured ({where}): add a [[sources]] table to config.toml "
                         "(see README.md), or try `kabar demo`")
    selected = config.select_sources(list(dict.fromkeys(sources)))
    stop = threading.Event()
    from scraper.cluster import cluster_dsn

    if (dsn := cluster_dsn(config)) is not None:   # [cluster]: the workers crawl, the lock holder writes
        from scraper.cluster.commands import crawl as cluster_crawl

        outcome = cluster_crawl(config, app.db_path, dsn, selected, stop=stop, announce=_say, max_pages=max_pages)
        print_summaries(app, outcome.summaries, fmt)
        if stop.is_set():
            exit_after_signal(outcome.exit_code)
        return outcome.exit_code
    with crawl_session(app.db_path, "kabar crawl", stop=stop, announce=_say) as session:
        if session is None:
            return _interrupted_waiting()
        with _progress(app, len(selected), fmt) as progress:
            outcome = run_crawl(config, session.store, selected, max_pages=max_pages, progress=progress,
                                stop=stop, options=session.options, jobs=jobs)
    print_summaries(app, outcome.summaries, fmt)
    if outcome.interrupted:
        click.echo("kabar: interrupted: finished pages were kept", err=True)
    if stop.is_set():     # only a signal sets it
        exit_after_signal(outcome.exit_code)
    return outcome.exit_code


# ---- demo --------------------------------------------------------------------------------------------

def _search_rows(db_path: str, query: str, limit: int = 5) -> list[dict[str, Any]]:
    """The demo's sample search (one row per story, with ``copies`` and ``sources``), read-only."""
    with Store.open(db_path, readonly=True) as ro:
        return search(ro, query, Filters(limit=limit))


def _print_search(db_path: str, query: str) -> None:
    rows = _search_rows(db_path, query)
    click.echo(f"\nkabar search {query!r} (one row per story):")
    if not rows:
        click.echo("  (no match)")
    for r in rows:
        date = (r.get("published_at") or "")[:10] or "?"
        copies = r.get("copies")
        extra = f"  [{copies} copies]" if copies and int(copies) > 1 else ""
        click.echo(f"  {date}  {r.get('sources') or r.get('source', '')}: {r.get('title')}{extra}")


@contextlib.contextmanager
def _serve_demo_stable() -> Iterator[str]:
    """serve_demo() on DEMO_PORT, or on a free port when that one is taken."""
    from scraper.demo import serve_demo

    with contextlib.ExitStack() as stack:
        try:
            base_url = stack.enter_context(serve_demo(port=DEMO_PORT))
        except OSError:
            log.warning("port %d is busy: serving the demo on a free port (its URLs differ from those of "
                        "earlier demo runs)", DEMO_PORT)
            base_url = stack.enter_context(serve_demo())
        yield base_url


@click.command("demo")
@click.option("--db", "demo_db", default=None,
              help=f"Database to crawl into (default: the global --db, else {DEMO_DB}).")
@click.option("--keep-serving", is_flag=True, help="Keep the demo site running after the crawl, until Ctrl-C.")
@pass_app
def demo_cmd(app: AppContext, demo_db: str | None, keep_serving: bool) -> int:
    """Serve the bundled FAM68-style demo site on 127.0.0.1, crawl it, print the summary and a search.

    Runs offline. A second run into the same database finds everything unchanged.
    """
    from scraper.demo import demo_config

    db_path = demo_db or app.db_override or DEMO_DB
    with _serve_demo_stable() as base_url:
        config = demo_config(base_url, db_path)
        click.echo(f"demo site serving at {base_url}; crawling into {db_path}", err=True)
        stop = threading.Event()
        with crawl_session(db_path, "kabar demo", stop=stop, announce=_say) as session:
            if session is None:
                return _interrupted_waiting()
            with _progress(app, len(config.sources)) as progress:
                outcome = run_crawl(config, session.store, config.sources, progress=progress, stop=stop,
                                    options=session.options)
        click.echo(summary_table(outcome.summaries))
        if outcome.interrupted:
            click.echo("kabar: interrupted: finished pages were kept", err=True)
            if stop.is_set():
                exit_after_signal(outcome.exit_code)
            return outcome.exit_code
        _print_search(db_path, DEMO_QUERY)
        click.echo(f"\nTry: kabar --db {db_path} search banten    (or: sqlite-utils {db_path} "
                   "\"select title from articles\")")
        click.echo(f"Read it in a browser: kabar --db {db_path} serve    (then open http://127.0.0.1:8001/)")
        if keep_serving:
            click.echo(f"demo site still serving at {base_url}; Ctrl-C to stop", err=True)
            stop = threading.Event()
            with stop_on_signals(stop):
                while not stop.wait(0.5):
                    pass
            exit_after_signal(outcome.exit_code)
    return outcome.exit_code
