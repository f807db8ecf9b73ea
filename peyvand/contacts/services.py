"""Every write to contacts, companies, notes and the lifecycle list (ARCHITECTURE §5).

Contacts and companies keep derived columns up to date on every write: the display name, the normalized
name (duplicate detection), the stored sort key (name order of the workspace's language), the search text
(names, e-mails, phone forms, company, searchable custom fields, normalized and without spaces), the
birthday's month-day and the primary e-mail and phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import check_writable
from peyvand.contacts.choices import DEFAULT_LIFECYCLE, SOCIAL_NETWORKS, Consent
from peyvand.contacts.models import (
    Company,
    CompanyTag,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    LifecycleStage,
    Note,
)
from peyvand.core import customfields
from peyvand.core.audit import audit_change, audit_create, snapshot
from peyvand.core.contactpoints import normalize_domain, normalize_email, normalize_phone, phone_search_forms
from peyvand.core.context import current_channel
from peyvand.core.errors import PermissionDeniedError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.models import Tag
from peyvand.core.tags import tags_find_or_create
from peyvand.core.text import normalize, normalize_compact, sort_key_text
from peyvand.core.versioning import check_version, save_versioned
from peyvand.core.writes import full_clean

MAX_POINTS = 20  # e-mails or phones per record
MAX_ADDRESSES = 10
ADDRESS_KEYS = ("label", "street", "city", "region", "postal_code", "country")
FAMILY_NAME_FIRST = frozenset({"zh", "ja", "ko", "hu", "vi"})
SEPARATOR = "|"

CONTACT_FIELDS = (
    "external_id",
    "first_name",
    "last_name",
    "job_title",
    "company",
    "owner",
    "birthday",
    "anniversary",
    "addresses",
    "website",
    "social",
    "preferred_language",
    "preferred_channel",
    "lifecycle_stage",
    "source",
    "email_consent",
    "email_consent_at",
    "email_consent_source",
    "sms_consent",
    "sms_consent_at",
    "sms_consent_source",
)
COMPANY_FIELDS = (
    "external_id",
    "name",
    "legal_name",
    "domain",
    "website",
    "industry",
    "employees",
    "annual_revenue",
    "company_type",
    "parent",
    "owner",
    "phones",
    "addresses",
    "description",
)
# Rule names (field rules) of inputs that are not plain model fields.
_RULE_OF = {
    "email_consent_at": "email_consent",
    "email_consent_source": "email_consent",
    "sms_consent_at": "sms_consent",
    "sms_consent_source": "sms_consent",
}


# ----------------------------------------------------------------------------- cleaning

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    """A name-like value: control characters dropped, runs of spaces and line breaks made one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def region_of(member: Membership) -> str:
    return member.workspace.country or ""


def display_name_of(first: str, last: str, language: str = "") -> str:
    """`first last`, or `last first` for languages that write the family name first."""
    parts = [last, first] if language[:2] in FAMILY_NAME_FIRST else [first, last]
    return " ".join(p for p in parts if p)


def clean_emails(items: Sequence[Any]) -> list[dict[str, Any]]:
    """[{email, label, is_primary}] with valid, distinct addresses and exactly one primary."""
    if len(items) > MAX_POINTS:
        raise ValidationFailedError(
            fields={"emails": [_("At most %(n)s e-mail addresses.") % {"n": MAX_POINTS}]}
        )
    result: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for item in items:
        raw = item.get("email", "") if isinstance(item, dict) else item
        try:
            email = normalize_email(str(raw))
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if email.casefold() in seen:
            continue
        seen.add(email.casefold())
        label = str(item.get("label") or "")[:20] if isinstance(item, dict) else ""
        primary = bool(item.get("is_primary")) if isinstance(item, dict) else False
        result.append({"email": email, "label": label, "is_primary": primary})
    if errors:
        raise ValidationFailedError(fields={"emails": errors})
    _one_primary(result)
    return result


def clean_phones(items: Sequence[Any], region: str, field: str = "phones") -> list[dict[str, Any]]:
    """[{number (E.164), label, is_primary}], whatever digits were typed; exactly one primary."""
    if len(items) > MAX_POINTS:
        raise ValidationFailedError(fields={field: [_("At most %(n)s phone numbers.") % {"n": MAX_POINTS}]})
    result: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: set[str] = set()
    for item in items:
        raw = item.get("number", "") if isinstance(item, dict) else item
        try:
            number = normalize_phone(str(raw), region)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if number in seen:
            continue
        seen.add(number)
        label = str(item.get("label") or "")[:20] if isinstance(item, dict) else ""
        primary = bool(item.get("is_primary")) if isinstance(item, dict) else False
        result.append({"number": number, "label": label, "is_primary": primary})
    if errors:
        raise ValidationFailedError(fields={field: errors})
    _one_primary(result)
    return result


def _one_primary(items: list[dict[str, Any]]) -> None:
    primaries = [i for i in items if i["is_primary"]]
    for extra in primaries[1:]:
        extra["is_primary"] = False
    if items and not primaries:
        items[0]["is_primary"] = True


def clean_addresses(items: Any) -> list[dict[str, str]]:
    if not isinstance(items, list) or len(items) > MAX_ADDRESSES:
        raise ValidationFailedError(
            fields={"addresses": [_("At most %(n)s addresses.") % {"n": MAX_ADDRESSES}]}
        )
    result = []
    for item in items:
        if not isinstance(item, dict) or set(item) - set(ADDRESS_KEYS):
            raise ValidationFailedError(
                fields={"addresses": [_("An address has: %(keys)s.") % {"keys": ", ".join(ADDRESS_KEYS)}]}
            )
        address = {k: " ".join(str(item.get(k) or "").split())[:200] for k in ADDRESS_KEYS}
        if any(v for k, v in address.items() if k != "label"):
            result.append(address)
    return result


def clean_social(data: Any) -> dict[str, str]:
    if not isinstance(data, dict) or set(data) - set(SOCIAL_NETWORKS):
        raise ValidationFailedError(
            fields={"social": [_("Known profiles: %(names)s.") % {"names": ", ".join(SOCIAL_NETWORKS)}]}
        )
    result = {}
    for key, value in data.items():
        text = str(value or "").strip()
        if len(text) > 200 or any(c.isspace() for c in text):
            raise ValidationFailedError(
                fields={"social": [_("“%(value)s” is not a handle or link.") % {"value": text}]}
            )
        if text:
            result[key] = text
    return result


def clean_website(value: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = f"https://{text}"
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as error:
        raise ValidationFailedError(fields={"website": [_("Enter a web address.")]}) from error
    return text


# ----------------------------------------------------------------------------- derived columns


# Search text segments, one per searchable value: `<tag>:<normalized text without spaces>`, joined by `|`.
# The tag says which field a segment comes from, so a search can skip fields the searcher's role hides.
CONTACT_SEARCH_TAGS: dict[str, tuple[str, ...]] = {
    "n": ("first_name", "last_name"),  # the whole name, skipped when either part is hidden …
    "f": ("first_name",),  # … so the parts are kept on their own as well
    "l": ("last_name",),
    "e": ("emails",),
    "p": ("phones",),
    "c": ("company",),
}
COMPANY_SEARCH_TAGS: dict[str, tuple[str, ...]] = {
    "n": ("name",),
    "l": ("legal_name",),
    "d": ("domain",),
    "p": ("phones",),
}


def _search_text(segments: Iterable[tuple[str, str]]) -> str:
    parts = []
    for tag, text in segments:
        compact = normalize_compact(text) if text else ""
        if compact:
            parts.append(f"{tag}:{compact}")
    return SEPARATOR.join(parts)


def contact_derive(
    contact: Contact,
    *,
    emails: list[str],
    phones: list[str],
    company_name: str,
    language: str,
    defs: list[Any] | None = None,
) -> None:
    """Recompute the derived columns of `contact` (no save, no query when `defs` — the workspace's contact
    custom fields — are given)."""
    contact.display_name = display_name_of(contact.first_name, contact.last_name, contact.preferred_language)
    label = contact.display_name or (emails[0] if emails else "") or (phones[0] if phones else "")
    contact.name_normalized = normalize(contact.display_name)[:201]
    contact.sort_key = sort_key_text(label, language)
    contact.birthday_md = contact.birthday.month * 100 + contact.birthday.day if contact.birthday else None
    contact.email = emails[0] if emails else ""
    contact.phone = phones[0] if phones else ""
    if defs is None:
        defs = customfields.definitions(contact.workspace_id, "contact")
    # The display name holds both names; without spaces in the search text, either one is a substring.
    segments = [
        ("n", contact.display_name),
        ("f", contact.first_name),
        ("l", contact.last_name),
        *(("e", e) for e in emails),
        ("c", company_name),
    ]
    for number in phones:
        segments.extend(("p", form) for form in phone_search_forms(number))
    segments.extend((f"k{key}", text) for key, text in customfields.search_parts(defs, contact.custom))
    contact.search_text = _search_text(segments)


def company_derive(company: Company, *, language: str, defs: list[Any] | None = None) -> None:
    company.name_normalized = normalize(company.name)[:200]
    company.sort_key = sort_key_text(company.name, language)
    if defs is None:
        defs = customfields.definitions(company.workspace_id, "company")
    segments = [("n", company.name), ("l", company.legal_name), ("d", company.domain)]
    for phone in company.phones:
        segments.extend(("p", form) for form in phone_search_forms(phone["number"]))
    segments.extend((f"k{key}", text) for key, text in customfields.search_parts(defs, company.custom))
    company.search_text = _search_text(segments)


def _ordered_points(contact: Contact) -> tuple[list[str], list[str]]:
    emails = [e.email for e in sorted(contact.emails.all(), key=lambda e: (not e.is_primary, e.position))]
    phones = [p.number for p in sorted(contact.phones.all(), key=lambda p: (not p.is_primary, p.position))]
    return emails, phones


def _primary_first(items: list[dict[str, Any]], key: str) -> list[str]:
    return [i[key] for i in sorted(items, key=lambda i: not i["is_primary"])]


# ----------------------------------------------------------------------------- contacts


def _check_refs(actor: Membership, values: dict[str, Any]) -> None:
    """Referenced rows must belong to the actor's workspace; an owner must be an active member."""
    for name in ("company", "lifecycle_stage", "parent"):
        ref = values.get(name)
        if ref is not None and ref.workspace_id != actor.workspace_id:
            raise ValidationFailedError(fields={name: [_("Unknown record.")]})
    owner = values.get("owner")
    if owner is not None and (owner.workspace_id != actor.workspace_id or not owner.is_active):
        raise ValidationFailedError(fields={"owner": [_("Choose an active member of this workspace.")]})


def _check_assign(actor: Membership, entity: str, owner: Membership | None, *, current: int | None) -> None:
    """Handing a record to someone else (or taking it from them) needs the assign permission."""
    new = owner.pk if owner else None
    if new == current or (new == actor.pk and current is None):
        return
    if not actor.may("assign", entity=entity):
        raise PermissionDeniedError(_("You may not assign records to other members."))


def _consent(record: Any, values: dict[str, Any], kind: str) -> None:
    """Granting consent records when and how, unless given; withdrawing keeps the record of when."""
    if f"{kind}_consent" not in values:
        return
    state = values[f"{kind}_consent"] = values[f"{kind}_consent"] or ""
    if state not in Consent.values:
        raise ValidationFailedError(fields={f"{kind}_consent": [_("Unknown consent state.")]})
    if record is not None and state == getattr(record, f"{kind}_consent"):
        return  # unchanged: keep when and how it was given unless those are edited explicitly
    if state and not values.get(f"{kind}_consent_at"):
        values[f"{kind}_consent_at"] = timezone.now()
    if state and not values.get(f"{kind}_consent_source"):
        values[f"{kind}_consent_source"] = str(
            _("Recorded through %(channel)s") % {"channel": current_channel()}
        )
    if not state:
        values[f"{kind}_consent_at"] = None
        values[f"{kind}_consent_source"] = ""


def _clean_contact_values(
    actor: Membership, values: dict[str, Any], record: Contact | None = None
) -> dict[str, Any]:
    cleaned = dict(values)
    for name in (
        "first_name",
        "last_name",
        "job_title",
        "source",
        "email_consent_source",
        "sms_consent_source",
    ):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = one_line(cleaned[name])
    if "addresses" in cleaned:
        cleaned["addresses"] = clean_addresses(cleaned["addresses"] or [])
    if "social" in cleaned:
        cleaned["social"] = clean_social(cleaned["social"] or {})
    if "website" in cleaned:
        cleaned["website"] = clean_website(cleaned["website"] or "")
    _consent(record, cleaned, "email")
    _consent(record, cleaned, "sms")
    _check_refs(actor, cleaned)
    return cleaned


def _save_points(
    contact: Contact, emails: list[dict[str, Any]] | None, phones: list[dict[str, Any]] | None
) -> None:
    if emails is not None:
        contact.emails.all().delete()
        ContactEmail.objects.bulk_create(
            ContactEmail(
                workspace_id=contact.workspace_id,
                contact=contact,
                email=e["email"],
                email_normalized=e["email"].casefold(),
                label=e["label"],
                is_primary=e["is_primary"],
                position=i,
            )
            for i, e in enumerate(emails)
        )
    if phones is not None:
        contact.phones.all().delete()
        ContactPhone.objects.bulk_create(
            ContactPhone(
                workspace_id=contact.workspace_id,
                contact=contact,
                number=p["number"],
                label=p["label"],
                is_primary=p["is_primary"],
                position=i,
            )
            for i, p in enumerate(phones)
        )


def _set_tags(
    actor: Membership, record: Any, through: Any, field: str, names: Iterable[str]
) -> list[list[str]] | None:
    """Make the record's tags exactly `names` (creating missing tags); returns [old, new] names if changed."""
    wanted = tags_find_or_create(actor=actor, names=names)
    current = {link.tag_id: link for link in through.objects.filter(**{field: record}).select_related("tag")}
    old_names = sorted(link.tag.name for link in current.values())
    wanted_ids = {t.pk for t in wanted}
    if wanted_ids == set(current):
        return None
    through.objects.filter(**{field: record}).exclude(tag_id__in=wanted_ids).delete()
    through.objects.bulk_create(
        [through(**{field: record}, tag=t, sort_key=record.sort_key) for t in wanted if t.pk not in current]
    )
    return [old_names, sorted(t.name for t in wanted)]


def sync_tag_sort_keys(record: Contact | Company) -> None:
    """Give the record's tag links its current sort key (ContactTag.sort_key): after every save that may
    change the key."""
    through: Any = ContactTag if isinstance(record, Contact) else CompanyTag
    field = "contact" if isinstance(record, Contact) else "company"
    links = through.objects.filter(**{field: record}).exclude(sort_key=record.sort_key)
    links.update(sort_key=record.sort_key)


def _sync_tag_sort_keys_of(model: type[Contact] | type[Company], ids: list[int]) -> None:
    """The same for many records at once (one UPDATE)."""
    through: Any = ContactTag if model is Contact else CompanyTag
    field = "contact" if model is Contact else "company"
    keys = model._base_manager.filter(pk=OuterRef(f"{field}_id")).values("sort_key")[:1]
    through.objects.filter(**{f"{field}_id__in": ids}).update(sort_key=Subquery(keys))


@transaction.atomic
def contact_create(*, actor: Membership, data: dict[str, Any]) -> Contact:
    """Create a contact from `data` (model fields plus `emails`, `phones`, `tags` (names), `custom`).
    Phones become E.164 with the workspace's country; a name, an e-mail or a phone is required. The owner
    defaults to the actor (another owner needs the assign permission). Audited; emits contact.created."""
    values = dict(data)
    emails = clean_emails(values.pop("emails", None) or [])
    phones = clean_phones(values.pop("phones", None) or [], region_of(actor))
    tag_names = values.pop("tags", None) or []
    custom_values = values.pop("custom", None) or {}
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationFailedError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    values.setdefault("owner", actor)
    values = _clean_contact_values(actor, values)
    _check_assign(actor, "contact", values.get("owner"), current=None)
    check_writable(
        actor,
        "contact",
        _rule_names(actor, values, emails=emails, phones=phones, tags=tag_names, custom=custom_values),
    )
    contact = Contact(workspace_id=actor.workspace_id, **values)
    contact.custom = customfields.clean_custom_values(
        customfields.definitions(actor.workspace_id, "contact"), custom_values, region=region_of(actor)
    )
    if not (contact.first_name or contact.last_name or emails or phones):
        raise ValidationFailedError(
            fields={"first_name": [_("Enter a name, an e-mail address or a phone number.")]}
        )
    contact_derive(
        contact,
        emails=_primary_first(emails, "email"),
        phones=_primary_first(phones, "number"),
        company_name=contact.company.name if contact.company else "",
        language=actor.workspace.language,
    )
    full_clean(contact, exclude=["tags"])
    contact.save()
    _save_points(contact, emails, phones)
    if tag_names:
        _set_tags(actor, contact, ContactTag, "contact", tag_names)
    entry = audit_create(actor=actor, record=contact)
    extras = {
        "emails": [None, [e["email"] for e in emails]],
        "phones": [None, [p["number"] for p in phones]],
        "tags": [None, sorted(tag_names)],
    }
    entry.changes.update({k: v for k, v in extras.items() if v[1]})
    entry.save(update_fields=["changes"])
    emit(contact.workspace_id, "contact.created", contact)
    return contact


def _rule_names(
    actor: Membership, values: dict[str, Any], *, emails: Any, phones: Any, tags: Any, custom: Any
) -> list[str]:
    """The field-rule names a write touches (empty values and the actor owning their own record don't)."""
    names = {_RULE_OF.get(n, n) for n, v in values.items() if v not in (None, "", [], {})}
    if values.get("owner") == actor:
        names.discard("owner")
    names.update(name for name, given in (("emails", emails), ("phones", phones), ("tags", tags)) if given)
    names.update(f"custom.{key}" for key in (custom or {}))
    return sorted(names)


def _custom_update(
    actor: Membership, record: Any, values: dict[str, Any] | None, extra: dict[str, Any]
) -> dict:
    """The record's custom values with `values` applied (validated; null clears a key); each changed key is
    added to `extra` as `custom.<key>: [old, new]` for the audit and the field-rule check."""
    if values is None:
        return dict(record.custom)
    merged = customfields.clean_custom_values(
        customfields.definitions(record.workspace_id, record.ENTITY),
        values,
        current=record.custom,
        region=region_of(actor),
        partial=True,
    )
    for key in sorted(set(merged) | set(record.custom)):
        if merged.get(key) != record.custom.get(key):
            extra[f"custom.{key}"] = [record.custom.get(key), merged.get(key)]
    return merged


@transaction.atomic
def contact_update(
    *,
    actor: Membership,
    contact: Contact,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Contact:
    """Change a contact. `emails`/`phones`/`tags` replace the whole list; `custom` changes only the keys
    given (null clears one). Stale versions refused; read-only fields refused; audited old → new;
    emits contact.updated with the changed field names. Nothing changed: nothing saved or emitted."""
    check_version(contact, expected_version, precondition=precondition)
    values = dict(changes)
    raw_emails, raw_phones = values.pop("emails", None), values.pop("phones", None)
    emails = clean_emails(raw_emails) if raw_emails is not None else None
    phones = clean_phones(raw_phones, region_of(actor)) if raw_phones is not None else None
    tag_names = values.pop("tags", None)
    custom_values = values.pop("custom", None)
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationFailedError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    values = _clean_contact_values(actor, values, contact)
    before = snapshot(contact)
    changed = [name for name, value in values.items() if getattr(contact, name) != value]
    if "owner" in changed:
        _check_assign(actor, "contact", values["owner"], current=contact.owner_id)
    old_emails, old_phones = _ordered_points(contact)
    extra: dict[str, Any] = {}
    if emails is not None and _points_differ(contact.emails.all(), emails, "email"):
        extra["emails"] = [old_emails, _primary_first(emails, "email")]
    else:
        emails = None
    if phones is not None and _points_differ(contact.phones.all(), phones, "number"):
        extra["phones"] = [old_phones, _primary_first(phones, "number")]
    else:
        phones = None
    new_custom = _custom_update(actor, contact, custom_values, extra)
    touched = {_RULE_OF.get(n, n) for n in changed} | set(extra)
    if tag_names is not None:
        touched.add("tags")
    check_writable(actor, "contact", sorted(touched))
    for name in changed:
        setattr(contact, name, values[name])
    contact.custom = new_custom
    if tag_names is not None:
        tag_change = _set_tags(actor, contact, ContactTag, "contact", tag_names)
        if tag_change:
            extra["tags"] = tag_change
    if not changed and not extra:
        return contact
    _save_points(contact, emails, phones)
    contact_derive(
        contact,
        emails=extra["emails"][1] if "emails" in extra else old_emails,
        phones=extra["phones"][1] if "phones" in extra else old_phones,
        company_name=contact.company.name if contact.company_id and contact.company else "",
        language=actor.workspace.language,
    )
    full_clean(contact, exclude=["tags"])
    save_versioned(contact, update_fields=[*changed, "custom", *DERIVED_CONTACT_FIELDS])
    sync_tag_sort_keys(contact)
    audit_change(actor=actor, record=contact, before=before, extra=extra)
    emit(contact.workspace_id, "contact.updated", contact, {"fields": sorted({*changed, *extra})})
    return contact


DERIVED_CONTACT_FIELDS = (
    "display_name",
    "name_normalized",
    "sort_key",
    "search_text",
    "birthday_md",
    "email",
    "phone",
)


def _points_differ(rows: Iterable[Any], items: list[dict[str, Any]], key: str) -> bool:
    current = [(getattr(r, key), r.label, r.is_primary) for r in rows]
    return current != [(i[key], i["label"], i["is_primary"]) for i in items]


def reindex_contacts(queryset: Any, *, language: str, batch: int = 1000) -> int:
    """Recompute the derived columns of many contacts (after a company rename, a workspace language change
    or a custom field becoming searchable). No audit, no version bump: nothing a person typed changes."""
    count = 0
    last = 0
    while True:
        rows = list(
            queryset.filter(pk__gt=last)
            .select_related("company")
            .prefetch_related("emails", "phones")
            .order_by("pk")[:batch]
        )
        if not rows:
            return count
        defs = customfields.definitions(rows[0].workspace_id, "contact")
        for contact in rows:
            emails, phones = _ordered_points(contact)
            contact_derive(
                contact,
                emails=emails,
                phones=phones,
                company_name=contact.company.name if contact.company else "",
                language=language,
                defs=defs,
            )
        Contact.all_objects.bulk_update(rows, DERIVED_CONTACT_FIELDS)
        _sync_tag_sort_keys_of(Contact, [c.pk for c in rows])
        count += len(rows)
        last = rows[-1].pk


def reindex_companies(queryset: Any, *, language: str, batch: int = 1000) -> int:
    count = 0
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:batch])
        if not rows:
            return count
        defs = customfields.definitions(rows[0].workspace_id, "company")
        for company in rows:
            company_derive(company, language=language, defs=defs)
        Company.all_objects.bulk_update(rows, ["name_normalized", "sort_key", "search_text"])
        _sync_tag_sort_keys_of(Company, [c.pk for c in rows])
        count += len(rows)
        last = rows[-1].pk


# ----------------------------------------------------------------------------- companies


def _clean_company_values(actor: Membership, values: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(values)
    for name in ("name", "legal_name", "industry"):
        if isinstance(cleaned.get(name), str):
            cleaned[name] = one_line(cleaned[name])
    if "website" in cleaned:
        cleaned["website"] = clean_website(cleaned["website"] or "")
    if "domain" in cleaned:
        cleaned["domain"] = normalize_domain(cleaned["domain"] or "")
    if cleaned.get("website") and not cleaned.get("domain") and "domain" not in values:
        cleaned["domain"] = normalize_domain(cleaned["website"])
    if "phones" in cleaned:
        cleaned["phones"] = clean_phones(cleaned["phones"] or [], region_of(actor))
    if "addresses" in cleaned:
        cleaned["addresses"] = clean_addresses(cleaned["addresses"] or [])
    if "company_type" in cleaned:
        cleaned["company_type"] = cleaned["company_type"] or ""
    _check_refs(actor, cleaned)
    return cleaned


@transaction.atomic
def company_create(*, actor: Membership, data: dict[str, Any]) -> Company:
    """Create a company from `data` (model fields plus `tags` (names) and `custom`). The domain is taken
    from the website when not given. Owner defaults to the actor. Audited; emits company.created."""
    values = dict(data)
    tag_names = values.pop("tags", None) or []
    custom_values = values.pop("custom", None) or {}
    unknown = set(values) - set(COMPANY_FIELDS)
    if unknown:
        raise ValidationFailedError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    values.setdefault("owner", actor)
    values = _clean_company_values(actor, values)
    if not values.get("name"):
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    _check_assign(actor, "company", values.get("owner"), current=None)
    check_writable(
        actor,
        "company",
        _rule_names(actor, values, emails=None, phones=None, tags=tag_names, custom=custom_values),
    )
    company = Company(workspace_id=actor.workspace_id, **values)
    company.custom = customfields.clean_custom_values(
        customfields.definitions(actor.workspace_id, "company"), custom_values, region=region_of(actor)
    )
    company_derive(company, language=actor.workspace.language)
    full_clean(company, exclude=["tags"])
    company.save()
    if tag_names:
        _set_tags(actor, company, CompanyTag, "company", tag_names)
    entry = audit_create(actor=actor, record=company)
    if tag_names:
        entry.changes["tags"] = [None, sorted(tag_names)]
        entry.save(update_fields=["changes"])
    emit(company.workspace_id, "company.created", company)
    return company


@transaction.atomic
def company_update(
    *,
    actor: Membership,
    company: Company,
    changes: dict[str, Any],
    expected_version: int | None = None,
    precondition: bool = False,
) -> Company:
    """Change a company (`tags` replace the list, `custom` changes the keys given). A company cannot be its
    own ancestor. Audited; emits company.updated; a new name is re-indexed into its people's search."""
    check_version(company, expected_version, precondition=precondition)
    values = dict(changes)
    tag_names = values.pop("tags", None)
    custom_values = values.pop("custom", None)
    unknown = set(values) - set(COMPANY_FIELDS)
    if unknown:
        raise ValidationFailedError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    values = _clean_company_values(actor, values)
    if "name" in values and not values["name"]:
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    if values.get("parent") is not None:
        _check_no_cycle(company, values["parent"])
    before = snapshot(company)
    changed = [name for name, value in values.items() if getattr(company, name) != value]
    if "owner" in changed:
        _check_assign(actor, "company", values["owner"], current=company.owner_id)
    extra: dict[str, Any] = {}
    new_custom = _custom_update(actor, company, custom_values, extra)
    touched = set(changed) | set(extra) | ({"tags"} if tag_names is not None else set())
    check_writable(actor, "company", sorted(touched))
    for name in changed:
        setattr(company, name, values[name])
    company.custom = new_custom
    if tag_names is not None:
        tag_change = _set_tags(actor, company, CompanyTag, "company", tag_names)
        if tag_change:
            extra["tags"] = tag_change
    if not changed and not extra:
        return company
    company_derive(company, language=actor.workspace.language)
    full_clean(company, exclude=["tags"])
    save_versioned(company, update_fields=[*changed, "custom", "name_normalized", "sort_key", "search_text"])
    sync_tag_sort_keys(company)
    audit_change(actor=actor, record=company, before=before, extra=extra)
    emit(company.workspace_id, "company.updated", company, {"fields": sorted({*changed, *extra})})
    return company


def _check_no_cycle(company: Company, parent: Company) -> None:
    seen = {company.pk}
    node: Company | None = parent
    while node is not None:
        if node.pk in seen:
            raise ValidationFailedError(fields={"parent": [_("A company cannot be its own parent.")]})
        seen.add(node.pk)
        node = Company.all_objects.filter(pk=node.parent_id).first() if node.parent_id else None


# ----------------------------------------------------------------------------- tags in bulk


@transaction.atomic
def record_tags_change(
    *, actor: Membership, record: Contact | Company, add: Iterable[str] = (), remove: Iterable[Tag] = ()
) -> bool:
    """Add tags (by name, created if missing) and remove tags from one record, keeping the others.
    Audited as a tags change; emits <entity>.updated. Returns whether anything changed."""
    is_contact = isinstance(record, Contact)
    through: Any = ContactTag if is_contact else CompanyTag
    field = "contact" if is_contact else "company"
    current = list(through.objects.filter(**{field: record}).select_related("tag").order_by("tag__name"))
    names = [link.tag.name for link in current if link.tag_id not in {t.pk for t in remove}]
    names.extend(add)
    check_writable(actor, record.ENTITY, ["tags"])
    change = _set_tags(actor, record, through, field, names)
    if change is None:
        return False
    before = snapshot(record)
    save_versioned(record, update_fields=[])
    audit_change(actor=actor, record=record, before=before, extra={"tags": change})
    emit(record.workspace_id, f"{record.ENTITY}.updated", record, {"fields": ["tags"]})
    return True


# ----------------------------------------------------------------------------- notes


@transaction.atomic
def note_create(
    *, actor: Membership, body: str, contact: Contact | None = None, company: Company | None = None
) -> Note:
    """A note on a contact or a company. Audited; emits note.created (and shows on the record's timeline)."""
    text = (body or "").strip()
    if not text:
        raise ValidationFailedError(fields={"body": [_("Write something.")]})
    note = Note(workspace_id=actor.workspace_id, contact=contact, company=company, author=actor, body=text)
    full_clean(note)
    note.save()
    audit_create(actor=actor, record=note)
    emit(
        note.workspace_id,
        "note.created",
        note,
        {"contact_id": note.contact_id, "company_id": note.company_id},
    )
    return note


@transaction.atomic
def note_update(
    *,
    actor: Membership,
    note: Note,
    body: str,
    expected_version: int | None = None,
    precondition: bool = False,
) -> Note:
    from peyvand.core.writes import record_update

    record_update(
        actor=actor,
        record=note,
        changes={"body": (body or "").strip()},
        allowed=("body",),
        expected_version=expected_version,
        precondition=precondition,
    )
    return note


# ----------------------------------------------------------------------------- lifecycle list


def lifecycle_ensure_defaults(workspace_id: int) -> None:
    """Give a workspace the default lifecycle list if it has none (idempotent)."""
    if LifecycleStage.objects.filter(workspace_id=workspace_id).exists():
        return
    LifecycleStage.objects.bulk_create(
        LifecycleStage(workspace_id=workspace_id, key=key, position=i)
        for i, (key, _label) in enumerate(DEFAULT_LIFECYCLE)
    )


@transaction.atomic
def lifecycle_stage_save(
    *, actor: Membership, stage: LifecycleStage | None, name: str, position: int | None = None
) -> LifecycleStage:
    """Add a stage (key derived from the name) or rename/move one. Audited; emits lifecycle_stage.*."""
    from django.utils.text import slugify

    from peyvand.core.writes import record_create, record_update

    text = " ".join((name or "").split())
    if not text:
        raise ValidationFailedError(fields={"name": [_("Enter a name.")]})
    if stage is None:
        base = slugify(normalize(text), allow_unicode=False) or "stage"
        key, n = base[:36], 1
        while LifecycleStage.objects.filter(workspace_id=actor.workspace_id, key=key).exists():
            n += 1
            key = f"{base[:33]}-{n}"
        last = LifecycleStage.objects.filter(workspace_id=actor.workspace_id).order_by("-position").first()
        stage = LifecycleStage(
            workspace_id=actor.workspace_id,
            key=key,
            name=text,
            position=position if position is not None else (last.position + 1 if last else 0),
        )
        return record_create(actor=actor, record=stage)
    changes: dict[str, Any] = {"name": stage.name_for(text)}
    if position is not None:
        changes["position"] = position
    record_update(actor=actor, record=stage, changes=changes, allowed=("name", "position"))
    return stage


@transaction.atomic
def lifecycle_stage_delete(*, actor: Membership, stage: LifecycleStage) -> None:
    """Remove a stage from the list; contacts at that stage keep no stage (audited per contact count)."""
    from peyvand.core.audit import audit
    from peyvand.core.models import AuditEntry

    in_use = Contact.all_objects.filter(lifecycle_stage=stage).count()
    Contact.all_objects.filter(lifecycle_stage=stage).update(lifecycle_stage=None)
    audit(actor=actor, record=stage, action=AuditEntry.Action.DELETE, changes={"contacts": [in_use, 0]})
    emit(stage.workspace_id, "lifecycle_stage.deleted", stage)
    stage.delete()
