"""PostgreSQL: trigram indexes on the normalized search text (substring search, any script).
SQLite searches the same column without one. Existing workspaces get the default lifecycle list."""

from typing import Any

from django.db import migrations

TRIGRAM_INDEXES = (
    ("contacts_contact", "contact_search_trgm"),
    ("contacts_company", "company_search_trgm"),
)


def create_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name in TRIGRAM_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops) "
            "WHERE deleted_at IS NULL"
        )


def drop_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name in TRIGRAM_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


DEFAULT_KEYS = ("subscriber", "lead", "qualified", "opportunity", "customer", "advocate", "churned")


def lifecycle_defaults(apps: Any, schema_editor: Any) -> None:
    workspace_model = apps.get_model("accounts", "Workspace")
    stage_model = apps.get_model("contacts", "LifecycleStage")
    for workspace_id in workspace_model.objects.values_list("pk", flat=True):
        if not stage_model.objects.filter(workspace_id=workspace_id).exists():
            stage_model.objects.bulk_create(
                stage_model(workspace_id=workspace_id, key=key, position=i) for i, key in enumerate(DEFAULT_KEYS)
            )


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
        migrations.RunPython(lifecycle_defaults, migrations.RunPython.noop),
    ]
