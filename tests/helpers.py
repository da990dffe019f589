"""What the tests share: the repository's place, running kabar as a user does, config files and pages.

Fixtures built on these live in ``conftest.py``; the hostile loopback server in ``hostile_server.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from storage.records import ArticleRecord
from storage.store import Store

REPO = Path(__file__).resolve().parent.parent


# ---- store records ----------------------------------------------------------------------------------
NOW = "2025-11-18T10:00:00+00:00"
LATER = "2025-11-18T12:00:00+00:00"


def record(i: int, source: str = "fam68", **changes: object) -> ArticleRecord:
    """A distinct article: its facts and wording depend on ``i``."""
    base = ArticleRecord(
        source=source,
        url=f"https://{source}.example/2025/11/berita-{i}/",
        canonical_url=f"https://{source}.example/2025/11/berita-{i}/",
        title=f"Berita nomor {i} dari Banten",
        segments=[(None, [f"Kantor wilayah ke-{i} mencatat {1000 + i * 7} warga pada pekan ke-{i}.",
                          f"Kepala kantor, Budi Santoso{i}, menyebut angka {i * 13 + 101} orang."]),
                  (f"Subjudul {i}", [f"Program {i} berjalan di desa nomor {i * 3 + 11}."])],
        published_at="2025-11-18T08:00:00+07:00",
        authors=["Redaksi"],
        tags=["banten"],
        lang="id",
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def table_counts(store: Store) -> dict[str, int]:
    return {t: count(store, t) for t in ("articles", "segments", "article_urls", "article_revisions",
                                         "story_docs", "story_postings")}


def kabar_env(**extra: str) -> dict[str, str]:
    """The environment a ``python -m scraper`` subprocess runs in: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def kabar_cmd(*args: str) -> list[str]:
    """The argv of ``kabar ARGS...`` as a user runs it (through ``python -m scraper``)."""
    return [sys.executable, "-m", "scraper", *args]


def run_kabar(*args: str, cwd: Path | str | None = None, timeout: float = 120,
              env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``kabar ARGS...`` to completion; text output captured."""
    return subprocess.run(kabar_cmd(*args), cwd=cwd, env=env or kabar_env(), capture_output=True, text=True,
                          timeout=timeout, input=input)


def article_html(title: str, paragraphs: Iterable[str], *, charset_meta: bool = True,
                 headline: str = "Langkah Selanjutnya") -> str:
    """A FAM68-style article page: ``<h1>``, dated lead, a sub-headline, and the promo block."""
    paras = list(paragraphs)
    body = [f"<p>FAM68 – {paras[0]}</p>"] if paras else []
    if len(paras) > 1:
        body.append(f"<h2>{headline}</h2><p>FAM68 – {paras[1]}</p>")
        body.extend(f"<p>{p}</p>" for p in paras[2:])
    meta = '<meta charset="utf-8">' if charset_meta else ""
    return (f"<!DOCTYPE html><html lang=\"id-ID\"><head>{meta}<title>{title} – FAM68</title>"
            f"<meta property=\"og:title\" content=\"{title}\">"
            f"<meta property=\"article:published_time\" content=\"2025-01-15T08:00:00+07:00\"></head>"
            f"<body><article><h1 class=\"entry-title\">{title}</h1><div class=\"entry-content\">"
            + "".join(body)
            + "<p><strong>Berita Terpercaya :</strong></p><ul><li><a href=\"/2025/01/berita-lain/\">"
              "Berita lain yang tidak terkait</a></li></ul></div></article></body></html>")


def toml_value(value: Any) -> str:
    """One Python value as a TOML value (for config files the tests write)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)   # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_table(header: str, obj: Any, skip: tuple[str, ...] = ()) -> list[str]:
    lines = [header]
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name in skip or value is None or is_dataclass(value):
            continue
        lines.append(f"{f.name} = {toml_value(value)}")
    return lines


def config_to_toml(config: Any) -> str:
    """A ``scraper.config.Config`` written back as config.toml text (for ``python -m scraper --config``)."""
    lines = _toml_table("[storage]", config.storage)
    lines += _toml_table("[http]", config.http)
    lines += _toml_table("[daemon]", config.daemon)
    for src in config.sources:
        lines += _toml_table("[[sources]]", src)
        if src.parse is not None:
            lines += _toml_table("[sources.parse]", src.parse)
    return "\n".join(lines) + "\n"
