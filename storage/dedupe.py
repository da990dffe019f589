"""Content hashes and story-cluster features (pure functions, no database).

Two levels of sameness:

* **Identical content** – :func:`content_hash` is the SHA-256 of the normalised title and segments (NFKC,
  case-folded, whitespace collapsed), so re-fetches that differ only in markup, spacing or case hash the same.
* **Same story** – copies of one press release carried by several outlets. :func:`story_features` computes

  - a 128-permutation **MinHash** signature over word 3-gram shingles of the body (one numpy operation:
    universal multiply-shift hashing of the 64-bit shingle hashes), cut into 32 **LSH bands** of 4 rows; two
    texts with shingle Jaccard *J* share at least one band bucket with probability 1-(1-J⁴)³² (≈0.99 at
    J=0.6, ≈0.87 at 0.5, ≈0.23 at 0.3);
  - **rare-token keys** for spun rewrites, which keep only ~20 % of their 3-grams but keep the facts:
    numbers (``104.423``, ``50%``), capitalised names and acronyms, and quoted sentences.

  Band buckets and keys are stored in indexed tables, so finding candidates for a new article is a few
  index look-ups. Every candidate is then *verified* by :func:`match`, which compares the stored features
  (estimated Jaccard/containment from the signatures, shared numbers, names and title words); LSH and keys
  only propose, :func:`match` decides.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
SHINGLE = 3
MASK64 = (1 << 64) - 1

# Matching thresholds (see match()); chosen on fixtures/clusters/labelled.jsonl, see bench/clusters.py.
SHINGLE_CONTAINMENT = 0.5       # share of the smaller text's 3-grams found in the other: a copy
SHINGLE_JACCARD = 0.35          # or this estimated Jaccard
SAME_SOURCE_JACCARD = 0.7       # one outlet re-posting its own story under a new URL: near-identical only
SPUN_MIN_NUMBERS = 2            # a spun rewrite keeps the facts: at least this many shared numbers ...
SPUN_SCORE = 0.45               # ... and this combined score
MAX_DAYS_APART = 7.0            # copies of a story appear within days of each other
KEY_POSTINGS_CAP = 40           # a key carried by more articles than this is not rare: ignored
MIN_SHARED_KEYS = 2             # key candidates must share this many rare keys
MAX_CANDIDATES = 60             # verified per new article (most shared bands/keys first)

_WORD_RE = re.compile(r"\w+")
_SPACE_RE = re.compile(r"\s+")
_NUMBER_RE = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)(\s*(?:%|persen\b))?",
                        re.IGNORECASE)
_CAP_WORD_RE = re.compile(r"\b([A-Z][\w'’-]*[\w])\b")
_QUOTE_RE = re.compile(r"[“\"]([^”\"]{20,400})[”\"]")
_SENTENCE_END = frozenset(".!?:;“\"(—–-•")

# Words that are capitalised for grammar rather than because they name something.
_COMMON_CAPS = frozenset("""
januari februari maret april mei juni juli agustus september oktober november desember
senin selasa rabu kamis jumat sabtu minggu pukul wib wita wit
dia ia kami kita mereka saya anda beliau ini itu namun selain menurut sementara adapun dalam
""".split())

STOPWORDS = frozenset("""
yang dan di ke dari untuk dengan pada dalam ini itu akan juga oleh sebagai tidak ada atau karena telah
sudah bagi para tersebut kata saat lebih bisa agar serta hingga namun menjadi antara secara setelah kepada
bahwa adalah dapat masih belum pun lagi sejak tak jadi kini tengah usai atas bisa akan terhadap melalui
yakni yaitu seperti maupun baik tiap setiap sebuah seorang salah satu dua tiga the of a to in
""".split())


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


# Universal hash family h_i(x) = (a_i * x + b_i) mod 2^64, top 32 bits (multiply-shift); constants derived
# from fixed strings so signatures stay comparable across processes, versions and machines.
_A = np.array([_h64(f"kabar-minhash-a-{i}") | 1 for i in range(NUM_PERM)], dtype=np.uint64)
_B = np.array([_h64(f"kabar-minhash-b-{i}") for i in range(NUM_PERM)], dtype=np.uint64)
_MIX = np.array([_h64(f"kabar-shingle-{i}") | 1 for i in range(SHINGLE)], dtype=np.uint64)
_BAND_MIX = np.uint64(_h64("kabar-band") | 1)

_TOKEN_CACHE: dict[str, int] = {}
_TOKEN_CACHE_MAX = 500_000


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the form hashes and shingles are computed on."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def content_hash(title: str | None, segments: Iterable[tuple[str | None, Sequence[str]]]) -> str:
    """SHA-256 (hex) of the normalised title and segments: equal for re-fetches of unchanged content."""
    h = hashlib.sha256()
    h.update(normalise(title or "").encode("utf-8"))
    for headline, paragraphs in segments:
        h.update(b"\x1e")
        h.update(normalise(headline or "").encode("utf-8"))
        for paragraph in paragraphs:
            h.update(b"\x1f")
            h.update(normalise(paragraph).encode("utf-8"))
    return h.hexdigest()


def tokens(text: str) -> list[str]:
    return _WORD_RE.findall(normalise(text))


def _token_hashes(words: list[str]) -> np.ndarray:
    cache = _TOKEN_CACHE
    if len(cache) > _TOKEN_CACHE_MAX:
        cache.clear()
    out = np.empty(len(words), dtype=np.uint64)
    for i, word in enumerate(words):
        value = cache.get(word)
        if value is None:
            value = cache[word] = _h64(word)
        out[i] = value
    return out


def shingle_hashes(words: list[str]) -> np.ndarray:
    """Distinct 64-bit hashes of the word 3-grams (of the words themselves for very short texts)."""
    th = _token_hashes(words)
    if len(th) < SHINGLE:
        return np.unique(th)
    n = len(th) - SHINGLE + 1
    acc = th[:n] * _MIX[0]
    for i in range(1, SHINGLE):
        acc = acc ^ (th[i:i + n] * _MIX[i])
        acc = acc * _MIX[0]
    return np.unique(acc)


def minhash(shingles: np.ndarray) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint32) of a non-empty set of shingle hashes."""
    values = (_A[:, None] * shingles[None, :] + _B[:, None]) >> np.uint64(32)
    return values.min(axis=1).astype(np.uint32)


def band_buckets(signature: np.ndarray) -> list[int]:
    """One signed 64-bit bucket per band (ROWS signature values hashed together)."""
    rows = signature.astype(np.uint64).reshape(BANDS, ROWS)
    acc = np.zeros(BANDS, dtype=np.uint64)
    for j in range(ROWS):
        acc = (acc ^ rows[:, j]) * _BAND_MIX
    return [_signed(int(v)) for v in acc]


def _numbers(text: str) -> set[str]:
    out: set[str] = set()
    for match in _NUMBER_RE.finditer(text):
        raw, pct = match.group(1), match.group(2)
        if pct:
            out.add(raw.replace(",", ".") + "%")
            continue
        digits = re.sub(r"[.,]", "", raw)
        if len(digits) < 3:
            continue
        if len(raw) == 4 and raw.isdigit() and 1900 <= int(raw) <= 2100:
            continue  # years: shared by every story of the season
        out.add(digits if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw) else raw.replace(",", "."))
    return out


def _names(text: str) -> set[str]:
    """Capitalised words and acronyms that do not open a sentence, lower-cased."""
    out: set[str] = set()
    for match in _CAP_WORD_RE.finditer(text):
        start = match.start()
        before = text[:start].rstrip()
        if not before or before[-1] in _SENTENCE_END:
            continue
        word = unicodedata.normalize("NFKC", match.group(1)).casefold()
        if len(word) < 3 or word in _COMMON_CAPS or word in STOPWORDS:
            continue
        out.add(word)
    return out


def _quotes(text: str) -> set[str]:
    out: set[str] = set()
    for match in _QUOTE_RE.finditer(text):
        quote = " ".join(tokens(match.group(1)))
        if quote.count(" ") >= 4:
            out.add(quote)
    return out


@dataclass
class StoryFeatures:
    """What the cluster index keeps per article (``story_features`` row plus its band/key rows)."""

    signature: np.ndarray | None          # NUM_PERM uint32, None for an empty text
    n_shingles: int
    numbers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    title_words: set[str] = field(default_factory=set)
    quotes: set[str] = field(default_factory=set)

    def buckets(self) -> list[int]:
        return band_buckets(self.signature) if self.signature is not None else []

    def keys(self) -> list[int]:
        """Signed 64-bit keys of the rare-token index (numbers, names, quotes)."""
        items = [f"n:{n}" for n in self.numbers] + [f"p:{p}" for p in self.names] + \
                [f"q:{q}" for q in self.quotes]
        return sorted({_signed(_h64(item)) for item in items})

    def signature_blob(self) -> bytes | None:
        return None if self.signature is None else self.signature.astype("<u4").tobytes()

    def features_json(self) -> str:
        return json.dumps({"n": self.n_shingles, "numbers": sorted(self.numbers), "names": sorted(self.names),
                           "title": sorted(self.title_words), "quotes": sorted(self.quotes)},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_stored(cls, signature: bytes | None, features: str) -> StoryFeatures:
        data = json.loads(features)
        sig = None if signature is None else np.frombuffer(signature, dtype="<u4").astype(np.uint32)
        return cls(signature=sig, n_shingles=int(data.get("n", 0)), numbers=set(data.get("numbers", [])),
                   names=set(data.get("names", [])), title_words=set(data.get("title", [])),
                   quotes=set(data.get("quotes", [])))


def story_features(title: str | None, segments: Sequence[tuple[str | None, Sequence[str]]]) -> StoryFeatures:
    """Features of one article: MinHash of the body's 3-grams plus numbers, names, quotes, title words."""
    body_parts: list[str] = []
    for headline, paragraphs in segments:
        if headline:
            body_parts.append(headline)
        body_parts.extend(paragraphs)
    body = "\n".join(body_parts)
    words = tokens(body) or tokens(title or "")
    signature = None
    n = 0
    if words:
        shingles = shingle_hashes(words)
        n = len(shingles)
        signature = minhash(shingles)
    full = f"{title or ''}\n{body}"
    title_words = {w for w in tokens(title or "") if len(w) >= 3 and w not in STOPWORDS}
    return StoryFeatures(signature=signature, n_shingles=n, numbers=_numbers(full), names=_names(body),
                         title_words=title_words, quotes=_quotes(body))


@dataclass(frozen=True)
class PairScore:
    jaccard: float           # estimated shingle Jaccard
    containment: float       # estimated share of the smaller text's shingles in the other
    shared_numbers: int
    number_overlap: float    # shared / smaller number set
    name_jaccard: float
    title_jaccard: float
    quote_shared: int

    @property
    def spun_score(self) -> float:
        """Combined evidence for a rewrite: facts first, then names, title words and leftover 3-grams."""
        return (0.45 * self.number_overlap + 0.2 * self.name_jaccard + 0.2 * self.title_jaccard
                + 0.15 * min(1.0, self.jaccard / 0.2))


def _jac(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def score(a: StoryFeatures, b: StoryFeatures) -> PairScore:
    jac = cont = 0.0
    if a.signature is not None and b.signature is not None:
        jac = float(np.count_nonzero(a.signature == b.signature)) / NUM_PERM
        small = min(a.n_shingles, b.n_shingles)
        if small:
            cont = min(1.0, jac * (a.n_shingles + b.n_shingles) / ((1.0 + jac) * small))
    shared = len(a.numbers & b.numbers)
    smaller = min(len(a.numbers), len(b.numbers))
    return PairScore(jaccard=jac, containment=cont, shared_numbers=shared,
                     number_overlap=shared / smaller if smaller else 0.0,
                     name_jaccard=_jac(a.names, b.names), title_jaccard=_jac(a.title_words, b.title_words),
                     quote_shared=len(a.quotes & b.quotes))


def days_apart(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    try:
        return abs((datetime.fromisoformat(a) - datetime.fromisoformat(b)).total_seconds()) / 86400.0
    except ValueError:
        return None


def match(a: StoryFeatures, b: StoryFeatures, *, same_source: bool, days: float | None = None) -> bool:
    """Do two articles carry the same story?

    * published more than ``MAX_DAYS_APART`` days apart (when both dates are known): no;
    * the same outlet: only a near-identical re-post (estimated Jaccard ≥ ``SAME_SOURCE_JACCARD``) – an outlet's
      different stories on one topic share wording and names, so nothing looser is trusted within a source;
    * copies (verbatim, re-branded, trimmed or extended): shingle containment or Jaccard over the thresholds;
    * spun rewrites: at least ``SPUN_MIN_NUMBERS`` shared numbers and a combined score ≥ ``SPUN_SCORE``.
    """
    if days is not None and days > MAX_DAYS_APART:
        return False
    s = score(a, b)
    if same_source:
        return s.jaccard >= SAME_SOURCE_JACCARD
    if s.containment >= SHINGLE_CONTAINMENT or s.jaccard >= SHINGLE_JACCARD:
        return True
    return s.shared_numbers >= SPUN_MIN_NUMBERS and s.spun_score >= SPUN_SCORE
