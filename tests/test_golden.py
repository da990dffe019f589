"""Golden tests: every hand-written page in fixtures/pages/ against its hand-written expectation.

Each ``NAME.html`` has a ``NAME.json`` beside it (see fixtures/README.md for the fields). The expectations
were written by hand from the page text, not generated from the parser; ``tests/regen_golden.py`` can
rewrite their generated fields from the parser's output so that a reviewer sees every change as a diff.

The first tests check the expectation files themselves and run without the parser; the golden test
parses each page with ``scraper.parse.parse_html`` and reports every difference of one page at once.
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"

# The keys of the `kabar parse` JSON object (SPEC.md).
SPEC_KEYS = {"path", "url", "canonical_url", "title", "published_at", "modified_at", "authors", "section",
             "tags", "lang", "image", "dateline", "segments", "text", "removed", "next_pages", "pages",
             "warnings"}
# The `removed.kind` values of SPEC.md.
REMOVED_KINDS = {"dateline", "promo", "related", "ad", "signoff", "share", "caption", "embed", "nav"}
REQUIRED_FIELDS = ("url", "provenance", "title", "dateline", "published_at", "segments", "removed_kinds",
                   "must", "must_not")
OPTIONAL_FIELDS = ("next_pages",)
# Removed texts whose kind SPEC.md's table fixes, whatever element carried them.
KIND_MARKERS = (
    (re.compile(r"^-?\s*(?:advertisement|scroll to continue with content)\s*-?$", re.I), "ad"),
    (re.compile(r"^baca\s+juga\b", re.I), "promo"),
    (re.compile(r"^\[gambas:", re.I), "embed"),
    (re.compile(r"^\(\w{2,5}/\w{2,5}\)$"), "signoff"),
)


def page_names() -> list[str]:
    return sorted(p.stem for p in PAGES.glob("*.html") if p.with_suffix(".json").exists())


def load_expected(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def expected_text(exp: dict[str, Any]) -> str:
    """The ``text`` the expected segments make: headlines and paragraphs, one per line (SPEC.md)."""
    lines: list[str] = []
    for seg in exp["segments"]:
        if seg["headline"]:
            lines.append(seg["headline"])
        lines.extend(seg["paragraphs"])
    return "\n".join(lines)


def _parse_html() -> Callable[..., Any]:
    """``scraper.parse.parse_html``; the test is skipped only while that module does not exist."""
    try:
        module = importlib.import_module("scraper.parse")
    except ModuleNotFoundError as exc:
        if exc.name == "scraper.parse":
            pytest.skip("scraper/parse.py does not exist yet")
        raise
    func: Callable[..., Any] = module.parse_html
    return func


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _segments_of(article: Any) -> list[dict[str, Any]]:
    return [{"headline": s.headline, "paragraphs": list(s.paragraphs)} for s in article.segments]


def _diff(expected: Any, actual: Any) -> str:
    a = json.dumps(expected, ensure_ascii=False, indent=2).splitlines()
    b = json.dumps(actual, ensure_ascii=False, indent=2).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "expected", "parser", lineterm="", n=2))


# ---------------------------------------------------------------------------------------------------
# The fixture files themselves (no parser needed)
# ---------------------------------------------------------------------------------------------------


def test_every_page_has_an_expectation() -> None:
    html = {p.stem for p in PAGES.glob("*.html")}
    expectations = {p.stem for p in PAGES.glob("*.json")}
    assert html, f"no pages in {PAGES}"
    assert not html - expectations, f"pages without NAME.json: {sorted(html - expectations)}"
    assert not expectations - html, f"expectations without NAME.html: {sorted(expectations - html)}"


@pytest.mark.parametrize("name", page_names())
def test_expectation_is_well_formed(name: str) -> None:
    exp = load_expected(name)
    missing = [k for k in REQUIRED_FIELDS if k not in exp]
    assert not missing, f"{name}.json lacks {missing}"
    unknown = set(exp) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    assert not unknown, f"{name}.json has unknown fields {sorted(unknown)}"
    assert exp["url"].startswith(("http://", "https://"))
    assert exp["provenance"].startswith("written for kabar fixtures")
    assert exp["title"] and exp["title"] == " ".join(exp["title"].split())
    assert exp["dateline"] is None or (exp["dateline"] and exp["dateline"] == exp["dateline"].strip())
    if exp["published_at"] is not None:
        assert _instant(exp["published_at"]).tzinfo is not None, "published_at needs an offset"
    assert exp["segments"], "an article has at least one segment"
    for i, seg in enumerate(exp["segments"]):
        assert set(seg) == {"headline", "paragraphs"}, f"segment {i} keys {sorted(seg)}"
        assert seg["paragraphs"], f"segment {i} has no paragraphs"
        for text in [seg["headline"] or "", *seg["paragraphs"]]:
            assert text == " ".join(text.split()), f"segment {i}: whitespace not normalised in {text!r}"
        if i:
            assert seg["headline"], f"segment {i} after the lead needs a headline"
    assert set(exp["removed_kinds"]) <= REMOVED_KINDS, sorted(set(exp["removed_kinds"]) - REMOVED_KINDS)
    text = expected_text(exp)
    assert exp["must"] and exp["must_not"]
    assert [m for m in exp["must"] if m not in text] == [], "a `must` phrase is not in the expected text"
    assert [m for m in exp["must_not"] if m in text] == [], "a `must_not` phrase is in the expected text"
    if exp["dateline"]:
        assert not any(p.startswith(exp["dateline"]) for s in exp["segments"] for p in s["paragraphs"])
    for url in exp.get("next_pages", []):
        assert url.startswith(("http://", "https://")) and url != exp["url"]


# ---------------------------------------------------------------------------------------------------
# The parser against the expectations
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", page_names())
def test_golden_page(name: str) -> None:
    parse_html = _parse_html()
    exp = load_expected(name)
    article = parse_html((PAGES / f"{name}.html").read_bytes(), exp["url"])
    problems: list[str] = []

    if article.title != exp["title"]:
        problems.append(f"title:\n  expected {exp['title']!r}\n  parser   {article.title!r}")
    if article.dateline != exp["dateline"]:
        problems.append(f"dateline:\n  expected {exp['dateline']!r}\n  parser   {article.dateline!r}")

    if exp["published_at"] is not None:
        got = article.published_at
        if got is None:
            problems.append(f"published_at: expected {exp['published_at']}, parser found none")
        else:
            try:
                when = _instant(got)
            except ValueError:
                problems.append(f"published_at: {got!r} is not ISO 8601")
            else:
                if when.tzinfo is None:
                    problems.append(f"published_at: {got!r} has no offset (expected {exp['published_at']})")
                elif when != _instant(exp["published_at"]):
                    problems.append(f"published_at: expected {exp['published_at']}, parser {got}")

    segments = _segments_of(article)
    if segments != exp["segments"]:
        problems.append("segments differ (- expected, + parser):\n" + _diff(exp["segments"], segments))

    kinds = {r.kind for r in article.removed}
    missing_kinds = [k for k in exp["removed_kinds"] if k not in kinds]
    if missing_kinds:
        problems.append(f"removed kinds missing: {missing_kinds} (parser reported {sorted(kinds)})")

    text = article.text
    absent = [m for m in exp["must"] if m not in text]
    if absent:
        problems.append(f"`must` phrases not in the text: {absent}")
    leaked = [m for m in exp["must_not"] if m in text]
    if leaked:
        problems.append(f"`must_not` phrases left in the text: {leaked}")

    if "next_pages" in exp and list(article.next_pages) != exp["next_pages"]:
        problems.append("next_pages differ:\n" + _diff(exp["next_pages"], list(article.next_pages)))

    keys = set(article.to_json())
    if keys != SPEC_KEYS:
        problems.append(f"to_json() keys: missing {sorted(SPEC_KEYS - keys)}, extra {sorted(keys - SPEC_KEYS)}")

    if problems:
        pytest.fail(f"{name}.html ({exp['url']}):\n" + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("name", page_names())
def test_removed_markers_have_their_kind(name: str) -> None:
    """`ADVERTISEMENT`, `Baca juga`, `[Gambas:...]` and `(abc/def)` removals carry SPEC.md's kind."""
    parse_html = _parse_html()
    exp = load_expected(name)
    article = parse_html((PAGES / f"{name}.html").read_bytes(), exp["url"])
    wrong: list[str] = []
    for r in article.removed:
        text = " ".join(r.text.split())
        for pattern, kind in KIND_MARKERS:
            if pattern.search(text) and r.kind != kind:
                wrong.append(f"{text[:60]!r} removed as {r.kind!r}, SPEC.md says {kind!r}")
    assert not wrong, f"{name}.html:\n" + "\n".join(wrong)
