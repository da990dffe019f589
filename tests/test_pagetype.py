"""The page-type model: articles stay articles, listings are skipped whatever their length."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.article import Article, Segment
from scraper.pagetype import FEATURES, article_probability, features, looks_like_article, model
from scraper.parse import parse_html
from scraper.record import Scope, not_article_reason, verdict

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"
LISTING = ROOT / "fixtures" / "pagetype" / "serangraya-kanal-ekonomi.html"
SHARED = ROOT.parent / "shared" / "corpus" / "id-dev"


def test_the_shipped_model_fits_the_features_and_names_its_source() -> None:
    data = json.loads((ROOT / "scraper" / "pagetype.json").read_text(encoding="utf-8"))
    assert data["features"] == list(FEATURES) and len(data["weights"]) == len(FEATURES)
    assert "WCXB" in data["attribution"] and "CC-BY-4.0" in data["attribution"]
    weights, _, threshold = model()
    assert len(weights) == len(FEATURES) and 0 < threshold < 1


@pytest.mark.parametrize("name", sorted(p.stem for p in PAGES.glob("*.html")))
def test_every_golden_article_is_an_article(name: str) -> None:
    url = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))["url"]
    art = parse_html((PAGES / f"{name}.html").read_bytes(), url)
    assert not_article_reason(art) is None, article_probability(art)


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared corpus is not next to the repository")
def test_every_indonesian_corpus_page_is_an_article() -> None:
    for path in sorted(SHARED.glob("*.html")):
        url = json.loads(path.with_suffix(".json").read_text(encoding="utf-8")).get("url")
        art = parse_html(path.read_bytes(), url)
        assert looks_like_article(art)[0], (path.name, article_probability(art))


def test_a_section_front_with_a_long_body_is_skipped() -> None:
    url = "https://serangraya.example/kanal/ekonomi/"
    art = parse_html(LISTING.read_bytes(), url)
    assert sum(len(p) for s in art.segments for p in s.paragraphs) > 1000     # no text floor would catch it
    reason = not_article_reason(art)
    assert reason is not None and reason.startswith("a listing, forum, product or service page")
    decided = verdict(art, Scope("serangraya"), url, url)
    assert decided.outcome == "skipped" and decided.article is None
    assert decided.reason is not None and decided.reason.startswith("not an article: a listing")


def test_features_are_plain_numbers_of_the_parse() -> None:
    art = Article(url="https://fam68.example/2025/11/banjir-rendam-lebak-selatan/", title="Banjir Rendam Lebak Selatan",
                  segments=[Segment(None, ["Banjir setinggi satu meter merendam tiga desa di Lebak Selatan.",
                                           "Warga mengungsi ke balai desa, kata kepala desa."])],
                  declared_type="NewsArticle", published_at="2025-11-03T07:12:00+07:00")
    xs = features(art)
    assert len(xs) == len(FEATURES) and all(isinstance(x, float) for x in xs)
    named = dict(zip(FEATURES, xs, strict=True))
    assert named["declared_article"] == 1.0 and named["date_in_path"] == 1.0 and named["slug_title_overlap"] == 1.0
    assert looks_like_article(art)[0]
    forum = Article(url="https://forum.example/threads/banjir-lebak.123456/", title="Banjir lebak?",
                    segments=[Segment(None, ["Posts: 116", "Joined: Feb 2019", "Ada yang tahu jalur aman?",
                                             "budi said:", "Lewat Malingping saja."])],
                    declared_type="DiscussionForumPosting")
    assert article_probability(forum) < article_probability(art)


def test_a_dated_page_at_a_news_address_is_not_overruled_by_its_shape() -> None:
    """/?p=123 or a long slug gives the model little to read: with a publication time the address decides;
    without one the model still does."""
    from scraper.parse import parse_html
    from scraper.record import not_article_reason

    paras = "".join(f"<p>Kalimat ke-{i} dari siaran pers dinas tentang program bantuan warga desa.</p>"
                    for i in range(12))
    dated = '<meta property="article:published_time" content="2026-12-01T09:00:00+07:00">'
    for url in ("https://portal.example/?p=152480", "https://portal.example/ekuin/bantuan-warga-desa-cair-hari-ini"):
        page = f"<html><head><title>Bantuan warga</title>{dated}</head><body><h1>Bantuan warga</h1>{paras}</body></html>"
        assert not_article_reason(parse_html(page, url=url)) is None, url
    undated = f"<html><head><title>Bantuan warga</title></head><body><h1>Bantuan warga</h1>{paras}</body></html>"
    assert "by its shape" in (not_article_reason(parse_html(undated, url="https://portal.example/?p=152480")) or "")
