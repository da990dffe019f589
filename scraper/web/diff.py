"""What differs between two copies of a story: a sentence alignment (pure functions, no I/O).

:func:`align` lines the sentences of a copy up against the earliest copy: a sentence of the copy is
``shared`` (word for word, wherever it stands), ``reworded`` (its best match among the earliest's sentences
shares at least :data:`REWORDED_SHARE` of its words; a word diff shows how) or ``added``; a sentence of the
earliest that no sentence of the copy took is ``dropped``. The order is the copy's, each dropped sentence
where it stood in the earliest.
Inputs are capped (:data:`MAX_SENTENCES`, :data:`MAX_CHARS`), so the work is bounded for any page.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

REWORDED_SHARE = 0.5
MAX_SENTENCES = 400
MAX_CHARS = 200_000

# A sentence ends at . ! ? or … (and any closing quotes or brackets) followed by white space.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+")
_WORD = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


@dataclass
class Line:
    """One entry of an alignment: ``kind`` is shared, reworded, added or dropped."""

    kind: str
    text: str                       # the copy's sentence (the earliest's for dropped)
    original: str | None = None     # reworded: the earliest's sentence it rewrites
    share: float | None = None      # reworded: the part of its words found in ``original``
    words: list[tuple[str, str]] = field(default_factory=list)  # reworded: ("same"|"del"|"ins", text)


def sentences(text: str | None) -> list[str]:
    """The sentences of ``text`` (paragraphs one per line), white space collapsed, at most MAX_SENTENCES."""
    out: list[str] = []
    for paragraph in (text or "")[:MAX_CHARS].splitlines():
        for part in _SENTENCE_END.split(paragraph.strip()):
            part = _SPACE.sub(" ", part).strip()
            if part:
                out.append(part)
                if len(out) >= MAX_SENTENCES:
                    return out
    return out


def words(sentence: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(sentence)}


def share(copy: set[str], original: set[str]) -> float:
    """The part of the copy sentence's words that the original sentence has."""
    return len(copy & original) / len(copy) if copy else 0.0


def word_diff(original: str, copy: str) -> list[tuple[str, str]]:
    """``(op, text)`` runs turning ``original`` into ``copy``: op is same, del or ins."""
    a, b = original.split(), copy.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", " ".join(b[j1:j2])))
    return out


def _matches(orig: list[str], copy: list[str]) -> tuple[list[tuple[str, int | None, float]], list[Any]]:
    """For each copy sentence (kind, index of its earliest sentence, share), and the opcodes."""
    opcodes = difflib.SequenceMatcher(None, orig, copy, autojunk=False).get_opcodes()
    found: list[tuple[str, int | None, float]] = [("added", None, 0.0)] * len(copy)
    used: set[int] = set()
    for op, i1, _i2, j1, j2 in opcodes:
        if op == "equal":
            for k in range(j2 - j1):
                found[j1 + k] = ("shared", i1 + k, 1.0)
                used.add(i1 + k)
    exact: dict[str, list[int]] = {}
    for i, s in enumerate(orig):
        if i not in used:
            exact.setdefault(s, []).append(i)
    orig_words = [words(s) for s in orig]
    for j, s in enumerate(copy):
        if found[j][0] == "shared":
            continue
        moved = [i for i in exact.get(s, ()) if i not in used]
        if moved:                     # the same sentence elsewhere: moved, still word for word
            found[j] = ("shared", moved[0], 1.0)
            used.add(moved[0])
            continue
        cw = words(s)
        best, best_key = None, (0.0, 0.0)
        for i, ow in enumerate(orig_words):
            if i in used or not ow:
                continue
            sh = share(cw, ow)
            key = (sh, len(cw & ow) / len(cw | ow))
            if key > best_key:
                best, best_key = i, key
        if best is not None and best_key[0] >= REWORDED_SHARE:
            found[j] = ("reworded", best, best_key[0])
            used.add(best)
    return found, opcodes


def align(earliest: list[str], copy: list[str]) -> list[Line]:
    """The copy's sentences against the earliest's (see the module doc)."""
    found, opcodes = _matches(earliest, copy)
    taken = {i for _kind, i, _sh in found if i is not None}
    out: list[Line] = []
    for _op, i1, i2, j1, j2 in opcodes:
        for j in range(j1, j2):
            kind, i, sh = found[j]
            if kind == "reworded" and i is not None:
                out.append(Line("reworded", copy[j], earliest[i], round(sh, 2), word_diff(earliest[i], copy[j])))
            else:
                out.append(Line(kind, copy[j]))
        out.extend(Line("dropped", earliest[i]) for i in range(i1, i2) if i not in taken)
    return out


def summary(lines: list[Line]) -> dict[str, int]:
    counts = {"shared": 0, "reworded": 0, "added": 0, "dropped": 0}
    for line in lines:
        counts[line.kind] += 1
    return counts


def compare(earliest_text: str | None, copy_text: str | None) -> dict[str, Any]:
    """The alignment of two texts as plain data: ``lines`` (dicts) and ``counts`` per kind."""
    lines = align(sentences(earliest_text), sentences(copy_text))
    return {"counts": summary(lines), "lines": [asdict(line) for line in lines]}
