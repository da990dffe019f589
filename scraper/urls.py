"""URL helpers for fetching: which hosts a source may visit, the politeness key, link resolution.

Canonical URLs (the dedupe key) live in ``storage/urls.py``; this module only answers questions the fetcher
and the link discovery ask before a request is made.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from storage.urls import MAX_URL_CHARS, idna_host, remove_dot_segments

__all__ = ["HTTP_SCHEMES", "absolutize", "host_allowed", "host_key", "normalize_host", "same_site", "url_host"]

HTTP_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Link targets that are never pages: handled by the browser or the OS, not by HTTP.
_NON_PAGE_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "sms:", "callto:", "about:", "blob:")
_STRIP_CHARS = str.maketrans("", "", "\t\r\n")  # browsers drop these from URLs before parsing


def normalize_host(host: str) -> str:
    """Lower-case, without a trailing dot, IDN labels as IDNA 2008 / UTS #46 A-labels (the mapping httpx
    requests with and canonical URLs use: ``faß.example`` is ``xn--fa-hia.example``, not ``fass.example``)."""
    return idna_host(host)


def _split(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, normalized host, explicit port or None) of an http(s) URL, else None."""
    if len(url) > MAX_URL_CHARS:   # bounded work: an over-long URL is never followed
        return None
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in HTTP_SCHEMES:
            return None
        host = normalize_host(parts.hostname or "")
        port = parts.port
    except ValueError:  # bad port, bad IPv6 literal
        return None
    if not host:
        return None
    return scheme, host, port


def host_allowed(url: str, allowed_domains: tuple[str, ...] | list[str]) -> bool:
    """True when ``url`` is http(s) and its host is an entry of ``allowed_domains`` or a subdomain of one.

    Ports are ignored, the comparison is case-insensitive and IDN-safe with the IDNA 2008 mapping httpx
    requests with (``bücher.example`` and ``xn--bcher-kva.example`` are the same host; ``faß.example`` is
    ``xn--fa-hia.example``, so ``fass.example`` does not allow it). ``evilfam68.example`` is not a
    subdomain of ``fam68.example``. URLs longer than ``storage.urls.MAX_URL_CHARS`` are refused.
    """
    split = _split(url)
    if split is None:
        return False
    host = split[1]
    for domain in allowed_domains:
        d = normalize_host(_strip_port(domain))
        if d and (host == d or host.endswith("." + d)):
            return True
    return False


def _strip_port(domain: str) -> str:
    """An allowed_domains entry may be written ``host:port`` or even as a URL; only the host counts."""
    if "//" in domain:
        return urlsplit(domain).hostname or ""
    if domain.startswith("["):  # IPv6 literal
        return domain[1:domain.find("]")] if "]" in domain else domain
    if domain.count(":") == 1:
        return domain.split(":", 1)[0]
    return domain


def url_host(url: str | None) -> str:
    """The lower-case host name of ``url`` as written; "" when it has none or cannot be split
    (``http://[bad``): a page's URL is untrusted and never stops the parse."""
    try:
        return (urlsplit(url).hostname or "").lower() if url else ""
    except ValueError:
        return ""


def host_key(url: str) -> str:
    """The politeness key of a URL: ``host:port`` with the scheme's default port filled in.

    ``https://Example.com/x`` -> ``example.com:443``; IPv6 hosts are bracketed (``[::1]:8080``). A URL that
    is not http(s) gets its lower-cased netloc (never raises).
    """
    split = _split(url)
    if split is None:
        try:
            return urlsplit(url).netloc.lower()
        except ValueError:
            return ""
    scheme, host, port = split
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port if port is not None else DEFAULT_PORTS[scheme]}"


def absolutize(base: str, href: str) -> str | None:
    """Resolve a link found on ``base`` to an absolute http(s) URL without fragment, or None.

    None for empty and fragment-only links (the page itself) and for ``javascript:``, ``mailto:``,
    ``tel:``, ``data:`` and any other non-http(s) target.
    """
    href = href.strip().translate(_STRIP_CHARS)
    if not href or href.startswith("#"):
        return None
    if href.lower().startswith(_NON_PAGE_SCHEMES):
        return None
    try:
        joined = urljoin(base, href)
        parts = urlsplit(joined)
        if parts.scheme.lower() not in HTTP_SCHEMES or not parts.hostname:
            return None
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return None
    return urlunsplit((parts.scheme.lower(), parts.netloc, remove_dot_segments(parts.path or "/"), parts.query, ""))


def same_site(a: str, b: str) -> bool:
    """True when two URLs share a registrable-looking host (www., amp. and m. ignored; hosts compared in
    their IDNA 2008 form, so ``bücher.example`` and ``xn--bcher-kva.example`` are one site)."""
    def key(u: str) -> str:
        try:
            h = normalize_host(urlsplit(u).hostname or "")
        except ValueError:
            return ""
        for prefix in ("www.", "amp.", "m."):
            if h.startswith(prefix):
                h = h[len(prefix):]
        return h
    ka, kb = key(a), key(b)
    return bool(ka) and (ka == kb or ka.endswith("." + kb) or kb.endswith("." + ka))
