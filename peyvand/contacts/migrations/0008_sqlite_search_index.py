"""SQLite: a full-text index of trigrams (FTS5) over the search text of contacts and companies, kept by
triggers, so a search finds its rows without reading every row (PostgreSQL has its trigram and bigram
indexes, migrations 0002 and 0006). The index only narrows the rows; the search condition still decides.
The statements live in `contacts/sqlite_search.py`, which also repairs them after every migrate."""

from typing import Any

from django.db import migrations

from peyvand.contacts import sqlite_search


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        sqlite_search.create(schema_editor.connection)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for _table, index in sqlite_search.TABLES:
        for trigger in sqlite_search.TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {index}_{trigger}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {index}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0007_tag_sort_keys")]

    operations = [migrations.RunPython(create, drop)]
