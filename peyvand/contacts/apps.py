from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "peyvand.contacts"
    label = "contacts"
    verbose_name = _("Contacts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from peyvand.contacts import registry  # noqa: F401  (entities, bin, tags, consumers)

        post_migrate.connect(_repair_search_index, sender=self, dispatch_uid="contacts-sqlite-search")


def _repair_search_index(using: str = "default", **_kwargs: object) -> None:
    """After every migrate: SQLite drops a table's triggers when Django rebuilds the table for a schema
    change, and the search index would stop following writes (see contacts/sqlite_search.py)."""
    from django.db import connections

    from peyvand.contacts import sqlite_search

    sqlite_search.ensure(connections[using])
