"""Remote XML read safely: the DTD guard, bounded gunzip, a linear scanner for broken documents.   (pure)

* ``guard(parser)`` installs expat handlers that raise ``RefusedXML`` on a DOCTYPE with an internal subset,
  on any ENTITY declaration (parsed or unparsed) and on any external entity reference (as defusedxml does).
  The check happens in the parser while it reads the document, never by rewriting bytes: a comment that
  looks like a DOCTYPE is a comment to expat, and the real declaration after it is refused.
* ``gunzip(data, limit)`` decompresses a gzip body (magic bytes) to at most ``limit`` bytes.
* ``Scanner().tags(text)`` tokenizes a document that expat rejected (broken XML) in one left-to-right pass (a
  tag regex without backtracking, ``str.find``): tags as index spans, comments skipped, each tag at most
  ``MAX_TAG_CHARS`` long; text and CDATA go to the ``Capture`` the caller sets, which drops a value longer
  than ``MAX_VALUE_CHARS``.
* ``body(...)``, ``refuse(...)``: the shared first and last steps of the sitemap and feed readers.

Nothing here expands an entity: the scanner decodes only the five predefined ones and numeric references.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

# A <loc>, <link> or date value longer than this is dropped (a URL over 8 KB is never an article link).
MAX_VALUE_CHARS = 8192
# A tag (name and attributes) longer than this is not a tag the readers want; the scanner skips it.
MAX_TAG_CHARS = 8192

_NUMERIC_REF_RE = re.compile(r"&#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
_PREDEFINED = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"))


class RefusedXML(ValueError):
    """The document declares a DTD internal subset or an entity (or references an external one)."""


def guard(parser: Any) -> None:
    """Make an expat ``parser`` raise ``RefusedXML`` on DTD subsets and entity declarations."""

    def doctype(_name: str, _sysid: str | None, _pubid: str | None, has_internal_subset: int) -> None:
        if has_internal_subset:
            raise RefusedXML("DOCTYPE with an internal subset")

    def entity(*_args: object) -> None:
        raise RefusedXML("ENTITY declaration")

    def unparsed(*_args: object) -> None:
        raise RefusedXML("unparsed ENTITY declaration")

    def external(*_args: object) -> int:
        raise RefusedXML("external entity reference")

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = unparsed
    parser.ExternalEntityRefHandler = external


def declares_entities(text: str) -> bool:
    """Does a (broken) document contain an ENTITY declaration anywhere, even inside a comment?

    Used only for documents expat could not read to the end: their DTD may lie beyond the error, and
    feedparser's own fallback collects ``<!ENTITY`` lines by regex whatever surrounds them.
    """
    return _ENTITY_DECL_RE.search(text) is not None


_ENTITY_DECL_RE = re.compile(r"<!ENTITY", re.IGNORECASE)


def gunzip(data: bytes, limit: int) -> tuple[bytes, str | None]:
    """``(body, problem)``: a gzip body (by its magic bytes) decompressed to at most ``limit`` bytes.

    A body that is not gzip comes back as is. A broken gzip body gives ``b""``; one that decompresses
    beyond ``limit`` is cut at ``limit`` (the problem text says so).
    """
    if not data.startswith(b"\x1f\x8b"):
        return data, None
    try:
        out = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, limit + 1)
    except zlib.error:
        return b"", "broken: not a readable gzip body"
    if len(out) > limit:
        return out[:limit], f"truncated: gzip body decompresses beyond {limit} bytes"
    return out, None


# One token: a comment or CDATA opener, or a start/end tag. Possessive quantifiers: no backtracking, so a
# failed attempt costs the length of the name it looked at, and every search moves forward.
_TOKEN_RE = re.compile(r"<(?:(!--)|(!\[CDATA\[)|(/?)(?:[\w.-]++:)?([\w.-]++)([^<>]*+)>)")


def body(data: bytes | str, limit: int, what: str, notes: list[str]) -> bytes:
    """The bytes of a fetched document: text encoded, gzip undone, at most ``limit`` bytes (noted)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    raw, note = gunzip(raw, limit)
    if note:
        notes.append(note)
    if len(raw) > limit:
        notes.append(f"truncated: {what} beyond {limit} bytes")
        raw = raw[:limit]
    return raw


def refuse(what: str, reason: str, notes: list[str]) -> None:
    """Log and note a refused document (the caller returns nothing)."""
    log.warning("%s refused: %s", what, reason)
    notes.append(f"refused: {reason}")


class Scanner:
    """Tags of a possibly broken document, left to right, in linear time; text goes to ``capture``.

    ``tags(text)`` yields ``(start, end, name, is_end)`` per start or end tag: ``name`` its local name
    lower-cased (prefix dropped), ``is_end`` for ``</name>``, ``text[start:end]`` its attributes (ending
    in ``/`` for an empty element). Character data and CDATA between tags are added to ``self.capture``
    when the caller has set one. Comments are skipped; an unclosed comment or CDATA section ends the scan;
    tags longer than ``MAX_TAG_CHARS`` and stray ``<`` count as text.
    """

    def __init__(self) -> None:
        self.capture: Capture | None = None

    def _text(self, text: str, start: int, end: int, *, entities: bool = True) -> None:
        if self.capture is not None and end > start:
            self.capture.add_span(text, start, end, entities=entities)

    def tags(self, text: str) -> Iterator[tuple[int, int, str, bool]]:
        pos = 0  # where the text not yet handed out starts; a match before it lies in a comment or CDATA
        for m in _TOKEN_RE.finditer(text):
            lt = m.start()
            if lt < pos:
                continue
            name = m.group(4)
            if name is not None and m.end() - lt <= MAX_TAG_CHARS:
                self._text(text, pos, lt)
                pos = m.end()
                yield m.start(5), m.end(5), name.lower(), m.group(3) == "/"
                continue
            if name is not None:
                continue
            self._text(text, pos, lt)
            end = text.find("-->" if m.group(1) else "]]>", m.end())
            if end < 0:
                return
            if m.group(2):
                self._text(text, m.end(), end, entities=False)
            pos = end + 3
        self._text(text, pos, len(text))


def tag_attrs(tag: str) -> dict[str, str]:
    """The attributes of a scanned start tag (``text[start:end]`` of its token), in one forward pass."""
    out: dict[str, str] = {}
    n = len(tag)
    i = 0
    while i < n:
        eq = tag.find("=", i)
        if eq < 0:
            break
        words = tag[i:eq].split()
        j = eq + 1
        while j < n and tag[j].isspace():
            j += 1
        if j < n and tag[j] in "\"'":
            close = tag.find(tag[j], j + 1)
            if close < 0:
                break
            val, i = tag[j + 1:close], close + 1
        else:
            k = j
            while k < n and not tag[k].isspace():
                k += 1
            val, i = tag[j:k], k
        if words:
            out[words[-1].lower()] = unescape(val)
    return out


def unescape(s: str) -> str:
    """The predefined XML entities and numeric character references, nothing else."""
    if "&" not in s:
        return s
    for ref, ch in _PREDEFINED:
        s = s.replace(ref, ch)
    s = _NUMERIC_REF_RE.sub(_numeric, s)
    return s.replace("&amp;", "&")


def _numeric(m: re.Match[str]) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    try:
        return chr(code) if code else m.group(0)
    except (ValueError, OverflowError):
        return m.group(0)


class Capture:
    """Character data collected for one element, dropped once it passes ``MAX_VALUE_CHARS``."""

    __slots__ = ("_parts", "_size", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._parts: list[str] = []
        self._size = 0

    def add(self, text: str) -> None:
        if self._size <= MAX_VALUE_CHARS:
            self._size += len(text)
            if self._size <= MAX_VALUE_CHARS:
                self._parts.append(text)

    def add_span(self, src: str, start: int, end: int, *, entities: bool) -> None:
        """Add ``src[start:end]`` without copying it when it is already too long."""
        if self._size + (end - start) > MAX_VALUE_CHARS:
            self._size = MAX_VALUE_CHARS + 1
            return
        piece = src[start:end]
        self.add(unescape(piece) if entities else piece)

    def value(self) -> str | None:
        """The stripped text, or None when it was too long or empty."""
        if self._size > MAX_VALUE_CHARS:
            return None
        return "".join(self._parts).strip() or None
