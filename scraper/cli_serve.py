"""``kabar serve``: the archive in a browser, read-only (see :mod:`scraper.web`)."""

from __future__ import annotations

import click

from scraper.context import AppContext, pass_app


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (the default answers this machine only).")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="TCP port (0: any free port).")
@pass_app
def serve_cmd(app: AppContext, host: str, port: int) -> int:
    """Serve the stories, articles and sources as web pages and JSON (GET only, read-only)."""
    from scraper.web.server import serve

    serve(app.db_path, host, port, verbosity=app.verbosity)
    return 0
