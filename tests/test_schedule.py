"""The daemon's scheduling policy (scraper/schedule.py): exact, with a fixed clock and fixed randomness."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from scraper.config import DaemonConfig, SourceConfig, config_from_dict
from scraper.errors import ConfigError
from scraper.schedule import (
    GROWTH,
    MAX_STARTUP_SPREAD_S,
    Policy,
    SourceState,
    after_run,
    cron_next,
    cron_period,
    failure_delay,
    first_run,
    jittered,
    on_schedule_change,
    parse_time,
    policy_for,
)
from storage.util import format_time

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def zero() -> float:
    return 0.0


def one() -> float:
    # random.random() never returns 1.0; the bound is what the tests check against
    return 0.999999


def policy(interval: float | None = 60.0, *, cron: str | None = None, jitter: float = 0.0,
           adaptive: bool = True, max_interval: float = 600.0, max_backoff: float = 900.0) -> Policy:
    return Policy(interval_s=interval if cron is None else None, cron=cron, jitter=jitter,
                  adaptive=adaptive, max_interval_s=max_interval, max_backoff_s=max_backoff)


# ---- schedules from config ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("every 45s", 45.0), ("every 15m", 900.0), ("every 2h", 7200.0), ("every 1d", 86400.0),
    ("every 1.5m", 90.0), ("  every   10 s ", 10.0),
])
def test_every_schedules_resolve_to_intervals(text: str, seconds: float) -> None:
    p = policy_for(SourceConfig(name="a", start_urls=("http://a.example/",), schedule=text), DaemonConfig())
    assert p.interval_s == seconds and p.cron is None


def test_sources_without_schedule_use_default_schedule() -> None:
    daemon = DaemonConfig(default_schedule="every 7m", jitter=0.2, adaptive=False, max_interval="2h",
                          max_backoff="30m")
    p = policy_for(SourceConfig(name="a", start_urls=("http://a.example/",)), daemon)
    assert p == Policy(interval_s=420.0, cron=None, jitter=0.2, adaptive=False, max_interval_s=7200.0,
                       max_backoff_s=1800.0)


def test_cron_source_policy() -> None:
    p = policy_for(SourceConfig(name="a", start_urls=("http://a.example/",), cron="*/15 * * * *"),
                   DaemonConfig())
    assert p.is_cron and p.interval_s is None and p.cron == "*/15 * * * *"


@pytest.mark.parametrize("bad", [
    {"schedule": "every 0m"}, {"schedule": "15m"}, {"schedule": "every 5 minutes"}, {"schedule": "every 5w"},
    {"cron": "*/15 * * *"}, {"cron": "61 * * * *"}, {"schedule": "every 5m", "cron": "* * * * *"},
    {"cron": "0 0 6 * * 1"}, {"cron": "0 6 * * 8"}, {"cron": "0 6 31 2 *"}, {"cron": "@reboot"},
    {"cron": "0 6 * * funday"},
])
def test_bad_schedules_are_config_errors(bad: dict[str, str]) -> None:
    raw = {"sources": [{"name": "a", "start_urls": ["http://a.example/"], **bad}]}
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw, "config.toml")
    assert exc.value.exit_code == 2
    assert "sources[0] (a)." in str(exc.value) or "sources[0]." in str(exc.value)


@pytest.mark.parametrize("good", ["30 23 * * 7", "30 23 * * 0", "0 6 * * mon-fri", "0 0 1 JAN *", "@hourly",
                                  "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight",
                                  "0 6 13 * 5"])
def test_standard_cron_expressions_are_accepted(good: str) -> None:
    raw = {"sources": [{"name": "a", "start_urls": ["http://a.example/"], "cron": good}]}
    assert config_from_dict(raw, "config.toml").sources[0].cron == good


def test_policy_needs_exactly_one_kind() -> None:
    with pytest.raises(ValueError):
        Policy(interval_s=None, cron=None)
    with pytest.raises(ValueError):
        Policy(interval_s=60.0, cron="* * * * *")


# ---- cron -----------------------------------------------------------------------------------------


def test_cron_next_is_strictly_after() -> None:
    assert cron_next("*/15 * * * *", T0) == at(15 * 60)
    assert cron_next("*/15 * * * *", at(1)) == at(15 * 60)
    assert cron_next("*/15 * * * *", at(15 * 60 - 0.001)) == at(15 * 60)
    assert cron_next("0 6 * * *", T0) == datetime(2024, 5, 2, 6, 0, tzinfo=UTC)
    assert cron_next("30 12 * * *", T0) == at(30 * 60)


def test_cron_is_utc_whatever_the_input_zone() -> None:
    from zoneinfo import ZoneInfo

    local = T0.astimezone(ZoneInfo("Asia/Jakarta"))  # 19:00 +07:00
    assert cron_next("0 13 * * *", local) == at(3600)


WED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)       # = T0, a Wednesday


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(("expr", "now", "expected"), [
    # day-of-week 1 is Monday, 0 and 7 are Sunday (APScheduler's crontab counted from Monday = 0)
    ("0 6 * * 1", WED, utc(2024, 5, 6, 6, 0)),
    ("0 6 * * 1", utc(2024, 5, 6, 5, 59), utc(2024, 5, 6, 6, 0)),
    ("30 23 * * 0", WED, utc(2024, 5, 5, 23, 30)),
    ("30 23 * * 7", WED, utc(2024, 5, 5, 23, 30)),
    ("30 23 * * 7", utc(2024, 5, 5, 23, 30), utc(2024, 5, 12, 23, 30)),
    # Monday to Friday: after Friday's run comes Monday's, not Saturday's
    ("0 6 * * 1-5", WED, utc(2024, 5, 2, 6, 0)),
    ("0 6 * * 1-5", utc(2024, 5, 3, 7, 0), utc(2024, 5, 6, 6, 0)),
    # both day fields restricted: the 13th OR a Friday
    ("0 6 13 * 5", WED, utc(2024, 5, 3, 6, 0)),
    ("0 6 13 * 5", utc(2024, 5, 10, 7, 0), utc(2024, 5, 13, 6, 0)),       # Monday the 13th
    ("0 6 13 * 5", utc(2024, 5, 13, 6, 0), utc(2024, 5, 17, 6, 0)),       # then Friday the 17th
    ("0 6 13 * *", WED, utc(2024, 5, 13, 6, 0)),
    ("0 6 * 5 5", WED, utc(2024, 5, 3, 6, 0)),                             # month AND day-of-week
    # names, any case
    ("0 6 * * mon", WED, utc(2024, 5, 6, 6, 0)),
    ("0 6 * * SUN", WED, utc(2024, 5, 5, 6, 0)),
    ("0 6 * * Mon-Fri", utc(2024, 5, 3, 7, 0), utc(2024, 5, 6, 6, 0)),
    ("0 0 1 jan *", WED, utc(2025, 1, 1, 0, 0)),
    ("0 6 * jun-aug sat", WED, utc(2024, 6, 1, 6, 0)),
    # macros
    ("@hourly", WED, utc(2024, 5, 1, 13, 0)),
    ("@daily", WED, utc(2024, 5, 2, 0, 0)),
    ("@midnight", WED, utc(2024, 5, 2, 0, 0)),
    ("@weekly", WED, utc(2024, 5, 5, 0, 0)),
    ("@monthly", WED, utc(2024, 6, 1, 0, 0)),
    ("@yearly", WED, utc(2025, 1, 1, 0, 0)),
    ("@annually", WED, utc(2025, 1, 1, 0, 0)),
])
def test_cron_has_standard_semantics(expr: str, now: datetime, expected: datetime) -> None:
    assert cron_next(expr, now) == expected


@pytest.mark.parametrize(("expr", "tz", "now", "expected"), [
    # 06:00 WIB (UTC+7, no daylight saving) is 23:00 UTC the day before
    ("0 6 * * *", "Asia/Jakarta", WED, utc(2024, 5, 1, 23, 0)),
    ("0 6 * * 1", "Asia/Jakarta", WED, utc(2024, 5, 5, 23, 0)),            # Monday in Jakarta
    ("30 23 * * 7", "Asia/Jakarta", WED, utc(2024, 5, 5, 16, 30)),
    # Berlin: 06:00 is 05:00 UTC in winter and 04:00 UTC in summer, on both sides of the change
    ("0 6 * * *", "Europe/Berlin", utc(2024, 3, 29, 12, 0), utc(2024, 3, 30, 5, 0)),
    ("0 6 * * *", "Europe/Berlin", utc(2024, 3, 30, 12, 0), utc(2024, 3, 31, 4, 0)),
    ("0 6 * * *", "Europe/Berlin", utc(2024, 10, 26, 12, 0), utc(2024, 10, 27, 5, 0)),
    # 02:30 does not exist on 31 March: fires as the clock jumps to 03:00 CEST
    ("30 2 * * *", "Europe/Berlin", utc(2024, 3, 30, 12, 0), utc(2024, 3, 31, 1, 0)),
    # 02:30 exists twice on 27 October: fires once, at the first
    ("30 2 * * *", "Europe/Berlin", utc(2024, 10, 26, 12, 0), utc(2024, 10, 27, 0, 30)),
    ("30 2 * * *", "Europe/Berlin", utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)),
    ("30 2 * * *", "Europe/Berlin", utc(2024, 10, 27, 1, 15), utc(2024, 10, 28, 1, 30)),
    # a minute step keeps firing through the repeated hour, always forward
    ("*/30 * * * *", "Europe/Berlin", utc(2024, 10, 27, 0, 45), utc(2024, 10, 27, 1, 0)),
    ("*/30 * * * *", "Europe/Berlin", utc(2024, 10, 27, 1, 0), utc(2024, 10, 27, 1, 30)),
])
def test_cron_in_a_time_zone(expr: str, tz: str, now: datetime, expected: datetime) -> None:
    assert cron_next(expr, now, tz) == expected
    assert cron_next(expr, now, tz).tzinfo is UTC


def test_the_daemon_time_zone_reaches_the_policy() -> None:
    src = SourceConfig(name="a", start_urls=("http://a.example/",), cron="0 6 * * *")
    p = policy_for(src, DaemonConfig(timezone="Asia/Jakarta"))
    assert p.timezone == "Asia/Jakarta"
    plan = after_run(p, SourceState(), status="ok", new=1, started=WED, now=at(30), rand=one)
    assert plan.next_run_at == utc(2024, 5, 1, 23, 0)


@pytest.mark.parametrize("bad", ["Mars/Olympus", "", "../../etc/passwd", "Asia/Jakarta "])
def test_a_bad_time_zone_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError) as exc:
        config_from_dict({"daemon": {"timezone": bad}}, "config.toml")
    assert exc.value.exit_code == 2 and "daemon.timezone" in str(exc.value)


def test_cron_period() -> None:
    assert cron_period("*/15 * * * *", T0) == 900.0
    assert cron_period("0 */6 * * *", T0) == 6 * 3600.0


# ---- jitter ---------------------------------------------------------------------------------------


def test_jitter_bounds() -> None:
    assert jittered(100.0, 0.1, zero) == 100.0
    assert 109.99 < jittered(100.0, 0.1, one) < 110.0
    assert jittered(100.0, 0.1, lambda: 0.5) == pytest.approx(105.0)
    # at the cap it shortens instead of lengthening
    assert jittered(500.0, 0.1, lambda: 0.5, cap=200.0) == pytest.approx(190.0)
    assert jittered(190.0, 0.1, one, cap=200.0) == 200.0


def test_run_times_with_jitter_stay_within_the_fraction() -> None:
    p = policy(100.0, jitter=0.25, adaptive=False)
    for r in (0.0, 0.1, 0.5, 0.9, 0.999999):
        plan = after_run(p, SourceState(), status="ok", new=3, started=T0, now=at(5), rand=lambda r=r: r)
        assert at(100) <= plan.next_run_at <= at(125)
        assert plan.next_run_at == at(100 + 25 * r)


# ---- fixed rate -----------------------------------------------------------------------------------


def test_next_run_counts_from_the_start_of_the_run() -> None:
    plan = after_run(policy(60.0), SourceState(), status="ok", new=1, started=T0, now=at(20), rand=zero)
    assert plan.next_run_at == at(60) and plan.reason == "news" and plan.interval_s == 60.0


def test_a_run_slower_than_its_interval_is_followed_at_once_not_queued() -> None:
    plan = after_run(policy(60.0), SourceState(), status="ok", new=1, started=T0, now=at(150), rand=zero)
    assert plan.next_run_at == at(150)


# ---- adaptive polling -----------------------------------------------------------------------------


def test_quiet_runs_grow_the_interval_step_by_step_up_to_max_interval() -> None:
    p = policy(60.0, max_interval=300.0)
    state, now, intervals = SourceState(), T0, []
    for _ in range(8):
        plan = after_run(p, state, status="ok", new=0, started=now, now=now + timedelta(seconds=1), rand=zero)
        intervals.append(plan.interval_s)
        assert plan.next_run_at == now + timedelta(seconds=plan.interval_s)
        state = SourceState(last_run_at=now, next_run_at=plan.next_run_at, interval_s=plan.interval_s,
                            last_status="ok")
        now = plan.next_run_at
    assert intervals == [90.0, 135.0, 202.5, 300.0, 300.0, 300.0, 300.0, 300.0]
    assert all(b == min(a * GROWTH, 300.0) for a, b in zip(intervals, intervals[1:], strict=False))


def test_news_returns_to_the_configured_interval_at_once() -> None:
    p = policy(60.0, max_interval=300.0)
    state = SourceState(interval_s=300.0, last_status="ok")
    plan = after_run(p, state, status="ok", new=2, started=T0, now=at(3), rand=zero)
    assert plan.interval_s == 60.0 and plan.next_run_at == at(60) and plan.reason == "news"


def test_adaptive_off_keeps_the_interval() -> None:
    p = policy(60.0, adaptive=False)
    plan = after_run(p, SourceState(interval_s=60.0), status="ok", new=0, started=T0, now=at(1), rand=zero)
    assert plan.interval_s == 60.0 and plan.next_run_at == at(60) and plan.reason == "interval"


def test_max_interval_below_the_interval_never_shortens_it() -> None:
    p = policy(3600.0, max_interval=600.0)
    plan = after_run(p, SourceState(), status="ok", new=0, started=T0, now=at(1), rand=zero)
    assert plan.interval_s == 3600.0


def test_cron_sources_are_not_adaptive_and_not_jittered() -> None:
    p = policy(cron="*/15 * * * *")
    plan = after_run(p, SourceState(interval_s=900.0), status="ok", new=0, started=T0, now=at(20), rand=zero)
    assert plan.next_run_at == at(900) and plan.interval_s == 900.0 and plan.reason == "cron"
    # standard cron: a cron source fires at its cron times, jitter or not (was: 45 s of jitter added)
    jittered_plan = after_run(policy(cron="*/15 * * * *", jitter=0.1), SourceState(), status="ok", new=0,
                              started=T0, now=at(20), rand=lambda: 0.5)
    assert jittered_plan.next_run_at == at(900)


# ---- failure back-off -----------------------------------------------------------------------------


def test_failures_back_off_exponentially_up_to_max_backoff() -> None:
    p = policy(60.0, max_backoff=1000.0)
    assert [failure_delay(p, n, 60.0) for n in range(1, 7)] == [120.0, 240.0, 480.0, 960.0, 1000.0, 1000.0]
    assert failure_delay(p, 500, 60.0) == 1000.0


def test_failed_runs_grow_the_gap_and_count_failures() -> None:
    p = policy(60.0, jitter=0.1, max_backoff=1000.0)
    state, now, gaps = SourceState(last_status="ok"), T0, []
    for i in range(7):
        r = (0.0, 0.999999, 0.5)[i % 3]
        plan = after_run(p, state, status="failed", new=0, started=now, now=now, rand=lambda r=r: r)
        assert plan.consecutive_failures == i + 1 and plan.reason == "failed"
        gaps.append((plan.next_run_at - now).total_seconds())
        state = SourceState(last_run_at=now, next_run_at=plan.next_run_at, interval_s=plan.interval_s,
                            last_status="failed", consecutive_failures=plan.consecutive_failures)
        now = plan.next_run_at
    # 120, 240*(1+0.1r), 480*(1+0.05), 960*(1+0), then capped at 1000 and jittered downwards
    assert gaps[:4] == pytest.approx([120.0, 264.0, 504.0, 960.0], abs=0.01)
    assert all(b >= a for a, b in zip(gaps[:4], gaps[1:4], strict=False))
    assert all(900.0 <= g <= 1000.0 for g in gaps[4:])


def test_failure_backoff_never_goes_below_the_interval_even_with_a_small_max_backoff() -> None:
    p = policy(3600.0, max_backoff=60.0)
    plan = after_run(p, SourceState(), status="failed", new=0, started=T0, now=at(1), rand=zero)
    assert plan.next_run_at == at(1 + 3600)


def test_success_after_failures_recovers_the_configured_interval() -> None:
    p = policy(60.0, max_backoff=1000.0)
    failing = SourceState(interval_s=960.0, last_status="failed", consecutive_failures=4)
    plan = after_run(p, failing, status="ok", new=0, started=T0, now=at(2), rand=zero)
    assert plan.consecutive_failures == 0 and plan.interval_s == 60.0 and plan.next_run_at == at(60)


def test_a_failed_cron_run_waits_for_the_next_slot_and_counts_the_failure() -> None:
    # standard cron: the next fire time after the run, no back-off (was: 2 x 900 s, then the 12:45 slot)
    p = policy(cron="*/15 * * * *", max_backoff=3600.0, jitter=0.1)
    plan = after_run(p, SourceState(), status="failed", new=0, started=T0, now=at(10), rand=one)
    assert plan.next_run_at == at(15 * 60) and plan.consecutive_failures == 1 and plan.reason == "failed"
    again = after_run(p, SourceState(consecutive_failures=1, last_status="failed"), status="failed", new=0,
                      started=at(900), now=at(905), rand=one)
    assert again.next_run_at == at(30 * 60) and again.consecutive_failures == 2
    ok = after_run(p, SourceState(consecutive_failures=2, last_status="failed"), status="ok", new=0,
                   started=at(1800), now=at(1801), rand=one)
    assert ok.next_run_at == at(45 * 60) and ok.consecutive_failures == 0


def test_interrupted_run_is_due_again_and_keeps_its_state() -> None:
    state = SourceState(interval_s=135.0, consecutive_failures=2, last_status="failed")
    plan = after_run(policy(60.0), state, status="interrupted", new=0, started=T0, now=at(4), rand=one)
    assert plan == type(plan)(at(4), 135.0, 2, "interrupted")


# ---- the catch-up rule ----------------------------------------------------------------------------


def test_a_never_run_cron_source_runs_at_start_then_at_its_cron_times() -> None:
    p = policy(cron="0 6 * * 1", jitter=0.5)
    plan = first_run(p, SourceState(), T0, one)
    assert plan.next_run_at == T0 and plan.reason == "new"        # no start-up spread for cron
    after = after_run(p, SourceState(last_run_at=T0), status="ok", new=3, started=T0, now=at(40), rand=one)
    assert after.next_run_at == utc(2024, 5, 6, 6, 0)


def test_a_cron_source_not_due_waits_for_its_next_fire_time() -> None:
    p = policy(cron="0 6 * * 1")
    stored = SourceState(last_run_at=at(-3600), next_run_at=utc(2024, 5, 6, 6, 0), last_status="ok")
    assert first_run(p, stored, T0, one) == type(first_run(p, stored, T0, one))(
        utc(2024, 5, 6, 6, 0), 7 * 86400.0, 0, "waiting")
    # a time stored under the old reading of the expression (Tuesday) is not kept
    old = SourceState(last_run_at=at(-3600), next_run_at=utc(2024, 5, 7, 6, 0), last_status="ok")
    assert first_run(p, old, T0, one).next_run_at == utc(2024, 5, 6, 6, 0)
    # a slot missed while the daemon was down runs once, at start
    missed = SourceState(last_run_at=at(-8 * 86400), next_run_at=utc(2024, 4, 29, 6, 0), last_status="ok")
    assert first_run(p, missed, T0, one).next_run_at == T0


def test_a_cron_change_on_reload_takes_the_new_expressions_slot() -> None:
    state = SourceState(last_run_at=at(-30), next_run_at=at(3570), interval_s=3600.0, last_status="ok")
    changed = on_schedule_change(policy(cron="10 12 * * *"), state, T0)
    assert changed.next_run_at == at(10 * 60) and changed.interval_s is None
    # a slot of the new expression passed since the last run: due now
    due = on_schedule_change(policy(cron="50 11 * * *"), state, T0)
    assert due.next_run_at == utc(2024, 5, 2, 11, 50)
    missed = on_schedule_change(policy(cron="59 11 * * *"), replace(state, last_run_at=at(-3600)), T0)
    assert missed.next_run_at == utc(2024, 5, 1, 11, 59)


def test_a_never_run_source_runs_at_once() -> None:
    plan = first_run(policy(60.0), SourceState(), T0, zero)
    assert plan.next_run_at == T0 and plan.reason == "new"


def test_overdue_source_runs_once_soon_however_many_slots_were_missed() -> None:
    p = policy(60.0)
    # stopped for 10 minutes with a 60 s interval: ten slots missed, one run planned
    state = SourceState(last_run_at=at(-660), next_run_at=at(-600), interval_s=60.0, last_status="ok")
    plan = first_run(p, state, T0, zero)
    assert plan.next_run_at == T0 and plan.reason == "overdue"
    # and after that run the schedule continues from it, not from the missed slots
    after = after_run(p, state, status="ok", new=1, started=T0, now=at(2), rand=zero)
    assert after.next_run_at == at(60)


def test_source_not_yet_due_waits_for_its_stored_time() -> None:
    state = SourceState(last_run_at=at(-20), next_run_at=at(40), interval_s=60.0, last_status="ok")
    plan = first_run(policy(60.0), state, T0, one)
    assert plan.next_run_at == at(40) and plan.reason == "waiting"


def test_due_exactly_now_counts_as_overdue() -> None:
    state = SourceState(last_run_at=at(-60), next_run_at=T0, interval_s=60.0, last_status="ok")
    assert first_run(policy(60.0), state, T0, zero).reason == "overdue"


def test_catch_up_spread_is_bounded() -> None:
    p = policy(3600.0, jitter=0.5)
    state = SourceState(next_run_at=at(-5), last_status="ok")
    assert first_run(p, state, T0, zero).next_run_at == T0
    late = first_run(p, state, T0, one).next_run_at
    assert T0 < late <= at(MAX_STARTUP_SPREAD_S)
    small = first_run(policy(4.0, jitter=0.5), state, T0, one).next_run_at
    assert small <= at(2.0)


def test_cut_short_runs_are_redone_soon() -> None:
    for status in ("running", "interrupted"):
        state = SourceState(last_run_at=at(-5), next_run_at=at(55), interval_s=60.0, last_status=status)
        plan = first_run(policy(60.0), state, T0, zero)
        assert plan.next_run_at == T0 and plan.reason == "redo"


def test_adapted_interval_survives_a_restart() -> None:
    p = policy(60.0, max_interval=600.0)
    state = SourceState(last_run_at=at(-100), next_run_at=at(102.5), interval_s=202.5, last_status="ok")
    plan = first_run(p, state, T0, zero)
    assert plan.next_run_at == at(102.5) and plan.interval_s == 202.5


def test_a_stored_time_beyond_what_the_config_allows_is_pulled_in() -> None:
    # the old config had a 6 h interval; the new one runs every minute and caps adaptive growth at 10 min
    state = SourceState(last_run_at=at(-60), next_run_at=at(6 * 3600), interval_s=6 * 3600.0, last_status="ok")
    plan = first_run(policy(60.0, max_interval=600.0), state, T0, zero)
    assert plan.next_run_at == at(600) and plan.interval_s == 600.0
    plan = first_run(policy(60.0, adaptive=False), state, T0, zero)
    assert plan.next_run_at == at(60) and plan.interval_s == 60.0


def test_failing_source_keeps_its_backoff_across_restarts() -> None:
    p = policy(60.0, max_backoff=1000.0)
    state = SourceState(last_run_at=at(-10), next_run_at=at(950), interval_s=960.0, last_status="failed",
                        consecutive_failures=4)
    plan = first_run(p, state, T0, zero)
    assert plan.next_run_at == at(950) and plan.consecutive_failures == 4


def test_schedule_change_brings_the_next_run_forward_only() -> None:
    state = SourceState(last_run_at=at(-30), next_run_at=at(3570), interval_s=3600.0, last_status="ok")
    changed = on_schedule_change(policy(60.0), state, T0)
    assert changed.next_run_at == at(30) and changed.interval_s is None
    later = on_schedule_change(policy(7200.0), state, T0)
    assert later.next_run_at == at(3570)


# ---- stored state ---------------------------------------------------------------------------------


def test_state_from_a_sources_row_and_time_round_trip() -> None:
    row = {"name": "a", "last_run_at": "2024-05-01T11:59:00.000+00:00", "next_run_at": format_time(at(60)),
           "interval_s": 90, "last_status": "ok", "consecutive_failures": None}
    state = SourceState.from_row(row)
    assert state == SourceState(at(-60), at(60), 90.0, "ok", 0)
    assert SourceState.from_row(None) == SourceState()
    assert format_time(at(0.25)) == "2024-05-01T12:00:00.250+00:00"
    assert parse_time("2024-05-01T12:00:00") == T0
    assert parse_time("2024-05-01T19:00:00+07:00") == T0
