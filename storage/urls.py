"""Canonical URLs: the dedupe key of an article page (Scrapy's fingerprint idea, for news URLs).

The key is built in three steps: the host is mapped with IDNA 2008 / UTS #46 (the ``idna`` package, the
mapping httpx requests with), then ``w3lib.url.canonicalize_url`` (Scrapy's) normalises the percent-encoding
of path and query and sorts the query, then kabar's own rules fold AMP variants, drop tracking parameters,
default ports and the fragment, and resolve dot segments.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

import idna
from w3lib.url import canonicalize_url as _w3lib_canonicalize

# Longest URL kabar canonicalises or follows (characters). Longer ones are returned unchanged by
# canonical_url and refused by scraper.urls.host_allowed (so never fetched): bounded work per link.
MAX_URL_CHARS = 8192
_MAX_LABEL = 63   # longest DNS label: a longer Unicode label can never be a valid A-label

# Query parameters that never change the page: analytics, share and AMP markers.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
    "ref", "ref_src", "ref_url", "cmpid", "amp", "amp;",
    "outputtype", "ns_source", "ns_mchannel", "ns_campaign", "wt.mc_id", "s_cid", "icid", "trk",
    "srsltid", "gad_source", "gbraid", "wbraid", "ttclid", "_hsenc", "mkt_tok",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "__twitter")
_AMP_PATH_RE = re.compile(r"(?:/amp(?=/|$)|\.amp$|\.amp(?=\.html?$))", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def idna_host(host: str) -> str:
    """A host name as kabar compares and keys it: IDNA 2008 / UTS #46 (non-transitional) A-labels,
    lower-case, without a trailing dot. ``faß.example`` -> ``xn--fa-hia.example`` (IDNA 2003 would give
    ``fass.example``), ``BÜCHER.example`` -> ``xn--bcher-kva.example``, full-width letters and dots mapped.

    A label IDNA 2008 refuses (``a_b``, a symbol) is kept as written, lower-cased: httpx cannot request such
    a host, so it can never stand for another domain. ASCII hosts are only lower-cased.
    """
    host = host.strip()
    if host.isascii():
        return host.lower().rstrip(".")
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError):
        mapped = host.lower()
    labels = []
    for label in mapped.rstrip(".").split("."):
        if not label.isascii() and len(label) <= _MAX_LABEL:
            try:
                label = idna.alabel(label).decode("ascii")
            except (idna.IDNAError, UnicodeError, ValueError):
                pass
        labels.append(label)
    return ".".join(labels)


def _netloc(scheme: str, hostname: str, port: int | None) -> str:
    host = idna_host(hostname)
    if host.startswith("amp."):
        host = host[4:]
    if ":" in host:   # IPv6 literal: normalised (RFC 5952) and bracketed
        try:
            host = ipaddress.IPv6Address(host).compressed
        except ValueError:
            pass
        host = f"[{host}]"
    return host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"


_ENCODED_DOT_RE = re.compile("%2[eE]")
_PLAIN_PATH_RE = re.compile(r"[A-Za-z0-9/_.~-]*")   # unreserved characters and "/"


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for a path starting with ``/`` (``/a/../b/`` -> ``/b/``); a percent-encoded dot
    (``%2E``, unreserved, so the same character) counts as a dot: ``/a/%2E%2E/b/`` -> ``/b/``."""
    if "%2" in path:
        path = _ENCODED_DOT_RE.sub(".", path)
    if "/." not in path:
        return path
    out: list[str] = []
    segments = path[1:].split("/")
    for segment in segments[:-1]:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    last = segments[-1]
    if last in (".", ".."):
        if last == ".." and out:
            out.pop()
        out.append("")
    else:
        out.append(last)
    return "/" + "/".join(out)


def _clean_query(query: str) -> str:
    """The (already encoded and sorted) query without its tracking parameters."""
    kept = [pair for pair in query.split("&")
            if pair and not _is_tracking(unquote_plus(pair.split("=", 1)[0]))]
    return "&".join(kept)


def canonical_url(url: str) -> str:
    """Fold the variants of one page into one form.

    Host in IDNA 2008 A-labels, lower-case scheme and host, default port dropped, IPv6 hosts bracketed,
    fragment dropped, percent-encoding normalised (``%2D`` -> ``-``, ``é`` -> ``%C3%A9``, upper-case hex),
    dot segments resolved, tracking parameters removed, the remaining query sorted (``;`` is data, as in
    the query's own ``parse_qsl``), AMP variants (``/amp/`` path, ``?amp=1``, ``amp.`` host prefix, ``.amp``
    suffix) folded, an empty path made ``/``. Non-http(s) and unparseable URLs, and URLs longer than
    ``MAX_URL_CHARS``, are returned stripped but otherwise unchanged. ``canonical_url`` of a canonical URL
    is itself.
    """
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        return url
    try:
        parts = urlsplit(url)
        hostname = parts.hostname or ""
    except ValueError:   # a bad IPv6 literal
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return url
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = _netloc(scheme, hostname, port)
    if not parts.query and _PLAIN_PATH_RE.fullmatch(parts.path):
        # the common case, a path of unreserved characters and no query: w3lib would leave it as it is
        path, query = parts.path, ""
    else:
        # w3lib normalises path and query; before 2.3 it also split the query on ";": escaped so all agree.
        normal = urlsplit(_w3lib_canonicalize(urlunsplit((scheme, "x", parts.path,
                                                          parts.query.replace(";", "%3B"), "")),
                                              keep_blank_values=True))
        path, query = normal.path, _clean_query(normal.query)
    path = remove_dot_segments(path or "/")
    path = _AMP_PATH_RE.sub("", path) or "/"
    return urlunsplit((scheme, netloc, path, query, ""))
