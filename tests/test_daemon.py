"""The daemon (scraper/daemon.py): the loop with a fake crawl function, then real daemon subprocesses.

The in-process tests run the real APScheduler wiring and the real Store with a fake crawl function and
1-2 s intervals. The subprocess tests (marked slow) run `kabar daemon` over the bundled demo site and an
independent loopback site. Real-time assertions leave at least 2 s of slack.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from daemon_helpers import FakeSummary, NewsSite, Running, make_config, site_source, wait_for, write_config

from scraper.config import Config, SourceConfig
from scraper.daemon import Daemon
from scraper.errors import ConfigError
from scraper.health import check_health
from storage.heartbeat import read_heartbeat
from storage.store import Store
from storage.util import format_time


@dataclass
class Call:
    source: str
    start: float
    end: float = 0.0
    status: str = ""


@dataclass
class FakeCrawl:
    """Stands in for crawl_source: records a run in the store, takes ``duration`` seconds (cut short by
    ``stop``), finds ``new`` articles, or raises for the sources in ``raising``."""

    duration: dict[str, float] = field(default_factory=dict)
    new: dict[str, int] = field(default_factory=dict)
    raising: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    active: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_active: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def __call__(self, source: SourceConfig, config: Config, store: Store, *, stop: threading.Event,
                 **kwargs: Any) -> Any:
        name = source.name
        call = Call(name, time.monotonic())
        with self.lock:
            self.calls.append(call)
            self.active[name] += 1
            self.max_active[name] = max(self.max_active[name], self.active[name])
        try:
            run_id = store.start_run(name)
            if name in self.raising:
                raise RuntimeError(f"{name} exploded")
            stop.wait(self.duration.get(name, 0.05))
            status = "interrupted" if stop.is_set() else "ok"
            new = self.new.get(name, 1)
            store.finish_run(run_id, status, {"new": new, "fetched": new})
            call.status = status
            return FakeSummary(source=name, run_id=run_id, status=status, new=new, fetched=new)
        finally:
            call.end = time.monotonic()
            with self.lock:
                self.active[name] -= 1

    def of(self, name: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.source == name]


def source_rows(db: Path) -> dict[str, dict[str, Any]]:
    with Store.open(str(db), readonly=True) as store:
        return {r["name"]: r for r in store.sources()}


def run_rows(db: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "kabar.db"
    Store.open(str(path)).close()
    yield path


# ---- in-process: the loop --------------------------------------------------------------------------


def test_a_source_never_overlaps_itself_even_when_slower_than_its_interval(db: Path) -> None:
    cfg = make_config(db, [{"name": "slow", "schedule": "every 1s"}], adaptive=False)
    fake = FakeCrawl(duration={"slow": 1.6})
    with Running(Daemon(cfg, str(db), crawl=fake, heartbeat_s=0.5)) as r:
        assert wait_for(lambda: len([c for c in fake.of("slow") if c.end]) >= 3, 12)
        assert r.stop() == 0
    calls = fake.of("slow")
    assert fake.max_active["slow"] == 1
    for a, b in zip(calls, calls[1:], strict=False):
        assert b.start >= a.end            # never two at once
        assert b.start - a.end < 1.0       # and the overdue run follows at once, not one interval later
    runs = [r for r in run_rows(db) if r["source"] == "slow"]
    assert len(runs) == len(calls) and {r["status"] for r in runs} <= {"ok", "interrupted"}


def test_a_raising_source_does_not_stop_the_others(db: Path) -> None:
    cfg = make_config(db, [{"name": "bad", "schedule": "every 1s"}, {"name": "good", "schedule": "every 1s"}],
                      adaptive=False, max_backoff="1h")
    fake = FakeCrawl(raising={"bad"})
    with Running(Daemon(cfg, str(db), crawl=fake, heartbeat_s=0.5)) as r:
        assert wait_for(lambda: len(fake.of("bad")) >= 2 and len(fake.of("good")) >= 4, 12)
        assert r.stop() == 0
    bad, good = fake.of("bad"), fake.of("good")
    # the failing source backs off: 2 s after the first failure, 4 s after the second
    assert bad[1].start - bad[0].start >= 1.9
    rows = source_rows(db)
    assert rows["bad"]["last_status"] == "failed" and rows["bad"]["consecutive_failures"] >= 1
    assert rows["good"]["last_status"] in ("ok", "interrupted") and rows["good"]["consecutive_failures"] == 0
    good_runs = [r["status"] for r in run_rows(db) if r["source"] == "good"]
    assert set(good_runs[:-1]) == {"ok"} and good_runs[-1] in ("ok", "interrupted")
    # the good source kept its 1 s rhythm meanwhile
    assert len(good) >= 4


def test_state_is_written_to_the_sources_table(db: Path) -> None:
    cfg = make_config(db, [{"name": "quiet", "schedule": "every 1s"}], adaptive=True, max_interval="10s")
    fake = FakeCrawl(new={"quiet": 0})
    with Running(Daemon(cfg, str(db), crawl=fake, heartbeat_s=0.5)) as r:
        assert wait_for(lambda: len([c for c in fake.of("quiet") if c.end]) >= 2, 10)
        assert wait_for(lambda: (source_rows(db)["quiet"]["interval_s"] or 0) >= 2.25, 5)
        assert r.stop() == 0
    row = source_rows(db)["quiet"]
    # two quiet runs: 1 s -> 1.5 s -> 2.25 s
    quiet_ok = [c for c in fake.of("quiet") if c.status == "ok"]
    assert row["interval_s"] == pytest.approx(1.5 ** len(quiet_ok), rel=0.01)
    assert row["last_status"] in ("ok", "interrupted") and row["last_run_at"] and row["next_run_at"]


def test_catch_up_after_restart_runs_overdue_once_and_waits_for_the_rest(db: Path) -> None:
    now = datetime.now(UTC)
    with Store.open(str(db)) as store:
        # overdue for ten minutes with a 1 h interval: many missed slots, one catch-up run
        store.update_source("overdue", last_run_at=format_time(now - timedelta(minutes=70)),
                            next_run_at=format_time(now - timedelta(minutes=10)), last_status="ok",
                            interval_s=3600)
        # not due for another hour
        store.update_source("later", last_run_at=format_time(now - timedelta(seconds=5)),
                            next_run_at=format_time(now + timedelta(minutes=59)), last_status="ok",
                            interval_s=3600)
    cfg = make_config(db, [{"name": "overdue", "schedule": "every 1h"}, {"name": "later", "schedule": "every 1h"}])
    fake = FakeCrawl()
    daemon = Daemon(cfg, str(db), crawl=fake, heartbeat_s=0.5)
    with Running(daemon) as r:
        assert wait_for(lambda: len([c for c in fake.of("overdue") if c.end]) == 1, 5)
        time.sleep(1.0)  # room for a wrong second run
        planned = daemon.scheduled()
        assert r.stop() == 0
    assert len(fake.of("overdue")) == 1 and fake.of("later") == []
    later_at = planned["later"]
    assert later_at is not None and abs((later_at - (now + timedelta(minutes=59))).total_seconds()) < 1
    overdue_at = planned["overdue"]
    assert overdue_at is not None and overdue_at > now + timedelta(minutes=59)


FIVE_CRONS = {"monday": "0 6 * * 1", "sunday0": "30 23 * * 0", "sunday7": "30 23 * * 7",
              "weekdays": "0 6 * * 1-5", "friday13": "0 6 13 * 5"}


def standard_cron_next(expr: str, after: datetime, tz: str) -> datetime:
    """Reference evaluator for plain numeric crontabs (a zone without daylight saving): minute by minute,
    0 and 7 are Sunday, day-of-month OR day-of-week when both are restricted."""
    from zoneinfo import ZoneInfo

    def values(spec: str) -> set[int]:
        out: set[int] = set()
        for part in spec.split(","):
            lo, _, hi = part.partition("-")
            out.update(range(int(lo), int(hi or lo) + 1))
        return out

    minute, hour, dom, month, dow = expr.split()
    any_ = set(range(0, 60))
    mins, hours = values(minute), values(hour)
    doms = any_ if dom == "*" else values(dom)
    months = any_ if month == "*" else values(month)
    dows = any_ if dow == "*" else {d % 7 for d in values(dow)}
    t = after.astimezone(ZoneInfo(tz)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for _ in range(60 * 24 * 40):
        dom_ok, dow_ok = t.day in doms, t.isoweekday() % 7 in dows
        day_ok = (dom_ok and dow_ok) if "*" in (dom, dow) else (dom_ok or dow_ok)
        if t.minute in mins and t.hour in hours and t.month in months and day_ok:
            return t.astimezone(UTC)
        t += timedelta(minutes=1)
    raise AssertionError(f"{expr} never fired")


@pytest.mark.parametrize("tz", ["UTC", "Asia/Jakarta"])
def test_five_cron_sources_record_standard_crons_next_fire_time(db: Path, tz: str) -> None:
    cfg = make_config(db, [{"name": n, "cron": c} for n, c in FIVE_CRONS.items()], timezone=tz, jitter=0.5)
    fake = FakeCrawl()
    daemon = Daemon(cfg, str(db), crawl=fake, heartbeat_s=0.5)
    with Running(daemon) as r:
        # never run: each runs once at start, then waits for its cron time
        assert wait_for(lambda: len(daemon.history) == len(FIVE_CRONS), 5)
        time.sleep(0.5)  # room for a wrong second run
        planned = daemon.scheduled()
        assert r.stop() == 0
    rows = source_rows(db)
    finished = {rec.source: rec.finished for rec in daemon.history}
    assert sorted(finished) == sorted(FIVE_CRONS) and len(daemon.history) == len(FIVE_CRONS)
    for name, expr in FIVE_CRONS.items():
        expected = standard_cron_next(expr, finished[name], tz)
        assert rows[name]["next_run_at"] == format_time(expected), (name, expr)
        assert planned[name] == expected and rows[name]["last_status"] == "ok"
    assert rows["sunday0"]["next_run_at"] == rows["sunday7"]["next_run_at"]

    # a restart before the next fire time runs nothing and keeps every stored time
    again = FakeCrawl()
    with Running(Daemon(cfg, str(db), crawl=again, heartbeat_s=0.5)) as r:
        time.sleep(1.0)
        assert r.stop() == 0
    assert again.calls == []
    assert {n: row["next_run_at"] for n, row in source_rows(db).items()} == \
        {n: row["next_run_at"] for n, row in rows.items()}


def test_sighup_reload_adds_removes_and_keeps_old_config_on_error(db: Path, tmp_path: Path) -> None:
    one = make_config(db, [{"name": "a", "schedule": "every 1s"}], adaptive=False)
    two = make_config(db, [{"name": "b", "schedule": "every 1s"}], adaptive=False)
    answers: list[Config | Exception] = [two, ConfigError("test-config.toml", "sources[0].x", "boom")]

    def reload() -> Config:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    fake = FakeCrawl()
    daemon = Daemon(one, str(db), crawl=fake, reload_config=reload, heartbeat_s=0.5)
    with Running(daemon) as r:
        assert wait_for(lambda: len(fake.of("a")) >= 1, 5)
        daemon.request_reload()
        assert wait_for(lambda: len(fake.of("b")) >= 2, 8)
        a_runs = len(fake.of("a"))
        daemon.request_reload()  # invalid: b keeps running, a stays removed
        n_b = len(fake.of("b"))
        assert wait_for(lambda: len(fake.of("b")) >= n_b + 2, 8)
        assert daemon.config is two
        assert r.stop() == 0
    assert len(fake.of("a")) <= a_runs + 1  # at most the run that was in flight during the reload


def test_a_source_removed_and_re_added_during_its_run_does_not_overlap_the_old_run(db: Path) -> None:
    with_a = make_config(db, [{"name": "a", "schedule": "every 1s"}, {"name": "b", "schedule": "every 1h"}],
                         adaptive=False)
    without_a = make_config(db, [{"name": "b", "schedule": "every 1h"}], adaptive=False)
    answers = [without_a, with_a]
    fake = FakeCrawl(duration={"a": 1.5})
    daemon = Daemon(with_a, str(db), crawl=fake, reload_config=lambda: answers.pop(0), heartbeat_s=0.5)
    with Running(daemon) as r:
        assert wait_for(lambda: len(fake.of("a")) == 1, 5)
        daemon.request_reload()      # a removed while it crawls
        assert wait_for(lambda: "a" not in daemon.scheduled(), 2)
        daemon.request_reload()      # and added back, its old run still going
        assert wait_for(lambda: len([c for c in fake.of("a") if c.end]) >= 2, 8)
        assert r.stop() == 0
    calls = fake.of("a")
    assert fake.max_active["a"] == 1
    assert calls[1].start >= calls[0].end


def test_heartbeat_and_health(db: Path) -> None:
    cfg = make_config(db, [{"name": "a", "schedule": "every 1h"}])
    fake = FakeCrawl()
    assert check_health(str(db)).ok is False  # no daemon ever ran
    with Running(Daemon(cfg, str(db), crawl=fake, heartbeat_s=0.3)) as r:
        first = read_heartbeat(str(db))
        assert first is not None and first.state == "running"
        assert wait_for(lambda: (hb := read_heartbeat(str(db))) is not None and hb.beat_at > first.beat_at, 5)
        health = check_health(str(db))
        assert health.ok, health.message
        stale = check_health(str(db), now=datetime.now(UTC) + timedelta(seconds=5))
        assert not stale.ok and "stalled" in stale.message
        assert check_health(str(db), max_age_s=60, now=datetime.now(UTC) + timedelta(seconds=5)).ok
        assert run_cli("--db", str(db), "stats", "--health") == 0
        assert r.stop() == 0
    after = check_health(str(db))
    assert not after.ok and "stopped" in after.message
    assert run_cli("--db", str(db), "stats", "--health") == 1
    assert run_cli("--db", str(db.with_name("missing.db")), "stats", "--health") == 1


def test_heartbeat_storage_errors_are_mapped(tmp_path: Path, db: Path) -> None:
    from storage.errors import StorageError
    from storage.heartbeat import HeartbeatWriter, NotMigratedError

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 200)
    with pytest.raises(StorageError, match="junk.db: not a usable SQLite database"):
        read_heartbeat(str(junk))
    with pytest.raises(StorageError, match="no such database"):
        read_heartbeat(str(tmp_path / "missing.db"))
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).close()
    assert read_heartbeat(str(bare)) is None        # never migrated: no daemon ever beat there
    writer = HeartbeatWriter(str(bare))
    try:
        with pytest.raises(NotMigratedError, match="not migrated"):
            writer.write(pid=1, host="h", state="running", started_at="2024-05-01T12:00:00.000+00:00",
                         beat_at="2024-05-01T12:00:00.000+00:00", interval_s=1.0, running="")
    finally:
        writer.close()
    writer = HeartbeatWriter(str(db))
    try:
        writer.write(pid=7, host="h", state="stopping", started_at="2024-05-01T12:00:00.000+00:00",
                     beat_at="2024-05-01T19:00:01.500+07:00", interval_s=2.0, running="a,b")
    finally:
        writer.close()
    hb = read_heartbeat(str(db))
    assert hb is not None and (hb.pid, hb.state, hb.running, hb.interval_s) == (7, "stopping", "a,b", 2.0)
    assert hb.beat_at == datetime(2024, 5, 1, 12, 0, 1, 500000, tzinfo=UTC)
    assert "is stopping" in check_health(str(db)).message


def test_no_sources_is_a_config_error(db: Path) -> None:
    cfg = make_config(db, [])
    with pytest.raises(ConfigError) as exc:
        Daemon(cfg, str(db), crawl=FakeCrawl()).run(install_signals=False)
    assert exc.value.exit_code == 2


def test_unusable_database_is_a_storage_error(tmp_path: Path) -> None:
    from scraper.errors import StorageError

    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    cfg = make_config(bad, [{"name": "a"}])
    with pytest.raises(StorageError) as exc:
        Daemon(cfg, str(bad), crawl=FakeCrawl()).run(install_signals=False)
    assert exc.value.exit_code == 1


# ---- subprocess: `kabar daemon` for real ----------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


@dataclass
class LoggedRun:
    source: str
    start: float
    end: float | None = None
    status: str | None = None
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


class DaemonProcess:
    """`python -m scraper daemon` in its own process, JSON logs to a file that the test reads."""

    def __init__(self, workdir: Path, config: Path, *args: str) -> None:
        self.log_path = workdir / f"daemon-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in wait()
        self.started = time.time()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scraper", "--config", str(config), "--log-format", "json", "daemon",
             "--heartbeat", "0.5", *args],
            cwd=workdir, stdout=self._log, stderr=subprocess.STDOUT)

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def runs(self) -> dict[str, list[LoggedRun]]:
        """Each source's runs from the log: 'run started' and the matching end line (with run_id)."""
        by_source: dict[str, list[LoggedRun]] = defaultdict(list)
        for ev in self.events():
            src = ev.get("source")
            if not src or ev.get("logger") != "scraper.daemon":
                continue
            t = datetime.fromisoformat(ev["time"]).timestamp()
            if ev["message"].endswith(": run started"):
                runs = by_source[src]
                assert not runs or runs[-1].end is not None, f"{src} started while its previous run was open"
                runs.append(LoggedRun(src, t))
            elif "counts" in ev and "status" in ev:
                run = by_source[src][-1]
                assert run.end is None
                run.end, run.status, run.run_id, run.counts = t, ev["status"], ev.get("run_id"), ev["counts"]
        return by_source

    def finished(self, source: str) -> list[LoggedRun]:
        return [r for r in self.runs().get(source, []) if r.end is not None]

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self._log.close()

    def stop(self, timeout: float = 10.0) -> tuple[int, float]:
        t0 = time.monotonic()
        self.signal(signal.SIGTERM)
        code = self.wait(timeout)
        return code, time.monotonic() - t0

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def db_is_valid(db: Path) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0
    finally:
        conn.close()


@pytest.mark.slow
def test_daemon_over_the_demo_site_runs_stops_restarts_and_reloads(tmp_path: Path) -> None:
    from scraper.demo import BANTENPOS, FAM68, demo_config, serve_demo

    db = tmp_path / "kabar.db"
    with serve_demo() as base:
        demo = demo_config(base, str(db))
        fam, banten = demo.source(FAM68), demo.source(BANTENPOS)

        def source(src: SourceConfig, name: str, schedule: str) -> dict[str, Any]:
            return {"name": name, "start_urls": list(src.start_urls), "feeds": list(src.feeds),
                    "sitemaps": list(src.sitemaps), "article_pattern": src.article_pattern or "",
                    "schedule": schedule}

        raw: dict[str, Any] = {
            "storage": {"path": str(db)},
            "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 5.0},
            "daemon": {"jitter": 0.0, "adaptive": False, "stop_timeout": 5.0},
            # the same portal twice: one source every 2 s, one that is not due again for an hour
            "sources": [source(fam, "fam68", "every 2s"), source(fam, "fam68-hourly", "every 1h")],
        }
        cfg = write_config(tmp_path / "config.toml", raw)

        # 1. runs happen on schedule
        d = DaemonProcess(tmp_path, cfg)
        assert wait_for(lambda: len(d.finished("fam68")) >= 3 and len(d.finished("fam68-hourly")) >= 1, 25), \
            d.output()
        code, took = d.stop()
        assert code == 0 and took < 5.0 + 2.0, d.output()
        db_is_valid(db)
        first = d.finished("fam68")
        # the two sources crawl one portal at once: whichever stores an article first counts it new
        assert first[0].counts["new"] + d.finished("fam68-hourly")[0].counts["new"] > 0
        assert all(r.status in ("ok", "interrupted") for r in first)
        starts = [r.start for r in first]
        assert all(1.9 <= b - a <= 2.0 + 2.0 for a, b in zip(starts, starts[1:], strict=False))
        assert len(d.finished("fam68-hourly")) == 1
        rows = source_rows(db)
        hourly_next = rows["fam68-hourly"]["next_run_at"]

        # 2. down for 3 s: fam68 missed a slot or two and runs once at start; fam68-hourly waits
        time.sleep(3.0)
        d2 = DaemonProcess(tmp_path, cfg)
        assert wait_for(lambda: len(d2.finished("fam68")) >= 1, 10), d2.output()
        t_first = d2.runs()["fam68"][0].start
        assert t_first - d2.started < 2.0 + 2.0    # soon after start (process start-up included)

        # 3. SIGHUP picks up an added source
        raw["sources"].append(source(banten, "bantenpos", "every 1s"))
        write_config(cfg, raw)
        d2.signal(signal.SIGHUP)
        assert wait_for(lambda: len(d2.finished("bantenpos")) >= 2, 10), d2.output()
        assert d2.finished("bantenpos")[0].counts["new"] > 0
        assert wait_for(lambda: len(d2.finished("fam68")) >= 2, 5), d2.output()
        code, took = d2.stop()
        assert code == 0 and took < 5.0 + 2.0, d2.output()
        db_is_valid(db)

    again = d2.runs()["fam68"]
    # once, not once per missed slot: the second run after the restart is a full interval after the first
    assert again[1].start - again[0].start >= 1.9
    assert "fam68-hourly" not in d2.runs()         # not due: not repeated
    plans = [e for e in d2.events() if e.get("source") == "fam68-hourly" and "next run" in e["message"]]
    assert plans and hourly_next in plans[0]["message"] and "(waiting" in plans[0]["message"]
    assert source_rows(db)["fam68-hourly"]["next_run_at"] == hourly_next
    reloaded = [e for e in d2.events() if e["message"].startswith("config reloaded")]
    assert reloaded and "added bantenpos" in reloaded[0]["message"]


# ---- the bars over an independent loopback site --------------------------------------------


def gaps(runs: list[LoggedRun]) -> list[float]:
    return [b.start - a.start for a, b in zip(runs, runs[1:], strict=False)]


@pytest.mark.slow
def test_bar_two_sources_20s_sigterm_mid_run_and_restart_after_10s_down(tmp_path: Path) -> None:
    site = NewsSite({"live": True, "quiet": False}, article_delay=0.5)
    base = site.start()
    db = tmp_path / "kabar.db"
    raw = {"storage": {"path": str(db)},
           "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 5.0, "recheck_days": 0.0},
           "daemon": {"jitter": 0.0, "adaptive": True, "stop_timeout": 5.0, "max_interval": "1h"},
           "sources": [site_source(base, "live", "every 2s"), site_source(base, "quiet", "every 3s")]}
    cfg = write_config(tmp_path / "config.toml", raw)
    try:
        d = DaemonProcess(tmp_path, cfg)
        assert wait_for(lambda: bool(d.runs().get("live")), 10), d.output()
        window_start = d.runs()["live"][0].start
        time.sleep(max(0.0, window_start + 20.0 - time.time()))
        # SIGTERM in the middle of a run of the live source (its article fetch takes 0.5 s)
        n = len(d.runs()["live"])
        assert wait_for(lambda: len(d.runs()["live"]) > n, 5)
        time.sleep(0.2)
        assert d.runs()["live"][-1].end is None, "the run was expected to be in flight"
        code, took = d.stop()
        assert code == 0 and took < 5.0, (took, d.output())
        db_is_valid(db)
        runs = d.runs()
        live = [r for r in runs["live"] if r.start < window_start + 20.0]
        # the publishing source ran every interval over the 20 s, each run finding news
        assert len(live) >= 10 - 1
        assert all(1.95 <= g <= 2.0 + 2.0 for g in gaps(live))
        assert all(r.counts.get("new", 0) >= 1 for r in live)
        # the quiet source backed off: 3 s, then 4.5 s, 6.75 s ...
        quiet = runs["quiet"]
        assert quiet[0].counts.get("new", 0) == 3 and all(r.counts.get("new", 0) == 0 for r in quiet[1:])
        qg = gaps(quiet)
        assert len(qg) >= 2 and qg[0] >= 2.95 and all(b > a + 0.5 for a, b in zip(qg, qg[1:], strict=False))
        # the run cut by SIGTERM is recorded as interrupted
        last = runs["live"][-1]
        assert last.status == "interrupted"
        statuses = {r["id"]: r["status"] for r in run_rows(db)}
        assert statuses[last.run_id] == "interrupted"

        # down for 10 s: both sources are overdue (the live one by five slots) and run once each
        time.sleep(10.0)
        d2 = DaemonProcess(tmp_path, cfg)
        assert wait_for(lambda: len(d2.finished("live")) >= 3 and len(d2.finished("quiet")) >= 1, 15), d2.output()
        # a second signal during a run exits at once with 130 and leaves a valid database
        n, hits = len(d2.runs()["live"]), site.article_requests
        assert wait_for(lambda: len(d2.runs()["live"]) > n and site.article_requests > hits, 5)
        time.sleep(0.1)   # its article fetch (0.5 s) is in flight
        assert d2.runs()["live"][-1].end is None, "the run was expected to be in flight"
        d2.signal(signal.SIGTERM)
        time.sleep(0.05)
        t0 = time.monotonic()
        d2.signal(signal.SIGINT)
        assert d2.wait(5.0) == 130, d2.output()
        assert time.monotonic() - t0 < 1.0
        again = d2.runs()
        assert again["live"][0].start - d2.started < 2.0 + 2.0
        assert again["quiet"][0].start - d2.started < 2.0 + 2.0
        assert all(g >= 1.95 for g in gaps(again["live"]))         # no burst of missed slots
        assert len(again["quiet"]) == 1                            # its next slot is 6.75 s+ later
    finally:
        site.stop()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    # the run cut by the second signal stays open until the next start records it as interrupted
    assert [r["status"] for r in run_rows(db)].count("running") == 1
    with Store.open(str(db)) as store:
        assert store.recover_interrupted_runs() == 1
    db_is_valid(db)


@pytest.mark.slow
def test_bar_a_source_whose_host_goes_down_backs_off_and_recovers(tmp_path: Path) -> None:
    steady_site, flaky_site = NewsSite({"steady": True}), NewsSite({"flaky": True})
    steady_base, flaky_base = steady_site.start(), flaky_site.start()
    db = tmp_path / "kabar.db"
    raw = {"storage": {"path": str(db)},
           "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 2.0, "recheck_days": 0.0},
           "daemon": {"jitter": 0.0, "stop_timeout": 5.0, "max_backoff": "5s"},
           "sources": [site_source(steady_base, "steady", "every 1s"),
                       site_source(flaky_base, "flaky", "every 1s")]}
    cfg = write_config(tmp_path / "config.toml", raw)
    d = DaemonProcess(tmp_path, cfg)
    try:
        assert wait_for(lambda: len(d.finished("flaky")) >= 2, 10), d.output()
        flaky_site.stop()
        t_down = time.time()

        def failed_runs() -> list[LoggedRun]:
            return [r for r in d.finished("flaky") if r.status == "failed"]

        # failures at +0, +2, +6 (2 s, 4 s, then the 5 s cap)
        assert wait_for(lambda: len(failed_runs()) >= 3, 15), d.output()
        flaky_site.start()
        t_up = time.time()
        assert wait_for(lambda: any(r.status == "ok" and r.start > t_up for r in d.finished("flaky")), 10), \
            d.output()
        assert wait_for(lambda: len([r for r in d.finished("flaky") if r.start > t_up]) >= 3, 5), d.output()
        code, _ = d.stop()
        assert code == 0, d.output()
    finally:
        steady_site.stop()
        flaky_site.stop()
        if d.proc.poll() is None:
            d.proc.kill()
    flaky = d.finished("flaky")
    failed = [r for r in flaky if r.status == "failed"]
    fg = gaps(failed)
    assert fg[0] >= 1.95 and fg[1] >= 3.95 and fg[1] > fg[0] + 1.5           # growing gaps
    assert all(g <= 5.0 + 2.0 for g in fg)                                  # capped at max_backoff
    assert all(r.start >= t_down - 1.1 for r in failed)
    back = [r for r in flaky if r.start > t_up]
    assert back[0].status == "ok" and back[0].start - t_up <= 5.0 + 2.0       # recovered by itself
    assert all(r.status == "ok" for r in back) and all(g <= 1.0 + 2.0 for g in gaps(back))
    # the steady source kept its 1 s schedule all along
    steady = d.finished("steady")
    assert all(r.status == "ok" for r in steady)
    assert all(0.95 <= g <= 1.0 + 2.0 for g in gaps(steady))
    rows = source_rows(db)
    assert rows["flaky"]["consecutive_failures"] == 0 and rows["flaky"]["interval_s"] == 1
    db_is_valid(db)
    db_failed = [r for r in run_rows(db) if r["source"] == "flaky" and r["status"] == "failed"]
    assert len(db_failed) == len(failed)


@pytest.mark.slow
def test_a_crawl_stuck_past_stop_timeout_is_abandoned_as_interrupted(tmp_path: Path) -> None:
    site = NewsSite({"stuck": True}, article_delay=30.0)
    base = site.start()
    db = tmp_path / "kabar.db"
    raw = {"storage": {"path": str(db)},
           "http": {"per_host_delay": 0.0, "retries": 0, "timeout": 60.0, "recheck_days": 0.0},
           "daemon": {"jitter": 0.0, "stop_timeout": 1.0},
           "sources": [site_source(base, "stuck", "every 1h")]}
    cfg = write_config(tmp_path / "config.toml", raw)
    d = DaemonProcess(tmp_path, cfg)
    try:
        assert wait_for(lambda: site.article_requests > 0, 10), d.output()
        time.sleep(0.2)   # the article fetch is now hanging for 30 s
        code, took = d.stop()
        assert code == 0 and took < 1.0 + 2.0, (took, d.output())
    finally:
        site.stop()
    assert "abandoning stuck" in d.output()
    db_is_valid(db)
    assert [r["status"] for r in run_rows(db)] == ["interrupted"]
    row = source_rows(db)["stuck"]
    assert row["last_status"] == "interrupted"
    health = check_health(str(db))
    assert not health.ok and "stopped" in health.message


# ---- exit codes of `kabar daemon` before anything runs ---------------------------------------------


def run_cli(*argv: str) -> int:
    from scraper.cli import main

    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    return int(exc.value.code or 0)


def test_daemon_exit_codes_for_bad_config_and_unusable_database(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "kabar.db"
    no_sources = write_config(tmp_path / "empty.toml", {"storage": {"path": str(db)}})
    assert run_cli("--config", str(no_sources), "daemon") == 2
    assert "no sources configured" in capsys.readouterr().err

    bad = tmp_path / "bad.toml"
    bad.write_text('[daemon]\nmax_running = 0\n', encoding="utf-8")
    assert run_cli("--config", str(bad), "daemon") == 2
    assert "daemon.max_running" in capsys.readouterr().err

    cfg = write_config(tmp_path / "config.toml", {"storage": {"path": str(db)},
                                                  "sources": [site_source("http://127.0.0.1:9", "a", "every 1h")]})
    assert run_cli("--config", str(cfg), "daemon", "nosuch") == 2
    assert "unknown source 'nosuch'" in capsys.readouterr().err

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all " * 200)
    assert run_cli("--config", str(cfg), "--db", str(junk), "daemon") == 1
    assert "junk.db" in capsys.readouterr().err
