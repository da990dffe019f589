"""The demo site's data: constants, the article records and the loaders of the bundled article files
(``scraper/demo_site/articles.txt`` and ``bantenpos.txt``, package data)."""

from __future__ import annotations

import copy
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from typing import Any

FAM68 = "fam68-demo"
BANTENPOS = "bantenpos-demo"
SOURCES = (FAM68, BANTENPOS)

WIB = timezone(timedelta(hours=7), "WIB")
SECTIONS: dict[str, str] = {
    "pemerintahan": "Pemerintahan",
    "hukum": "Hukum",
    "ekonomi": "Ekonomi",
    "pendidikan": "Pendidikan",
    "olahraga": "Olahraga",
    "kesehatan": "Kesehatan",
}
AUTHORS = ("Rina Marlina", "Dedi Supriatna", "Ahmad Fauzi", "Yuni Kartika", "Bagus Pranoto", "Redaksi FAM68")
BANTENPOS_AUTHORS = ("Tim Redaksi", "Hendra Gunadi", "Lina Marliana")
FIRST_DAY = datetime(2025, 5, 1, tzinfo=WIB)
SITE_EPOCH = datetime(2025, 4, 1, 9, 0, tzinfo=WIB)  # Last-Modified of pages that never change
PER_PAGE = 10
FEED_SIZE = 20
SITEMAP_SPLIT = 40  # post-sitemap.xml holds the oldest 40 articles, post-sitemap2.xml the rest
FEED_TRACKING = "utm_source=feed&utm_medium=rss"
PREVIEW_QUERY = "preview=true"
STATIC_PAGES: dict[str, tuple[str, str]] = {
    "/redaksi/": ("Redaksi", "FAM68 dikelola oleh tim redaksi kecil di Kota Serang. Pemimpin redaksi, redaktur "
                  "pelaksana dan para reporter bertugas di Serang, Cilegon, Pandeglang, Lebak dan Tangerang."),
    "/pedoman-media-siber/": ("Pedoman Media Siber", "Redaksi FAM68 berpedoman pada Pedoman Pemberitaan Media "
                              "Siber. Koreksi dan hak jawab dapat dikirim melalui halaman kontak."),
    "/kontak/": ("Kontak", "Kirim informasi, koreksi dan hak jawab kepada redaksi melalui surel "
                 "redaksi@fam68.example."),
}

_HTML = "text/html; charset=UTF-8"
_XML = "application/xml; charset=UTF-8"
_RSS = "application/rss+xml; charset=UTF-8"
_TEXT = "text/plain; charset=utf-8"


@dataclass
class DemoSection:
    headline: str
    paragraphs: list[str]


@dataclass
class DemoArticle:
    """One article of the demo site. Texts are stored without their brand dateline."""

    source: str
    post_id: int
    slug: str
    section: str
    title: str
    tags: list[str]
    lead: str
    sections: list[DemoSection]
    published: datetime
    modified: datetime
    author: str
    amp: bool = False
    page_break: int | None = None  # index of the first section shown on page 2
    draft: bool = False
    signoff: str | None = None
    origin: str | None = None  # FAM68 slug this article copies (BANTENPOS only)
    copy_mode: str | None = None  # "verbatim" | "rewrite"

    @property
    def path(self) -> str:
        prefix = "/bantenpos" if self.source == BANTENPOS else ""
        return f"{prefix}/{self.published:%Y}/{self.published:%m}/{self.slug}/"

    @property
    def amp_path(self) -> str | None:
        return self.path + "amp/" if self.amp else None

    @property
    def page2_path(self) -> str | None:
        return self.path + "2/" if self.page_break is not None else None

    @property
    def public_path(self) -> str:
        """The path listings link to: drafts are only reachable as a preview."""
        return self.path + "?" + PREVIEW_QUERY if self.draft else self.path

    def expected_segments(self) -> list[tuple[str | None, list[str]]]:
        """The clean segments a parser should produce: no dateline, no sign-off, no promo."""
        return [(None, [self.lead])] + [(s.headline, list(s.paragraphs)) for s in self.sections]

    @property
    def text(self) -> str:
        return "\n".join(line for head, paras in self.expected_segments()
                         for line in ([head] if head else []) + paras)

    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime  # UTC, whole seconds
    status: int = 200
    location: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # path plus query, as requested
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _read_data(name: str) -> str:
    return resources.files("scraper").joinpath("demo_site", name).read_text(encoding="utf-8")


def _parse_blocks(text: str) -> list[dict[str, Any]]:
    """Split articles.txt-style data into blocks (see the comment at the top of articles.txt)."""
    blocks: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("=== "):
            fields = [f.strip() for f in line[4:].split("|")]
            flags: dict[str, str] = {}
            for tok in (fields[2] if len(fields) > 2 else "").split():
                key, _, value = tok.partition("=")
                flags[key] = value
            cur = {"slug": fields[0], "section": fields[1], "flags": flags, "title": None, "tags": [],
                   "lead": None, "sections": [], "page_break": None}
            blocks.append(cur)
            continue
        if cur is None or not line:
            continue  # file comments before the first block, blank lines
        if line.startswith("## "):
            cur["sections"].append(DemoSection(line[3:].strip(), []))
        elif line.startswith("# "):
            cur["title"] = line[2:].strip()
        elif line.startswith("~ "):
            cur["tags"] = [t.strip() for t in line[2:].split(",") if t.strip()]
        elif line == "%% page":
            cur["page_break"] = len(cur["sections"])
        elif not cur["sections"] and cur["lead"] is None:
            cur["lead"] = line
        elif cur["sections"]:
            cur["sections"][-1].paragraphs.append(line)
        else:
            raise ValueError(f"demo data: block {cur['slug']!r} has a second paragraph before its first section")
    return blocks


def _signoff(author: str) -> str:
    initials = "".join(w[0] for w in author.lower().split())[:3]
    return f"({author.split()[0][:3].lower()}/{initials})"


def _fam68_articles() -> list[DemoArticle]:
    blocks = _parse_blocks(_read_data("articles.txt"))
    section_order = list(SECTIONS)
    per_section: dict[str, int] = {}
    out: list[DemoArticle] = []
    for b in blocks:
        if b["section"] not in SECTIONS:
            raise ValueError(f"demo data: unknown section {b['section']!r} in {b['slug']!r}")
        flags = b["flags"]
        crc = _crc(b["slug"])
        if "draft" in flags:
            day = 70  # after every published article
        else:
            i = per_section.get(b["section"], 0)
            per_section[b["section"]] = i + 1
            day = 6 * i + section_order.index(b["section"])
        published = FIRST_DAY + timedelta(days=day, hours=6 + crc % 13, minutes=(crc >> 8) % 60,
                                          seconds=(crc >> 16) % 60)
        author = AUTHORS[(crc >> 4) % len(AUTHORS)]
        out.append(DemoArticle(
            source=FAM68, post_id=0, slug=b["slug"], section=b["section"], title=b["title"], tags=b["tags"],
            lead=b["lead"], sections=b["sections"], published=published,
            modified=published + timedelta(minutes=5 + crc % 170), author=author, amp="amp" in flags,
            page_break=b["page_break"], draft="draft" in flags,
            signoff=_signoff(author) if "signoff" in flags else None))
    out.sort(key=lambda a: a.published)
    for n, art in enumerate(out):
        art.post_id = 4101 + n
    return out


def _bantenpos_articles(fam68: list[DemoArticle]) -> list[DemoArticle]:
    by_slug = {a.slug: a for a in fam68}
    out: list[DemoArticle] = []
    for b in _parse_blocks(_read_data("bantenpos.txt")):
        flags = b["flags"]
        crc = _crc(b["slug"])
        author = BANTENPOS_AUTHORS[crc % len(BANTENPOS_AUTHORS)]
        if "copy" in flags:
            orig = by_slug[flags["copy"]]
            mode = flags["mode"]
            published = orig.published + timedelta(hours=int(flags["delay"]), minutes=crc % 50)
            sections = copy.deepcopy(orig.sections)
            title, lead = orig.title, orig.lead
            if mode == "rewrite":
                title, lead = b["title"], b["lead"]
                sections[-1].paragraphs.pop()  # the trimmed last paragraph
            elif mode != "verbatim":
                raise ValueError(f"demo data: unknown copy mode {mode!r}")
            out.append(DemoArticle(
                source=BANTENPOS, post_id=0, slug=b["slug"], section=b["section"], title=title,
                tags=list(orig.tags), lead=lead, sections=sections, published=published, modified=published,
                author=author, signoff=orig.signoff if mode == "verbatim" else None, origin=orig.slug,
                copy_mode=mode))
        else:
            published = datetime.fromisoformat(flags["at"]).replace(tzinfo=WIB)
            out.append(DemoArticle(
                source=BANTENPOS, post_id=0, slug=b["slug"], section=b["section"], title=b["title"],
                tags=b["tags"], lead=b["lead"], sections=b["sections"], published=published,
                modified=published + timedelta(minutes=12), author=author))
    out.sort(key=lambda a: a.published)
    for n, art in enumerate(out):
        art.post_id = 9101 + n
    return out


# --------------------------------------------------------------------------------------------------
# rendering helpers

