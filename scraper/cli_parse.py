"""``kabar parse PATH_OR_URL...``: parse saved pages or live URLs and print JSON Lines. Never writes the database.

Files are parsed as they are (``pages: 1``, further pages listed in ``next_pages``); folders are walked
recursively for ``*.html`` / ``*.htm`` in sorted order; ``http(s)://`` arguments are fetched with their
further pages and stitched (:mod:`scraper.parse_url`: the crawl's fetcher, so robots.txt and the size limits
hold). A file or URL that cannot be read is reported on stderr and makes the exit code 1 once everything
else has been printed.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import click

from scraper.article import Article
from scraper.config import ParseProfile
from scraper.context import AppContext, pass_app
from scraper.errors import FetchError, UsageError
from scraper.fetch import Fetcher
from scraper.parse import parse_html
from scraper.parse_url import parse_url

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm")


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def _is_absolute_url(value: str) -> bool:
    """``http(s)://host/...``: a scheme the fetcher speaks and a host."""
    try:
        parts = urlsplit(value.strip())
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _files(target: str) -> Iterator[Path]:
    """The file itself, or the HTML files under a folder (recursive, sorted)."""
    path = Path(target)
    if path.is_dir():
        found = [p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in HTML_SUFFIXES]
        yield from sorted(found)
    else:
        yield path


def _emit(article: Article) -> None:
    click.echo(json.dumps(article.to_json(), ensure_ascii=False))


@click.command("parse")
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--url", "page_url", default=None, metavar="URL",
              help="The page's URL, for a single file (resolves relative links, canonical URL, pagination).")
@click.option("--source", "source_name", default=None, metavar="NAME",
              help="Apply this source's [sources.parse] profile (and, for URLs, its allowed_domains).")
@pass_app
def parse_cmd(app: AppContext, targets: tuple[str, ...], page_url: str | None, source_name: str | None) -> int:
    """Parse saved pages (files or folders) or live URLs; print one JSON object per page (JSON Lines)."""
    if any(not target.strip() for target in targets):
        raise UsageError("an empty PATH_OR_URL names nothing to parse")
    if page_url is not None and not _is_absolute_url(page_url):
        raise UsageError(f"--url must be an absolute http(s) URL, not {page_url!r}")
    profile = app.config.source(source_name).parse if source_name else None
    plan: list[tuple[str, Path | None]] = []
    for target in targets:
        if _is_url(target):
            plan.append((target, None))
        else:
            plan.extend((str(p), p) for p in _files(target))
    files = [p for _, p in plan if p is not None]
    if page_url is not None and (len(files) != 1 or len(plan) != 1):
        raise UsageError("--url needs exactly one file to parse")
    domains = app.config.source(source_name).allowed_domains if source_name else ()
    status = 0
    fetcher = Fetcher(app.config.http) if any(path is None for _, path in plan) else None
    try:
        for target, path in plan:
            article = _one(target, path, page_url, profile, fetcher, domains)
            if article is None:
                status = 1
                continue
            _emit(article)
            sys.stdout.flush()
    finally:
        if fetcher is not None:
            fetcher.close()
    return status


def _one(target: str, path: Path | None, page_url: str | None, profile: ParseProfile | None,
         fetcher: Fetcher | None, domains: tuple[str, ...]) -> Article | None:
    """The article of one file or URL; None (after one error line on stderr) when it cannot be had."""
    if path is None:
        assert fetcher is not None
        try:
            return parse_url(target, fetcher, profile=profile, allowed_domains=domains)
        except FetchError as exc:
            click.echo(f"kabar: error: cannot fetch {target}: {exc}", err=True)
            return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        click.echo(f"kabar: error: cannot read {target}: {exc.strerror or exc}", err=True)
        return None
    article = parse_html(data, page_url, profile=profile)
    article.path = target
    return article
