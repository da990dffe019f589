"""Bytes to text: the charset of a page, decided the way browsers (and SPEC.md) do.

Order: byte-order mark, then the HTTP ``Content-Type`` charset, then ``<meta charset>`` /
``<meta http-equiv="Content-Type">`` in the first 4 KB, then UTF-8. Bytes that are not valid UTF-8 are read
as cp1252 (one by one, so a mostly-UTF-8 page with a few stray bytes keeps its UTF-8 text). Pages that claim
latin-1 / cp1252 / ASCII but are in fact valid UTF-8 with multibyte characters are read as UTF-8.
:func:`decode_html` never raises.
"""

from __future__ import annotations

import codecs
import logging
import re

log = logging.getLogger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
META_SCAN_BYTES = 4096
_META_CHARSET_RE = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+\-]{1,40})""", re.IGNORECASE)
#: Labels that browsers read as windows-1252 (WHATWG Encoding Standard): the "lying" family.
_CP1252_LABELS = frozenset({"latin1", "latin-1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "cp819",
                            "ibm819", "us-ascii", "ascii", "ansi_x3.4-1968", "windows-1252", "cp1252",
                            "x-cp1252", "iso-ir-100", "csisolatin1"})
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "tis-620": "cp874",
            "iso-8859-11": "cp874", "windows-874": "cp874", "ks_c_5601-1987": "euc-kr",
            "x-sjis": "shift_jis", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8", "x-user-defined": "cp1252"}
_FALLBACK_ERRORS = "kabar-cp1252"


def _cp1252_errors(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the undecodable bytes of a UTF-8 stream as cp1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return bytes(bad).decode("cp1252", errors="replace"), exc.end


codecs.register_error(_FALLBACK_ERRORS, _cp1252_errors)


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None when the label is unknown or unusable."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if not name:
        return None
    if name in _CP1252_LABELS:
        return "cp1252"
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None  # base64, rot13 and friends
    return info.name


def _bom(data: bytes) -> tuple[str, int] | None:
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc, len(bom)
    return None


def meta_charset(data: bytes) -> str | None:
    """The charset declared by ``<meta>`` in the first 4 KB, normalised, or None."""
    m = _META_CHARSET_RE.search(data, 0, META_SCAN_BYTES)
    if not m:
        return None
    name = normalize_charset(m.group(1).decode("ascii", "ignore"))
    if name in ("utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-32-le", "utf-32-be"):
        return "utf-8"  # a byte stream that can carry an ASCII <meta> is not UTF-16 (WHATWG rule)
    return name


def _is_utf8_with_multibyte(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors=_FALLBACK_ERRORS)


def _decode_as(data: bytes, enc: str) -> str:
    if enc == "utf-8":
        return _decode_utf8(data)
    if enc == "cp1252" and _is_utf8_with_multibyte(data):
        return data.decode("utf-8")  # lying latin-1 / ASCII / cp1252 declaration
    try:
        return data.decode(enc, errors="replace")
    except (LookupError, ValueError, TypeError):
        return _decode_utf8(data)


def decode_html(data: bytes, http_charset: str | None = None) -> str:
    """Decode an HTML page. BOM, HTTP charset, ``<meta>`` charset, then UTF-8 with a cp1252 fallback."""
    try:
        if not data:
            return ""
        found = _bom(data)
        if found:
            enc, skip = found
            return data[skip:].decode(enc, errors="replace")
        enc_http = normalize_charset(http_charset)
        if enc_http:
            return _decode_as(data, enc_http)
        enc_meta = meta_charset(data)
        if enc_meta:
            return _decode_as(data, enc_meta)
        return _decode_utf8(data)
    except Exception:  # never raise: last resort for codecs that misbehave on hostile input
        log.debug("charset decoding failed, falling back to cp1252", exc_info=True)
        return data.decode("cp1252", errors="replace")
