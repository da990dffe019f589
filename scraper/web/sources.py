"""The sources page's data: per source, articles per day (with the bars of its SVG chart), the last runs,
failures with their reasons, the next run and the interval. Plain dicts from a read-only connection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from scraper.web.views import rows

DAYS = 30
LAST_RUNS = 8
LAST_FAILURES = 8
CHART_W, CHART_H, CHART_PAD = 300, 60, 12   # the chart's drawing area and the room below it for labels


def daily_counts(conn: sqlite3.Connection, source: str, days: list[str]) -> list[int]:
    """Articles ``source`` stored (``first_seen_at``, UTC) on each of ``days``: what its crawls found."""
    counts = dict(conn.execute("SELECT substr(first_seen_at, 1, 10), COUNT(*) FROM articles "
                               "WHERE source = ? AND first_seen_at >= ? GROUP BY 1", (source, days[0])))
    return [counts.get(day, 0) for day in days]


def chart(days: list[str], counts: list[int]) -> dict[str, Any]:
    """The bars of an SVG bar chart of ``counts`` (one per day), in the chart's coordinates."""
    top = max(counts, default=0) or 1
    width = CHART_W / max(len(counts), 1)
    bars = []
    for i, (day, n) in enumerate(zip(days, counts, strict=True)):
        h = round(CHART_H * n / top, 1)
        bars.append({"day": day, "count": n, "x": round(i * width, 1), "y": round(CHART_H - h, 1),
                     "w": round(max(width - 1, 1), 1), "h": h})
    return {"width": CHART_W, "height": CHART_H + CHART_PAD, "plot_height": CHART_H, "max": max(counts, default=0),
            "bars": bars, "first_day": days[0] if days else None, "last_day": days[-1] if days else None}


def source_health(conn: sqlite3.Connection, src: dict[str, Any], days: list[str]) -> dict[str, Any]:
    name = src["name"]
    counts = daily_counts(conn, name, days)
    runs = rows(conn, "SELECT id, started_at, finished_at, status, discovered, fetched, new, updated, unchanged, "
                      "duplicate, skipped, failed, error FROM runs WHERE source = ? "
                      "ORDER BY started_at DESC LIMIT ?", (name, LAST_RUNS))
    failed_runs = rows(conn, "SELECT id, started_at, status, error FROM runs WHERE source = ? "
                             "AND error IS NOT NULL ORDER BY started_at DESC LIMIT ?", (name, LAST_FAILURES))
    pages = rows(conn, "SELECT url, status, error, fetched_at FROM pages WHERE error IS NOT NULL AND source = ? "
                       "ORDER BY fetched_at DESC LIMIT ?", (name, LAST_FAILURES))
    total = conn.execute("SELECT COUNT(*) FROM articles WHERE source = ?", (name,)).fetchone()[0]
    return {**src, "articles": total, "per_day": dict(zip(days, counts, strict=True)),
            "last_30_days": sum(counts), "chart": chart(days, counts), "runs": runs,
            "failed_runs": failed_runs, "page_failures": pages}


def sources(conn: sqlite3.Connection, now: datetime | None = None) -> dict[str, Any]:
    """Every source's health over the DAYS days up to ``now`` (UTC)."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    days = [(today - timedelta(days=DAYS - 1 - i)).isoformat() for i in range(DAYS)]
    srcs = rows(conn, "SELECT name, created_at, last_run_at, next_run_at, last_status, interval_s, "
                      "consecutive_failures FROM sources ORDER BY name")
    return {"days": DAYS, "from": days[0], "to": days[-1],
            "sources": [source_health(conn, src, days) for src in srcs]}
