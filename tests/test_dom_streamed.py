"""React's streamed server rendering: late parts (<div hidden id="S:n">) are moved where a browser shows them."""

from __future__ import annotations

import time

from selectolax.lexbor import LexborHTMLParser

from scraper.dom import STREAMED_MAX, place_streamed
from scraper.parse import parse_html

P = ("Index funds follow a market benchmark instead of trying to beat it, which keeps their fees low and their "
     "returns close to the market's over long periods.")


def placed(html: str) -> tuple[int, str]:
    tree = LexborHTMLParser(html)
    n = place_streamed(tree, html)
    return n, tree.body.html if tree.body is not None else ""


def test_a_boundary_part_replaces_its_fallback() -> None:
    n, body = placed('<body><div id="a"><!--$?--><template id="B:0"></template><div>Loading paragraph...</div>'
                     '<!--$--><span>inner</span><!--/$--><div>still loading</div><!--/$--><p>after</p></div>'
                     '<div hidden id="S:0"><p>one</p><p>two</p></div>'
                     '<script>$RC("B:0","S:0")</script></body>')
    assert n == 1
    assert "Loading paragraph" not in body and "still loading" not in body and "inner" not in body
    assert body.index("<p>one</p>") < body.index("<p>two</p>") < body.index("<p>after</p>")
    assert 'id="S:0"' not in body and "<template" not in body


def test_a_segment_fills_its_placeholder() -> None:
    n, body = placed('<body><main><p>first</p><template id="P:5"></template><p>last</p></main>'
                     '<div hidden id="S:5"><p>middle</p></div><script>$RS("S:5","P:5")</script></body>')
    assert n == 1
    assert body.index("first") < body.index("middle") < body.index("last")


def test_without_scripts_a_part_goes_to_its_boundary_else_its_placeholder() -> None:
    n, body = placed('<body><main><template id="B:1"></template><div>Loading</div><template id="P:2"></template>'
                     '</main><div hidden id="S:1"><p>boundary</p></div><div hidden id="S:2"><p>placeholder</p></div>'
                     '</body>')
    assert n == 2
    assert body.index("boundary") < body.index("placeholder") < body.index("</main>")
    assert "Loading" in body               # no end comment: the fallback cannot be told apart, it stays


def test_the_page_s_calls_decide_where_a_part_goes() -> None:
    n, body = placed('<body><main><p>a</p><template id="B:2"></template><p>b</p><template id="B:7"></template>'
                     '</main><div hidden id="S:7"><p>seven</p></div><script>$RC("B:2","S:7")</script></body>')
    assert n == 1
    assert body.index("<p>a</p>") < body.index("seven") < body.index("<p>b</p>")


def test_a_part_inside_another_part_lands_too() -> None:
    n, body = placed('<body><main><template id="B:0"></template></main>'
                     '<div hidden id="S:0"><p>outer <template id="B:1"></template></p></div>'
                     '<div hidden id="S:1"><b>inner</b></div></body>')
    assert n == 2
    assert "<main><p>outer <b>inner</b></p></main>" in body


def test_a_part_without_a_placeholder_stays_hidden() -> None:
    n, body = placed('<body><main><p>shell</p></main><div hidden id="S:9"><p>orphan</p></div></body>')
    assert n == 0
    assert '<div hidden="" id="S:9">' in body


def test_a_page_with_too_many_parts_is_placed_up_to_the_cap_quickly() -> None:
    shell = "".join(f'<template id="B:{i:x}"></template>' for i in range(600))
    parts = "".join(f'<div hidden id="S:{i:x}"><p>part {i}</p></div>' for i in range(600))
    started = time.perf_counter()
    n, _body = placed(f"<body><main>{shell}</main>{parts}</body>")
    assert n <= STREAMED_MAX
    assert time.perf_counter() - started < 5.0


def test_the_article_of_a_streamed_page_is_parsed() -> None:
    html = ('<html><head><title>How to invest in index funds</title></head><body><header><nav><a href="/">Home</a>'
            '</nav></header><main><article><h1>How to invest in index funds</h1><div class="article-body">'
            '<!--$?--><template id="B:0"></template><div>Loading paragraph...</div><!--/$-->'
            '<!--$?--><template id="B:1"></template><div>Loading paragraph...</div><!--/$-->'
            '</div></article></main>'
            f'<div hidden id="S:0"><div><p>{P}</p><h2>Choose a benchmark</h2></div></div>'
            f'<div hidden id="S:1"><div><p>{P.replace("Index funds", "They")}</p></div></div>'
            '<script>$RC("B:0","S:0")</script><script>$RC("B:1","S:1")</script></body></html>')
    art = parse_html(html, "https://invest.example/index-funds")
    assert P in art.text
    assert "Loading" not in art.text
    assert [s.headline for s in art.segments] == [None, "Choose a benchmark"]
