"""SQLite: a full-text index of trigrams (FTS5) over the search text of contacts and companies, kept by
triggers, so a search finds its rows without reading every row (PostgreSQL has its trigram and bigram
indexes, migrations 0002 and 0006). The index only narrows the rows; the search condition still decides."""

from typing import Any

from django.db import migrations

TABLES = (
    ("contacts_contact", "contacts_contact_search"),
    ("contacts_company", "contacts_company_search"),
)


def _statements(table: str, index: str) -> list[str]:
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {index} USING fts5("
        f"search_text, content='{table}', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {index}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {index}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_delete AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {index}({index}, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS {index}_update AFTER UPDATE OF search_text ON {table} BEGIN "
        f"INSERT INTO {index}({index}, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {index}(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"INSERT INTO {index}({index}) VALUES ('rebuild')",
    ]


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for table, index in TABLES:
        for statement in _statements(table, index):
            schema_editor.execute(statement)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for _table, index in TABLES:
        for trigger in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {index}_{trigger}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0007_tag_sort_keys")]

    operations = [migrations.RunPython(create, drop)]
