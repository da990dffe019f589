"""Bad config files and bad arguments through the real CLI (``python -m scraper ...`` subprocesses).

tests/test_config.py checks the loader's messages; this checks what a user sees: exit code 2 and one line
on stderr, ``kabar: error: FILE: KEY: what is expected``, for every command that reads the config, and exit
2 for bad arguments (negative --max-pages, unknown source, a --since that is no time, a bad FTS query).
The subprocesses run a few at a time in a thread pool; each test reads its own result.
"""

from __future__ import annotations

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import kabar_env

from storage.store import Store

pytestmark = pytest.mark.slow

GOOD = '[[sources]]\nname = "s"\nstart_urls = ["http://127.0.0.1:9/"]\n'


@dataclass(frozen=True)
class BadConfig:
    id: str
    content: str | bytes | None     # None: the case makes its own path (missing file, directory)
    key: str | None                 # the key the message must name (None: file-level problem)
    expect: str                     # regex for what the message says is wrong
    command: tuple[str, ...] = ("crawl",)


BAD_CONFIGS = [
    BadConfig("wrong-type-float", '[http]\ntimeout = "fast"\n', "http.timeout", r"number"),
    BadConfig("unknown-key", "[http]\ntimout = 1.0\n", "http.timout", r"unknown key"),
    BadConfig("unknown-source-key", GOOD + 'start_url = "http://x.example/"\n', "sources[0].start_url",
              r"unknown key"),
    BadConfig("bad-regex", GOOD + 'article_pattern = "/(\\\\d{4}/"\n', "sources[0].article_pattern",
              r"regular expression"),
    BadConfig("backtracking-article-pattern", GOOD + 'article_pattern = "/(a+)+/$"\n', "sources[0].article_pattern",
              r"nested quantifier can backtrack exponentially"),
    BadConfig("backtracking-dateline", GOOD + '[sources.parse]\ndateline = "^(a+)+[–-]\\\\s*"\n', "parse.dateline",
              r"nested quantifier can backtrack exponentially"),
    BadConfig("backtracking-star-star", GOOD + 'article_pattern = "(?:\\\\w+\\\\s?)*$"\n',
              "sources[0].article_pattern", r"nested quantifier"),
    BadConfig("bad-cron", GOOD + 'cron = "61 * * * *"\n', "sources[0].cron", r"crontab"),
    BadConfig("bad-cron-six-fields", GOOD + 'cron = "0 0 6 * * 1"\n', "sources[0].cron", r"five-field",
              ("daemon",)),
    BadConfig("bad-timezone", '[daemon]\ntimezone = "Mars/Olympus"\n', "daemon.timezone", r"time zone",
              ("daemon",)),
    BadConfig("bad-schedule", GOOD + 'schedule = "sometimes"\n', "sources[0].schedule", r"every"),
    BadConfig("bad-selector", GOOD + '[sources.parse]\ntitle = "h1[[["\n', "parse.title", r"selector"),
    BadConfig("bad-url", '[[sources]]\nname = "s"\nstart_urls = ["file:///etc/passwd"]\n', "start_urls",
              r"http"),
    BadConfig("bad-duration-daemon", '[daemon]\nmax_interval = "forever"\n', "daemon.max_interval",
              r"duration", ("daemon",)),
    BadConfig("wrong-type-search", "[storage]\npath = 5\n", "storage.path", r"string", ("search", "banten")),
    BadConfig("unknown-key-stats", "[storage]\npth = \"x.db\"\n", "storage.pth", r"unknown key", ("stats",)),
    BadConfig("invalid-toml", "[http\ntimeout = 1\n", None, r"invalid TOML"),
    BadConfig("invalid-utf8", b'[storage]\npath = "\xff\xfe.db"\n', None, r"UTF-8"),
    BadConfig("missing-file", None, None, r"no such file"),
    BadConfig("directory", None, None, r"directory"),
]


@dataclass(frozen=True)
class BadArgs:
    id: str
    args: tuple[str, ...]
    expect: str        # regex on stderr


BAD_ARGS = [
    BadArgs("max-pages-negative", ("crawl", "--max-pages", "-1"), r"max-pages"),
    BadArgs("max-pages-zero", ("crawl", "--max-pages", "0"), r"max-pages"),
    BadArgs("unknown-source", ("crawl", "nosuchsource"), r"nosuchsource"),
    BadArgs("since-nonsense-search", ("search", "banten", "--since", "nonsense"), r"nonsense|since"),
    BadArgs("since-nonsense-latest", ("latest", "--since", "nonsense"), r"nonsense|since"),
    BadArgs("fts-unbalanced-quote", ("search", '"banten'), r"search query|FTS"),
    BadArgs("fts-bare-operator", ("search", "AND"), r"search query|FTS"),
    BadArgs("fts-empty", ("search", ""), r"empty|search query"),
    BadArgs("limit-negative", ("latest", "--limit", "-3"), r"limit"),
]


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scraper", *argv], cwd=cwd, env=kabar_env(), capture_output=True,
                          text=True, timeout=120)


@dataclass
class Results:
    configs: dict[str, tuple[Path, subprocess.CompletedProcess[str]]]
    args: dict[str, subprocess.CompletedProcess[str]]
    default_config: tuple[Path, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Results:
    tmp = tmp_path_factory.mktemp("badcfg")
    jobs: dict[str, tuple[list[str], Path]] = {}     # name -> (argv, cwd)
    paths: dict[str, Path] = {}
    for case in BAD_CONFIGS:
        folder = tmp / case.id
        folder.mkdir()
        path = folder / "kabar.toml"
        if case.id.startswith("missing-file"):
            pass
        elif case.id == "directory":
            path.mkdir()
        elif isinstance(case.content, bytes):
            path.write_bytes(case.content)
        else:
            assert case.content is not None
            path.write_text(case.content, encoding="utf-8")
        paths[case.id] = path
        argv = ["--config", str(path), "--db", str(folder / "k.db"), *case.command]
        jobs["cfg:" + case.id] = (argv, folder)

    # bad arguments run against a good config and an existing (empty) database
    good = tmp / "good"
    good.mkdir()
    (good / "kabar.toml").write_text(GOOD, encoding="utf-8")
    with Store.open(str(good / "k.db")):
        pass
    for a in BAD_ARGS:
        argv = ["--config", str(good / "kabar.toml"), "--db", str(good / "k.db"), *a.args]
        jobs["arg:" + a.id] = (argv, good)

    # ./config.toml picked up without --config is checked the same way
    implicit = tmp / "implicit"
    implicit.mkdir()
    (implicit / "config.toml").write_text("[http]\nconcurrency = 0\n", encoding="utf-8")
    jobs["implicit"] = (["crawl"], implicit)

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(_run, argv, cwd) for name, (argv, cwd) in jobs.items()}
        done = {name: f.result() for name, f in futures.items()}
    return Results(
        configs={c.id: (paths[c.id], done["cfg:" + c.id]) for c in BAD_CONFIGS},
        args={a.id: done["arg:" + a.id] for a in BAD_ARGS},
        default_config=(implicit / "config.toml", done["implicit"]),
    )


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{stderr[-2000:]}"
    assert lines[0].startswith("kabar: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=[c.id for c in BAD_CONFIGS])
def test_bad_config_exits_2_with_one_line_naming_file_and_key(results: Results, case: BadConfig) -> None:
    path, proc = results.configs[case.id]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    line = _one_error_line(proc.stderr)
    assert str(path) in line, f"the message does not name the file: {line}"
    if case.key:
        assert case.key in line, f"the message does not name the key {case.key!r}: {line}"
    assert re.search(case.expect, line), line
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_broken_default_config_toml_is_named_too(results: Results) -> None:
    path, proc = results.default_config
    assert proc.returncode == 2, proc.stderr[-2000:]
    line = _one_error_line(proc.stderr)
    assert "config.toml" in line and "http.concurrency" in line, line


@pytest.mark.parametrize("case", BAD_ARGS, ids=[a.id for a in BAD_ARGS])
def test_bad_arguments_exit_2(results: Results, case: BadArgs) -> None:
    proc = results.args[case.id]
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert re.search(case.expect, proc.stderr, re.IGNORECASE), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("pattern", "nested"), [
    ("/(a+)+/$", True), (r"^(a+)+[–-]\s*", True), ("(a*)*", True), (r"(\w+\s?)+$", True), ("(x+x+)+y", True),
    ("((a+))+", True), ("(?:a+|b)+", True), ("(a+?)+", True), ("(?:a+){2,9}", True),
    (r"(\d+/)+", False), ("(a|aa)+", False), (r"/\d{4}/\d{2}/[a-z0-9-]+/?$", False), ("(a+)?", False),
    (r"(?:[a-z0-9]+-)+[a-z0-9]+", False), ("(?>a+)+", False), ("a++", False),
    (r"^[A-Z]+(?:, [A-Z][a-z]+)*\s*[-–]\s*", False),
])
def test_nested_quantifier_check(pattern: str, nested: bool) -> None:
    from scraper.config import has_nested_quantifier

    assert has_nested_quantifier(pattern) is nested


def test_profile_dateline_sees_only_a_paragraphs_start() -> None:
    from scraper.clean import DATELINE_SPAN, make_rules, strip_dateline

    r = make_rules((), r"^[A-Z ]+ - ")
    assert strip_dateline("SERANG - Hujan turun.", r)[1] == "SERANG"
    assert strip_dateline("A" * DATELINE_SPAN + " - Hujan turun.", r)[1] is None   # the regex never sees it
