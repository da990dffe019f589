"""The story model (storage/story.py, storage/templates.py) and its evaluation on syndication-dev."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from bench_modules import bench_module

from storage import story, templates

ROOT = Path(__file__).resolve().parent.parent
ITEMS = ROOT.parent / "shared" / "corpus" / "syndication-dev" / "items.jsonl"

RELEASE = [
    "SURABAYA, Lenzanasional – Polrestabes Surabaya meluncurkan program Patroli 97 Jogoboyo untuk menekan "
    "kejahatan malam hari mulai pukul 24.00 hingga 05.00 WIB, Selasa (7/1/2025).",
    "Kapolrestabes Surabaya Kombes Pol Luthfie Sulistiawan menjelaskan patroli melibatkan 49 personel yang "
    "dibagi dalam tiga tim dengan 16, 16 dan 17 personel.",
    "“Kami berharap Patroli 97 Jogoboyo menjadi solusi konkret memberantas kejahatan malam hari,” kata Luthfie.",
    "Tim pertama bertugas di Bubutan, Tambaksari, Simokerto dan Genteng, tim kedua di Tegalsari, Wonokromo, "
    "Jambangan dan Gubeng, tim ketiga di Sukolilo, Mulyorejo, Rungkut dan Gunung Anyar.",
]
FURNITURE = ["Baca Juga", "Kapolda Resmikan Gedung Baru di Sidoarjo", "SCROLL TO CONTINUE WITH CONTENT",
             "Editor : Ading", "WhatsApp ShareFacebook ShareTwitter Share", "Foto: Humas Polrestabes Surabaya",
             "Baca juga: Polisi Tangkap Pelaku Begal di Rungkut"]
OTHER_EVENT = [
    "Polrestabes Surabaya menggelar operasi troli getar di Tambaksari, Jumat (11/4/2025), dengan 120 personel "
    "gabungan untuk menertibkan balap liar menjelang hari raya.",
    "Kapolrestabes Surabaya Kombes Pol Luthfie Sulistiawan menyebut 37 sepeda motor disita dan 58 remaja "
    "didata dalam operasi yang berlangsung hingga pukul 03.00 WIB.",
    "Operasi serupa akan digelar setiap akhir pekan di Wonokromo dan Gubeng selama Ramadan, kata Luthfie.",
]


def test_furniture_lines_are_not_the_story() -> None:
    lines = templates.story_lines(templates.split_lines(FURNITURE[:3] + RELEASE + FURNITURE[3:]))
    assert len(lines) == len(RELEASE)
    assert lines[0].startswith("Polrestabes Surabaya meluncurkan")      # dateline and brand stripped
    assert not any("Sidoarjo" in line or "Begal" in line for line in lines)


def test_date_stamp_and_short_menu_lines_go() -> None:
    lines = templates.split_lines([" date 2025-01-07 Polrestabes Surabaya meluncurkan program patroli malam "
                                   "yang melibatkan puluhan personel gabungan.", "Berita\nNetwork\nLoad more"])
    assert templates.story_lines(lines) == [lines[0]] and lines[0].startswith("Polrestabes")


def test_a_sources_template_lines_are_discounted() -> None:
    footer = "Ikuti terus berita terbaru seputar Surabaya dan Jawa Timur hanya di portal kesayangan Anda."
    tpl = templates.SourceTemplates()
    tpl.learn(templates.template_keys([footer, "Satu berita lain yang cukup panjang untuk dihitung di sini."]))
    tpl.learn(templates.template_keys([footer, "Berita kedua yang juga cukup panjang untuk dihitung di sini."]))
    assert tpl.is_template(templates.line_key(footer))
    assert templates.story_lines([*RELEASE, footer], tpl) == templates.story_lines(RELEASE)
    assert footer in templates.story_lines([*RELEASE, footer])          # one article alone: kept


def test_a_copy_with_furniture_is_the_same_story() -> None:
    a = story.story_of(None, RELEASE)
    b = story.story_of(None, ["Surabaya (beritajatim.com) " + RELEASE[0].split("– ", 1)[1], *FURNITURE,
                              *RELEASE[1:], "Editor: Ruslan"])
    df = story.DocFreq()
    for s in (a, b, story.story_of(None, OTHER_EVENT)):
        df.add(s)
    c = story.compare(a, b, df)
    assert story.is_copy(c) and story.same_story(c)
    assert "49" in c.shared_numbers and "luthfie" in c.shared_names


def test_same_institution_other_event_stays_apart() -> None:
    a, b = story.story_of(None, RELEASE), story.story_of(None, OTHER_EVENT)
    df = story.DocFreq()
    df.add(a)
    df.add(b)
    c = story.compare(a, b, df)
    assert not story.same_story(c), c.as_dict()
    assert c.numbers < 0.3


def test_within_one_source_only_a_copy_counts() -> None:
    a = story.story_of(None, RELEASE)
    b = story.story_of(None, [RELEASE[1], RELEASE[3], RELEASE[2]])
    df = story.DocFreq()
    df.add(a)
    df.add(b)
    c = story.compare(a, b, df)
    assert story.same_story(c) and story.is_copy(c) == story.same_story(c, same_source=True)
    reworded = story.story_of(None, [RELEASE[1]])
    c2 = story.compare(a, reworded, df)
    assert not story.same_story(c2, same_source=True)


def test_stored_form_round_trips() -> None:
    a = story.story_of("Patroli 97 Jogoboyo", RELEASE)
    back = story.Story.from_stored(a.to_json(), a.shingle_blob(), a.terms_blob())
    df = story.DocFreq(3, {"patroli": 1})
    assert (back.keys == a.keys).all() and (back.counts == a.counts).all() and back.numbers == a.numbers and back.names == a.names
    assert story.compare(a, back, df).cosine == pytest.approx(1.0)


def test_one_ambiguous_article_does_not_join_two_stories() -> None:
    """An article like both clusters, whose members are not like each other, joins only the closer one."""
    links = {1: [story.Link(1, 0.9, True)], 2: [story.Link(2, 0.7, True)]}
    assert story.choose_clusters(links, {1: 1, 2: 1}, lambda a, b: False) == [1]
    assert story.choose_clusters(links, {1: 1, 2: 1}, lambda a, b: True) == [1, 2]


def test_a_cluster_is_joined_through_most_of_its_members() -> None:
    one_of_three = {5: [story.Link(5, 0.9, True), story.Link(6, 0.2, False), story.Link(7, 0.3, False)]}
    assert story.choose_clusters(one_of_three, {5: 3}, lambda a, b: True) == []
    two_of_three = {5: [story.Link(5, 0.9, True), story.Link(6, 0.7, True), story.Link(7, 0.3, False)]}
    assert story.choose_clusters(two_of_three, {5: 3}, lambda a, b: True) == [5]
    assert story.choose_clusters({5: two_of_three[5][:2]}, {5: 6}, lambda a, b: True) == []  # 2 of 6


def test_idf_sharpens_as_the_archive_grows() -> None:
    df = story.DocFreq()
    young = df.idf("polisi") - df.idf("jogoboyo")
    df = story.DocFreq(10_000, {"polisi": 4_000, "jogoboyo": 3})
    assert young == 0.0 and df.idf("jogoboyo") - df.idf("polisi") > 5


def bench_model() -> ModuleType:
    return bench_module("cluster_model")


@pytest.mark.skipif(not ITEMS.exists(), reason="syndication-dev corpus not present")
def test_syndication_dev_bars_all_in_and_held_out() -> None:
    bench = bench_model()
    items = bench.load(ITEMS)
    sc = bench.scorer(ITEMS)
    order = list(range(len(items)))
    pairs = bench.Pairs(items, sc.containment, order)              # document frequencies as the save path has them
    assigned = bench.cluster(pairs, story.WEIGHTS, order)
    official = sc.score(items, {items[i]["id"]: c for i, c in assigned.items()})
    assert official["precision"] >= 0.97 and official["recall_verbatim"] >= 0.95, official
    assert official["recall_rewrite"] >= 0.7, official
    held, notes = bench.loto(pairs, False, order)
    detail = held.line() + "\n" + "\n".join(notes)
    assert held.precision >= 0.97 and held.recall("verbatim") >= 0.95 and held.recall("rewrite") >= 0.6, detail


def test_figures_in_conflict_separate_a_template_from_its_twin() -> None:
    """The same sentences with every figure different (a daily report, a template) are two stories, even as a
    copy by 3-grams; titles whose figures disagree and days apart count against."""
    def report(n: int) -> list[str]:
        return [f"Harga cabai rawit di Pasar Rau Serang hari ini mencapai Rp {40 + n}.000 per kilogram, naik "
                f"{n + 3} persen dibanding pekan lalu menurut pedagang setempat.",
                f"Dinas Perindustrian dan Perdagangan mencatat pasokan {120 + n} ton dari Pandeglang dan Lebak, "
                f"sementara permintaan mencapai {150 + n} ton per hari di seluruh kota."]
    a, b = story.story_of(None, report(1)), story.story_of(None, report(9))
    df = story.DocFreq()
    df.add(a)
    df.add(b)
    c = story.compare(a, b, df)
    assert c.number_conflict and c.containment > 0.3 and not story.same_story(c)
    same = story.compare(a, story.story_of(None, report(1)), df)
    assert story.same_story(same) and not same.number_conflict
    titled = story.compare(story.story_of("Sabu 450 Gram Disita", RELEASE), story.story_of("Sabu 1,2 Kilogram Disita",
                                                                                          RELEASE), df)
    assert titled.title_conflict and titled.score < same.score
    late = story.compare(a, story.story_of(None, report(1)), df, days=6.0)
    assert late.score == pytest.approx(same.score - 5 * story.WEIGHTS.days)


def test_a_story_sent_through_pickle_keeps_its_stored_blobs() -> None:
    import pickle

    s = story.story_of("Banjir di Serang", ["Banjir merendam 1.200 rumah warga di Kota Serang, Banten, "
                                            "kata Kepala BPBD Serang kepada wartawan pada Senin pagi."])
    back = pickle.loads(pickle.dumps(s))
    assert back.terms_blob() == s.terms_blob() and back.shingle_blob() == s.shingle_blob()
    assert back._terms_blob is not None and back._shingle_blob is not None   # not recomputed by the writer
    assert pickle.loads(pickle.dumps(back)).terms_blob() == s.terms_blob()
