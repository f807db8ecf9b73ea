"""Merging duplicates, and undoing a merge by restoring the merged record from the recycle bin.

A merge keeps one record (the survivor), takes the chosen value of each field from any of the records,
gives the survivor every e-mail, phone and tag the others had, moves their notes (and, through registered
movers, later apps' rows such as deals and activities) to it, and puts the others in the recycle bin. What
changed is written to a Merge row, so restoring a merged record puts everything back that still can be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action, check_writable, read_only_fields
from peyvand.contacts import services
from peyvand.contacts.models import (
    Company,
    CompanyTag,
    Contact,
    ContactEmail,
    ContactPhone,
    ContactTag,
    Merge,
    Note,
)
from peyvand.core import recycle
from peyvand.core.audit import _plain, audit_change, snapshot
from peyvand.core.errors import PermissionDeniedError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.versioning import check_version, save_versioned

MAX_MERGE = 10
CONTACT_FIELDS = (
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
    "sms_consent",
)
COMPANY_FIELDS = (
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
# A consent travels with when and how it was given.
_COMPANIONS = {
    "email_consent": ("email_consent_at", "email_consent_source"),
    "sms_consent": ("sms_consent_at", "sms_consent_source"),
}


@dataclass(frozen=True)
class Mover:
    """Another app's rows that belong to a contact or company (deals, activities …): moved on merge and
    moved back on undo. `move` returns the ids it moved; `undo` gets them back."""

    name: str
    move: Callable[[Any, Any], list[int]]
    undo: Callable[[Any, Any, list[int]], None]


_movers: dict[str, dict[str, Mover]] = {"contact": {}, "company": {}}


def register_mover(entity: str, mover: Mover) -> None:
    _movers[entity][mover.name] = mover


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _pick_values(
    survivor: Any, others: list[Any], fields: Iterable[str], choices: dict[str, int]
) -> dict[str, Any]:
    """Field → the value the survivor should hold: the chosen record's, else the survivor's, else the first
    non-empty one among the others."""
    by_id = {record.pk: record for record in [survivor, *others]}
    unknown = [name for name in choices if name not in fields and not name.startswith("custom.")]
    if unknown:
        raise ValidationFailedError(fields={name: [_("Unknown field.")] for name in unknown})
    wrong = [name for name, record_id in choices.items() if record_id not in by_id]
    if wrong:
        raise ValidationFailedError(
            fields={name: [_("Choose one of the records being merged.")] for name in wrong}
        )
    values: dict[str, Any] = {}
    for name in fields:
        if name in choices:
            source = by_id[choices[name]]
        elif _empty(getattr(survivor, name)):
            source = next((o for o in others if not _empty(getattr(o, name))), survivor)
        else:
            source = survivor
        values[name] = getattr(source, name)
        for companion in _COMPANIONS.get(name, ()):
            values[companion] = getattr(source, companion)
    return values


def _pick_custom(survivor: Any, others: list[Any], choices: dict[str, int]) -> dict[str, Any]:
    by_id = {record.pk: record for record in [survivor, *others]}
    keys = set(survivor.custom)
    for other in others:
        keys.update(other.custom)
    result = dict(survivor.custom)
    for key in sorted(keys):
        chosen = choices.get(f"custom.{key}")
        if chosen is not None:
            value = by_id[chosen].custom.get(key)
        elif result.get(key) is None:
            value = next((o.custom[key] for o in others if o.custom.get(key) is not None), None)
        else:
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def _check_records(survivor: Any, others: list[Any]) -> list[Any]:
    unique: list[Any] = []
    for other in others:
        if other.pk != survivor.pk and other.pk not in {u.pk for u in unique}:
            unique.append(other)
    if not unique:
        raise ValidationFailedError(fields={"merge_ids": [_("Choose at least one other record to merge.")]})
    if len(unique) > MAX_MERGE:
        raise ValidationFailedError(
            fields={"merge_ids": [_("Merge at most %(n)s records at once.") % {"n": MAX_MERGE}]}
        )
    if any(o.workspace_id != survivor.workspace_id or o.deleted_at is not None for o in unique):
        raise ValidationFailedError(fields={"merge_ids": [_("Unknown record.")]})
    return unique


def _apply_fields(
    actor: Membership, record: Any, values: dict[str, Any], custom: dict[str, Any]
) -> tuple[dict, dict]:
    """Set the picked values; returns (before, after) of what changed, as plain values."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        field = record._meta.get_field(name)
        attname = field.attname
        new = value.pk if hasattr(value, "pk") else value
        if getattr(record, attname) != new:
            before[name] = _plain(getattr(record, attname))
            setattr(record, attname, new)
            after[name] = _plain(new)
    if custom != record.custom:
        before["custom"] = record.custom
        after["custom"] = custom
        record.custom = custom
    rule_names = {n for n in after if n not in sum(_COMPANIONS.values(), ())}
    rule_names.discard("custom")
    rule_names.update(f"custom.{k}" for k in set(before.get("custom", {})) ^ set(after.get("custom", {})))
    rule_names.update(
        f"custom.{k}"
        for k in set(before.get("custom", {})) & set(after.get("custom", {}))
        if before["custom"][k] != after["custom"][k]
    )
    check_writable(actor, record.ENTITY, sorted(rule_names))
    if "owner" in after and not actor.may("assign", entity=record.ENTITY):
        raise PermissionDeniedError(_("You may not assign records to other members."))
    return before, after


def locked_fields(actor: Membership, survivor: Any) -> set[str]:
    """Fields of `survivor` the actor may not set by merging: their role's read-only and hidden fields
    (custom ones as `custom.<key>`), and the owner without the assign permission on the survivor."""
    fields = CONTACT_FIELDS if survivor.ENTITY == "contact" else COMPANY_FIELDS
    locked = {
        name
        for name in read_only_fields(actor, survivor.ENTITY)
        if name in fields or name.startswith("custom.")
    }
    if not actor.may(Action.ASSIGN, survivor):
        locked.add("owner")
    return locked


def keep_locked(
    actor: Membership, survivor: Any, others: list[Any], choices: dict[str, int] | None
) -> dict[str, int]:
    """`choices` with the survivor chosen for every locked field not chosen explicitly, so a member with
    field rules can merge without a value they could not choose (the merge screen and the API use it).
    Choosing another record's owner without the assign permission is refused (403); an explicit choice of a
    read-only field that changes it is refused by the merge itself."""
    result = dict(choices or {})
    locked = locked_fields(actor, survivor)
    chosen_owner = result.get("owner")
    if "owner" in locked and chosen_owner is not None and chosen_owner != survivor.pk:
        source = next((o for o in others if o.pk == chosen_owner), None)
        if source is not None and source.owner_id != survivor.owner_id:
            raise PermissionDeniedError(
                _("You may not change the owner."),
                fields={"owner": [_("You may not assign this record to someone else.")]},
            )
    for name in locked:
        result.setdefault(name, survivor.pk)
    return result


@transaction.atomic
def contact_merge(
    *,
    actor: Membership,
    survivor: Contact,
    others: list[Contact],
    choices: dict[str, int] | None = None,
    expected_version: int | None = None,
) -> Contact:
    """Merge `others` into `survivor` (the caller checked: change on the survivor, delete on the others).
    `choices` maps a field (or `custom.<key>`) to the id of the record whose value wins. Audited on every
    record; emits contact.merged; the others go to the recycle bin, and restoring one undoes its merge."""
    check_version(survivor, expected_version)
    others = _check_records(survivor, others)
    choices = dict(choices or {})
    values = _pick_values(survivor, others, CONTACT_FIELDS, choices)
    custom = _pick_custom(survivor, others, choices)
    state = snapshot(survivor)
    before, after = _apply_fields(actor, survivor, values, custom)
    emails = {e.email_normalized for e in survivor.emails.all()}
    phones = {p.number for p in survivor.phones.all()}
    tag_ids = set(ContactTag.objects.filter(contact=survivor).values_list("tag_id", flat=True))
    position = len(emails) + len(phones)
    merges = []
    now = timezone.now()
    for other in others:
        added: dict[str, list[int]] = {"emails": [], "phones": [], "tags": []}
        for email in other.emails.all():
            if email.email_normalized not in emails:
                position += 1
                row = ContactEmail.objects.create(
                    workspace_id=survivor.workspace_id,
                    contact=survivor,
                    email=email.email,
                    email_normalized=email.email_normalized,
                    label=email.label,
                    is_primary=False,
                    position=position,
                )
                emails.add(email.email_normalized)
                added["emails"].append(row.pk)
        for phone in other.phones.all():
            if phone.number not in phones:
                position += 1
                row_phone = ContactPhone.objects.create(
                    workspace_id=survivor.workspace_id,
                    contact=survivor,
                    number=phone.number,
                    label=phone.label,
                    is_primary=False,
                    position=position,
                )
                phones.add(phone.number)
                added["phones"].append(row_phone.pk)
        for tag_id in ContactTag.objects.filter(contact=other).values_list("tag_id", flat=True):
            if tag_id not in tag_ids:
                ContactTag.objects.create(contact=survivor, tag_id=tag_id)
                tag_ids.add(tag_id)
                added["tags"].append(tag_id)
        moved = {"notes": list(Note.all_objects.filter(contact=other).values_list("pk", flat=True))}
        Note.all_objects.filter(pk__in=moved["notes"]).update(contact=survivor)
        for mover in _movers["contact"].values():
            moved[mover.name] = mover.move(survivor, other)
        merges.append(
            Merge(
                workspace_id=survivor.workspace_id,
                entity="contact",
                survivor_id=survivor.pk,
                merged_id=other.pk,
                actor=actor,
                fields_before=before,
                fields_after=after,
                added=added,
                moved=moved,
                created_at=now,
            )
        )
    Merge.objects.bulk_create(merges)
    emails_order, phones_order = services._ordered_points(survivor)
    services.contact_derive(
        survivor,
        emails=emails_order,
        phones=phones_order,
        company_name=survivor.company.name if survivor.company_id and survivor.company else "",
        language=actor.workspace.language,
    )
    save_versioned(survivor, update_fields=[*after, *services.DERIVED_CONTACT_FIELDS])
    services.sync_tag_sort_keys(survivor)
    audit_change(actor=actor, record=survivor, before=state, extra={"merged": [None, [o.pk for o in others]]})
    for other in others:
        recycle.soft_delete(actor=actor, record=other)
    emit(survivor.workspace_id, "contact.merged", survivor, {"merged": [o.pk for o in others]})
    return survivor


@transaction.atomic
def company_merge(
    *,
    actor: Membership,
    survivor: Company,
    others: list[Company],
    choices: dict[str, int] | None = None,
    expected_version: int | None = None,
) -> Company:
    """Merge companies: fields as chosen, tags united, notes, people and subsidiaries moved to the survivor,
    the others to the recycle bin (restoring one undoes its merge). Emits company.merged."""
    check_version(survivor, expected_version)
    others = _check_records(survivor, others)
    choices = dict(choices or {})
    values = _pick_values(survivor, others, COMPANY_FIELDS, choices)
    if values.get("parent") is not None and values["parent"].pk in {o.pk for o in others}:
        values["parent"] = None  # a company cannot become the parent of what it merges into
    custom = _pick_custom(survivor, others, choices)
    state = snapshot(survivor)
    before, after = _apply_fields(actor, survivor, values, custom)
    tag_ids = set(CompanyTag.objects.filter(company=survivor).values_list("tag_id", flat=True))
    merges = []
    now = timezone.now()
    for other in others:
        added: dict[str, list[int]] = {"tags": []}
        for tag_id in CompanyTag.objects.filter(company=other).values_list("tag_id", flat=True):
            if tag_id not in tag_ids:
                CompanyTag.objects.create(company=survivor, tag_id=tag_id)
                tag_ids.add(tag_id)
                added["tags"].append(tag_id)
        moved = {
            "notes": list(Note.all_objects.filter(company=other).values_list("pk", flat=True)),
            "people": list(Contact.all_objects.filter(company=other).values_list("pk", flat=True)),
            "subsidiaries": list(
                Company.all_objects.filter(parent=other).exclude(pk=survivor.pk).values_list("pk", flat=True)
            ),
        }
        Note.all_objects.filter(pk__in=moved["notes"]).update(company=survivor)
        Contact.all_objects.filter(pk__in=moved["people"]).update(company=survivor)
        Company.all_objects.filter(pk__in=moved["subsidiaries"]).update(parent=survivor)
        for mover in _movers["company"].values():
            moved[mover.name] = mover.move(survivor, other)
        merges.append(
            Merge(
                workspace_id=survivor.workspace_id,
                entity="company",
                survivor_id=survivor.pk,
                merged_id=other.pk,
                actor=actor,
                fields_before=before,
                fields_after=after,
                added=added,
                moved=moved,
                created_at=now,
            )
        )
    Merge.objects.bulk_create(merges)
    services.company_derive(survivor, language=actor.workspace.language)
    save_versioned(survivor, update_fields=[*after, "name_normalized", "sort_key", "search_text"])
    services.sync_tag_sort_keys(survivor)
    audit_change(actor=actor, record=survivor, before=state, extra={"merged": [None, [o.pk for o in others]]})
    for other in others:
        recycle.soft_delete(actor=actor, record=other)
    moved_people = [pk for merge in merges for pk in merge.moved["people"]]
    if moved_people:
        services.reindex_contacts(
            Contact.all_objects.filter(pk__in=moved_people), language=actor.workspace.language
        )
    emit(survivor.workspace_id, "company.merged", survivor, {"merged": [o.pk for o in others]})
    return survivor


def undo_merge(actor: Membership | None, record: Any) -> None:
    """Called after `record` comes back from the recycle bin: if it had been merged, take back what the
    merge gave the survivor (rows it added, rows it moved, field values it set and nobody changed since)."""
    entity = record.ENTITY
    merge = (
        Merge.objects.filter(
            workspace_id=record.workspace_id, entity=entity, merged_id=record.pk, undone_at=None
        )
        .order_by("-id")
        .first()
    )
    if merge is None:
        return
    model: Any = Contact if entity == "contact" else Company
    survivor = model.all_objects.filter(pk=merge.survivor_id).first()
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    if survivor is None:
        return
    if entity == "contact":
        ContactEmail.objects.filter(pk__in=merge.added.get("emails", []), contact=survivor).delete()
        ContactPhone.objects.filter(pk__in=merge.added.get("phones", []), contact=survivor).delete()
        ContactTag.objects.filter(contact=survivor, tag_id__in=merge.added.get("tags", [])).delete()
        Note.all_objects.filter(pk__in=merge.moved.get("notes", []), contact=survivor).update(contact=record)
    else:
        CompanyTag.objects.filter(company=survivor, tag_id__in=merge.added.get("tags", [])).delete()
        Note.all_objects.filter(pk__in=merge.moved.get("notes", []), company=survivor).update(company=record)
        Contact.all_objects.filter(pk__in=merge.moved.get("people", []), company=survivor).update(
            company=record
        )
        Company.all_objects.filter(pk__in=merge.moved.get("subsidiaries", []), parent=survivor).update(
            parent=record
        )
    for name, mover in _movers[entity].items():
        mover.undo(survivor, record, merge.moved.get(name, []))
    state = snapshot(survivor)
    changed = []
    others_left = Merge.objects.filter(
        workspace_id=record.workspace_id, entity=entity, survivor_id=survivor.pk, undone_at=None,
        created_at=merge.created_at,
    ).exists()  # fmt: skip
    for name, value in merge.fields_before.items():
        if name == "custom":
            current = survivor.custom
            restored = dict(current)
            for key in set(value) | set(merge.fields_after.get("custom", {})):
                if current.get(key) == merge.fields_after.get("custom", {}).get(key):
                    if value.get(key) is None:
                        restored.pop(key, None)
                    else:
                        restored[key] = value[key]
            if restored != current:
                survivor.custom = restored
                changed.append("custom")
            continue
        field = survivor._meta.get_field(name)
        # Only values the merge set and nobody changed since; with other merged records still merged, the
        # values they contributed stay.
        if _plain(getattr(survivor, field.attname)) == merge.fields_after.get(name) and not others_left:
            setattr(survivor, field.attname, field.to_python(value) if value is not None else None)
            changed.append(name)
    if entity == "contact":
        emails_order, phones_order = services._ordered_points(survivor)
        services.contact_derive(
            survivor,
            emails=emails_order,
            phones=phones_order,
            company_name=survivor.company.name if survivor.company_id and survivor.company else "",
            language=survivor.workspace.language,
        )
        derived = list(services.DERIVED_CONTACT_FIELDS)
    else:
        services.company_derive(survivor, language=survivor.workspace.language)
        derived = ["name_normalized", "sort_key", "search_text"]
    save_versioned(survivor, update_fields=[*changed, *derived])
    services.sync_tag_sort_keys(survivor)
    audit_change(actor=actor, record=survivor, before=state, extra={"unmerged": [record.pk, None]})
    emit(survivor.workspace_id, f"{entity}.unmerged", survivor, {"restored": record.pk})
    if entity == "company":
        services.reindex_contacts(
            Contact.all_objects.filter(pk__in=merge.moved.get("people", [])),
            language=survivor.workspace.language,
        )
