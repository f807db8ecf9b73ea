"""What the contacts app tells the foundation: its entities (roles editor, field rules), its recycle-bin
entries, its tagged tables and its event consumers. Imported once by the app config."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext_lazy as _

from peyvand.accounts import policy
from peyvand.contacts.models import Company, CompanyTag, Contact, ContactTag, Note
from peyvand.core import recycle, tags
from peyvand.core.models import CustomField

CONTACT_FIELDS = (
    ("first_name", _("First name")),
    ("last_name", _("Last name")),
    ("emails", _("E-mail addresses")),
    ("phones", _("Phone numbers")),
    ("job_title", _("Job title")),
    ("company", _("Company")),
    ("owner", _("Owner")),
    ("birthday", _("Birthday")),
    ("anniversary", _("Anniversary")),
    ("addresses", _("Addresses")),
    ("website", _("Website")),
    ("social", _("Social profiles")),
    ("preferred_language", _("Preferred language")),
    ("preferred_channel", _("Preferred channel")),
    ("lifecycle_stage", _("Lifecycle stage")),
    ("source", _("Source")),
    ("email_consent", _("E-mail consent")),
    ("sms_consent", _("SMS consent")),
    ("tags", _("Tags")),
)
COMPANY_FIELDS = (
    ("name", _("Name")),
    ("legal_name", _("Legal name")),
    ("domain", _("Domain")),
    ("website", _("Website")),
    ("industry", _("Industry")),
    ("employees", _("Employees")),
    ("annual_revenue", _("Annual revenue")),
    ("company_type", _("Type")),
    ("parent", _("Parent company")),
    ("owner", _("Owner")),
    ("phones", _("Phone numbers")),
    ("addresses", _("Addresses")),
    ("description", _("Description")),
    ("tags", _("Tags")),
)


def _custom_fields_of(entity: str) -> Any:
    def fields(workspace_id: int) -> Iterable[tuple[str, str]]:
        from peyvand.core.customfields import definitions

        return [(d.path, d.label) for d in definitions(workspace_id, entity)]

    return fields


policy.register_entity(
    policy.EntitySpec(
        name="contact",
        label=_("Contacts"),
        actions=tuple(policy.Action.values),
        fields=CONTACT_FIELDS,
        extra_fields=_custom_fields_of("contact"),
        aliases={
            "emails": ("email",),
            "phones": ("phone",),
            "email_consent": ("email_consent_at", "email_consent_source"),
            "sms_consent": ("sms_consent_at", "sms_consent_source"),
        },
    )
)
policy.register_entity(
    policy.EntitySpec(
        name="company",
        label=_("Companies"),
        actions=tuple(policy.Action.values),
        fields=COMPANY_FIELDS,
        extra_fields=_custom_fields_of("company"),
    )
)
policy.register_entity(
    policy.EntitySpec(
        name="note",
        label=_("Notes"),
        actions=("create", "change", "delete"),
        scopes=("none", "own", "team", "all"),
        defaults={
            "sales_manager": {"create": "all", "change": "team", "delete": "team"},
            "sales_rep": {"create": "all", "change": "own", "delete": "own"},
            "support_agent": {"create": "all", "change": "own", "delete": "own"},
        },
    )
)

policy.register_entity(
    policy.EntitySpec(
        name="import_job",
        label=_("Imports"),
        actions=("view",),
        scopes=("none", "own", "all"),
        kind="settings",
        defaults={k: {"view": "own"} for k in ("sales_manager", "sales_rep", "support_agent")},
    )
)


def _undo_merge(actor: Any, record: Any) -> None:
    from peyvand.contacts.merges import undo_merge

    undo_merge(actor, record)


recycle.register_bin_entity(recycle.BinEntity("contact", _("Contacts"), Contact, on_restore=_undo_merge))
recycle.register_bin_entity(recycle.BinEntity("company", _("Companies"), Company, on_restore=_undo_merge))
recycle.register_bin_entity(recycle.BinEntity("note", _("Notes"), Note))
recycle.register_bin_entity(recycle.BinEntity("custom_field", _("Custom fields"), CustomField))
tags.register_tagged(tags.Tagged("contact", ContactTag, "contact"))
tags.register_tagged(tags.Tagged("company", CompanyTag, "company"))

from peyvand.contacts import consumers  # noqa: E402,F401
