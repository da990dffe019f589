"""Running the web app: check the database, bind the socket, serve with uvicorn until Ctrl-C."""

from __future__ import annotations

import logging
import socket

from scraper.errors import UsageError
from storage import connection

logger = logging.getLogger(__name__)


def check_database(db_path: str) -> None:
    """Raise :class:`StorageError` now (one ``kabar: error:`` line) when ``db_path`` cannot be served."""
    conn = connection.connect(db_path, readonly=True, busy_timeout=connection.DEFAULT_BUSY_TIMEOUT)
    try:
        connection.check_readable(conn, db_path)
    finally:
        conn.close()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (UsageError when it cannot be had)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r}: {exc}") from exc
    family, _type, _proto, _name, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def serve(db_path: str, host: str, port: int, *, verbosity: int = 0) -> str:
    """Serve ``db_path`` on ``host``:``port`` until interrupted; returns the URL it served."""
    import uvicorn

    from scraper.web.app import create_app

    check_database(db_path)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{actual}/"
    logger.info("serving %s read-only at %s", db_path, url)
    config = uvicorn.Config(create_app(db_path), log_level="info" if verbosity > 0 else "warning",
                            access_log=verbosity > 0, lifespan="on", server_header=False)
    server = uvicorn.Server(config)
    print(f"kabar serve: {db_path} at {url} (read-only; Ctrl-C to stop)", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return url
