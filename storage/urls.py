"""Canonical URLs: the dedupe key of an article page (Scrapy's fingerprint idea, for news URLs)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that never change the page: analytics, share and AMP markers.
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
    "ref", "ref_src", "ref_url", "cmpid", "amp", "amp;",
    "outputtype", "ns_source", "ns_mchannel", "ns_campaign", "wt.mc_id", "s_cid", "icid", "trk",
})
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "__twitter")
_AMP_PATH_RE = re.compile(r"(?:/amp(?=/|$)|\.amp$|\.amp(?=\.html?$))", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Fold the variants of one page into one form.

    Lower-case scheme and host, default port dropped, fragment dropped, tracking parameters removed, the
    remaining query sorted, AMP variants (``/amp/`` path, ``?amp=1``, ``amp.`` host prefix, ``.amp`` suffix)
    folded, an empty path made ``/``. Non-http(s) URLs are returned stripped but otherwise unchanged.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("amp."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = parts.path or "/"
    path = _AMP_PATH_RE.sub("", path) or "/"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not _is_tracking(k)))
    return urlunsplit((scheme, netloc, path, query, ""))


def same_site(a: str, b: str) -> bool:
    """True when two URLs share a registrable-looking host (www. and amp. ignored)."""
    def key(u: str) -> str:
        h = (urlsplit(u).hostname or "").lower()
        for prefix in ("www.", "amp.", "m."):
            if h.startswith(prefix):
                h = h[len(prefix):]
        return h
    ka, kb = key(a), key(b)
    return bool(ka) and (ka == kb or ka.endswith("." + kb) or kb.endswith("." + ka))
