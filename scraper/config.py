"""config.toml -> validated, frozen dataclasses. The one place where defaults live.

Every key of the file is checked once, at start: its type, its range, regexes compile, schedules and cron
expressions parse. Unknown keys are errors. Any problem raises :class:`ConfigError` naming the file and the
key, which the CLI reports with exit code 2.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper.cron import validate_cron, zone
from scraper.errors import ConfigError
from storage.durations import parse_duration

DEFAULT_CONFIG_NAME = "config.toml"

_SCHEDULE_RE = re.compile(r"^\s*every\s+(\S.*)$")
_SOURCE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def parse_schedule(text: str) -> float:
    """``"every 15m"`` -> 900.0 seconds (the duration as :func:`parse_duration` reads it). Raises ValueError."""
    m = _SCHEDULE_RE.match(text)
    try:
        seconds = parse_duration(m.group(1), allow_zero=True) if m else None
    except ValueError:
        seconds = None
    if seconds is None:
        raise ValueError(f"expected 'every N' with a unit s, m, h or d (e.g. 'every 15m'), got {text!r}")
    if seconds <= 0:
        raise ValueError(f"expected an interval above zero, got {text!r}")
    return seconds


@dataclass(frozen=True)
class StorageConfig:
    path: str = "kabar.db"


@dataclass(frozen=True)
class HttpConfig:
    user_agent: str = "kabar/0.1 (+https://example.org/kabar)"
    timeout: float = 20.0
    max_bytes: int = 5_000_000
    concurrency: int = 8
    per_host_concurrency: int = 2
    per_host_delay: float = 1.0
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0
    respect_robots: bool = True
    recheck_days: float = 2.0
    gone_after: int = 3            # consecutive 404/410 answers after which an article URL is gone


@dataclass(frozen=True)
class DaemonConfig:
    default_schedule: str = "every 30m"
    jitter: float = 0.1
    max_running: int = 4
    stop_timeout: float = 30.0
    adaptive: bool = True
    max_interval: str = "6h"
    max_backoff: str = "1h"
    timezone: str = "UTC"          # IANA name: the zone in which cron expressions are read

    @property
    def default_interval_s(self) -> float:
        return parse_schedule(self.default_schedule)

    @property
    def max_interval_s(self) -> float:
        return parse_duration(self.max_interval)

    @property
    def max_backoff_s(self) -> float:
        return parse_duration(self.max_backoff)


@dataclass(frozen=True)
class ClusterConfig:
    """``[cluster]``: crawl workers on PostgreSQL (``KABAR_CLUSTER_DSN`` overrides ``dsn``; see
    :mod:`scraper.cluster`). No dsn: one machine, as without the section."""

    dsn: str | None = None
    stall_timeout: float = 10.0    # seconds without a worker heartbeat before its job is retried elsewhere
    max_running: int = 64          # runs in flight across the cluster (the daemon's scheduling threads)

    def resolved_dsn(self) -> str | None:
        return os.environ.get("KABAR_CLUSTER_DSN") or self.dsn


@dataclass(frozen=True)
class ParseProfile:
    """Per-source refinements of the generic parser. Every field is optional."""

    title: str | None = None
    body: str | None = None
    remove: tuple[str, ...] = ()
    promo_phrases: tuple[str, ...] = ()
    dateline: str | None = None


@dataclass(frozen=True)
class SourceConfig:
    name: str
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    article_pattern: str | None = None
    max_pages: int = 200
    schedule: str | None = None
    cron: str | None = None
    parse: ParseProfile | None = None

    @property
    def interval_s(self) -> float | None:
        """The fixed interval in seconds, or None when the source runs on a cron expression."""
        return parse_schedule(self.schedule) if self.schedule else None


@dataclass(frozen=True)
class Config:
    storage: StorageConfig = field(default_factory=StorageConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    sources: tuple[SourceConfig, ...] = ()
    path: str | None = None

    def source(self, name: str) -> SourceConfig:
        for src in self.sources:
            if src.name == name:
                return src
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(self.path, None, f"unknown source {name!r} (known: {known})")

    def select_sources(self, names: tuple[str, ...] | list[str]) -> tuple[SourceConfig, ...]:
        if not names:
            return self.sources
        return tuple(self.source(n) for n in names)


# --------------------------------------------------------------------------------------------------
# validation


class _Ctx:
    def __init__(self, path: str | None) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.path, key, message)


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _want_str(ctx: _Ctx, key: str, v: Any) -> str:
    if not isinstance(v, str):
        raise ctx.fail(key, f"expected a string, got {_type_name(v)} ({v!r})")
    return v


def _want_nonempty_str(ctx: _Ctx, key: str, v: Any) -> str:
    s = _want_str(ctx, key, v)
    if not s.strip():
        raise ctx.fail(key, "expected a non-empty string")
    return s


def _want_bool(ctx: _Ctx, key: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ctx.fail(key, f"expected true or false, got {_type_name(v)} ({v!r})")
    return v


def _want_int(lo: int, hi: int | None = None) -> Callable[[_Ctx, str, Any], int]:
    def check(ctx: _Ctx, key: str, v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ctx.fail(key, f"expected an integer, got {_type_name(v)} ({v!r})")
        if v < lo or (hi is not None and v > hi):
            rng = f">= {lo}" if hi is None else f"between {lo} and {hi}"
            raise ctx.fail(key, f"expected an integer {rng}, got {v}")
        return v
    return check


def _want_float(lo: float, hi: float | None = None, *, lo_open: bool = False) -> Callable[[_Ctx, str, Any], float]:
    def check(ctx: _Ctx, key: str, v: Any) -> float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ctx.fail(key, f"expected a number, got {_type_name(v)} ({v!r})")
        f = float(v)
        if f != f or (f <= lo if lo_open else f < lo) or (hi is not None and f > hi):
            lo_txt = f"> {lo}" if lo_open else f">= {lo}"
            rng = lo_txt if hi is None else f"{lo_txt} and <= {hi}"
            raise ctx.fail(key, f"expected a number {rng}, got {v}")
        return f
    return check


def _parsed_by(parse: Callable[[str], object]) -> Callable[[_Ctx, str, Any], str]:
    """A checker for a string that ``parse`` accepts (its ValueError message names what is expected)."""
    def check(ctx: _Ctx, key: str, v: Any) -> str:
        s = _want_str(ctx, key, v)
        try:
            parse(s)
        except ValueError as exc:
            raise ctx.fail(key, str(exc)) from None
        return s
    return check


_want_duration = _parsed_by(parse_duration)
_want_schedule = _parsed_by(parse_schedule)
_want_cron = _parsed_by(validate_cron)
_want_timezone = _parsed_by(zone)


def _want_regex(ctx: _Ctx, key: str, v: Any) -> str:
    s = _want_str(ctx, key, v)
    try:
        re.compile(s)
    except re.error as exc:
        raise ctx.fail(key, f"invalid regular expression {s!r}: {exc}") from None
    if has_nested_quantifier(s):
        raise ctx.fail(key, f"regular expression {s!r}: a nested quantifier can backtrack exponentially "
                            "(a repeat around something that repeats without bound, like (a+)+); "
                            "give the inner part a fixed separator or drop one quantifier")
    return s


# Config patterns run on remote text (URLs, paragraphs), so a pattern that can backtrack exponentially is
# refused: a repeat (at most more than once) whose body is only unbounded repeats and optional parts, as in
# ``(a+)+``, ``(a*)*``, ``(\w+\s?)+``. A body with a part it must match each time (``(\d+/)+``: the ``/``)
# is accepted, as is alternation under a repeat (``(a|aa)+``). Atomic groups and possessive repeats never
# backtrack into their body.
_FIXED, _STAR, _OPT = "fixed", "star", "opt"
_ONE_CHAR = frozenset({"LITERAL", "NOT_LITERAL", "ANY", "IN", "CATEGORY", "ATOMIC_GROUP", "POSSESSIVE_REPEAT"})
_ZERO_WIDTH = frozenset({"AT", "ASSERT", "ASSERT_NOT", "GROUPREF"})


def has_nested_quantifier(pattern: str) -> bool:
    """Does ``pattern`` (a valid regex) hold a repeat whose body can itself repeat without bound?"""
    from re import _parser  # type: ignore[attr-defined]

    return _nested(list(_parser.parse(pattern)))


def _kind(items: list[tuple[Any, Any]]) -> str:
    """How a sequence matches: something fixed each time, only via an unbounded repeat, or possibly empty."""
    kinds = [_item_kind(op, av) for op, av in items]
    return _FIXED if _FIXED in kinds else _STAR if _STAR in kinds else _OPT


def _item_kind(op: Any, av: Any) -> str:
    name = str(op)
    if name in _ONE_CHAR:
        return _FIXED
    if name in ("MAX_REPEAT", "MIN_REPEAT"):
        lo, hi, body = av
        inner = _kind(list(body))
        if inner == _OPT:
            return _OPT
        if hi == _maxrepeat():
            return _STAR
        return inner if lo >= 1 else (_STAR if inner == _STAR else _OPT)
    if name == "SUBPATTERN":
        return _kind(list(av[3]))
    if name == "BRANCH":
        kinds = [_kind(list(alt)) for alt in av[1]]
        return _STAR if _STAR in kinds else _FIXED if all(k == _FIXED for k in kinds) else _OPT
    if name == "GROUPREF_EXISTS":
        kinds = [_kind(list(alt)) for alt in av[1:] if alt is not None]
        return _STAR if _STAR in kinds else _OPT
    return _OPT if name in _ZERO_WIDTH else _FIXED


def _children(op: Any, av: Any) -> list[list[tuple[Any, Any]]]:
    name = str(op)
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        return [list(av[2])]
    if name == "SUBPATTERN":
        return [list(av[3])]
    if name == "BRANCH":
        return [list(alt) for alt in av[1]]
    if name in ("ASSERT", "ASSERT_NOT"):
        return [list(av[1])]
    if name == "ATOMIC_GROUP":
        return [list(av)]
    if name == "GROUPREF_EXISTS":
        return [list(alt) for alt in av[1:] if alt is not None]
    return []


def _nested(items: list[tuple[Any, Any]]) -> bool:
    for op, av in items:
        if str(op) in ("MAX_REPEAT", "MIN_REPEAT") and av[1] > 1 and _kind(list(av[2])) == _STAR:
            return True
        if any(_nested(child) for child in _children(op, av)):
            return True
    return False


def _maxrepeat() -> int:
    from re import _constants  # type: ignore[attr-defined]

    return int(_constants.MAXREPEAT)


def _want_selector(ctx: _Ctx, key: str, v: Any) -> str:
    s = _want_nonempty_str(ctx, key, v)
    from selectolax.lexbor import LexborHTMLParser

    try:
        LexborHTMLParser("<html></html>").css(s)
    except Exception as exc:  # selectolax raises plain exceptions on bad selectors
        raise ctx.fail(key, f"invalid CSS selector {s!r}: {exc}") from None
    return s


def _want_url(ctx: _Ctx, key: str, v: Any) -> str:
    s = _want_str(ctx, key, v)
    parts = urlsplit(s)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ctx.fail(key, f"expected an absolute http(s) URL, got {s!r}")
    return s


def _want_domain(ctx: _Ctx, key: str, v: Any) -> str:
    s = _want_nonempty_str(ctx, key, v).strip().lower()
    if "/" in s or " " in s:
        raise ctx.fail(key, f"expected a host name such as 'example.com', got {v!r}")
    return s


def _list_of(item: Callable[[_Ctx, str, Any], Any]) -> Callable[[_Ctx, str, Any], tuple[Any, ...]]:
    def check(ctx: _Ctx, key: str, v: Any) -> tuple[Any, ...]:
        if not isinstance(v, list):
            raise ctx.fail(key, f"expected a list, got {_type_name(v)} ({v!r})")
        return tuple(item(ctx, f"{key}[{i}]", x) for i, x in enumerate(v))
    return check


_Checker = Callable[[_Ctx, str, Any], Any]

_STORAGE_KEYS: dict[str, _Checker] = {"path": _want_nonempty_str}
_HTTP_KEYS: dict[str, _Checker] = {
    "user_agent": _want_nonempty_str,
    "timeout": _want_float(0.0, 3600.0, lo_open=True),
    "max_bytes": _want_int(1024),
    "concurrency": _want_int(1, 1000),
    "per_host_concurrency": _want_int(1, 100),
    "per_host_delay": _want_float(0.0, 3600.0),
    "retries": _want_int(0, 20),
    "backoff_base": _want_float(0.0, 3600.0),
    "backoff_max": _want_float(0.0, 86400.0),
    "max_retry_after": _want_float(0.0, 86400.0),
    "respect_robots": _want_bool,
    "recheck_days": _want_float(0.0, 3650.0),
    "gone_after": _want_int(1, 1000),
}
_DAEMON_KEYS: dict[str, _Checker] = {
    "default_schedule": _want_schedule,
    "jitter": _want_float(0.0, 1.0),
    "max_running": _want_int(1, 1000),
    "stop_timeout": _want_float(0.0, 3600.0),
    "adaptive": _want_bool,
    "max_interval": _want_duration,
    "max_backoff": _want_duration,
    "timezone": _want_timezone,
}
_CLUSTER_KEYS: dict[str, _Checker] = {
    "dsn": _want_nonempty_str,
    "stall_timeout": _want_float(2.0, 3600.0),
    "max_running": _want_int(1, 10_000),
}
_PARSE_KEYS: dict[str, _Checker] = {
    "title": _want_selector,
    "body": _want_selector,
    "remove": _list_of(_want_selector),
    "promo_phrases": _list_of(_want_nonempty_str),
    "dateline": _want_regex,
}
_SOURCE_KEYS: dict[str, _Checker] = {
    "name": _want_nonempty_str,
    "start_urls": _list_of(_want_url),
    "feeds": _list_of(_want_url),
    "sitemaps": _list_of(_want_url),
    "allowed_domains": _list_of(_want_domain),
    "article_pattern": _want_regex,
    "max_pages": _want_int(1, 10_000_000),
    "schedule": _want_schedule,
    "cron": _want_cron,
}


def _check_table(ctx: _Ctx, prefix: str, table: Any, keys: Mapping[str, _Checker],
                 extra: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ctx.fail(prefix, f"expected a table, got {_type_name(table)}")
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}.{key}"
        if key in extra:
            continue
        if key not in keys:
            raise ctx.fail(full, f"unknown key (expected one of: {', '.join(sorted((*keys, *extra)))})")
        out[key] = keys[key](ctx, full, value)
    return out


def _hosts_of(urls: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for u in urls:
        host = (urlsplit(u).hostname or "").lower()
        if host:
            seen.setdefault(host, None)
    return tuple(seen)


def config_from_dict(data: Mapping[str, Any], path: str | None = None) -> Config:
    """Validate a parsed TOML document. ``path`` only names the file in error messages."""
    ctx = _Ctx(path)
    allowed_top = {"storage", "http", "daemon", "cluster", "sources"}
    for key in data:
        if key not in allowed_top:
            raise ctx.fail(key, f"unknown key (expected one of: {', '.join(sorted(allowed_top))})")
    storage = StorageConfig(**_check_table(ctx, "storage", data.get("storage", {}), _STORAGE_KEYS))
    http = HttpConfig(**_check_table(ctx, "http", data.get("http", {}), _HTTP_KEYS))
    daemon = DaemonConfig(**_check_table(ctx, "daemon", data.get("daemon", {}), _DAEMON_KEYS))
    cluster = ClusterConfig(**_check_table(ctx, "cluster", data.get("cluster", {}), _CLUSTER_KEYS))

    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise ctx.fail("sources", "expected an array of tables ([[sources]])")
    sources: list[SourceConfig] = []
    names: set[str] = set()
    for i, raw in enumerate(raw_sources):
        prefix = f"sources[{i}]"
        vals = _check_table(ctx, prefix, raw, _SOURCE_KEYS, extra=("parse",))
        name = vals.get("name")
        if name is None:
            raise ctx.fail(f"{prefix}.name", "missing: every source needs a name")
        if not _SOURCE_NAME_RE.match(name):
            raise ctx.fail(f"{prefix}.name", f"expected letters, digits, '_', '.' or '-' (max 64), got {name!r}")
        if name in names:
            raise ctx.fail(f"{prefix}.name", f"duplicate source name {name!r}")
        names.add(name)
        prefix = f"sources[{i}] ({name})"
        if not (vals.get("start_urls") or vals.get("feeds") or vals.get("sitemaps")):
            raise ctx.fail(prefix, "needs at least one of start_urls, feeds or sitemaps")
        if "schedule" in vals and "cron" in vals:
            raise ctx.fail(f"{prefix}.cron", "give either schedule or cron, not both")
        if not vals.get("allowed_domains"):
            vals["allowed_domains"] = _hosts_of(
                vals.get("start_urls", ()) + vals.get("feeds", ()) + vals.get("sitemaps", ()))
        profile = None
        if "parse" in raw:
            pvals = _check_table(ctx, f"{prefix}.parse", raw["parse"], _PARSE_KEYS)
            profile = ParseProfile(**pvals)
        sources.append(SourceConfig(**vals, parse=profile))
    return Config(storage=storage, http=http, daemon=daemon, cluster=cluster, sources=tuple(sources),
                  path=path)


def load_config(path: str | Path | None = None, *, explicit: bool = False) -> Config:
    """Read and validate a config file.

    ``path=None`` looks for ``./config.toml`` and falls back to the built-in defaults (no sources) when it
    does not exist. An ``explicit`` path that does not exist is an error.
    """
    if path is None:
        candidate = Path(DEFAULT_CONFIG_NAME)
        if not candidate.exists():
            return Config()
        path = candidate
    p = Path(path)
    name = str(p)
    if not p.exists():
        if explicit:
            raise ConfigError(name, None, "no such file")
        return Config()
    if p.is_dir():
        raise ConfigError(name, None, "is a directory, expected a TOML file")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(name, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(name, None, f"not valid UTF-8 (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, None, f"invalid TOML: {exc}") from None
    return config_from_dict(data, name)


def replace(cfg: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` re-exported for callers that override a value (``--db``)."""
    return dataclasses.replace(cfg, **changes)
