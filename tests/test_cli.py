"""The CLI shell: global options and help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scraper", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=60)


def test_help_and_version() -> None:
    r = run("--help")
    assert r.returncode == 0, r.stderr
    assert "Usage" in r.stdout and "--config" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout


def test_unknown_option_is_usage_error() -> None:
    r = run("--no-such-option")
    assert r.returncode == 2
