"""Full disk, read-only and locked databases: kabar stops with one clear line and exit 1; the data stays valid.

The faults are made in ways that still bite when the tests run as root (CI does, and ``chmod`` does not stop
root):

* full disk: the database lives on a 1 MB tmpfs mounted in a private mount namespace (``unshare -m``), so
  SQLite gets a real ENOSPC mid-crawl; in-process, ``PRAGMA max_page_count`` on the store's own connection
  gives a real SQLITE_FULL (that pragma is per connection, so it cannot reach a subprocess);
* read-only: a read-only bind mount of the database's folder (``unshare -m``), else ``chattr +i`` on the
  file; in-process, ``PRAGMA query_only`` on the store's connection;
* locked: another process holds ``BEGIN EXCLUSIVE`` longer than the store's busy timeout.

Each CLI case checks: exit 1, exactly one non-empty stderr line ``kabar: error: ...`` that says what
happened, and afterwards ``PRAGMA integrity_check`` is ok and a normal crawl completes the database.
"""

from __future__ import annotations

import functools
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import config_to_toml, kabar_env

from scraper.config import Config
from scraper.crawl import run_crawl
from scraper.demo import FAM68, demo_config, serve_demo
from scraper.errors import DatabaseLockedError, DiskFullError, ReadOnlyDatabaseError
from scraper.pipeline import crawl_source
from storage.store import DEFAULT_BUSY_TIMEOUT, Store

pytestmark = pytest.mark.slow

TMPFS_SIZE = "1m"


def kabar(*args: str) -> list[str]:
    return [sys.executable, "-m", "scraper", "-q", *args]


@functools.cache
def can_unshare_mount() -> str | None:
    """None when ``unshare -m`` can mount a tmpfs here, else why not."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    try:
        p = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"],
                           capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    return None if p.returncode == 0 else f"unshare -m cannot mount here: {p.stderr.strip()[:200]}"


def in_namespace(script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (mounts vanish with it)."""
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                          env=kabar_env())


def error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got {len(lines)}:\n{stderr[-3000:]}"
    assert lines[0].startswith("kabar: error: "), lines[0]
    return lines[0]


def integrity(db: Path, *, settled: bool = True) -> None:
    """The database is valid and whole. ``settled``: no run is left ``running`` (a run stopped by a full
    disk may not manage to record its end; the next start marks it ``interrupted``)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        if settled:
            assert conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0
        n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert n == conn.execute("SELECT count(*) FROM articles_fts").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                            "(SELECT 1 FROM segments s WHERE s.article_id = a.id)").fetchone()[0] == 0
    finally:
        conn.close()


def count(db: Path, sql: str = "SELECT count(*) FROM articles") -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    with serve_demo() as base_url:
        yield base_url


def write_config(tmp: Path, base_url: str, db: Path, name: str = "c.toml") -> Path:
    cfg = tmp / name
    cfg.write_text(config_to_toml(demo_config(base_url, str(db))), encoding="utf-8")
    return cfg


def crawl_ok(cfg: Path, db: Path, *sources: str) -> None:
    p = subprocess.run(kabar("--config", str(cfg), "--db", str(db), "crawl", *sources), env=kabar_env(),
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]


# ---- full disk --------------------------------------------------------------------------------------

def test_full_disk_stops_the_crawl_with_one_line_and_a_valid_database(tmp_path: Path, demo: str) -> None:
    why = can_unshare_mount()
    if why:
        pytest.skip(f"real full disk needs a private tmpfs: {why}")
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    cfg = write_config(tmp_path, demo, mnt / "k.db")
    # one source at a time: the one writing when the disk fills is the one run recorded failed
    crawl = shlex.join(kabar("--config", str(cfg), "crawl", "--jobs", "1"))
    p = in_namespace(f"mount -t tmpfs -o size={TMPFS_SIZE} tmpfs {shlex.quote(str(mnt))} || exit 99\n"
                     f"{crawl}\nrc=$?\ncp {shlex.quote(str(mnt))}/k.db* {shlex.quote(str(out))}/\nexit $rc\n")
    assert p.returncode == 1, (p.returncode, p.stderr[-3000:])
    line = error_line(p.stderr)
    assert re.search(r"full", line, re.IGNORECASE), line
    assert "k.db" in line          # names the database
    db = out / "k.db"
    assert count(db) < 66, "the tmpfs was meant to fill up mid-crawl"
    assert count(db, "SELECT count(*) FROM runs WHERE status IN ('failed', 'running')") == 1
    integrity(db, settled=False)
    # on a disk with room, the next crawl completes the same database
    crawl_ok(cfg, db)
    integrity(db)
    assert count(db) == 66 + 12


def test_max_page_count_full_stops_crawl_source_and_keeps_the_database(tmp_path: Path, demo: str) -> None:
    db = tmp_path / "p.db"
    config = demo_config(demo, str(db))
    source = config.sources[0]
    with Store.open(str(db)) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 40}")
        with pytest.raises(DiskFullError) as err:
            crawl_source(source, config, store)
        assert "\n" not in str(err.value) and "full" in str(err.value)
    integrity(db)
    stored = count(db)
    assert stored < 66
    assert count(db, "SELECT count(*) FROM runs WHERE status = 'failed'") == 1
    with Store.open(str(db)) as store:
        summary = crawl_source(source, config, store)
    assert summary.status == "ok" and summary.new == 66 - stored, summary.counts()
    integrity(db)


# ---- read-only ----------------------------------------------------------------------------------------

def _ro_line_ok(line: str) -> None:
    assert re.search(r"read-only|readonly|cannot open the database for writing", line, re.IGNORECASE), line


def test_read_only_database_exits_1_with_one_line(tmp_path: Path, demo: str) -> None:
    d = tmp_path / "ro"
    d.mkdir()
    db = d / "k.db"
    cfg = write_config(tmp_path, demo, db)
    crawl_ok(cfg, db, "bantenpos-demo")
    before = count(db)
    crawl = shlex.join(kabar("--config", str(cfg), "crawl", FAM68))
    if can_unshare_mount() is None:
        q = shlex.quote(str(d))
        p = in_namespace(f"mount --bind {q} {q} && mount -o remount,bind,ro {q} || exit 99\n{crawl}\n")
    elif shutil.which("chattr") and subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode == 0:
        try:
            p = subprocess.run(["sh", "-c", crawl], capture_output=True, text=True, timeout=120, env=kabar_env())
        finally:
            subprocess.run(["chattr", "-i", str(db)], capture_output=True)
    else:
        pytest.skip("no way to make a file read-only for root here (no unshare -m mount, no chattr +i)")
    assert p.returncode == 1, (p.returncode, p.stderr[-3000:])
    line = error_line(p.stderr)
    _ro_line_ok(line)
    integrity(db)
    assert count(db) == before
    crawl_ok(cfg, db, FAM68)       # writable again: the crawl completes
    assert count(db) == before + 66


def test_read_only_folder_for_a_new_database_exits_1_with_one_line(tmp_path: Path, demo: str) -> None:
    why = can_unshare_mount()
    if why:
        pytest.skip(f"a read-only folder for root needs a read-only bind mount: {why}")
    d = tmp_path / "ro"
    d.mkdir()
    cfg = write_config(tmp_path, demo, d / "new.db")
    q = shlex.quote(str(d))
    crawl = shlex.join(kabar("--config", str(cfg), "crawl"))
    p = in_namespace(f"mount --bind {q} {q} && mount -o remount,bind,ro {q} || exit 99\n{crawl}\n")
    assert p.returncode == 1, (p.returncode, p.stderr[-3000:])
    _ro_line_ok(error_line(p.stderr))
    assert not (d / "new.db").exists()


def test_query_only_connection_stops_crawl_source(tmp_path: Path, demo: str) -> None:
    db = tmp_path / "q.db"
    config = demo_config(demo, str(db))
    with Store.open(str(db)) as store:
        store.conn.execute("PRAGMA query_only = ON")
        with pytest.raises(ReadOnlyDatabaseError) as err:
            crawl_source(config.sources[0], config, store)
        assert "\n" not in str(err.value)
    integrity(db)
    assert count(db) == 0


# ---- locked -------------------------------------------------------------------------------------------

HOLDER = r'''
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO sources (name) VALUES ('held-by-another-process')")
print("locked", flush=True)
sys.stdin.read()            # hold the lock until the test closes our stdin
conn.execute("ROLLBACK")
'''


def _hold_lock(db: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked", holder.stderr.read() if holder.stderr else ""
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    holder.communicate(input="", timeout=30)
    assert holder.returncode == 0


def test_database_locked_longer_than_the_busy_timeout_exits_1(tmp_path: Path, demo: str) -> None:
    if DEFAULT_BUSY_TIMEOUT > 15:
        pytest.fail(f"the store's busy timeout is {DEFAULT_BUSY_TIMEOUT}s: too long to test, and too long "
                    "for a user to wait without a word")
    db = tmp_path / "l.db"
    cfg = write_config(tmp_path, demo, db)
    crawl_ok(cfg, db, "bantenpos-demo")
    before = count(db)
    holder = _hold_lock(db)
    try:
        t0 = time.monotonic()
        p = subprocess.run(kabar("--config", str(cfg), "crawl", FAM68), env=kabar_env(), capture_output=True,
                           text=True, timeout=DEFAULT_BUSY_TIMEOUT * 3 + 30)
        waited = time.monotonic() - t0
    finally:
        _release(holder)
    assert p.returncode == 1, (p.returncode, p.stderr[-3000:])
    line = error_line(p.stderr)
    assert "database is locked" in line, line
    assert waited >= DEFAULT_BUSY_TIMEOUT * 0.9, f"gave up after {waited:.1f}s, before the busy timeout"
    integrity(db)
    assert count(db) == before
    assert count(db, "SELECT count(*) FROM sources WHERE name = 'held-by-another-process'") == 0


def test_a_short_lock_is_waited_out(tmp_path: Path, demo: str) -> None:
    db = tmp_path / "s.db"
    config: Config = demo_config(demo, str(db))
    with Store.open(str(db)):
        pass     # schema
    holder = _hold_lock(db)
    try:
        assert holder.stdin is not None
        threading.Timer(1.0, holder.stdin.close).start()     # the other process commits after 1 s
        with Store.open(str(db), busy_timeout=DEFAULT_BUSY_TIMEOUT) as store:
            outcome = run_crawl(config, store, config.sources[:1])
    finally:
        holder.wait(timeout=30)
    assert outcome.exit_code == 0, [s.counts() for s in outcome.summaries]
    assert outcome.summaries[0].new == 66
    integrity(db)


def test_locked_error_is_the_storage_error_for_a_short_busy_timeout(tmp_path: Path, demo: str) -> None:
    db = tmp_path / "t.db"
    config = demo_config(demo, str(db))
    with Store.open(str(db)):
        pass
    holder = _hold_lock(db)
    try:
        with Store.open(str(db), busy_timeout=0.2) as store:
            with pytest.raises(DatabaseLockedError) as err:
                crawl_source(config.sources[0], config, store)
    finally:
        _release(holder)
    assert "database is locked" in str(err.value) and "\n" not in str(err.value)
    integrity(db)
