"""The bundled demo site: a FAM68-style portal plus a syndicating second portal, served on loopback.

``kabar demo`` and the end-to-end tests crawl this site instead of the internet. The articles are hand-written
package data (``scraper/demo_site/articles.txt`` and ``bantenpos.txt``, every name and number fictional); the
markup comes from the templates in ``scraper/demo_site/templates/``. Every page is rendered into bytes once, when
the server starts (and again after :meth:`DemoSite.edit_article`), so serving costs one dict lookup.

URL layout, for ``base = serve_demo()``'s URL::

    /                              home listing, 10 per page; /page/2/ ... /page/7/ (/page/1/ -> 301 /)
    /kategori/<section>/           category listing (links the AMP variant of AMP articles); /kategori/<s>/page/2/
    /YYYY/MM/<slug>/               FAM68 article (WordPress markup); /YYYY/MM/<slug>/amp/ for AMP articles
    /YYYY/MM/<slug>/2/             page 2 of the one multi-page article
    /YYYY/MM/<draft>/?preview=true an unpublished draft linked from the home page, disallowed by robots.txt
    /feed/                         RSS 2.0, latest 20, links carry ?utm_source=feed&utm_medium=rss
    /sitemap_index.xml             -> /post-sitemap.xml, /post-sitemap2.xml, /page-sitemap.xml (/sitemap.xml -> 301)
    /robots.txt                    Disallow /wp-admin/ and /*?preview=, Sitemap lines for both portals
    /redaksi/ /pedoman-media-siber/ /kontak/   static pages (not articles)
    /bantenpos/ (+ /page/2/), /bantenpos/feed/, /bantenpos/sitemap.xml, /bantenpos/YYYY/MM/<slug>/
                                   the second portal (tagDiv "Newspaper" markup): syndicated copies of FAM68
                                   articles, verbatim or lightly rewritten, plus two articles of its own

Every 200 response carries a strong ``ETag`` (a hash of the body) and ``Last-Modified`` (the newest
modification of what the page shows); ``If-None-Match`` (checked first) and ``If-Modified-Since`` get a 304.
Unknown paths are 404. The server keeps a log of the requests it answered (:meth:`DemoSite.request_log`), so
tests can check that a crawler obeyed robots.txt and sent conditional requests.

Modules: ``data`` (constants, :class:`DemoArticle`, the loaders of the article files), ``render`` (helpers and
what both portals share: feeds, sitemaps, robots.txt), ``fam68`` and ``bantenpos`` (each portal's HTML pages),
``site`` (:class:`DemoSite`), ``server`` (:func:`serve_demo`, :func:`demo_config`).
"""

from __future__ import annotations

from scraper.demo.data import (
    BANTENPOS,
    FAM68,
    SECTIONS,
    SOURCES,
    DemoArticle,
    DemoSection,
    Page,
    RequestRecord,
)
from scraper.demo.server import demo_config, serve_demo
from scraper.demo.site import DemoSite

__all__ = ["BANTENPOS", "FAM68", "SECTIONS", "SOURCES", "DemoArticle", "DemoSection", "DemoSite", "Page",
           "RequestRecord", "demo_config", "serve_demo"]

