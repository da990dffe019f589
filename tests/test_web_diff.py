"""The sentence alignment behind the story page's diff (scraper.web.diff): pure functions."""

from __future__ import annotations

import time

from scraper.web import diff

EARLIEST = ("Gubernur Banten meresmikan jembatan baru di Serang. Jembatan sepanjang 120 meter itu menelan "
            "biaya Rp 45 miliar.\nWarga menyambut gembira. Peresmian dihadiri 300 warga.")


def kinds(lines: list[diff.Line]) -> list[tuple[str, str]]:
    return [(line.kind, line.text) for line in lines]


def test_sentences_split_on_sentence_ends_and_lines() -> None:
    assert diff.sentences(EARLIEST) == [
        "Gubernur Banten meresmikan jembatan baru di Serang.",
        "Jembatan sepanjang 120 meter itu menelan biaya Rp 45 miliar.",
        "Warga menyambut gembira.", "Peresmian dihadiri 300 warga."]
    assert diff.sentences('Ia berkata, "Selesai!" Lalu pergi.') == ['Ia berkata, "Selesai!"', "Lalu pergi."]
    assert diff.sentences(None) == [] and diff.sentences("  \n ") == []


def test_identical_texts_share_every_sentence() -> None:
    lines = diff.align(diff.sentences(EARLIEST), diff.sentences(EARLIEST))
    assert [line.kind for line in lines] == ["shared"] * 4


def test_a_spun_rewrite_is_shared_reworded_added_and_dropped() -> None:
    copy = ("Gubernur Banten meresmikan jembatan baru di Serang. Jembatan dengan panjang 120 meter tersebut "
            "menelan biaya Rp 45 miliar.\nAcara ini juga dihadiri Bupati Serang. Warga menyambut gembira.")
    lines = diff.align(diff.sentences(EARLIEST), diff.sentences(copy))
    assert kinds(lines) == [
        ("shared", "Gubernur Banten meresmikan jembatan baru di Serang."),
        ("reworded", "Jembatan dengan panjang 120 meter tersebut menelan biaya Rp 45 miliar."),
        ("added", "Acara ini juga dihadiri Bupati Serang."),
        ("shared", "Warga menyambut gembira."),
        ("dropped", "Peresmian dihadiri 300 warga."),
    ]
    reworded = lines[1]
    assert reworded.original == "Jembatan sepanjang 120 meter itu menelan biaya Rp 45 miliar."
    assert reworded.share is not None and 0.5 <= reworded.share < 1
    assert ("del", "sepanjang") in reworded.words and ("ins", "dengan panjang") in reworded.words
    assert ("same", "menelan biaya Rp 45 miliar.") in reworded.words
    assert diff.summary(lines) == {"shared": 2, "reworded": 1, "added": 1, "dropped": 1}


def test_a_moved_sentence_is_still_shared_and_a_weak_match_is_added() -> None:
    earliest = ["Satu dua tiga empat.", "Lima enam tujuh delapan.", "Sembilan sepuluh sebelas."]
    copy = ["Lima enam tujuh delapan.", "Satu dua tiga empat.", "Sembilan kata lain sama sekali."]
    lines = diff.align(earliest, copy)
    assert [line.kind for line in lines].count("shared") == 2
    # 1 word of 5 in common: below REWORDED_SHARE, so added (and the original dropped)
    assert ("added", "Sembilan kata lain sama sekali.") in kinds(lines)
    assert ("dropped", "Sembilan sepuluh sebelas.") in kinds(lines)


def test_compare_is_plain_data() -> None:
    out = diff.compare(EARLIEST, EARLIEST.replace("300", "400"))
    assert out["counts"] == {"shared": 3, "reworded": 1, "added": 0, "dropped": 0}
    assert out["lines"][3]["kind"] == "reworded" and out["lines"][3]["original"] == "Peresmian dihadiri 300 warga."


def test_work_is_bounded_for_huge_inputs() -> None:
    text = " ".join(f"Kalimat nomor {i} berisi kata acak {i * 7}." for i in range(50_000))
    t0 = time.perf_counter()
    out = diff.compare(text, text[::-1])
    assert time.perf_counter() - t0 < 10
    assert sum(out["counts"].values()) <= 2 * diff.MAX_SENTENCES
