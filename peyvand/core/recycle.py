"""Soft delete, the recycle bin, restore and purge — the same for every soft-deletable entity.

Domain apps register their entities with a label and an optional `guard` that refuses deleting a row
still in use (e.g. a role members hold). Access is checked by the caller with the entity's access function.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from peyvand.core.audit import audit, entity_of
from peyvand.core.events import emit
from peyvand.core.models import AuditEntry

if TYPE_CHECKING:
    from peyvand.accounts.models import Membership


@dataclass(frozen=True)
class BinEntity:
    name: str
    label: str | Promise
    model: type[models.Model]
    guard: Callable[[Any], None] | None = None  # raises a DomainError when the row must not be deleted
    restore_guard: Callable[[Any], None] | None = None  # e.g. a name taken meanwhile
    on_restore: Callable[[Any, Any], None] | None = None  # (actor, record) after restoring, e.g. undo a merge


_bin: dict[str, BinEntity] = {}


def register_bin_entity(entry: BinEntity) -> None:
    _bin[entry.name] = entry


def bin_entities() -> list[BinEntity]:
    return list(_bin.values())


def bin_entity(name: str) -> BinEntity | None:
    return _bin.get(name)


def deleted_rows(model: type[models.Model], workspace_id: int) -> models.QuerySet:
    manager: Any = getattr(model, "all_objects", model._base_manager)
    return manager.filter(workspace_id=workspace_id, deleted_at__isnull=False).order_by("-deleted_at", "-id")


@transaction.atomic
def soft_delete(*, actor: Membership | None, record: Any) -> Any:
    """Move `record` to the recycle bin (audited, `<entity>.deleted` emitted). Deleting twice is a no-op."""
    if record.deleted_at is not None:
        return record
    spec = _bin.get(entity_of(record))
    if spec and spec.guard:
        spec.guard(record)
    record.deleted_at = timezone.now()
    record.deleted_by = actor
    type(record)._base_manager.filter(pk=record.pk).update(
        deleted_at=record.deleted_at, deleted_by=actor, version=models.F("version") + 1
    )
    record.version += 1
    audit(actor=actor, record=record, action=AuditEntry.Action.DELETE)
    emit(record.workspace_id, f"{entity_of(record)}.deleted", record)
    return record


@transaction.atomic
def restore(*, actor: Membership | None, record: Any) -> Any:
    """Bring `record` back from the recycle bin (audited, `<entity>.restored` emitted)."""
    if record.deleted_at is None:
        return record
    spec = _bin.get(entity_of(record))
    if spec and spec.restore_guard:
        spec.restore_guard(record)
    type(record)._base_manager.filter(pk=record.pk).update(
        deleted_at=None, deleted_by=None, version=models.F("version") + 1
    )
    record.deleted_at = None
    record.deleted_by = None
    record.version += 1
    audit(actor=actor, record=record, action=AuditEntry.Action.RESTORE)
    emit(record.workspace_id, f"{entity_of(record)}.restored", record)
    if spec and spec.on_restore:
        spec.on_restore(actor, record)
    return record


@transaction.atomic
def purge(*, actor: Membership | None, record: Any) -> None:
    """Erase a record that is in the recycle bin, for good. Audit history of it stays."""
    if record.deleted_at is None:
        from peyvand.core.errors import ConflictError

        raise ConflictError(_("Only records in the recycle bin can be purged."))
    audit(actor=actor, record=record, action=AuditEntry.Action.PURGE)
    emit(record.workspace_id, f"{entity_of(record)}.purged", record)
    record.delete()


def purge_expired(*, now: datetime.datetime | None = None, days: int = 30) -> int:
    """Purge every bin row older than the retention period; returns how many went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    count = 0
    for spec in _bin.values():
        manager: Any = getattr(spec.model, "all_objects", spec.model._base_manager)
        for record in manager.filter(deleted_at__lt=cutoff):
            purge(actor=None, record=record)
            count += 1
    return count
