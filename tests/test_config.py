"""config.toml validation: defaults, the shipped file, and a table of broken files (exit 2, file + key)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.config import Config, load_config, parse_duration, parse_schedule
from scraper.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD_SOURCE = '[[sources]]\nname = "s"\nstart_urls = ["https://a.example/"]\n'


def write(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "config.toml"
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def test_shipped_config_is_valid_and_spells_out_every_default() -> None:
    cfg = load_config(ROOT / "config.toml", explicit=True)
    defaults = Config()
    assert cfg.http == defaults.http
    assert cfg.daemon == defaults.daemon
    assert cfg.storage == defaults.storage
    (src,) = cfg.sources
    assert src.name == "fam68" and src.interval_s == 900
    assert src.parse is not None and src.parse.promo_phrases == ("Berita Terpercaya",)


def test_missing_default_file_gives_builtin_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config(None)
    assert cfg == Config()
    assert cfg.sources == ()


def test_allowed_domains_default_to_hosts_of_urls(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[[sources]]\nname = "s"\nstart_urls = ["https://WWW.A.example:8080/x"]\n'
                            'feeds = ["http://b.example/feed"]\n'))
    assert cfg.sources[0].allowed_domains == ("www.a.example", "b.example")


def test_durations_and_schedules() -> None:
    assert parse_duration("6h") == 21600
    assert parse_duration("90s") == 90
    assert parse_schedule("every 15m") == 900
    assert parse_schedule("every 2d") == 172800
    for bad in ("15m", "every", "every -1m", "every 0s", "every 5 minutes"):
        with pytest.raises(ValueError):
            parse_schedule(bad)


BROKEN = [
    ("[http]\ntimeout = \"fast\"\n", "http.timeout", "expected a number"),
    ("[http]\ntimeout = 0\n", "http.timeout", "> 0.0"),
    ("[http]\nretries = -1\n", "http.retries", "integer"),
    ("[http]\nrespect_robots = 1\n", "http.respect_robots", "true or false"),
    ("[http]\nmax_bytes = 1.5\n", "http.max_bytes", "integer"),
    ("[http]\nuser_agnet = \"x\"\n", "http.user_agnet", "unknown key"),
    ("[storage]\npath = 3\n", "storage.path", "string"),
    ("[daemon]\njitter = 2\n", "daemon.jitter", "<= 1.0"),
    ("[daemon]\nmax_interval = \"six hours\"\n", "daemon.max_interval", "duration"),
    ("[daemon]\ndefault_schedule = \"15m\"\n", "daemon.default_schedule", "every"),
    ("[extra]\nx = 1\n", "extra", "unknown key"),
    ("sources = 3\n", "sources", "array of tables"),
    ('[[sources]]\nstart_urls = ["https://a.example/"]\n', "sources[0].name", "missing"),
    ('[[sources]]\nname = "s"\n', "sources[0] (s)", "start_urls"),
    (GOOD_SOURCE + GOOD_SOURCE, "sources[1].name", "duplicate"),
    ('[[sources]]\nname = "s"\nstart_urls = ["ftp://a.example/"]\n', "sources[0].start_urls[0]", "http(s) URL"),
    ('[[sources]]\nname = "s"\nstart_urls = "https://a.example/"\n', "sources[0].start_urls", "a list"),
    (GOOD_SOURCE + 'article_pattern = "(unclosed"\n', "sources[0].article_pattern", "regular expression"),
    (GOOD_SOURCE + 'cron = "61 * * * *"\n', "sources[0].cron", "crontab"),
    (GOOD_SOURCE + 'cron = "* * *"\n', "sources[0].cron", "five-field"),
    (GOOD_SOURCE + 'cron = "0 0 6 * * 1"\n', "sources[0].cron", "five-field"),
    (GOOD_SOURCE + 'cron = "@reboot"\n', "sources[0].cron", "macro"),
    (GOOD_SOURCE + 'cron = "0 6 * * 8"\n', "sources[0].cron", "day-of-week"),
    ("[daemon]\ntimezone = \"Mars/Olympus\"\n", "daemon.timezone", "time zone"),
    ("[daemon]\ntimezone = 7\n", "daemon.timezone", "string"),
    (GOOD_SOURCE + 'schedule = "every 5m"\ncron = "*/5 * * * *"\n', "sources[0] (s).cron", "not both"),
    (GOOD_SOURCE + 'max_pages = 0\n', "sources[0].max_pages", "integer"),
    (GOOD_SOURCE + 'colour = "red"\n', "sources[0].colour", "unknown key"),
    (GOOD_SOURCE + '[sources.parse]\ndateline = "[a-"\n', "parse.dateline", "regular expression"),
    (GOOD_SOURCE + '[sources.parse]\nbody = "div[[["\n', "parse.body", "CSS selector"),
    (GOOD_SOURCE + '[sources.parse]\nbogus = 1\n', "parse.bogus", "unknown key"),
    (GOOD_SOURCE + '[sources.parse]\nremove = ".x"\n', "parse.remove", "a list"),
    ("[http\n", None, "invalid TOML"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), BROKEN)
def test_broken_config_names_file_and_key(tmp_path: Path, text: str, key: str | None, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, explicit=True)
    msg = str(info.value)
    assert info.value.exit_code == 2
    assert str(path) in msg
    if key:
        assert key in msg
    assert fragment in msg


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", explicit=True)


def test_directory_and_bad_utf8(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="directory"):
        load_config(tmp_path, explicit=True)
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(write(tmp_path, b"[storage]\npath = \"\xff\xfe\"\n"), explicit=True)
