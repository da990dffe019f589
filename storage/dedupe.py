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
from itertools import compress
from operator import not_
from typing import Any

import numpy as np

from storage.util import read_time, squash_spaces

NUM_PERM = 128
BANDS = 16                      # LSH bands over the first BANDS * ROWS signature values
ROWS = 4
SHINGLE = 3
MASK64 = (1 << 64) - 1

# Matching thresholds (see match()); chosen on fixtures/clusters/labelled.jsonl, see bench/clusters.py.
# There, copies score Jaccard >= 0.71 / containment >= 0.91 and the closest different stories 0.29 / 0.45;
# spun rewrites share >= 3 numbers covering >= 0.75 of the smaller set, negatives at most 0.67 (with no shared
# names) or 0.5 (with names).
SHINGLE_JACCARD = 0.5
SHINGLE_CONTAINMENT = 0.65      # share of the smaller text's 3-grams found in the other
MIN_SHINGLES_CONTAINMENT = 20   # containment of a tiny text says little
SAME_SOURCE_JACCARD = 0.7       # one outlet re-posting its own story under a new URL: near-identical only
SPUN_MIN_NUMBERS = 3
SPUN_NUMBER_OVERLAP = 0.7
SPUN_PAIR_OVERLAP = 0.3
SPUN_NAME_JACCARD = 0.25
SPUN_MAX_DAYS = 3.0
MAX_DAYS_APART = 7.0            # copies of a story appear within days of each other
KEY_POSTINGS_CAP = 40           # a key carried by more articles than this is not rare: ignored
MIN_SHARED_KEYS = 2             # key candidates must share this many rare keys
MAX_CANDIDATES = 60             # verified per new article (most shared bands/keys first)
KEY_BUCKET_DAYS = 4             # band buckets and rare keys are indexed per period of this many days
BAND_PERIODS = -(-int(MAX_DAYS_APART) // KEY_BUCKET_DAYS)  # periods each side searched for band candidates
KEY_PERIODS = 1                 # periods each side searched for fact-key candidates (spun rewrites: days)
MAX_KEYS = 16                   # rare keys indexed per article

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


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: the form hashes and shingles are computed on."""
    return squash_spaces(unicodedata.normalize("NFKC", text).casefold())


def _word_breaks() -> dict[int, str]:
    """Punctuation, symbols and separators of Latin-1 and General Punctuation -> space (see tokens())."""
    table: dict[int, str] = {}
    for cp in [*range(0x21, 0x100), *range(0x2000, 0x2070), 0x3000]:
        if unicodedata.category(chr(cp))[0] in "PSZC":
            table[cp] = " "
    return table


_BREAKS = _word_breaks()


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


def word_text(text: str) -> str:
    """``text`` as :func:`tokens` and :func:`word_hashes` read it: NFKC, case-folded, punctuation -> space."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_BREAKS)


def tokens(text: str) -> list[str]:
    """The words of ``text``, normalised: split at whitespace and punctuation (10x faster than ``\\w+``)."""
    return word_text(text).split()


_POLY = 0x100000001B3                        # odd: invertible modulo 2^64
_POLY_INV = pow(_POLY, -1, 1 << 64)
_POWERS: list[np.ndarray] = []               # [P^k, P^-k] for k < current size, grown on demand


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    if not _POWERS or len(_POWERS[0]) < n:
        size = max(n, 65536)
        _POWERS[:] = [np.cumprod(np.concatenate((np.ones(1, dtype=np.uint64), np.full(size - 1, p, dtype=np.uint64))),
                                 dtype=np.uint64) for p in (_POLY, _POLY_INV)]
        assert int(_POWERS[0][5]) == pow(_POLY, 5, 1 << 64)
        assert int(_POWERS[0][7]) * int(_POWERS[1][7]) % (1 << 64) == 1
    return _POWERS[0], _POWERS[1]


def word_hashes(text: str) -> np.ndarray:
    """64-bit hashes of the words of ``text`` (the words of :func:`tokens`), in order, computed at once.

    Each word's UTF-8 bytes are hashed as a polynomial modulo 2^64 read off prefix sums (no Python loop
    over words), then mixed (splitmix64 finaliser) so that nearby words get unrelated hashes.
    """
    return word_text_hashes(word_text(text))


def word_text_hashes(norm: str) -> np.ndarray:
    """:func:`word_hashes` of a text already in its :func:`word_text` form."""
    data = np.frombuffer(f" {norm} ".encode(), dtype=np.uint8)
    is_word = data != 32
    edges = np.flatnonzero(is_word[1:] != is_word[:-1]) + 1
    if len(edges) == 0:
        return np.zeros(0, dtype=np.uint64)
    starts, ends = edges[0::2], edges[1::2]
    power, inverse = _powers(len(data) + 1)
    prefix = np.zeros(len(data) + 1, dtype=np.uint64)
    np.cumsum((data.astype(np.uint64) + np.uint64(1)) * power[:len(data)], dtype=np.uint64, out=prefix[1:])
    h = (prefix[ends] - prefix[starts]) * inverse[starts]
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def shingle_hashes(th: np.ndarray) -> np.ndarray:
    """Distinct 64-bit hashes of the word 3-grams of word hashes ``th`` (of the words for very short texts)."""
    if len(th) < SHINGLE:
        return np.unique(th)
    n = len(th) - SHINGLE + 1
    acc = th[:n] * _MIX[0]
    for i in range(1, SHINGLE):
        acc = acc ^ (th[i:i + n] * _MIX[i])
        acc = acc * _MIX[0]
    acc.sort()
    return distinct_sorted(acc)


def first_of_runs(sorted_values: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts (a boolean mask)."""
    mask = np.empty(len(sorted_values), dtype=bool)
    mask[:1] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=mask[1:])
    return mask


def distinct_sorted(values: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array (``np.unique`` of it, without its overhead: 5x faster at
    article size)."""
    return values if len(values) < 2 else values[first_of_runs(values)]


def minhash(shingles: np.ndarray) -> np.ndarray:
    """The MinHash signature (NUM_PERM uint32) of a non-empty set of shingle hashes."""
    values = _A[:, None] * shingles[None, :]
    values += _B[:, None]
    # min of the full 64-bit values, then its top 32 bits: the same as the min of the top bits, one pass less
    return (values.min(axis=1) >> np.uint64(32)).astype(np.uint32)


def band_buckets(signature: np.ndarray) -> list[int]:
    """One signed 64-bit bucket per band (ROWS signature values hashed together)."""
    rows = signature[:BANDS * ROWS].astype(np.uint64).reshape(BANDS, ROWS)
    acc = np.zeros(BANDS, dtype=np.uint64)
    for j in range(ROWS):
        acc = (acc ^ rows[:, j]) * _BAND_MIX
    return [int(v) for v in acc.view(np.int64).tolist()]


_STRIP = "".join(chr(c) for c in _BREAKS if chr(c) not in "%") + "%"
_STRIPPED = frozenset(_STRIP)   # (str.strip(_STRIP) scans its ~200 characters for each end character)
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
_DECIMAL_RE = re.compile(r"\d+(?:[.,]\d+)?")
_DATE_RE = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?")
_NUMBER_SPLIT_RE = re.compile(r"[–—-]")


def _number_key(word: str, percent: bool) -> str | None:
    """One number as a fact: ``104.423`` -> ``104423``, ``1,2`` -> ``1.2``, ``50`` + ``persen`` -> ``50%``,
    ``19/11/2025`` -> ``19/11/2025``. Single digits and years (shared by every story of the season) -> None.
    A leading ``=`` marks a strong number (three digits or more, a separator, a percentage or a date): rare
    enough to look candidates up by."""
    date = _DATE_RE.fullmatch(word)
    if date:
        day, month, year = date.groups()
        return f"={int(day)}/{int(month)}" + (f"/{year}" if year else "")
    if _THOUSANDS_RE.fullmatch(word):
        value, strong = word.replace(".", "").replace(",", ""), True
    elif _DECIMAL_RE.fullmatch(word):
        value = word.replace(",", ".")
        strong = "." in value
    else:
        return None
    if percent:
        return f"={value}%"
    digits = sum(c.isdigit() for c in value)
    if digits < 2 or (len(value) == 4 and value.isdigit() and 1900 <= int(value) <= 2100):
        return None
    return f"={value}" if strong or digits >= 3 else value


def _is_name(low: str) -> bool:
    return len(low) >= 3 and low not in _COMMON_CAPS and low not in STOPWORDS


def _facts(text: str) -> tuple[set[str], set[str], set[str]]:
    """Numbers, names and name pairs of a text, in one pass over its whitespace-separated words.

    Names are capitalised words and acronyms that do not open a sentence (or a quote), lower-cased, without
    the grammar words of ``_COMMON_CAPS``/``STOPWORDS``. Name pairs are two capitalised words in a row
    (``hendra saputra``, ``desa cibentang``), wherever they stand.
    """
    numbers: set[str] = set()
    names: set[str] = set()
    pairs: set[str] = set()
    for line in text.splitlines():
        raw = line.split()
        n = len(raw)
        last_i, last_cap = -2, ""
        # only words with a capital, a digit or punctuation first matter: pick them in C, skip the rest
        for i in compress(range(n), map(not_, map(str.islower, raw))):
            token = raw[i]
            word = token.strip(_STRIP) if token[0] in _STRIPPED or token[-1] in _STRIPPED else token
            if not word:
                continue
            first = word[0]
            if first.isdigit():
                percent = token.rstrip(_STRIP[:-1]).endswith("%") or (
                    i + 1 < n and raw[i + 1].casefold().startswith("persen"))
                for piece in _NUMBER_SPLIT_RE.split(word):
                    key = _number_key(piece, percent) if piece else None
                    if key:
                        numbers.add(key)
            elif first.isupper():
                low = word.casefold() if word.isascii() else unicodedata.normalize("NFKC", word).casefold()
                if _is_name(low):
                    if i == 0:
                        opens = True
                    else:
                        prev = raw[i - 1]
                        end = prev[-1]
                        # "Pol.", "Dr.", "H." are abbreviations before a name, not the end of a sentence
                        opens = end in _SENTENCE_END and not (end == "." and len(prev) <= 4 and prev[0].isupper())
                    if not opens and token[0] not in "“\"‘'(":
                        names.add(low)
                    if last_i == i - 1 and last_cap:
                        pairs.add(f"{last_cap} {low}")
                    # a pair never spans punctuation: "Bogor, Hendra" is not a name
                    last_i, last_cap = i, (low if word == token else "")
    return numbers, names, pairs


def _quotes(text: str) -> set[str]:
    out: set[str] = set()
    for match in _QUOTE_RE.finditer(text):
        quote = " ".join(tokens(match.group(1)))
        if quote.count(" ") >= 4:
            out.add(quote)
    return out


def _timestamp(when: str | None) -> float | None:
    """Seconds since the epoch of an ISO time, None when missing or unreadable."""
    moment = read_time(when)
    return None if moment is None else moment.timestamp()


def time_bucket(when: str | None, period_days: float = KEY_BUCKET_DAYS) -> int:
    """The ``period_days``-day period of an ISO time (0 when unknown): the story index is keyed by it, so
    look-ups name a few periods and a key's postings stay short however big the archive."""
    moment = _timestamp(when)
    return 0 if moment is None else int(moment // (period_days * 86400))


def periods_within(when: str | None, days: float, period_days: float = KEY_BUCKET_DAYS) -> range:
    """The time_bucket() periods that the window of ``days`` either side of ``when`` touches."""
    moment = _timestamp(when)
    if moment is None:
        return range(0, 1)
    reach, length = days * 86400, period_days * 86400
    return range(int((moment - reach) // length), int((moment + reach) // length) + 1)


@dataclass
class StoryFeatures:
    """What the cluster index keeps per article (``story_features`` row plus its band/key rows)."""

    signature: np.ndarray | None          # NUM_PERM uint32, None for an empty text
    n_shingles: int
    numbers: set[str] = field(default_factory=set)     # "=..." marks strong numbers (see _number_key)
    names: set[str] = field(default_factory=set)
    pairs: set[str] = field(default_factory=set)
    title_words: set[str] = field(default_factory=set)
    quotes: set[str] = field(default_factory=set)
    period: int = 0                                      # time_bucket() the index rows are under
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def buckets(self) -> list[int]:
        """One signed 64-bit bucket per LSH band (none for an empty text); computed once."""
        got = self._memo.get("buckets")
        if got is None:
            got = self._memo["buckets"] = band_buckets(self.signature) if self.signature is not None else []
        return got

    def key_items(self) -> list[str]:
        """The rare-token facts candidates are looked up by, at most ``MAX_KEYS``: quoted sentences, strong
        numbers, then name pairs, the longest (rarest-looking) first.

        Single names are left out: a region's officials and institutions appear in every story about it, so
        they would propose many candidates and decide none; they only weigh in :func:`match`.
        """
        ranked = sorted([(0, f"q:{q}") for q in self.quotes] + [(1, n) for n in self.numbers if n.startswith("=")]
                        + [(2, f"p:{p}") for p in self.pairs], key=lambda x: (x[0], -len(x[1]), x[1]))
        return [item for _, item in ranked[:MAX_KEYS]]

    def keys(self) -> list[int]:
        """Signed 64-bit hashes of :meth:`key_items` (indexed under the article's ``period``); computed once."""
        got = self._memo.get("keys")
        if got is None:
            got = self._memo["keys"] = sorted({_signed(_h64(item)) for item in self.key_items()})
        return got

    def band_keys(self) -> list[int]:
        """``story_index`` keys of the LSH band buckets: made even (fact keys are odd, one table)."""
        return [b & ~1 for b in self.buckets()]

    def fact_keys(self) -> list[int]:
        """``story_index`` keys of the rare facts: made odd."""
        return [k | 1 for k in self.keys()]

    def index_keys(self) -> list[int]:
        """Every ``story_index`` key of the article."""
        return self.band_keys() + self.fact_keys()

    def signature_blob(self) -> bytes | None:
        return None if self.signature is None else self.signature.astype("<u4").tobytes()

    def set_period(self, period: int) -> None:
        """Index under ``period`` (the stored form, which records it, is computed again)."""
        if period != self.period:
            self.period = period
            self._memo.pop("json", None)

    def features_json(self) -> str:
        got = self._memo.get("json")
        if got is None:
            got = self._memo["json"] = self._json()
        return got

    def _json(self) -> str:
        return json.dumps({"n": self.n_shingles, "numbers": sorted(self.numbers), "names": sorted(self.names),
                           "pairs": sorted(self.pairs), "title": sorted(self.title_words),
                           "quotes": sorted(self.quotes), "period": self.period},
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_stored(cls, signature: bytes | None, features: str) -> StoryFeatures:
        data = json.loads(features)
        sig = None if signature is None else np.frombuffer(signature, dtype="<u4").astype(np.uint32)
        return cls(signature=sig, n_shingles=int(data.get("n", 0)), numbers=set(data.get("numbers", [])),
                   names=set(data.get("names", [])), pairs=set(data.get("pairs", [])),
                   title_words=set(data.get("title", [])), quotes=set(data.get("quotes", [])),
                   period=int(data.get("period", 0)))


def story_features(title: str | None, segments: Sequence[tuple[str | None, Sequence[str]]],
                   when: str | None = None) -> StoryFeatures:
    """Features of one article: MinHash of the body's 3-grams plus numbers, names, quotes, title words.

    ``when`` (ISO time: publication, else first seen) sets the time bucket its rare keys are indexed in."""
    body_parts: list[str] = []
    headlines: list[str] = []
    for headline, paragraphs in segments:
        if headline:
            body_parts.append(headline)
            headlines.append(headline)
        body_parts.extend(paragraphs)
    body = "\n".join(body_parts)
    prose = "\n".join(p for _, paragraphs in segments for p in paragraphs)
    words = word_hashes(body)
    if not len(words):
        words = word_hashes(title or "")
    signature = None
    n = 0
    if len(words):
        shingles = shingle_hashes(words)
        n = len(shingles)
        signature = minhash(shingles)
    numbers, names, pairs = _facts(prose)  # names from paragraphs only: headlines are Title Case
    numbers |= _facts("\n".join([title or "", *headlines]))[0]
    title_words = {w for w in tokens(title or "") if len(w) >= 3 and w not in STOPWORDS}
    return StoryFeatures(signature=signature, n_shingles=n, numbers=numbers, names=names, pairs=pairs,
                         title_words=title_words, quotes=_quotes(prose), period=time_bucket(when))


@dataclass(frozen=True)
class PairScore:
    jaccard: float           # estimated shingle Jaccard
    containment: float       # estimated share of the smaller text's shingles in the other
    shared_numbers: int
    number_overlap: float    # shared / smaller number set
    strong_numbers: int      # shared strong numbers
    name_jaccard: float
    pair_overlap: float      # shared name pairs / smaller set
    title_jaccard: float
    quote_shared: int


def _jac(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / min(len(a), len(b)) if a and b else 0.0


def score(a: StoryFeatures, b: StoryFeatures) -> PairScore:
    jac = cont = 0.0
    if a.signature is not None and b.signature is not None:
        jac = float(np.count_nonzero(a.signature == b.signature)) / NUM_PERM
        small = min(a.n_shingles, b.n_shingles)
        if small:
            cont = min(1.0, jac * (a.n_shingles + b.n_shingles) / ((1.0 + jac) * small))
    shared = a.numbers & b.numbers
    return PairScore(jaccard=jac, containment=cont, shared_numbers=len(shared),
                     number_overlap=_overlap(a.numbers, b.numbers),
                     strong_numbers=sum(1 for n in shared if n.startswith("=")),
                     name_jaccard=_jac(a.names, b.names), pair_overlap=_overlap(a.pairs, b.pairs),
                     title_jaccard=_jac(a.title_words, b.title_words), quote_shared=len(a.quotes & b.quotes))


def days_apart(a: str | None, b: str | None) -> float | None:
    first, second = read_time(a), read_time(b)
    if first is None or second is None:
        return None
    return abs((first - second).total_seconds()) / 86400.0


def match(a: StoryFeatures, b: StoryFeatures, *, same_source: bool, days: float | None = None) -> bool:
    """Do two articles carry the same story? (thresholds chosen on fixtures/clusters/labelled.jsonl with
    wide margins; bench/clusters.py prints the per-pair numbers.)

    * published more than ``MAX_DAYS_APART`` days apart (when both dates are known): no;
    * the same outlet: only a near-identical re-post (estimated Jaccard ≥ ``SAME_SOURCE_JACCARD``). An outlet's
      different stories on one topic share wording, names and template figures, so nothing looser is
      trusted within a source (an identical text under a new URL is an alias before it gets here);
    * copies (verbatim, re-branded, trimmed or extended): shingle Jaccard ≥ ``SHINGLE_JACCARD`` or
      containment ≥ ``SHINGLE_CONTAINMENT`` (the smaller text having at least ``MIN_SHINGLES_CONTAINMENT``);
    * spun rewrites keep the facts: within ``SPUN_MAX_DAYS``, at least ``SPUN_MIN_NUMBERS`` shared numbers
      covering ``SPUN_NUMBER_OVERLAP`` of the smaller set, confirmed by the same people and places (name pairs
      or names).
    """
    if days is not None and days > MAX_DAYS_APART:
        return False
    s = score(a, b)
    if same_source:
        return s.jaccard >= SAME_SOURCE_JACCARD
    if s.jaccard >= SHINGLE_JACCARD:
        return True
    if s.containment >= SHINGLE_CONTAINMENT and min(a.n_shingles, b.n_shingles) >= MIN_SHINGLES_CONTAINMENT:
        return True
    if days is not None and days > SPUN_MAX_DAYS:
        return False
    return (s.shared_numbers >= SPUN_MIN_NUMBERS and s.number_overlap >= SPUN_NUMBER_OVERLAP
            and (s.pair_overlap >= SPUN_PAIR_OVERLAP or s.name_jaccard >= SPUN_NAME_JACCARD))
