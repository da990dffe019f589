"""The story model: what an article says, how alike two articles are, and which clusters a new one joins.

Pure code, no database (the store keeps the pieces: :class:`Story` as JSON, document frequencies in a table).

* :func:`story_of` represents the **story, not the page**: the lines of :func:`storage.templates.story_lines`
  (furniture and the source's template lines out, datelines stripped), then

  - the **content words** with their counts (case-folded words of 3+ letters, no digits, no grammar words);
  - what spinners cannot change: **numbers** (``104.423``, ``50%``, dates), **names** (capitalised words that do
    not open a sentence) and **quoted speech**;
  - the word 3-gram hashes, for **containment** (share of the smaller text's 3-grams in the other), which
    recognises a verbatim copy however much furniture or extra text the other page has.

* :func:`compare` scores a pair: TF-IDF cosine of the content words (document frequencies from the archive,
  :class:`DocFreq`), IDF-weighted overlap of numbers and of names, shared quotes, containment; :func:`similarity`
  folds them into one number and :func:`same_story` decides. The weights and the threshold were learned on
  ``../shared/corpus/syndication-dev`` (bench/cluster_model.py reports leave-one-topic-out figures and the
  precision/recall curve).
* :func:`choose_clusters` is the merge rule that does not chain: a new article joins a cluster only when it is
  like the cluster's members on average (not through its one nearest member), and two clusters are merged
  through it only when both hold it that way; the smaller cluster id wins (SPEC).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from storage import dedupe
from storage.templates import SourceTemplates, split_lines, story_lines

MIN_WORD = 3
MAX_TERMS = 250                 # distinct content words kept per article (the most frequent)

SET_PRIOR = 3.0                 # idf units added to the union of two number/name sets (_weighted_jaccard)
MIN_CONTAINMENT_SHINGLES = 30   # containment of a tiny text says little
SAME_SOURCE_COPY = 0.8          # containment of a re-post within one source
CONFLICT_NUMBERS = 3            # both texts give this many figures and share none: different stories
                                # (syndication-dev: 2 of 109 same-story pairs, 282 of 829 same-topic others)


@dataclass(frozen=True)
class Weights:
    """The decision rule's weights and thresholds, learned on syndication-dev (bench/cluster_model.py)."""

    containment: float = 0.25   # times sqrt(3-gram containment)
    numbers: float = 0.5
    numbers_base: float = 0.3
    names: float = 0.1
    names_base: float = 0.0
    quotes: float = 0.0
    title_conflict: float = 0.2  # both titles give figures, none shared (never in syndication-dev's stories)
    days: float = 0.05          # per day apart beyond the first (a prior: the dev set is all one day)
    threshold: float = 0.6      # similarity() at or above: the same story
    copy: float = 0.5           # 3-gram containment at or above: a copy, whatever the rest says


WEIGHTS = Weights()
CLUSTER_SUPPORT = 0.5           # share of a cluster's members an article must be the same story as

STOPWORDS = dedupe.STOPWORDS | frozenset("""
adalah akan atau bagi bahwa banyak beberapa belum berbagai bersama bisa buat cukup dalam demikian dengan
dia diri dimana dua hal hanya harus hari ini itu jika juga kami kamu kapan karena katanya kemudian kepada
ketika kita lain lalu lebih maka mana masih mau memang mereka misalnya mulai namun nanti oleh pada para
pernah pula punya saat saja sama sampai sangat satu sebab sebelum sedang sehingga sekitar selama seluruh
semua sendiri sering siapa sudah supaya tahun tanpa tapi tentang terus tetapi waktu yang ujar ungkap jelas
tutur imbuh tambah sebut kata mengatakan menyampaikan menjelaskan mengungkapkan menambahkan menyebutkan
""".split())


def term_key(term: str) -> int:
    """The signed 64-bit key of one content word (``story_terms`` rows, :attr:`Story.keys`; never 0): its
    :func:`storage.dedupe.word_hashes` hash (a word the hasher would split is hashed whole)."""
    hashes = dedupe.word_hashes(term).view(np.int64)
    if len(hashes) == 1:
        return int(hashes[0]) or 1
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little", signed=True) or 1


def term_keys(terms: Sequence[str]) -> np.ndarray:
    """:func:`term_key` of each word, at once (int64)."""
    hashes = dedupe.word_hashes(" ".join(terms)).view(np.int64) if terms else _EMPTY_KEYS
    if len(hashes) != len(terms):                   # a word the hasher splits: each on its own
        return np.fromiter(map(term_key, terms), dtype=np.int64, count=len(terms))
    return np.where(hashes == 0, 1, hashes)


_term_key = functools.lru_cache(maxsize=65_536)(term_key)   # names and numbers, looked up again and again
_EMPTY_KEYS = np.zeros(0, dtype=np.int64)


def counted_term(term: str) -> bool:
    """Is ``term`` one the document frequencies count? Numbers and multi-word names never are."""
    return bool(term) and " " not in term and not term[0].isdigit()


_ARRAYS = ("keys", "counts", "shingles")      # Story's arrays, pickled as bytes
_PACKED = "ndarray"
_STORED = {"keys": "<i8", "counts": "<u2", "shingles": "<u4"}   # the arrays' dtypes in story_docs blobs


@dataclass(eq=False)
class Story:
    """One article's story representation.

    The content words are kept as their keys (:func:`term_key`, sorted) and counts: what comparisons and the
    document frequencies need, stored as a compact blob (:meth:`terms_blob`); ``terms`` holds the words
    themselves only when the story was computed here (not when read back)."""

    keys: np.ndarray = field(default_factory=lambda: _EMPTY_KEYS)    # content word keys, int64, sorted
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint16))  # aligned with keys
    numbers: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    quotes: frozenset[str] = frozenset()
    shingles: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))  # 3-gram hashes, sorted
    heads: frozenset[str] = frozenset()          # the title's strong numbers (not dates)
    terms: dict[str, int] = field(default_factory=dict, compare=False)   # word -> count, when computed here
    _tf: np.ndarray | None = field(default=None, repr=False, compare=False)
    _json: str | None = field(default=None, repr=False, compare=False)
    _weighted: tuple[int, int, np.ndarray, float] | None = field(default=None, repr=False, compare=False)
    _terms_blob: bytes | None = field(default=None, repr=False, compare=False)    # set when unpickled
    _shingle_blob: bytes | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a worker's story sent to the writer) without the words themselves and cached weights,
        the arrays as their bytes: numpy's own pickling costs ~6 us an array each way, the bytes ~0.3."""
        state = dict(self.__dict__)
        state["terms"], state["_weighted"], state["_tf"] = {}, None, None   # tf: cheaper to recompute
        state["_terms_blob"] = state["_shingle_blob"] = None                    # the arrays' bytes say it
        for name in _ARRAYS:
            value = state.get(name)
            if isinstance(value, np.ndarray) and value.ndim == 1:
                state[name] = (_PACKED, value.dtype.str, value.tobytes())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        raw: dict[str, bytes] = {}
        for name in _ARRAYS:
            value = state.get(name)
            if type(value) is tuple and len(value) == 3 and value[0] == _PACKED:
                state[name] = np.frombuffer(value[2], dtype=np.dtype(value[1])).copy()
                if value[1] == _STORED[name]:
                    raw[name] = value[2]
        self.__dict__.update(state)
        if "keys" in raw and "counts" in raw:      # already the stored form: the writer does not redo it
            self._terms_blob = raw["keys"] + raw["counts"]
        if "shingles" in raw:
            self._shingle_blob = raw["shingles"]

    @classmethod
    def of_terms(cls, terms: Mapping[str, int], **facts: Any) -> Story:
        """A story from its content words and counts (and the other fields)."""
        if not terms:
            return cls(terms=dict(terms), **facts)
        raw = term_keys(list(terms))
        order = raw.argsort(kind="stable")          # np.unique(raw, return_index=True), without its overhead
        sorted_raw = raw[order]
        firsts = dedupe.first_of_runs(sorted_raw)
        keys, first = sorted_raw[firsts], order[firsts]
        counts = np.fromiter(terms.values(), dtype=np.int64, count=len(terms))
        if len(keys) != len(raw):                   # two words with one key (2^-64 odds): counted together
            summed = np.zeros(len(keys), dtype=np.int64)
            np.add.at(summed, np.searchsorted(keys, raw), counts)
            picked = summed
        else:
            picked = counts[first]
        return cls(keys=keys, counts=np.minimum(picked, 65_535).astype(np.uint16), terms=dict(terms), **facts)

    def tf(self) -> np.ndarray:
        """The content words' tf weights ``1 + log(count)``, aligned with :attr:`keys` (once)."""
        if self._tf is None:
            self._tf = 1.0 + np.log(self.counts.astype(np.float64))
        return self._tf

    def weights(self, df: DocFreq) -> tuple[np.ndarray, float]:
        """The tf-idf weights under ``df`` and their norm (kept for the next comparison with the same ``df``
        as long as it has not grown)."""
        got = self._weighted
        if got is not None and got[0] == id(df) and got[1] == df.n:
            return got[2], got[3]
        w = self.tf() * df.idf_keys(self.keys)
        norm = float(np.sqrt(w @ w)) or 1.0
        self._weighted = (id(df), df.n, w, norm)
        return w, norm

    def precompute(self) -> Story:
        """Everything derived from the story alone, computed now (in a worker, off the writing process)."""
        self.tf()
        if self._json is None:
            self._json = self.to_json()
        return self

    def to_json(self) -> str:
        """Numbers, names, quotes and the title's numbers (the content words are :meth:`terms_blob`)."""
        if self._json is not None:
            return self._json
        return json.dumps({"n": sorted(self.numbers), "c": sorted(self.names), "q": sorted(self.quotes),
                           "h": sorted(self.heads)}, ensure_ascii=False, separators=(",", ":"))

    def terms_blob(self) -> bytes:
        """The content words as stored: the keys (int64) then the counts (uint16), little-endian."""
        if self._terms_blob is not None:
            return self._terms_blob
        return self.keys.astype(_STORED["keys"]).tobytes() + self.counts.astype(_STORED["counts"]).tobytes()

    def shingle_blob(self) -> bytes:
        if self._shingle_blob is not None:
            return self._shingle_blob
        return self.shingles.astype(_STORED["shingles"]).tobytes()

    @classmethod
    def from_stored(cls, data: str, shingles: bytes | None, terms: bytes | None) -> Story:
        d = json.loads(data)
        sh = np.frombuffer(shingles, dtype="<u4").astype(np.uint32) if shingles else np.zeros(0, dtype=np.uint32)
        keys, counts = _EMPTY_KEYS, np.zeros(0, dtype=np.uint16)
        if terms:
            n = len(terms) // 10
            keys = np.frombuffer(terms, dtype="<i8", count=n).astype(np.int64)
            counts = np.frombuffer(terms, dtype="<u2", offset=8 * n, count=n).astype(np.uint16)
        return cls(keys=keys, counts=counts, numbers=frozenset(d.get("n", [])), names=frozenset(d.get("c", [])),
                   quotes=frozenset(d.get("q", [])), shingles=sh, heads=frozenset(d.get("h", [])))


def content_counts(text: str) -> Counter[str]:
    """The content words of ``text`` (case-folded words of ``MIN_WORD``+ letters, not starting with a digit,
    no grammar words) with their counts, in first-seen order: the words counted first, then filtered."""
    return _content_counts(dedupe.tokens(text))


def _content_counts(words: list[str]) -> Counter[str]:
    counts = Counter(words)
    for word in counts.keys() & STOPWORDS:        # (deleting keys keeps the others' order)
        del counts[word]
    for word in [w for w in counts if len(w) < MIN_WORD or w[0].isdigit()]:
        del counts[word]
    return counts


def story_of(title: str | None, paragraphs: Sequence[str], templates: SourceTemplates | None = None, *,
             lines: Sequence[str] | None = None) -> Story:
    """The story of an article: its title and paragraphs with the page furniture out (see module doc).
    ``lines``: ``split_lines([title or "", *paragraphs])`` when the caller has it already."""
    all_lines = split_lines([title or "", *paragraphs]) if lines is None else lines
    lines = story_lines(all_lines, templates)
    if not lines:                                   # all furniture by the rules: better the page than nothing
        lines = all_lines
    body = "\n".join(lines)
    norm = dedupe.word_text(body)                   # normalised once, for the words and the 3-grams
    counts: Mapping[str, int] = _content_counts(norm.split())
    if len(counts) > MAX_TERMS:                     # the most frequent, ties in first-seen order
        counts = dict(sorted(counts.items(), key=_COUNT, reverse=True)[:MAX_TERMS])   # (= most_common)
    numbers, names, _pairs = dedupe._facts(body)
    heads = frozenset(n for n in dedupe._facts(title or "")[0] if n.startswith("=") and "/" not in n)
    return Story.of_terms(counts, numbers=frozenset(numbers), names=frozenset(names),
                          quotes=frozenset(dedupe._quotes(body)),
                          shingles=_shingles_of(dedupe.word_text_hashes(norm)), heads=heads)


_COUNT = operator.itemgetter(1)


class DocFreq:
    """Document frequencies of content words in the archive: ``n`` documents, ``df[key]`` holding a word
    (keyed by :func:`term_key`; a mapping given by words is keyed here).

    The inverse document frequency is smoothed towards a young archive's ignorance: with few documents every
    word counts about the same, and it sharpens as the archive grows (``PRIOR_DOCS`` pseudo-documents that
    hold no word)."""

    PRIOR_DOCS = 20

    def __init__(self, n: int = 0, df: Mapping[Any, int] | None = None) -> None:
        self.n = n
        self.df: dict[int, int] = {(_term_key(k) if isinstance(k, str) else int(k)): v
                                   for k, v in (df or {}).items()}

    def add(self, story: Story) -> None:
        self.n += 1
        df = self.df
        for key in story.keys.tolist():
            df[key] = df.get(key, 0) + 1

    def count_of(self, term: str) -> int:
        return self.df.get(_term_key(term), 0) if counted_term(term) else 0

    def idf(self, term: str) -> float:
        return math.log((self.n + self.PRIOR_DOCS + 1) / (self.count_of(term) + 1))

    def idfs(self, terms: Iterable[str]) -> list[float]:
        """:meth:`idf` of each of ``terms``, in order."""
        return [self.idf(t) for t in terms]

    def idf_keys(self, keys: np.ndarray) -> np.ndarray:
        """The idf of each key of ``keys``, at once."""
        counts = np.fromiter(map(self.df.get, keys.tolist(), itertools.repeat(0)), dtype=np.float64,
                             count=len(keys))
        return np.log((self.n + self.PRIOR_DOCS + 1) / (counts + 1.0))


def cosine(a: Story, b: Story, df: DocFreq) -> float:
    (wa, na), (wb, nb) = a.weights(df), b.weights(df)
    _shared, ia, ib = np.intersect1d(a.keys, b.keys, assume_unique=True, return_indices=True)
    return float(wa[ia] @ wb[ib]) / (na * nb)


def _shingles(body: str) -> np.ndarray:
    """The distinct word 3-gram hashes of a text, their top 32 bits (collisions are rare at article size)."""
    return _shingles_of(dedupe.word_hashes(body))


def _shingles_of(word_hashes: np.ndarray) -> np.ndarray:
    # shingle_hashes is sorted and distinct, so are its top bits once runs of equal ones are merged
    return dedupe.distinct_sorted((dedupe.shingle_hashes(word_hashes) >> np.uint64(32)).astype(np.uint32))


def containment(a: Story, b: Story) -> float:
    small = min(len(a.shingles), len(b.shingles))
    if not small:
        return 0.0
    return len(np.intersect1d(a.shingles, b.shingles, assume_unique=True)) / small


def _weighted_jaccard(a: Iterable[str], b: Iterable[str], df: DocFreq) -> float:
    """IDF-weighted Jaccard of two sets, shrunk by ``SET_PRIOR`` idf units: two stories sharing their only
    number are less alike than two sharing ten, and the numbers one has and the other lacks count against.
    -1 when either set is empty (nothing to compare)."""
    sa, sb = set(a), set(b)
    if not sa or not sb:
        return -1.0
    union = sa | sb
    idf = dict(zip(union, df.idfs(union), strict=True))
    shared = sum(idf[x] for x in sa & sb)
    return shared / (sum(idf.values()) + SET_PRIOR)


@dataclass(frozen=True)
class Comparison:
    """Why two articles are (not) the same story: the parts of :func:`similarity`."""

    cosine: float
    containment: float
    numbers: float                # IDF-weighted Jaccard of the numbers (_weighted_jaccard)
    names: float                  # ... of the names
    quotes: int                   # quoted sentences in common
    shared_numbers: tuple[str, ...]
    shared_names: tuple[str, ...]
    shared_quotes: tuple[str, ...]
    small: int = 0                # 3-grams of the smaller text
    title_conflict: bool = False  # both titles give figures and share none
    number_conflict: bool = False  # both texts give CONFLICT_NUMBERS numbers and share none
    days: float | None = None     # days between the publications (None: unknown)

    @property
    def score(self) -> float:
        return similarity(self)

    def as_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 3), "title_conflict": self.title_conflict,
                "number_conflict": self.number_conflict, "days": self.days, "cosine": round(self.cosine, 3),
                "containment": round(self.containment, 3), "numbers": round(self.numbers, 3),
                "names": round(self.names, 3), "shared_numbers": list(self.shared_numbers),
                "shared_names": list(self.shared_names), "shared_quotes": list(self.shared_quotes)}


def compare(a: Story, b: Story, df: DocFreq, days: float | None = None) -> Comparison:
    na, nb = {x.lstrip("=") for x in a.numbers}, {x.lstrip("=") for x in b.numbers}
    nums = sorted(na & nb)
    return Comparison(cosine=cosine(a, b, df), containment=containment(a, b),
                      numbers=_weighted_jaccard(na, nb, df),
                      names=_weighted_jaccard(a.names, b.names, df), quotes=len(a.quotes & b.quotes),
                      shared_numbers=tuple(nums), shared_names=tuple(sorted(a.names & b.names)),
                      shared_quotes=tuple(sorted(a.quotes & b.quotes)),
                      small=min(len(a.shingles), len(b.shingles)),
                      title_conflict=bool(a.heads and b.heads and not a.heads & b.heads), days=days,
                      number_conflict=_number_conflict(na, nb))


def _number_conflict(a: set[str], b: set[str]) -> bool:
    """Both give ``CONFLICT_NUMBERS`` figures (dates aside: one day's stories share them) and none agree."""
    fa, fb = {x for x in a if "/" not in x}, {x for x in b if "/" not in x}
    return min(len(fa), len(fb)) >= CONFLICT_NUMBERS and not fa & fb


def similarity(c: Comparison, w: Weights | None = None) -> float:
    """Content-word cosine plus the square root of the 3-gram containment, the number and name Jaccards
    and shared quotes (two at most), weighted. A Jaccard counts from its base: two stories that both give
    figures but not the same ones are less alike for it; when one has none, it does not count. Titles with
    figures none of which agree, and every day apart after the first, count against."""
    w = w or WEIGHTS
    numbers = w.numbers * (c.numbers - w.numbers_base) if c.numbers >= 0 else 0.0
    names = w.names * (c.names - w.names_base) if c.names >= 0 else 0.0
    late = w.days * max(0.0, c.days - 1.0) if c.days is not None else 0.0
    return (c.cosine + w.containment * math.sqrt(c.containment) + numbers + names + w.quotes * min(c.quotes, 2)
            - w.title_conflict * c.title_conflict - late)


def is_copy(c: Comparison, w: Weights | None = None, *, same_source: bool = False) -> bool:
    """A copy (verbatim, re-branded, trimmed): most of the smaller text's 3-grams are in the other (within one
    source, nearly all: a re-post), and the figures are not in conflict (a template filled with other
    figures, such as a daily price report, is another story)."""
    need = SAME_SOURCE_COPY if same_source else (w or WEIGHTS).copy
    return c.containment >= need and c.small >= MIN_CONTAINMENT_SHINGLES and not c.number_conflict


def same_story(c: Comparison, *, same_source: bool = False, w: Weights | None = None) -> bool:
    """The decision: a copy, or (from another source, figures not in conflict) a similarity at or above the
    threshold. One outlet's different stories on one topic share its wording, names and template figures, so
    within a source only a re-post counts."""
    w = w or WEIGHTS
    if is_copy(c, w, same_source=same_source):
        return True
    return not same_source and not c.number_conflict and similarity(c, w) >= w.threshold


@dataclass(frozen=True)
class Link:
    """A new article compared with one member of a candidate cluster."""

    member: int
    score: float
    same: bool


def supported(links: Sequence[Link], size: int, support: float = CLUSTER_SUPPORT) -> bool:
    """Is the article the same story as at least ``support`` of a cluster's ``size`` members (those not
    compared count as unlike)?"""
    hits = sum(1 for link in links if link.same)
    return hits > 0 and hits >= support * max(size, len(links))


def choose_clusters(links: Mapping[int, Sequence[Link]], sizes: Mapping[int, int],
                    alike: Callable[[int, int], bool], support: float = CLUSTER_SUPPORT) -> list[int]:
    """The clusters a new article joins, best first: the article's links to the compared members of each
    candidate cluster, each cluster's size, and ``alike(a, b)``: are members ``a`` and ``b`` the same story?

    The article joins the supported cluster it is most like (mean score). Another supported cluster is merged
    in only when its members are also the same story as the members of every cluster already chosen (by the
    same support): one article like two stories does not join them. The caller keeps the smallest id."""
    ranked = sorted((c for c, ls in links.items() if supported(ls, sizes.get(c, len(ls)), support)),
                    key=lambda c: (-sum(link.score for link in links[c]) / len(links[c]), c))
    chosen: list[int] = []
    for cluster in ranked:
        mine = [link.member for link in links[cluster]]
        if all(_clusters_alike(mine, [link.member for link in links[other]], alike, support) for other in chosen):
            chosen.append(cluster)
    return chosen


def _clusters_alike(a: Sequence[int], b: Sequence[int], alike: Callable[[int, int], bool], support: float) -> bool:
    pairs = [(x, y) for x in a for y in b]
    return bool(pairs) and sum(1 for x, y in pairs if alike(x, y)) >= support * len(pairs)
