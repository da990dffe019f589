"""The parser's knowledge as named data: selectors, phrases and patterns (trafilatura's ``xpaths.py`` idea).

The cleaning and parsing code only *applies* what is listed here, so teaching kabar a new portal or a new
promo wording is an edit of this module (or a ``[sources.parse]`` profile), never new code.

Every pattern is compiled once at import. Text patterns run on whitespace-normalised block text (one
paragraph, list item or headline), never on the joined article.
"""

from __future__ import annotations

import re

# --------------------------------------------------------------------------------------------------
# Document structure
# --------------------------------------------------------------------------------------------------

#: Elements whose content is never article text: the walker never enters them.
DROP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "math", "canvas", "head", "link",
                       "meta", "select", "option", "textarea", "input", "object", "param", "map", "title"})

#: Article containers of WordPress themes and the big Indonesian CMSs, most specific first. The first
#: selector that matches an element holding enough text wins; matches of that selector that sit beside
#: the best one (split bodies) are taken too. Everything else goes to the text-density fallback.
CONTAINER_SELECTORS: tuple[str, ...] = (
    # national CMSs
    ".detail__body-text",                       # detik network
    "#detikdetailtext",                         # detik / cnnindonesia (older)
    ".read__content",                           # kompas, PRMN network
    ".side-article.txt-article",                # tribun network
    ".txt-article",                             # tribun network (other templates)
    ".detail-text",                             # cnnindonesia
    ".detail_text",                             # cnbcindonesia
    ".article-content-body__item-content",      # liputan6
    ".read-page__content-body",                 # liputan6 (older)
    ".read-content",                            # okezone
    "#article-content",                         # okezone, idntimes
    "#contentx",                                # okezone (older)
    ".detail-in",                               # tempo
    "#isi",                                     # tempo (older)
    ".itp_bodycontent",                         # inews
    ".content_detail",                          # various
    ".detail-desc",                             # sindonews
    ".detail_content",
    ".detail-content",
    ".detail__content",
    ".detail-konten",
    ".isi-berita",
    ".isi_berita",
    ".artikel",                                 # republika (older)
    "#content_news",                            # antara (older)
    ".news-content",
    ".post-content",                            # antara, many WordPress themes
    ".article-content",                         # republika, many
    ".article__content",
    ".article-body",
    ".article__body",
    ".articleBody",
    ".article-text",
    ".article_body",
    ".content-article",
    ".body-content",
    ".story-body",
    ".story-content",
    ".story__content",
    # WordPress themes
    ".td-post-content",                         # Newspaper / Newsmag (tagDiv)
    ".entry-content.single-content",
    ".jeg_inner_content .content-inner",        # JNews
    ".penci-entry-content",
    ".single-post-content",
    ".entry-content",
    ".post-entry",
    ".post-body",
    ".single-content",
    ".entry",
    # schema.org and generic HTML5
    "[itemprop=articleBody]",
    "article .content",
    "article",
    "main",
)

#: Minimum text (characters) a known container must hold to be trusted.
MIN_CONTAINER_TEXT = 200

#: Block-level elements: each starts and ends a block of text.
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "header", "footer", "aside", "nav", "blockquote", "pre",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "tbody", "thead", "tfoot", "tr", "caption", "figure",
    "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "address", "center", "details", "summary", "form",
    "fieldset", "hr", "body", "html", "hgroup", "dialog", "menu", "legend", "iframe", "video", "audio",
})
HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
BOLD_TAGS = frozenset({"b", "strong"})
LIST_TAGS = frozenset({"ul", "ol", "dl"})
CELL_TAGS = frozenset({"td", "th"})

#: Elements inside the body that are removed whole, with the ``removed.kind`` they are reported as.
REMOVE_TAGS: dict[str, str] = {
    "nav": "nav",
    "aside": "related",
    "figure": "caption",
    "figcaption": "caption",
    "iframe": "embed",
    "video": "embed",
    "audio": "embed",
    "embed": "embed",
    "form": "share",
    "button": "share",
    "h1": "",          # the title: not body text, not reported
    "img": "",
    "picture": "",
    "source": "",
}

# Class/id words that mark boilerplate containers inside the body. Matched as whole words of the class or
# id attribute (words are separated by spaces, ``-`` and ``_``), most telling kind first.
_BOILER_WORDS: tuple[tuple[str, str], ...] = (
    ("embed", r"twitter-tweet|instagram-media|tiktok-embed|fb-post|fb-video|embed|embeds|embed-responsive"
              r"|video-?embed|embedded-video|video-?player|video-?wrap(?:per)?|jwplayer|youtube|wp-block-embed"
              r"|gambas"),
    ("promo", r"baca-?juga|bacajuga|baca-?lagi|also-?read|read-?also|readalso|jangan-?lewatkan|promo|promosi"
              r"|newsletter|subscribe|subscription|signup|follow-?us|ikuti-?kami|google-?news|wa-?channel"),
    ("ad", r"ads?|adv|adverts?|advertisement|advertorial|iklan|banner|sponsor(?:ed)?|dfp|gpt|adsbygoogle"
           r"|ad-?slot|ad-?unit|ad-?container|ad-?wrap(?:per)?|adsense|parallax|billboard|leaderboard"
           r"|skyscraper|mgid|outstream|inarticle-ad|inread"),
    ("related", r"related(?:[-_]?(?:posts?|articles?|news|stories|content|links?))?|terkait|berita-?terkait"
                r"|artikel-?terkait|rekomendasi|recommend(?:ed|ations?)?|yarpp|jp-relatedposts|crp_related"
                r"|outbrain|taboola|more-?stories|read-?more-?links|inline-?related|box-?related|list-?berita"
                r"|populer|popular|terpopuler"
                r"|most-?popular|trending|latest-?news|berita-?lainnya|more-?news|next-?article"),
    ("share", r"share|sharing|shares|sharebar|share-?buttons?|social|socials|social-?share|sosmed|socmed"
              r"|addthis|sharethis|sharedaddy|share-?tools|comments?|comment-?count|komentar|disqus|respond"
              r"|reactions?|print-?button"),
    ("nav", r"breadcrumbs?|pagination|pager|paging|page-?numbers|page-?links|post-?nav(?:igation)?"
            r"|navigation|nav-?links|tags|tagcloud|tag-?cloud|tag-?list|tags?-?links|post-?tags|entry-?tags"
            r"|article-?tags|tag-?box|tag-?wrap|topik|topics|kata-?kunci|keywords|menu|toc|ez-toc"
            r"|table-?of-?contents|daftar-?isi"),
    ("caption", r"wp-caption-text|caption|captions|figcaption|photo-?caption|img-?caption|image-?caption"
                r"|credit|credits|photo-?credit|keterangan-?foto|ket-?foto|caption-?img"),
    ("signoff", r"author-?bio|about-?author|author-?box|byline|editor-?box|penulis-?box|copyright"),
)
BOILERPLATE_CLASS_RE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(r"(?:^|[\s_-])(?:" + words + r")(?=$|[\s_-])", re.IGNORECASE))
    for kind, words in _BOILER_WORDS
)
#: Cheap pre-check before the per-kind patterns (one search instead of seven).
BOILERPLATE_ANY_RE = re.compile(
    r"(?:^|[\s_-])(?:" + "|".join(words for _, words in _BOILER_WORDS) + r")(?=$|[\s_-])", re.IGNORECASE)
#: Class words of the article itself (WordPress puts ``tag-x`` and ``category-x`` on it): an element
#: carrying one of these is only removed when it is small.
CONTENT_CLASS_RE = re.compile(
    r"(?:^|[\s_-])(?:content|entry|article|post|body|text|story|main|detail|isi|hentry|single)(?=$|[\s_-])",
    re.IGNORECASE)
#: Hidden elements (screen-reader text, inline ``display:none``) are dropped without a report.
HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
HIDDEN_CLASS_RE = re.compile(r"(?:^|\s)(?:screen-reader-text|sr-only|visually-hidden|hidden|hide)(?=$|\s)",
                             re.IGNORECASE)
#: The kind of removal a profile's ``remove`` selector reports, guessed from the selector's words (first
#: match wins, else "promo"). Looser than BOILERPLATE_CLASS_RE above: a selector is written by hand for one
#: site ("#sosmed-box", ".iklan_tengah"), so plain substrings count.
SELECTOR_KIND_RE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ad", re.compile(r"(?:^|[^a-z])(?:ads?|adv\w*|iklan|banner|sponsor\w*)(?:$|[^a-z])")),
    ("share", re.compile(r"share|social|sosmed|comment|komentar")),
    ("related", re.compile(r"related|terkait|rekomendasi|populer|popular|baca-?juga")),
    ("nav", re.compile(r"tag|breadcrumb|pagination|paging|nav")),
    ("caption", re.compile(r"caption|credit|foto|photo")),
    ("embed", re.compile(r"video|embed|iframe")),
)

# --------------------------------------------------------------------------------------------------
# Density fallback (readability's scoring, as data)
# --------------------------------------------------------------------------------------------------
POSITIVE_CLASS_RE = re.compile(
    r"article|body|content|entry|hentry|h-entry|main|page|post|text|blog|story|detail|isi|berita|artikel",
    re.IGNORECASE)
NEGATIVE_CLASS_RE = re.compile(
    r"hidden|^hid$|banner|combx|comment|com-|contact|foot|footer|footnote|masthead|media|meta|outbrain"
    r"|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget|terkait"
    r"|populer|popular|komentar|iklan|menu|nav|breadcrumb|recommend|rekomendasi|lainnya|latest|terbaru"
    r"|terkini|trending|more-?stories|read-?more|baca-?juga",
    re.IGNORECASE)
#: Elements whose paragraphs do not vote at all (readability's unlikely candidates), unless the same class
#: or id also says it holds content (MAYBE_CLASS_RE).
UNLIKELY_CLASS_RE = re.compile(
    r"-ad-|banner|breadcrumb|combx|comment|community|disqus|footer|gdpr|legends|menu|related"
    r"|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate"
    r"|pagination|pager|popup|terkait|komentar|populer|popular|trending|newsletter",
    re.IGNORECASE)
#: How far above a paragraph an unlikely class silences it (page-wide wrappers misuse these words).
UNLIKELY_DEPTH = 3
MAYBE_CLASS_RE = re.compile(r"and|article|body|column|content|main|shadow|isi|berita|artikel|detail|post|entry"
                            r"|text|story|read", re.IGNORECASE)
#: Elements that can hold the article in the density fallback.
CANDIDATE_TAGS = frozenset({"div", "section", "article", "main", "td", "body", "span", "font", "center"})
DENSITY_TEXT_SELECTOR = "p, pre, br"
MIN_DENSITY_PARAGRAPH = 25
#: Below this much paragraph text (characters) the page is scored by its text nodes instead.
MIN_PARAGRAPH_TEXT = 400
#: The density winner is widened to an ancestor holding this many times its paragraph text, when the extra
#: paragraphs average this many characters (article text, not teasers) and links stay below this share.
WIDEN_RATIO = 1.5
WIDEN_MIN_AVG = 120
WIDEN_MAX_LINK_DENSITY = 0.3
WIDEN_MAX_HOPS = 8
#: The density winner is narrowed to a child holding at least this share of its paragraph text.
TIGHTEN_SHARE = 0.9

# --------------------------------------------------------------------------------------------------
# Block text rules
# --------------------------------------------------------------------------------------------------

#: Promo lines: a block that starts with one of these is promo (with the links it introduces).
PROMO_PHRASES: tuple[str, ...] = (
    r"baca\s+juga", r"baca\s+pula", r"baca\s+lagi", r"baca(?=\s*[:：])", r"baca\s+selengkapnya",
    r"lihat\s+juga", r"simak\s+juga", r"simak\s+(?:juga\s+)?video", r"saksikan\s+(?:juga\s+)?video",
    r"tonton\s+(?:juga\s+)?video", r"simak\s+(?:berita|artikel|selengkapnya)", r"jangan\s+lewatkan",
    r"artikel\s+ini\s+telah\s+(?:tayang|terbit)", r"berita\s+ini\s+telah\s+(?:tayang|terbit)",
    r"berita\s+terpercaya", r"ikuti\s+(?:kami|kanal|saluran|akun|berita|update)\b.{0,80}?\b(?:di|on)\b",
    r"(?:dapatkan|update)\s+(?:update\s+|berita\s+|info\s+|informasi\s+)"
    r".{0,160}?(?:google\s+news|whats\s?app|telegram|channel|saluran|aplikasi)",
    r"(?:klik|download|unduh)\s+(?:di\s*sini|aplikasi)\b.{0,120}",
    r"(?:simak|ikuti|gabung|bergabung|join|follow|pantau|akses|dapatkan|cek|klik|kunjungi|lihat)\b.{0,200}?"
    r"(?:whats\s?app\s+channel|saluran\s+whats\s?app|google\s+news|telegram|wa\s+channel)",
    r"pilihan\s+editor\s*[:：]", r"baca\s+berita\s+dengan\s+sedikit\s+iklan", r"cek\s+juga", r"tonton\s+juga",
    r"read\s+(?:also|more)\s*[:：]", r"also\s+read\s*[:：]?", r"see\s+also\s*[:：]", r"recommended\s*[:：]",
    r"(?:watch|listen)\s*[:：]", r"related\s*[:：]", r"more\s+(?:on|from)\s+this\s+story",
    r"sign\s+up\s+for\b", r"subscribe\s+(?:to|now|here)\b", r"click\s+here\s+to\b",
)

#: Headings/lines that introduce a related-article list.
RELATED_PHRASES: tuple[str, ...] = (
    r"berita\s+terkait", r"artikel\s+terkait", r"baca\s+berita\s+terkait", r"topik\s+terkait",
    r"berita\s+lainnya", r"berita\s+lain", r"artikel\s+lainnya", r"berita\s+terbaru", r"berita\s+populer",
    r"terpopuler", r"rekomendasi(?:\s+berita|\s+untuk\s+anda)?", r"pilihan\s+editor", r"editor'?s\s+picks?",
    r"related(?:\s+(?:articles?|posts?|stories|news|coverage|content|links|topics))?",
    r"you\s+(?:may|might)\s+(?:also\s+)?like", r"more\s+(?:stories|news|from\s+\w+)",
    r"recommended(?:\s+for\s+you)?", r"most\s+(?:read|popular|viewed)", r"trending(?:\s+now)?",
    r"populer", r"terkini", r"latest\s+news",
)

PROMO_BODY = "|".join(PROMO_PHRASES)
PROMO_START_RE = re.compile(r"^[\s\W_]{0,3}(?:" + PROMO_BODY + r")", re.IGNORECASE)
#: A promo phrase inside a paragraph (used to split a trailing ``Baca juga`` off real prose). Case
#: sensitive on the first letter so that ordinary lower-case words are not taken for a label.
INLINE_PROMO_RE = re.compile(
    r"(?:(?<=\s)|^)(?:Baca|BACA|Lihat|LIHAT|Simak|SIMAK)\s+(?:[Jj]uga|JUGA|[Pp]ula)\b\s*[:：]?|"
    r"(?:(?<=\s)|^)(?:Baca|BACA)\s*[:：]|(?:(?<=\s)|^)(?:Read|READ)\s+(?:also|more|ALSO)\s*[:：]")
#: Every match of INLINE_PROMO_RE holds one of these words: a cheap substring test before the (slow,
#: unanchored) search.
INLINE_PROMO_WORDS = ("Baca", "BACA", "Lihat", "LIHAT", "Simak", "SIMAK", "Read", "READ")
RELATED_LINE_RE = re.compile(r"^[\s\W_]{0,3}(?:" + "|".join(RELATED_PHRASES) + r")\s*[:：.!-]*\s*$",
                             re.IGNORECASE)
#: A label and a title without a link at the end of a paragraph: the title's longest length, and what
#: shows that the words after a label are prose rather than a title (a sentence end inside them).
PLAIN_PROMO_TITLE_MAX = 150
SENTENCE_INSIDE_RE = re.compile(r"[.!?][\"”’']?\s+[A-Z\"“]")
#: The intro alone on its line ("Baca juga:", "Berita Terpercaya :"): the links that follow go with it.
PROMO_INTRO_MAX = 60
#: Prose left beside an inline ``Baca juga`` link that is kept as a paragraph (characters).
MIN_PROSE_AFTER_PROMO = 60

#: Ad markers: a block made only of these words is an ad.
AD_LINE_RE = re.compile(
    r"^(?:[\s\W_]*(?:advertisement|advertisment|advertising|adverts?|scroll\s+to\s+(?:continue|resume)"
    r"(?:\s+with)?(?:\s+content)?|continue\s+reading\s+below|iklan|ads?|sponsored(?:\s+content)?"
    r"|konten\s+bersponsor|promoted|paid\s+content|story\s+continues\s+below(?:\s+advertisement)?"
    r"|article\s+continues\s+below(?:\s+this\s+ad)?|gulir\s+untuk\s+melanjutkan|ads\s+by\s+\w+"
    r"|scroll\s+(?:ke\s+)?(?:bawah|down)(?:\s+untuk\s+(?:melanjutkan|lanjut)(?:\s+membaca)?)?"
    r"|lanjutkan\s+membaca(?:\s+artikel)?(?:\s+di\s+bawah)?|iklan\s+-\s+scroll.{0,40})[\s\W_]*)+$",
    re.IGNORECASE)
AD_MARKER_RE = re.compile(r"\b(?:ADVERTISEMENT|SCROLL TO (?:CONTINUE|RESUME)(?: WITH)?(?: CONTENT)?)\b")
#: Every match of AD_MARKER_RE holds one of these: a cheap substring test before the search.
AD_MARKER_WORDS = ("ADVERTISEMENT", "SCROLL TO ")

#: Embedded media placeholders.
EMBED_RE = re.compile(r"\[\s*Gambas\s*:[^\]]{0,80}\]", re.IGNORECASE)
EMBED_LINE_RE = re.compile(
    r"^(?:\[\s*Gambas\s*:[^\]]*\]|\[\s*(?:video|embed|youtube|instagram|twitter|tiktok)[^\]]{0,80}\]"
    r"|(?:video|embed)\s*:\s*$|pic\.twitter\.com/\S+|https?://(?:www\.)?(?:youtube\.com|youtu\.be|"
    r"instagram\.com|twitter\.com|x\.com|tiktok\.com)/\S*|a post shared by .{0,80}|"
    r"view this post on instagram|lihat postingan ini di instagram|"
    r"your browser does not support the video tag\.?)\s*$", re.IGNORECASE)

#: Sign-offs: reporter initials, editor/reporter lines, copyright, "read more on Google News".
SIGNOFF_LINE_RE = re.compile(
    r"^(?:\(\s*[A-Za-z*][A-Za-z.*\- ]{0,20}(?:\s*/\s*[A-Za-z][A-Za-z.\- ]{0,20}){0,3}\s*\)\.?"
    r"|\(\s*\*+\s*\)"
    r"|[\[(]?\s*(?:editor|editing|pewarta|reporter|reporting|penulis|penyunting|redaktur|wartawan"
    r"|kontributor|koresponden|fotografer|videografer|produser|editing\s+by|reporting\s+by"
    r"|written\s+by|additional\s+reporting(?:\s+by)?|laporan\s+wartawan|laporan)\b[^:]{0,30}[:：].{0,120}"
    r"|laporan\s+(?:wartawan|reporter|koresponden|kontributor)\b.{0,100}"
    r"|\[\s*(?:[a-z]{2,6}\s*/\s*)*[a-z]{2,6}\s*\]"
    r"|(?:copyright|hak\s+cipta)\b.{0,200}|©.{0,200}|\(c\)\s*\d{4}.{0,200}"
    r"|(?:baca|ikuti|follow)\s+(?:berita|artikel|update)\s+.{0,60}(?:google\s+news|whats\s?app|telegram)"
    r".{0,60}"
    r"|dilarang\s+(?:keras\s+)?(?:mengambil|mengutip|menyalin|memperbanyak|menyiarkan)\b.{0,300}"
    r"|sumber\s*[:：].{0,80}|source\s*[:：].{0,80}|dibaca\s*[:：]?\s*[\d.,]+\s*(?:kali|x)?)$",
    re.IGNORECASE)
#: Reporter initials at the end of the last paragraph: ``... rumah. (Mvi/Ali)``, ``(ant)``, ``(*)``.
TRAILING_SIGNOFF_RE = re.compile(
    r"\s*(?:\(\s*(?:[A-Za-z]{1,8}\s*/\s*)+[A-Za-z]{1,8}\s*\)|\([a-z]{2,5}\)|\(\s*\*+\s*\)"
    r"|\[\s*(?:[a-z]{2,6}\s*/\s*)*[a-z]{2,6}\s*\]"
    r"|\(\s*[A-Za-z][\w-]*\.(?:com|co\.id|id|co|net)\s*/\s*[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3}\s*\)"
    r"|\(\s*(?:ant|antara|rls|adv|red)\s*\))\s*\.?\s*$")

#: Share bars, comment counters.
SHARE_LINE_RE = re.compile(
    r"^(?:share|bagikan(?:\s+artikel)?|share\s+this(?:\s+(?:article|story|post))?|share\s+on\s+\w+|tweet"
    r"|email|print|cetak|copy\s+link|salin\s+tautan|\d+\s*(?:komentar|comments?|shares?|views?|dilihat)"
    r"|(?:komentar|comments?)\s*\(?\d*\)?|lihat\s+komentar|tulis\s+komentar|kirim\s+komentar"
    r"|(?:facebook|twitter|whatsapp|line|telegram|linkedin|pinterest|reddit|email|copy)"
    r"(?:[\s,|/]+(?:facebook|twitter|whatsapp|line|telegram|linkedin|pinterest|reddit|email|copy))*"
    r"|leave\s+a\s+(?:reply|comment)|\d+\s+(?:reply|replies)|like\s+this:?|share\s+this:?|suka\s+ini:?"
    r"|rate\s+(?:artikel|this)(?:\s+(?:ini|article|story))?|beri\s+(?:nilai|rating)(?:\s+artikel)?(?:\s+ini)?)"
    r"[\s\W]*$",
    re.IGNORECASE)

#: Captions and photo credits.
CAPTION_LINE_RE = re.compile(
    r"^(?:[(\[]?\s*(?:foto|photo|image|gambar|sumber\s+foto|kredit\s+foto|credit|ilustrasi|dok(?:umentasi)?\.?)"
    r"\s*[:：/]|\(\s*(?:antara\s+foto|foto)\b[^)]{0,120}\)\.?$|ilustrasi\b|(?:photo|image)\s+(?:by|courtesy|credit)\b"
    r"|lihat\s+foto$)",
    re.IGNORECASE)
#: A short line that ends with a photo credit: ``... di balai desa. (Foto: FAM68/Budi)``.
CAPTION_CREDIT_RE = re.compile(
    r"(?:\((?:foto|photo|ilustrasi)\s*[:：][^)]{0,100}\)|\b(?:getty\s+images|shutterstock|istock(?:photo)?"
    r"|reuters/[a-z .]{2,40}|ap\s+photo/[a-z .]{2,40}|afp\s+photo)\s*\))\.?$",
    re.IGNORECASE)
CAPTION_MAX = 240
#: A menu, tag box or table of contents (class words of kind "nav") is links: one of more than NAV_PROSE_MIN
#: characters whose links are under NAV_LINK_SHARE of its text is prose (a section anchored "toc_...").
#: The same holds for an element called only "embed" (a CMS's block of a place or product with its write-up);
#: the embeds of a service (EMBED_SERVICE_RE: a post's or a player's text) stay out whatever their text.
NAV_PROSE_MIN = 300
NAV_LINK_SHARE = 0.25
EMBED_SERVICE_RE = re.compile(r"twitter|tweet|instagram|tiktok|fb-|facebook|youtube|jwplayer|video|player|gambas"
                              r"|wp-block-embed", re.IGNORECASE)
#: The longest block each single-line test of ``clean.line_kind`` looks at (a longer block is prose), and
#: where a photo credit is looked for: in the last CAPTION_CREDIT_TAIL characters.
AD_LINE_MAX = 120
RELATED_LINE_MAX = 80
SIGNOFF_LINE_MAX = 340
SHARE_LINE_MAX = 80
NAV_LINE_MAX = 360
CAPTION_CREDIT_TAIL = 160
#: A headline-only teaser in a promo list: at most this long, without sentence punctuation at the end.
TEASER_TITLE_MAX = 150

#: Navigation inside the body: tags, page numbers, "next page".
NAV_LINE_RE = re.compile(
    r"^(?:(?:tags?|topik|topics?|kata\s+kunci|keywords?|label|kategori|category|categories|filed\s+under)"
    r"\s*[:：].{0,300}"
    r"|(?:halaman|page|hal\.?)\s*[:：]?\s*(?:\d+\s*(?:dari|of|/)\s*\d+|(?:\d+[\s,|]*){1,30}).{0,40}"
    r"|daftar\s+isi|table\s+of\s+contents|contents|toggle"
    r"|(?:[«‹<]\s*)?(?:sebelumnya|selanjutnya|berikutnya|next|previous|prev|lanjut|lanjutkan|kembali"
    r"|halaman\s+(?:selanjutnya|berikutnya|sebelumnya)|next\s+page|previous\s+page|tampilkan\s+semua"
    r"|lihat\s+semua|show\s+all|load\s+more|muat\s+lebih\s+banyak|view\s+all|single\s+page|all\s+pages)"
    r"(?:\s*[»›>])?"
    r"|(?:[«‹<]\s*)?(?:\d+\s*){2,30}(?:[»›>]|next|selanjutnya)?"
    r"|home(?:\s*[»›>/]\s*[^»›>/]{1,40}){1,6}|beranda(?:\s*[»›>/]\s*[^»›>/]{1,40}){1,6})[\s\W]*$",
    re.IGNORECASE)
#: Short lines that are only a date/time (a byline remnant inside the body).
DATE_ONLY_RE = re.compile(
    r"^(?:(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday),?\s*)?\d{1,2}\s+[a-z]{3,9}\.?\s+\d{4}(?:[,\s|-]+(?:pukul\s+)?\d{1,2}[:.]\d{2}"
    r"(?:[:.]\d{2})?\s*(?:wib|wita|wit|[ap]\.?m\.?)?)?$",
    re.IGNORECASE)

#: The byline and date lines a theme prints at the head of the body (English forms; the Indonesian ones are
#: date lines above): ``July 29, 2025``, ``Updated on June 18, 2025 at 12:35 PM``, ``5 min read``,
#: ``Written by Tina Huffman``, ``Posted On``, ``1,693 views``. Only a line of at most HEAD_META_MAX
#: characters among the first blocks (at most HEAD_META_BLOCKS kept before it, none of them prose) goes, as
#: a sign-off; the byline and date are the article's fields already.
_MONTH_EN = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
             r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE_EN = (rf"(?:{_MONTH_EN}\s{{1,3}}\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s{{1,3}}\d{{4}})?"
            rf"|\d{{1,2}}(?:st|nd|rd|th)?\s{{1,3}}{_MONTH_EN},?\s{{1,3}}\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}"
            rf"|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})"
            rf"(?:,?\s{{1,3}}(?:at\s{{1,3}})?\d{{1,2}}:\d{{2}}(?:\s?[ap]\.?m\.?)?(?:\s{{1,3}}[a-z]{{2,4}})?)?")
_META_LABEL = r"(?:(?:last\s{1,3})?updated(?:\s{1,3}on)?|published(?:\s{1,3}on)?|posted(?:\s{1,3}on)?|date|released)"
_READ_TIME = r"\d{1,3}\s?(?:min(?:ute)?s?\.?|minutes?)\s{1,3}read(?:ing)?(?:\s{1,3}time)?"
HEAD_META_RE = re.compile(
    rf"^(?:{_META_LABEL}\s?:?\s{{0,3}})?{_DATE_EN}(?:\s{{0,3}}[|·•,-]\s{{0,3}}(?:{_READ_TIME}|by\s[\w.' -]{{2,40}}))*$"
    rf"|^{_META_LABEL}\s?:?$"
    rf"|^(?:{_READ_TIME}|reading\s{{1,3}}time\s?:?\s{{0,3}}\d{{1,3}}\s?min(?:utes?)?\.?)$"
    r"|^(?:written\s{1,3}by|posted\s{1,3}by|authors?|reviewed\s{1,3}by|medically\s{1,3}reviewed\s{1,3}by"
    r"|fact[\s-]checked\s{1,3}by)\s?:?(?:\s{0,3}\S+(?:\s\S+){0,4})?$"
    r"|^[\d,.]{1,12}\s?[km]?\s{1,3}views?$"
    # "By" and a name (capitalised words): "By the numbers" is a heading, not a byline
    r"|^(?-i:By|BY|by)\s(?-i:[A-Z][\w.'’-]*)(?:,?\s(?-i:[A-Z][\w.'’-]*|and|&|de|van|von|der|al|bin|dan))"
    r"{0,5}$",
    re.IGNORECASE)
HEAD_META_MAX = 100
HEAD_META_BLOCKS = 3
#: The credit, contact and follow lines that close an English news story (among its last TAIL_NOTE_BLOCKS
#: blocks, at most TAIL_NOTE_MAX characters): "(Reporting by ...; editing by ...)", "Keith Bradsher
#: contributed reporting.", "Write to Al Root at allen.root@dowjones.com", "Amy K. may be reached at ...",
#: "Follow us on Twitter @x", a bare e-mail address or profile link; and a publication-time line
#: ("Published 11:11 PM EST Nov 19, 2019", "Updated at 1:23 p.m.") anywhere. Sign-offs all.
TAIL_NOTE_RE = re.compile(
    r"^\(?(?:additional\s{1,3})?reporting\s{1,3}by\b.{0,300}$"
    r"|^.{2,80}?\s(?:contributed|also\s{1,3}contributed)\s{1,3}(?:reporting|to\s{1,3}this\s{1,3}(?:report|story|article))\b.{0,120}$"
    r"|^(?:have\s{1,3}a\s{1,3}tip\?\s{0,3})?(?:write\s{1,3}to|e-?mail|contact|reach)\s.{2,80}?\sat\s.{0,40}(?:@|twitter|https?://).{0,200}$"
    r"|^(?:have\s{1,3}a\s{1,3}tip\?\s{0,3})?.{2,60}?\s(?:may|can)\s{1,3}be\s{1,3}reached\s{1,3}at\s.{0,200}$"
    r"|^[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,4}$"
    r"|^(?:https?://)?(?:www\.)?(?:twitter|x|facebook|instagram)\.com/[\w.]{1,40}/?$"
    r"|^follow\s(?:us|him|her|them|[\w@][\w .'’@&-]{0,60}?)\s{1,3}on\s{1,3}(?:twitter|facebook|instagram|x|linkedin"
    r"|youtube|tiktok|threads|bluesky)\b.{0,200}$",
    re.IGNORECASE)
TAIL_NOTE_MAX = 300
TAIL_NOTE_BLOCKS = 5
PUBLISHED_LINE_RE = re.compile(
    r"^(?:first\s{1,3})?(?:published|updated|posted|last\s{1,3}updated)(?:\s{1,3}on|\s{1,3}at)?\s?:?\s{0,3}"
    r"[\w ,./|:-]{0,60}?\d{1,2}[:.]\d{2}\s?(?:[ap]\.?\s?m\.?)?[\w ,./|:-]{0,60}$",
    re.IGNORECASE)
PUBLISHED_LINE_MAX = 120

#: A byline/date line inside the body: ``Kamis, 05 November 2015 | 11:13 WIB``, ``Nama | Jum'at, 17 ...``.
DATE_LINE_MAX = 120
DATE_LINE_WORDS_LEFT = 6
WEEKDAY_RE = re.compile(r"\b(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|ahad|monday|tuesday|wednesday"
                        r"|thursday|friday|saturday|sunday)\b", re.IGNORECASE)

#: A page whose body is (almost) only photos: when less text than this is left and the captions removed
#: hold more, the captions are the article (a photo gallery).
GALLERY_MAX_TEXT = 200

#: Sub-headline made of a whole-bold paragraph: short, not a sentence.
BOLD_HEADLINE_MAX_CHARS = 120
BOLD_HEADLINE_MAX_WORDS = 16
SENTENCE_END_RE = re.compile(r"[.,;:!…\"”'’)\]]$")

#: A block that is mostly link text (a related list without a label).
LINK_DENSITY_REMOVE = 0.75
LINK_BLOCK_MAX_CHARS = 220

# --------------------------------------------------------------------------------------------------
# Datelines
# --------------------------------------------------------------------------------------------------

#: Cities and regions that may open a dateline in title case (``Jakarta -``). All-caps city words and
#: brands are recognised by shape; this list only matters for the plain title-case form.
KNOWN_CITIES = frozenset(w.lower() for w in (
    "Jakarta", "Bandung", "Surabaya", "Medan", "Semarang", "Makassar", "Palembang", "Yogyakarta", "Jogja",
    "Denpasar", "Mataram", "Kupang", "Banda Aceh", "Padang", "Pekanbaru", "Jambi", "Bengkulu",
    "Bandar Lampung", "Bandarlampung", "Pangkalpinang", "Tanjungpinang", "Batam", "Pontianak",
    "Palangka Raya", "Palangkaraya", "Banjarmasin", "Samarinda", "Balikpapan", "Tanjung Selor", "Manado",
    "Gorontalo", "Palu", "Mamuju", "Kendari", "Ambon", "Sofifi", "Ternate", "Jayapura", "Manokwari",
    "Sorong", "Merauke", "Serang", "Tangerang", "Bekasi", "Depok", "Bogor", "Cirebon", "Tasikmalaya",
    "Solo", "Surakarta", "Malang", "Kediri", "Jember", "Banyuwangi", "Madiun", "Sidoarjo", "Gresik",
    "Cilegon", "Lebak", "Pandeglang", "Karawang", "Purwakarta", "Sukabumi", "Garut", "Cianjur", "Tegal",
    "Pekalongan", "Magelang", "Purwokerto", "Kudus", "Pati", "Jepara", "Batu", "Blitar", "Probolinggo",
    "Pasuruan", "Mojokerto", "Lamongan", "Tuban", "Bojonegoro", "Ngawi", "Ponorogo", "Pacitan", "Tulungagung",
    "Lumajang", "Situbondo", "Bondowoso", "Sumenep", "Pamekasan", "Sampang", "Bangkalan", "Singaraja",
    "Gianyar", "Tabanan", "Bima", "Sumbawa", "Labuan Bajo", "Ende", "Maumere", "Atambua", "Bukittinggi",
    "Payakumbuh", "Sibolga", "Pematangsiantar", "Binjai", "Lhokseumawe", "Langsa", "Dumai", "Lubuklinggau",
    "Prabumulih", "Tarakan", "Bontang", "Singkawang", "Bitung", "Tomohon", "Parepare", "Palopo", "Bau-Bau",
    "Baubau", "Timika", "Nabire", "Wamena", "Biak", "Fakfak", "Tual", "Tangsel", "Tangerang Selatan",
    "Banten", "Bali", "Aceh", "Papua", "Jabar", "Jateng", "Jatim", "Sulsel", "Sumut", "Sumbar", "Sumsel",
    "Kaltim", "Kalbar", "Kalsel", "Kalteng", "Kaltara", "Sulut", "Sulteng", "Sultra", "Sulbar", "Maluku",
    "Lampung", "Riau", "Kepri", "Babel", "NTB", "NTT", "DIY", "Depok", "Puncak", "Washington", "London",
    "Paris", "Tokyo", "Beijing", "Singapura", "Singapore", "Kuala Lumpur", "Bangkok", "Manila", "Sydney",
    "Canberra", "Riyadh", "Mekkah", "Makkah", "Madinah", "Kairo", "Cairo", "Jeddah", "Doha", "Dubai",
    "Moskow", "Berlin", "Roma", "Seoul", "New York", "Den Haag", "Brussel", "Jenewa", "Hong Kong", "Taipei",
    "Istanbul", "Ankara", "Teheran", "Baghdad", "Gaza", "Yerusalem", "Kabul", "Islamabad", "New Delhi",
    "Dhaka", "Hanoi", "Phnom Penh", "Yangon", "Dili", "Port Moresby", "Wellington", "Ottawa", "Brasilia",
    "Buenos Aires", "Mexico City", "Los Angeles", "San Francisco", "Chicago", "Madrid", "Barcelona", "Milan",
    "Manchester", "Liverpool", "Munich", "Amsterdam", "Wina", "Vienna", "Stockholm", "Oslo", "Kyiv",
    "Kiev", "Warsawa", "Athena", "Lisbon", "Zurich",
))
#: Agencies and brands that may appear in a dateline in title case.
KNOWN_BRANDS = frozenset(w.lower() for w in (
    "Antara", "ANTARA News", "Kompas", "Tempo", "Liputan6", "Okezone", "Republika", "Bisnis", "Kontan",
    "Detik", "Detikcom", "Tribun", "Tribunnews", "Suara", "Sindonews", "Merdeka", "Viva", "CNN Indonesia",
    "CNBC Indonesia", "Jawapos", "JPNN", "Kumparan", "IDN Times", "Tirto", "Katadata", "Medcom", "Inews",
    "iNews", "Beritasatu", "Pikiran Rakyat", "Portalkota", "Infofam68", "FAM68", "Reuters", "AFP", "AP",
    "Xinhua", "Bernama", "Kyodo", "Yonhap", "Bloomberg", "Kapanlagi", "Okezone", "Surya", "Harian Jogja",
    "Harianjogja", "Solopos", "Jatimnet", "Suaramerdeka", "Suara Merdeka", "Tribun Jateng", "Mediaindonesia",
    "Media Indonesia", "Gatra", "Rakyat Merdeka", "RMOL", "Dream", "Fimela", "Bola", "Vivanews",
))

#: The separator between a dateline and the text.
DATELINE_SEP = r"(?:\s*(?:--|[-–—‒―]{1,2}|\|)\s*|\s*[:：]\s*)"
# A dateline is a few comma-separated parts: city/region names, brands (``KOMPAS.com``, ``FAM68``), a
# date (``23 Februari 2016``), optionally followed by an agency in brackets (``(ANTARA)``).
_WORD = r"(?:[A-Z0-9][\w.&'’]*|detik\w*|kumparan\w*|[a-z][\w-]*\.(?:com|co\.id|id|net|news)\b)"
_PART = r"(?:" + _WORD + r"(?:[ ](?:" + _WORD + r"|de|di|van|da|al))*)"
_DATE = r"(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+\d{4}|\d{1,2}/\d{1,2}(?:/\d{2,4})?)"
_AGENCY = r"\(\s*[A-Za-z][\w.&'’ /-]{1,40}\)"
DATELINE_RE = re.compile(
    r"^(?P<dl>(?:" + _PART + r"|" + _DATE + r")(?:\s*[,/]\s*(?:" + _PART + r"|" + _DATE + r")){0,3}"
    r"(?:\s*" + _AGENCY + r")?)(?P<sep>" + DATELINE_SEP + r")(?=[^\s\-–—|:：]|$)")
#: The longest dateline taken (characters, words).
DATELINE_MAX_CHARS = 70
DATELINE_MAX_WORDS = 8
#: A domain-shaped brand: ``KOMPAS.com``, ``REPUBLIKA.CO.ID``, ``Liputan6.com``, ``TEMPO.CO``.
BRAND_DOMAIN_RE = re.compile(r"\b[\w-]+\.(?:com|co\.id|co|id|net|org|news|tv|my\.id|web\.id|or\.id|go\.id)\b",
                             re.IGNORECASE)

# --------------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------------
MONTHS: dict[str, int] = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
TIMEZONES: dict[str, str] = {"wib": "+07:00", "wita": "+08:00", "wit": "+09:00", "utc": "+00:00",
                             "gmt": "+00:00", "est": "-05:00", "edt": "-04:00", "et": "-05:00", "cst": "-06:00",
                             "cdt": "-05:00", "ct": "-06:00", "mst": "-07:00", "mdt": "-06:00", "mt": "-07:00",
                             "pst": "-08:00", "pdt": "-07:00", "pt": "-08:00", "bst": "+01:00", "cet": "+01:00",
                             "cest": "+02:00", "mez": "+01:00", "mesz": "+02:00"}
#: schema.org's Article and its subtypes (lower case): a page whose JSON-LD main entity has one of these
#: ``@type`` values declares itself an article (``Article.declared_type``).
ARTICLE_LD_TYPES = frozenset({
    "article", "advertisercontentarticle", "newsarticle", "analysisnewsarticle", "askpublicnewsarticle",
    "backgroundnewsarticle", "opinionnewsarticle", "reportagenewsarticle", "reviewnewsarticle", "report",
    "satiricalarticle", "scholarlyarticle", "medicalscholarlyarticle", "socialmediaposting", "blogposting",
    "liveblogposting", "discussionforumposting", "techarticle", "apireference",
})
#: The JSON-LD object read as the page's article: the first of these types (lower case) wins.
LD_ARTICLE_RANK = ("article", "newsarticle", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
                   "opinionnewsarticle", "backgroundnewsarticle", "liveblogposting", "report", "webpage",
                   "scholarlyarticle", "techarticle")
#: ``<meta>`` keys (lower case) holding the publication / modification time, strongest first.
PUBLISHED_META_KEYS = ("article:published_time", "og:published_time", "article:published", "datepublished",
                       "pubdate", "publishdate", "publish-date", "publish_date", "date", "dc.date.issued",
                       "dc.date", "dcterms.created", "sailthru.date", "parsely-pub-date", "content_publisheddate",
                       "dtm_publish", "article_date_original", "original-publish-date", "publication_date",
                       "release_date", "cxenseparse:recs:publishtime")
#: Other ``<meta>`` keys holding the publication time contain one of these words (``w-published-date``,
#: ``published``), and none of PUBLISHED_META_SKIP.
PUBLISHED_META_WORDS = ("publish",)
PUBLISHED_META_SKIP = ("publisher",)
MODIFIED_META_KEYS = ("article:modified_time", "og:updated_time", "article:updated_time", "datemodified",
                      "last-modified", "dcterms.modified", "lastmod", "dc.date.modified")
#: Host labels that never name the site (for taking the site's name off a document title).
SITE_NAME_SKIP_LABELS = ("www", "com", "news", "berita", "html")
#: Offset assumed for naive times of Indonesian pages.
DEFAULT_OFFSET_ID = "+07:00"
#: Frequent Indonesian words: a page without a language tag whose text has enough of them is Indonesian
#: (its naive times are then WIB).
ID_STOPWORDS = frozenset({"yang", "dan", "di", "dengan", "untuk", "ini", "itu", "dari", "dalam", "tidak",
                          "akan", "pada", "juga", "ke", "karena", "bahwa", "oleh", "adalah", "kata", "saat"})
ID_STOPWORD_SHARE = 0.06
# (``\d\d?`` rather than ``\d{1,2}`` at the start: the same matches, but the search can skip to the next
# digit instead of trying the whole pattern at every position.)
INDO_DATE_RE = re.compile(
    r"(?P<d>\d\d?)\s+(?P<m>[A-Za-z]{3,9})\.?\s+(?P<y>\d{4})"
    r"(?:[\s,|/-]+(?:pukul|jam|pkl\.?|at|@)?\s*(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?"
    r"\s*(?P<tz>WIB|WITA|WIT|UTC|GMT)?)?",
    re.IGNORECASE)
#: English month-first date text: ``July 9, 2025``, ``Feb. 08, 2022 at 10:30 am EST``, ``Sept 3rd 2024``.
EN_DATE_RE = re.compile(
    rf"\b(?P<m>{_MONTH_EN})\s{{1,3}}(?P<d>\d\d?)(?:st|nd|rd|th)?,?\s{{1,3}}(?P<y>\d{{4}})\b"
    r"(?:(?:\s{0,3}[,|@-]|\s{1,3}at)?\s{1,3}(?P<H>\d\d?)[:.](?P<M>\d\d)(?:[:.](?P<S>\d\d))?"
    r"(?:\s?(?P<ap>[ap])\.?m\b\.?)?(?:\s{1,3}(?P<tz>WIB|WITA|WIT|UTC|GMT|[ECMP][SD]T|[ECMP]T|BST|CES?T)\b)?)?",
    re.IGNORECASE)
#: Month names of other languages news pages are written in (German, French, Spanish, Italian, Portuguese,
#: Dutch), lower case, for WORLD_DATE_RE.
WORLD_MONTHS: dict[str, int] = {name: n for n, names in enumerate((
    "januar janvier enero gennaio janeiro januari jänner",
    "februar février fevrier febrero febbraio fevereiro februari",
    "märz maerz mars marzo março marco maart",
    "april avril abril aprile",
    "mai mayo maggio maio mei",
    "juni juin junio giugno junho",
    "juli juillet julio luglio julho",
    "august août aout agosto augustus",
    "september septembre septiembre setiembre settembre setembro",
    "oktober octobre octubre ottobre outubro",
    "november novembre noviembre novembro",
    "dezember décembre decembre diciembre dicembre dezembro december"), start=1) for name in names.split()}
#: Day-first date text of those languages: ``3. Dezember 2026 um 14:05 Uhr``, ``3 de diciembre de 2026``,
#: ``3 décembre 2026 à 14h05``.
WORLD_DATE_RE = re.compile(
    r"(?<!\d)(?P<d>\d\d?)\.?\s{1,3}(?:de\s{1,3})?(?P<m>[^\W\d_]{3,10})\.?,?\s{1,3}(?:de\s{1,3}|del\s{1,3})?(?P<y>\d{4})\b"
    r"(?:,?\s{1,3}(?:um|à|a\s{1,3}las|alle|às|om|-|\|)?\s{0,3}(?P<H>\d\d?)[:.h](?P<M>\d\d)(?:[:.](?P<S>\d\d))?"
    r"(?:\s{0,2}(?:uhr|h)\b)?(?:\s{1,3}(?P<tz>UTC|GMT|CES?T|MES?Z)\b)?)?",
    re.IGNORECASE)
#: Chinese, Japanese and Korean dates: ``2026年12月3日 14:05``, ``2026년 12월 3일``.
CJK_DATE_RE = re.compile(
    r"(?P<y>\d{4})\s?[年년]\s?(?P<m>\d\d?)\s?[月월]\s?(?P<d>\d\d?)\s?[日일]"
    r"(?:\s{0,3}(?:\([^)\d]{1,3}\)|（[^）\d]{1,3}）)?\s{0,3}(?P<H>\d\d?)[:：時시](?P<M>\d\d))?")
NUMERIC_DATE_RE = re.compile(
    r"(?<![\d.])(?P<d>\d\d?)(?P<sep>[/.-])(?P<m>\d\d?)(?P=sep)(?P<y>\d{4})(?![\d.]\d)"
    r"(?:[\s,|-]+(?:pukul\s*)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?\s*(?P<tz>WIB|WITA|WIT)?)?",
    re.IGNORECASE)
#: Most words of a line under a title that is read as the article's date (``By Dr. Jo Ng - Mar 27, 2024``).
DATE_LINE_WORDS = 10
#: Language tags (lower case) of pages that write a numeric date month first (``3/4/2025``: March 4).
MONTH_FIRST_LANGS = frozenset({"en-us", "en-ph"})
#: Where a page shows its date as text.
DATE_TEXT_SELECTORS = ("time", "[itemprop=datePublished]", "[class*=date i]", "[class*=time i]", "[class*=tgl]",
                       "[class*=tanggal]", "[class*=publish i]")
#: Where older templates put the headline when it is not an ``<h1>``.
TITLE_FALLBACK_SELECTORS = ("h2", "h3", "[class*=title]", "[class*=judul]", "[class*=jdl]", "[class*=headline]")
#: How much of the page's text is searched for a date as a last resort (characters from the top).
DATE_TEXT_SCAN = 30_000
#: Title separators before a site name: ``Title - Site``, ``Title | Site``, ``Title :: Site``.
TITLE_SEP_RE = re.compile(r"\s+(?:[-–—|:»·•]|::|\|\|)\s+")
AUTHOR_PREFIX_RE = re.compile(
    r"^(?:by|oleh|penulis|pewarta|reporter|author|editor|ditulis\s+oleh|(?:written|posted|words|story|text|article"
    r"|published)\s+by)\s*[:：]?\s*",
    re.IGNORECASE)
AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|&|\band\b|\bdan\b|;|\|)\s*")
#: How many levels above the article container the byline, date and tag links are looked for.
REGION_LEVELS = 3
AUTHOR_SELECTORS = ("[rel~=author]", "[itemprop=author]", ".author-name", ".byline", ".author", ".penulis",
                    ".reporter", ".detail__author", ".read__credit__item", "a[href*='/author/']")
BREADCRUMB_SELECTORS = ("[itemtype*=BreadcrumbList] [itemprop=name]", "[class*=breadcrumb] a")
#: A piece of text every breadcrumb holder above has in its page source (the selectors' ``*=`` matching is
#: case-sensitive): a page without it skips their search, which is slow (a descendant test on every link).
BREADCRUMB_HINT = "readcrumb"
BREADCRUMB_SKIP = frozenset({"home", "beranda", "index", "berita", "news", "homepage", "halaman utama"})
TAG_LINK_SELECTORS = ("a[rel~=tag]", ".tags a", ".tag a", ".post-tags a", ".tag-list a", ".tags-links a",
                      ".tagcloud a", ".detail__body-tag a", ".tag__article a", ".topik a")

# --------------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------------
#: Query parameters that number the pages of one article.
PAGE_PARAMS = ("page", "hal", "halaman", "pg", "paged", "pagenum", "p_page", "showpage", "pages")
#: Query parameters/values that ask for the whole article on one page.
SHOW_ALL_QUERY_RE = re.compile(
    r"(?:^|&)(?:page=all|single=(?:1|true)|showall=(?:1|true)|show_all=(?:1|true)|all=1|view=all"
    r"|halaman=all|hal=all)(?:&|$)", re.IGNORECASE)
SHOW_ALL_TEXT_RE = re.compile(
    r"^\W*(?:tampilkan\s+semua|lihat\s+semua(?:\s+halaman)?|baca\s+(?:dalam\s+)?satu\s+halaman|show\s+all"
    r"|view\s+(?:as\s+)?(?:single|one)\s+page|single\s+page|all\s+pages?|full\s+(?:article|page))\W*$",
    re.IGNORECASE)
#: Cheap test on an href before it is resolved: could this link be a page of an article? A page parameter in
#: the query, or a page number / "all" at the end of the path. (Two patterns: the first starts with a
#: character class, so the search skips ahead; the second only needs the last PAGE_HREF_TAIL characters.)
PAGE_HREF_QUERY_RE = re.compile(
    r"[?&](?:page|hal|halaman|pg|paged|pagenum|p_page|showpage|pages|single|showall|show_all|all|view)=",
    re.IGNORECASE)
PAGE_HREF_TAIL_RE = re.compile(r"/(?:\d{1,3}|all|full|semua|lengkap)/?$", re.IGNORECASE)
PAGE_HREF_TAIL = 10
#: Path tails (``/article/semua``) that ask for the whole article on one page.
SHOW_ALL_PATH_WORDS = ("all", "full", "semua", "lengkap")
MAX_NEXT_PAGES = 20

# ---------------------------------------------------------------------------------------------------
# Body choice that fails safe (scraper/container.py Candidates, scraper/body.py)
# ---------------------------------------------------------------------------------------------------
#: Elements that may hold the article when the chosen container yields a poor text, tried as rivals.
RIVAL_CONTAINER_SELECTORS = ("[itemprop=articleBody]", "article")
#: At most this many matches of one rival selector are looked at (a listing has dozens of <article>s).
RIVAL_MAX_PER_SELECTOR = 12
#: The paragraph holder rival: the deepest element with this share of the page's paragraph text.
HOLDER_SHARE = 0.8
#: The chosen container's text is weak, and its rivals are extracted too, when it has fewer characters
#: than this or holds less than 1/RIVAL_GAIN of the page's paragraph text.
RIVAL_WEAK_TEXT = 1500
#: A rival replaces the chosen text when it carries RIVAL_GAIN times its characters plus RIVAL_MIN_GAIN.
RIVAL_GAIN = 2.0
RIVAL_MIN_GAIN = 200
#: A JSON-LD articleBody is read up to this many characters.
LD_BODY_MAX = 200_000
#: Consent, cookie, CCPA and paywall notices (several languages): an "article" whose paragraphs are mostly
#: these (OVERLAY_SHARE of its characters) and shorter than OVERLAY_MAX_TEXT is an overlay, not the story.
OVERLAY_RE = re.compile(
    r"\bcookies?\b|\bconsent|\bprivacy (?:policy|notice|settings|choices)|personal (?:information|data)"
    r"|do not sell|opt[ -]out|\baccept all\b|\bmanage (?:your )?(?:preferences|choices|settings|consent)"
    r"|\bccpa\b|\bgdpr\b|\bsubscribe (?:now|to (?:continue|read))|already a subscriber|\bpaywall"
    r"|to continue reading|sign in to (?:continue|read)|subscribers? only"
    r"|datenschutz|einwilligung|zustimm|\babo(?:nnement|nnieren)?\b|jetzt (?:abonnieren|lesen)"
    r"|consentement|accepter|abonnez|confidentialit|\baceptar|consentimiento|suscr[íi]b|privacidad"
    r"|berlangganan|persetujuan|kebijakan privasi|クッキー|同意|個人情報|会員登録|隐私|登录后",
    re.IGNORECASE)
#: Substrings of which every match of OVERLAY_RE holds one (lower-cased, a space before the text).
OVERLAY_STEMS = ("cookie", "consent", "privacy", "personal", "do not sell", "opt out", "opt-out", "accept all",
                 "manage", "ccpa", "gdpr", "subscri", "paywall", "continue reading", "sign in", "datenschutz",
                 "einwilligung", "zustimm", " abo", "jetzt ", "accepter", "confidentialit", "aceptar", "suscr",
                 "privacidad", "langganan", "persetujuan", "privasi", "クッキー", "同意", "個人情報", "会員登録",
                 "隐私", "登录后")
OVERLAY_MAX_TEXT = 3000
OVERLAY_SHARE = 0.5
#: An element around the chosen container (which may add a sidebar's text) is a rival only of a text shorter
#: than HOLDER_WEAK_TEXT, and needs ENCLOSING_GAIN times its characters (plus RIVAL_MIN_GAIN).
HOLDER_WEAK_TEXT = 3000
ENCLOSING_GAIN = 2.5
#: Paragraphs ending so are teaser excerpts (related posts): they add nothing to a body's quality.
TEASER_ENDINGS = ("…", "...", "[…]", "[...]", "(…)")

# ---------------------------------------------------------------------------------------------------
# Titles: the site's name off the title (scraper/titles.py)
# ---------------------------------------------------------------------------------------------------
#: Separators without spaces around them (``标题_人民网``, ``見出し｜中日新聞``, ``标题--人民网``, ``A|B``);
#: a part between them goes only when it names the site, and never takes a "section" part with it.
TITLE_SEP_TIGHT_RE = re.compile(r"\s*(?:[｜|]|--+|_(?![A-Za-z0-9])|(?<![A-Za-z0-9])_|——)\s*")
#: ``Site: Title``: a short prefix before a colon, dropped when it is the site's name.
TITLE_SITE_PREFIX_RE = re.compile(r"^([^:：]{2,40})[:：]\s*(.+)$")
#: A strict site part (an <h1>'s, or a name the page's titles repeat) may hold this many letters besides
#: the name (``www``, ``com``, ``.co.id``).
SITE_PART_SLACK = 6
#: The longest site name (squashed characters) learned from the page's titles repeating one another.
SITE_NAME_MAX = 40
#: Short host labels that are not a site's initials (compared with a title part's initials).
HOST_NOT_ACRONYM = frozenset({"co", "ac", "or", "go", "ne", "gv", "my", "web", "sch", "gov", "edu", "org", "net",
                              "en", "id", "de", "fr", "es", "jp", "cn", "uk", "us", "m", "amp", "www2", "www3"})
#: A title part matched by a host label (not a declared site name) has at most this many words.
HOST_PART_MAX_WORDS = 4
#: An ``<h1>`` that is a meta title in a frame: a label before it (``Blog:``, ``Title:``, ``Live:``, of
#: at most two words and a colon), a date before it, or a source and comment count after it
#: (``(latimes.com) 87``): the meta title is the headline (its frame is page furniture).
TITLE_FRAME_PREFIX_RE = re.compile(
    r"^(?:[^\W\d_][\w.'’-]*(?: [\w.'’-]+)?\s*[:：]"
    r"|(?:\d{1,2} )?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}"
    r"|\d{4}-\d{2}-\d{2})\s*$", re.I)
TITLE_FRAME_SUFFIX_RE = re.compile(r"^\((?:[\w-]+\.)+[a-z]{2,}\)(?:\s+\d{1,6})?$|^\d{1,6}$", re.I)
#: The meta title found in a frame has at least this many words.
TITLE_FRAME_MIN_WORDS = 3
#: A chosen container whose paragraphs sit right after pictures for this share of their characters is a
#: gallery's caption strip: against a rival its text counts half (of at most CAPTION_STRIP_SCAN paragraphs).
CAPTION_STRIP_SHARE = 0.6
CAPTION_STRIP_SCAN = 40

# --------------------------------------------------------------------------------------------------
# Section headlines (scraper/headings.py): box and widget titles, and what a headline is not
# --------------------------------------------------------------------------------------------------
#: The titles of boxes beside the story, in the languages met so far: a heading that says one of these is
#: a widget title, not a section headline (the kind is the removal kind of the heading and its box).
WIDGET_TITLE_PHRASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("related", (
        # English
        r"related(?:\s+(?:articles?|posts?|stories|news|coverage|content|links|topics|reading|publications"
        r"|videos?|items|reads))?", r"(?:you\s+(?:may|might)\s+also\s+(?:like|enjoy)|you\s+may\s+like)",
        r"more\s+(?:articles?|stories|news|posts|to\s+read|from\s+[\w .'’-]{1,40}|on\s+this(?:\s+topic)?"
        r"|in\s+[\w .'’-]{1,30}|like\s+this)", r"(?:most|more)\s+(?:read|popular|viewed|shared|commented)",
        r"(?:popular|recent|latest|top|trending|featured|similar|recommended|editor'?s?)\s+(?:posts?|articles?"
        r"|stories|news|picks?|reads?|now|videos?|photos?|galler(?:y|ies))", r"recommended(?:\s+for\s+you)?",
        r"trending", r"popular",
        r"read\s+(?:next|more|also)", r"also\s+read", r"see\s+also", r"further\s+reading", r"keep\s+reading",
        r"what\s+to\s+read\s+next", r"up\s+next", r"in\s+case\s+you\s+missed\s+it", r"don'?t\s+miss",
        r"related\s+(?:articles?|posts?|stories|reading|content)\s+(?:that\s+)?(?:may|might|you)\b[\w ’']{0,40}",
        r"more\s+(?:that\s+)?you\s+(?:may|might)\s+(?:like|enjoy)", r"mentioned\s+in\s+this\s+(?:post|article|story)",
        r"you\s+(?:may|might)\s+also\s+be\s+interested\s+in", r"(?:other|more)\s+(?:articles?|stories)\s+you[\w ’']{0,40}",
        # Indonesian
        r"baca\s+juga", r"baca\s+pula", r"lihat\s+juga", r"simak\s+juga", r"berita\s+(?:terkait|lainnya|lain"
        r"|terbaru|terpopuler|populer|pilihan|rekomendasi)", r"artikel\s+(?:terkait|lainnya|terbaru|pilihan)",
        r"topik\s+terkait", r"terpopuler", r"populer", r"terkini", r"terbaru", r"pilihan\s+(?:editor|redaksi)",
        r"rekomendasi(?:\s+untuk\s+anda)?", r"paling\s+(?:banyak\s+)?(?:dibaca|populer)",
        # German, Spanish, Portuguese, French, Italian, Dutch
        r"(?:mehr\s+zum\s+thema|lesen\s+sie\s+auch|auch\s+interessant|weitere\s+(?:artikel|nachrichten|themen)"
        r"|meistgelesen|das\s+könnte\s+sie\s+auch\s+interessieren|verwandte\s+artikel)",
        r"(?:noticias\s+relacionadas|art[ií]culos\s+relacionados|lo\s+m[aá]s\s+(?:le[ií]do|visto)"
        r"|te\s+puede\s+interesar|tambi[eé]n\s+te\s+puede\s+interesar|m[aá]s\s+noticias|lee\s+tambi[eé]n)",
        r"(?:not[ií]cias\s+relacionadas|leia\s+tamb[eé]m|mais\s+lidas)",
        r"(?:sur\s+le\s+m[eê]me\s+sujet|[àa]\s+lire\s+aussi|lire\s+aussi|les\s+plus\s+lus|articles\s+li[ée]s)",
        r"(?:articoli\s+correlati|leggi\s+anche|i\s+pi[uù]\s+letti)", r"(?:lees\s+ook|meest\s+gelezen)",
        # Japanese, Chinese, Korean
        r"(?:関連記事|関連ニュース|おすすめ記事|人気記事|相关新闻|相关阅读|相关文章|热门文章|推荐阅读|관련\s*기사|많이\s*본\s*뉴스)",
    )),
    ("share", (
        r"share(?:\s+(?:this|on|the|article|story|post)[\w ]{0,20})?", r"bagikan(?:\s+artikel)?", r"teilen",
        r"compartir", r"partager", r"follow\s+us(?:\s+on\s+\w+)?", r"ikuti\s+kami", r"(?:\d+\s+)?comments?",
        r"leave\s+a\s+(?:reply|comment)", r"komentar", r"kommentare", r"comentarios",
    )),
    ("promo", (
        r"(?:sign\s+up|subscribe)(?:\s+(?:to|for)\s+[\w ]{1,40}|\s+now)?", r"(?:our\s+|the\s+|free\s+)?newsletters?",
        r"get\s+(?:the|our)\s+newsletter", r"join\s+(?:our|the)\s+[\w ]{1,30}", r"download\s+(?:the|our)\s+app",
        r"advertisement", r"sponsored(?:\s+content)?", r"iklan", r"anzeige", r"publicidad",
        r"want\s+to\s+advertise\b[^\n]{0,60}", r"advertise\s+with\s+us",
    )),
    ("embed", (
        r"(?:galeri\s+)?(?:foto|video)", r"(?:photo\s+|video\s+)?galler(?:y|ies)", r"videos?", r"photos?",
        r"watch(?:\s+(?:the|our)\s+video)?", r"tonton(?:\s+(?:juga|video))?", r"podcasts?",
    )),
    ("nav", (
        r"tags?", r"topics?", r"categories", r"filed\s+under", r"table\s+of\s+contents", r"contents",
        r"in\s+this\s+(?:article|story|post)", r"daftar\s+isi", r"inhalt", r"[íi]ndice", r"sommaire",
        r"about\s+the\s+authors?", r"tentang\s+penulis", r"(?:written|posted)\s+by", r"author",
    )),
)
#: A heading or bold line that is a photo credit, not a headline: an agency or picture library, alone or
#: before a ``/`` and the photographer's name (``ANTARA FOTO/Asep F``, ``Getty Images``, ``Dok. Humas``).
HEADING_CREDIT_RE = re.compile(
    r"^[\s(\[]*(?:(?:getty\s+images|shutterstock|istock(?:photo)?|unsplash|pexels|antara\s+foto|reuters|ap\s+photo"
    r"|afp(?:\s+photo)?|epa(?:-efe)?)(?:\s*(?:/|via|\|)[^\n]{0,60})?"
    r"|(?:photo|image|foto|gambar|kredit|credit|dok(?:umentasi)?)s?\s*[:：/.][^\n]{0,60})[\s)\].]*$", re.IGNORECASE)
#: One pattern per kind, matching a whole heading text (a little punctuation and a trailing count allowed).
WIDGET_TITLE_RE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(r"^[\s\W_]{0,3}(?:" + "|".join(phrases) + r")[\s:：.!?»›>\-–—()\d]{0,8}$", re.IGNORECASE))
    for kind, phrases in WIDGET_TITLE_PHRASES)
#: Longest heading text a widget title can be (longer headings are not looked up).
WIDGET_TITLE_MAX = 80
#: A section headline is at most this long (a longer "heading" is a paragraph in heading markup).
HEADLINE_MAX_CHARS = 200
#: A bold line ending in a colon is a headline only this short ("Pros:", "The problem:").
BOLD_COLON_MAX_WORDS = 6
#: A bold ``div`` line opens a section only when the block after it is at least this long (bold divs over
#: short lines are labels of buttons, prices and badges).
BOLD_DIV_NEXT_MIN_CHARS = 60
#: A block after a heading is a link of a box when at least this share of its text is link text.
BOX_LINK_DENSITY = 0.6
#: A paragraph after a linked heading shows the heading opens a section: at least this long, few links.
SECTION_PROSE_MIN_CHARS = 120
