"""The FAM68 portal's HTML pages (WordPress markup): articles, AMP variants, listings, static pages."""

from __future__ import annotations

from datetime import datetime

from scraper.demo.data import _HTML, PER_PAGE, SECTIONS, SITE_EPOCH, STATIC_PAGES, DemoArticle
from scraper.demo.render import _date_id, _datetime_id, _esc, _excerpt, _iso, _RenderBase, _slugify


class _Fam68Pages(_RenderBase):
    """The FAM68 pages."""

    def _menu(self, current: str | None = None) -> str:
        items = [f'        <li class="menu-item"><a href="{self.u("/")}">Beranda</a></li>']
        for slug, name in SECTIONS.items():
            cls = "menu-item current-menu-item" if slug == current else "menu-item"
            items.append(f'        <li class="{cls}"><a href="{self.u(f"/kategori/{slug}/")}">{name}</a></li>')
        return "\n".join(items)

    def _sidebar(self, with_preview: bool = False) -> str:
        pop = "\n".join(f'          <li><a href="{self.u(a.path)}">{_esc(a.title)}</a></li>' for a in self.popular)
        cats = "\n".join(
            f'          <li class="cat-item cat-item-{i + 2}"><a href="{self.u(f"/kategori/{slug}/")}">{name}</a></li>'
            for i, (slug, name) in enumerate(SECTIONS.items()))
        out = (f'      <section id="fam68-popular-2" class="widget widget_popular">\n'
               f'        <h2 class="widget-title">Terpopuler</h2>\n        <ol>\n{pop}\n        </ol>\n'
               f'      </section>\n'
               f'      <section id="categories-2" class="widget widget_categories">\n'
               f'        <h2 class="widget-title">Kategori</h2>\n        <ul>\n{cats}\n        </ul>\n'
               f'      </section>')
        if with_preview and self.drafts:
            links = "\n".join(f'          <li><a href="{self.u(a.public_path)}">{_esc(a.title)}</a></li>'
                              for a in self.drafts)
            out += (f'\n      <section id="fam68-upcoming-2" class="widget widget_upcoming">\n'
                    f'        <h2 class="widget-title">Segera Tayang</h2>\n        <ul>\n{links}\n        </ul>\n'
                    f'      </section>')
        return out

    def _ticker(self) -> str:
        return " &bull; ".join(f'<a href="{self.u(a.path)}">{_esc(a.title)}</a>' for a in self.newest_first[:3])

    def _layout(self, *, title_tag: str, head_extra: str, body_class: str, main: str, current: str | None = None,
                with_preview: bool = False, today: datetime | None = None) -> str:
        return self.tpl.render(
            "fam68-layout.html", base=self.base, title_tag=_esc(title_tag), head_extra=head_extra,
            body_class=body_class, main=main, menu=self._menu(current), ticker=self._ticker(),
            sidebar=self._sidebar(with_preview), today=_date_id(today or self.newest_first[0].published))

    def _heading(self, art: DemoArticle, text: str) -> str:
        style = art.post_id % 3
        if style == 0:
            return f'<h2 class="wp-block-heading">{_esc(text)}</h2>'
        if style == 1:
            return f'<h3 class="wp-block-heading">{_esc(text)}</h3>'
        return f"<p><strong>{_esc(text)}</strong></p>"

    def _read_also(self, art: DemoArticle) -> DemoArticle:
        same = [a for a in self.fam if a.section == art.section and a is not art]
        older = [a for a in same if a.published < art.published]
        return older[-1] if older else same[0]

    def _promo_targets(self, art: DemoArticle) -> list[DemoArticle]:
        others = [a for a in self.fam if a.section != art.section]
        k = art.post_id
        return [others[(k * 7) % len(others)], others[(k * 13 + 5) % len(others)]]

    def _related(self, art: DemoArticle) -> list[DemoArticle]:
        same = [a for a in self.fam if a.section == art.section and a is not art]
        k = art.post_id % max(len(same), 1)
        return (same[k:] + same[:k])[:3]

    def _fam68_body(self, art: DemoArticle, page: int, *, amp: bool) -> str:
        """The inside of div.entry-content (or the AMP content div) for page 1 or 2."""
        url = self.u(art.path)
        parts: list[str] = []
        sections = art.sections
        if art.page_break is not None:
            sections = sections[:art.page_break] if page == 1 else sections[art.page_break:]
        if page == 1:
            parts.append(f"<p>FAM68 &#8211; {_esc(art.lead)}</p>")
            img = self.u(f"/wp-content/uploads/{art.published:%Y/%m}/{art.slug}-800x450.jpg")
            cap = (f"Suasana kegiatan terkait {_esc(art.tags[0] if art.tags else SECTIONS[art.section])}. "
                   f"(Foto: Dok. FAM68/{_esc(art.author.split()[0])})")
            if amp:
                parts.append(f'<figure class="wp-caption"><amp-img src="{img}" width="800" height="450" '
                             f'layout="responsive" alt=""></amp-img><figcaption class="wp-caption-text">{cap}'
                             f"</figcaption></figure>")
            else:
                parts.append(f'<figure id="attachment_{art.post_id + 50000}" class="wp-caption aligncenter">'
                             f'<img loading="lazy" decoding="async" src="{img}" alt="" width="800" height="450">'
                             f'<figcaption class="wp-caption-text">{cap}</figcaption></figure>')
        ad = ('<amp-ad width="300" height="250" type="adsense" data-ad-client="ca-pub-0000000000000068" '
              'data-ad-slot="6800000001"><div placeholder>ADVERTISEMENT</div></amp-ad>' if amp else
              '<div class="code-block code-block-2 ads-inline"><p class="ads-label">ADVERTISEMENT</p>'
              '<ins class="adsbygoogle" style="display:block" data-ad-client="ca-pub-0000000000000068" '
              'data-ad-slot="6800000001"></ins><p class="ads-label">SCROLL TO CONTINUE WITH CONTENT</p></div>')
        for n, sec in enumerate(sections):
            parts.append(self._heading(art, sec.headline))
            for m, para in enumerate(sec.paragraphs):
                parts.append(f"<p>FAM68 &#8211; {_esc(para)}</p>" if m == 0 else f"<p>{_esc(para)}</p>")
                if n == 0 and m == 0 and not art.draft:
                    also = self._read_also(art)
                    label = "Baca juga:" if art.post_id % 2 else "Baca Juga :"
                    parts.append(f'<p><strong>{label}</strong> <a href="{self.u(also.path)}">'
                                 f"{_esc(also.title)}</a></p>")
                if n == 0 and m == 1:
                    parts.append(ad)
        last_page = art.page_break is None or page == 2
        if art.signoff and last_page:
            parts.append(f"<p>{_esc(art.signoff)}</p>")
        if art.page_break is not None:
            p1 = f'<a href="{url}" class="post-page-numbers"><span class="screen-reader-text">Halaman </span>1</a>'
            p2 = (f'<a href="{self.u(art.page2_path or "")}" class="post-page-numbers">'
                  f'<span class="screen-reader-text">Halaman </span>2</a>')
            cur = '<span class="post-page-numbers current" aria-current="page">{n}</span>'
            links = (cur.format(n=1) + " " + p2) if page == 1 else (p1 + " " + cur.format(n=2))
            parts.append(f'<div class="page-links">Halaman: {links}</div>')
        if not art.draft:
            parts.append("<p><strong>Berita Terpercaya :</strong></p>")
            for t in self._promo_targets(art):
                parts.append(f'<p><a href="{self.u(t.path)}">{_esc(t.title)}</a></p>')
        if not amp:
            share = "".join(
                f'<li class="share-{k}"><a rel="nofollow noopener noreferrer" class="share-{k} sd-button share-icon" '
                f'href="{url}?share={k}" target="_blank"><span>{label}</span></a></li>'
                for k, label in (("facebook", "Facebook"), ("x", "X"), ("jetpack-whatsapp", "WhatsApp")))
            parts.append('<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block '
                         'sd-social sd-sharing"><h3 class="sd-title">Bagikan ini:</h3><div class="sd-content">'
                         f"<ul>{share}</ul></div></div></div>")
            if not art.draft:
                rel = "".join(
                    f'<div class="jp-relatedposts-post jp-relatedposts-post{i}" data-post-id="{r.post_id}">'
                    f'<h4 class="jp-relatedposts-post-title"><a class="jp-relatedposts-post-a" '
                    f'href="{self.u(r.path)}">{_esc(r.title)}</a></h4>'
                    f'<p class="jp-relatedposts-post-date">{_date_id(r.published)}</p>'
                    f'<p class="jp-relatedposts-post-context">Dalam &quot;{SECTIONS[r.section]}&quot;</p></div>'
                    for i, r in enumerate(self._related(art)))
                parts.append('<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">'
                             f'<em>Terkait</em></h3><div class="jp-relatedposts-items">{rel}</div></div>')
        return "\n".join(parts)

    def _fam68_article(self, art: DemoArticle) -> None:
        url = self.u(art.path)
        image = self.u(f"/wp-content/uploads/{art.published:%Y/%m}/{art.slug}.jpg")
        prev_a, next_a = self._neighbours(art)
        nav = ""
        if prev_a:
            nav += (f'<div class="nav-previous"><a href="{self.u(prev_a.path)}" rel="prev">'
                    f'<span class="nav-subtitle">Sebelumnya</span> <span class="nav-title">{_esc(prev_a.title)}</span></a></div>')
        if next_a:
            nav += (f'<div class="nav-next"><a href="{self.u(next_a.path)}" rel="next">'
                    f'<span class="nav-subtitle">Berikutnya</span> <span class="nav-title">{_esc(next_a.title)}</span></a></div>')
        tags = ", ".join(f'<a href="{self.u("/tag/" + _slugify(t) + "/")}" rel="tag">{_esc(t)}</a>' for t in art.tags)
        pages = [1, 2] if art.page_break is not None else [1]
        for page in pages:
            page_url = url if page == 1 else self.u(art.page2_path or "")
            head = [
                f'<meta name="description" content="FAM68 &#8211; {_esc(_excerpt(art.lead, 25).replace(" [&hellip;]", ""))}">',
                '<meta name="robots" content="noindex, nofollow">' if art.draft else
                '<meta name="robots" content="index, follow, max-image-preview:large">',
                f'<link rel="canonical" href="{page_url}">',
                '<meta property="og:locale" content="id_ID">',
                '<meta property="og:type" content="article">',
                f'<meta property="og:title" content="{_esc(art.title)} - FAM68">',
                f'<meta property="og:description" content="{_esc(art.lead)}">',
                f'<meta property="og:url" content="{page_url}">',
                '<meta property="og:site_name" content="FAM68">',
                f'<meta property="article:section" content="{SECTIONS[art.section]}">',
                *(f'<meta property="article:tag" content="{_esc(t)}">' for t in art.tags),
                f'<meta property="article:published_time" content="{_iso(art.published)}">',
                f'<meta property="article:modified_time" content="{_iso(art.modified)}">',
                f'<meta property="og:image" content="{image}">',
                '<meta property="og:image:width" content="1280">',
                '<meta property="og:image:height" content="720">',
                f'<meta name="author" content="{_esc(art.author)}">',
                '<meta name="twitter:card" content="summary_large_image">',
            ]
            if art.amp_path:
                head.append(f'<link rel="amphtml" href="{self.u(art.amp_path)}">')
            if art.page_break is not None:
                head.append(f'<link rel="next" href="{self.u(art.page2_path or "")}">' if page == 1
                            else f'<link rel="prev" href="{url}">')
            head.append(f'<link rel="shortlink" href="{self.u(f"/?p={art.post_id}")}">')
            head.append(f'<script type="application/ld+json" class="yoast-schema-graph">'
                        f'{self._jsonld(art, page_url, "FAM68", image)}</script>')
            main = self.tpl.render(
                "fam68-article.html", base=self.base, post_id=art.post_id, section_slug=art.section,
                section_name=SECTIONS[art.section], title=_esc(art.title), author=_esc(art.author),
                author_slug=_slugify(art.author), url=url, published_iso=_iso(art.published),
                modified_iso=_iso(art.modified), date_text=_datetime_id(art.published),
                modified_text=_datetime_id(art.modified), image=image,
                content=self._fam68_body(art, page, amp=False), tags=tags, post_nav=nav)
            title_tag = f"{art.title} - FAM68" if page == 1 else f"{art.title} - Halaman 2 - FAM68"
            body = self._layout(title_tag=title_tag, head_extra="\n".join(head),
                                body_class=f"post-template-default single single-post postid-{art.post_id} "
                                           f"single-format-standard", main=main, current=art.section,
                                today=art.published)
            path = art.path if page == 1 else (art.page2_path or "")
            if art.draft:
                path = art.public_path
            self._put(path, body, _HTML, art.modified)
        if art.amp_path:
            body = self.tpl.render(
                "fam68-amp.html", base=self.base, url=url, title=_esc(art.title), author=_esc(art.author),
                published_iso=_iso(art.published), modified_iso=_iso(art.modified),
                date_text=_datetime_id(art.published), image=image, section_slug=art.section,
                section_name=SECTIONS[art.section], jsonld=self._jsonld(art, url, "FAM68", image),
                content=self._fam68_body(art, 1, amp=True) + (
                    "\n" + self._fam68_body(art, 2, amp=True) if art.page_break is not None else ""))
            self._put(art.amp_path, body, _HTML, art.modified)

    def _listing_item(self, art: DemoArticle, *, link_amp: bool) -> str:
        href = self.u(art.amp_path if (link_amp and art.amp_path) else art.path)
        return (f'<article id="post-{art.post_id}" class="post-{art.post_id} post type-post status-publish hentry '
                f'category-{art.section}">\n'
                f'  <header class="entry-header">\n'
                f'    <span class="cat-links"><a href="{self.u(f"/kategori/{art.section}/")}" rel="category tag">'
                f"{SECTIONS[art.section]}</a></span>\n"
                f'    <h2 class="entry-title"><a href="{href}" rel="bookmark">{_esc(art.title)}</a></h2>\n'
                f'    <div class="entry-meta"><time class="entry-date published" datetime="{_iso(art.published)}">'
                f'{_date_id(art.published)}</time> <span class="byline">Oleh {_esc(art.author)}</span></div>\n'
                f"  </header>\n"
                f'  <div class="entry-summary"><p>FAM68 &#8211; {_excerpt(_esc(art.lead))}</p></div>\n'
                f'  <a class="more-link" href="{href}">Selengkapnya</a>\n'
                f"</article>")

    def _listing(self, prefix: str, items: list[DemoArticle], *, heading: str, current: str | None,
                 link_amp: bool, with_preview: bool) -> None:
        pages = max(1, -(-len(items) // PER_PAGE))
        for page in range(1, pages + 1):
            chunk = items[(page - 1) * PER_PAGE: page * PER_PAGE]
            nav, head = self._pagination(prefix, page, pages, self.u)
            path = prefix if page == 1 else f"{prefix}page/{page}/"
            head.insert(0, f'<link rel="canonical" href="{self.u(path)}">')
            head.insert(1, '<meta property="og:type" content="website">')
            main = (f'<header class="page-header"><h1 class="page-title">{_esc(heading)}</h1></header>\n'
                    + "\n".join(self._listing_item(a, link_amp=link_amp) for a in chunk) + "\n" + nav)
            title = heading if page == 1 else f"{heading} - Halaman {page}"
            body = self._layout(title_tag=f"{title} - FAM68", head_extra="\n".join(head),
                                body_class="home blog" if current is None else f"archive category category-{current}",
                                main=main, current=current, with_preview=with_preview and page == 1)
            last_mod = max(a.modified for a in chunk) if chunk else SITE_EPOCH
            self._put(path, body, _HTML, last_mod)

    def _fam68_listings(self) -> None:
        self._listing("/", self.newest_first, heading="Berita Terkini", current=None, link_amp=False,
                      with_preview=True)
        for slug, name in SECTIONS.items():
            items = [a for a in self.newest_first if a.section == slug]
            self._listing(f"/kategori/{slug}/", items, heading=f"Kategori: {name}", current=slug, link_amp=True,
                          with_preview=False)

    def _static_pages(self) -> None:
        for path, (title, text) in STATIC_PAGES.items():
            main = (f'<article class="page type-page status-publish hentry">\n'
                    f'  <header class="entry-header"><h1 class="entry-title">{_esc(title)}</h1></header>\n'
                    f'  <div class="entry-content"><p>{_esc(text)}</p></div>\n</article>')
            head = f'<link rel="canonical" href="{self.u(path)}">\n<meta property="og:type" content="website">'
            self._put(path, self._layout(title_tag=f"{title} - FAM68", head_extra=head,
                                         body_class="page-template-default page", main=main,
                                         today=SITE_EPOCH), _HTML, SITE_EPOCH)
