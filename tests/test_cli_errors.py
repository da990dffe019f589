"""The CLI's error surface: one ``kabar: error:`` line and the right exit code, quiet exit on a closed pipe."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from helpers import kabar_cmd, kabar_env

from storage.records import ArticleRecord
from storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
PAGE = ("<html><head><title>Banjir</title></head><body><article><h1>Banjir Rendam Jakarta</h1>"
        + "".join(f"<p>Paragraf {i}: hujan deras sejak Senin pagi merendam puluhan rumah warga di tepi kali.</p>"
                  for i in range(8))
        + "</article></body></html>")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(kabar_cmd(*args), capture_output=True, text=True, cwd=cwd or ROOT, timeout=60, env=kabar_env())


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("kabar: error: "), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "k.db"
    with Store.open(str(path)) as s:
        for i in range(300):
            s.save_article(ArticleRecord(
                source="fam68", url=f"https://fam68.example/a{i}", canonical_url=f"https://fam68.example/a{i}",
                title=f"Judul berita nomor {i}", segments=[(None, [f"Isi berita nomor {i}. " * 20])],
                published_at="2025-11-17T20:00:00+07:00"), now="2025-11-17T13:05:00+00:00")
    return path


# ---- click's own usage errors ------------------------------------------------------------------------
@pytest.mark.parametrize("args", [
    ("--no-such-option",),                      # unknown option
    ("latest", "--bogus"),                      # unknown option of a command
    ("parse",),                                 # missing argument
    ("latest", "--format", "xml"),              # bad choice
    ("latest", "--limit", "-3"),                # bad value
    ("no-such-command",),
])
def test_click_usage_errors_are_one_line_exit_2(args: tuple[str, ...]) -> None:
    r = run(*args)
    assert r.returncode == 2, r.stderr
    one_error_line(r.stderr)
    assert "Usage:" not in r.stderr and "Try " not in r.stderr


def test_help_still_prints_help() -> None:
    r = run("latest", "--help")
    assert r.returncode == 0 and "Usage:" in r.stdout and r.stderr == ""


# ---- outputs that cannot be written ------------------------------------------------------------------
def test_export_into_a_missing_folder_is_one_line(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "dir" / "x.jsonl"
    r = run("--db", str(db), "export", "-o", str(target))
    assert r.returncode == 1
    line = one_error_line(r.stderr)
    assert "missing" in line and "No such file" in line
    assert not target.exists()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("limit", ["1", "300"])     # error at the final flush, and while writing
def test_export_to_dev_full_is_one_line(db: Path, limit: str) -> None:
    with open("/dev/full", "w") as full:
        r = subprocess.run(kabar_cmd("--db", str(db), "export", "--limit", limit), stdout=full, stderr=subprocess.PIPE,
                           text=True, timeout=60, env=kabar_env())
    assert r.returncode == 1
    assert "No space left" in one_error_line(r.stderr)


# ---- a closed pipe: quiet, as cat ----------------------------------------------------------------------
def read_one_line_then_close(args: list[str]) -> subprocess.CompletedProcess[str]:
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=kabar_env(), cwd=ROOT)
    assert p.stdout is not None and p.stderr is not None
    first = p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    p.stderr.close()
    code = p.wait(timeout=60)
    assert first.strip()
    return subprocess.CompletedProcess(args, code, "", err)


@pytest.mark.parametrize("command", [("export",), ("latest", "--format", "json", "--limit", "300"),
                                     ("search", "berita", "--format", "csv", "--all-copies", "--limit", "300")])
def test_query_commands_into_a_closed_pipe_exit_quietly(db: Path, command: tuple[str, ...]) -> None:
    r = read_one_line_then_close(kabar_cmd("--db", str(db), *command))
    assert r.returncode in (0, 141), r.stderr
    assert r.stderr == ""


def test_parse_folder_into_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"p{i:02}.html").write_text(PAGE, encoding="utf-8")
    r = read_one_line_then_close(kabar_cmd("parse", str(tmp_path)))
    assert r.returncode in (0, 141), r.stderr
    assert r.stderr == ""


# ---- parse arguments -----------------------------------------------------------------------------------
def test_parse_empty_path_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "here.html").write_text(PAGE, encoding="utf-8")
    r = run("parse", "", cwd=tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    one_error_line(r.stderr)


@pytest.mark.parametrize("url", ["notaurl", "/2025/01/x/", "ftp://example.com/x", "https://", "http:///x"])
def test_parse_url_option_must_be_absolute_http(tmp_path: Path, url: str) -> None:
    page = tmp_path / "p.html"
    page.write_text(PAGE, encoding="utf-8")
    r = run("parse", str(page), "--url", url)
    assert r.returncode == 2 and r.stdout == ""
    assert "--url" in one_error_line(r.stderr)


def test_parse_url_option_accepts_an_absolute_url(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(PAGE, encoding="utf-8")
    r = run("parse", str(page), "--url", "https://fam68.example/2025/01/banjir/")
    assert r.returncode == 0, r.stderr
    assert "fam68.example" in r.stdout
