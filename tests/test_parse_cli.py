"""``kabar parse``: files, folders, --url, --source, unreadable files, and live URLs (a local server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.cli import main_group

P1 = ("Pemerintah Provinsi Banten menyalurkan bantuan logistik kepada ribuan warga terdampak banjir di "
      "Kabupaten Lebak, Jumat, setelah hujan deras mengguyur wilayah itu sejak Kamis malam.")
P2 = ("Kepala BPBD menyebutkan sedikitnya 1.200 rumah terendam air setinggi satu meter, sementara ratusan "
      "warga mengungsi ke balai desa dan masjid yang ada di sekitar lokasi banjir.")
P3 = ("Petugas gabungan dari TNI, Polri dan relawan masih bersiaga di sejumlah titik rawan longsor sambil "
      "membantu warga membersihkan lumpur yang masuk ke permukiman.")


def article(body: str, title: str = "Banjir Rendam Lebak") -> str:
    return (f"<html lang='id'><head><meta charset='utf-8'><title>{title} - FAM68</title></head><body>"
            f"<article><h1>{title}</h1><div class='entry-content'>{body}</div></article></body></html>")


def run(args: list[str], tmp_path: Path | None = None) -> tuple[int, list[dict], str]:
    runner = CliRunner()
    base = ["--config", str(tmp_path / "config.toml")] if tmp_path and (tmp_path / "config.toml").exists() else []
    result = runner.invoke(main_group, base + ["parse", *args], standalone_mode=False)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
    return result.return_value, lines, result.stderr


def test_one_file(tmp_path: Path) -> None:
    f = tmp_path / "a.html"
    f.write_text(article(f"<p>FAM68 – {P1}</p><p>{P2}</p><p>Baca juga: <a href='/x'>Lain</a></p>"), encoding="utf-8")
    rc, out, _ = run([str(f)])
    assert rc == 0 and len(out) == 1
    obj = out[0]
    assert obj["path"] == str(f) and obj["url"] is None and obj["pages"] == 1
    assert obj["title"] == "Banjir Rendam Lebak" and obj["dateline"] == "FAM68"
    assert obj["text"] == f"{P1}\n{P2}"
    assert {r["kind"] for r in obj["removed"]} == {"dateline", "promo"}


def test_folder_is_walked_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.htm").write_text(article(f"<p>{P3}</p><p>{P1}</p>"), encoding="utf-8")
    (tmp_path / "a.html").write_text(article(f"<p>{P1}</p><p>{P2}</p>"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("bukan html", encoding="utf-8")
    rc, out, _ = run([str(tmp_path)])
    assert rc == 0
    assert [Path(o["path"]).name for o in out] == ["a.html", "z.htm"]


def test_missing_file_is_reported_and_others_still_printed(tmp_path: Path) -> None:
    good = tmp_path / "a.html"
    good.write_text(article(f"<p>{P1}</p><p>{P2}</p>"), encoding="utf-8")
    rc, out, err = run([str(tmp_path / "missing.html"), str(good)])
    assert rc == 1
    assert len(out) == 1 and out[0]["path"] == str(good)
    assert "missing.html" in err


def test_url_option_sets_the_page_url(tmp_path: Path) -> None:
    f = tmp_path / "a.html"
    f.write_text(article(f"<p>{P1}</p><p>{P2}</p><div class='pagination'><a href='?page=2'>2</a></div>"),
                 encoding="utf-8")
    rc, out, _ = run([str(f), "--url", "https://fam68.example/2025/11/banjir/"])
    assert rc == 0
    assert out[0]["url"] == "https://fam68.example/2025/11/banjir/"
    assert out[0]["next_pages"] == ["https://fam68.example/2025/11/banjir/?page=2"]
    assert out[0]["pages"] == 1


def test_url_option_needs_exactly_one_file(tmp_path: Path) -> None:
    for name in ("a.html", "b.html"):
        (tmp_path / name).write_text(article(f"<p>{P1}</p>"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main_group, ["parse", str(tmp_path), "--url", "https://x.example/"],
                           standalone_mode=False)
    assert result.exception is not None and getattr(result.exception, "exit_code", None) == 2


def test_source_profile_from_config(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[[sources]]\nname = "lokal"\nstart_urls = ["https://lokal.example/"]\n'
        '[sources.parse]\nbody = ".isi-khusus"\npromo_phrases = ["Kabar Pilihan"]\n'
        'dateline = "^LOKAL\\\\s*/\\\\s*"\n', encoding="utf-8")
    f = tmp_path / "a.html"
    f.write_text("<html><body><div class='entry-content'><p>" + P3 + "</p><p>" + P3 + "</p></div>"
                 "<div class='isi-khusus'><p>LOKAL / " + P1 + "</p><p>Kabar Pilihan: <a href='/x'>Judul</a></p>"
                 "<p>" + P2 + "</p></div></body></html>", encoding="utf-8")
    rc, out, _ = run([str(f), "--source", "lokal"], tmp_path)
    assert rc == 0
    assert out[0]["text"] == f"{P1}\n{P2}"
    assert out[0]["dateline"] == "LOKAL"
    rc2, out2, _ = run([str(f)], tmp_path)
    assert P3 in out2[0]["text"]


def test_unknown_source_is_a_config_error(tmp_path: Path) -> None:
    f = tmp_path / "a.html"
    f.write_text(article(f"<p>{P1}</p>"), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main_group, ["parse", str(f), "--source", "nope"], standalone_mode=False)
    assert getattr(result.exception, "exit_code", None) == 2


# ---------------------------------------------------------------------------------------------------
# Live URLs against a server on 127.0.0.1
# ---------------------------------------------------------------------------------------------------

PAGES = {
    "/berita/banjir": article(f"<p>FAM68 – {P1}</p><h2>Warga Mengungsi</h2><p>{P2}</p>"
                              "<div class='pagination'><a href='/berita/banjir?page=2'>2</a></div>"),
    "/berita/banjir?page=2": article(f"<p>{P3}</p><p>(abc/def)</p>"
                                     "<div class='pagination'><a href='/berita/banjir'>1</a></div>"),
}

PAGES["/rahasia/banjir"] = PAGES["/berita/banjir"]
REQUESTED: list[str] = []


@pytest.fixture()
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            REQUESTED.append(self.path)
            body = PAGES.get(self.path)
            if self.path == "/robots.txt":
                data = b"User-agent: *\nDisallow: /rahasia/\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if self.path == "/lama":
                self.send_response(301)
                self.send_header("Location", "/berita/banjir")
                self.end_headers()
                return
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_url_is_fetched_and_further_pages_stitched(server: str) -> None:
    rc, out, _ = run([server + "/lama"])
    assert rc == 0 and len(out) == 1
    obj = out[0]
    assert obj["path"] is None
    assert obj["url"] == server + "/berita/banjir"
    assert obj["pages"] == 2 and obj["next_pages"] == []
    assert obj["segments"] == [{"headline": None, "paragraphs": [P1]},
                               {"headline": "Warga Mengungsi", "paragraphs": [P2, P3]}]
    assert {r["kind"] for r in obj["removed"]} >= {"dateline", "signoff"}


def test_url_that_fails_is_reported(server: str, tmp_path: Path) -> None:
    good = tmp_path / "a.html"
    good.write_text(article(f"<p>{P1}</p><p>{P2}</p>"), encoding="utf-8")
    rc, out, err = run([server + "/hilang", str(good)])
    assert rc == 1 and len(out) == 1
    assert "/hilang" in err


def test_url_fetch_obeys_robots_txt(server: str) -> None:
    REQUESTED.clear()
    rc, out, err = run([server + "/rahasia/banjir"])
    assert rc == 1 and out == []
    assert err.startswith("kabar: error: cannot fetch ") and len(err.strip().splitlines()) == 1
    assert "robots.txt" in err
    assert "/rahasia/banjir" not in REQUESTED and "/robots.txt" in REQUESTED
