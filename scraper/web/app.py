"""``kabar serve``'s web app: Starlette routes over :mod:`scraper.web.views`, Jinja2 templates, JSON twins.

Every route answers GET (and HEAD) only, other methods get 405. Each page has a ``.json`` form with the
same data (``/.json`` for the front page). Article text is untrusted: the templates autoescape everything,
URLs are linked only when http(s), and a Content-Security-Policy forbids scripts altogether. The database
is opened read-only (``mode=ro``; WAL lets it be read while a crawl or the daemon writes).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from scraper.web import sources as sources_view
from scraper.web import views
from storage import connection
from storage.errors import QueryError, StorageError
from storage.util import parse_since

logger = logging.getLogger(__name__)

QUERY_BUDGET_S = 2.0

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def safe_url(url: str | None) -> str | None:
    """``url`` when it is http(s) (safe to put in an href), else None."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def short_time(value: str | None) -> str:
    """``2025-06-01T08:00:00.123+00:00`` as ``2025-06-01 08:00``; empty for None."""
    if not value:
        return ""
    return value[:16].replace("T", " ")


class Reader:
    """One read-only connection, opened at the first request and shared under a lock. A statement running
    past the request's deadline (QUERY_BUDGET_S) is interrupted: no request can hold the server."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self.lock = threading.Lock()
        self.deadline = 0.0

    def _over_budget(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0

    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = connection.connect(self.path, readonly=True, busy_timeout=connection.DEFAULT_BUSY_TIMEOUT)
            connection.configure(conn, self.path, readonly=True, busy_timeout=connection.DEFAULT_BUSY_TIMEOUT)
            connection.check_readable(conn, self.path)
            conn.set_progress_handler(self._over_budget, 10_000)
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("scraper.web", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["t"] = short_time
    env.globals["safe_url"] = safe_url
    return env


class Pages:
    """The route handlers, over one :class:`Reader`."""

    def __init__(self, reader: Reader, now: Callable[[], datetime] | None, explain: views.Explain) -> None:
        self.reader, self.now, self.explain = reader, now, explain
        self.env = _environment()
        self.css = (resources.files("scraper.web") / "static" / "kabar.css").read_text(encoding="utf-8")

    def respond(self, request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
        if request.url.path.endswith(".json"):
            return JSONResponse(data, status_code=status, headers=SECURITY_HEADERS)
        html = self.env.get_template(template).render(data=data, request_path=request.url.path)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def not_found(self, request: Request, what: str) -> Response:
        return self.respond(request, "error.html", {"error": f"{what} not found", "status": 404}, 404)

    def run(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        with self.reader.lock:
            self.reader.deadline = time.monotonic() + QUERY_BUDGET_S
            try:
                return fn(self.reader.conn())
            except sqlite3.OperationalError as exc:
                if str(exc) != "interrupted":
                    raise
                raise QueryError(f"the query took longer than {QUERY_BUDGET_S:g} s and was stopped: narrow it "
                                 "(longer words, fewer prefix* terms, a source or a date)") from exc

    async def front(self, request: Request) -> Response:
        qp = request.query_params
        q, source, section = qp.get("q", ""), qp.get("source") or None, qp.get("section") or None
        since_raw = qp.get("since") or None
        try:
            page = int(qp.get("page", "1"))
        except ValueError:
            page = 1
        try:
            since = parse_since(since_raw) if since_raw else None
            data = self.run(lambda c: views.front(c, q=q, source=source, section=section, since=since, page=page))
        except QueryError as exc:
            if request.url.path.endswith(".json"):
                return JSONResponse({"error": str(exc)}, status_code=400, headers=SECURITY_HEADERS)
            data = {"query": q, "source": source, "section": section, "page": 1, "has_next": False,
                    "stories": [], "error": str(exc), "sources": self.run(views.source_names)}
        data["since"] = since_raw
        params = {k: v for k, v in (("q", q), ("source", source), ("section", section), ("since", since_raw)) if v}
        data["next_url"] = f"/?{urlencode({**params, 'page': data['page'] + 1})}" if data["has_next"] else None
        data["prev_url"] = f"/?{urlencode({**params, 'page': data['page'] - 1})}" if data["page"] > 1 else None
        return self.respond(request, "front.html", data)

    async def story(self, request: Request) -> Response:
        article_id = request.path_params["id"]
        data = self.run(lambda c: views.story(c, article_id, self.explain))
        if data is None:
            return self.not_found(request, f"story of article {article_id}")
        return self.respond(request, "story.html", data)

    async def article(self, request: Request) -> Response:
        article_id = request.path_params["id"]
        data = self.run(lambda c: views.article(c, article_id))
        if data is None:
            return self.not_found(request, f"article {article_id}")
        return self.respond(request, "article.html", data)

    async def sources(self, request: Request) -> Response:
        data = self.run(lambda c: sources_view.sources(c, self.now() if self.now else None))
        return self.respond(request, "sources.html", data)

    async def stylesheet(self, request: Request) -> Response:
        return Response(self.css, media_type="text/css",
                        headers={**SECURITY_HEADERS, "Cache-Control": "max-age=3600"})

    async def query_error(self, request: Request, exc: Exception) -> Response:
        return self.respond(request, "error.html", {"error": str(exc), "status": 400}, 400)

    async def storage_error(self, request: Request, exc: Exception) -> Response:
        return self.respond(request, "error.html", {"error": str(exc), "status": 503}, 503)

    async def http_error(self, request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 404)
        return self.respond(request, "error.html",
                            {"error": getattr(exc, "detail", "not found"), "status": status}, status)


def create_app(db_path: str, *, now: Callable[[], datetime] | None = None,
               explain: views.Explain = views.cluster_explain) -> Starlette:
    """The app serving ``db_path``. ``now`` (default: the clock) ends the sources page's 30 days;
    ``explain`` says why each copy joined its story (see :func:`scraper.web.views.story`)."""
    reader = Reader(db_path)
    pages = Pages(reader, now, explain)
    routes = [Route("/static/kabar.css", pages.stylesheet, methods=["GET"])]
    for path, handler in (("/", pages.front), ("/story/{id:int}", pages.story),
                          ("/article/{id:int}", pages.article), ("/sources", pages.sources)):
        routes += [Route(path, handler, methods=["GET"]),
                   Route("/.json" if path == "/" else f"{path}.json", handler, methods=["GET"])]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            reader.close()

    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={QueryError: pages.query_error, StorageError: pages.storage_error, sqlite3.Error: pages.storage_error,
                                         404: pages.http_error, 405: pages.http_error})
