"""React streamed server rendering (``scraper.dom.place_streamed``) and the walker's prose guard for class
words that say "nav" or only "embed".

A page rendered by React's streaming SSR sends the parts that were not ready with the shell as
``<div hidden id="S:n">`` at the end of ``<body>``; its script moves each into a Suspense boundary's
``<template id="B:n">`` (``$RC``, dropping the fallback up to ``<!--/$-->``) or a placeholder's
``<template id="P:n">`` (``$RS``). The walker keeps an element classed ``toc_...``/``menu`` or only ``embed``
when it is prose (over ``rules.NAV_PROSE_MIN`` characters, links under ``rules.NAV_LINK_SHARE`` of them), while
a service's embed (``instagram-media``) stays out.
"""

from __future__ import annotations

import time

from selectolax.lexbor import LexborHTMLParser

from scraper import rules
from scraper.article import Article
from scraper.dom import STREAMED_MAX, place_streamed
from scraper.parse import parse_html

URL = "https://www.ledgerly.example/guides/saving/sinking-funds"

A = ("A sinking fund is money you put aside, a little at a time, for a cost you can already see coming: a car "
     "registration, a wedding next summer, the annual premium on a home insurance policy.")
B = ("Divide the amount by the months left until the bill is due and move that sum on every payday, so the money "
     "is there in full when the bill arrives and nothing has to go on a credit card.")
C = ("Keep each fund in its own savings bucket if your bank offers them, or label them in a spreadsheet, so the "
     "holiday money never quietly pays for a new laptop.")
D = ("When a fund has done its job, close it or roll what is left into the next one. The habit matters more than "
     "the sums, and it gets easier with every bill that arrives already paid for.")


def place(html: str) -> tuple[int, LexborHTMLParser]:
    tree = LexborHTMLParser(html)
    return place_streamed(tree, html), tree


def body_text(tree: LexborHTMLParser) -> str:
    assert tree.body is not None
    return " ".join(tree.body.text(separator=" ").split())


def body_html(tree: LexborHTMLParser) -> str:
    assert tree.body is not None
    return tree.body.html or ""


def hidden_parts(tree: LexborHTMLParser) -> list[str]:
    return [n.attributes.get("id") or "" for n in tree.css("div[hidden][id^='S:']")]


# ---------------------------------------------------------------------------------------------------
# place_streamed on small pages
# ---------------------------------------------------------------------------------------------------


def test_rc_puts_the_part_at_its_boundary_and_drops_the_fallback_up_to_the_end_comment() -> None:
    html = ('<body><main><p>before</p>'
            '<!--$?--><template id="B:0"></template><div class="skeleton">Loading paragraph...</div>'
            '<!--$--><span>nested fallback</span><!--/$--><div>still the fallback</div><!--/$-->'
            '<p>after the boundary</p></main>'
            '<div hidden id="S:0"><p>streamed one</p><p>streamed two</p></div>'
            '<script>$RC("B:0","S:0")</script></body>')
    n, tree = place(html)
    assert n == 1
    text = body_text(tree)
    # the nested <!--$-->...<!--/$--> is counted: the fallback ends at the outer end comment, not the inner one
    assert "Loading paragraph" not in text and "nested fallback" not in text and "still the fallback" not in text
    assert text.index("before") < text.index("streamed one") < text.index("streamed two") \
        < text.index("after the boundary")
    assert hidden_parts(tree) == []
    assert tree.css_first("template") is None
    main = tree.css_first("main")
    assert main is not None and "streamed two" in main.text()


def test_rs_puts_the_part_at_its_placeholder_text_nodes_included() -> None:
    html = ('<body><div class="article-body"><p>Intro <template id="P:5"></template> end.</p></div>'
            '<div hidden id="S:5">middle <b>bold</b> text</div>'
            '<script>$RS("S:5","P:5")</script></body>')
    n, tree = place(html)
    assert n == 1
    p = tree.css_first("div.article-body p")
    assert p is not None
    assert " ".join(p.text().split()) == "Intro middle bold text end."
    assert p.css_first("b") is not None
    assert hidden_parts(tree) == [] and tree.css_first("template") is None


def test_without_calls_a_part_goes_to_its_boundary_first_else_its_placeholder() -> None:
    html = ('<body><main><p>one</p><template id="P:3"></template><p>two</p>'
            '<template id="B:3"></template><div>Loading...</div><p>three</p>'
            '<template id="P:4"></template><p>four</p></main>'
            '<div hidden id="S:3"><p>boundary part</p></div><div hidden id="S:4"><p>placeholder part</p></div>'
            '</body>')
    assert "$R" not in html
    n, tree = place(html)
    assert n == 2
    text = body_text(tree)
    assert text.split() == ["one", "two", "boundary", "part", "Loading...", "three", "placeholder", "part", "four"]
    # B:3 won over P:3, which is still there (empty); no end comment: the fallback stays
    assert [t.attributes.get("id") for t in tree.css("template")] == ["P:3"]
    assert hidden_parts(tree) == []


def test_a_mapping_in_the_script_beats_the_id_suffix() -> None:
    html = ('<body><main><p>a</p><!--$?--><template id="B:2"></template><div>Loading...</div><!--/$-->'
            '<p>b</p><!--$?--><template id="B:7"></template><div>Wait...</div><!--/$--><p>c</p></main>'
            '<div hidden id="S:7"><p>seven</p></div><script>$RC("B:2","S:7")</script></body>')
    n, tree = place(html)
    assert n == 1
    main = tree.css_first("main")
    assert main is not None
    assert main.text(separator=" ").split() == ["a", "seven", "b", "Wait...", "c"]
    assert [t.attributes.get("id") for t in tree.css("template")] == ["B:7"]


def test_nested_parts_land_when_the_inner_part_comes_later() -> None:
    html = ('<body><div class="article-body"><p>lead</p>'
            '<!--$?--><template id="B:1"></template><div>Loading paragraph...</div><!--/$-->'
            '<p>closing</p></div>'
            '<div hidden id="S:1"><h2>Section</h2><p>outer first</p>'
            '<!--$?--><template id="B:3"></template><div>Loading paragraph...</div><!--/$-->'
            '<p>outer last</p></div>'
            '<script>$RC("B:1","S:1")</script>'
            '<div hidden id="S:3"><p>inner</p><template id="P:2"></template></div>'
            '<script>$RC("B:3","S:3")</script>'
            '<div hidden id="S:2"><p>placeholder inside the inner part</p></div>'
            '<script>$RS("S:2","P:2")</script></body>')
    n, tree = place(html)
    assert n == 3
    body = tree.css_first("div.article-body")
    assert body is not None
    paragraphs = [" ".join(p.text().split()) for p in body.css("h2, p")]
    assert paragraphs == ["lead", "Section", "outer first", "inner", "placeholder inside the inner part",
                          "outer last", "closing"]
    assert "Loading" not in body_text(tree)
    assert hidden_parts(tree) == [] and tree.css_first("template") is None


def test_a_part_without_a_template_is_left_alone_and_not_shown() -> None:
    html = ('<body><main><p>shell</p><template id="B:0"></template></main>'
            '<div hidden id="S:0"><p>placed</p></div>'
            '<div hidden id="S:9"><p>orphan</p></div>'
            '<div hidden id="S:8"><p>called orphan</p></div><script>$RC("B:8","S:8")</script></body>')
    n, tree = place(html)
    assert n == 1
    assert sorted(hidden_parts(tree)) == ["S:8", "S:9"]
    orphan = tree.css_first("div[id='S:9']")
    assert orphan is not None and "hidden" in orphan.attributes and orphan.text() == "orphan"
    main = tree.css_first("main")
    assert main is not None and "placed" in main.text() and "orphan" not in main.text()

    page = ('<html><head><title>Sinking funds</title></head><body><main><article><h1>Sinking funds</h1>'
            f'<div class="article-body"><p>{A}</p><template id="B:0"></template><p>{D}</p></div></article></main>'
            f'<div hidden id="S:0"><p>{B}</p></div><div hidden id="S:9"><p>{C}</p></div></body></html>')
    art = parse_html(page, URL)
    assert art.segments[0].paragraphs == [A, B, D]
    assert C not in art.text


def test_at_most_streamed_max_parts_are_placed_and_quickly() -> None:
    count = 600
    assert count > STREAMED_MAX
    shell = "".join(f'<!--$?--><template id="B:{i:x}"></template><div>Loading {i}</div><!--/$-->'
                    for i in range(count))
    parts = "".join(f'<div hidden id="S:{i:x}"><p>part {i}</p></div><script>$RC("B:{i:x}","S:{i:x}")</script>'
                    for i in range(count))
    html = f"<body><main>{shell}</main>{parts}</body>"
    started = time.perf_counter()
    n, tree = place(html)
    elapsed = time.perf_counter() - started
    assert n == STREAMED_MAX
    assert len(hidden_parts(tree)) == count - STREAMED_MAX
    assert elapsed < 5.0, f"placing {count} parts took {elapsed:.2f} s"


def test_parse_html_reads_the_streamed_article_in_reading_order() -> None:
    page = ('<!DOCTYPE html><html lang="en"><head><title>Sinking funds, explained | Ledgerly</title>'
            '<meta property="og:title" content="Sinking funds, explained"></head><body>'
            '<header><nav class="main-menu"><a href="/banking">Banking</a> <a href="/saving">Saving</a></nav></header>'
            '<main><article><h1>Sinking funds, explained</h1><div class="article-body">'
            f'<p>{A}</p>'
            '<!--$?--><template id="B:0"></template><div class="skeleton">Loading paragraph...</div><!--/$-->'
            '<template id="P:1"></template>'
            f'<h2>When a fund is done</h2><p>{D}</p></div></article></main>'
            '<footer><p>© 2026 Ledgerly Media</p></footer>'
            '<script>self.__next_f.push([1,"2:I[\\"page\\"]"])</script>'
            f'<div hidden id="S:1"><p>{C}</p></div><script>$RS("S:1","P:1")</script>'
            f'<div hidden id="S:0"><h2>How much to set aside</h2><p>{B}</p></div>'
            '<script>$RC("B:0","S:0")</script></body></html>')
    art = parse_html(page, URL)
    assert art.title == "Sinking funds, explained"
    assert [(s.headline, s.paragraphs) for s in art.segments] == [
        (None, [A]), ("How much to set aside", [B, C]), ("When a fund is done", [D])]
    assert art.text.index(A) < art.text.index(B) < art.text.index(C) < art.text.index(D)
    assert "Loading" not in art.text and "Banking" not in art.text and "__next_f" not in art.text


# ---------------------------------------------------------------------------------------------------
# The walker: prose under a "nav" or a bare "embed" class word
# ---------------------------------------------------------------------------------------------------

INTRO = ("Winter is usually a quiet season for restaurant openings in Port Avalon, but since September more than "
         "two dozen dining rooms have opened across the city.")
OUTRO = "Prices and hours were checked in late November and may change over the holidays, so call ahead."
SECTION = ("The blocks around Foundry Street have filled in fast since the old rail yard became a park. Rents are "
           "still lower than along the waterfront, which is why so many first-time owners have landed here, and "
           "why the street now has a bakery, two wine bars and a grill that cooks everything over oak. On a Friday "
           "night the pavement outside is full of people waiting for a table, something nobody would have "
           "predicted five years ago.")
PLACE = ("Sisters Leila and Nasrin Hadavi named their restaurant after the spice their grandmother kept locked in a "
         "tin, and the menu is a tour of the Persian dishes they grew up eating on Fridays. The tahdig arrives as a "
         "golden disk that cracks under a spoon, the herb stew is sour with dried lime, and at lunch a set plate "
         "with rice, salad and one stew costs $17.")
CAPTION = ("Masa day at the mill! Every morning at five we cook the corn with cal, let it rest, rinse it three times "
           "and grind it on the stone our abuelo brought from Puebla. It takes two hours before the first tortilla "
           "hits the comal. Thank you, Port Avalon, for lining up in the rain all week, and see you Wednesday.")


def magazine(body: str) -> Article:
    html = ("<html lang='en'><head><title>New restaurants | Bayline</title></head><body>"
            "<header><ul class='menu'><li><a href='/'>Home</a></li><li><a href='/eat-drink/'>Eat &amp; Drink</a>"
            "</li></ul></header><article><h1>New restaurants</h1>"
            f"<div class='entry-content'><p>{INTRO}</p>{body}<p>{OUTRO}</p></div></article>"
            "<footer><p>© 2026 Bayline Media Group</p></footer></body></html>")
    return parse_html(html, "https://www.bayline.example/eat-drink/new-restaurants/")


def test_a_toc_anchored_section_of_prose_is_kept_and_the_link_list_toc_removed() -> None:
    entries = ["Downtown and the Arts District", "Marrow & Ember, for wood-fired small plates",
               "Little Saffron, for Persian home cooking", "The East Docks",
               "Luz de Maíz, for tortillas from a stone mill", "Brine Hall, for oysters and chowder",
               "North Hill", "Okonomi Corner, for cabbage pancakes at the griddle",
               "The Larder at Vale Street, for sandwiches and groceries"]
    toc = ("<div class='ez-toc-container'><p class='ez-toc-title'>In this guide</p><ul>"
           + "".join(f"<li><a href='#toc_{i}'>{e.replace('&', '&amp;')}</a></li>" for i, e in enumerate(entries))
           + "</ul></div>")
    assert sum(map(len, entries)) > rules.NAV_PROSE_MIN        # big enough that only its links remove it
    art = magazine(f"{toc}<div id='toc_downtown-and-the-arts-district'><h2>Downtown and the Arts District</h2>"
                   f"<p>{SECTION}</p></div>")
    assert len(SECTION) > rules.NAV_PROSE_MIN
    assert [(s.headline, s.paragraphs) for s in art.segments] == [
        (None, [INTRO]), ("Downtown and the Arts District", [SECTION, OUTRO])]
    assert "In this guide" not in art.text and "for wood-fired small plates" not in art.text
    assert any(r.kind == "nav" and "Brine Hall, for oysters" in r.text for r in art.removed)


def test_a_menu_with_blurbs_is_still_removed() -> None:
    # a mega-menu panel: over NAV_PROSE_MIN characters, but a third of them links, so it is no prose
    items = [("Restaurant reviews and openings", "the dishes worth a detour now"),
             ("Bars, cafes and wine shops", "coffee by day, cocktails by night"),
             ("Cheap eats across the city", "good meals under fifteen dollars"),
             ("Best of Port Avalon 2026", "the readers' poll and our picks"),
             ("Food markets and festivals", "pop-up dinners around the city"),
             ("Cooking classes and workshops", "learn from the chefs we review")]
    menu = "<div class='menu menu--mega'>" + "".join(
        f"<p><a href='/eat-drink/{i}/'>{link}</a>: {blurb}.</p>" for i, (link, blurb) in enumerate(items)) + "</div>"
    size = sum(len(link) + len(blurb) + 3 for link, blurb in items)
    links = sum(len(link) for link, _ in items)
    assert size > rules.NAV_PROSE_MIN and rules.NAV_LINK_SHARE * size < links < 0.6 * size
    art = magazine(f"<p>{SECTION}</p>{menu}")
    assert SECTION in art.text
    assert "the dishes worth a detour now" not in art.text and "Cheap eats" not in art.text
    assert any(r.kind == "nav" and "Cheap eats" in r.text for r in art.removed)


def test_a_cms_place_embed_with_its_description_is_kept() -> None:
    block = ("<div class='ck-block ck-block--embed ck-block--embed--place'><h3 class='ck-place__name'>Little Saffron"
             "</h3><ul class='ck-place__details'><li>88 Mercer Lane, Downtown</li><li>Lunch and dinner daily</li></ul>"
             f"<p class='ck-place__description'>{PLACE}</p></div>")
    assert len(PLACE) > rules.NAV_PROSE_MIN
    art = magazine(f"<p>{SECTION}</p>{block}")
    assert PLACE in art.text
    assert [(s.headline, s.paragraphs) for s in art.segments][1] == (
        "Little Saffron", ["88 Mercer Lane, Downtown", "Lunch and dinner daily", PLACE, OUTRO])
    assert not [r for r in art.removed if r.kind == "embed"]


def test_an_instagram_embed_with_a_long_caption_is_removed() -> None:
    embed = ("<blockquote class='instagram-media' data-instgrm-captioned "
             "data-instgrm-permalink='https://www.instagram.example/p/Cz4LuzMaiz7/'><div>"
             "<a href='https://www.instagram.example/p/Cz4LuzMaiz7/'>View this post on Instagram</a>"
             f"<p>{CAPTION}</p><p><a href='https://www.instagram.example/luzdemaiz/'>A post shared by Luz de Maíz</a>"
             "</p></div></blockquote>")
    assert len(CAPTION) > rules.NAV_PROSE_MIN
    art = magazine(f"<p>{SECTION}</p>{embed}")
    assert SECTION in art.text
    assert "Masa day at the mill" not in art.text and "abuelo" not in art.text
    assert any(r.kind == "embed" and "Masa day at the mill" in r.text for r in art.removed)
