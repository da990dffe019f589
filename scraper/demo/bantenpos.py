"""The BANTENPOS portal's pages (tagDiv "Newspaper" markup): articles, listings, feed, sitemap."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from scraper.demo.data import _HTML, _RSS, _XML, FEED_SIZE, PER_PAGE, SECTIONS, DemoArticle, _crc
from scraper.demo.render import _MONTHS, _date_id, _esc, _excerpt, _iso, _RenderBase, _slugify


class _BantenposPages(_RenderBase):
    """The BANTENPOS pages."""

    def _bp_layout(self, *, title_tag: str, head_extra: str, body_class: str, main: str, today: datetime) -> str:
        recent = "".join(
            f'<div class="td_module_6 td_module_wrap"><h3 class="entry-title td-module-title">'
            f'<a href="{self.u(a.path)}" rel="bookmark" title="{_esc(a.title)}">{_esc(a.title)}</a></h3></div>'
            for a in sorted(self.bp, key=lambda a: a.published, reverse=True)[:4])
        sidebar = (f'<div class="td_block_wrap td_block_7 td_block_widget"><div class="td-block-title-wrap">'
                   f'<h4 class="block-title"><span>TERBARU</span></h4></div><div class="td_block_inner">{recent}'
                   f"</div></div>")
        return self.tpl.render("bantenpos-layout.html", base=self.base, title_tag=_esc(title_tag),
                               head_extra=head_extra, body_class=body_class, main=main, sidebar=sidebar,
                               today=_date_id(today))

    def _bp_dateline(self, art: DemoArticle) -> tuple[str, bool]:
        """(lead dateline, whether section paragraphs carry one)."""
        if art.copy_mode == "verbatim":
            return "BANTENPOS &#8211; ", True
        return "SERANG, BANTENPOS - ", False

    def _bantenpos_article(self, art: DemoArticle) -> None:
        url = self.u(art.path)
        image = self.u(f"/bantenpos/wp-content/uploads/{art.published:%Y/%m}/{art.slug}-696x392.jpg")
        lead_dl, section_dl = self._bp_dateline(art)
        others = [a for a in self.bp if a is not art]
        also = others[art.post_id % len(others)]
        parts = [f"<p>{lead_dl}{_esc(art.lead)}</p>"]
        for n, sec in enumerate(art.sections):
            parts.append(f"<h3>{_esc(sec.headline)}</h3>")
            for m, para in enumerate(sec.paragraphs):
                dl = "BANTENPOS &#8211; " if (m == 0 and section_dl) else ""
                parts.append(f"<p>{dl}{_esc(para)}</p>")
                if n == 0 and m == 0:
                    parts.append(f'<p><strong>Baca Juga:</strong> <a href="{self.u(also.path)}">'
                                 f"{_esc(also.title)}</a></p>")
                    parts.append('<div class="td-a-rec td-a-rec-id-content_inline tdi_2 td_block_template_1">'
                                 '<span class="td-adspot-title">- Advertisement -</span><ins class="adsbygoogle" '
                                 'data-ad-client="ca-pub-0000000000000077" data-ad-slot="7700000002"></ins></div>')
        if art.signoff:
            parts.append(f"<p>{_esc(art.signoff)}</p>")
        parts.append('<div class="td-a-rec td-a-rec-id-content_bottom"><span class="td-adspot-title">ADVERTISEMENT'
                     '</span><ins class="adsbygoogle" data-ad-client="ca-pub-0000000000000077" '
                     'data-ad-slot="7700000003"></ins></div>')
        prev_a, next_a = self._neighbours(art)
        nav = ""
        if prev_a:
            nav += (f'<div class="td-block-span6 td-post-prev-post"><div class="td-post-next-prev-content">'
                    f'<span>Artikel sebelumnya</span><a href="{self.u(prev_a.path)}">{_esc(prev_a.title)}</a></div></div>')
        if next_a:
            nav += (f'<div class="td-block-span6 td-post-next-post"><div class="td-post-next-prev-content">'
                    f'<span>Artikel berikutnya</span><a href="{self.u(next_a.path)}">{_esc(next_a.title)}</a></div></div>')
        related = "".join(
            f'<div class="td-related-span4"><div class="td_module_related_posts td-animation-stack td_mod_related_posts">'
            f'<h3 class="entry-title td-module-title"><a href="{self.u(r.path)}" rel="bookmark" title="{_esc(r.title)}">'
            f"{_esc(r.title)}</a></h3></div></div>" for r in others[:3])
        tags = "".join(f'<li><a href="{self.u("/bantenpos/tag/" + _slugify(t) + "/")}">{_esc(t)}</a></li>'
                       for t in art.tags)
        main = self.tpl.render(
            "bantenpos-article.html", base=self.base, post_id=art.post_id, section_slug=art.section,
            section_name=SECTIONS.get(art.section, art.section), title=_esc(art.title), author=_esc(art.author),
            author_slug=_slugify(art.author), published_iso=_iso(art.published),
            date_text=f"{art.published.day} {_MONTHS[art.published.month - 1]} {art.published.year}",
            views=100 + _crc(art.slug) % 900, url_quoted=quote(url, safe=""), image=image,
            caption=_esc(f"Ilustrasi {art.tags[0] if art.tags else 'berita'} (Foto: BANTENPOS)"),
            content="\n".join(parts), tags=tags, post_nav=nav, related=related)
        head = "\n".join([
            f'    <link rel="canonical" href="{url}" />',
            f'    <meta property="og:title" content="{_esc(art.title)}" />',
            '    <meta property="og:type" content="article" />',
            f'    <meta property="og:url" content="{url}" />',
            f'    <meta property="og:image" content="{image}" />',
            '    <meta property="og:site_name" content="BANTENPOS" />',
            f'    <meta property="article:published_time" content="{_iso(art.published)}" />',
            f'    <meta property="article:modified_time" content="{_iso(art.modified)}" />',
            f'    <meta name="author" content="{_esc(art.author)}" />',
            f'    <script type="application/ld+json">{self._jsonld(art, url, "BANTENPOS", image)}</script>',
        ])
        body = self._bp_layout(title_tag=f"{art.title} | BANTENPOS", head_extra=head,
                               body_class=f"post-template-default single single-post postid-{art.post_id}",
                               main=main, today=art.published)
        self._put(art.path, body, _HTML, art.modified)

    def _bantenpos_listings(self) -> None:
        items = sorted(self.bp, key=lambda a: a.published, reverse=True)
        prefix = "/bantenpos/"
        pages = max(1, -(-len(items) // PER_PAGE))
        for page in range(1, pages + 1):
            chunk = items[(page - 1) * PER_PAGE: page * PER_PAGE]
            path = prefix if page == 1 else f"{prefix}page/{page}/"
            mods = []
            for a in chunk:
                lead_dl, _ = self._bp_dateline(a)
                mods.append(
                    f'<div class="td_module_10 td_module_wrap td-animation-stack">'
                    f'<div class="td-module-thumb"><a href="{self.u(a.path)}" rel="bookmark" title="{_esc(a.title)}">'
                    f'<img class="entry-thumb" src="{self.u("/bantenpos/wp-content/uploads/thumb-" + a.slug + ".jpg")}" '
                    f'alt="" width="218" height="150" /></a></div>'
                    f'<div class="item-details"><h3 class="entry-title td-module-title"><a href="{self.u(a.path)}" '
                    f'rel="bookmark" title="{_esc(a.title)}">{_esc(a.title)}</a></h3>'
                    f'<div class="td-module-meta-info"><span class="td-post-author-name"><a href="#">{_esc(a.author)}'
                    f'</a> <span>-</span> </span><span class="td-post-date"><time class="entry-date updated '
                    f'td-module-date" datetime="{_iso(a.published)}">{_date_id(a.published)}</time></span></div>'
                    f'<div class="td-excerpt">{lead_dl}{_excerpt(_esc(a.lead), 22)}</div></div></div>')
            nav_links = [f'<span class="current">{n}</span>' if n == page else
                         f'<a href="{self.u(prefix if n == 1 else f"{prefix}page/{n}/")}" class="page" title="{n}">{n}</a>'
                         for n in range(1, pages + 1)]
            head = [f'    <link rel="canonical" href="{self.u(path)}" />']
            if page < pages:
                nxt = self.u(f"{prefix}page/{page + 1}/")
                nav_links.append(f'<a href="{nxt}" aria-label="next-page"><i class="td-icon-menu-right"></i></a>')
                head.append(f'    <link rel="next" href="{nxt}" />')
            if page > 1:
                head.append(f'    <link rel="prev" href="{self.u(prefix if page == 2 else f"{prefix}page/{page - 1}/")}" />')
            main = ('<div class="td-category-header"><h1 class="entry-title td-page-title">Berita Terbaru</h1></div>'
                    + "".join(mods)
                    + f'<div class="page-nav td-pb-padding-side">{"".join(nav_links)}'
                      f'<span class="pages">Halaman {page} dari {pages}</span></div>')
            body = self._bp_layout(title_tag="BANTENPOS - Suara Warga Banten" if page == 1 else
                                   f"BANTENPOS - Halaman {page}", head_extra="\n".join(head),
                                   body_class="home blog", main=main, today=items[0].published)
            self._put(path, body, _HTML, max(a.modified for a in chunk))
        self._put(f"{prefix}feed/",
                  self._rss(items[:FEED_SIZE], title="BANTENPOS", link=self.u(prefix), self_url=self.u(f"{prefix}feed/"),
                            description="Suara Warga Banten",
                            tracking="utm_source=rss&utm_medium=rss&utm_campaign={slug}", dateline=""),
                  _RSS, max(a.modified for a in items))
        self._put(f"{prefix}sitemap.xml", self._urlset([(self.u(a.path), a.modified) for a in self.bp]), _XML,
                  max(a.modified for a in self.bp))
