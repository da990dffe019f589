"""Represent the story, not the page: page furniture out of an article's lines (pure functions, no database).

Two kinds of knowledge, both line by line:

* **Rules** that hold for any outlet: "Baca juga" lines and the related titles under them, "SCROLL TO CONTINUE",
  advertisement slots, photo credits and captions, editor/reporter sign-offs, share and tag lists, date stamps,
  and short menu-like lines (a few words, no sentence punctuation). :func:`strip_dateline` removes the
  "SURABAYA, Brand –" / "Jakarta (brand.com) -" opening of a paragraph, which differs between copies.
* **Per-source templates** learned from the archive: a line an outlet prints under several of its articles
  (a tagline, a footer, a standing related-news box) is the outlet's, not the story's. :func:`line_key` is the
  hash such lines are counted by (:class:`SourceTemplates` holds the counts of one source; the store keeps them in
  a table), and :func:`story_lines` drops the lines the source repeats.

The same knowledge serves the extraction code (a boilerplate line is boilerplate for both).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from storage.util import squash_spaces

MAX_LINE = 4000                 # characters of one line looked at (untrusted input stays bounded)
MIN_WORDS = 6                   # a line shorter than this is furniture unless it reads as a sentence
MIN_SENTENCE_WORDS = 4          # ... which needs this many words and sentence punctuation at its end
TEMPLATE_MIN_ARTICLES = 2       # a line repeated under this many of a source's articles is its template
TEMPLATE_MIN_WORDS = 3          # lines shorter than this are left to the rules
TEMPLATE_MAX_WORDS = 40         # ... and longer ones are story text (menus, taglines, footers are shorter):
                                # not counted, which keeps source_lines small and the save path fast

_FURNITURE_RE = re.compile(
    r"^\W{0,3}(?:baca(?:\s+(?:juga|pula|lainnya|selengkapnya|berita))?\b|lihat\s+juga|simak(?:\s+juga)?\b|"
    r"artikel\s+terkait|berita\s+(?:terkait|lainnya|terkini|pilihan|populer)|beritalainnya|beritaterkini|"
    r"scroll\s+(?:to|untuk|ke)|advertisement|iklan\b|ads\b|loading|load\s+more|editor\s*:|penulis\s*:|"
    r"reporter\s*:|pewarta\s*:|laporan\s*:|sumber\s*:|foto\s*:|photo\s*:|kredit\s+foto|tags?\s*:|topik\s*:|"
    r"share\b|bagikan|ikuti\s+(?:kami|kanal|berita)|dapatkan\s+(?:aplikasi|update|berita)|halaman\s*:|"
    r"copyright|hak\s+cipta|©|video\s+pilihan|hot\s+issue|infografis|terverifikasi|waktu\s+baca|"
    r"date\s+\d{4}-\d{2}-\d{2}\s*$)", re.IGNORECASE)
_DATE_STAMP_RE = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\s+")
_RELATED_HEAD_RE = re.compile(r"^\W{0,3}(?:baca(?:\s+juga)?|artikel\s+terkait|berita\s+terkait|lihat\s+juga)\W{0,3}$",
                              re.IGNORECASE)
_CAPTION_RE = re.compile(r"(?:\bfoto\s*:|\bfoto/|/foto\b|\(foto\b|\bilustrasi\b|/instagram\b|\bdok\.|"
                         r"\bist(?:imewa)?\)|^\W*\(?[a-z]{2,4}/[a-z]{2,4}\)?\W*$)", re.IGNORECASE)
_SENTENCE_END_CHARS = frozenset(".!?\"”’)")
# "SURABAYA, Lenzanasional – ", "Surabaya (beritajatim.com) ", "Jakarta, CNBC Indonesia - ", "KOMPAS.com - "
_DATELINE_RE = re.compile(
    r"^\s*(?:[A-Z][\w.'/]*(?:\s+[A-Z][\w.'/]*){0,3}\s*(?:,\s*[\w.'/ ]{1,40}?\s*)?(?:\([^()\n]{1,40}\)\s*)?"
    r"|[\w.]+\.(?:com|id|co\.id|net)\s*)[-–—:|]\s+")
_DATELINE_SEPARATORS = "-–—:|"           # _DATELINE_RE needs one of them
_DATELINE_PAREN_RE = re.compile(r"^\s*[A-Z][\w.'/]*(?:\s+[A-Z][\w.'/]*){0,3}\s*\([^()\n]{1,40}\)\s+(?=[A-Z])")


def line_key(line: str) -> int:
    """Signed 64-bit hash of a line's normalised words: what a source's repeated lines are counted by."""
    norm = squash_spaces(unicodedata.normalize("NFKC", line[:MAX_LINE]).casefold())
    value = int.from_bytes(hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest(), "little")
    return (value - (1 << 64) if value >= 1 << 63 else value) or 1      # 0 is a source's article count


def strip_dateline(line: str) -> str:
    """The paragraph without its dateline/brand opening ("SURABAYA, Brand – ", "Surabaya (brand.com) ")."""
    # (each pattern needs a character most lines lack: the separator, the bracket; memchr before the regex)
    m = ((_DATELINE_RE.match(line) if any(c in line for c in _DATELINE_SEPARATORS) else None)
         or (_DATELINE_PAREN_RE.match(line) if "(" in line else None))
    if m and len(m.group(0).split()) <= 8 and len(line) > len(m.group(0)) + 20:
        return line[m.end():]
    return line


def _ends_sentence(text: str) -> bool:
    """Does the last character that is not white space end a sentence (``.!?"”’)``)?"""
    end = text.rstrip()[-1:]
    return bool(end) and end in _SENTENCE_END_CHARS


def _may_be_caption(text: str) -> bool:
    """False when ``_CAPTION_RE`` cannot match: an ASCII line without any of its words or a slash (an
    unanchored case-blind search is costly per character; a non-ASCII line is always searched, as case-blind
    matching lets "ı" and "ſ" stand for "i" and "s")."""
    if "/" in text or not text.isascii():
        return True
    low = text.lower()
    return "foto" in low or "ilustrasi" in low or "dok." in low or "ist" in low


def is_furniture(line: str) -> bool:
    """Does a line belong to the page rather than the story (by rules that hold for any outlet)?"""
    text = line[:MAX_LINE].strip()
    if not text or _FURNITURE_RE.match(text):
        return True
    words = text.split(maxsplit=25)     # (the word counts below only matter up to 25)
    if len(words) < MIN_WORDS and not (len(words) >= MIN_SENTENCE_WORDS and _ends_sentence(text)):
        return True
    if len(words) < 25 and _may_be_caption(text) and _CAPTION_RE.search(text):
        return True
    # a heading or a related title: Title Case, no sentence punctuation
    if len(words) <= 16 and not _ends_sentence(text):
        caps = sum(1 for w in words if w[:1].isupper() or w[:1].isdigit())
        if caps >= 0.7 * len(words):
            return True
    return False


@dataclass
class SourceTemplates:
    """How many of one source's articles carry each line (by :func:`line_key`): its template lines."""

    counts: dict[int, int] = field(default_factory=dict)

    def learn(self, keys: Iterable[int]) -> None:
        for key in set(keys):
            self.counts[key] = self.counts.get(key, 0) + 1

    def is_template(self, key: int) -> bool:
        return self.counts.get(key, 0) >= TEMPLATE_MIN_ARTICLES


def template_keys(lines: Iterable[str]) -> list[int]:
    """The keys of the lines whose length a source's template lines have (counted per source)."""
    return sorted({line_key(line) for line in lines
                   if TEMPLATE_MIN_WORDS <= len(line.split(maxsplit=TEMPLATE_MAX_WORDS)) <= TEMPLATE_MAX_WORDS})


def split_lines(paragraphs: Sequence[str]) -> list[str]:
    """Every non-empty line of the paragraphs, a leading ``date YYYY-MM-DD`` stamp removed, bounded in size."""
    out: list[str] = []
    for paragraph in paragraphs:
        for line in paragraph.splitlines():
            line = _DATE_STAMP_RE.sub("", line[:MAX_LINE]).strip()
            if line:
                out.append(line)
    return out


def story_lines(lines: Sequence[str], templates: SourceTemplates | Mapping[int, int] | None = None) -> list[str]:
    """The lines that carry the story: furniture, the related titles under a "Baca juga" head and the source's
    template lines out, datelines stripped."""
    counts = templates.counts if isinstance(templates, SourceTemplates) else (templates or {})
    out: list[str] = []
    skip_next = False
    for line in lines:
        if _RELATED_HEAD_RE.match(line):
            skip_next = True          # the related title is the next line
            continue
        if skip_next:
            skip_next = False
            if not _ends_sentence(line) or len(line.split(maxsplit=16)) <= 16:
                continue
        if is_furniture(line):
            continue
        if counts and counts.get(line_key(line), 0) >= TEMPLATE_MIN_ARTICLES:
            continue
        out.append(strip_dateline(line))
    return out
