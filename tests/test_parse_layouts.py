"""Whole pages in the shapes of the big national CMSs (markup written for these tests, texts invented).

Each page carries the boilerplate its CMS is known for; the test asserts the article text that remains, the
dateline, and that none of the boilerplate phrases survived.
"""

from __future__ import annotations

import pytest

from scraper.parse import parse_html

A = ("Pemerintah Provinsi Jawa Barat menargetkan perbaikan 120 ruas jalan provinsi rampung sebelum libur "
     "Natal dan Tahun Baru, kata Kepala Dinas Bina Marga kepada wartawan, Rabu.")
B = ("Perbaikan difokuskan pada jalur mudik selatan yang rusak parah akibat hujan deras dan lalu lintas "
     "kendaraan berat selama tiga bulan terakhir.")
C = ("Anggaran perbaikan mencapai Rp480 miliar dan bersumber dari APBD perubahan 2025 serta bantuan "
     "keuangan pemerintah pusat.")
D = ("Warga diminta melaporkan jalan berlubang melalui aplikasi pengaduan agar petugas dapat segera "
     "menambalnya sebelum menimbulkan kecelakaan.")
TITLE = "Jabar Kebut Perbaikan 120 Ruas Jalan Jelang Nataru"


def shell(article: str, *, head: str = "", site: str = "Portal") -> str:
    return (f"<!DOCTYPE html><html lang='id'><head><meta charset='utf-8'><title>{TITLE} - {site}</title>"
            f"<meta property='og:title' content='{TITLE}'>{head}</head><body>"
            "<header class='header'><div class='logo'><a href='/'>" + site + "</a></div><nav class='menu'>"
            "<a href='/news'>News</a> <a href='/finance'>Finance</a> <a href='/sport'>Sport</a></nav></header>"
            f"<main>{article}</main>"
            "<aside class='sidebar'><div class='box-terpopuler'><h2>Terpopuler</h2><ol>"
            "<li><a href='/x1'>Harga Emas Antam Hari Ini Naik Lagi</a></li>"
            "<li><a href='/x2'>Jadwal Kereta Tambahan Libur Akhir Tahun</a></li></ol></div></aside>"
            "<footer class='footer'><p>Copyright © 2025 " + site + ". All rights reserved.</p></footer>"
            "</body></html>")


DETIK = shell(
    "<article class='detail'><div class='detail__header'><h1 class='detail__title'>" + TITLE + "</h1>"
    "<div class='detail__author'>Tim Redaksi - detikJabar</div>"
    "<div class='detail__date'>Rabu, 19 Nov 2025 14:05 WIB</div></div>"
    "<div class='detail__media'><figure class='detail__media-image'><img src='/j.jpg'>"
    "<figcaption class='detail__media-caption'>Jalan rusak di Soreang. Foto: Dok. detikJabar</figcaption>"
    "</figure></div><div class='detail__body itp_bodycontent_wrapper'>"
    "<div class='detail__body-text itp_bodycontent'><strong>Bandung</strong> - " + A +
    "<p>" + B + "</p><table class='linksisip'><tr><td><div class='lihatjg'><strong>Baca juga:</strong> "
    "<a href='/y'>Longsor Tutup Jalan Provinsi di Cadas Pangeran</a></div></td></tr></table>"
    "<div class='parallaxindetail scrollpage'><div class='para_caption'>ADVERTISEMENT</div>"
    "<div id='div-gpt-ad-1'></div><div class='para_caption'>SCROLL TO CONTINUE WITH CONTENT</div></div>"
    "<p>" + C + "</p><p>" + D + "</p><p><strong>Simak Video \"Jalan Berlubang di Soekarno-Hatta\":</strong></p>"
    "<div class='sisip_embed_sosmed'><p>[Gambas:Video 20detik]</p></div><p>(wip/orb)</p></div>"
    "<div class='detail__body-tag'><a href='/tag/jalan'>jalan rusak</a><a href='/tag/jabar'>jabar</a></div>"
    "</div></article>", site="detikJabar")

KOMPAS = shell(
    "<div class='read__header'><h1 class='read__title'>" + TITLE + "</h1><div class='read__time'>Kompas.com - "
    "19/11/2025, 14:05 WIB</div></div><div class='photo'><img src='/k.jpg'><div class='photo__caption'>"
    "Ilustrasi jalan rusak. <a class='photo__link'>Lihat Foto</a></div></div>"
    "<div class='read__content'><div class='clearfix'><p><strong>BANDUNG, KOMPAS.com</strong> - " + A + "</p>"
    "<p>" + B + "</p><p><strong>Baca juga: <a class='inner-link-baca-juga' href='/z'>Tol Cisumdawu Dibuka "
    "Fungsional</a></strong></p><div class='ads-on-body'><div id='div-gpt-ad-2'></div></div>"
    "<p>" + C + "</p><p>" + D + "</p><p>Simak breaking news dan berita pilihan kami langsung di ponselmu. "
    "Pilih saluran andalanmu akses berita Kompas.com WhatsApp Channel : "
    "<a href='https://www.whatsapp.com/channel/abc'>https://www.whatsapp.com/channel/abc</a>. Pastikan kamu "
    "sudah install aplikasi WhatsApp ya.</p></div></div>"
    "<div class='read__credit'>Penulis : Dedi Kurnia | Editor : Sari Hardiyanto</div>", site="Kompas.com")

TRIBUN = shell(
    "<div id='article'><h1 id='arttitle'>" + TITLE + "</h1><div class='credit'>Penulis: Rizki | Editor: Anita</div>"
    "<div class='side-article txt-article multi-fontsize'>"
    "<p><strong>Laporan Wartawan Tribunjabar.id, Rizki Ramadhan</strong></p>"
    "<p><strong>TRIBUNJABAR.ID, BANDUNG</strong> - " + A + "</p><p>" + B + "</p>"
    "<p class='baca'><strong>Baca juga: <a class='blue' href='/q'>Pemprov Jabar Siapkan Posko Mudik</a>"
    "</strong></p><div id='ads_mid' class='ads-placeholder'></div><p>" + C + "</p><p>" + D + "</p>"
    "<p>Artikel ini telah tayang di <a href='https://jabar.tribunnews.com'>TribunJabar.id</a> dengan judul "
    "Jabar Kebut Perbaikan Jalan</p></div>"
    "<div class='mb20 tags'><h5>Berita Terkait</h5><ul><li><a href='/r1'>Jalan Rusak di Garut Dikeluhkan</a>"
    "</li></ul></div><div class='paging'><a href='?page=2'>2</a><a href='?page=all'>Tampilkan semua</a></div>"
    "</div>", site="Tribunjabar.id")

CNN = shell(
    "<div class='content-detail'><h1 class='title'>" + TITLE + "</h1><div class='date'>Kamis, 20 Nov 2025 "
    "09:15 WIB</div><div class='detail-text text-cnn_black'>"
    "<p><strong>Jakarta, CNN Indonesia</strong> -- " + A + "</p><p>" + B + "</p>"
    "<div class='paradetail'><div>ADVERTISEMENT</div><div>SCROLL TO CONTINUE WITH CONTENT</div></div>"
    "<p>" + C + "</p><p>[Gambas:Video CNN]</p><p>" + D + "</p><p>(fra/fra)</p></div></div>", site="CNN Indonesia")

SINDO = shell(
    "<div class='detail-title'><h1>" + TITLE + "</h1></div><div class='detail-date-artikel'>Kamis, 20 November "
    "2025 - 09:15 WIB</div><div class='detail-desc' id='detail-desc'>JAKARTA - " + A + "<br><br>" + B +
    "<br><br><div class='baca-inline'>Baca Juga: <a href='/s'>Tarif Tol Naik Bulan Depan</a></div><br>" + C +
    "<br><br>" + D + "<br><br>(abd)</div><div class='pagination'>Halaman : <span>1</span> "
    "<a href='?showpage=2'>2</a></div>", site="SINDOnews")

MERDEKA = shell(
    "<div class='mdk-dt-headline'><h1>" + TITLE + "</h1></div><div class='mdk-body-paragraph'>"
    "<p><b>Merdeka.com</b> - " + A + "</p><p>" + B + "</p><p><b>Baca juga:</b><br><a href='/m1'>Jalur Selatan "
    "Rawan Longsor</a><br><a href='/m2'>Polisi Siapkan Rekayasa Lalu Lintas</a></p><p>" + C + "</p><p>" + D +
    " [eko]</p></div>", site="merdeka.com")

VIVA = shell(
    "<div class='main-content-detail'><h1 class='main-content-title'>" + TITLE + "</h1>"
    "<div class='main-content-detail'><p><strong>VIVA Nasional</strong> – " + A + "</p><p>" + B + "</p>"
    "<div class='baca-juga'><span>Baca Juga :</span><ul><li><a href='/v1'>Jalan Tol Baru Dibuka</a></li>"
    "<li><a href='/v2'>Menhub Tinjau Jalur Mudik</a></li></ul></div><p>" + C + "</p><p>" + D + "</p>"
    "</div></div>", site="VIVA")


@pytest.mark.parametrize(("name", "html", "dateline", "gone"), [
    ("detik", DETIK, "Bandung", ["Baca juga", "Longsor Tutup", "ADVERTISEMENT", "SCROLL TO", "Simak Video",
                                 "Gambas", "(wip/orb)", "jalan rusak", "Foto:", "Tim Redaksi"]),
    ("kompas", KOMPAS, "BANDUNG, KOMPAS.com", ["Baca juga", "Tol Cisumdawu", "WhatsApp", "Lihat Foto",
                                                "Penulis", "Ilustrasi"]),
    ("tribun", TRIBUN, "TRIBUNJABAR.ID, BANDUNG", ["Laporan Wartawan", "Baca juga", "Posko Mudik",
                                                   "Artikel ini telah tayang", "Berita Terkait", "Tampilkan"]),
    ("cnn", CNN, "Jakarta, CNN Indonesia", ["ADVERTISEMENT", "SCROLL", "Gambas", "(fra/fra)"]),
    ("sindonews", SINDO, "JAKARTA", ["Baca Juga", "Tarif Tol", "(abd)", "Halaman"]),
    ("merdeka", MERDEKA, "Merdeka.com", ["Baca juga", "Jalur Selatan", "Rekayasa", "[eko]"]),
    ("viva", VIVA, "VIVA Nasional", ["Baca Juga", "Jalan Tol Baru", "Menhub"]),
])
def test_national_cms_layouts(name: str, html: str, dateline: str, gone: list[str]) -> None:
    art = parse_html(html, f"https://www.{name}.example/berita/2025/11/19/jabar-kebut-perbaikan-jalan")
    assert art.title == TITLE
    assert art.dateline == dateline
    assert art.text.splitlines() == [A, B, C, D]
    for phrase in gone + ["Terpopuler", "Harga Emas", "Copyright", "Finance"]:
        assert phrase not in art.text, phrase
    assert art.published_at is None or art.published_at.startswith("2025-11-")


def test_tribun_pages_prefer_show_all() -> None:
    url = "https://www.tribun.example/berita/2025/11/19/jabar-kebut-perbaikan-jalan"
    assert parse_html(TRIBUN, url).next_pages == [url + "?page=all"]
