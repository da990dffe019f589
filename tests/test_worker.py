"""The prepare worker (storage.worker.ChildWorker) and Store.save_many(): same database as save_article()."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from storage import worker
from storage.records import ArticleRecord
from storage.store import Store, prepare_article

WORDS = ("warga desa kantor program bantuan sungai jalan sekolah pasar petani nelayan hujan banjir "
         "pemerintah daerah kabupaten kota provinsi pejabat polisi rumah sakit jembatan").split()


def article(i: int, source: str = "fam68", *, copy_of: int | None = None, edit: str = "") -> ArticleRecord:
    """Article ``i``; ``copy_of`` makes it another outlet's copy of that story (new lead paragraph)."""
    story = i if copy_of is None else copy_of
    paragraphs = [" ".join(WORDS[(story * 7 + k * 3 + j) % len(WORDS)] for j in range(14))
                  + f" sebanyak {story * 31 + k + 100} orang pada {story % 28 + 1}/11/2025." for k in range(6)]
    if copy_of is not None:
        paragraphs[0] = f"{source.upper()} - laporan ulang nomor {i} tentang berita lama."
    paragraphs[-1] += edit
    return ArticleRecord(source=source, url=f"https://{source}.example/berita/{i}?utm_source=x",
                         canonical_url=f"https://{source}.example/berita/{i}", title=f"Berita {story} Banten",
                         segments=[(None, paragraphs[:3]), (f"Sub {story}", paragraphs[3:])],
                         published_at=f"2025-11-{story % 28 + 1:02d}T08:00:00+07:00", lang="id")


def workload() -> list[ArticleRecord]:
    """New articles, copies from a second outlet, exact re-saves, edits, and same-source aliases."""
    recs = [article(i) for i in range(120)]
    recs += [article(1000 + i, "bantenpos", copy_of=i) for i in range(0, 120, 4)]
    recs += [article(i) for i in range(0, 40, 3)]                        # unchanged
    recs += [article(i, edit=" Ralat.") for i in range(50, 60)]          # updated
    recs += [ArticleRecord(**{**article(i).__dict__, "url": f"https://fam68.example/amp/{i}",
                              "canonical_url": f"https://fam68.example/lain/{i}"}) for i in range(70, 75)]
    return recs


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    queries = {
        "articles": "SELECT id, source, canonical_url, content_hash, cluster_id, revision FROM articles ORDER BY id",
        "urls": "SELECT url, article_id FROM article_urls ORDER BY url",
        "revisions": "SELECT article_id, revision, content_hash FROM article_revisions ORDER BY 1, 2",
        "features": "SELECT article_id, period, story, shingles, keys FROM story_docs ORDER BY 1",
        "index": "SELECT period, key, article_id FROM story_postings ORDER BY 1, 2, 3",
        "terms": "SELECT key, df FROM story_terms ORDER BY 1",
    }
    out = {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
    conn.close()
    return out


def test_save_many_writes_what_save_article_writes(tmp_path: Path) -> None:
    recs = workload()
    with Store.open(str(tmp_path / "serial.db")) as store:
        serial = [store.save_article(rec) for rec in recs]
    with Store.open(str(tmp_path / "parallel.db")) as store:
        parallel = list(store.save_many(recs, window=16))
    assert [r.outcome for r in parallel] == [r.outcome for r in serial]
    assert parallel == serial
    assert {r.outcome for r in serial} == {"new", "unchanged", "updated", "duplicate"}
    assert sum(1 for r in serial if r.outcome == "new" and r.cluster_id != r.article_id) == 30  # copies joined
    assert dump(tmp_path / "parallel.db") == dump(tmp_path / "serial.db")


def test_a_prepared_article_survives_the_trip_through_pickle() -> None:
    import pickle

    prep = prepare_article(article(3), features=True)
    back = pickle.loads(pickle.dumps(prep.derived()))
    assert back[:3] == (prep.canonical, prep.urls, prep.content_hash)
    assert back[3].line_keys == prep.story_prepared().line_keys
    assert back[3].story.to_json() == prep.story_prepared().story.to_json()
    assert back[3].story.shingle_blob() == prep.story_prepared().story.shingle_blob()


def test_save_many_goes_on_when_the_worker_dies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[worker.ChildWorker] = []
    real_init = worker.ChildWorker.__init__

    def spy(self: worker.ChildWorker, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        started.append(self)

    monkeypatch.setattr(worker.ChildWorker, "__init__", spy)
    recs = workload()
    with Store.open(str(tmp_path / "ref.db")) as store:
        reference = [store.save_article(rec) for rec in recs]
    with Store.open(str(tmp_path / "k.db")) as store:
        results = []
        for result in store.save_many(recs, window=8):
            results.append(result)
            if len(results) == 20:
                started[0].proc.kill()   # answers in flight are lost; those records are prepared here
    assert len(started) == 1 and started[0].proc.returncode is not None
    assert results == reference
    assert dump(tmp_path / "k.db") == dump(tmp_path / "ref.db")


def test_many_large_calls_in_flight_do_not_deadlock() -> None:
    """More unanswered data than a pipe holds, both ways: the writer must not block the answer reader."""
    big = article(1)
    big.segments = [(None, ["kata " * 20_000])]       # ~100 KB per call, 40 calls in flight
    helper = worker.ChildWorker("storage.prepare:serve", None)
    answers: list[object] = []

    def run() -> None:
        futures = [helper.submit([big]) for _ in range(40)]
        answers.extend(f.result() for f in futures)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    try:
        assert not thread.is_alive(), "submit() deadlocked"
        assert len(answers) == 40
    finally:
        helper.close()
    assert helper.proc.returncode == 0


def test_sending_a_call_does_not_wait_for_the_child_to_finish_the_one_before() -> None:
    """A call bigger than the pipe is read while the child is busy: the writing process goes on writing."""
    import time

    helper = worker.ChildWorker("tests.worker_hooks:serve_slowly", None)
    try:
        first = helper.submit(3.0, b"")
        time.sleep(0.5)                                # the child is asleep in the first call
        t0 = time.monotonic()
        second = helper.submit(0.0, b"x" * (4 << 20))  # 4 MB: 64 pipes' worth
        sent_in = time.monotonic() - t0
        assert first.result(timeout=30) == 0 and second.result(timeout=30) == 4 << 20
    finally:
        helper.close()
    assert sent_in < 1.5, f"submit() waited {sent_in:.1f} s for the child's previous call"
    assert helper.proc.returncode == 0


def test_a_worker_that_cannot_start_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("no more processes")

    monkeypatch.setattr(worker.ChildWorker, "__init__", fail)
    with Store.open(str(tmp_path / "x.db")) as store:
        results = list(store.save_many(workload()[:10]))
    assert [r.outcome for r in results] == ["new"] * 10


def test_submit_after_the_worker_died_raises_worker_gone() -> None:
    helper = worker.ChildWorker("storage.prepare:serve", None)
    helper.proc.kill()
    helper.proc.wait()
    helper._reader.join(timeout=10)
    with pytest.raises(worker.WorkerGone):
        helper.submit([article(1)]).result(timeout=10)
    helper.close()


def _page_html(paragraphs: list[str], extra: str = "") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='id'><head><title>Berita Banten</title></head><body><article>"
            f"<h1>Berita Banten</h1><div class='entry-content'>{body}{extra}</div></article></body></html>"
            ).encode()


def test_the_parse_worker_answers_typed_verdicts_like_this_process() -> None:
    import pickle

    from scraper.parse_worker import (
        FetchedPage,
        ParseSetup,
        WorkerSetup,
        parse_and_judge,
        start_parse_process,
    )
    from scraper.record import Scope
    from storage.records import PageOutcome, PageUpdate, PageVerdict
    from storage.store import PreparedArticle

    url = "https://fam68.example/2025/11/berita-banten/"
    long = [" ".join(WORDS[k:k + 14]) + f" pada {k + 1}/11/2025." for k in range(4)]
    pages = {
        "article": FetchedPage(_page_html(long), url, "utf-8", url + "?utm_source=x"),
        "short": FetchedPage(_page_html(["Singkat saja."]), url, "utf-8", url),
        "multipage": FetchedPage(_page_html(long, f"<div class='page-links'><span>1</span> <a href='{url}2/'>2"
                                                  "</a></div>"), url, "utf-8", url),
    }
    setup = ParseSetup(Scope("fam68", ("fam68.example",)))
    parser = start_parse_process(WorkerSetup(setup))
    assert parser is not None
    try:
        answers = {name: parser.parse(page) for name, page in pages.items()}
    finally:
        parser.close()
    assert all(isinstance(a, PageVerdict) for a in answers.values())
    got = answers["article"]
    assert got is not None and got.outcome is None and isinstance(got.article, PreparedArticle)
    here = parse_and_judge(pages["article"], setup)
    assert got.article.record == here.article and got.article.story is not None
    assert answers["short"] is not None and answers["short"].outcome == "skipped"
    assert answers["short"].reason == parse_and_judge(pages["short"], setup).reason
    multi = answers["multipage"]
    assert multi is not None and multi.multipage and multi.article is None and multi.outcome is None
    # the fetch side's outcome is plain data too: it pickles whole
    outcome = PageOutcome(PageUpdate(url, "fam68", 200, etag='"x"'), article=got.article, fetch_s=0.1)
    back = pickle.loads(pickle.dumps(outcome))
    assert back.page == outcome.page and back.article.record == got.article.record and back.url == url
