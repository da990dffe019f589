"""Query commands on a database in a folder that cannot be written (a backup mount, another user's
/var/lib/kabar with the service stopped): they answer, reading the file as immutable, with one warning line.

Tests run as root, where permissions do not bite: the folder is made read-only with a read-only bind mount in
a private mount namespace (``unshare -m``), else with ``chattr +i``; without either the test is skipped.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import kabar_env

from storage.records import ArticleRecord
from storage.store import Store


def _make_db(folder: Path) -> Path:
    db = folder / "k.db"
    with Store.open(str(db)) as s:
        for i in range(3):
            s.save_article(ArticleRecord(
                source="fam68", url=f"https://fam68.example/a{i}", canonical_url=f"https://fam68.example/a{i}",
                title=f"Banjir hari ke-{i}", segments=[(None, [f"Hujan deras hari ke-{i} merendam kampung."])],
                published_at=f"2025-11-1{i}T20:00:00+07:00"), now="2025-11-17T13:05:00+00:00")
    assert not Path(str(db) + "-shm").exists()      # closed cleanly: a reader would have to create it
    return db


def _can_unshare_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    p = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"],
                       capture_output=True, timeout=20)
    return p.returncode == 0


def _run_read_only(folder: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    cmd = shlex.join(argv)
    if _can_unshare_mount():
        q = shlex.quote(str(folder))
        script = f"mount --bind {q} {q} && mount -o remount,bind,ro {q} || exit 99\n" \
                 f"touch {q}/probe 2>/dev/null && exit 98\n{cmd}\n"
        return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                              timeout=120, env=kabar_env())
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        try:
            return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=120, env=kabar_env())
        finally:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    pytest.skip("no way to make a folder read-only for root here (no unshare -m mount, no chattr +i)")


@pytest.mark.parametrize("command", [("latest", "--format", "json"), ("search", "banjir", "--format", "json"),
                                     ("export",), ("stats", "--format", "json")])
def test_query_commands_answer_in_a_read_only_folder(tmp_path: Path, command: tuple[str, ...]) -> None:
    folder = tmp_path / "backup"
    folder.mkdir()
    db = _make_db(folder)
    p = _run_read_only(folder, [sys.executable, "-m", "scraper", "--db", str(db), *command])
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    if command[0] == "stats":
        assert rows[0]["source"] == "fam68" and rows[0]["articles"] == 3
    else:
        assert len(rows) == 3 and all("Banjir" in r["title"] for r in rows)
    warnings = [line for line in p.stderr.splitlines() if line.strip()]
    assert len(warnings) == 1 and "immutable" in warnings[0] and "read-only" in warnings[0], p.stderr
    assert not list(folder.glob("*-shm"))


def test_a_writable_folder_reads_without_the_warning(tmp_path: Path) -> None:
    db = _make_db(tmp_path)
    p = subprocess.run([sys.executable, "-m", "scraper", "--db", str(db), "latest", "--format", "json"],
                       capture_output=True, text=True, timeout=60, env=kabar_env())
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 3
    assert p.stderr == ""


def test_stats_health_reads_a_read_only_folder(tmp_path: Path) -> None:
    """No daemon ever beat in this database: --health says so (exit 1) instead of failing to open it."""
    folder = tmp_path / "backup"
    folder.mkdir()
    db = _make_db(folder)
    p = _run_read_only(folder, [sys.executable, "-m", "scraper", "--db", str(db), "stats", "--health"])
    assert p.returncode == 1, p.stderr
    assert "no daemon heartbeat" in p.stdout + p.stderr
    assert "cannot open" not in p.stderr
