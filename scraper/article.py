"""The parser's output: one article page as plain data (the JSON of ``kabar parse``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: The warning of a page in which no article body was found.
NO_BODY_WARNING = "no article body found"


@dataclass
class Segment:
    """A sub-headline (None for the lead) and the paragraphs under it."""

    headline: str | None
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Removed:
    """One block the cleaner took out, and why (see SPEC.md's ``removed.kind`` table)."""

    kind: str
    text: str


@dataclass
class Article:
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    published_at: str | None = None
    modified_at: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    lang: str | None = None
    image: str | None = None
    dateline: str | None = None
    segments: list[Segment] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    pages: int = 1
    warnings: list[str] = field(default_factory=list)
    path: str | None = None
    #: What the page says it is: the JSON-LD ``@type`` of its main entity (``NewsArticle``, ``Article``,
    #: ``ReportageNewsArticle``, ...) or ``og:type`` (``article``); None when it says nothing. Not in the JSON.
    declared_type: str | None = None

    @property
    def text(self) -> str:
        """Headlines and paragraphs of all segments, one per line."""
        lines: list[str] = []
        for seg in self.segments:
            if seg.headline:
                lines.append(seg.headline)
            lines.extend(seg.paragraphs)
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The object ``kabar parse`` prints, keys in SPEC.md's order."""
        d = asdict(self)
        return {
            "path": self.path,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "published_at": self.published_at,
            "modified_at": self.modified_at,
            "authors": d["authors"],
            "section": self.section,
            "tags": d["tags"],
            "lang": self.lang,
            "image": self.image,
            "dateline": self.dateline,
            "segments": d["segments"],
            "text": self.text,
            "removed": d["removed"],
            "next_pages": d["next_pages"],
            "pages": self.pages,
            "warnings": d["warnings"],
        }
