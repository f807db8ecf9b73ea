"""SQLite's trigram index of the search text: an FTS5 table per entity over the `search_text` column of
`contacts_contact` / `contacts_company` (external content), kept by triggers on those tables. Created by
migration 0008; `ensure` (run after every `migrate`) puts back triggers that SQLite dropped with their
table — Django rebuilds a table (new table, copy, drop, rename) for many schema changes on SQLite — and
rebuilds the index they should have kept. PostgreSQL uses its trigram and bigram indexes instead."""

# ruff: noqa: S608  (the only names in these statements are the constants below; no input reaches them)
from __future__ import annotations

from typing import Any

TABLES = (
    ("contacts_contact", "contacts_contact_search"),
    ("contacts_company", "contacts_company_search"),
)
TRIGGERS = ("insert", "delete", "update")


def statements(table: str, index: str) -> list[str]:
    """The FTS5 table and its three triggers (each `IF NOT EXISTS`)."""
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
    ]


def create(connection: Any) -> None:
    """The tables and triggers, and every row indexed (migration 0008)."""
    with connection.cursor() as cursor:
        for table, index in TABLES:
            for statement in statements(table, index):
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")


def ensure(connection: Any) -> list[str]:
    """Repair what a table rebuild dropped (SQLite only; nothing before migration 0008 ran). Returns the
    indexes rebuilt."""
    if connection.vendor != "sqlite":
        return []
    repaired = []
    with connection.cursor() as cursor:
        for table, index in TABLES:
            cursor.execute("SELECT name FROM sqlite_master WHERE name IN (%s, %s)", [table, index])
            if len(cursor.fetchall()) < 2:
                continue  # not migrated that far (or back)
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s AND name IN "
                "(%s, %s, %s)",
                [table, *(f"{index}_{trigger}" for trigger in TRIGGERS)],
            )
            if cursor.fetchone()[0] == len(TRIGGERS):
                continue
            for statement in statements(table, index):
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")
            repaired.append(index)
    return repaired
