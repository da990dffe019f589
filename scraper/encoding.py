"""Bytes to text: the charset of a page, decided the way browsers (and SPEC.md) do.

Order: byte-order mark, then the HTTP ``Content-Type`` charset, then ``<meta charset>`` /
``<meta http-equiv="Content-Type">`` in the first 4 KB, then UTF-8. Bytes that are not valid UTF-8 are read
as cp1252 (one by one, so a mostly-UTF-8 page with a few stray bytes keeps its UTF-8 text). Pages that claim
latin-1 / cp1252 / ASCII but are in fact valid UTF-8 with multibyte characters are read as UTF-8, and so are
pages without an HTTP charset whose ``<meta>`` names any other charset (GB2312, Shift_JIS, windows-1251...)
over such bytes: a page re-saved as UTF-8 by its CMS keeps its old ``<meta>``, and a real GB2312 or
Shift_JIS page of any length is never valid UTF-8. Only WHATWG encoding labels count in a declaration
(another name, ``base64``, ``rot13``, ``zlib``, ``utf-32``, is ignored and the next rule decides), and so
does a declaration that cannot describe the bytes: UTF-16 on ASCII-compatible markup (no BOM, ``<`` then a
non-NUL byte), ISO-2022-JP (7-bit) on bytes with the high bit set. The UTF-8 check is one decode of the
whole body, so the decision costs linear time.
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
#: The WHATWG Encoding Standard's label table (https://encoding.spec.whatwg.org/#names-and-labels): each
#: encoding's Python codec and its labels. Only these labels count in a charset declaration (HTTP header,
#: ``<meta charset>``, ``<meta http-equiv>``); any other name (``punycode``, ``rot13``, ``base64``, ``idna``,
#: ``utf-7``, ``utf-32``) is ignored and the next rule decides. The "replacement" labels (ISO-2022-KR,
#: HZ-GB-2312, ...) are left out too: a browser shows one U+FFFD for them; kabar keeps the article instead.
#: x-user-defined has no Python codec: read as windows-1252 (what its ASCII half is).
_WHATWG: tuple[tuple[str, str], ...] = (
    ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    ("cp866", "866 cp866 csibm866 ibm866"),
    ("iso8859-2", "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2"),
    ("iso8859-3", "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3"),
    ("iso8859-4", "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4"),
    ("iso8859-5", "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 "
                  "iso_8859-5:1988"),
    ("iso8859-6", "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e "
                  "iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987"),
    ("iso8859-7", "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 "
                  "iso_8859-7 iso_8859-7:1987 sun_eu_greek"),
    ("iso8859-8", "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 "
                  "iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical"),
    ("iso8859-10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6"),
    ("iso8859-13", "iso-8859-13 iso8859-13 iso885913"),
    ("iso8859-14", "iso-8859-14 iso8859-14 iso885914"),
    ("iso8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    ("iso8859-16", "iso-8859-16"),
    ("koi8-r", "cskoi8r koi koi8 koi8-r koi8_r"),
    ("koi8-u", "koi8-ru koi8-u"),
    ("mac-roman", "csmacintosh mac macintosh x-mac-roman"),
    ("cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    ("cp1250", "cp1250 windows-1250 x-cp1250"),
    ("cp1251", "cp1251 windows-1251 x-cp1251"),
    ("cp1252", "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 "
               "iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252 x-user-defined"),
    ("cp1253", "cp1253 windows-1253 x-cp1253"),
    ("cp1254", "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 "
               "latin5 windows-1254 x-cp1254"),
    ("cp1255", "cp1255 windows-1255 x-cp1255"),
    ("cp1256", "cp1256 windows-1256 x-cp1256"),
    ("cp1257", "cp1257 windows-1257 x-cp1257"),
    ("cp1258", "cp1258 windows-1258 x-cp1258"),
    ("mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    ("gb18030", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk gb18030"),
    ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    ("euc-jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    ("iso2022-jp", "csiso2022jp iso-2022-jp"),
    ("cp932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis"),
    ("cp949", "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 "
              "windows-949"),
    ("utf-16-be", "unicodefffe utf-16be"),
    ("utf-16-le", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le"),
)
#: label -> Python codec name.
WHATWG_LABELS: dict[str, str] = {label: codec for codec, labels in _WHATWG for label in labels.split()}
_UTF16 = ("utf-16-le", "utf-16-be")
#: Codecs whose bytes are all 7-bit: a page with a high byte is not in them.
_SEVEN_BIT = ("iso2022-jp",)
#: What WHATWG strips around a label: ASCII whitespace.
_ASCII_WS = "\t\n\f\r "
_FALLBACK_ERRORS = "kabar-cp1252"


def _cp1252_errors(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the undecodable bytes of a UTF-8 stream as cp1252."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return bytes(bad).decode("cp1252", errors="replace"), exc.end


codecs.register_error(_FALLBACK_ERRORS, _cp1252_errors)


def normalize_charset(label: str | None) -> str | None:
    """The Python codec of a WHATWG encoding label (any case, ASCII whitespace around it), or None when the
    label is not one: a non-web codec name (``punycode``, ``rot13``, ``utf-7``) is never used."""
    if not label:
        return None
    return WHATWG_LABELS.get(label.strip(_ASCII_WS).strip("\"'").strip(_ASCII_WS).lower())


def _ascii_compatible(data: bytes) -> bool:
    """Bytes that cannot be UTF-16 (no BOM, checked before): markup whose ``<`` is followed by a non-NUL byte."""
    head = data.lstrip(b"\t\n\f\r ")[:2]
    return len(head) == 2 and head[0] == 0x3C and head[1] != 0

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
    if name in _UTF16:
        return "utf-8"  # a byte stream that can carry an ASCII <meta> is not UTF-16 (WHATWG rule)
    return name


def _utf8_with_multibyte(data: bytes) -> str | None:
    """The text, when the bytes are valid UTF-8 with at least one multibyte sequence (one decode)."""
    if data.isascii():
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _describes(enc: str, data: bytes) -> bool:
    """Can the declared codec describe these bytes at all? Not UTF-16 on ASCII-compatible markup, and not
    a 7-bit codec (ISO-2022-JP) on bytes with the high bit set."""
    if enc in _UTF16:
        return not _ascii_compatible(data)
    if enc in _SEVEN_BIT:
        return data.isascii()
    return True


def _decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors=_FALLBACK_ERRORS)


def _decode_as(data: bytes, enc: str) -> str:
    if enc == "utf-8":
        return _decode_utf8(data)
    if enc == "cp1252" and (text := _utf8_with_multibyte(data)) is not None:
        return text  # lying latin-1 / ASCII / cp1252 declaration
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
        if enc_http and not _describes(enc_http, data):
            enc_http = None       # a lying UTF-16 header on ASCII markup: <meta>, then UTF-8, decide
        if enc_http:
            return _decode_as(data, enc_http)
        enc_meta = meta_charset(data)
        if enc_meta and not _describes(enc_meta, data):
            enc_meta = None
        if enc_meta and enc_meta != "utf-8" and (text := _utf8_with_multibyte(data)) is not None:
            return text           # a <meta> the bytes contradict (a page re-saved as UTF-8 by its CMS)
        if enc_meta:
            return _decode_as(data, enc_meta)
        return _decode_utf8(data)
    except Exception:  # never raise: last resort for codecs that misbehave on hostile input
        log.debug("charset decoding failed, falling back to cp1252", exc_info=True)
        return data.decode("cp1252", errors="replace")


_C1_RE = re.compile("[\u0080-\u009f]")
_C1_UTF8_RE = re.compile(rb"\xc2[\x80-\x9f]")      # a C1 control character in UTF-8
#: One UTF-8 sequence read as latin-1: a lead byte (U+00C2-U+00F4) and its continuation bytes (U+0080-U+00BF).
_DOUBLE_UTF8_RE = re.compile("[\u00c2-\u00df][\u0080-\u00bf]|[\u00e0-\u00ef][\u0080-\u00bf]{2}"
                             "|[\u00f0-\u00f4][\u0080-\u00bf]{3}")
DOUBLE_UTF8_MIN = 2             # sequences with a C1 control a page needs before it is repaired


def repair_double_utf8(text: str, data: bytes) -> tuple[str, bytes]:
    """Undo UTF-8 that was encoded twice (a CMS that read its UTF-8 as latin-1 and saved it as UTF-8 again):
    ``’`` stored as ``â\\x80\\x99``, ``é`` as ``Ã©``. Browsers show such a page as mojibake; the text means
    the characters it was made from. Only a page with at least ``DOUBLE_UTF8_MIN`` such sequences holding a
    C1 control character (U+0080-U+009F, which no real text has) is repaired, and then every sequence that
    decodes. ``data`` is ``text`` in UTF-8 (the byte tests find the rare page that needs this at memchr
    speed); both come back, unchanged unless repaired. Linear time."""
    if b"\xc2" not in data or not _C1_UTF8_RE.search(data):
        return text, data
    seen = 0
    for m in _DOUBLE_UTF8_RE.finditer(text):
        if _C1_RE.search(m.group()):
            seen += 1
            if seen >= DOUBLE_UTF8_MIN:
                text = _DOUBLE_UTF8_RE.sub(_undo_double, text)
                return text, text.encode("utf-8", "ignore")
    return text, data


def _undo_double(m: re.Match[str]) -> str:
    try:
        return m.group().encode("latin-1").decode("utf-8")
    except UnicodeError:
        return m.group()
