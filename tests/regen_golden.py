"""Rewrite the generated fields of the golden expectations from the parser's current output.

    python tests/regen_golden.py [NAME ...]      # NAME: fixtures/pages/NAME.html (default: every page)
    python tests/regen_golden.py --check [NAME ...]   # write nothing: print the diffs that regen would make

Generated fields: title, dateline, published_at, segments, removed_kinds, next_pages. Kept as written:
url, provenance, must, must_not. The files are rewritten in the same layout they are written in by hand,
so ``git diff fixtures/pages`` shows exactly what the parser now does differently; review it by eye and
commit only what is right. Never use this to create an expectation: write new ones by hand from the page.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"
FIELD_ORDER = ("url", "provenance", "title", "dateline", "published_at", "segments", "removed_kinds",
               "must", "must_not", "next_pages")
INLINE_FIELDS = ("removed_kinds",)
# C1 control characters stay escaped (they only appear in must_not lists, as mojibake probes).
_C1_ESCAPES = {c: f"\\u{c:04x}" for c in range(0x7F, 0xA0)}


def dump_expectation(data: dict[str, Any]) -> str:
    """The hand-written layout: two-space JSON, fields in FIELD_ORDER, ``removed_kinds`` on one line."""
    ordered = {k: data[k] for k in FIELD_ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    lines = ["{"]
    items = list(ordered.items())
    for i, (key, value) in enumerate(items):
        if key in INLINE_FIELDS:
            body = json.dumps(value, ensure_ascii=False)
        else:
            body = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        comma = "," if i < len(items) - 1 else ""
        lines.append(f"  {json.dumps(key)}: {body}{comma}")
    lines.append("}")
    return "\n".join(lines).translate(_C1_ESCAPES) + "\n"


def regenerated(old: dict[str, Any], article: Any) -> dict[str, Any]:
    """``old`` with its generated fields replaced by what ``article`` (the parser's output) says."""
    new = dict(old)
    new["title"] = article.title
    new["dateline"] = article.dateline
    new["published_at"] = article.published_at
    new["segments"] = [{"headline": s.headline, "paragraphs": list(s.paragraphs)} for s in article.segments]
    kinds = [r.kind for r in article.removed]
    kept = [k for k in old.get("removed_kinds", []) if k in kinds]
    new["removed_kinds"] = kept + sorted(set(kinds) - set(kept))
    if article.next_pages or "next_pages" in old:
        new["next_pages"] = list(article.next_pages)
    return new


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", help="page names (fixtures/pages/NAME.html); default: all")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; print the diffs and exit 1 if any expectation differs")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    try:
        from scraper.parse import parse_html
    except ModuleNotFoundError as exc:
        if exc.name != "scraper.parse":
            raise
        print("regen_golden: scraper/parse.py does not exist yet", file=sys.stderr)
        return 2

    names = [Path(n).stem for n in args.names] or sorted(p.stem for p in PAGES.glob("*.html"))
    changed: list[str] = []
    for name in names:
        html, expected = PAGES / f"{name}.html", PAGES / f"{name}.json"
        if not html.exists():
            print(f"regen_golden: no page {html}", file=sys.stderr)
            return 2
        if not expected.exists():
            print(f"regen_golden: {expected.name} is missing; write it by hand first (url, provenance, "
                  f"must, must_not and the expected segments)", file=sys.stderr)
            return 2
        old_text = expected.read_text(encoding="utf-8")
        old = json.loads(old_text)
        new_text = dump_expectation(regenerated(old, parse_html(html.read_bytes(), old["url"])))
        if new_text != old_text:
            changed.append(name)
            if args.check:
                sys.stdout.writelines(difflib.unified_diff(
                    old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
                    f"a/fixtures/pages/{expected.name}", f"b/fixtures/pages/{expected.name}"))
            else:
                expected.write_text(new_text, encoding="utf-8")
    verb = "differ" if args.check else "rewritten"
    print(f"{len(changed)} of {len(names)} expectations {verb}" + (": " + ", ".join(changed) if changed else ""))
    if changed and not args.check:
        print("review with: git diff fixtures/pages")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
