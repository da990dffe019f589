"""Bad input never raises: empty, whitespace, truncated, binary, NUL bytes, 10 MB, 100,000-deep nesting."""

from __future__ import annotations

import random

import pytest

from scraper.parse import NO_BODY_WARNING, flatten_deep_nesting, parse_html

PARA = ("<p>Pemerintah Provinsi Banten menyalurkan bantuan logistik kepada ribuan warga terdampak banjir di "
        "Kabupaten Lebak, Jumat, setelah hujan deras mengguyur wilayah itu sejak Kamis malam.</p>")
TEXT = PARA[3:-4]


@pytest.mark.parametrize("data", [None, "", b"", "   \n\t ", b"\n\n", "<html></html>", "<", "<<<>>>", "\x00",
                                  b"\x00\x00\x00", "<p>", "</div></div></body>", "<!DOCTYPE html>",
                                  "<html><head><title>x</title></head><body></body></html>"])
def test_empty_and_trivial_input(data: str | bytes | None) -> None:
    art = parse_html(data)
    assert art.segments == []
    assert NO_BODY_WARNING in art.warnings
    assert art.to_json()["text"] == ""


def test_truncated_page_keeps_what_arrived() -> None:
    full = f"<html><body><article><h1>Judul</h1><div class='entry-content'>{PARA * 3}</div></article></body></html>"
    art = parse_html(full[: full.index("</div>") - 40])
    assert art.segments and art.segments[0].paragraphs[0] == TEXT


def test_binary_garbage() -> None:
    rng = random.Random(7)
    for size in (1, 10, 1000, 100_000):
        data = bytes(rng.randrange(256) for _ in range(size))
        art = parse_html(data, "https://example.id/x")
        assert isinstance(art.warnings, list)


def test_nul_bytes_are_dropped() -> None:
    html = "<html><body><div class='entry-content'>" + PARA.replace("Banten", "Ban\x00ten") * 3 + "</div></body></html>"
    for data in (html, html.encode("utf-8")):
        art = parse_html(data)
        assert "\x00" not in art.text
        assert "Banten" in art.text


def test_ten_megabytes() -> None:
    big_para = "<p>" + ("kata demi kata menjadi kalimat, " * 400) + "akhir.</p>"
    html = "<html><body><div class='entry-content'>" + big_para * (10_000_000 // len(big_para)) + "</div></body></html>"
    assert len(html) >= 9_900_000
    art = parse_html(html.encode("utf-8"))
    assert len(art.segments[0].paragraphs) > 700


@pytest.mark.parametrize("shape", ["closed", "unclosed"])
def test_hundred_thousand_nested_divs(shape: str) -> None:
    html = "<html><body>" + "<div>" * 100_000 + PARA * 2
    if shape == "closed":
        html += "</div>" * 100_000 + "</body></html>"
    art = parse_html(html)
    assert art.text.splitlines() == [TEXT, TEXT]


@pytest.mark.parametrize("tag", ["span", "b", "font", "li", "table", "blockquote"])
def test_other_deep_nesting(tag: str) -> None:
    html = "<html><body><div class='entry-content'>" + f"<{tag}>" * 50_000 + PARA * 2 + "</div></body></html>"
    art = parse_html(html)
    assert isinstance(art.text, str)


def test_flatten_keeps_text_and_shallow_documents_untouched() -> None:
    shallow = "<div>" * 10 + "x" + "</div>" * 10
    assert flatten_deep_nesting(shallow) == shallow
    deep = "<div>" * 30_000 + "<p>inti</p>" + "</div>" * 30_000
    flat = flatten_deep_nesting(deep, max_depth=100)
    assert flat.count("<div>") == 100 and flat.count("</div>") == 100 and "<p>inti</p>" in flat


def test_odd_markup_does_not_raise() -> None:
    odd = [
        "<html><body><div class='entry-content'><p>" + "<a href='x'>link</a>" * 5000 + "</p></div></body></html>",
        "<html><body><svg><p>teks dalam svg</p></svg><math><mi>x</mi></math></body></html>",
        "<html><body><template><p>" + TEXT + "</p></template><noscript>" + PARA + "</noscript></body></html>",
        "<html><body><table><tr><td>" + PARA + "</td><td>" + PARA + "</td></tr></table></body></html>",
        "<html><body><div class='entry-content' hidden>" + PARA * 3 + "</div></body></html>",
        "<html><body><p>" + "\u200b" * 1000 + TEXT + "</p></body></html>",
        "<frameset><frame src='a.html'></frameset>",
        "<?xml version='1.0'?><rss><channel><item><title>x</title></item></channel></rss>",
        "<html><head><script type='application/ld+json'>{broken json</script></head><body>" + PARA + "</body></html>",
        "<html><head><script type='application/ld+json'>[1, \"x\", {\"@type\": 5}]</script></head></html>",
        "<html><head><meta property='article:published_time' content='9999-99-99'></head></html>",
    ]
    for html in odd:
        art = parse_html(html, "https://example.id/a")
        assert isinstance(art.to_json(), dict)


def test_a_url_that_cannot_be_split_does_not_stop_the_parse() -> None:
    html = ("<html><head><title>Banjir Rendam Lebak - FAM68</title></head><body><h1>Banjir Rendam Lebak</h1>"
            "<article><p>" + "Ribuan rumah di Kabupaten Lebak terendam banjir setelah hujan deras. " * 6 +
            "</p></article></body></html>")
    art = parse_html(html, "http://[bad/berita")
    assert art.title == "Banjir Rendam Lebak"
    assert art.text and not art.warnings
