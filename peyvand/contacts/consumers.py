"""Event consumers of contacts (run after commit by the outbox dispatcher; each safe to run twice)."""

from __future__ import annotations

from peyvand.accounts.models import Workspace
from peyvand.contacts import services
from peyvand.contacts.models import Company, Contact
from peyvand.core.events import consumer
from peyvand.core.models import CustomField, OutboxEvent


@consumer("workspace.created", name="contacts.lifecycle_defaults")
def lifecycle_defaults(event: OutboxEvent) -> None:
    """A new workspace starts with the default lifecycle list."""
    if event.workspace_id is not None:
        services.lifecycle_ensure_defaults(event.workspace_id)


@consumer("company.updated", name="contacts.reindex_people_of_company")
def reindex_people_of_company(event: OutboxEvent) -> None:
    """People are found by their company's name: re-index them when it changes."""
    if "name" not in event.payload.get("fields", []):
        return
    company = Company.all_objects.select_related("workspace").filter(pk=event.record_id).first()
    if company is not None:
        language = Workspace.objects.get(pk=company.workspace_id).language
        services.reindex_contacts(Contact.all_objects.filter(company_id=company.pk), language=language)


@consumer("workspace.updated", name="contacts.resort_on_language_change")
def resort_on_language_change(event: OutboxEvent) -> None:
    """Names sort in the workspace language's order: recompute the stored keys when it changes."""
    if "language" not in event.payload.get("fields", []) or event.workspace_id is None:
        return
    language = Workspace.objects.get(pk=event.workspace_id).language
    services.reindex_contacts(Contact.all_objects.filter(workspace_id=event.workspace_id), language=language)
    services.reindex_companies(Company.all_objects.filter(workspace_id=event.workspace_id), language=language)


@consumer(
    "custom_field.created",
    "custom_field.updated",
    "custom_field.deleted",
    "custom_field.restored",
    name="contacts.reindex_on_searchable_field",
)
def reindex_on_searchable_field(event: OutboxEvent) -> None:
    """Searchable custom fields are part of the search text: re-index the entity when one changes."""
    field = CustomField.all_objects.filter(pk=event.record_id).first()
    if field is None or event.workspace_id is None:
        return
    if event.name == "custom_field.updated" and "searchable" not in event.payload.get("fields", []):
        return
    if event.name != "custom_field.updated" and not field.searchable:
        return
    language = Workspace.objects.get(pk=event.workspace_id).language
    if field.entity == "contact":
        services.reindex_contacts(
            Contact.all_objects.filter(workspace_id=event.workspace_id), language=language
        )
    elif field.entity == "company":
        services.reindex_companies(
            Company.all_objects.filter(workspace_id=event.workspace_id), language=language
        )
