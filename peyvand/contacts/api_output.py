"""What the contacts API shows: contacts, companies, notes and timelines as dicts for its response schemas,
with the reader's field rules applied (hidden fields null, hidden custom fields absent) and related rows
loaded once per page. The endpoints are in `api.py`; saved views, imports and merges use these too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import hidden_fields, redact
from peyvand.contacts import access, selectors, services
from peyvand.contacts.models import Company, Contact, ContactEmail, ContactPhone, Note
from peyvand.core.models import AuditEntry, Tag
from peyvand.core.pagination import MAX_LIMIT, clamp_limit

CONTACT_RELATED = ("company", "owner__user", "lifecycle_stage")
# What `contacts_out` reads of a listed contact and its related rows (not the search columns, the company's
# other fields or the owner's password hash): a page's query carries and converts a third of the data.
CONTACT_OUT_COLUMNS = (
    *("version", "created_at", "updated_at", "first_name", "last_name", "display_name", "email", "phone"),
    *("job_title", "birthday", "anniversary", "addresses", "website", "social", "preferred_language"),
    *("preferred_channel", "source", "email_consent", "email_consent_at", "email_consent_source"),
    *("sms_consent", "sms_consent_at", "sms_consent_source", "custom", "sort_key", "workspace_id"),
    *("company__name", "company__deleted_at", "owner__user__full_name", "owner__user__email"),
    *("lifecycle_stage__key", "lifecycle_stage__name"),
)
COMPANY_RELATED = ("owner__user", "parent")
COMPANY_OUT_COLUMNS = (
    *("version", "created_at", "updated_at", "name", "legal_name", "domain", "website", "industry"),
    *("employees", "annual_revenue", "company_type", "phones", "addresses", "description", "custom"),
    *("sort_key", "workspace_id", "owner__user__full_name", "owner__user__email", "parent__name"),
    "parent__deleted_at",
)

# Field rule → the output fields it hides besides its own name.
CONTACT_RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "emails": ("email",),
    "phones": ("phone",),
    "email_consent": ("email_consent_at", "email_consent_source"),
    "sms_consent": ("sms_consent_at", "sms_consent_source"),
}
COMPANY_RULE_FIELDS: dict[str, tuple[str, ...]] = {}
RULE_FIELDS = {"contact": CONTACT_RULE_FIELDS, "company": COMPANY_RULE_FIELDS}


# ================================================================== redaction


def hidden_output(member: Membership, entity: str, data: dict[str, Any]) -> set[str]:
    """The keys of `data` (and `custom.<key>` paths) that `member`'s role hides, through policy.redact."""
    aliases = RULE_FIELDS.get(entity, {})
    custom = data.get("custom") or {}
    flat = {name: True for name in data} | {rule: True for rule in aliases}
    flat |= {f"custom.{key}": True for key in custom}
    hidden = set(flat) - set(redact(member, entity, flat))
    for rule in hidden & set(aliases):
        hidden.update(aliases[rule])
    return hidden


def redacted(member: Membership, entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with hidden fields set to null and hidden custom fields left out of `custom`."""
    hidden = hidden_output(member, entity, data)
    if not hidden:
        return data
    result = {name: None if name in hidden else value for name, value in data.items()}
    result["custom"] = {k: v for k, v in (data.get("custom") or {}).items() if f"custom.{k}" not in hidden}
    return result


def redacted_changes(member: Membership, entity: str, changes: dict[str, Any]) -> dict[str, Any]:
    """An audit entry's changes without hidden fields (also inside a whole `custom` value)."""
    hidden = hidden_output(member, entity, {**changes, "custom": {}})
    hidden_custom = {name.removeprefix("custom.") for name in hidden_fields(member, entity)}
    result = {}
    for name, value in changes.items():
        if name in hidden:
            continue
        if name == "custom" and hidden_custom and isinstance(value, list):
            value = [
                {k: v for k, v in side.items() if k not in hidden_custom} if isinstance(side, dict) else side
                for side in value
            ]
        result[name] = value
    return result


def member_ref(viewer: Membership, member: Membership | None) -> dict[str, Any] | None:
    """A member as {id, name}: the full name, else the e-mail unless the viewer's role hides e-mails."""
    if member is None:
        return None
    name = member.user.full_name
    if not name and "email" not in hidden_fields(viewer, "member"):
        name = member.user.email
    return {"id": member.pk, "name": name}


def _tag_briefs(tags: Iterable[Tag | selectors.TagBrief]) -> list[dict[str, Any]]:
    return [{"id": t.pk, "name": t.name, "color": t.color} for t in tags]


# ================================================================== output


def contacts_out(member: Membership, contacts: list[Contact]) -> list[dict[str, Any]]:
    """Contacts as the API shows them to `member`: related rows loaded once per page, hidden fields null."""
    ids = [c.pk for c in contacts]
    emails = selectors.points_by_contact(ContactEmail, "email", ids)
    phones = selectors.points_by_contact(ContactPhone, "number", ids)
    tags = selectors.contact_tags(ids)
    shown = access.shown_company_ids(member, (c.company for c in contacts if c.company_id))
    company_name_hidden = "name" in hidden_fields(member, "company")
    result = []
    for contact in contacts:
        company = contact.company if contact.company_id in shown else None
        data: dict[str, Any] = {
            "id": contact.pk,
            "version": contact.version,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "display_name": contact.display_name,
            "email": contact.email,
            "phone": contact.phone,
            "emails": [
                {"email": v, "label": label, "is_primary": p} for v, label, p in emails.get(contact.pk, [])
            ],
            "phones": [
                {"number": v, "label": label, "is_primary": p} for v, label, p in phones.get(contact.pk, [])
            ],
            "job_title": contact.job_title,
            "company": {"id": company.pk, "name": "" if company_name_hidden else company.name}
            if company is not None
            else None,
            "owner": member_ref(member, contact.owner),
            "birthday": contact.birthday,
            "anniversary": contact.anniversary,
            "addresses": contact.addresses,
            "website": contact.website,
            "social": contact.social,
            "preferred_language": contact.preferred_language,
            "preferred_channel": contact.preferred_channel,
            "lifecycle_stage": {
                "id": contact.lifecycle_stage.pk,
                "key": contact.lifecycle_stage.key,
                "label": contact.lifecycle_stage.label,
            }
            if contact.lifecycle_stage is not None
            else None,
            "source": contact.source,
            "email_consent": contact.email_consent,
            "email_consent_at": contact.email_consent_at,
            "email_consent_source": contact.email_consent_source,
            "sms_consent": contact.sms_consent,
            "sms_consent_at": contact.sms_consent_at,
            "sms_consent_source": contact.sms_consent_source,
            "tags": _tag_briefs(tags.get(contact.pk, [])),
            "custom": contact.custom or {},
            "created_at": contact.created_at,
            "updated_at": contact.updated_at,
        }
        out = redacted(member, "contact", data)
        for name in ("id", "version", "created_at", "updated_at"):
            out[name] = data[name]
        if out["first_name"] is None or out["last_name"] is None:
            # The display name is made of the names: show only the parts the role lets through.
            out["display_name"] = services.display_name_of(
                out["first_name"] or "", out["last_name"] or "", contact.preferred_language
            )
        result.append(out)
    return result


def contact_out(member: Membership, contact: Contact) -> dict[str, Any]:
    return contacts_out(member, [contact])[0]


def companies_out(member: Membership, companies: list[Company]) -> list[dict[str, Any]]:
    tags = selectors.company_tags([c.pk for c in companies])
    shown = access.shown_company_ids(member, (c.parent for c in companies if c.parent_id))
    result = []
    for company in companies:
        parent = company.parent if company.parent_id in shown else None
        data: dict[str, Any] = {
            "id": company.pk,
            "version": company.version,
            "name": company.name,
            "legal_name": company.legal_name,
            "domain": company.domain,
            "website": company.website,
            "industry": company.industry,
            "employees": company.employees,
            "annual_revenue": company.annual_revenue,
            "company_type": company.company_type,
            "parent": {"id": parent.pk, "name": parent.name} if parent is not None else None,
            "owner": member_ref(member, company.owner),
            "phones": company.phones,
            "addresses": company.addresses,
            "description": company.description,
            "tags": _tag_briefs(tags.get(company.pk, [])),
            "custom": company.custom or {},
            "created_at": company.created_at,
            "updated_at": company.updated_at,
        }
        out = redacted(member, "company", data)
        for name in ("id", "version", "created_at", "updated_at"):
            out[name] = data[name]
        if parent is not None and out["parent"] is not None and "name" in hidden_fields(member, "company"):
            out["parent"] = {"id": parent.pk, "name": ""}
        result.append(out)
    return result


def company_out(member: Membership, company: Company) -> dict[str, Any]:
    return companies_out(member, [company])[0]


def reload_contacts(ids: list[int]) -> list[Contact]:
    """Records just written, with what the output shows (the caller wrote them, so it may see the result)."""
    rows = Contact.objects.select_related(*CONTACT_RELATED)
    by_id = {c.pk: c for c in rows.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def reload_companies(ids: list[int]) -> list[Company]:
    by_id = {c.pk: c for c in Company.objects.select_related(*COMPANY_RELATED).filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def note_out(viewer: Membership, note: Note) -> dict[str, Any]:
    return {
        "id": note.pk,
        "version": note.version,
        "body": note.body,
        "author": member_ref(viewer, note.author),
        "contact_id": note.contact_id,
        "company_id": note.company_id,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
    }


def _audit_out(member: Membership, entry: AuditEntry, label: str | None) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "channel": entry.channel,
        "action": entry.action,
        "entity": entry.entity,
        "record_id": entry.record_id,
        "record_label": entry.record_label if label is None else label,
        "changes": redacted_changes(member, entry.entity, entry.changes),
        "created_at": entry.created_at,
    }


def timeline_out(
    member: Membership, entity: str, record_id: int, limit: int | None, label: str | None
) -> list[dict[str, Any]]:
    size = min(clamp_limit(limit), MAX_LIMIT)
    items = selectors.timeline(member, entity=entity, record_id=record_id, limit=size)
    result = []
    for item in items:
        if item.kind == "note":
            result.append({"kind": "note", "at": item.at, "note": note_out(member, item.record)})
        else:
            result.append({"kind": "audit", "at": item.at, "audit": _audit_out(member, item.record, label)})
    return result
