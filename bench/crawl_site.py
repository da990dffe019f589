"""The static site of ``bench/crawl_speed.py``: FAM68-style portals on loopback hosts, served by nginx.

Each portal (host ``127.0.0.N``, one port for all) has its article pages (one HTML file each), a sitemap
index with children of 1,000 URLs and a robots.txt naming it. nginx serves them (one worker, access log off,
ETags on), so the server is not the bottleneck. :func:`archive_records` gives the articles a pre-filled
database holds for the ``--archive`` case: ``bench/store.py``'s generator, with copies of the portals'
own stories (from other outlets) among them so that the crawl meets story candidates.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.records import ArticleRecord

URLS_PER_SITEMAP = 1000

WORDS = (
    "pemerintah provinsi banten kepolisian imigrasi kerja sama warga desa kota kabupaten bupati gubernur "
    "menteri presiden rakyat pekerja migran program bantuan sosial anggaran pendidikan sekolah guru murid "
    "rumah sakit dokter pasien kesehatan jalan tol jembatan banjir longsor gempa cuaca hujan angin petani "
    "nelayan pasar harga beras cabai minyak goreng inflasi ekonomi investasi pabrik buruh upah minimum "
    "pengadilan hakim jaksa saksi korupsi penangkapan tersangka polisi razia narkoba lalu lintas kecelakaan "
    "festival budaya pariwisata pantai gunung hotel wisatawan olahraga sepak bola pertandingan juara atlet "
    "teknologi internet digital aplikasi startup pemilu partai calon kampanye suara rapat dewan perwakilan "
    "data laporan survei penelitian universitas mahasiswa dosen lingkungan sampah hutan sungai air bersih "
    "listrik energi tambang transportasi kereta bandara pelabuhan kapal bus angkutan umum perumahan tanah"
).split()
SECTIONS = ("daerah", "nasional", "hukum", "ekonomi", "olahraga", "wisata")
STOP = ("yang dan di ke dari untuk dengan pada dalam ini itu akan juga oleh sebagai tidak ada atau karena "
        "telah sudah bagi para tersebut kata saat lebih bisa agar serta hingga namun menjadi").split()
_SYLLABLES = ("ba be bi bo bu da de di du ga gi gu ka ke ki ko ku la li lu ma me mi mu na ni nu pa pe pi "
              "pu ra re ri ru sa se si su ta te ti tu wa ya jan kan lah nya ran tan man ang ung ing").split()


def _vocabulary(rng: random.Random, n: int = 20_000) -> list[str]:
    """The news vocabulary plus pseudo-words, in a Zipf-like frequency order."""
    words = list(WORDS)
    seen = set(words)
    while len(words) < n:
        w = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


_VOCAB: list[str] = []
_WEIGHTS: list[float] = []


def _word(rng: random.Random) -> str:
    if rng.random() < 0.35:
        return rng.choice(STOP)
    if not _VOCAB:
        _VOCAB.extend(_vocabulary(random.Random(1)))
        acc = 0.0
        for rank in range(1, len(_VOCAB) + 1):
            acc += 1.0 / rank
            _WEIGHTS.append(acc)
    return rng.choices(_VOCAB, cum_weights=_WEIGHTS)[0]


def _sentence(rng: random.Random, n: int) -> str:
    """A sentence of Zipf-distributed words; one in four carries a number (news text cites figures)."""
    words = [_word(rng) for _ in range(n)]
    if rng.random() < 0.25:
        words.insert(rng.randrange(len(words)), str(rng.randrange(10, 99999)))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, rng.randint(12, 22)) for _ in range(rng.randint(2, 4)))


@dataclass(frozen=True)
class Story:
    """What one article page says (the archive's copies of it reuse this)."""

    path: str
    title: str
    published_at: str
    segments: list[tuple[str | None, list[str]]]


def article_page(i: int, rng: random.Random, base: str) -> tuple[Story, str]:
    """Article ``i`` in the FAM68 style: what it says and its HTML."""
    section = SECTIONS[i % len(SECTIONS)]
    title = _sentence(rng, 8).rstrip(".")
    slug = "-".join(title.lower().split()[:8]) + f"-{i}"
    path = f"/2025/{1 + i % 12:02d}/{slug}/"
    published = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+07:00"
    segments: list[tuple[str | None, list[str]]] = [(None, [_paragraph(rng), _paragraph(rng)])]
    parts = [f"<p>FAM68 – {segments[0][1][0]}</p>", f"<p>{segments[0][1][1]}</p>"]
    for _ in range(3):
        head = _sentence(rng, 7).rstrip(".")
        paras = [_paragraph(rng)]
        paras.extend(_paragraph(rng) for _ in range(rng.randint(1, 3)))
        segments.append((head, paras))
        parts.append(f"<h2>{head}</h2><p>FAM68 – {paras[0]}</p>")
        parts.extend(f"<p>{p}</p>" for p in paras[1:])
    promo = "".join(f"<li><a href='{base}/2025/01/berita-lain-{rng.randrange(10**6)}/'>{_sentence(rng, 6)}</a></li>"
                    for _ in range(4))
    nav = "".join(f"<li><a href='{base}/category/{s}/'>{s.title()}</a></li>" for s in SECTIONS)
    script = "<script>" + "var x=" + json.dumps([rng.random() for _ in range(150)]) + ";</script>"
    html = (
        "<!DOCTYPE html><html lang='id-ID'><head><meta charset='UTF-8'>"
        f"<title>{title} - FAM68</title><link rel='canonical' href='{base}{path}'>"
        f"<meta property='og:title' content='{title}'><meta property='article:published_time' "
        f"content='{published}'>{script}</head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1 class='entry-title'>{title}</h1><div class='entry-meta'>Redaksi FAM68 · "
        f"<a href='{base}/category/{section}/'>{section.title()}</a></div>"
        f"<div class='entry-content'>{''.join(parts)}"
        f"<p><strong>Berita Terpercaya :</strong></p><ul>{promo}</ul>"
        "<div class='sharedaddy'>Bagikan: Facebook Twitter WhatsApp</div></div></article></main>"
        f"<footer><p>© 2025 FAM68. Hak cipta dilindungi.</p><ul>{nav}</ul></footer></body></html>")
    return Story(path, title, published, segments), html


def host_base(host: int, port: int) -> str:
    """The base URL of portal ``host`` (0-based): its own loopback address, the same port."""
    return f"http://127.0.0.{host + 1}:{port}"


def generate_portal(root: Path, n: int, base: str, *, seed: int = 68, first: int = 0) -> list[Story]:
    """Write one portal of ``n`` articles (numbered from ``first``) under ``root``; what they say."""
    rng = random.Random(seed)
    stories: list[Story] = []
    for i in range(first, first + n):
        story, html = article_page(i, rng, base)
        d = root / story.path.strip("/")
        d.mkdir(parents=True, exist_ok=True)
        (d / "index.html").write_text(html, encoding="utf-8")
        stories.append(story)
    children = []
    for k in range(0, n, URLS_PER_SITEMAP):
        name = f"sitemap-{k // URLS_PER_SITEMAP + 1}.xml"
        body = "".join(f"<url><loc>{base}{s.path}</loc><lastmod>2025-11-01</lastmod></url>"
                       for s in stories[k:k + URLS_PER_SITEMAP])
        (root / name).write_text('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/'
                                 f'schemas/sitemap/0.9">{body}</urlset>', encoding="utf-8")
        children.append(name)
    index = "".join(f"<sitemap><loc>{base}/{c}</loc></sitemap>" for c in children)
    (root / "sitemap_index.xml").write_text('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://'
                                            f'www.sitemaps.org/schemas/sitemap/0.9">{index}</sitemapindex>',
                                            encoding="utf-8")
    (root / "robots.txt").write_text(f"User-agent: *\nDisallow: /wp-admin/\nSitemap: {base}/sitemap_index.xml\n")
    (root / "index.html").write_text("<html><body><h1>FAM68</h1></body></html>")
    return stories


def _split(n: int, hosts: int) -> list[int]:
    return [n // hosts + (1 if h < n % hosts else 0) for h in range(hosts)]


def generate_site(site: Path, n: int, hosts: int, port: int) -> list[list[Story]]:
    """``n`` articles split over ``hosts`` portals (``site/h0``, ``site/h1``, ...), each its own stories."""
    per = _split(n, hosts)
    out = []
    for h in range(hosts):
        root = site / f"h{h}"
        root.mkdir(parents=True)
        out.append(generate_portal(root, per[h], host_base(h, port), seed=68 + h, first=sum(per[:h])))
    return out


def site_stories(n: int, hosts: int) -> list[Story]:
    """The stories :func:`generate_site` writes (the same seeds), without writing anything."""
    per = _split(n, hosts)
    out = []
    for h in range(hosts):
        rng = random.Random(68 + h)
        first = sum(per[:h])
        out.extend(article_page(i, rng, "")[0] for i in range(first, first + per[h]))
    return out


# ---- nginx -------------------------------------------------------------------------------------------

def find_nginx() -> str | None:
    for cand in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if cand and os.access(cand, os.X_OK):
            return cand
    if os.geteuid() != 0:
        return None
    print("nginx not found: apt-get install -y nginx (once)", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for package in ("nginx-light", "nginx"):
        if subprocess.call(["apt-get", "install", "-y", "-q", package], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0:
            break
    else:
        return None
    return shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def free_port(hosts: int) -> int:
    """A port free on all the portals' addresses."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        try:
            for h in range(1, hosts):
                with socket.socket() as s:
                    s.bind((f"127.0.0.{h + 1}", port))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port on the loopback addresses")


def start_nginx(nginx: str, work: Path, site: Path, port: int, hosts: int,
                access_log: Path | None = None) -> subprocess.Popen[bytes]:
    """nginx serving the portals; ``access_log``: each request's end time and duration (seconds), one a line."""
    conf = work / "nginx.conf"
    log = (f"log_format t '$msec $request_time $request $connection';\n  access_log {access_log} t;"
           if access_log else "access_log off;")
    user = "user root;" if os.geteuid() == 0 else ""
    temp = "\n".join(f"  {k}_temp_path {work / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    servers = "\n".join(f"  server {{ listen 127.0.0.{h + 1}:{port}; root {site / f'h{h}'}; index index.html; }}"
                        for h in range(hosts))
    conf.write_text(f"""{user}
worker_processes 1;
daemon off;
pid {work / 'nginx.pid'};
error_log {work / 'nginx-error.log'} warn;
events {{ worker_connections 1024; }}
http {{
  types {{ text/html html; application/xml xml; text/plain txt; }}
  default_type application/octet-stream;
  {log}
  sendfile on;
  tcp_nopush on;
  etag on;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
{temp}
{servers}
}}
""")
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            for h in range(hosts):
                with socket.create_connection((f"127.0.0.{h + 1}", port), timeout=0.2):
                    pass
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("nginx did not start listening")


# ---- the archive -------------------------------------------------------------------------------------

COPY_SHARE = 0.10    # of the archive: other outlets' copies of the portals' stories


def archive_records(n: int, stories: list[Story], *, seed: int = 68) -> Iterator[ArticleRecord]:
    """``n`` archived articles: ``bench/store.py``'s generator (12 portals, 10 % syndicated among them),
    with every tenth record an earlier outlet's copy of one of the crawled portals' stories (its title and
    body under another lead paragraph, the same day), so that every crawled article meets candidates."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from store import Generator  # bench/store.py

    gen = Generator(seed=seed)
    rng = random.Random(seed)
    every = round(1 / COPY_SHARE)
    for i in range(n):
        if stories and i % every == every - 1:
            story = stories[(i // every) % len(stories)]
            source = f"arsip{(i // every) % 7:02d}"
            segments = [(h, list(p)) for h, p in story.segments]
            segments[0] = (None, [_paragraph(rng), *segments[0][1][1:]])
            url = f"https://{source}.example{story.path}{i}/"
            yield ArticleRecord(source=source, url=url, canonical_url=url, title=story.title, segments=segments,
                                published_at=story.published_at, authors=["Redaksi"], lang="id")
        else:
            yield gen.article(i)
