"""Story commands: ``kabar story ID`` (one story's members and why each is there) and ``kabar recluster``.

``story`` opens the database read-only; the explanation is :func:`storage.story_store.explain`, the same data
the web view shows. ``recluster`` is a writer like a crawl (each batch one write transaction).
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

import click

from scraper.context import AppContext, pass_app
from scraper.errors import UsageError
from storage.store import Store
from storage.util import parse_since


def _when(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "-"


def render_story(data: dict) -> str:
    """The text form of :func:`storage.story_store.explain`'s answer."""
    lines = [f"story {data['cluster_id']}: {data['size']} article(s) (same-story threshold "
             f"{data['threshold']})"]
    for m in data["members"]:
        mark = "*" if m["earliest"] else " "
        lines.append(f"{mark} {m['id']:>7}  {_when(m['published_at'])}  (seen {_when(m['first_seen_at'])})  "
                     f"{m['outlet']}  {m['url']}")
        if m.get("title"):
            lines.append(f"           {m['title']}")
        why = m.get("joined")
        if why:
            kind = "copy" if why["copy"] else "same story"
            lines.append(f"           joined as {kind} of {why['with']}: score {why['score']:.3f} (cosine "
                         f"{why['cosine']:.3f}, containment {why['containment']:.3f})")
            for label, key in (("names", "shared_names"), ("numbers", "shared_numbers"), ("quotes", "shared_quotes")):
                if why[key]:
                    lines.append(f"           shared {label}: {', '.join(why[key][:12])}")
    lines.append("* the earliest (published, else first seen)")
    return "\n".join(lines)


@click.command("story")
@click.argument("article_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_app
def story_cmd(app: AppContext, article_id: int, fmt: str) -> int:
    """One story: the members of ARTICLE_ID's cluster (any member's id) with outlet, URL and times, the
    earliest marked, and why each joined (score, shared names, numbers and quotes)."""
    from storage.story_store import explain

    with Store.open(app.db_path, readonly=True) as store:
        data = explain(store.conn, article_id)
    if data is None:
        raise UsageError(f"no article with id {article_id}")
    click.echo(json.dumps(data, ensure_ascii=False) if fmt == "json" else render_story(data))
    return 0


@click.command("recluster")
@click.option("--since", default=None, metavar="WHEN",
              help="Only articles published (else first seen) since WHEN: an ISO date/time or an age (2d).")
@click.option("--batch", type=click.IntRange(min=1), default=500, show_default=True,
              help="Articles per transaction.")
@pass_app
def recluster_cmd(app: AppContext, since: str | None, batch: int) -> int:
    """Apply the current story model to the archive: stories, document frequencies, clusters.

    A writer like a crawl: it takes the database's writer lock (refused while the daemon runs, waits behind
    a crawl). Resumable: Ctrl-C stops it after the batch in hand, and a run with the same --since continues
    where it stopped. Each batch is one write transaction.
    """
    from scraper.crawl import crawl_session, exit_after_signal
    from storage.recluster import Progress, recluster

    when = parse_since(since) if since is not None else None
    bars: dict[str, Any] = {}

    def show(p: Progress) -> None:
        bar = bars.get(p.phase)
        if bar is None:
            for other in bars.values():
                other.render_finish()
            bar = bars[p.phase] = click.progressbar(length=max(p.total, 1), label=p.phase, file=sys.stderr)
            bar.pos = 0
        bar.update(p.done - bar.pos)

    stop = threading.Event()
    with crawl_session(app.db_path, "kabar recluster", stop=stop,
                       announce=lambda line: click.echo(line, err=True)) as session:
        if session is None:
            click.echo("kabar: interrupted while waiting for the writer lock", err=True)
            exit_after_signal(130)
        done = recluster(session.store.transaction, since=when, batch=batch,
                         progress=show if app.verbosity >= 0 else None, stopped=stop.is_set)
    for bar in bars.values():
        bar.render_finish()
    if done.phase == "stopped":
        click.echo(f"kabar: interrupted: {done.done} of {done.total} articles done; run it again to continue",
                   err=True)
        exit_after_signal(130)
    click.echo(f"reclustered {done.total} articles; {done.stories} stories in the archive")
    return 0
