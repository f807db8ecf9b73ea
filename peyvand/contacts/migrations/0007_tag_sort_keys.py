"""Tag links carry their record's sort key, so a tag's records in name order are one index range."""

from typing import Any

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

import peyvand.contacts.models


def copy_sort_keys(apps: Any, schema_editor: Any) -> None:
    for link_name, record_name, field in (
        ("ContactTag", "Contact", "contact"),
        ("CompanyTag", "Company", "company"),
    ):
        link = apps.get_model("contacts", link_name)
        record = apps.get_model("contacts", record_name)
        keys = record._base_manager.filter(pk=OuterRef(f"{field}_id")).values("sort_key")[:1]
        link.objects.update(sort_key=Subquery(keys))


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_search_bigrams"),
        ("core", "0003_audit_export"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="companytag",
            name="company_tag_by_tag",
        ),
        migrations.RemoveIndex(
            model_name="contacttag",
            name="contact_tag_by_tag",
        ),
        migrations.AddField(
            model_name="companytag",
            name="sort_key",
            field=peyvand.contacts.models.SortKeyField(default="", editable=False, max_length=485),
        ),
        migrations.AddField(
            model_name="contacttag",
            name="sort_key",
            field=peyvand.contacts.models.SortKeyField(default="", editable=False, max_length=485),
        ),
        migrations.RunPython(copy_sort_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="companytag",
            index=models.Index(fields=["tag", "sort_key", "company"], name="company_tag_sorted"),
        ),
        migrations.AddIndex(
            model_name="contacttag",
            index=models.Index(fields=["tag", "sort_key", "contact"], name="contact_tag_sorted"),
        ),
    ]
