"""Titles (issue 13): the <h1> that matches the meta titles, site names off in any language, never real words."""

from __future__ import annotations

import json

import pytest

from scraper.parse import parse_html
from scraper.titles import site_keys, strip_site_name, unescape_title

BODY = "".join(f"<p>Paragraph {i} of the article, long enough to be read as its text by the parser here.</p>"
               for i in range(5))


def page(head: str, before: str = "") -> str:
    return (f"<html><head>{head}</head><body>{before}<article><div class='entry-content'>{BODY}</div></article>"
            "</body></html>")


def og(title: str, site: str | None = None) -> str:
    return (f"<meta property='og:title' content='{title}'>"
            + (f"<meta property='og:site_name' content='{site}'>" if site else ""))


@pytest.mark.parametrize(("raw", "site", "url", "expected"), [
    ("习近平会见法国总统_人民网", "人民网", "http://world.people.com.cn/n1/2025/1201/c1002.html", "习近平会见法国总统"),
    ("北京今冬首场降雪--社会--人民网", "人民网", "http://society.people.com.cn/n1/2025/1201/c1008.html",
     "北京今冬首场降雪"),
    ("名古屋で初雪を観測｜中日新聞Web", "中日新聞Web", "https://www.chunichi.co.jp/article/1001", "名古屋で初雪を観測"),
    ("El Gobierno aprueba el presupuesto | EL PAÍS", "El País", "https://elpais.com/espana/2025-12-01/x.html",
     "El Gobierno aprueba el presupuesto"),
    ("Die Bahn erhöht die Preise – DER SPIEGEL", "DER SPIEGEL", "https://www.spiegel.de/wirtschaft/a-1.html",
     "Die Bahn erhöht die Preise"),
    ("Sering Depresi, Hati-Hati Diabetes! :: Okezone", None, "https://lifestyle.okezone.com/read/1", "Sering Depresi, Hati-Hati Diabetes!"),
    ("Climate Change | Economic Research Service", None, "https://www.ers.usda.gov/topics/climate-change",
     "Climate Change"),
    ("Artlyst: Critics’ Choice of the Year", "Artlyst", "https://artlyst.com/reviews/x", "Critics’ Choice of the Year"),
])
def test_site_names_in_any_language(raw: str, site: str | None, url: str, expected: str) -> None:
    assert strip_site_name(raw, site, url) == expected


@pytest.mark.parametrize(("raw", "site", "url"), [
    ("Teaching Online: Effective Practices", "Teaching and Learning Resource Center",
     "https://teaching.resources.osu.edu/teaching-topics/x"),
    ("Almost Timely News: Using AI for Analytics", None, "https://almosttimely.substack.com/p/x"),
    ("Banjir Rendam Lebak - Warga Mengungsi", None, "https://fam68.example/a/"),
    ("Results of the national elections 1990–2000", "Portal", "https://portal.example/a/"),
    ("How the user_name field breaks logins", "DevSite", "https://devsite.example/a/"),
    ("Review: Why Artlyst readers love Hockney", "Artlyst", "https://artlyst.com/reviews/x"),
    ("习近平：坚持高质量发展", "人民网", "http://politics.people.com.cn/n1/x.html"),
])
def test_real_title_words_stay(raw: str, site: str | None, url: str) -> None:
    assert strip_site_name(raw, site, url) == raw


def test_host_initials_name_the_site_only_as_a_whole_part() -> None:
    keys = site_keys(None, "https://www.nyt.com/2025/12/01/x.html")
    assert keys.is_site_part("New York Times")
    assert not keys.is_site_part("New York Travel Times Square")


def test_h1_with_the_site_name_matching_og_title() -> None:
    art = parse_html(page(og("Critics’ Choice: Best UK Art Exhibitions 2025 – Artlyst - Artlyst", "Artlyst"),
                          "<h1>Critics’ Choice: Best UK Art Exhibitions 2025 – Artlyst</h1>"),
                     "https://artlyst.com/reviews/critics-choice")
    assert art.title == "Critics’ Choice: Best UK Art Exhibitions 2025"


def test_h1_repeated_by_the_document_title_wins() -> None:
    # <title> = <h1> + " | a name we know nothing about": the h1 is the title, the rest the site
    art = parse_html(page("<title>Climate Change | Economic Research Service</title>", "<h1>Climate Change</h1>"),
                     "https://www.example.gov/topics/climate-change")
    assert art.title == "Climate Change"


def test_site_name_learned_from_the_titles_repeating_one_another() -> None:
    # og:title is the headline, <title> adds the site; the <h1> carries the same suffix
    art = parse_html(page("<title>上海发布寒潮预警 - 东方网</title>" + og("上海发布寒潮预警"),
                          "<h1>上海发布寒潮预警 - 东方网</h1>"), "https://news.eastday.com/a/1.html")
    assert art.title == "上海发布寒潮预警"


def test_h1_that_matches_json_ld_headline_among_several() -> None:
    ld = {"@type": "NewsArticle", "headline": "Stadtrat beschließt neuen Haushalt für 2026"}
    art = parse_html(page(f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
                          "<title>Stadtrat beschließt neuen Haushalt für 2026 | Kreiszeitung</title>",
                          "<h1>Kreiszeitung</h1><h1>Stadtrat beschließt neuen Haushalt für 2026</h1>"),
                     "https://www.kreiszeitung.example/lokales/haushalt.html")
    assert art.title == "Stadtrat beschließt neuen Haushalt für 2026"


def test_double_escaped_entities_in_titles() -> None:
    assert unescape_title("12 Tools | Python, SQL &#x26; AI") == "12 Tools | Python, SQL & AI"
    assert unescape_title("Gold&#039;s Gym &amp; more") == "Gold's Gym & more"
    assert unescape_title("R&D at AT&T") == "R&D at AT&T"
    art = parse_html(page(og("Data Tools for 2026 | Python, SQL & AI | Splunk", "Splunk"),
                          "<h1>Data Tools for 2026 | Python, SQL &amp;#x26; AI</h1>"), "https://www.splunk.com/blog/x")
    assert art.title == "Data Tools for 2026 | Python, SQL & AI"


@pytest.mark.parametrize(("h1", "meta", "expected"), [
    ("TIPS FOR ONLINE SUCCESS", "Tips for Online Success | Coach Blog", "Tips for Online Success"),
    ("PEMKOT SERANG GELAR PASAR MURAH", "Pemkot Serang Gelar Pasar Murah - Warta", "Pemkot Serang Gelar Pasar Murah"),
    ("NASA LAUNCHES ARTEMIS III", "NASA LAUNCHES ARTEMIS III", "NASA LAUNCHES ARTEMIS III"),   # meta in capitals too
    ("BEGINNER MARATHON PLAN", "Marathon Beginner Plan", "BEGINNER MARATHON PLAN"),          # other words: kept
])
def test_a_capitalised_h1_takes_the_meta_titles_case(h1: str, meta: str, expected: str) -> None:
    art = parse_html(page(og(meta), f"<h1>{h1}</h1>"), "https://news.example/a/1")
    assert art.title == expected


@pytest.mark.parametrize(("h1", "meta", "expected"), [
    ("<strong>Blog:</strong> Best Advertising Agencies in 2025 (Ranked)", "Best Advertising Agencies in 2025 (Ranked)",
     "Best Advertising Agencies in 2025 (Ranked)"),                                  # a label before it
    ("Title: AlignMerge - Model Merging via Geometric Constraints", "AlignMerge - Model Merging via Geometric Constraints",
     "AlignMerge - Model Merging via Geometric Constraints"),
    ("<time>Dec 18 2025</time> Preparing a transition in Debusine", "Preparing a transition in Debusine",
     "Preparing a transition in Debusine"),                                         # a date before it
    ("<a href='/s/1'>Grads Find Their Degrees No Longer Guarantee Jobs</a> <a href='https://latimes.com/x'>"
     "(latimes.com)</a> <span class='comment-bubble'>87</span>", "Grads Find Their Degrees No Longer Guarantee Jobs",
     "Grads Find Their Degrees No Longer Guarantee Jobs"),                          # source and comment count
    ("Jokowi Resmikan Tol Cibitung pada Senin", "Jokowi Resmikan Tol Cibitung",   # more words: the h1 stays
     "Jokowi Resmikan Tol Cibitung pada Senin"),
    ("Banjir: Warga Kampung Melayu Mengungsi", "Warga Kampung Melayu Mengungsi",   # (a one-word label goes too)
     "Warga Kampung Melayu Mengungsi"),
    ("Live 2025: Ukraine war latest news", "Ukraine war latest news", "Ukraine war latest news"),
    ("Weißbuch: Die Bahn erhöht die Preise", "Die Bahn erhöht die Preise",        # casefold lengthens "ß"
     "Die Bahn erhöht die Preise"),
])
def test_an_h1_framing_the_meta_title_is_the_meta_title(h1: str, meta: str, expected: str) -> None:
    art = parse_html(page(og(meta), f"<h1>{h1}</h1>"), "https://news.example/a/1")
    assert art.title == expected
