"""Metadata: title, dates (incl. Indonesian date text), authors, section, tags, lang, image, canonical URL."""

from __future__ import annotations

import json

import pytest

from scraper.dates import parse_date, parse_date_text
from scraper.metadata import strip_site_name
from scraper.parse import parse_html

BODY = ("<p>Pemerintah Provinsi Banten menyalurkan bantuan logistik kepada ribuan warga terdampak banjir di "
        "Kabupaten Lebak, Jumat, setelah hujan deras mengguyur wilayah itu sejak Kamis malam.</p>"
        "<p>Kepala BPBD menyebutkan sedikitnya 1.200 rumah terendam air setinggi satu meter, sementara ratusan "
        "warga mengungsi ke balai desa dan masjid yang ada di sekitar lokasi banjir.</p>")
URL = "https://fam68.example/2025/11/20/banjir-lebak/"


def page(head: str = "", before: str = "", body: str = BODY, lang: str = "id") -> str:
    return (f"<html lang='{lang}'><head>{head}</head><body>{before}<article><div class='entry-content'>{body}"
            f"</div></article></body></html>")


# ---------------------------------------------------------------------------------------------------
# Title
# ---------------------------------------------------------------------------------------------------


def test_h1_is_preferred_over_meta_titles() -> None:
    art = parse_html(page("<title>Banjir Rendam Lebak - FAM68</title><meta property='og:title' "
                          "content='Banjir Rendam Lebak | FAM68'>", "<h1>Banjir Rendam Lebak, Ribuan Mengungsi</h1>"),
                     URL)
    assert art.title == "Banjir Rendam Lebak, Ribuan Mengungsi"


def test_logo_h1_is_not_the_title() -> None:
    art = parse_html(page("<title>Banjir Rendam Ribuan Rumah di Lebak - FAM68</title>",
                          "<h1 class='logo'><a href='/'>FAM68</a></h1>"), URL)
    assert art.title == "Banjir Rendam Ribuan Rumah di Lebak"


def test_an_h1_that_is_the_host_name_is_a_logo() -> None:
    body = "<p>" + "Some notes about the thing that we built in the lab this week, and why it worked. " * 5 + "</p>"
    html = ("<html><head><title>davidbau.com Vibe Coding</title></head><body><h1><a href='https://davidbau.com/'>"
            f"davidbau.com</a></h1><div class='post'><h2>Vibe Coding</h2>{body}</div></body></html>")
    assert parse_html(html, "https://davidbau.com/archives/2025/vibe.html").title == "Vibe Coding"


@pytest.mark.parametrize(("raw", "site", "expected"), [
    ("Banjir Rendam Lebak - FAM68", None, "Banjir Rendam Lebak"),
    ("Banjir Rendam Lebak | FAM68", None, "Banjir Rendam Lebak"),
    ("Banjir Rendam Lebak – Portal Berita FAM68", None, "Banjir Rendam Lebak"),
    ("FAM68 | Banjir Rendam Lebak", None, "Banjir Rendam Lebak"),
    ("Sering Depresi, Hati-Hati Diabetes! - Health :: Okezone Lifestyle", "Okezone", "Sering Depresi, Hati-Hati Diabetes!"),
    ("Banjir Rendam Lebak - Warga Mengungsi", None, "Banjir Rendam Lebak - Warga Mengungsi"),
    ("Ini 7 Alasan Mengapa Orang Malas Bergerak | Tempo Gaya", "Tempo Gaya", "Ini 7 Alasan Mengapa Orang Malas Bergerak"),
])
def test_site_name_suffixes_are_stripped(raw: str, site: str | None, expected: str) -> None:
    assert strip_site_name(raw, site, URL) == expected


def test_json_ld_headline_and_og_title_when_no_h1() -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Banjir Rendam Lebak"}
    art = parse_html(page(f"<script type='application/ld+json'>{json.dumps(ld)}</script>"), URL)
    assert art.title == "Banjir Rendam Lebak"
    art2 = parse_html(page("<meta property='og:title' content='Banjir Rendam Lebak - FAM68'>"), URL)
    assert art2.title == "Banjir Rendam Lebak"


def test_visible_headline_that_extends_the_meta_title() -> None:
    art = parse_html(page("<title>KPK Periksa Pejabat MA - Republika Online</title>",
                          "<div class='jdl-pic'>In Picture: KPK Periksa Pejabat MA</div>"), URL)
    assert art.title == "In Picture: KPK Periksa Pejabat MA"


# ---------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Kamis, 20 November 2025 09:15 WIB", "2025-11-20T09:15:00+07:00"),
    ("Kamis, 20 Nov 2025 09.15 WIB", "2025-11-20T09:15:00+07:00"),
    ("Senin, 17 Agu 2025 | 14:05 WITA", "2025-08-17T14:05:00+08:00"),
    ("Sabtu, 5 Agt 2025 pukul 07:30 WIT", "2025-08-05T07:30:00+09:00"),
    ("Selasa, 02 Des 2025 - 23:59 wib", "2025-12-02T23:59:00+07:00"),
    ("Jum'at, 19 Juni 2015 - 11:58 wib", "2015-06-19T11:58:00+07:00"),
    ("3 Mei 2024, 10:00", "2024-05-03T10:00:00+07:00"),
    ("Rabu, 1 Okt 2025", "2025-10-01T00:00:00+07:00"),
    ("19/06/2015 11:58 WIB", "2015-06-19T11:58:00+07:00"),
    ("Diterbitkan 12 Pebruari 2017 08:00", "2017-02-12T08:00:00+07:00"),
])
def test_indonesian_date_text(text: str, expected: str) -> None:
    assert parse_date_text(text) == expected


@pytest.mark.parametrize(("value", "offset", "expected"), [
    ("2025-11-20T09:15:00+07:00", "+07:00", "2025-11-20T09:15:00+07:00"),
    ("2025-11-20T09:15:00+08:00", "+07:00", "2025-11-20T09:15:00+08:00"),
    ("2025-11-20 09:15:00", "+07:00", "2025-11-20T09:15:00+07:00"),
    ("2025-11-20T02:15:00Z", "+07:00", "2025-11-20T09:15:00+07:00"),
    ("2025-11-20T02:15:00+0000", "+07:00", "2025-11-20T09:15:00+07:00"),
    ("2025-11-20T02:15:00Z", "+00:00", "2025-11-20T02:15:00+00:00"),
    ("2025-11-20T09:15:00.123+07:00", "+07:00", "2025-11-20T09:15:00+07:00"),
    ("Thu, 20 Nov 2025 09:15:00 +0700", "+07:00", "2025-11-20T09:15:00+07:00"),
    # RFC 822 with an Indonesian zone name (email.utils alone reads an unknown zone as naive)
    ("Thu, 20 Nov 2025 09:15:00 WIB", "+07:00", "2025-11-20T09:15:00+07:00"),
    ("Thu, 20 Nov 2025 09:15:00 WITA", "+07:00", "2025-11-20T09:15:00+08:00"),
    ("Thu, 20 Nov 2025 09:15:00 WIT", "+07:00", "2025-11-20T09:15:00+09:00"),
    ("bukan tanggal", "+07:00", None),
    ("", "+07:00", None),
])
def test_parse_date_forms(value: str, offset: str, expected: str | None) -> None:
    assert parse_date(value, offset) == expected


def test_dates_from_json_ld_first() -> None:
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "datePublished": "2020-01-01T00:00:00+07:00"},
        {"@type": "NewsArticle", "headline": "Banjir", "datePublished": "2025-11-20T09:15:00+07:00",
         "dateModified": "2025-11-20T10:00:00+07:00"}]}
    art = parse_html(page(f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
                          "<meta property='article:published_time' content='2024-01-01T00:00:00+07:00'>"), URL)
    assert art.published_at == "2025-11-20T09:15:00+07:00"
    assert art.modified_at == "2025-11-20T10:00:00+07:00"


def test_dates_from_meta_tags() -> None:
    art = parse_html(page("<meta property='article:published_time' content='2025-11-20T09:15:00+07:00'>"
                          "<meta property='og:updated_time' content='2025-11-21T08:00:00+07:00'>"), URL)
    assert (art.published_at, art.modified_at) == ("2025-11-20T09:15:00+07:00", "2025-11-21T08:00:00+07:00")


def test_naive_meta_time_of_an_indonesian_page_is_wib() -> None:
    art = parse_html(page("<meta name='pubdate' content='2025-11-20 09:15:00'>", lang="en"), URL)
    assert art.published_at == "2025-11-20T09:15:00+07:00"      # the words are Indonesian


def test_naive_time_of_an_english_page_is_utc() -> None:
    body = ("<p>The city council approved the new budget on Tuesday after a long debate about the cost of "
            "the bridge and the schools that the mayor promised during the campaign.</p>" * 3)
    art = parse_html(page("<meta name='pubdate' content='2025-11-20 09:15:00'>", body=body, lang="en"),
                     "https://news.example.com/a")
    assert art.published_at == "2025-11-20T09:15:00+00:00"


def test_time_element() -> None:
    art = parse_html(page(before="<time datetime='2025-11-20T09:15:00+07:00'>20 November</time>"), URL)
    assert art.published_at == "2025-11-20T09:15:00+07:00"


def test_date_text_with_time_beats_todays_date_in_a_top_bar() -> None:
    before = ("<div class='topbar'><span class='tanggal'>Kamis, 20 November 2025</span></div>"
              "<h1>Banjir Rendam Lebak</h1><div class='info'><span>Selasa, 18 November 2025 10:20 WIB</span></div>")
    art = parse_html(page(before=before), URL)
    assert art.published_at == "2025-11-18T10:20:00+07:00"


EN_BODY = ("<p>The city council approved the new budget on Tuesday after a long debate about the cost of "
           "the bridge and the schools that the mayor promised during the campaign.</p>" * 3)
EN_URL = "https://news.example.com/a"


@pytest.mark.parametrize(("text", "expected"), [
    ("July 9, 2025", "2025-07-09T00:00:00+00:00"),
    ("Updated on Feb. 08, 2022 at 10:30 pm EST", "2022-02-08T22:30:00-05:00"),
    ("Published Sept 3rd 2024 | 5 min read", "2024-09-03T00:00:00+00:00"),
    ("Dec 12, 2023 12:05 AM", "2023-12-12T00:05:00+00:00"),
    ("Tue Nov 19 2019 03:05:46 GMT+0000", "2019-11-19T03:05:46+00:00"),     # JavaScript's Date string
    ("12.12.2025", "2025-12-12T00:00:00+00:00"),
    ("23.07.2025", "2025-07-23T00:00:00+00:00"),
    ("3/24/2025", "2025-03-24T00:00:00+00:00"),     # the second number cannot be a month: month first
    ("version 1.2.2024.5", None),                   # a version number is not a date
    ("May 2025", None),
    ("13:00 on 14 Mar 2024, posted July 9, 2025", "2024-03-14T00:00:00+00:00"),  # the earliest date wins
    ("3. Dezember 2026 um 14:05 Uhr", "2026-12-03T14:05:00+00:00"),
    ("1. Januar 2025 12:00 MEZ", "2025-01-01T12:00:00+01:00"),
    ("3 de diciembre de 2026", "2026-12-03T00:00:00+00:00"),
    ("3 décembre 2026 à 14h05", "2026-12-03T14:05:00+00:00"),
    ("12 marzo 2025, 10:30", "2025-03-12T10:30:00+00:00"),
    ("2026年12月3日(木) 14:05", "2026-12-03T14:05:00+00:00"),
    ("2026년 12월 3일", "2026-12-03T00:00:00+00:00"),
    ("Seite 3 von 2024", None),
])
def test_english_and_numeric_date_text(text: str, expected: str | None) -> None:
    assert parse_date_text(text, "+00:00") == expected


def test_ambiguous_numeric_date_is_month_first_on_a_us_page() -> None:
    assert parse_date_text("3/4/2025", "+00:00") == "2025-04-03T00:00:00+00:00"
    assert parse_date_text("3/4/2025", "+00:00", month_first=True) == "2025-03-04T00:00:00+00:00"
    art = parse_html(page("<meta property='article:published_time' content='03-09-2026'>", body=EN_BODY,
                          lang="en-US"), EN_URL)
    assert art.published_at == "2026-03-09T00:00:00+00:00"
    art = parse_html(page("<meta property='article:published_time' content='03-09-2026'>", body=EN_BODY,
                          lang="en-GB"), EN_URL)
    assert art.published_at == "2026-09-03T00:00:00+00:00"


def test_a_later_declaration_of_the_same_day_with_the_time_wins() -> None:
    ld = {"@type": "NewsArticle", "headline": "x", "datePublished": "November 19, 2019"}
    head = (f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
            "<meta property='article:published_time' content='2019-11-19T11:21:08+00:00'>")
    assert parse_html(page(head, body=EN_BODY, lang="en"), EN_URL).published_at == "2019-11-19T11:21:08+00:00"
    ld["datePublished"] = "2019-11-19T11:21:08"                   # naive: the zone of the meta tag
    head = (f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
            "<meta property='article:published_time' content='2019-11-19T11:21:08-05:00'>")
    assert parse_html(page(head, body=EN_BODY, lang="en"), EN_URL).published_at == "2019-11-19T11:21:08-05:00"
    ld["datePublished"] = "November 18, 2019"                     # another day: the stronger source stands
    head = (f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
            "<meta property='article:published_time' content='2019-11-19T11:21:08+00:00'>")
    assert parse_html(page(head, body=EN_BODY, lang="en"), EN_URL).published_at == "2019-11-18T00:00:00+00:00"


def test_other_publish_meta_keys_and_english_text_in_json_ld() -> None:
    art = parse_html(page("<meta name='published' content='July 17, 2025'>", body=EN_BODY, lang="en"), EN_URL)
    assert art.published_at == "2025-07-17T00:00:00+00:00"
    art = parse_html(page("<meta name='w-published-date' content='2025-05-27T06:03:43.274Z'>"
                          "<meta name='publisher' content='2020-01-01'>", body=EN_BODY, lang="en"), EN_URL)
    assert art.published_at == "2025-05-27T06:03:43+00:00"
    ld = {"@type": "BlogPosting", "headline": "x", "datePublished": "Feb 08, 2022"}
    art = parse_html(page(f"<script type='application/ld+json'>{json.dumps(ld)}</script>", body=EN_BODY,
                          lang="en"), EN_URL)
    assert art.published_at == "2022-02-08T00:00:00+00:00"


@pytest.mark.parametrize("line", [
    "<p>November 2, 2022</p>",
    "<div>Published&ensp;<span>Apr 26, 2023</span></div>",
    "<div><strong>By <a href='/team/jo'>Dr. Jo Ng</a></strong> - Mar 27, 2024</div>",
    "<div class='postDate'><span>Nov 2, 2022</span></div>",           # a class name in another case
])
def test_a_date_line_under_the_title(line: str) -> None:
    before = f"<header><h1>The city budget</h1>{line}</header>"
    art = parse_html(page(before=before, body=EN_BODY, lang="en"), EN_URL)
    assert art.published_at is not None and art.published_at[:10] in ("2022-11-02", "2023-04-26", "2024-03-27")


def test_an_iso_date_element_and_a_date_element_away_from_the_article() -> None:
    before = "<div class='meta'><span class='Author_publicationTime__F2'>2022-11-23T08:10+02:00 </span></div>"
    art = parse_html(page(before=before, body=EN_BODY, lang="en"), EN_URL)
    assert art.published_at == "2022-11-23T08:10:00+02:00"
    html = (f"<html lang='en'><body><nav><div class='card'><div class='published-date'>September 4, 2025</div>"
            f"</div></nav><main><h2>x</h2><article><div class='entry-content'>{EN_BODY}</div></article></main>"
            f"</body></html>")
    assert parse_html(html, EN_URL).published_at == "2025-09-04T00:00:00+00:00"


def test_a_date_inside_a_sentence_under_the_title_is_not_the_date() -> None:
    before = ("<header><h1>The city budget</h1><p>The council first met on March 3, 2020 to talk about the "
              "bridge, and the mayor promised a vote soon after that.</p></header>")
    assert parse_html(page(before=before, body=EN_BODY, lang="en"), EN_URL).published_at is None


# ---------------------------------------------------------------------------------------------------
# Authors, section, tags, lang, image, canonical
# ---------------------------------------------------------------------------------------------------


def test_authors_from_json_ld_meta_and_byline() -> None:
    ld = {"@type": "NewsArticle", "headline": "x", "author": [{"@type": "Person", "name": "Budi Santoso"},
                                                              {"@type": "Person", "name": "Dina Mariana"}]}
    art = parse_html(page(f"<script type='application/ld+json'>{json.dumps(ld)}</script>"), URL)
    assert art.authors == ["Budi Santoso", "Dina Mariana"]
    art2 = parse_html(page("<meta name='author' content='Budi Santoso'>"), URL)
    assert art2.authors == ["Budi Santoso"]
    art3 = parse_html(page(before="<div class='byline'>Pewarta: Budisantoso Budiman dan Agus S</div>"), URL)
    assert art3.authors == ["Budisantoso Budiman", "Agus S"]


def test_authors_from_author_links_prefixes_and_escaped_json_ld() -> None:
    art = parse_html(page(before="<p>By <a href='/author/chris-mcnamara'>Chris McNamara</a></p>", body=EN_BODY,
                          lang="en"), EN_URL)
    assert art.authors == ["Chris McNamara"]
    art = parse_html(page(before="<div class='byline'>Posted by Damien Walter</div>", body=EN_BODY, lang="en"),
                     EN_URL)
    assert art.authors == ["Damien Walter"]
    ld = {"@type": "BlogPosting", "headline": "x", "author": [{"@type": "Person", "name": "Maria &amp; Katerina"},
                                                              {"@id": "#identity"}]}
    art = parse_html(page(f"<script type='application/ld+json'>{json.dumps(ld)}</script>", body=EN_BODY,
                          lang="en"), EN_URL)
    assert art.authors == ["Maria", "Katerina"]


def test_section_tags_lang_image() -> None:
    head = ("<meta property='article:section' content='Daerah'><meta property='article:tag' content='banjir'>"
            "<meta property='article:tag' content='Lebak'><meta property='og:image' content='/img/banjir.jpg'>")
    art = parse_html(page(head, lang="id-ID"), URL)
    assert art.section == "Daerah"
    assert art.tags == ["banjir", "Lebak"]
    assert art.lang == "id-ID"
    assert art.image == "https://fam68.example/img/banjir.jpg"


def test_keywords_and_breadcrumb_fallbacks() -> None:
    before = "<ul class='breadcrumb'><li><a href='/'>Home</a></li><li><a href='/daerah'>Daerah</a></li></ul>"
    art = parse_html(page("<meta name='keywords' content='banjir, lebak , bpbd'>", before), URL)
    assert art.tags == ["banjir", "lebak", "bpbd"]
    assert art.section == "Daerah"


def test_lang_from_og_locale() -> None:
    html = page("<meta property='og:locale' content='id_ID'>").replace(" lang='id'", "")
    assert parse_html(html, URL).lang == "id-ID"


def test_canonical_url_absolute_same_site_only() -> None:
    art = parse_html(page("<link rel='canonical' href='/2025/11/20/banjir-lebak/'>"), URL + "?utm_source=x")
    assert art.canonical_url == URL
    foreign = parse_html(page("<link rel='canonical' href='https://other.example/copy/'>"), URL)
    assert foreign.canonical_url == URL
    og = parse_html(page("<meta property='og:url' content='https://www.fam68.example/a/'>"), URL)
    assert og.canonical_url == "https://www.fam68.example/a/"
    nourl = parse_html(page("<link rel='canonical' href='https://fam68.example/x/'>"))
    assert nourl.canonical_url == "https://fam68.example/x/" and nourl.url is None


def test_single_h1_beats_a_different_seo_title() -> None:
    art = parse_html(page("<title>Harga Beras Naik? Ini Kata Bulog | Portal</title>"
                          "<meta property='og:title' content='Harga Beras Naik? Ini Kata Bulog'>",
                          "<h1>Bulog Siapkan 120 Ton Beras untuk Operasi Pasar di Tangerang</h1>"), URL)
    assert art.title == "Bulog Siapkan 120 Ton Beras untuk Operasi Pasar di Tangerang"


# ---------------------------------------------------------------------------------------------------
# What the page declares itself to be
# ---------------------------------------------------------------------------------------------------


def ld(obj: object) -> str:
    return f"<script type='application/ld+json'>{json.dumps(obj)}</script>"


@pytest.mark.parametrize(("head", "expected"), [
    (ld({"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Banjir"}), "NewsArticle"),
    (ld({"@type": ["ReportageNewsArticle", "NewsArticle"], "headline": "Banjir"}), "ReportageNewsArticle"),
    (ld({"@graph": [{"@type": "WebSite", "name": "FAM68"}, {"@type": "WebPage", "name": "Banjir"},
                    {"@type": "Article", "headline": "Banjir"}]}), "Article"),
    (ld({"@type": "WebPage", "mainEntity": {"@type": "BlogPosting", "headline": "Banjir"}}), "BlogPosting"),
    (ld({"@type": "https://schema.org/AnalysisNewsArticle"}), "AnalysisNewsArticle"),
    (ld([{"@type": "BreadcrumbList"}, {"@type": "ReviewNewsArticle", "headline": "Banjir"}]), "ReviewNewsArticle"),
    (ld({"@type": "WebPage", "name": "Banjir"}) + "<meta property='og:type' content='article'>", "article"),
    ("<meta property='og:type' content=' Article '>", "article"),
    ("<meta property='og:type' content='website'>", None),
    (ld({"@type": "WebPage", "name": "Banjir"}), None),
    (ld({"@type": "Organization", "name": "FAM68"}), None),
    ("", None),
])
def test_declared_type(head: str, expected: str | None) -> None:
    art = parse_html(page(head), URL)
    assert art.declared_type == expected
    assert "declared_type" not in art.to_json()


def test_declared_type_without_a_body() -> None:
    art = parse_html("<html><head>" + ld({"@type": "NewsArticle"}) + "</head><body><p>x</p></body></html>", URL)
    assert art.segments == [] and art.declared_type == "NewsArticle"
