"""The timeline of a contact or company: its notes and audited changes, newest first, without what the
reader may not see, related records by name and values in the reader's calendar and digits."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from peyvand.accounts import policy
from peyvand.accounts.models import Membership
from peyvand.accounts.selectors import audit_redacted
from peyvand.contacts import access, selectors
from peyvand.contacts.models import Company, Contact, LifecycleStage
from peyvand.contacts.views.common import hidden_for
from peyvand.contacts.views.presenters import custom_value, list_separator, member_names, phone_text
from peyvand.core.calendars import current_format, format_date, format_datetime
from peyvand.core.models import AuditEntry, CustomField, CustomFieldType

# Audit keys that fall under another field's rule (a hidden consent hides when and how it was given).
RULE_OF = {
    "email_consent_at": "email_consent",
    "email_consent_source": "email_consent",
    "sms_consent_at": "sms_consent",
    "sms_consent_source": "sms_consent",
    "display_name": "first_name",
}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class TimelineRow:
    kind: str
    at: datetime.datetime
    note: Any = None
    entry: AuditEntry | None = None
    changes: list[Change] = field(default_factory=list)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _expand_custom(changes: dict[str, Any]) -> dict[str, Any]:
    """A change of the whole `custom` object (a record's creation) as one change per custom field, so field
    rules and labels apply to each."""
    pair = changes.get("custom")
    if not (isinstance(pair, list) and len(pair) == 2):
        return changes
    old, new = (v if isinstance(v, dict) else {} for v in pair)
    result = {k: v for k, v in changes.items() if k != "custom"}
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            result.setdefault(f"custom.{key}", [old.get(key), new.get(key)])
    return result


def _field_labels(
    entity: str, model: Any, definitions: Iterable[CustomField], workspace_id: int
) -> dict[str, str]:
    labels = {
        f.name: str(getattr(f, "verbose_name", f.name))
        for f in model._meta.get_fields()
        if hasattr(f, "verbose_name")
    }
    labels.update({name: str(label) for name, label in policy.entity(entity).fields})
    labels.update({d.path: d.label for d in definitions})
    return labels


def timeline_rows(
    member: Membership,
    *,
    entity: str,
    record_id: int,
    definitions: list[CustomField],
    region: str,
    currency: str,
) -> list[TimelineRow]:
    """The record's notes and audited changes, newest first, without what the reader may not see; ids of
    related records shown by name."""
    items = selectors.timeline(member, entity=entity, record_id=record_id)
    entries = audit_redacted(member, [i.record for i in items if i.kind == "audit"])
    hidden = hidden_for(member, entity)
    model = Contact if entity == "contact" else Company
    labels = _field_labels(entity, model, definitions, member.workspace_id)
    by_key = {d.path: d for d in definitions}
    refs: dict[str, set[Any]] = {"owner": set(), "company": set(), "parent": set(), "lifecycle_stage": set()}
    for entry in entries:
        entry.changes = {
            k: v for k, v in _expand_custom(entry.changes).items() if RULE_OF.get(k, k) not in hidden
        }
        for name, pair in entry.changes.items():
            if name in refs and isinstance(pair, list):
                refs[name].update(v for v in pair if v is not None)
    names: dict[str, dict[int, str]] = {
        "owner": member_names(member.workspace_id, refs["owner"]),
        "company": {},
        "lifecycle_stage": {},
    }
    # Only companies the reader may see, and not in the recycle bin, are named (the others show as their
    # number), as everywhere else.
    names["company"] = access.company_names(member, refs["company"] | refs["parent"])
    names["parent"] = names["company"]
    if refs["lifecycle_stage"]:
        names["lifecycle_stage"] = {
            s.pk: s.label
            for s in LifecycleStage.objects.filter(
                workspace_id=member.workspace_id, pk__in=refs["lifecycle_stage"]
            )
        }
    custom_members = member_names(
        member.workspace_id,
        {
            v
            for e in entries
            for k, pair in e.changes.items()
            if k in by_key and by_key[k].field_type == CustomFieldType.MEMBER and isinstance(pair, list)
            for v in pair
            if v is not None
        },
    )

    choice_labels = {f.name: dict(f.flatchoices) for f in model._meta.concrete_fields if f.choices}

    def _item(name: str, value: Any) -> str:
        """One element of a list value: a phone (E.164 or {number, …}), an e-mail, an address, a name."""
        if isinstance(value, dict):
            if "number" in value:
                return phone_text(str(value["number"]), region)
            if "email" in value:
                return str(value["email"])
            return " ".join(str(v) for k, v in value.items() if v and k != "label")
        if name == "phones":
            return phone_text(str(value), region)
        return str(value)

    def shown(name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "∅"
        if name in names and str(value).isascii() and str(value).isdigit():
            return names[name].get(int(value), f"#{value}")
        if name in by_key:
            return custom_value(
                by_key[name], value, members=custom_members, region=region, currency=currency
            ).text
        if name in choice_labels and isinstance(value, str):
            return str(choice_labels[name].get(value, value))
        if isinstance(value, list):
            return list_separator().join(_item(name, v) for v in value)
        if isinstance(value, dict):
            return list_separator().join(f"{k}: {v}" for k, v in value.items() if v)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, str) and _ISO_DAY.match(value):
            day = parse_date(value)
            return format_date(day, current_format()) if day else value
        if isinstance(value, str) and _ISO_MOMENT.match(value):
            moment = parse_datetime(value)
            return format_datetime(moment, current_format()) if moment else value
        return str(value)

    rows = []
    for item in items:
        if item.kind == "note":
            rows.append(TimelineRow(kind="note", at=item.at, note=item.record))
            continue
        entry = item.record
        changes = [
            Change(capfirst(labels.get(name, name)), shown(name, pair[0]), shown(name, pair[1]))
            for name, pair in entry.changes.items()
            if isinstance(pair, list) and len(pair) == 2 and not (_empty(pair[0]) and _empty(pair[1]))
        ]
        rows.append(TimelineRow(kind="audit", at=item.at, entry=entry, changes=changes))
    return rows
