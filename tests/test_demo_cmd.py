"""`kabar demo` as a user runs it: a subprocess that serves, crawls, and prints the summary and a search."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from scraper.cli_crawl import DEMO_QUERY
from scraper.demo import BANTENPOS, FAM68, DemoSite

pytestmark = pytest.mark.slow


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scraper", "demo", *args], capture_output=True, text=True,
                          timeout=240, cwd=str(cwd))


def rows_of(stdout: str) -> dict[str, list[str]]:
    lines = stdout.splitlines()
    header = lines[0].split()
    assert header == ["source", "discovered", "fetched", "new", "updated", "unchanged", "duplicate", "skipped",
                      "failed", "status"], stdout
    out = {}
    for line in lines[1:]:
        cells = line.split()
        if len(cells) == len(header) and cells[0] in (FAM68, BANTENPOS):
            out[cells[0]] = cells
    return out


def test_demo_command_twice(tmp_path: Path) -> None:
    site = DemoSite.load()
    n_fam, n_bp = len(site.published(FAM68)), len(site.published(BANTENPOS))
    db = tmp_path / "demo.db"

    first = run_demo(tmp_path, "--db", str(db))
    assert first.returncode == 0, first.stderr[-3000:]
    rows = rows_of(first.stdout)
    assert rows[FAM68][3] == str(n_fam) and rows[BANTENPOS][3] == str(n_bp)     # new
    assert rows[FAM68][8] == "0" and rows[FAM68][9] == "ok"                      # failed, status
    assert f"kabar search {DEMO_QUERY!r}" in first.stdout
    search_lines = first.stdout.split(f"kabar search {DEMO_QUERY!r}", 1)[1].splitlines()[1:]
    results = [ln for ln in search_lines if ln.startswith("  20")]
    assert results, first.stdout
    assert any("copies]" in ln for ln in results)      # a syndicated story shows its cluster
    conn = sqlite3.connect(db)
    titles = {t for (t,) in conn.execute("SELECT title FROM articles")}
    assert any(t in results[0] for t in titles)
    conn.close()

    second = run_demo(tmp_path, "--db", str(db))
    assert second.returncode == 0, second.stderr[-3000:]
    rows = rows_of(second.stdout)
    assert rows[FAM68][3] == "0" and rows[BANTENPOS][3] == "0"
    if "is busy" not in first.stderr + second.stderr:   # same port both times: same URLs, all 304s
        assert rows[FAM68][5] == str(n_fam) and rows[BANTENPOS][5] == str(n_bp)


def test_default_database_name(tmp_path: Path) -> None:
    proc = run_demo(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "kabar-demo.db").is_file()
