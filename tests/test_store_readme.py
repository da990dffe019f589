"""The README's database section: its schema block is current and its example queries run."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import schema_doc
from storage.records import ArticleRecord
from storage.store import Store

README = Path(__file__).resolve().parent.parent / "README.md"


def database_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## The database\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "README has no '## The database' section"
    return match.group(1)


def example_queries() -> list[str]:
    section = database_section()
    block = schema_doc.current_block(section) or ""
    return re.findall(r"```sql\n(.*?)```", section.replace(block, ""), re.S)


def test_readme_schema_block_matches_a_new_database() -> None:
    current = schema_doc.current_block(README.read_text(encoding="utf-8"))
    assert current is not None, "schema markers missing from README"
    assert current == schema_doc.schema_block(), "run: python -m storage.schema_doc --write README.md"


def test_schema_block_lists_the_public_tables() -> None:
    sql = schema_doc.schema_sql()
    for name in ("sources", "articles", "segments", "article_urls", "article_revisions", "pages", "runs"):
        assert f"CREATE TABLE {name} (" in sql
    assert "CREATE VIRTUAL TABLE articles_fts USING fts5" in sql and "CREATE VIEW stories AS" in sql
    assert "articles_fts_data" not in sql and "_sqlite_migrations" not in sql


def test_replace_block_keeps_the_rest_of_the_file() -> None:
    text = f"before\n{schema_doc.START}\nold\n{schema_doc.END}\nafter\n"
    assert schema_doc.replace_block(text, "NEW") == "before\nNEW\nafter\n"
    with pytest.raises(ValueError):
        schema_doc.replace_block("no markers", "NEW")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    today = datetime.now(UTC).isoformat(timespec="seconds")
    paras = ["Imigrasi Banten dan Polda Banten menandatangani kerja sama, Selasa (18/11/2025).",
             "Sebanyak 104.423 PMI prosedural asal Banten bekerja di luar negeri, kata Sengky."]
    s = Store.open(str(tmp_path / "k.db"))
    for source in ("fam68", "bantenpos", "kabarserang"):
        s.save_article(ArticleRecord(source=source, url=f"https://{source}.example/a", canonical_url=f"https://{source}.example/a",
                                     title="Imigrasi Banten dan Polda Banten Perangi TPPO", segments=[(None, paras)],
                                     published_at=today))
    s.save_article(ArticleRecord(source="fam68", url="https://fam68.example/a", canonical_url="https://fam68.example/a",
                                 title="Imigrasi Banten dan Polda Banten Perangi TPPO (ralat)", segments=[(None, paras[:1])],
                                 published_at=today))
    yield s
    s.close()


def test_readme_has_five_example_queries() -> None:
    assert len(example_queries()) == 5


def test_readme_example_queries_run_and_answer(store: Store) -> None:
    for sql in example_queries():
        rows = store.conn.execute(sql).fetchall()
        assert rows, f"no rows from README query:\n{sql}"


def test_readme_mentions_datasette_and_sqlite_utils() -> None:
    section = database_section()
    assert "datasette kabar.db" in section and "sqlite-utils" in section
