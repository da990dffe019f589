"""Section headlines: which heading blocks open a segment (scraper/headings.py, the walker's box pass)."""

from __future__ import annotations

import pytest

from scraper.clean import Block, segment_blocks
from scraper.headings import headline_flags, is_credit, widget_kind
from scraper.parse import parse_html

LONG = ("Pemerintah kabupaten menyiapkan anggaran tambahan untuk perbaikan jalan desa yang rusak akibat banjir "
        "pekan lalu, dan pengerjaannya dimulai awal bulan depan.")
LONG2 = ("Kepala dinas mengatakan perbaikan mendahulukan ruas yang menghubungkan desa dengan pasar dan sekolah, "
         "sebab ruas itulah yang paling banyak dilalui warga setiap hari.")


def page(body: str) -> str:
    return f"""<html lang="id"><head><title>Perbaikan Jalan Desa Dimulai</title></head><body>
<article><h1>Perbaikan Jalan Desa Dimulai</h1><div class="entry-content">{body}</div></article></body></html>"""


def headlines(body: str) -> list[str | None]:
    return [s.headline for s in parse_html(page(body)).segments]


@pytest.mark.parametrize("text", ["Related", "Related Posts", "Baca juga:", "Berita Terkait", "Most read",
                                  "Newsletter", "Share this article", "Mehr zum Thema", "Lo más leído",
                                  "À lire aussi", "関連記事", "Paling Banyak Dibaca", "Popular Videos",
                                  "You might also like", "Comments (12)"])
def test_widget_titles_in_many_languages_are_known(text: str) -> None:
    assert widget_kind(text) is not None


@pytest.mark.parametrize("text", ["Why it matters", "Pembagian Kios Diundi", "What the court decided",
                                  "Sharing the load", "Popular uprising in the north"])
def test_section_headlines_are_not_widget_titles(text: str) -> None:
    assert widget_kind(text) is None


def test_photo_credits_are_not_headlines() -> None:
    assert is_credit("Getty Images") and is_credit("ANTARA FOTO/Asep Fathulrahman") and is_credit("Foto: Istimewa")
    assert not is_credit("Getting the permits") and not is_credit("Reuters reports a rise")


def test_a_widget_title_over_links_goes_with_its_links() -> None:
    body = (f"<p>{LONG}</p><div class='x'><h3>Most Read</h3><ul><li><a href='/a'>Banjir Surut di Lebak Selatan</a>"
            f"</li><li><a href='/b'>Harga Beras Turun Lagi</a></li></ul></div><h2>Ruas Prioritas</h2><p>{LONG2}</p>")
    art = parse_html(page(body))
    assert [s.headline for s in art.segments] == [None, "Ruas Prioritas"]
    assert "Most Read" not in art.text and "Harga Beras Turun Lagi" not in art.text
    assert ("related", "Most Read") in [(r.kind, r.text) for r in art.removed]


def test_a_heading_over_nothing_but_links_is_a_box_title() -> None:
    body = (f"<p>{LONG}</p><h4>Seputar Lebak</h4><ul><li><a href='/a'>Jembatan Gantung Diresmikan</a></li>"
            f"<li><a href='/b'>Pasar Malimping Dipugar</a></li></ul><p>{LONG2}</p>")
    art = parse_html(page(body))
    assert [s.headline for s in art.segments] == [None]
    assert art.segments[0].paragraphs == [LONG, LONG2]
    assert "Seputar Lebak" not in art.text


def test_baca_juga_heading_keeps_its_spec_kind() -> None:
    body = (f"<p>{LONG}</p><h3>Baca Juga</h3><ul><li><a href='/a'>Jalan Provinsi Diperbaiki</a></li></ul>"
            f"<p>{LONG2}</p>")
    art = parse_html(page(body))
    assert [s.headline for s in art.segments] == [None]
    assert ("promo", "Baca Juga") in [(r.kind, r.text) for r in art.removed]


def test_bold_lead_in_stays_in_its_paragraph_and_a_bold_line_is_a_headline() -> None:
    body = (f"<p><strong>Anggaran tambahan.</strong> {LONG}</p><p><b>Ruas Prioritas</b></p><p>{LONG2}</p>"
            f"<p><b>Kata warga:</b> {LONG}</p>")
    art = parse_html(page(body))
    assert [s.headline for s in art.segments] == [None, "Ruas Prioritas"]
    assert art.segments[0].paragraphs == [f"Anggaran tambahan. {LONG}"]
    assert art.segments[1].paragraphs == [LONG2, f"Kata warga: {LONG}"]


def test_a_short_bold_label_with_a_colon_introduces_a_list() -> None:
    body = f"<p>{LONG}</p><p><strong>Kelebihan:</strong></p><ul><li>Murah dan cepat dipasang</li></ul>"
    assert headlines(body) == [None, "Kelebihan:"]


def test_a_credit_under_an_image_is_a_caption() -> None:
    body = f"<p><img src='/a.jpg'></p><p><strong>Getty Images</strong></p><p>{LONG}</p><p>{LONG2}</p>"
    art = parse_html(page(body))
    assert [s.headline for s in art.segments] == [None]
    assert ("caption", "Getty Images") in [(r.kind, r.text) for r in art.removed]


def test_a_heading_with_no_paragraph_after_it_is_text() -> None:
    blocks = [Block("p", LONG), Block("h", "Jadwal", level=2), Block("h", "Tahap Pertama", level=2),
              Block("p", LONG2)]
    assert headline_flags(blocks) == [False, False, True, False]
    segments, _, _ = segment_blocks(blocks)
    assert [(s.headline, s.paragraphs) for s in segments] == [(None, [LONG, "Jadwal"]), ("Tahap Pertama", [LONG2])]


def test_a_sub_heading_right_under_its_heading_keeps_both() -> None:
    blocks = [Block("h", "Jadwal", level=2), Block("h", "Tahap Pertama", level=3), Block("p", LONG2)]
    assert headline_flags(blocks) == [True, True, False]
    bold = Block("p", "Tahap Kedua", bold_chars=10, chars=10)
    assert headline_flags([Block("h", "Jadwal", level=3), bold, Block("p", LONG)]) == [True, True, False]


def test_a_linked_heading_over_prose_opens_a_section() -> None:
    body = (f"<p>{LONG}</p><h2><a href='/produk/alat'>Alat Pemadat Jalan</a></h2><p>{LONG2}</p><p>{LONG}</p>"
            f"<h3><a href='/lain'>Berita Lain Hari Ini</a></h3><p>Singkat saja.</p>")
    assert headlines(body) == [None, "Alat Pemadat Jalan"]


def test_a_bold_div_over_a_short_line_is_a_label_but_over_a_paragraph_a_headline() -> None:
    label = Block("div", "Harga Promo", bold_chars=10, chars=10)
    assert headline_flags([Block("p", LONG), label, Block("div", "Rp25.000"), Block("p", LONG2)]) == [
        False, False, False, False]
    assert headline_flags([Block("p", LONG), label, Block("div", LONG2)]) == [False, True, False]
