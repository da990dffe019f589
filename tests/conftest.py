"""Fixtures every test module may use (plain helpers are in ``helpers.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import REPO
from pg_server import pg_dsn, pg_server  # noqa: F401  (the cluster tests' PostgreSQL)

from storage.store import Store


@pytest.fixture
def repo_root() -> Path:
    """The checkout under test (its README, config.toml, fixtures/)."""
    return REPO


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A freshly migrated database in a temporary folder, closed after the test."""
    s = Store.open(str(tmp_path / "kabar.db"))
    yield s
    s.close()
