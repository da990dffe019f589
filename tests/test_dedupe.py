"""Content hashes, MinHash signatures and the story-matching rules (pure functions)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from storage import dedupe

SEED = Path("/work/shared/seed/fam68-article.txt")

PARAS = [
    "Kantor Wilayah Imigrasi Banten dan Polda Banten menandatangani perjanjian kerja sama, Selasa (18/11/2025).",
    "Sepanjang 2025 sekitar 104.423 PMI prosedural asal Banten bekerja di luar negeri, kata Kepala Kanwil Sengky.",
    "Jumlah PMI nonprosedural turun 50 persen menjadi 1.242 orang dari 4.000 orang pada 2024.",
    "\"Kami membangun benteng pertahanan terdepan melawan TPPO dan TPPM melalui desa binaan,\" ujar Sengky.",
    "Kapolda Banten Irjen Pol. Hengki menyebut kerja sama ini memperkuat penegakan hukum lintas negara.",
]


def test_content_hash_ignores_case_spacing_and_unicode_forms() -> None:
    base = dedupe.content_hash("Judul Berita", [(None, ["Satu dua  tiga.", "Empat"]), ("Sub", ["Lima"])])
    same = dedupe.content_hash("  judul   BERITA ", [(None, ["satu dua tiga.", "empat\n"]), ("SUB", [" lima"])])
    nfkc = dedupe.content_hash("Judul Berita", [(None, ["Satu dua\u00a0tiga.", "Empat"]), ("Sub", ["Lima"])])
    assert base == same == nfkc
    assert len(base) == 64 and int(base, 16) >= 0


@pytest.mark.parametrize("segments", [
    [(None, ["Satu dua tiga.", "Empat"]), ("Sub", ["Lima", "Enam"])],   # a paragraph added
    [(None, ["Satu dua tiga.", "Empat"]), (None, ["Lima"])],            # headline removed
    [(None, ["Satu dua tiga. Empat"]), ("Sub", ["Lima"])],              # paragraphs joined
    [(None, ["Satu dua tiga.", "Empat"]), ("Sub", ["Lima!"])],          # punctuation changed
])
def test_content_hash_changes_with_the_content(segments: list[tuple[str | None, list[str]]]) -> None:
    base = dedupe.content_hash("Judul", [(None, ["Satu dua tiga.", "Empat"]), ("Sub", ["Lima"])])
    assert dedupe.content_hash("Judul", segments) != base
    assert dedupe.content_hash("Judul lain", [(None, ["Satu dua tiga.", "Empat"]), ("Sub", ["Lima"])]) != base


def test_tokens_split_at_punctuation_and_fold_case() -> None:
    assert dedupe.tokens("FAM68 – Berdasarkan “data” KP3MI, 104.423 PMI (prosedural) ke-2") == [
        "fam68", "berdasarkan", "data", "kp3mi", "104", "423", "pmi", "prosedural", "ke", "2"]


def test_word_hashes_follow_the_words() -> None:
    text = "FAM68 – Berdasarkan “data” KP3MI, 104.423 PMI (prosedural) ke-2 DATA. Été été"
    words = dedupe.tokens(text)
    hashes = dedupe.word_hashes(text)
    assert len(hashes) == len(words) == 13
    by_word: dict[str, int] = {}
    for word, h in zip(words, hashes.tolist(), strict=True):
        assert by_word.setdefault(word, h) == h  # the same word hashes the same wherever it stands
    many = " ".join(f"kata{i} x{i * 7}" for i in range(2000))
    assert len(set(dedupe.word_hashes(many).tolist())) == 4000  # no collisions among distinct words
    assert len(dedupe.word_hashes("")) == 0 and len(dedupe.word_hashes(" – ! ")) == 0
    long_text = "banjir " * 40_000  # longer than the precomputed powers
    assert len(set(dedupe.word_hashes(long_text).tolist())) == 1


def test_facts_numbers_dates_names_and_name_pairs() -> None:
    numbers, names, pairs = dedupe._facts("\n".join(PARAS))
    assert {"=104423", "=1242", "=4000", "=50%", "=18/11/2025"} <= numbers
    assert "2025" not in numbers and "=2025" not in numbers and "=2024" not in numbers  # years say nothing
    assert {"sengky", "hengki", "tppo", "banten"} <= names
    assert "sepanjang" not in names and "jumlah" not in names  # sentence openers are not names
    assert {"kantor wilayah", "wilayah imigrasi", "polda banten", "irjen pol"} <= pairs
    assert "banten sengky" not in pairs  # never across punctuation


def test_seed_article_facts() -> None:
    if not SEED.exists():
        pytest.skip("seed article not available")
    numbers, names, _ = dedupe._facts(SEED.read_text(encoding="utf-8"))
    assert {"=104423", "=1242", "=4000", "=50%"} <= numbers
    assert {"sengky", "kp3mi"} <= names


def test_minhash_estimates_jaccard() -> None:
    rng = np.random.default_rng(5)
    universe = rng.integers(0, 2**63, size=3000, dtype=np.uint64)
    for overlap in (0.2, 0.5, 0.8):
        a = universe[:1000]
        start = int(1000 * (1 - overlap))
        b = universe[start:start + 1000]
        exact = len(set(a.tolist()) & set(b.tolist())) / len(set(a.tolist()) | set(b.tolist()))
        est = float(np.mean(dedupe.minhash(np.unique(a)) == dedupe.minhash(np.unique(b))))
        assert abs(est - exact) < 0.12, (overlap, exact, est)


def test_signatures_are_stable_and_round_trip() -> None:
    f = dedupe.story_features("Judul", [(None, PARAS)], "2025-11-18T03:00:00+00:00")
    g = dedupe.story_features("Judul", [(None, PARAS)], "2025-11-18T03:00:00+00:00")
    assert f.signature is not None and g.signature is not None
    assert np.array_equal(f.signature, g.signature) and f.buckets() == g.buckets() and f.keys() == g.keys()
    assert len(f.buckets()) == dedupe.BANDS
    back = dedupe.StoryFeatures.from_stored(f.signature_blob(), f.features_json())
    assert back.signature is not None and np.array_equal(back.signature, f.signature)
    assert (back.numbers, back.names, back.pairs, back.title_words, back.quotes, back.period, back.n_shingles) == (
        f.numbers, f.names, f.pairs, f.title_words, f.quotes, f.period, f.n_shingles)
    # a known value pins the hash family: changing it would orphan every stored signature
    assert dedupe.story_features("x", [(None, ["satu dua tiga empat"])]).signature is not None
    assert dedupe._h64("kabar") == dedupe._h64("kabar") and dedupe._h64("kabar") != dedupe._h64("Kabar")


def test_empty_text_has_no_signature() -> None:
    f = dedupe.story_features(None, [])
    assert f.signature is None and f.buckets() == [] and f.n_shingles == 0


def test_time_bucket() -> None:
    a = dedupe.time_bucket("2025-11-18T03:00:00+00:00")
    assert dedupe.time_bucket("2025-11-18T23:00:00+00:00") in (a, a + 1)
    assert dedupe.time_bucket(None) == 0 and dedupe.time_bucket("not a date") == 0


def _features(paras: list[str], title: str = "Imigrasi Banten dan Polda Banten Perangi TPPO") -> dedupe.StoryFeatures:
    return dedupe.story_features(title, [(None, paras)], "2025-11-18T03:00:00+00:00")


def test_copies_match_across_sources() -> None:
    orig = _features(PARAS)
    rebrand = _features(["Warga Serang kini mendapat perlindungan tambahan dari dua instansi."] + PARAS)
    trimmed = _features(PARAS[:4])
    assert dedupe.match(orig, rebrand, same_source=False, days=0.1)
    assert dedupe.match(orig, trimmed, same_source=False, days=0.5)
    assert not dedupe.match(orig, rebrand, same_source=False, days=30)  # a month apart: another story


def test_spun_rewrite_matches_on_facts_but_a_look_alike_does_not() -> None:
    orig = _features(PARAS)
    spun = _features([
        "Sebanyak 104.423 pekerja migran asal Banten tercatat berangkat secara prosedural sepanjang tahun ini.",
        "Polda Banten dan Kantor Wilayah Imigrasi Banten meneken kerja sama pada Selasa (18/11/2025).",
        "Kepala Kanwil Sengky mengatakan PMI nonprosedural menyusut 50 persen, dari 4.000 menjadi 1.242 orang.",
        "Irjen Pol. Hengki menilai kerja sama itu menguatkan penegakan hukum lintas negara.",
    ], title="Kerja Sama Imigrasi dan Polda, PMI Ilegal Turun Separuh")
    same_topic = _features([
        "Kantor Wilayah Imigrasi Banten mendeportasi lima WNA di Serang, Kamis (20/11/2025).",
        "Kepala Kanwil Sengky menyebut 312 WNA diperiksa sepanjang 2025 dan 18 persen melanggar izin tinggal.",
        "Kapolda Banten Irjen Pol. Hengki mendukung pengawasan orang asing di Banten.",
    ], title="Imigrasi Banten Deportasi Lima WNA")
    assert dedupe.match(orig, spun, same_source=False, days=0.3)
    assert not dedupe.match(orig, same_topic, same_source=False, days=2.0)
    assert not dedupe.match(orig, spun, same_source=False, days=5.0)  # rewrites come within days


def test_same_source_needs_a_near_identical_text() -> None:
    orig = _features(PARAS)
    trimmed = _features(PARAS[:3])
    assert dedupe.match(orig, trimmed, same_source=False, days=0.1)
    assert not dedupe.match(orig, trimmed, same_source=True, days=0.1)
    assert dedupe.match(orig, _features(PARAS + ["Editor: Redaksi"]), same_source=True, days=0.1)


def test_random_articles_do_not_match() -> None:
    rng = random.Random(3)
    vocab = [f"kata{i}" for i in range(3000)]

    def article() -> dedupe.StoryFeatures:
        return _features([" ".join(rng.choice(vocab) for _ in range(60)) for _ in range(4)], title="Berita")

    items = [article() for _ in range(30)]
    assert not any(dedupe.match(a, b, same_source=False, days=0.0)
                   for i, a in enumerate(items) for b in items[i + 1:])
