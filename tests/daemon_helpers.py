"""Helpers of the daemon tests, shared with other test modules: configs, a fake crawl, a news site."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import toml_value

from scraper.config import Config, config_from_dict
from scraper.daemon import Daemon

REPO = Path(__file__).resolve().parent.parent


def make_config(db: Path, sources: list[dict[str, Any]], **daemon: Any) -> Config:
    dcfg = {"jitter": 0.0, "stop_timeout": 5.0, "max_running": 4, **daemon}
    raw = {"storage": {"path": str(db)}, "http": {"per_host_delay": 0.0}, "daemon": dcfg,
           "sources": [{"start_urls": [f"http://{s['name']}.example/"], **s} for s in sources]}
    return config_from_dict(raw, "test-config.toml")


@dataclass
class FakeSummary:
    """The fields of scraper.pipeline.RunSummary the daemon reads."""

    source: str
    run_id: int
    status: str
    new: int = 0
    fetched: int = 0
    errors: list[str] = field(default_factory=list)


class Running:
    """A daemon in a background thread of this process (no signal handlers)."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.ready = threading.Event()
        self.code: int | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, daemon=True)

    def _main(self) -> None:
        try:
            self.code = self.daemon.run(install_signals=False, ready=self.ready)
        except BaseException as exc:  # reported by stop()
            self.error = exc
            self.ready.set()

    def __enter__(self) -> Running:
        self.thread.start()
        assert self.ready.wait(10)
        if self.error:
            raise self.error
        return self

    def stop(self) -> int | None:
        self.daemon.request_stop()
        self.thread.join(15)
        assert not self.thread.is_alive(), "daemon did not stop"
        if self.error:
            raise self.error
        return self.code

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.stop()


def wait_for(predicate: Any, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def write_config(path: Path, raw: dict[str, Any]) -> Path:
    """Write ``raw`` (the dict form of config.toml) as TOML, after checking it is a valid config."""
    config_from_dict(raw, str(path))
    lines: list[str] = []
    for table in ("storage", "http", "daemon"):
        if table in raw:
            lines += [f"[{table}]"] + [f"{k} = {toml_value(v)}" for k, v in raw[table].items()] + [""]
    for src in raw.get("sources", []):
        lines += ["[[sources]]"] + [f"{k} = {toml_value(v)}" for k, v in src.items()] + [""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


_WORDS = ("pemerintah kota menggelar rapat koordinasi bersama warga untuk membahas rencana perbaikan jalan "
          "saluran air dan penerangan yang dikeluhkan sejak musim hujan tahun lalu").split()


class NewsSite:
    """A small news portal on 127.0.0.1: one listing per source (``/<source>/``) linking its ten newest
    articles (``/<source>/2024/05/berita-<n>/``). A *publishing* source gets a new article at every listing
    request, so each of its runs finds news; ``article_delay`` slows article pages so runs last a while.
    ``stop()`` takes the host down (connection refused) and ``start()`` brings it back on the same port."""

    def __init__(self, sources: dict[str, bool], *, article_delay: float = 0.0) -> None:
        self.publishing = dict(sources)
        self.count = dict.fromkeys(sources, 3)
        self.article_delay = article_delay
        self.article_requests = 0
        self.lock = threading.Lock()
        self.port = 0
        self.server: Any = None

    def _html(self, title: str, body: str) -> bytes:
        return (f"<!doctype html><html lang=id><head><meta charset=utf-8><title>{title}</title></head>"
                f"<body>{body}</body></html>").encode()

    def _article(self, source: str, n: int) -> bytes:
        paras = []
        for i in range(4):
            words = [_WORDS[(n * 7 + i * 3 + j) % len(_WORDS)] for j in range(28)]
            paras.append(f"<p>{source} {n}-{i}: {' '.join(words).capitalize()}.</p>")
        return self._html(f"Berita {source} {n}",
                          f"<article><h1>Berita {source} nomor {n}</h1>{''.join(paras)}</article>")

    def respond(self, path: str) -> tuple[int, bytes]:
        parts = [p for p in path.split("?")[0].split("/") if p]
        if len(parts) == 1 and parts[0] in self.count:
            src = parts[0]
            with self.lock:
                if self.publishing[src]:
                    self.count[src] += 1
                newest = self.count[src]
            links = "".join(f'<li><a href="/{src}/2024/05/berita-{n}/">Berita {n}</a></li>'
                            for n in range(newest, max(0, newest - 10), -1))
            return 200, self._html(f"{src}", f"<h1>{src}</h1><ul>{links}</ul>")
        if len(parts) == 4 and parts[0] in self.count and parts[3].startswith("berita-"):
            n = int(parts[3].removeprefix("berita-"))
            if n <= self.count[parts[0]]:
                with self.lock:
                    self.article_requests += 1
                if self.article_delay:
                    time.sleep(self.article_delay)
                return 200, self._article(parts[0], n)
        return 404, self._html("not found", "<p>not found</p>")

    def start(self) -> str:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                status, body = site.respond(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def site_source(base: str, name: str, schedule: str) -> dict[str, Any]:
    return {"name": name, "start_urls": [f"{base}/{name}/"], "article_pattern": f"^{base}/{name}/\\d{{4}}/",
            "schedule": schedule}
