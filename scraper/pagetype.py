"""Is a parsed page an article? A small logistic model over what the parse already knows (pure, cheap).

The crawler meets pages that are not articles behind links that look like ones: listings and section
fronts, forum threads, product pages, service and documentation pages, collections. Their parse has a body
all the same, often a long one, so a text-length floor cannot tell them apart. :func:`article_probability`
weighs a few facts of the :class:`~scraper.article.Article` (what the page declares, the shape of its
paragraphs, how much was removed as related/nav/share, dates and authors, the shape and words of its URL)
with the weights shipped in ``pagetype.json`` beside this module, learned by ``bench/train_pagetype.py`` from
WCXB (Murrough Foley, WCXB (2026), CC-BY-4.0; see the note in that file). A few dozen arithmetic operations
per page, no dependency.
"""

from __future__ import annotations

import functools
import json
import math
import re
from importlib import resources
from urllib.parse import urlsplit

from scraper.article import Article

#: The families of the types ``declared_type`` carries (JSON-LD ``@type`` or og:type, lower case).
_DECLARED_FORUM = frozenset({"discussionforumposting", "socialmediaposting"})
_DECLARED_DOCS = frozenset({"techarticle", "apireference", "scholarlyarticle", "medicalscholarlyarticle"})
_DATE_PATH_RE = re.compile(r"/(?:19|20)\d\d(?:/|-|$)|/(?:19|20)\d\d[01]\d[0-3]\d(?:/|$|\d)")
_NUMERIC_ID_RE = re.compile(r"\d{4,}")
_PRICE_RE = re.compile(r"(?:[$€£¥₹]|Rp\.?|USD|EUR|IDR)\s?\d")
#: Words and word pairs of shop, forum, service pages and of reported speech, looked up in the lower-cased
#: words of the first paragraphs: per paragraph, whether one of each group occurs.
_RATE_WORDS: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (frozenset({"sku", "qty", "quantity", "wishlist"}),
     frozenset({"add to", "in stock", "of stock", "free shipping", "buy now", "customer reviews", "a review",
                "size guide", "to cart"})),
    (frozenset({"replies", "reply", "quote", "posted", "joined", "registered", "member", "moderator", "thread",
                "upvote", "likes", "poster", "posters", "views", "answers", "wrote", "posts"}),
     frozenset({"original poster", "last post", "last edited"})),
    (frozenset({"pricing"}),
     frozenset({"contact us", "get a", "get your", "book a", "book an", "book now", "call us", "call now",
                "call today", "request a", "our team", "our services", "our clients", "our experts", "schedule a",
                "free consultation", "sign up"})),
    (frozenset({"said", "says", "told", "kata", "ujar", "ungkap", "menurut", "jelas", "tutur", "sagte", "dijo"}),
     frozenset({"according to"})),
)
_CODE_ENDS = tuple("{}();=")
_CODE_STARTS = ("$", ">>>", "#include", "import ", "def ", "class ", "npm ", "pip ")
_CODE_INSIDE = ("()", "::", "=>")
RATE_PARAGRAPHS = 40
RATE_CHARS = 400
_SENTENCE_END = (".", "!", "?", "…", "\"", "”", "’", ")", "。", "！", "？", "」")
#: URL path words of pages that are not articles, by type (a path segment equal to one of them).
URL_WORDS: dict[str, frozenset[str]] = {
    "listing": frozenset({"category", "categories", "tag", "tags", "topic", "topics", "section", "sections",
                          "kanal", "indeks", "index", "archive", "archives", "search", "page", "author",
                          "authors", "blog", "news", "latest", "terkini", "berita", "label"}),
    "product": frozenset({"product", "products", "shop", "store", "item", "items", "dp", "buy", "collections",
                          "collection", "catalog", "catalogue", "produk", "cart"}),
    "forum": frozenset({"forum", "forums", "thread", "threads", "community", "discussion", "discussions", "t",
                        "questions", "question", "board", "boards", "viewtopic.php", "showthread.php"}),
    "docs": frozenset({"docs", "doc", "documentation", "help", "support", "api", "reference", "manual", "kb",
                       "wiki", "learn", "guide", "guides", "tutorial", "tutorials", "faq"}),
    "service": frozenset({"services", "service", "pricing", "contact", "about", "solutions", "features",
                          "plans", "locations", "careers", "company", "industries", "layanan"}),
}
#: The feature names, in the order of the weights in ``pagetype.json``.
FEATURES = ("declared_article", "declared_forum", "declared_docs", "log_chars", "log_paragraphs", "log_mean_paragraph",
            "long_share", "sentence_share", "short_share", "headline_rate", "removed_share", "published",
            "authors", "path_depth", "date_in_path", "slug_words", "numeric_id", "url_listing",
            "url_product", "url_forum", "url_docs", "url_service", "root_path", "price_rate", "title_question",
            "title_words", "dateline", "tagged", "log_removed", "shop_rate", "forum_rate", "code_rate",
            "service_rate", "image", "section", "speech_rate", "short_title", "slug_title_overlap",
            "dated_line_share")


def features(article: Article) -> list[float]:
    """The model's inputs for one parsed page (see :data:`FEATURES`)."""
    paras = [p for seg in article.segments for p in seg.paragraphs]
    n = len(paras)
    chars = sum(map(len, paras))
    heads = sum(1 for seg in article.segments if seg.headline)
    boxed = sum(len(r.text) for r in article.removed if r.kind in ("related", "nav", "share", "promo"))
    declared = (article.declared_type or "").lower()
    path = urlsplit(article.url or article.canonical_url or "").path or "/"
    parts = [p for p in path.lower().split("/") if p]
    words = set(parts)
    last = parts[-1] if parts else ""
    title = article.title or ""
    rates = _rates(paras)
    return [
        1.0 if declared and declared not in _DECLARED_FORUM and declared not in _DECLARED_DOCS else 0.0,
        1.0 if declared in _DECLARED_FORUM else 0.0,
        1.0 if declared in _DECLARED_DOCS else 0.0,
        math.log1p(chars) / 10,
        math.log1p(n) / 5,
        math.log1p(chars / n) / 7 if n else 0.0,
        sum(1 for p in paras if len(p) >= 120) / n if n else 0.0,
        sum(1 for p in paras if p.endswith(_SENTENCE_END)) / n if n else 0.0,
        sum(1 for p in paras if len(p) < 40) / n if n else 0.0,
        min(heads / max(n, 1), 1.0),
        boxed / (boxed + chars) if boxed + chars else 0.0,
        1.0 if article.published_at else 0.0,
        1.0 if article.authors else 0.0,
        min(len(parts), 6) / 6,
        1.0 if _DATE_PATH_RE.search(path) else 0.0,
        min(last.count("-") + 1 if last else 0, 12) / 12,
        1.0 if _NUMERIC_ID_RE.search(path) else 0.0,
        *(1.0 if words & URL_WORDS[kind] else 0.0 for kind in ("listing", "product", "forum", "docs", "service")),
        1.0 if not parts else 0.0,
        min(sum(len(_PRICE_RE.findall(p[:2000])) for p in paras[:200]) / max(n, 1), 1.0),
        1.0 if "?" in title else 0.0,
        min(len(title.split()), 30) / 30,
        1.0 if article.dateline else 0.0,
        1.0 if article.tags else 0.0,
        math.log1p(len(article.removed)) / 5,
        *rates[:4],
        1.0 if article.image else 0.0,
        1.0 if article.section else 0.0,
        rates[4],
        1.0 if len(title.split()) <= 3 else 0.0,
        _slug_overlap(last, title),
        sum(1 for p in paras if len(p) < 40 and any(c.isdigit() for c in p)) / n if n else 0.0,
    ]


_WORD_RE = re.compile(r"[^\W_]+")


def _slug_overlap(slug: str, title: str) -> float:
    """Share of the URL slug's words that are words of the title (an article's slug is made from its title;
    a listing's is a section name)."""
    words = [w for w in _WORD_RE.findall(slug) if not w.isdigit()]
    if len(words) < 2:
        return 0.0
    have = set(_WORD_RE.findall(title.lower()))
    return sum(1 for w in words if w in have) / len(words)


def _rates(paras: list[str]) -> list[float]:
    """Per paragraph (of the first RATE_PARAGRAPHS, RATE_CHARS characters each): shop, forum, code, service
    and reported-speech words (plain set lookups: no pattern scans the text)."""
    sample = [p[:RATE_CHARS] for p in paras[:RATE_PARAGRAPHS]]
    n = max(len(sample), 1)
    hits = [0, 0, 0, 0]
    code = 0
    for p in sample:
        toks = _WORD_RE.findall(p.lower())
        words = set(toks)
        pairs = {a + " " + b for a, b in zip(toks, toks[1:], strict=False)}
        for k, (ws, ps) in enumerate(_RATE_WORDS):
            if not words.isdisjoint(ws) or not pairs.isdisjoint(ps):
                hits[k] += 1
        t = p.strip()
        if t.endswith(_CODE_ENDS) or t.startswith(_CODE_STARTS) or any(c in t for c in _CODE_INSIDE):
            code += 1
    shop, forum, service, speech = hits
    return [shop / n, forum / n, code / n, service / n, speech / n]


@functools.lru_cache(maxsize=1)
def model() -> tuple[tuple[float, ...], float, float]:
    """(weights, bias, threshold) from the shipped ``pagetype.json``."""
    data = json.loads(resources.files("scraper").joinpath("pagetype.json").read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError("scraper/pagetype.json was learned for other features")
    return tuple(float(w) for w in data["weights"]), float(data["bias"]), float(data["threshold"])


def article_probability(article: Article) -> float:
    """How likely the page is an article rather than a listing, forum, product, service, documentation or
    collection page (0-1)."""
    weights, bias, _ = model()
    z = bias + sum(w * x for w, x in zip(weights, features(article), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def looks_like_article(article: Article) -> tuple[bool, float]:
    """(is it an article by the model, its probability); the threshold ships with the weights."""
    p = article_probability(article)
    return p >= model()[2], p
