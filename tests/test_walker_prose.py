"""Class words say "nav" or "embed", the element holds prose: it is part of the article. Menus, tables of
contents and a service's embeds stay out."""

from __future__ import annotations

from scraper.parse import parse_html

INTRO = ("Houston keeps opening restaurants faster than anyone can visit them, so every month we pick the new "
         "places worth a detour and tell you what to order when you get there.")
DESC = ("The chef is back with a menu that imagines the food of both Californias without a border: octopus tacos, "
        "lamb empanadas with ponzu, and a duck and rabbit plate that is the reason to book a table on a weekday. "
        "Come early: the terrace fills up by seven, and the bar only takes walk-ins after nine on Fridays.")
SECTION = ("An index fund tracks a market benchmark instead of trying to beat it. Its fees are low because nobody "
           "is paid to pick stocks, and over long periods most managed funds fail to do better after their costs. "
           "That is why a plain fund that holds the whole market is where most savers should start.")
CAPTION = ("Our chef's favourite breakfast spot on a Sunday morning, with pastries, coffee and the best view of the "
           "harbour in town. " * 3).strip()


def page(body: str) -> str:
    return ("<html><head><title>New restaurants</title></head><body><header><ul class='menu'><li><a href='/'>Home"
            "</a></li><li><a href='/eat'>Eat and drink</a></li></ul></header><article><h1>New restaurants</h1>"
            f"<div class='entry-content'><p>{INTRO}</p>{body}<p>{INTRO.replace('Houston', 'The city')}</p></div>"
            "</article></body></html>")


def test_a_section_anchored_toc_with_prose_is_kept_and_the_real_toc_removed() -> None:
    toc = ("<div class='toc'><a href='#toc_what-is-an-index-fund'>What is an index fund?</a> "
           "<a href='#toc_how-to-invest'>How to invest in index funds today</a> "
           "<a href='#toc_costs'>What index funds cost you every single year</a></div>")
    art = parse_html(page(f"{toc}<div id='toc_what-is-an-index-fund'><h2>What is an index fund?</h2><p>{SECTION}"
                          "</p></div>"), "https://mag.example/eat/new")
    assert SECTION in art.text
    assert "How to invest in index funds today" not in art.text


def test_a_cms_place_embed_with_its_write_up_is_kept() -> None:
    block = (f"<div class='ck-block ck-block--embed ck-block--embed--place'><header><h2>Zaranda</h2></header>"
             f"<main><p>{DESC}</p></main><footer><a href='https://maps.example/'>Maps</a></footer></div>")
    art = parse_html(page(block), "https://mag.example/eat/new")
    assert DESC in art.text


def test_a_service_embed_stays_out_whatever_its_text() -> None:
    block = f"<blockquote class='instagram-media'><p>{CAPTION}</p><a href='https://instagram.example/p/1'>A post</a></blockquote>"
    art = parse_html(page(block), "https://mag.example/eat/new")
    assert "breakfast spot" not in art.text
