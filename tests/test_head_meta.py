"""Byline and date lines a theme prints at the head of the body go (as sign-offs); the same words in the
article's prose, or a heading that starts with "By", stay."""

from __future__ import annotations

import pytest

from scraper.parse import parse_html

P1 = ("The city council approved the new bike lanes on Tuesday after a debate that lasted well past midnight, "
      "with eleven votes in favour and four against.")
P2 = ("Construction starts in March and should be finished before the summer holidays, the transport office "
      "said, adding that parking on the affected streets will move to side roads.")


def page(lead: str, extra: str = "") -> str:
    return (f"<html><head><title>Bike lanes approved</title></head><body><article><h1>Bike lanes approved</h1>"
            f"<div class='entry-content'>{lead}<p>{P1}</p>{extra}<p>{P2}</p></div></article></body></html>")


@pytest.mark.parametrize("line", [
    "July 29, 2025", "Updated on June 18, 2025 at 12:35 PM", "Last updated: Sep 4, 2025", "5 min read",
    "Written by Tina Huffman", "Posted On", "1,693 views", "By Rick Steves", "12.12.2025",
    "Published: Jan 23, 2024", "Reading Time: 11 minutes", "Author: Nirmita Panchal",
])
def test_a_byline_or_date_line_at_the_head_goes(line: str) -> None:
    art = parse_html(page(f"<p>{line}</p>"), "https://city.example/news/bike-lanes")
    assert line not in art.text
    assert art.text.startswith(P1)
    assert any(r.text == line and r.kind == "signoff" for r in art.removed)


def test_several_head_lines_go_together() -> None:
    art = parse_html(page("<div>Last updated</div><div>Aug 04, 2025</div><div>Written by</div><div>Edzel Tabing</div>"
                          "<p>3 min read</p>"), "https://city.example/news/bike-lanes")
    assert "Last updated" not in art.text and "3 min read" not in art.text and "Aug 04, 2025" not in art.text


@pytest.mark.parametrize("line", ["By the numbers", "By the way, the lanes are green", "May 2025 budget review"])
def test_a_heading_or_sentence_like_a_byline_stays(line: str) -> None:
    art = parse_html(page(f"<p>{line}</p>"), "https://city.example/news/bike-lanes")
    assert line in art.text


def test_a_date_line_inside_the_prose_stays() -> None:
    art = parse_html(page("", "<p>July 29, 2025</p>"), "https://city.example/news/bike-lanes")
    assert "July 29, 2025" in art.text


@pytest.mark.parametrize("line", [
    "(Reporting by Greg Roumeliotis; editing by Tom Brown)", "Keith Bradsher contributed reporting from Hong Kong.",
    "Fox News’ Jessica Napoli contributed to this report.", "Write to Al Root at allen.root@dowjones.example",
    "Have a tip? Amy Kuperinsky may be reached at akuperinsky@news.example.",
    "Follow us on Twitter @Spacedotcom and on Facebook.", "paul.takahashi@chron.example",
    "twitter.com/paultakahashi", "Published 11:11 PM EST Nov 19, 2019",
])
def test_a_story_s_credit_contact_and_time_lines_go(line: str) -> None:
    art = parse_html(page("", f"<p>{line}</p>").replace(f"<p>{P2}</p>", "") + "", "https://city.example/news/a")
    assert line not in art.text and P1 in art.text
    assert any(r.text == line and r.kind == "signoff" for r in art.removed)


def test_a_follow_line_in_the_middle_of_the_story_stays() -> None:
    middle = "Follow the money on Twitter and you will find the same three accounts behind every post."
    blocks = "".join(f"<p>{P1} ({n})</p>" for n in range(6))
    art = parse_html(page(f"<p>{middle}</p>{blocks}"), "https://city.example/news/a")
    assert middle in art.text
