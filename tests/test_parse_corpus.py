"""Quality gate on the shared evaluation corpora (skipped when ../shared/corpus is absent).

Scores come from bench/quality.py (the same metric the benchmark prints). The thresholds sit a little under
what the parser reaches, so a rule change that loses quality fails here (trafilatura's eval gate idea).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "quality.py"


def _quality() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kabar_bench_quality", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


quality = _quality()
CORPUS = quality.shared_dir() / "corpus"


@pytest.fixture(scope="module")
def id_dev() -> list:
    folder = CORPUS / "id-dev"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    return quality.score_id_dev(folder, quality.kabar_extract)


def test_id_dev_articles_body_f1(id_dev: list) -> None:
    articles = [s for s in id_dev if s.kind == "article"]
    assert articles
    mean = sum(s.bow for s in articles) / len(articles)
    assert mean >= 0.98, sorted((round(s.bow, 3), s.name) for s in articles)[:5]
    assert min(s.bow for s in articles) >= 0.9


def test_id_dev_no_promo_marker_left(id_dev: list) -> None:
    assert [(s.name, s.leaks) for s in id_dev if s.leaks] == []


def test_id_dev_titles(id_dev: list) -> None:
    titled = [s for s in id_dev if s.title_ok is not None]
    assert sum(1 for s in titled if s.title_ok) >= 0.9 * len(titled), [s.name for s in titled if not s.title_ok]


def test_scrapinghub_shingle_f1() -> None:
    folder = CORPUS / "scrapinghub"
    if not (folder / "ground-truth.json").is_file():
        pytest.skip(f"{folder} not present")
    pages = quality.score_scrapinghub(folder, quality.kabar_extract)
    p = sum(x[1] for x in pages) / len(pages)
    r = sum(x[2] for x in pages) / len(pages)
    assert quality.f1(p, r) >= 0.94, (p, r)
