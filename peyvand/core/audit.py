"""The audit trail: snapshots before a change, and one entry per change with old → new per field."""

from __future__ import annotations

import datetime
import decimal
import functools
import uuid
from typing import TYPE_CHECKING, Any

from django.db import models

from peyvand.core.context import current_channel
from peyvand.core.models import AuditEntry

if TYPE_CHECKING:
    from peyvand.accounts.models import Membership


_AS_IS = frozenset({str, int, bool, float, list, dict, type(None)})


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value (foreign keys as ids)."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


@functools.cache
def audited_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    exclude: frozenset[str] = getattr(model, "AUDIT_EXCLUDE", frozenset())
    return tuple(
        field
        for field in model._meta.concrete_fields
        if field.name not in exclude and not field.primary_key and field.name != "workspace"
    )


def snapshot(record: models.Model) -> dict[str, Any]:
    """The audited fields of `record` as plain values; call before changing it."""
    return {field.name: _plain(getattr(record, field.attname)) for field in audited_fields(type(record))}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def entity_of(record: models.Model) -> str:
    return getattr(record, "ENTITY", "") or record._meta.model_name or ""


def audit(
    *,
    actor: Membership | None,
    record: models.Model,
    action: str,
    changes: dict[str, Any] | None = None,
    workspace_id: int | None = None,
) -> AuditEntry:
    """Write one audit entry for `record`; the channel comes from the acting edge (ui/api/import/...)."""
    if workspace_id is None:
        workspace_id = getattr(record, "workspace_id", None)
    return AuditEntry.objects.create(
        workspace_id=workspace_id,
        actor=actor,
        actor_label=str(actor.user)[:254] if actor is not None else "",
        channel=current_channel(),
        action=action,
        entity=entity_of(record),
        record_id=str(record.pk),
        record_label=str(record)[:200],
        changes=changes or {},
    )


def audit_create(*, actor: Membership | None, record: models.Model) -> AuditEntry:
    """Audit a new record: every audited field from nothing to its value."""
    changes = {name: [None, value] for name, value in snapshot(record).items() if value not in (None, "")}
    return audit(actor=actor, record=record, action=AuditEntry.Action.CREATE, changes=changes)


def audit_change(
    *,
    actor: Membership | None,
    record: models.Model,
    before: dict[str, Any],
    action: str = AuditEntry.Action.UPDATE,
    extra: dict[str, Any] | None = None,
) -> AuditEntry | None:
    """Audit what changed since `before` (plus `extra`, e.g. many-to-many changes); nothing if nothing did."""
    changes = diff(before, snapshot(record))
    if extra:
        changes.update(extra)
    if not changes and action == AuditEntry.Action.UPDATE:
        return None
    return audit(actor=actor, record=record, action=action, changes=changes)
