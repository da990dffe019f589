"""Query commands (search, latest, export, stats) and the storage.query functions behind them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scraper.cli import main
from scraper.cli_query import render_table
from storage.errors import QueryError
from storage.query import Filters, latest, search
from storage.records import ArticleRecord
from storage.store import Store
from storage.util import parse_since, to_utc_iso

ROOT = Path(__file__).resolve().parent.parent

FLOOD = ["Banjir merendam 24 RT di Jakarta Timur setelah hujan deras, Senin (17/11/2025).",
         "Kepala BPBD DKI Jakarta, Isnawa Adji, menyebut 1.350 warga mengungsi ke 14 lokasi."]
FIRE = ["Kebakaran melanda pasar di Tangerang Selatan, Selasa (18/11/2025) dini hari.",
        "Sebanyak 312 kios hangus dan kerugian ditaksir Rp 9,4 miliar, kata Yudi Prasetyo."]
QUAKE = ["Gempa magnitudo 5,2 mengguncang Pandeglang, Rabu (19/11/2025).",
         "BMKG mencatat 3 gempa susulan; 27 rumah rusak ringan di Kecamatan Sumur."]


def rec(source: str, slug: str, title: str, paras: list[str], published: str | None) -> ArticleRecord:
    return ArticleRecord(source=source, url=f"https://{source}.example/{slug}", canonical_url=f"https://{source}.example/{slug}",
                         title=title, segments=[(None, paras[:1]), ("Pengungsi", paras[1:])], published_at=published,
                         authors=["Redaksi"], tags=["banjir"])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "k.db"
    with Store.open(str(path)) as s:
        s.save_article(rec("fam68", "banjir", "Banjir Rendam Jakarta Timur", FLOOD, "2025-11-17T20:00:00+07:00"),
                       now="2025-11-17T13:05:00+00:00")
        s.save_article(rec("bantenpos", "banjir", "Banjir Jakarta Timur, 1.350 Warga Mengungsi", FLOOD,
                           "2025-11-17T21:00:00+07:00"), now="2025-11-17T14:05:00+00:00")
        s.save_article(rec("fam68", "kebakaran", "Kebakaran Pasar Tangerang Selatan", FIRE, "2025-11-18T03:00:00+07:00"),
                       now="2025-11-17T20:05:00+00:00")
        s.save_article(rec("kabarserang", "gempa", "Gempa Pandeglang, Banjir Tidak Terjadi", QUAKE, None),
                       now="2025-11-19T08:00:00+00:00")
        s.record_page("https://fam68.example/rusak", "fam68", status=500, error="HTTP 500 after 3 retries",
                      now="2025-11-19T09:00:00+00:00")
        run = s.start_run("fam68", now="2025-11-19T09:00:00+00:00")
        s.finish_run(run, "failed", {"failed": 1}, now="2025-11-19T09:01:00+00:00", error="robots.txt answered 503")
        s.update_source("fam68", next_run_at="2025-11-19T09:30:00+00:00", interval_s=1800, consecutive_failures=1)
        s.ensure_sources(["quiet"])
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text("", encoding="utf-8")
    return path


def kabar(capsys: pytest.CaptureFixture[str], config: Path, db: Path, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config), "--db", str(db), *args])
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# ---- search ------------------------------------------------------------------------------------------
def test_search_one_row_per_story_newest_first(capsys, config, db) -> None:
    code, out, err = kabar(capsys, config, db, "search", "banjir", "--format", "json")
    assert code == 0, err
    rows = jsonl(out)
    # the flood story (2 copies) and the quake article; unknown date last
    assert [r["title"].split()[0] for r in rows] == ["Banjir", "Gempa"]
    flood = rows[0]
    assert flood["copies"] == 2 and flood["sources"] == "bantenpos,fam68"
    assert "[Banjir]" in flood["snippet"] or "[banjir]" in flood["snippet"].lower()
    assert rows[1]["published_at"] is None


def test_search_all_copies(capsys, config, db) -> None:
    code, out, _ = kabar(capsys, config, db, "search", "banjir", "--all-copies", "--format", "json")
    rows = jsonl(out)
    assert code == 0 and len(rows) == 3
    assert [r["source"] for r in rows] == ["bantenpos", "fam68", "kabarserang"]  # newest first
    assert rows[0]["cluster_id"] == rows[1]["cluster_id"]


def test_search_filters_source_since_limit(capsys, config, db) -> None:
    _, out, _ = kabar(capsys, config, db, "search", "banjir OR kebakaran", "--source", "fam68", "--format", "json")
    assert {r["source"] for r in jsonl(out)} == {"fam68"}
    _, out, _ = kabar(capsys, config, db, "search", "banjir OR kebakaran", "--since", "2025-11-17T19:00+00:00",
                      "--format", "json")
    assert [r["title"] for r in jsonl(out)] == ["Kebakaran Pasar Tangerang Selatan",
                                                "Gempa Pandeglang, Banjir Tidak Terjadi"]
    _, out, _ = kabar(capsys, config, db, "search", "banjir OR kebakaran", "--limit", "1", "--format", "json")
    assert len(jsonl(out)) == 1


def test_search_table_and_csv(capsys, config, db) -> None:
    code, out, _ = kabar(capsys, config, db, "search", "kebakaran")
    assert code == 0
    header, line = out.splitlines()
    assert header.split() == ["published", "sources", "copies", "title", "snippet"]
    assert line.startswith("2025-11-17 20:00  fam68") and "[Kebakaran]" in line
    _, out, _ = kabar(capsys, config, db, "search", "kebakaran", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 1 and rows[0]["title"] == "Kebakaran Pasar Tangerang Selatan"


@pytest.mark.parametrize("query", ['"unterminated', "banjir AND", "nosuchcolumn:banjir", "(banjir", "*"])
def test_bad_fts_query_is_one_line_and_exit_2(capsys, config, db, query) -> None:
    code, out, err = kabar(capsys, config, db, "search", query)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("kabar: error: bad search query") and "Traceback" not in err


def test_search_no_match(capsys, config, db) -> None:
    code, out, err = kabar(capsys, config, db, "search", "tsunami")
    assert code == 0 and out == "" and "no matches" in err


# ---- latest, export, stats ---------------------------------------------------------------------------
def test_latest_orders_by_published_then_first_seen(capsys, config, db) -> None:
    _, out, _ = kabar(capsys, config, db, "latest", "--format", "json")
    rows = jsonl(out)
    assert [r["title"].split()[0] for r in rows] == ["Kebakaran", "Banjir", "Banjir", "Gempa"]
    assert [r["source"] for r in rows[1:3]] == ["bantenpos", "fam68"]
    _, out, _ = kabar(capsys, config, db, "latest", "--format", "csv", "--source", "fam68", "--source", "kabarserang")
    assert [r["source"] for r in csv.DictReader(io.StringIO(out))] == ["fam68", "fam68", "kabarserang"]
    _, out, _ = kabar(capsys, config, db, "latest", "--limit", "2")
    assert len(out.splitlines()) == 3  # header + 2


def test_since_relative_and_bad_values(capsys, config, db) -> None:
    _, out, _ = kabar(capsys, config, db, "latest", "--since", "1h", "--format", "json")
    assert jsonl(out) == []  # everything is from 2025
    _, out, _ = kabar(capsys, config, db, "latest", "--since", "2025-11-18", "--format", "json")
    assert [r["title"].split()[0] for r in jsonl(out)] == ["Gempa"]  # first seen on the 19th, no date
    for bad in ("yesterday", "6x", "2025-13-45", ""):
        code, out, err = kabar(capsys, config, db, "latest", "--since", bad)
        assert code == 2 and out == "" and err.count("\n") == 1 and "--since" in err


def test_export_jsonl_has_segments_and_csv_has_text(capsys, config, db, tmp_path) -> None:
    _, out, _ = kabar(capsys, config, db, "export")
    rows = jsonl(out)
    assert len(rows) == 4 and [r["id"] for r in rows] == [1, 2, 3, 4]
    assert rows[0]["segments"] == [{"headline": None, "paragraphs": FLOOD[:1]},
                                   {"headline": "Pengungsi", "paragraphs": FLOOD[1:]}]
    assert rows[0]["authors"] == ["Redaksi"] and rows[0]["text"].endswith(FLOOD[1])
    target = tmp_path / "out.csv"
    code, out, err = kabar(capsys, config, db, "export", "--format", "csv", "--output", str(target), "--source", "fam68")
    assert code == 0 and out == "" and "2 articles written" in err
    with open(target, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["source"] for r in rows] == ["fam68", "fam68"] and "\n" in rows[0]["text"]
    assert "segments" not in rows[0]


def test_stats(capsys, config, db) -> None:
    code, out, _ = kabar(capsys, config, db, "stats", "--format", "json")
    rows = {r["source"]: r for r in jsonl(out)}
    assert code == 0 and set(rows) == {"bantenpos", "fam68", "kabarserang", "quiet"}
    fam = rows["fam68"]
    assert (fam["articles"], fam["last_status"], fam["interval_s"], fam["consecutive_failures"],
            fam["next_run_at"]) == (2, "failed", 1800, 1, "2025-11-19T09:30:00+00:00")
    assert {e["error"] for e in fam["recent_errors"]} == {"HTTP 500 after 3 retries", "robots.txt answered 503"}
    assert rows["quiet"]["articles"] == 0
    code, out, _ = kabar(capsys, config, db, "stats")
    assert "recent errors:" in out and "HTTP 500 after 3 retries" in out


# ---- read-only behaviour -----------------------------------------------------------------------------
def test_query_commands_never_create_or_migrate(capsys, config, tmp_path) -> None:
    missing = tmp_path / "none.db"
    for cmd in (["search", "x"], ["latest"], ["export"], ["stats"]):
        code, out, err = kabar(capsys, config, missing, *cmd)
        assert code == 1 and out == "" and err.count("\n") == 1 and "not found" in err
    assert not missing.exists()
    old = tmp_path / "old.db"
    from sqlite_utils import Database

    from storage import migrations
    migrations.migrations.apply(Database(str(old)), stop_before="0003_story_clusters")
    before = old.read_bytes()
    code, _, err = kabar(capsys, config, old, "latest")
    assert code == 1 and "older than this kabar" in err
    assert old.read_bytes() == before


def test_missing_database_end_to_end(tmp_path: Path, config: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "scraper", "--config", str(config), "--db", str(tmp_path / "x.db"),
                        "search", "banjir"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "database not found" in r.stderr


# ---- library level -----------------------------------------------------------------------------------
def test_query_functions_bind_parameters(db: Path) -> None:
    with Store.open(str(db), readonly=True) as store:
        hostile = "fam68') OR 1=1 --"
        assert latest(store, Filters(sources=(hostile,))) == []
        assert search(store, "banjir", Filters(sources=(hostile,))) == []
        with pytest.raises(QueryError):
            search(store, "   ", Filters())


def test_parse_since() -> None:
    now = datetime(2025, 11, 19, 12, 0, tzinfo=UTC)
    assert parse_since("6h", now=now) == "2025-11-19T06:00:00+00:00"
    assert parse_since("2d", now=now) == "2025-11-17T12:00:00+00:00"
    assert parse_since("30m", now=now) == "2025-11-19T11:30:00+00:00"
    assert parse_since("2025-11-18") == "2025-11-18T00:00:00+00:00"
    assert parse_since("2025-11-18T08:00+07:00") == "2025-11-18T01:00:00+00:00"
    with pytest.raises(QueryError):
        parse_since("last week")
    assert to_utc_iso("2025-11-18T08:00:00Z") == "2025-11-18T08:00:00+00:00"
    assert to_utc_iso("garbage") is None and to_utc_iso(None) is None


def test_render_table_fits_the_width() -> None:
    rows = [{"published": "2025-11-17 13:00", "source": "fam68", "title": "x" * 200, "snippet": "y" * 300}]
    text = render_table(rows, ("published", "source", "title", "snippet"), width=100)
    assert all(len(line) <= 100 for line in text.splitlines())
    assert "…" in text and text.splitlines()[0].split() == ["published", "source", "title", "snippet"]
    short = render_table([{"a": "1", "b": "2"}], ("a", "b"), width=100)
    assert short.splitlines() == ["a  b", "1  2"]
