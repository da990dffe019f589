"""The head of a page: ``<meta>``, the canonical link, ``<html lang>``, ``<title>`` and the JSON-LD object
of the article, read once into a :class:`Meta` before the body is looked at; and what the page declares
itself to be (:func:`declared_type`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper import rules
from scraper.dom import norm_space

#: Where selectors run: the whole document or one element (the article's region).
Scope = LexborHTMLParser | LexborNode


@dataclass
class Meta:
    """What the head of a page (and its JSON-LD) says, before the body is looked at."""

    props: dict[str, list[str]] = field(default_factory=dict)   # meta name/property/itemprop -> contents
    ld: dict[str, Any] = field(default_factory=dict)            # the article's JSON-LD object
    canonical: str | None = None
    html_lang: str | None = None
    doc_title: str | None = None
    #: The first schema.org Article type of any JSON-LD object, as written (see :func:`declared_type`).
    ld_article_type: str | None = None

    def first(self, *keys: str) -> str | None:
        for k in keys:
            for v in self.props.get(k, ()):
                v = " ".join(v.split())
                if v:
                    return v
        return None

    def all(self, key: str) -> list[str]:
        return [" ".join(v.split()) for v in self.props.get(key, ()) if v.strip()]


def _iter_ld(obj: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 6:
        return
    if isinstance(obj, list):
        for x in obj:
            yield from _iter_ld(x, depth + 1)
    elif isinstance(obj, dict):
        yield obj
        graph = obj.get("@graph")
        if graph is not None:
            yield from _iter_ld(graph, depth + 1)
        main = obj.get("mainEntity")
        if isinstance(main, dict | list):
            yield from _iter_ld(main, depth + 1)


def _ld_types(obj: dict[str, Any]) -> list[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return [t.lower()]
    if isinstance(t, list):
        return [x.lower() for x in t if isinstance(x, str)]
    return []


_META_KEY_ATTRS = frozenset({"property", "name", "itemprop", "http-equiv"})


def read_head(tree: LexborHTMLParser) -> Meta:
    """Collect ``<meta>``, canonical link, ``<html lang>``, ``<title>`` and the article's JSON-LD."""
    meta = Meta()
    props = meta.props
    head = tree.head
    scope: Scope = head if head is not None and head.css_first("meta") is not None else tree
    for node in scope.css("meta, link[rel], title"):
        tag = node.tag
        attrs = node.attributes
        if tag == "meta":
            content = attrs.get("content")
            if content is None:
                continue
            for name, key in attrs.items():          # (a meta has two or three attributes)
                if key and name in _META_KEY_ATTRS:
                    key = key.strip().lower()
                    found = props.get(key)
                    if found is None:
                        props[key] = [content]
                    else:
                        found.append(content)
        elif tag == "link":
            if meta.canonical is None and "canonical" in (attrs.get("rel") or "").lower().split():
                href = (attrs.get("href") or "").strip()
                if href:
                    meta.canonical = href
        elif meta.doc_title is None:
            meta.doc_title = norm_space(node.text()) or None
    root = tree.root
    if root is not None and root.tag == "html":
        lang = root.attributes.get("lang") or root.attributes.get("xml:lang")
        if lang and lang.strip():
            meta.html_lang = lang.strip()
    best: dict[str, Any] | None = None
    best_rank = 99
    ranks = rules.LD_ARTICLE_RANK
    for node in tree.css('script[type="application/ld+json"]'):
        raw = node.text()
        if not raw or len(raw) > 500_000:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            try:  # a common breakage: raw newlines inside strings
                data = json.loads(raw.replace("\n", " ").replace("\r", " "))
            except ValueError:
                continue
        for obj in _iter_ld(data):
            types = _ld_types(obj)
            rank = min((ranks.index(t) for t in types if t in ranks), default=99)
            if rank < 99 and "headline" not in obj and "datePublished" not in obj and types == ["webpage"]:
                rank = 98
            if rank < best_rank:
                best, best_rank = obj, rank
            if meta.ld_article_type is None:
                meta.ld_article_type = _article_type(obj)
    if best is not None:
        meta.ld = best
    return meta


def _article_type(obj: dict[str, Any]) -> str | None:
    """The first ``@type`` of ``obj`` that is schema.org's Article or one of its subtypes, as written
    (without a ``schema:`` or ``https://schema.org/`` prefix)."""
    t = obj.get("@type")
    for name in (t,) if isinstance(t, str) else t if isinstance(t, list) else ():
        if isinstance(name, str):
            name = name.strip().rsplit("/", 1)[-1].rsplit(":", 1)[-1]
            if name.lower() in rules.ARTICLE_LD_TYPES:
                return name
    return None


def declared_type(meta: Meta) -> str | None:
    """What the page says it is: the JSON-LD ``@type`` of its main entity when that is an article type
    (``NewsArticle``, ``ReportageNewsArticle``, ``BlogPosting``...; ``@type`` lists and ``@graph`` read),
    else ``"article"`` for ``og:type`` article, else None."""
    found = (_article_type(meta.ld) if meta.ld else None) or meta.ld_article_type
    if found is None and (meta.first("og:type") or "").lower() == "article":
        return "article"
    return found


def ld_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        return ld_str(value[0])
    if isinstance(value, dict):
        for k in ("name", "url", "@id", "contentUrl"):
            v = value.get(k)
            if isinstance(v, str):
                return v
    return None
