"""One writer per database (issue 14): the ``<db>.lock`` writer lock, ``runs.owner`` and recovery, and what a
second process does: a second daemon exits 1 naming the first, a crawl beside a daemon is refused, two crawls
at once fetch each article once, a SIGKILLed crawl's stale lock is taken; a second signal exits 130."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import NewsSite, site_source, wait_for
from daemon_helpers import write_config as daemon_write_config

from scraper.plan import plan
from storage import lock as lock_module
from storage.errors import ReadOnlyDatabaseError
from storage.lock import WriterLock, WriterLockedError, holder, is_held, lock_path, this_owner
from storage.store import Store

REPO = Path(__file__).resolve().parent.parent
HOST = socket.gethostname()


# ---- the lock itself -----------------------------------------------------------------------------------
def test_lock_file_names_its_owner_and_a_second_taker_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    with WriterLock.acquire(db, command="kabar test") as held:
        assert held.held and lock_path(db) == tmp_path / "k.db.lock"
        data = json.loads(lock_path(db).read_text())
        assert (data["pid"], data["host"], data["command"]) == (os.getpid(), HOST, "kabar test")
        owner = holder(db)
        assert owner is not None and owner.key == this_owner() and is_held(db)
        t0 = time.monotonic()
        with pytest.raises(WriterLockedError) as exc:
            WriterLock.acquire(db, command="kabar crawl", wait=0.3)
        assert time.monotonic() - t0 < 0.3 + 1.0
        assert str(exc.value).startswith(f"{db} is being written by kabar test (pid {os.getpid()} on host {HOST}, "
                                          "since ")
        assert exc.value.exit_code == 1
    assert lock_path(db).read_text() == "" and holder(db) is None and not is_held(db)
    WriterLock.acquire(db, wait=0).release()


def test_an_in_memory_database_needs_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = WriterLock.acquire(":memory:", wait=0)
    second = WriterLock.acquire(":memory:", wait=0)
    assert not first.held and not second.held and list(tmp_path.iterdir()) == []
    first.release()
    second.release()


def test_a_lock_file_that_cannot_be_created_is_one_storage_error(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def read_only(*args: Any, **kwargs: Any) -> int:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(lock_module.os, "open", read_only)
    with pytest.raises(ReadOnlyDatabaseError, match="cannot create the writer lock .*k.db.lock"):
        WriterLock.acquire(str(tmp_path / "k.db"), wait=0)
    monkeypatch.undo()
    with pytest.raises(Exception, match="does not exist"):
        WriterLock.acquire(str(tmp_path / "missing" / "k.db"), wait=0)


HOLD = ("import sys, time\nfrom storage.lock import WriterLock\n"
        "lock = WriterLock.acquire(sys.argv[1], command=sys.argv[2], wait=0)\nprint('held', flush=True)\n"
        "time.sleep(120)\n")


@contextlib.contextmanager
def held_elsewhere(db: str, command: str) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the writer lock of ``db``."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, db, command], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_another_process_holds_it_until_killed_then_its_stale_file_is_taken(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    with held_elsewhere(db, "kabar crawl") as other:
        with pytest.raises(WriterLockedError, match=f"kabar crawl \\(pid {other.pid} on host"):
            WriterLock.acquire(db, wait=0.2)
        owner = holder(db)
        assert owner is not None and owner.pid == other.pid and not owner.is_daemon
        other.send_signal(signal.SIGKILL)
        other.wait()
        assert json.loads(lock_path(db).read_text())["pid"] == other.pid     # stale, but not held
        assert holder(db) is None
        with WriterLock.acquire(db, wait=2.0, command="kabar crawl") as taken:
            assert taken.held and json.loads(lock_path(db).read_text())["pid"] == os.getpid()


# ---- runs.owner and recovery ---------------------------------------------------------------------------
def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def run_statuses(store: Store) -> dict[int, str]:
    return {r[0]: r[1] for r in store.conn.execute("SELECT id, status FROM runs")}


def test_recovery_marks_only_runs_whose_owner_is_dead(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with Store.open(db) as store:
            mine = store.start_run("a")
            assert store.conn.execute("SELECT owner FROM runs WHERE id = ?", (mine,)).fetchone()[0] == this_owner()
            owners = {"dead": f"{dead_pid()}@{HOST}", "live": f"{live.pid}@{HOST}", "legacy": None,
                      "remote": "4242@another-host.example"}
            ids = {}
            for name, owner in owners.items():
                ids[name] = store.start_run(name)
                store.conn.execute("UPDATE runs SET owner = ? WHERE id = ?", (owner, ids[name]))
            # no lock held: a live pid on this host keeps its run; another host's run is dead while nobody
            # holds the lock; this process's own row is left over from an earlier process with its pid
            assert store.recover_interrupted_runs() == 4
            status = run_statuses(store)
            assert status[ids["live"]] == "running"
            assert {status[ids[n]] for n in ("dead", "legacy", "remote")} == {"interrupted"}
            assert status[mine] == "interrupted"
            # another host's run stays while its lock is held
            remote = store.start_run("remote")
            store.conn.execute("UPDATE runs SET owner = ? WHERE id = ?", (owners["remote"], remote))
            with held_elsewhere(db, "kabar daemon"):
                assert store.recover_interrupted_runs() == 0
            # holding the lock ourselves: nobody else can be writing, every running row is a dead one's
            with WriterLock.acquire(db, wait=0):
                assert store.recover_interrupted_runs() == 2
            assert set(run_statuses(store).values()) == {"interrupted"}
    finally:
        live.kill()
        live.wait()


def test_plan_skips_known_articles_fetched_since_fresh_since() -> None:
    from scraper.frontier import Candidate
    from storage.records import PageState

    cands = [Candidate(url=f"https://a.example/2025/01/b{i}/", aliases=set()) for i in range(3)]
    fetched = {cands[0].url: "2025-01-01T10:00:00Z", cands[1].url: "2025-01-01T12:00:00Z"}

    def state(url: str) -> PageState | None:
        return PageState(url, "a", 200, None, None, "h", fetched[url], None) if url in fetched else None

    def known(url: str) -> tuple[int, str] | None:
        return (1, "2999-01-01T00:00:00Z") if url in fetched else None

    def urls(**kw: Any) -> list[str]:
        return [j.url for j in plan(cands, 10, recheck_days=2, article_for_url=known, page_state=state, **kw)]

    assert urls() == [cands[2].url, cands[0].url, cands[1].url]
    assert urls(fresh_since="2025-01-01T11:00:00Z") == [cands[2].url, cands[0].url]


# ---- processes: a loopback site, `python -m scraper` ----------------------------------------------------
class CountingSite(NewsSite):
    """One source ``situs`` of 12 articles, the 10 newest linked from its listing (``/situs/2024/05/berita-<n>/``), every request counted per path;
    ``article_delay`` slows article pages."""

    def __init__(self) -> None:
        super().__init__({"situs": False})
        self.count["situs"] = 12
        self.hits: Counter[str] = Counter()
        self.base = self.start()

    def respond(self, path: str) -> tuple[int, bytes]:
        with self.lock:
            self.hits[path] += 1
        return super().respond(path)

    def article_hits(self) -> dict[str, int]:
        with self.lock:
            return {p: c for p, c in self.hits.items() if "/berita-" in p}


@pytest.fixture
def site() -> Iterator[CountingSite]:
    s = CountingSite()
    yield s
    s.stop()


def write_config(tmp_path: Path, site: CountingSite, *, delay: float, concurrency: int = 2,
                 per_host_delay: float = 0.0, name: str = "k") -> tuple[Path, Path]:
    """The database and config.toml of a crawl of ``site`` whose articles answer after ``delay`` s."""
    site.article_delay = delay
    db = tmp_path / f"{name}.db"
    source = site_source(site.base, "situs", "every 1h")
    raw = {"storage": {"path": str(db)}, "daemon": {"stop_timeout": 10.0}, "sources": [source],
           "http": {"per_host_delay": per_host_delay, "per_host_concurrency": concurrency,
                    "concurrency": concurrency, "retries": 0, "timeout": 10.0}}
    return db, daemon_write_config(tmp_path / f"{name}.toml", raw)


def kabar(cfg: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "scraper", "--config", str(cfg), *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_kabar(cfg: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scraper", "--config", str(cfg), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(db)
        try:
            return list(conn.execute(sql))
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def lock_owner_pid(db: Path) -> int | None:
    try:
        return int(json.loads(lock_path(str(db)).read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


@pytest.mark.slow
def test_two_crawls_at_once_fetch_every_article_once(tmp_path: Path, site: CountingSite) -> None:
    db, cfg = write_config(tmp_path, site, delay=0.15)
    first = kabar(cfg, "crawl")
    assert wait_for(lambda: lock_owner_pid(db) == first.pid, 30)
    second = kabar(cfg, "crawl")
    out1, err1 = first.communicate(timeout=120)
    out2, err2 = second.communicate(timeout=120)
    assert first.returncode == 0, err1[-2000:]
    assert second.returncode == 0, err2[-2000:]
    waiting = [line for line in err2.splitlines() if line.startswith("kabar: waiting:")]
    assert len(waiting) == 1 and f"kabar crawl (pid {first.pid} on host {HOST}" in waiting[0]
    hits = site.article_hits()
    assert len(hits) == 10 and set(hits.values()) == {1}, hits     # the listing links the 10 newest
    statuses = [r[0] for r in rows(db, "SELECT status FROM runs ORDER BY id")]
    assert statuses == ["ok", "ok"]


@pytest.mark.slow
def test_a_sigkilled_crawl_leaves_a_stale_lock_the_next_crawl_takes(tmp_path: Path, site: CountingSite) -> None:
    db, cfg = write_config(tmp_path, site, delay=1.0, concurrency=1)
    victim = kabar(cfg, "crawl")
    assert wait_for(lambda: rows(db, "SELECT 1 FROM runs WHERE status = 'running'") and site.article_hits(), 60)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert lock_owner_pid(db) == victim.pid          # the file stays behind; the flock died with the process
    site.article_delay = 0.0
    done = run_kabar(cfg, "crawl")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "waiting" not in done.stderr
    statuses = [r[0] for r in rows(db, "SELECT status FROM runs ORDER BY id")]
    assert statuses == ["interrupted", "ok"]
    owners = [r[0] for r in rows(db, "SELECT owner FROM runs ORDER BY id")]
    assert owners[0] == f"{victim.pid}@{HOST}" and owners[1] != owners[0]


@pytest.mark.slow
def test_second_daemon_and_a_crawl_are_refused_while_a_daemon_runs(tmp_path: Path, site: CountingSite) -> None:
    db, cfg = write_config(tmp_path, site, delay=2.0, concurrency=1)
    first = kabar(cfg, "daemon", "--heartbeat", "0.5")
    try:
        assert wait_for(lambda: rows(db, "SELECT 1 FROM runs WHERE status = 'running'"), 60), first.pid
        second = run_kabar(cfg, "daemon", "--heartbeat", "0.5", timeout=60)
        assert second.returncode == 1
        assert second.stderr.count("\n") == 1 and second.stdout == ""
        assert second.stderr.startswith(f"kabar: error: {db} is being written by kabar daemon (pid {first.pid} "
                                        f"on host {HOST}, since ")
        crawl = run_kabar(cfg, "crawl", timeout=60)
        assert crawl.returncode == 1 and crawl.stderr.count("\n") == 1, crawl.stderr
        assert f"kabar daemon (pid {first.pid} on host {HOST}" in crawl.stderr
        assert rows(db, "SELECT status, owner FROM runs") == [("running", f"{first.pid}@{HOST}")]
        health = run_kabar(cfg, "stats", "--health", timeout=60)
        assert health.returncode == 0 and f"pid {first.pid}" in health.stdout + health.stderr
        # query commands need no lock
        latest = run_kabar(cfg, "latest", timeout=60)
        assert latest.returncode == 0, latest.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert first.returncode == 0
    assert [r[0] for r in rows(db, "SELECT status FROM runs")] == ["interrupted"]
    assert not is_held(str(db))


@pytest.mark.slow
@pytest.mark.parametrize("command", ["crawl", "daemon"])
def test_two_sigterms_10ms_apart_exit_130_never_143(tmp_path: Path, site: CountingSite, command: str) -> None:
    # in flight (a slow article) and between two requests (the polite delay: the stop ends the crawl at once,
    # so the second signal comes after it returned)
    for attempt, (delay, per_host_delay) in enumerate([(0.5, 0.0), (0.0, 1.0), (0.0, 1.0), (0.0, 1.0)]):
        db, cfg = write_config(tmp_path, site, delay=delay, per_host_delay=per_host_delay, concurrency=1,
                               name=f"k{attempt}")
        proc = kabar(cfg, command, *(["--heartbeat", "0.5"] if command == "daemon" else []))
        before = sum(site.article_hits().values())
        assert wait_for(lambda: sum(site.article_hits().values()) > before, 60)   # noqa: B023
        time.sleep(0.1 * attempt)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, 130), (attempt, proc.returncode, err[-2000:])


@pytest.mark.slow
def test_sigint_during_a_slow_crawl_exits_130_within_6s(tmp_path: Path, site: CountingSite) -> None:
    db, cfg = write_config(tmp_path, site, delay=2.5)
    proc = kabar(cfg, "crawl")
    assert wait_for(lambda: site.article_hits(), 60)
    time.sleep(0.3)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 130, err[-2000:]
    assert elapsed < 6.0
    assert [r[0] for r in rows(db, "SELECT status FROM runs")] == ["interrupted"]


def test_query_commands_take_no_lock(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    Store.open(str(db)).close()
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[storage]\npath = "{db}"\n', encoding="utf-8")
    with held_elsewhere(str(db), "kabar daemon"):
        for args in (["latest"], ["search", "banjir"], ["export"], ["stats"]):
            done = run_kabar(cfg, *args, timeout=60)
            assert done.returncode == 0, (args, done.stderr)
            assert "being written" not in done.stderr
    lock_path(str(db)).unlink()
    assert run_kabar(cfg, "latest", timeout=60).returncode == 0
    assert not lock_path(str(db)).exists()
