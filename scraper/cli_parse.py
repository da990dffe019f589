"""``kabar parse PATH_OR_URL...``: parse saved pages or live URLs and print JSON Lines. Never writes the database.

Files are parsed as they are (``pages: 1``, further pages listed in ``next_pages``); folders are walked
recursively for ``*.html`` / ``*.htm`` in sorted order; ``http(s)://`` arguments are fetched, and their
further pages fetched and stitched. A file or URL that cannot be read is reported on stderr and makes the
exit code 1 once everything else has been printed.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import httpx

from scraper.article import Article
from scraper.config import ParseProfile
from scraper.context import AppContext, pass_app
from scraper.errors import UsageError
from scraper.pages import merge_pages
from scraper.parse import parse_html
from scraper.rules import MAX_NEXT_PAGES

log = logging.getLogger(__name__)

HTML_SUFFIXES = (".html", ".htm")


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


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


def _fetch(client: httpx.Client, url: str) -> tuple[str, bytes, str | None]:
    resp = client.get(url)
    resp.raise_for_status()
    return str(resp.url), resp.content, resp.charset_encoding


def _fetch_and_parse(url: str, app: AppContext, profile: ParseProfile | None = None) -> Article:
    """Fetch one article URL, its further pages (at most 20), and stitch them. Raises httpx.HTTPError."""
    http = app.config.http
    headers = {"User-Agent": http.user_agent}
    with httpx.Client(headers=headers, timeout=http.timeout, follow_redirects=True) as client:
        final_url, content, charset = _fetch(client, url)
        first = parse_html(content, final_url, profile=profile, charset=charset)
        rest: list[Article] = []
        seen = {url, final_url}
        for next_url in first.next_pages[:MAX_NEXT_PAGES]:
            if next_url in seen:
                continue
            seen.add(next_url)
            try:
                page_url, page_content, page_charset = _fetch(client, next_url)
            except httpx.HTTPError as exc:
                first.warnings.append(f"further page {next_url} not fetched: {exc}")
                continue
            rest.append(parse_html(page_content, page_url, profile=profile, charset=page_charset))
    article = merge_pages(first, rest) if rest else first
    article.path = None
    return article


@click.command("parse")
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--url", "page_url", default=None, metavar="URL",
              help="The page's URL, for a single file (resolves relative links, canonical URL, pagination).")
@click.option("--source", "source_name", default=None, metavar="NAME",
              help="Apply this source's [sources.parse] profile from the config.")
@pass_app
def parse_cmd(app: AppContext, targets: tuple[str, ...], page_url: str | None, source_name: str | None) -> int:
    """Parse saved pages (files or folders) or live URLs; print one JSON object per page (JSON Lines)."""
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
    status = 0
    for target, path in plan:
        if path is None:
            try:
                article = _fetch_and_parse(target, app, profile)
            except httpx.HTTPError as exc:
                click.echo(f"kabar: error: cannot fetch {target}: {exc}", err=True)
                status = 1
                continue
        else:
            try:
                data = path.read_bytes()
            except OSError as exc:
                click.echo(f"kabar: error: cannot read {target}: {exc.strerror or exc}", err=True)
                status = 1
                continue
            article = parse_html(data, page_url, profile=profile)
            article.path = target
        _emit(article)
        sys.stdout.flush()
    return status
