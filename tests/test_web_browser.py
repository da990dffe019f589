"""``kabar serve`` in a real headless browser: the distribution's Chromium driven by Playwright.

A ``kabar demo`` crawl of the bundled demo site (syndicated copies between two outlets) plus one stored
article whose title holds a script tag is served by a real ``kabar serve`` subprocess on a free loopback
port. Playwright never downloads a browser here: it launches ``chromium`` from PATH (``apt-get install -y
chromium``; as root it needs ``--no-sandbox``). Without it the tests are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scraper.demo import BANTENPOS, FAM68
from storage.records import ArticleRecord
from storage.store import Store

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no chromium on PATH (apt-get install -y chromium) for the browser tests", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_TITLE = 'Banjir <script>document.title="pwned";window.pwned=1</script> di Serang'
VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}


def kabar(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "scraper", *args], capture_output=True, text=True, timeout=300,
                          env=env, **kw)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("serve")
    db = tmp / "demo.db"
    demo = kabar("demo", "--db", str(db), cwd=str(tmp))
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert f"kabar --db {db} serve" in demo.stdout          # the demo says how to open it in a browser
    with Store.open(str(db)) as store:
        url = "http://127.0.0.1:9/berita/banjir-skrip"
        store.save_article(ArticleRecord(
            source=FAM68, url=url, canonical_url=url, title=SCRIPT_TITLE,
            segments=[(None, ["Banjir setinggi 80 sentimeter merendam 120 rumah di Kota Serang pada Selasa. "
                              "Warga mengungsi ke masjid terdekat. <img src=x onerror=alert(1)>"])],
            published_at="2020-01-01T08:00:00+07:00", removed=[("ad", "ADVERTISEMENT")]))
    return db


@pytest.fixture(scope="module")
def server(archive: Path) -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "scraper", "--db", str(archive), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert " at http://127.0.0.1:" in line, (line, proc.poll(), proc.stderr.read() if proc.poll() else "")
        base = line.split(" at ", 1)[1].split()[0].rstrip("/")
        for _ in range(100):
            try:
                httpx.get(f"{base}/sources.json", timeout=5)
                break
            except httpx.TransportError:
                import time

                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


class Page:
    """A browser page that records console errors and uncaught exceptions."""

    def __init__(self, browser: Any, width: int = 1280, height: int = 800) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))

    def open(self, url: str) -> Any:
        resp = self.page.goto(url, wait_until="load")
        assert resp is not None and resp.status == 200, url
        return self.page

    def close(self) -> None:
        assert self.errors == []
        self.context.close()


def story_with_two_outlets(base: str) -> dict[str, Any]:
    for page in range(1, 10):
        stories = httpx.get(f"{base}/.json?page={page}", timeout=30).json()["stories"]
        found = [s for s in stories if s["outlets"] >= 2]
        if found:
            return found[0]
    raise AssertionError("no syndicated story in the demo archive")


def test_front_page_lists_stories_with_copy_counts(server: str, browser: Any) -> None:
    tab = Page(browser)
    page = tab.open(server + "/")
    assert page.locator("h1").inner_text() == "Latest stories"
    assert page.locator("li.story").count() == 20
    for _ in range(5):     # the syndicated stories are older: follow the pages
        if page.locator("li.story .copies", has_text="2 copies").count():
            break
        page.click("a[rel=next]")
        page.wait_for_load_state("load")
    copied = page.locator("li.story", has_text="2 copies").first
    assert FAM68 in copied.inner_text() and BANTENPOS in copied.inner_text()
    tab.close()


def test_search_form_finds_and_highlights(server: str, browser: Any) -> None:
    tab = Page(browser)
    page = tab.open(server + "/")
    page.fill("input[name=q]", "banjir")
    page.click("form.filters button")
    page.wait_for_url("**/?q=banjir*")
    marks = page.locator("li.story mark")
    assert marks.count() >= 1 and marks.first.inner_text().lower() == "banjir"
    page.fill("input[name=q]", '"unterminated')
    page.click("form.filters button")
    page.wait_for_load_state("load")
    assert "bad search query" in page.locator("#error").inner_text()
    tab.close()


def test_story_page_shows_both_outlets_and_marks_the_earlier(server: str, browser: Any) -> None:
    story = story_with_two_outlets(server)
    tab = Page(browser)
    page = tab.open(f"{server}/story/{story['story_id']}")
    rows = page.locator("table.copies tbody tr")
    assert rows.count() >= 2
    outlets = {rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())}
    assert {FAM68, BANTENPOS} <= outlets
    first = page.locator("table.copies tr.earliest")
    assert first.count() == 1 and first.locator(".badge.first").inner_text() == "first"
    data = httpx.get(f"{server}/story/{story['story_id']}.json", timeout=30).json()
    earliest = data["copies"][0]
    assert first.get_attribute("data-article") == str(earliest["id"])
    assert all((earliest["published_at"] or "") <= (c["published_at"] or "~") for c in data["copies"])
    assert page.locator("section.copy:not(.earliest) ul.diff li").count() >= 1
    tab.close()


def test_a_script_title_renders_as_text_and_runs_nothing(server: str, browser: Any, archive: Path) -> None:
    with Store.open(str(archive), readonly=True) as store:
        (article_id,) = store.conn.execute("SELECT id FROM articles WHERE title = ?", (SCRIPT_TITLE,)).fetchone()
    tab = Page(browser)
    for path in (f"/article/{article_id}", f"/story/{article_id}", "/?q=pwned"):
        page = tab.open(server + path)
        assert page.evaluate("window.pwned") is None and page.title() != "pwned"
        assert '<script>document.title="pwned"' in page.locator("main").inner_text()
        assert page.locator("main script").count() == 0
    tab.close()


def test_sources_page_draws_a_chart(server: str, browser: Any) -> None:
    tab = Page(browser)
    page = tab.open(server + "/sources")
    charts = page.locator(".chart svg")
    assert charts.count() == 2
    assert page.locator(".chart svg rect").count() == 60
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 20
    heights = page.eval_on_selector_all(".chart svg rect", "rs => rs.map(r => r.getBBox().height)")
    assert max(heights) > 0      # today's crawl draws a bar
    assert "ok" in page.locator("table.runs").first.inner_text()
    tab.close()


def test_every_view_has_json(server: str, archive: Path) -> None:
    story = story_with_two_outlets(server)
    for path in ("/.json", "/.json?q=banjir", f"/story/{story['story_id']}.json",
                 f"/article/{story['article_id']}.json", "/sources.json"):
        resp = httpx.get(server + path, timeout=30)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json"), path
        assert isinstance(json.loads(resp.text), dict)
    assert httpx.post(server + "/", timeout=30).status_code == 405


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_layout_fits_desktop_and_phone(server: str, browser: Any, viewport: str, tmp_path: Path) -> None:
    width, height = VIEWPORTS[viewport]
    story = story_with_two_outlets(server)
    tab = Page(browser, width, height)
    for name, path in (("front", "/"), ("search", "/?q=banjir"), ("story", f"/story/{story['story_id']}"),
                       ("article", f"/article/{story['article_id']}"), ("sources", "/sources")):
        page = tab.open(server + path)
        shot = tmp_path / f"{name}-{viewport}.png"
        page.screenshot(path=str(shot), full_page=True)
        png = shot.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        shot_width = int.from_bytes(png[16:20], "big")
        assert shot_width == width, (name, shot_width)     # a full-page shot wider than the viewport overflows
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (name, viewport, overflow)
    tab.close()


def test_article_page_lists_what_the_cleaner_removed(server: str, browser: Any, archive: Path) -> None:
    with Store.open(str(archive), readonly=True) as store:
        (article_id,) = store.conn.execute(
            "SELECT article_id FROM removed_blocks WHERE kind = 'related' ORDER BY article_id LIMIT 1").fetchone()
    tab = Page(browser)
    page = tab.open(f"{server}/article/{article_id}")
    kinds = page.locator("ul.removed .badge").all_inner_texts()
    assert "related" in kinds and len(kinds) >= 2
    assert page.locator("section.segment p").count() >= 2
    tab.close()
