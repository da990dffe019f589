"""One live article for ``kabar parse URL``: fetched through the crawl's :class:`~scraper.fetch.Fetcher`
(robots.txt, ``http.max_bytes``, retries, redirect limits, per-host delay), parsed, its further pages
fetched the same way and stitched (:func:`scraper.pages.fetch_and_stitch`, de-duplicated by canonical URL
as the crawl does). Never writes the database.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scraper.article import Article
from scraper.config import ParseProfile
from scraper.errors import FetchError
from scraper.fetch import Fetcher
from scraper.pages import fetch_and_stitch
from scraper.parse import parse_html
from storage.urls import canonical_url

__all__ = ["parse_url"]


def parse_url(url: str, fetcher: Fetcher, *, profile: ParseProfile | None = None,
              allowed_domains: tuple[str, ...] = ()) -> Article:
    """The article at ``url`` with its further pages stitched; ``path`` is None.

    ``allowed_domains`` empty means the host of ``url`` (and its subdomains), as for the fetcher; further
    pages are only fetched from those domains (or from the host the first page ended on). Raises a
    :class:`~scraper.errors.FetchError` when the first page cannot be fetched; a further page that cannot
    be fetched is left out with a warning ("further page URL not fetched: why").
    """
    res = fetcher.fetch(url, allowed_domains=allowed_domains)
    first = parse_html(res.content, res.final_url, profile=profile, charset=res.charset)
    host = urlsplit(res.final_url).hostname
    domains = allowed_domains or ((host,) if host else ())

    def fetch(page_url: str) -> Article | None:
        try:
            page = fetcher.fetch(page_url, allowed_domains=domains)
        except FetchError as exc:
            first.warnings.append(f"further page {page_url} not fetched: {exc}")
            return None
        return parse_html(page.content, page.final_url, profile=profile, charset=page.charset)

    article = fetch_and_stitch(first, fetch, key=canonical_url)
    article.path = None
    return article
