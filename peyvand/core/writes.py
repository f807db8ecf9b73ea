"""The write sequence every entity shares (ARCHITECTURE §5), so services state only their own rules.

`record_create`: validate, save, audit, emit `<entity>.created`.
`record_update`: refuse a stale version, apply only allowed fields, refuse read-only fields for the actor's
role, validate, save the changed fields with a version bump, audit old → new, emit `<entity>.updated`.
Both run inside the caller's transaction (services are `@transaction.atomic`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from peyvand.core.audit import audit_change, audit_create, entity_of, snapshot
from peyvand.core.errors import ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.versioning import check_version, save_versioned

if TYPE_CHECKING:
    from peyvand.accounts.models import Membership

R = TypeVar("R", bound=models.Model)


def full_clean(record: models.Model, exclude: list[str] | None = None) -> None:
    """Django validation (fields and constraints) as a ValidationFailedError naming the fields."""
    try:
        record.full_clean(exclude=exclude, validate_constraints=True)
    except ValidationError as error:
        raise ValidationFailedError.from_django(error) from error


def apply_changes(record: models.Model, changes: dict[str, Any], allowed: Iterable[str]) -> list[str]:
    """Set the allowed attributes whose value really changes; unknown names are refused (422)."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationFailedError(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    changed = []
    for name, value in changes.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed.append(name)
    return changed


def record_create(*, actor: Membership | None, record: R, payload: dict[str, Any] | None = None) -> R:
    full_clean(record)
    record.save()
    audit_create(actor=actor, record=record)
    emit(getattr(record, "workspace_id", None), f"{entity_of(record)}.created", record, payload)
    return record


def record_update(
    *,
    actor: Membership | None,
    record: models.Model,
    changes: dict[str, Any],
    allowed: Iterable[str],
    expected_version: int | None = None,
    precondition: bool = False,
) -> list[str]:
    """Apply `changes` to `record`; returns the names that changed (nothing saved or emitted if none)."""
    check_version(record, expected_version, precondition=precondition)
    before = snapshot(record)
    changed = apply_changes(record, changes, allowed)
    if not changed:
        return changed
    if actor is not None:
        from peyvand.accounts.policy import check_writable

        check_writable(actor, entity_of(record), changed)
    full_clean(record)
    save_versioned(record, update_fields=changed)
    audit_change(actor=actor, record=record, before=before)
    emit(getattr(record, "workspace_id", None), f"{entity_of(record)}.updated", record, {"fields": changed})
    return changed
