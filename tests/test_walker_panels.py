"""Hidden panels a reader opens are part of the article; hidden menus and modals are not."""

from __future__ import annotations

from scraper.parse import parse_html

STEP = ("Before the installer comes, gather twelve months of electricity bills so that the quotes you get are "
        "sized for the power your household really uses, not for a guess made from one winter month.")
ANSWER = ("Most systems are switched on within six weeks of the contract: two for the permit, one for the "
          "installation day and up to three for the network operator's approval and meter change.")
INTRO = ("Installing solar panels can cut a household's electricity bill sharply. This guide walks through the "
         "steps from the first quote to the day the system is switched on, and what each of them costs in time.")


def page(panels: str) -> str:
    return f"""<!doctype html><html><head><title>How solar gets installed</title></head><body>
<nav style="display:none" aria-labelledby="menu-button"><ul><li><a href="/">Home</a></li>
<li><a href="/prices">Solar prices near you and how to compare them across installers</a></li></ul></nav>
<main><article><h1>How solar gets installed</h1>
<p>{INTRO}</p>
<p>{INTRO.replace("This guide", "The sections below")}</p>
{panels}
</article></main>
<div class="modal" style="display:none"><p>Sign up for our newsletter and get the best solar offers of the
week in your inbox every Friday, with no spam and a one-click way out whenever you want.</p></div>
</body></html>"""


def test_an_accordion_panel_hidden_by_style_is_kept() -> None:
    html = page(f"""<div class="accordion"><a role="button" aria-controls="p1" id="h1">1. Know your usage</a>
<div id="p1" style="display:none;" role="region" aria-labelledby="h1"><p>{STEP}</p></div></div>""")
    art = parse_html(html, "https://solar.example/guide")
    assert STEP in art.text
    assert "newsletter" not in art.text


def test_a_hidden_tab_panel_and_an_until_found_section_are_kept() -> None:
    html = page(f"""<div role="tabpanel" hidden aria-labelledby="tab-2"><p>{STEP}</p></div>
<div hidden="until-found"><p>{ANSWER}</p></div>""")
    art = parse_html(html, "https://solar.example/guide")
    assert STEP in art.text and ANSWER in art.text


def test_a_hidden_block_that_is_no_panel_stays_out() -> None:
    html = page(f"""<div style="display:none"><p>{STEP}</p></div>
<div hidden><p>{ANSWER}</p></div>
<div role="region" style="display:none"><p>{ANSWER.replace("Most", "Many")}</p></div>""")
    art = parse_html(html, "https://solar.example/guide")
    assert STEP not in art.text
    assert "within six weeks" not in art.text     # a region without a label is not a disclosure panel
