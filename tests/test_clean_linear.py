"""Inline promo labels inside a huge paragraph are split in linear time (issue 14: one 4.5 MB paragraph
with repeated " Baca juga: " took > 30 s)."""

from __future__ import annotations

import time

from scraper.clean import Block, split_inline_promo
from scraper.parse import parse_html

PROSE = ("Warga kampung itu bercerita panjang tentang banjir yang datang setiap musim hujan tiba di kota " * 3)


def _article(paragraph: str) -> bytes:
    return ("<html><body><article><h1>Banjir Datang Lagi</h1><p>" + paragraph
            + "</p><p>Penutup berita ini ditulis oleh redaksi.</p></article></body></html>").encode()


def test_plain_labels_every_200_characters_in_a_4_5_mb_paragraph() -> None:
    paragraph = (PROSE[:188] + " Baca juga: ") * (4_500_000 // 200)
    started = time.process_time()
    article = parse_html(_article(paragraph), "https://x.example/2025/01/banjir/")
    assert time.process_time() - started < 3.0
    assert article.title == "Banjir Datang Lagi"
    assert sum(len(p) for s in article.segments for p in s.paragraphs) > 4_000_000


def test_labels_and_links_in_a_long_paragraph() -> None:
    # a label every 200 characters, each followed by a word and then a link: no label takes its link
    paragraph = (PROSE[:150] + " Baca juga: kata <a href='/lain/'>tautan</a> ") * (1_500_000 // 200)
    started = time.process_time()
    article = parse_html(_article(paragraph), "https://x.example/2025/01/banjir/")
    assert time.process_time() - started < 3.0
    assert sum(len(p) for s in article.segments for p in s.paragraphs) > 1_000_000


def test_the_linear_split_keeps_its_answers() -> None:
    text = "Hujan turun sejak pagi. Baca juga: Banjir Rendam Jakarta Timur  "
    assert split_inline_promo(Block("p", text=text)) == ("Hujan turun sejak pagi.", "Baca juga: Banjir Rendam Jakarta Timur")
    assert split_inline_promo(Block("p", text="  Baca juga: Banjir Rendam Jakarta")) is None     # nothing before
    long_tail = "Hujan turun. Baca juga: " + "kata " * 40
    assert split_inline_promo(Block("p", text=long_tail)) is None                             # a title is short
    prose_tail = "Hujan turun. Baca juga: Banjir datang. Warga mengungsi ke balai desa"
    assert split_inline_promo(Block("p", text=prose_tail)) is None                            # prose, not a title
    linked = "Hujan turun sejak pagi. Baca juga: Banjir Jakarta dan kata lain"
    start = linked.index("Banjir")
    block = Block("p", text=linked, links=[(start, start + len("Banjir Jakarta"))])
    assert split_inline_promo(block) == ("Hujan turun sejak pagi. dan kata lain", "Baca juga: Banjir Jakarta")
