"""The parser's shortcuts give the answers of the slow paths they replace (see bench/parse_speed.py)."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper import rules
from scraper.clean import _has_inline_label
from scraper.metadata import LinkSelector

DOCS = [
    # quirks mode (no doctype): class selectors ignore case
    '<div class="x TAGS"><a href="/1">Satu</a></div><div><a rel="Tag">Dua</a><a>Tiga</a></div>',
    # standards mode: they do not
    '<!doctype html><div class="TAGS"><a>Satu</a></div><ul class="tags"><li><a>Dua</a></li></ul>',
    # a holder above the searched element, the element itself a holder, nested holders
    '<!doctype html><div class="tag-list"><section id="s"><a>Satu</a><p class="topik"><a>Dua</a></p>'
    '</section></div><section id="t" class="tags"><a>Tiga</a><div class="tag"><a>Empat</a></div></section>',
    # links of their own only, and no tag links at all
    '<!doctype html><main id="s"><p><a rel="nofollow tag">Satu</a> <a rel="tagx">Dua</a></p></main>',
    '<!doctype html><main id="s"><p class="tagline"><a>Satu</a></p></main>',
]


@pytest.mark.parametrize("doc", DOCS)
def test_link_selector_matches_the_full_selector(doc: str) -> None:
    tree = LexborHTMLParser(doc)
    sel = LinkSelector(rules.TAG_LINK_SELECTORS)
    assert sel.simple
    scopes = [tree] + [n for q in ("#s", "#t", "section", "p", "a") for n in tree.css(q)]
    for node in scopes:
        assert [n.mem_id for n in sel.find(node)] == [n.mem_id for n in node.css(sel.full)]


def test_link_selector_with_other_shapes_runs_the_full_selector() -> None:
    sel = LinkSelector(("[class*=tag] a", ".tags a"))
    assert not sel.simple
    tree = LexborHTMLParser('<div class="xtagx"><a>Satu</a></div>')
    assert [n.text() for n in sel.find(tree)] == ["Satu"]


def test_hint_words_cover_their_patterns() -> None:
    for sel in rules.BREADCRUMB_SELECTORS:
        assert rules.BREADCRUMB_HINT in sel.split()[0]
    for text in ("Baca juga: x", "BACA JUGA x", "Lihat pula x", "SIMAK JUGA: x", "Read more: x", "Baca: x"):
        assert rules.INLINE_PROMO_RE.search(text)
        assert _has_inline_label(text)
        assert not rules.INLINE_PROMO_RE.search(text.replace(text.split()[0].rstrip(":"), "Xxx", 1))
    for text in ("ADVERTISEMENT", "SCROLL TO CONTINUE WITH CONTENT", "SCROLL TO RESUME"):
        assert rules.AD_MARKER_RE.search(text)
        assert any(w in text for w in rules.AD_MARKER_WORDS)


def test_page_href_patterns_match_the_combined_pattern() -> None:
    """The two page-link patterns answer like the single pattern they replace."""
    import random
    import re

    combined = re.compile(
        r"[?&](?:page|hal|halaman|pg|paged|pagenum|p_page|showpage|pages|single|showall|show_all|all|view)="
        r"|/\d{1,3}/?$|/(?:all|full|semua|lengkap)/?$", re.IGNORECASE)

    def split(href: str) -> bool:
        tail = rules.PAGE_HREF_TAIL_RE.search(href, max(0, len(href) - rules.PAGE_HREF_TAIL))
        return bool(tail or (("?" in href or "&" in href) and rules.PAGE_HREF_QUERY_RE.search(href)))

    pieces = ["/", "a", "1", "12", "123", "1234", "?", "&", "page=", "PAGE=", "hal=", "all", "ALL", "full",
              "semua", "lengkap", "Lengkap/", "x/", "view=", "=", "#", "/2/", "/all/", "/LENGKAP", "-"]
    rnd = random.Random(7)
    for _ in range(20_000):
        href = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8)))
        assert split(href) == bool(combined.search(href)), href


@pytest.mark.parametrize("doc", [
    '<p>x</p><time datetime="2020-01-02T03:04:05+07:00">2 Jan</time>',
    '<TIME DATETIME="2021-05-06 07:08">x</TIME><time>2019-01-01</time>',
    '<time datetime>x</time><time datetime="2022-02-03">y</time>',
    '<span itemprop="datePublished" content="2018-07-08T09:10:11Z">8 Juli</span><time datetime="2020-01-01">z</time>',
    '<span itemprop="datepublished" content="2018-07-08">a</span>',
])
def test_dates_by_tag_name_match_the_selector(doc: str) -> None:
    from scraper.head import read_head
    from scraper.metadata import find_dates

    tree = LexborHTMLParser(doc)
    meta = read_head(tree)
    assert find_dates(tree, meta, "+07:00", source=doc) == find_dates(tree, meta, "+07:00")
