"""The container choice that fails safe (issue 13): overlays, teasers, caption strips, shorter rivals, JSON-LD."""

from __future__ import annotations

import json

import pytest

from scraper.article import NO_BODY_WARNING, Segment
from scraper.body import Body, caption_share, is_overlay, ld_paragraphs, quality
from scraper.parse import parse_html

URL = "https://news.example/2026/12/01/story/"
STORY = [f"Paragraph {i} of the story tells what the council decided on Monday, who voted for it, and what "
         f"happens next in the districts along the river." for i in range(6)]


def html(body: str, head: str = "") -> str:
    return f"<html><head><title>Council votes</title>{head}</head><body>{body}</body></html>"


def test_consent_overlay_is_not_the_story() -> None:
    overlay = ("<div class='cmp-layer'><div class='cmp-body'><h2>We value your privacy</h2>"
               "<p>We and our 812 partners use cookies and similar technologies to store and access personal "
               "data on your device, for personalised ads and content, ad and content measurement.</p>"
               "<p>You can accept all, reject all or manage your preferences at any time, including your right "
               "to object where legitimate interest is used, in our privacy policy and cookie settings.</p>"
               "<p>Under the CCPA you may opt out of the sale of your personal information: Do Not Sell My "
               "Personal Information.</p></div></div>")
    story = "".join(f"<div class='para'>{p}</div>" for p in STORY)
    art = parse_html(html(overlay + f"<main><div class='body-x'>{story}</div></main>"), URL)
    assert "Paragraph 0 of the story" in art.text and "Paragraph 5" in art.text
    assert "cookies" not in art.text and "CCPA" not in art.text


def test_is_overlay_needs_most_of_a_short_text() -> None:
    notice = Body([Segment(None, ["We use cookies to improve your experience and for personalised ads.",
                                  "Accept all or manage your preferences in our privacy policy."])])
    assert is_overlay(notice) and quality(notice) == 0
    story = Body([Segment(None, STORY + ["The council's privacy policy for residents' data was not discussed."])])
    assert not is_overlay(story) and quality(story) == story.chars
    long_story = Body([Segment(None, ["Cookies are baked in the town's ovens every morning."] * 80)])
    assert not is_overlay(long_story)         # a long article about cookies is an article


def test_teaser_excerpts_do_not_count() -> None:
    teasers = Body([Segment(None, ["The mayor said the budget would be balanced by next spring, and that…",
                                   "Residents of the eastern districts have waited for the new bridge for..."])])
    assert quality(teasers) == 0


def test_known_container_holding_only_the_teaser() -> None:
    teaser = ("<p>The council voted on Monday to build a second bridge over the river, ending years of debate "
              "about the eastern districts and their long way into town, and the money is now in the budget.</p>"
              "<p>The vote was 31 to 12. Construction is to begin next autumn and take four years, the mayor "
              "said, and the old ferry will keep running until the bridge opens to traffic and to cyclists.</p>")
    body = "".join(f"<div class='tx'><p>{p}</p></div>" for p in STORY)
    page = html(f"<article><header><h1>Council votes</h1><div class='entry-content'>{teaser}</div></header>"
                f"<div class='story-x'>{body}</div></article>")
    art = parse_html(page, URL)
    assert "The council voted on Monday" in art.text and "Paragraph 5 of the story" in art.text


def test_a_good_container_is_kept_without_looking_at_rivals() -> None:
    body = "".join(f"<p>{p}</p>" for p in STORY * 3)
    page = html(f"<div class='entry-content'>{body}</div><article><p>{'Another post, longer. ' * 200}</p></article>")
    art = parse_html(page, URL)
    assert "Paragraph 0 of the story" in art.text and "Another post" not in art.text


@pytest.mark.parametrize("holder", ["<article>{}</article>", "<div itemprop='articleBody'>{}</div>"])
def test_never_no_body_with_an_article_element(holder: str) -> None:
    page = html("<div class='nav'><a href='/'>Home</a></div>" + holder.format("<span>Short notice: the "
                "meeting moves to Tuesday.</span>"))
    art = parse_html(page, URL)
    assert art.text == "Short notice: the meeting moves to Tuesday."
    assert NO_BODY_WARNING not in art.warnings


def test_json_ld_article_body_is_the_last_resort() -> None:
    ld = {"@type": "NewsArticle", "headline": "Council votes", "articleBody": "\n".join(STORY[:3])
          + "\n\nBaca juga: Jembatan baru dibuka\n" + STORY[3]}
    page = html("<div id='app'></div>", f"<script type='application/ld+json'>{json.dumps(ld)}</script>")
    art = parse_html(page, URL)
    assert [p for s in art.segments for p in s.paragraphs] == STORY[:4]
    assert any(r.kind == "promo" for r in art.removed)
    assert NO_BODY_WARNING not in art.warnings


def test_json_ld_body_beats_a_paywalled_lead() -> None:
    ld = {"@type": "NewsArticle", "headline": "Council votes", "articleBody": "\n".join(STORY)}
    page = html(f"<article><h1>Council votes</h1><p>{STORY[0]}</p><p>Subscribe to continue reading.</p>"
                "</article>", f"<script type='application/ld+json'>{json.dumps(ld)}</script>")
    art = parse_html(page, URL)
    assert [p for s in art.segments for p in s.paragraphs] == STORY


def test_ld_paragraphs_of_html_and_text() -> None:
    assert ld_paragraphs("One.\r\n\r\nTwo &amp; three.") == ["One.", "Two & three."]
    assert ld_paragraphs("<p>One <b>bold</b>.</p><p>Two.<br>Three.</p>") == ["One bold.", "Two.", "Three."]
    assert ld_paragraphs(None) == [] and ld_paragraphs(["a"]) == []


def test_caption_share_of_a_photo_strip() -> None:
    from selectolax.lexbor import LexborHTMLParser

    strip = LexborHTMLParser("<div id='s'>" + "".join(
        f"<div class='slide'><img src='/{i}.jpg'></div><p>Caption {i} of the photo, long enough.</p>"
        for i in range(4)) + "</div>").css_first("#s")
    assert strip is not None and caption_share([strip]) == 1.0
    prose = LexborHTMLParser("<div id='s'>" + "".join(f"<p>{p}</p>" for p in STORY) + "</div>").css_first("#s")
    assert prose is not None and caption_share([prose]) == 0.0


def test_a_profile_body_selector_is_trusted() -> None:
    from scraper.config import ParseProfile

    page = html(f"<div class='lead-box'><p>{STORY[0]}</p></div><article>"
                + "".join(f"<p>{p}</p>" for p in STORY[1:] * 3) + "</article>")
    art = parse_html(page, URL, profile=ParseProfile(body=".lead-box"))
    assert [p for s in art.segments for p in s.paragraphs] == [STORY[0]]
    assert "Paragraph 1 of the story" in parse_html(page, URL).text
