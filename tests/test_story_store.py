"""The story model in the store: template lines, document frequencies, `kabar recluster`, `kabar story`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.cli import main_group
from scraper.errors import UsageError
from storage import recluster, story, story_store
from storage.records import ArticleRecord
from storage.store import Store

RELEASE = [
    "Polrestabes Surabaya meluncurkan program Patroli 97 Jogoboyo untuk menekan kejahatan malam hari mulai "
    "pukul 24.00 hingga 05.00 WIB, Selasa (7/1/2025).",
    "Kapolrestabes Surabaya Kombes Pol Luthfie Sulistiawan menjelaskan patroli melibatkan 49 personel yang "
    "dibagi dalam tiga tim dengan 16, 16 dan 17 personel.",
    "“Kami berharap Patroli 97 Jogoboyo menjadi solusi konkret memberantas kejahatan malam hari,” kata Luthfie.",
    "Tim pertama bertugas di Bubutan, Tambaksari, Simokerto dan Genteng, tim kedua di Tegalsari, Wonokromo, "
    "Jambangan dan Gubeng, tim ketiga di Sukolilo, Mulyorejo, Rungkut dan Gunung Anyar.",
]
SPUN = [
    "Polrestabes Surabaya membentuk tim khusus bernama Patroli 97 Jogoboyo guna mempersempit ruang gerak pelaku "
    "kejahatan malam, Selasa (7/1/2025).",
    "Luthfie Sulistiawan selaku Kapolrestabes Surabaya mengungkapkan 49 personel gabungan dibagi menjadi tiga tim: "
    "16 personel, 16 personel dan 17 personel.",
    "Wilayah Bubutan, Tambaksari, Simokerto dan Genteng dijaga tim pertama, sementara Tegalsari, Wonokromo, "
    "Jambangan dan Gubeng menjadi sasaran tim kedua.",
    "“Kami berharap Patroli 97 Jogoboyo menjadi solusi konkret memberantas kejahatan malam hari,” ujar Luthfie.",
]
OTHER = [
    "Polrestabes Surabaya menggelar operasi troli getar di Tambaksari, Jumat (11/4/2025), dengan 120 personel "
    "gabungan untuk menertibkan balap liar menjelang hari raya.",
    "Kapolrestabes Surabaya Kombes Pol Luthfie Sulistiawan menyebut 37 sepeda motor disita dan 58 remaja "
    "didata dalam operasi yang berlangsung hingga pukul 03.00 WIB.",
    "Operasi serupa akan digelar setiap akhir pekan di Wonokromo dan Gubeng selama Ramadan, kata Luthfie.",
]
FOOTER = "Ikuti terus berita terbaru seputar Surabaya dan Jawa Timur hanya di portal berita kesayangan Anda."
WHEN = "2025-01-07T10:00:00+07:00"


def rec(source: str, slug: str, paras: list[str], title: str = "Patroli malam", when: str = WHEN) -> ArticleRecord:
    return ArticleRecord(source=source, url=f"https://{source}.example/{slug}",
                         canonical_url=f"https://{source}.example/{slug}", title=title,
                         segments=[(None, paras)], published_at=when)


def test_a_spun_copy_joins_and_another_event_of_the_same_police_does_not(tmp_path: Path) -> None:
    with Store.open(str(tmp_path / "k.db")) as store:
        a = store.save_article(rec("lenza", "a", RELEASE, "Polrestabes Surabaya luncurkan Patroli 97 Jogoboyo"))
        b = store.save_article(rec("ruang", "b", SPUN, "Patroli 97 Jogoboyo tekan kejahatan malam"))
        c = store.save_article(rec("times", "c", OTHER, "Operasi troli getar di Tambaksari"))
        assert b.cluster_id == a.article_id
        assert c.cluster_id == c.article_id
        n = store.conn.execute("SELECT df FROM story_terms WHERE key = 0").fetchone()[0]
        assert n == 3
        assert store.conn.execute("SELECT df FROM story_terms WHERE key = ?",
                                  (story.term_key("jogoboyo"),)).fetchone()[0] == 2


def test_batched_document_frequencies_are_written_at_commit_and_read_by_a_new_connection(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    with Store.open(path) as store:
        results = list(store.save_many([rec("lenza", "a", RELEASE), rec("ruang", "b", SPUN),
                                        rec("times", "c", OTHER)], parallel=False))
        assert results[1].cluster_id == results[0].article_id
    with Store.open(path, readonly=True) as store:
        rows = dict(store.conn.execute("SELECT key, df FROM story_terms WHERE key IN (0, ?, ?)",
                                       (story.term_key("jogoboyo"), story.term_key("luthfie"))))
        assert rows == {0: 3, story.term_key("jogoboyo"): 2, story.term_key("luthfie"): 3}


def test_a_long_line_is_story_text_not_a_template_line() -> None:
    long_line = " ".join(["kata"] * 41)
    assert story_store.template_keys([long_line]) == []
    assert len(story_store.template_keys([FOOTER, " ".join(["kata"] * 40)])) == 2


def test_a_sources_repeated_footer_is_discounted(tmp_path: Path) -> None:
    with Store.open(str(tmp_path / "k.db")) as store:
        for i, paras in enumerate((OTHER, RELEASE[:2], SPUN[2:])):
            store.save_article(rec("portal", f"x{i}", [*paras, FOOTER], title=f"Berita {i}"))
        counts = store.conn.execute("SELECT articles FROM source_lines WHERE source = 'portal' AND key = ?",
                                    (story_store.template_keys([FOOTER])[0],)).fetchone()[0]
        assert counts == 3
        def words(order: str) -> list[int]:
            row = store.conn.execute(f"SELECT story, shingles, terms FROM story_docs ORDER BY article_id {order} "
                                     "LIMIT 1").fetchone()
            return story.Story.from_stored(*row).keys.tolist()

        assert story.term_key("kesayangan") not in words("DESC")  # the footer is the portal's, not the story's
        assert story.term_key("kesayangan") in words("ASC")       # unknown as a template when it was first seen


def test_recluster_rebuilds_the_same_clusters_and_resumes(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    with Store.open(db) as store:
        ids = [store.save_article(r).article_id for r in (
            rec("lenza", "a", RELEASE, "Polrestabes Surabaya luncurkan Patroli 97 Jogoboyo"),
            rec("times", "c", OTHER, "Operasi troli getar di Tambaksari"),
            rec("ruang", "b", SPUN, "Patroli 97 Jogoboyo tekan kejahatan malam"))]
        before = dict(store.conn.execute("SELECT id, cluster_id FROM articles").fetchall())
        assert before[ids[2]] == ids[0]
        # an interrupted run: the index phase done, the state left behind
        seen: list[recluster.Progress] = []

        def stop_after_index(p: recluster.Progress) -> None:
            seen.append(p)
            if p.phase == "cluster":
                raise KeyboardInterrupt

        store.conn.execute("UPDATE articles SET cluster_id = id")      # as if clustered by an older model
        with pytest.raises(KeyboardInterrupt):
            recluster.recluster(store.transaction, batch=2, progress=stop_after_index)
        state = json.loads(store.conn.execute("SELECT value FROM story_state").fetchone()[0])
        assert state["phase"] == "cluster" and state["last_id"] == 2
        done = recluster.recluster(store.transaction, batch=2)
        assert done.total == 3 and done.phase == "done"
        assert dict(store.conn.execute("SELECT id, cluster_id FROM articles").fetchall()) == before
        assert store.conn.execute("SELECT COUNT(*) FROM story_state").fetchone()[0] == 0
        assert store.conn.execute("SELECT df FROM story_terms WHERE key = 0").fetchone()[0] == 3
        assert [p.phase for p in seen][:2] == ["index", "index"]


def test_story_command_explains_each_member(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    with Store.open(db) as store:
        a = store.save_article(rec("lenza", "a", RELEASE, "Polrestabes Surabaya luncurkan Patroli 97 Jogoboyo"))
        b = store.save_article(rec("ruang", "b", SPUN, "Patroli 97 Jogoboyo tekan kejahatan malam",
                                   when="2025-01-07T08:00:00+07:00"))
    runner = CliRunner()
    got = runner.invoke(main_group, ["--db", db, "story", str(a.article_id), "--format", "json"])
    assert got.exit_code == 0, got.output
    data = json.loads(got.output)
    assert data["cluster_id"] == a.article_id and [m["id"] for m in data["members"]] == [a.article_id, b.article_id]
    first, second = data["members"]
    assert second["earliest"] and not first["earliest"]             # published earlier, saved later
    assert second["joined"]["with"] == a.article_id and second["joined"]["score"] >= 0.6
    assert "49" in second["joined"]["shared_numbers"] and "luthfie" in second["joined"]["shared_names"]
    assert any("solusi konkret" in q for q in second["joined"]["shared_quotes"])
    text = runner.invoke(main_group, ["--db", db, "story", str(b.article_id)])
    assert text.exit_code == 0 and "shared numbers" in text.output and "ruang" in text.output
    missing = runner.invoke(main_group, ["--db", db, "story", "999"])
    assert isinstance(missing.exception, UsageError) and missing.exception.exit_code == 2


def test_recluster_command_reports(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    with Store.open(db) as store:
        store.save_article(rec("lenza", "a", RELEASE))
        store.save_article(rec("ruang", "b", SPUN))
    got = CliRunner().invoke(main_group, ["--db", db, "recluster", "--since", "2025-01-01"])
    assert got.exit_code == 0, got.output
    assert "reclustered 2 articles; 1 stories" in got.output


def test_recluster_stops_between_batches_and_continues(tmp_path: Path) -> None:
    with Store.open(str(tmp_path / "k.db")) as store:
        for i, paras in enumerate((RELEASE, OTHER, SPUN)):
            store.save_article(rec(f"outlet{i}", f"x{i}", paras))
        calls = iter([False, True])
        first = recluster.recluster(store.transaction, batch=1, stopped=lambda: next(calls, True))
        assert first.phase == "stopped" and first.done == 1
        done = recluster.recluster(store.transaction, batch=1)
        assert done.phase == "done" and done.total == 3 and done.stories == 2


def test_recluster_takes_the_writer_lock(tmp_path: Path) -> None:
    from storage.lock import WriterLock

    db = str(tmp_path / "k.db")
    with Store.open(db) as store:
        store.save_article(rec("lenza", "a", RELEASE))
    with WriterLock.acquire(db, command="kabar daemon", wait=0):
        got = CliRunner().invoke(main_group, ["--db", db, "recluster"])
    assert got.exit_code == 1 and "kabar daemon" in str(got.exception), got.output
