"""Generate the README's schema block from a real, freshly migrated database.

    python -m storage.schema_doc                    # print the block
    python -m storage.schema_doc --write README.md  # replace the block between the schema markers
    python -m storage.schema_doc --check README.md  # exit 1 when README's block is out of date

The block lists every table, index, trigger and view in creation order, as SQLite stores them (comments
included), leaving out SQLite's and sqlite-utils' bookkeeping and the FTS5 shadow tables.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from storage.store import Store

START = "<!-- schema:start -->"
END = "<!-- schema:end -->"
_HIDDEN = re.compile(r"^(sqlite_|_sqlite_migrations|articles_fts_(data|idx|docsize|config|content)$)")


def schema_sql() -> str:
    """The schema of a new database, one statement per paragraph."""
    with tempfile.TemporaryDirectory(prefix="kabar-schema-") as tmp:
        with Store.open(str(Path(tmp) / "schema.db")) as store:
            rows = store.conn.execute(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
    statements = [sql.strip() + ";" for name, table, sql in rows
                  if not _HIDDEN.match(name) and not _HIDDEN.match(table)]
    return "\n\n".join(statements)


def schema_block() -> str:
    return f"{START}\n```sql\n{schema_sql()}\n```\n{END}"


def replace_block(text: str, block: str) -> str:
    """``text`` with the part from START to END (markers included) replaced by ``block``."""
    start = text.find(START)
    end = text.find(END, start)
    if start < 0 or end < 0:
        raise ValueError(f"markers {START} ... {END} not found")
    return text[:start] + block + text[end + len(END):]


def current_block(text: str) -> str | None:
    start = text.find(START)
    end = text.find(END, start)
    if start < 0 or end < 0:
        return None
    return text[start:end + len(END)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", type=Path, help="replace the block in FILE")
    group.add_argument("--check", metavar="FILE", type=Path, help="exit 1 when FILE's block is out of date")
    args = ap.parse_args(argv)
    block = schema_block()
    if args.write:
        text = args.write.read_text(encoding="utf-8")
        args.write.write_text(replace_block(text, block), encoding="utf-8")
        return 0
    if args.check:
        if current_block(args.check.read_text(encoding="utf-8")) != block:
            print(f"{args.check}: schema block is out of date; run python -m storage.schema_doc --write "
                  f"{args.check}", file=sys.stderr)
            return 1
        return 0
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
