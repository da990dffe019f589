"""The segmenting parser, one rule at a time, on small hand-built pages.

Each test checks both sides: the article text that must stay, and the boilerplate that must be gone (with the
``removed`` kind SPEC.md gives it).
"""

from __future__ import annotations

import pytest

from scraper.article import NO_BODY_WARNING, Article, Removed, Segment
from scraper.config import ParseProfile
from scraper.pages import merge_pages
from scraper.parse import parse_html

P1 = ("Pemerintah Provinsi Banten menyalurkan bantuan logistik kepada ribuan warga terdampak banjir di "
      "Kabupaten Lebak, Jumat, setelah hujan deras mengguyur wilayah itu sejak Kamis malam.")
P2 = ("Kepala Badan Penanggulangan Bencana Daerah menyebutkan sedikitnya 1.200 rumah terendam air setinggi "
      "satu meter, sementara ratusan warga mengungsi ke balai desa dan masjid terdekat.")
P3 = ("Petugas gabungan dari TNI, Polri dan relawan masih bersiaga di sejumlah titik rawan longsor sambil "
      "membantu warga membersihkan lumpur yang masuk ke permukiman.")
P4 = ("Warga berharap pemerintah segera memperbaiki tanggul sungai yang jebol agar banjir serupa tidak "
      "terulang ketika musim hujan mencapai puncaknya pada Januari mendatang.")
TITLE = "Banjir Rendam Ribuan Rumah di Lebak, Warga Mengungsi"
URL = "https://fam68.example/2025/11/20/banjir-rendam-ribuan-rumah-di-lebak/"


def page(body: str, *, head: str = "", title: str = TITLE, container: str = "entry-content") -> str:
    return (f"<html lang='id'><head><title>{title} - FAM68</title>{head}</head><body>"
            f"<header><nav><a href='/'>Beranda</a> <a href='/kategori/daerah/'>Daerah</a></nav></header>"
            f"<article><h1 class='entry-title'>{title}</h1><div class='{container}'>{body}</div></article>"
            f"<aside class='sidebar'><h3>Terpopuler</h3><ul><li><a href='/a'>Berita populer satu</a></li>"
            f"</ul></aside><footer>Copyright 2025 FAM68</footer></body></html>")


def parse(body: str, **kw: object) -> Article:
    return parse_html(page(body, **kw), URL)  # type: ignore[arg-type]


def kinds(art: Article) -> set[str]:
    return {r.kind for r in art.removed}


def removed_texts(art: Article, kind: str) -> list[str]:
    return [r.text for r in art.removed if r.kind == kind]


# ---------------------------------------------------------------------------------------------------
# Container and segments
# ---------------------------------------------------------------------------------------------------


def test_simple_article_keeps_paragraphs_in_order_and_drops_page_chrome() -> None:
    art = parse(f"<p>{P1}</p><p>{P2}</p><p>{P3}</p>")
    assert art.title == TITLE
    assert art.segments == [Segment(None, [P1, P2, P3])]
    assert "Beranda" not in art.text and "Terpopuler" not in art.text and "Copyright" not in art.text
    assert art.warnings == []
    assert art.pages == 1


def test_headings_split_segments_and_lead_has_no_headline() -> None:
    art = parse(f"<p>{P1}</p><h2>Ribuan Warga Mengungsi</h2><p>{P2}</p><h3>Tanggul Jebol</h3><p>{P3}</p>"
                f"<h4>Harapan Warga</h4><p>{P4}</p>")
    assert [s.headline for s in art.segments] == [None, "Ribuan Warga Mengungsi", "Tanggul Jebol", "Harapan Warga"]
    assert art.segments[1].paragraphs == [P2]
    assert art.text.splitlines() == [P1, "Ribuan Warga Mengungsi", P2, "Tanggul Jebol", P3, "Harapan Warga", P4]


def test_article_opening_with_a_headline_has_no_lead_segment() -> None:
    art = parse(f"<h2>Ribuan Warga Mengungsi</h2><p>{P1}</p><p>{P2}</p>")
    assert art.segments == [Segment("Ribuan Warga Mengungsi", [P1, P2])]


def test_standalone_short_bold_paragraph_is_a_subheadline() -> None:
    art = parse(f"<p>{P1}</p><p><strong>Ribuan Warga Mengungsi</strong></p><p>{P2}</p>"
                f"<p><b>Apa Kata Warga?</b></p><p>{P3}</p>")
    assert [s.headline for s in art.segments] == [None, "Ribuan Warga Mengungsi", "Apa Kata Warga?"]


@pytest.mark.parametrize("bold", [
    "Warga diminta tetap waspada karena hujan masih akan turun.",      # a sentence
    "Warga diminta tetap waspada, kata Kepala BPBD Lebak, Febby Rizky Pratama, kepada wartawan di "
    "posko pengungsian utama pada Jumat sore",                           # too long
])
def test_bold_sentences_are_paragraphs_not_headlines(bold: str) -> None:
    art = parse(f"<p>{P1}</p><p><strong>{bold}</strong></p><p>{P2}</p>")
    assert len(art.segments) == 1
    assert bold in art.segments[0].paragraphs


def test_bold_promo_label_is_not_a_headline() -> None:
    art = parse(f"<p>{P1}</p><p><strong>Baca Juga</strong></p><p><a href='/x'>Judul berita lain</a></p><p>{P2}</p>")
    assert len(art.segments) == 1
    assert art.segments[0].paragraphs == [P1, P2]
    assert "promo" in kinds(art)


def test_paragraph_split_at_br_in_old_templates() -> None:
    art = parse_html(f"<html><body><div id='isi'>{P1}<br><br>{P2}<br><br>{P3}</div></body></html>", URL)
    assert art.segments[0].paragraphs == [P1, P2, P3]


def test_density_fallback_finds_body_without_known_classes() -> None:
    html = (f"<html><body><div class='top'><a href='/'>Home</a> <a href='/b'>Bola</a></div>"
            f"<div class='wrap'><div class='kolom-kiri'><h1>{TITLE}</h1><div class='xyz'>"
            f"<p>{P1}</p><p>{P2}</p><p>{P3}</p></div></div>"
            f"<div class='kolom-kanan'><ul><li><a href='/1'>Berita lain yang sangat panjang sekali judulnya ya</a></li>"
            f"<li><a href='/2'>Berita lain kedua dengan judul yang juga panjang sekali</a></li></ul></div>"
            f"</div></body></html>")
    art = parse_html(html, URL)
    assert art.text.splitlines() == [P1, P2, P3]


def test_text_in_divs_without_paragraph_tags() -> None:
    html = (f"<html><body><div id='h'><a href='/'>Home</a></div><div class='x'>"
            f"<div style='font-size:21px'>{TITLE}</div><div class='body'>"
            f"<div><span>{P1}</span></div><div><span><br></span></div><div><span>{P2}</span></div>"
            f"<div><b><span>Warga Mengungsi</span></b></div><div><span>{P3}</span></div></div></div></body></html>")
    art = parse_html(html, URL)
    assert [s.headline for s in art.segments] == [None, "Warga Mengungsi"]
    assert art.text.splitlines() == [P1, P2, "Warga Mengungsi", P3]


def test_split_body_containers_are_joined() -> None:
    html = (f"<html><body><h1>{TITLE}</h1><div class='read__content'><p>{P1}</p><p>{P2}</p></div>"
            f"<div class='ads'>ADVERTISEMENT</div><div class='read__content'><p>{P3}</p><p>{P4}</p></div>"
            f"</body></html>")
    art = parse_html(html, URL)
    assert art.text.splitlines() == [P1, P2, P3, P4]


def test_title_repeated_in_body_is_dropped() -> None:
    art = parse(f"<h1>{TITLE}</h1><p>{P1}</p><p>{P2}</p>")
    assert TITLE not in art.text


# ---------------------------------------------------------------------------------------------------
# Datelines
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "dateline"), [
    ("FAM68 – ", "FAM68"),
    ("FAM68 - ", "FAM68"),
    ("FAM68: ", "FAM68"),
    ("FAM68 | ", "FAM68"),
    ("FAM68--", "FAM68"),
    ("JAKARTA, KOMPAS.com - ", "JAKARTA, KOMPAS.com"),
    ("Jakarta (ANTARA) - ", "Jakarta (ANTARA)"),
    ("Mataram, NTB (ANTARA News) - ", "Mataram, NTB (ANTARA News)"),
    ("Liputan6.com, Jakarta - ", "Liputan6.com, Jakarta"),
    ("Portalkota—", "Portalkota"),
    ("TEMPO.CO, Jakarta - ", "TEMPO.CO, Jakarta"),
    ("Bisnis.com, JAKARTA -", "Bisnis.com, JAKARTA"),
    ("REPUBLIKA.CO.ID, JAKARTA -- ", "REPUBLIKA.CO.ID, JAKARTA"),
    ("Okezone.com - ", "Okezone.com"),
    ("SURYA.co.id, SURABAYA - ", "SURYA.co.id, SURABAYA"),
    ("JAKARTA - ", "JAKARTA"),
    ("Jakarta - ", "Jakarta"),
    ("Jakarta, CNN Indonesia -- ", "Jakarta, CNN Indonesia"),
    ("BANTENNOW: ", "BANTENNOW"),
    ("BANTENNOW :", "BANTENNOW"),
    ("FAM68:", "FAM68"),
    ("JAKARTA:", "JAKARTA"),
])
def test_dateline_forms_are_stripped_and_reported(prefix: str, dateline: str) -> None:
    art = parse(f"<p>{prefix}{P1}</p><p>{P2}</p>")
    assert art.dateline == dateline
    assert art.segments[0].paragraphs == [P1, P2]
    assert removed_texts(art, "dateline") == [prefix.strip()]


@pytest.mark.parametrize("sentence", [
    "Presiden Joko Widodo: kita harus bekerja lebih keras lagi untuk rakyat di seluruh pelosok negeri.",
    "Menurut dia - pada intinya - warga harus tetap waspada terhadap banjir susulan di wilayah itu.",
    "Hati-hati di jalan, pesan petugas kepada pengendara yang melintas di jalur alternatif itu.",
    "KPK: tersangka baru akan diumumkan pekan depan setelah pemeriksaan saksi rampung.",
    "Sementara itu - di tempat lain - warga mulai kembali ke rumah masing-masing sejak pagi.",
    "Dia berkata: banjir ini yang terbesar dalam sepuluh tahun terakhir di desa kami.",
    "10:30 WIB, warga mulai kembali ke rumah masing-masing setelah air surut di desa itu.",
    "Catatan:warga diminta tetap waspada terhadap banjir susulan di wilayah itu hingga Senin.",
])
def test_ordinary_sentences_keep_their_start(sentence: str) -> None:
    art = parse(f"<p>{sentence}</p><p>{P1}</p><p>{P2}</p>")
    assert art.dateline is None
    assert art.segments[0].paragraphs[0] == sentence
    assert "dateline" not in kinds(art)


def test_dateline_stripped_from_first_paragraph_of_every_segment() -> None:
    art = parse(f"<p>FAM68 – {P1}</p><h2>Warga Mengungsi</h2><p>FAM68 – {P2}</p><p>FAM68 – {P3}</p>"
                f"<p><strong>Harapan Warga</strong></p><p>FAM68 – {P4}</p>")
    assert art.dateline == "FAM68"
    assert [s.paragraphs[0] for s in art.segments] == [P1, P2, P4]
    # only the first paragraph of a segment carries a dateline; a later one is left as written
    assert art.segments[1].paragraphs[1] == f"FAM68 – {P3}"
    assert len(removed_texts(art, "dateline")) == 3


def test_bold_dateline_without_separator() -> None:
    art = parse(f"<p><b>Liputan6.com, Jakarta</b> {P1}</p><p>{P2}</p>")
    assert art.dateline == "Liputan6.com, Jakarta"
    assert art.segments[0].paragraphs[0] == P1


def test_bold_capital_word_without_separator_is_not_a_dateline() -> None:
    text = "DEPRESI jadi satu momok yang wajib diwaspadai siapa saja karena berisiko memicu diabetes."
    art = parse(f"<p><strong>DEPRESI</strong> jadi satu momok yang wajib diwaspadai siapa saja karena "
                f"berisiko memicu diabetes.</p><p>{P1}</p>")
    assert art.dateline is None
    assert art.segments[0].paragraphs[0] == text


def test_dateline_alone_on_its_line() -> None:
    art = parse(f"<p>ISTANBUL, 23 Februari 2016 (Antara/PRNewswire) --</p><p>{P1}</p><p>{P2}</p>")
    assert art.dateline == "ISTANBUL, 23 Februari 2016 (Antara/PRNewswire)"
    assert art.segments[0].paragraphs == [P1, P2]


def test_profile_dateline_regex_is_tried_first() -> None:
    profile = ParseProfile(dateline=r"^KABAR68\s*/\s*")
    art = parse_html(page(f"<p>KABAR68 / {P1}</p><p>{P2}</p>"), URL, profile=profile)
    assert art.dateline == "KABAR68"
    assert art.segments[0].paragraphs[0] == P1


# ---------------------------------------------------------------------------------------------------
# Promo, related, ads, share, nav, captions, embeds, sign-offs
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "Baca juga: <a href='/x'>Banjir Bandang Terjang Sajira</a>",
    "Baca Juga : <a href='/x'>Banjir Bandang Terjang Sajira</a>",
    "BACA JUGA: <a href='/x'>Banjir Bandang Terjang Sajira</a>",
    "<strong>Baca:</strong> <a href='/x'>Banjir Bandang Terjang Sajira</a>",
    "Lihat juga: <a href='/x'>Banjir Bandang Terjang Sajira</a>",
    "Simak juga <a href='/x'>Banjir Bandang Terjang Sajira</a>",
    "Simak Video \"Banjir Bandang Terjang Sajira\"",
    "Artikel ini telah tayang di <a href='https://kompas.com/x'>Kompas.com</a> dengan judul Banjir Bandang",
    "Dapatkan update berita pilihan dan breaking news setiap hari dari FAM68. Mari bergabung di Grup "
    "Telegram \"FAM68 News Update\"",
    "Ikuti kami di <a href='https://instagram.com/fam68'>Instagram</a> dan TikTok",
    "Simak breaking news dan berita pilihan kami langsung di ponselmu lewat WhatsApp Channel FAM68.",
])
def test_promo_lines_are_removed(line: str) -> None:
    art = parse(f"<p>{P1}</p><p>{line}</p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert "promo" in kinds(art)
    assert "Banjir Bandang" not in art.text and "Telegram" not in art.text


def test_promo_label_takes_the_link_lines_after_it_until_prose_resumes() -> None:
    art = parse(f"<p>{P1}</p><p>Berita Terpercaya :</p><p><a href='/a'>Manchester United Siapkan Tawaran "
                f"Fantastis untuk Vinicius</a></p><p><a href='/b'>Ciseeng Bogor Dilanda Angin Kencang, Puluhan "
                f"Bangunan Rusak</a></p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert removed_texts(art, "promo")[0] == "Berita Terpercaya :"
    assert "Vinicius" not in art.text and "Ciseeng" not in art.text


def test_trailing_promo_block_with_plain_title_lines() -> None:
    art = parse(f"<p>{P1}</p><p>{P2}</p><p>Berita Terpercaya :</p><p>Manchester United Siapkan Tawaran "
                f"Fantastis untuk Vinicius</p><p>Ciseeng Bogor Dilanda Angin Kencang, Puluhan Bangunan Rusak</p>")
    assert art.text.splitlines() == [P1, P2]
    assert len(removed_texts(art, "promo")) == 3


@pytest.mark.parametrize(("label", "kind"), [("Berita Terkait", "related"), ("Jangan Lewatkan", "promo"),
                                             ("BACA JUGA", "promo"), ("Artikel Terkait:", "related")])
def test_label_with_a_list_of_links(label: str, kind: str) -> None:
    art = parse(f"<p>{P1}</p><h3>{label}</h3><ul><li><a href='/a'>Warga Lebak Terima Bantuan Sembako</a></li>"
                f"<li><a href='/b'>Tanggul Sungai Ciujung Jebol Lagi</a></li></ul><p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert kind in kinds(art)
    assert "Sembako" not in art.text


def test_related_container_by_class_is_removed() -> None:
    art = parse(f"<p>{P1}</p><div class='jp-relatedposts'><h3>Terkait</h3><p><a href='/a'>Warga Lebak Terima"
                f" Bantuan</a> dalam acara yang digelar di alun-alun</p></div><p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert "related" in kinds(art)


def test_inline_baca_juga_after_prose_keeps_the_prose() -> None:
    art = parse(f"<p>{P1} Baca juga: <a href='/x'>Tanggul Jebol di Cibadak</a></p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert removed_texts(art, "promo") == ["Baca juga: Tanggul Jebol di Cibadak"]


def test_inline_baca_juga_before_prose_keeps_the_prose() -> None:
    art = parse(f"<p>Baca juga: <a href='/x'>Tanggul Jebol di Cibadak</a> {P1}</p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert "Tanggul Jebol" not in art.text


def test_unlabelled_link_only_line_in_body_is_related() -> None:
    art = parse(f"<p>{P1}</p><p><a href='/x'>Tanggul Sungai Ciujung Jebol Lagi, Warga Panik</a></p><p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert removed_texts(art, "related") == ["Tanggul Sungai Ciujung Jebol Lagi, Warga Panik"]


@pytest.mark.parametrize("ad", [
    "<div class='ads'><div id='div-gpt-ad-123'>ADVERTISEMENT</div></div>",
    "<p>SCROLL TO CONTINUE WITH CONTENT</p>",
    "<div class='parallax'><p>ADVERTISEMENT</p><p>SCROLL TO RESUME CONTENT</p></div>",
    "<p>Advertisement</p>",
    "<p>Iklan</p>",
    "<ins class='adsbygoogle'>Iklan Google</ins>",
])
def test_ads_are_removed(ad: str) -> None:
    art = parse(f"<p>{P1}</p>{ad}<p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert "ad" in kinds(art)


def test_ad_marker_glued_to_a_paragraph_is_cut_out() -> None:
    art = parse(f"<p>{P1} ADVERTISEMENT SCROLL TO CONTINUE WITH CONTENT</p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert "ad" in kinds(art)


@pytest.mark.parametrize(("html", "kind"), [
    ("<div class='share-buttons'><a href='#'>Facebook</a> <a href='#'>Twitter</a></div>", "share"),
    ("<p>0 Komentar</p>", "share"),
    ("<p>Bagikan</p>", "share"),
    ("<div class='tags'>Tags: <a href='/t/banjir'>banjir</a>, <a href='/t/lebak'>lebak</a></div>", "nav"),
    ("<p>Tags: banjir, lebak, bpbd</p>", "nav"),
    ("<nav class='breadcrumb'><a href='/'>Home</a> › <a href='/d'>Daerah</a></nav>", "nav"),
    ("<p>Halaman: 1 2 3</p>", "nav"),
    ("<figure><img src='a.jpg'><figcaption>Warga mengungsi di balai desa. (Foto: FAM68/Budi)</figcaption>"
     "</figure>", "caption"),
    ("<p>(Foto: ANTARA/Asep Fathulrahman)</p>", "caption"),
    ("<p>Ilustrasi banjir di permukiman warga</p>", "caption"),
    ("<div class='wp-caption'><img src='a.jpg'><p class='wp-caption-text'>Warga di posko</p></div>", "caption"),
    ("<p>[Gambas:Video CNN]</p>", "embed"),
    ("<iframe src='https://www.youtube.com/embed/abc'></iframe>", "embed"),
    ("<blockquote class='instagram-media'><a href='https://instagram.com/p/x'>A post shared by fam68</a>"
     "</blockquote>", "embed"),
])
def test_boilerplate_blocks_are_removed_with_their_kind(html: str, kind: str) -> None:
    art = parse(f"<p>{P1}</p>{html}<p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert kind in kinds(art)


def test_caption_right_after_an_image_is_removed() -> None:
    art = parse(f"<div class='pic'><img src='a.jpg'></div><div class='deskripsi'>Warga mengungsi di balai desa "
                f"Sajira. Doc. FAM68</div><p>{P1}</p><p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert removed_texts(art, "caption") == ["Warga mengungsi di balai desa Sajira. Doc. FAM68"]


def test_inline_gambas_placeholder_is_cut_from_prose() -> None:
    art = parse(f"<p>{P1} [Gambas:Video CNN]</p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert removed_texts(art, "embed") == ["[Gambas:Video CNN]"]


@pytest.mark.parametrize("line", [
    "(abc/def)", "(ant)", "(*)", "(rdn/ags)", "Editor: Ade Marboen", "Editor : Sapto Andika Candra",
    "Pewarta: Budi Santoso", "Reporter: Dina Mariana", "Penulis: Agus Salim", "Copyright © ANTARA 2025",
    "© 2025 FAM68. All rights reserved.", "Baca berita lainnya di Google News",
])
def test_signoff_lines_are_removed(line: str) -> None:
    art = parse(f"<p>{P1}</p><p>{P2}</p><p>{line}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert removed_texts(art, "signoff") == [line]


def test_trailing_initials_are_cut_from_the_last_paragraph() -> None:
    art = parse(f"<p>{P1}</p><p>{P2} (Mvi/Ali)</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert removed_texts(art, "signoff") == ["(Mvi/Ali)"]


def test_parenthesised_words_in_prose_are_not_signoffs() -> None:
    last = "Kebijakan itu diumumkan oleh Amerika Serikat (AS)"
    art = parse(f"<p>{P1}</p><p>{last}</p>")
    assert art.segments[0].paragraphs[-1] == last


def test_byline_date_line_in_body_is_removed() -> None:
    art = parse(f"<p>Vania Ika | Jum'at, 17 Februari 2017 - 13:30 wib</p><p>JAKARTA - {P1}</p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert art.dateline == "JAKARTA"


def test_hidden_elements_are_not_text() -> None:
    art = parse(f"<p>{P1}</p><p style='display:none'>teks tersembunyi</p><span class='screen-reader-text'>"
                f"Lewati</span><p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]


# ---------------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------------


def test_profile_body_and_title_selectors() -> None:
    html = (f"<html><body><h1>Logo Situs</h1><div class='judul-berita'>{TITLE}</div><div class='entry-content'>"
            f"<p>{P1}</p><p>{P2}</p></div><div class='isi-artikel-khusus'><p>{P3}</p><p>{P4}</p></div>"
            f"</body></html>")
    art = parse_html(html, URL, profile=ParseProfile(title=".judul-berita", body=".isi-artikel-khusus"))
    assert art.title == TITLE
    assert art.text.splitlines() == [P3, P4]


def test_profile_remove_selectors_and_their_kinds() -> None:
    body = (f"<p>{P1}</p><div class='kotak-iklan-atas'>Pasang iklan di sini</div><div class='sebar'>Sebarkan ke "
            f"teman</div><div class='kotak-x'>Paket hemat</div><p>{P2}</p>")
    profile = ParseProfile(remove=(".kotak-iklan-atas", ".sebar", ".kotak-x"))
    art = parse_html(page(body), URL, profile=profile)
    assert art.text.splitlines() == [P1, P2]
    assert Removed("ad", "Pasang iklan di sini") in art.removed
    assert Removed("promo", "Paket hemat") in art.removed


def test_profile_promo_phrases_act_like_builtin_ones() -> None:
    body = (f"<p>{P1}</p><p>Kabar Pilihan:</p><p><a href='/a'>Satu judul berita pilihan redaksi</a></p>"
            f"<p>{P2}</p>")
    plain = parse_html(page(body), URL)
    assert "Kabar Pilihan:" in plain.text
    art = parse_html(page(body), URL, profile=ParseProfile(promo_phrases=("Kabar Pilihan",)))
    assert art.text.splitlines() == [P1, P2]
    assert removed_texts(art, "promo")[0] == "Kabar Pilihan:"


def test_invalid_profile_selectors_do_not_break_parsing() -> None:
    profile = ParseProfile(title="h1[", body="div[[", remove=("p::nope(",), dateline="([unclosed")
    art = parse_html(page(f"<p>{P1}</p><p>{P2}</p>"), URL, profile=profile)
    assert art.text.splitlines() == [P1, P2]


# ---------------------------------------------------------------------------------------------------
# Pagination and stitching
# ---------------------------------------------------------------------------------------------------


def test_numbered_pages_are_listed_in_order() -> None:
    art = parse(f"<p>{P1}</p><p>{P2}</p><div class='pagination'><span>1</span><a href='{URL}?page=3'>3</a>"
                f"<a href='{URL}?page=2'>2</a><a href='{URL}?page=2'>Selanjutnya</a></div>")
    assert art.next_pages == [URL + "?page=2", URL + "?page=3"]
    assert art.pages == 1
    assert "Selanjutnya" not in art.text


def test_wordpress_nextpage_links() -> None:
    art = parse(f"<p>{P1}</p><p>{P2}</p><div class='page-links'>Halaman: <span>1</span> "
                f"<a href='{URL}2/' class='post-page-numbers'>2</a> <a href='{URL}3/'>3</a></div>")
    assert art.next_pages == [URL + "2/", URL + "3/"]


def test_show_all_link_is_preferred() -> None:
    art = parse(f"<p>{P1}</p><p>{P2}</p><div class='paging'><a href='{URL}?page=2'>2</a>"
                f"<a href='{URL}?page=all'>Tampilkan Semua</a></div>")
    assert art.next_pages == [URL + "?page=all"]


def test_listing_pagination_and_current_page_are_not_article_pages() -> None:
    art = parse(f"<p>{P1}</p><p>{P2}</p><a href='{URL}'>1</a><div class='pagination'>"
                f"<a href='/kategori/daerah/page/2/'>2</a><a href='/indeks?page=2'>Indeks</a></div>")
    assert art.next_pages == []


def test_pages_after_the_current_one_only() -> None:
    current = URL + "?page=2"
    html = page(f"<p>{P1}</p><p>{P2}</p><div class='pagination'><a href='{URL}'>1</a>"
                f"<a href='{URL}?page=1'>1</a><a href='{URL}?page=3'>3</a></div>")
    art = parse_html(html, current)
    assert art.next_pages == [URL + "?page=3"]


def test_pagination_resolved_against_canonical_when_no_url() -> None:
    html = page(f"<p>{P1}</p><p>{P2}</p><div class='pagination'><a href='?page=2'>2</a></div>",
                head=f"<link rel='canonical' href='{URL}'>")
    art = parse_html(html)
    assert art.next_pages == [URL + "?page=2"]


def test_merge_pages_stitches_segments_and_counts_pages() -> None:
    first = parse(f"<p>FAM68 – {P1}</p><h2>Warga Mengungsi</h2><p>{P2}</p><p>Baca juga: <a href='/x'>Lain"
                  f"</a></p><div class='pagination'><a href='{URL}?page=2'>2</a></div>")
    second = parse_html(page(f"<p>{P3}</p><h2>Harapan Warga</h2><p>{P4}</p><p>(abc/def)</p>"), URL + "?page=2")
    merged = merge_pages(first, [second])
    assert merged.pages == 2
    assert merged.next_pages == []
    assert [(s.headline, s.paragraphs) for s in merged.segments] == [
        (None, [P1]), ("Warga Mengungsi", [P2, P3]), ("Harapan Warga", [P4])]
    assert {"dateline", "promo", "signoff"} <= kinds(merged)
    assert merged.dateline == "FAM68"
    assert first.pages == 1 and len(first.segments) == 2     # inputs untouched


def test_merge_pages_does_not_repeat_a_show_all_page() -> None:
    first = parse(f"<p>{P1}</p><p>{P2}</p>")
    everything = parse(f"<p>{P1}</p><p>{P2}</p><h2>Harapan Warga</h2><p>{P3}</p><p>{P4}</p>")
    merged = merge_pages(first, [everything])
    assert merged.text.splitlines() == [P1, P2, "Harapan Warga", P3, P4]


# ---------------------------------------------------------------------------------------------------
# JSON shape
# ---------------------------------------------------------------------------------------------------


def test_to_json_has_spec_keys_in_order() -> None:
    art = parse(f"<p>FAM68 – {P1}</p><p>{P2}</p>")
    data = art.to_json()
    assert list(data) == ["path", "url", "canonical_url", "title", "published_at", "modified_at", "authors",
                          "section", "tags", "lang", "image", "dateline", "segments", "text", "removed",
                          "next_pages", "pages", "warnings"]
    assert data["text"] == f"{P1}\n{P2}"
    assert data["segments"] == [{"headline": None, "paragraphs": [P1, P2]}]
    assert data["removed"] == [{"kind": "dateline", "text": "FAM68 –"}]


def test_page_without_article_body_gets_a_warning() -> None:
    art = parse_html("<html><head><title>Indeks</title></head><body><nav><a href='/'>Home</a></nav>"
                     "</body></html>", URL)
    assert art.segments == []
    assert NO_BODY_WARNING in art.warnings


def test_domain_dateline_is_stripped_from_any_paragraph_but_labels_are_not() -> None:
    art = parse(f"<p>{P1}</p><p>KOMPAS.com - {P2}</p><p>Inggris (Grup A): {P3}</p>")
    assert art.segments[0].paragraphs == [P1, P2, f"Inggris (Grup A): {P3}"]
    assert removed_texts(art, "dateline") == ["KOMPAS.com -"]
    assert art.dateline is None        # only the opening paragraph names the article's dateline


def test_plain_trailing_baca_juga_title_is_cut() -> None:
    art = parse(f"<p>{P1} Baca juga: Tanggul Sungai Ciujung Jebol Lagi</p><p>{P2}</p>")
    assert art.segments[0].paragraphs == [P1, P2]
    assert removed_texts(art, "promo") == ["Baca juga: Tanggul Sungai Ciujung Jebol Lagi"]


def test_baca_juga_followed_by_prose_sentences_is_left_alone_when_unlinked() -> None:
    text = f"{P1} Baca juga: Warga mengungsi. Mereka kembali besok pagi setelah air surut di desa."
    art = parse(f"<p>{text}</p><p>{P2}</p>")
    assert art.segments[0].paragraphs[0] == text


def test_photo_gallery_captions_become_the_article() -> None:
    caps = ["Warga mengungsi ke balai desa Sajira setelah banjir merendam permukiman. (FAM68/Budi)",
            "Petugas BPBD mengevakuasi lansia menggunakan perahu karet di Cipanas. (FAM68/Budi)",
            "Relawan membagikan makanan siap saji di posko pengungsian Rangkasbitung. (FAM68/Budi)"]
    figures = "".join(f"<figure><img src='{i}.jpg'><figcaption>{c}</figcaption></figure>" for i, c in enumerate(caps))
    art = parse(f"<p>on 16 Feb 2025 at 09:09 WIB</p>{figures}<p>Rate artikel ini</p>")
    assert art.segments[0].paragraphs == caps
    assert "caption" not in kinds(art)


def test_article_with_pictures_keeps_captions_out() -> None:
    art = parse(f"<p>{P1}</p><figure><img src='a.jpg'><figcaption>Warga mengungsi ke balai desa Sajira setelah "
                f"banjir. (FAM68/Budi)</figcaption></figure><p>{P2}</p>")
    assert art.text.splitlines() == [P1, P2]
    assert "caption" in kinds(art)


def test_profile_promo_phrase_matches_any_spacing() -> None:
    body = f"<p>{P1}</p><p>Kabar   Pilihan : <a href='/a'>Satu judul berita pilihan</a></p><p>{P2}</p>"
    art = parse_html(page(body), URL, profile=ParseProfile(promo_phrases=("Kabar Pilihan",)))
    assert art.text.splitlines() == [P1, P2]
