"""Optimistic concurrency for every versioned record."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone

from peyvand.core.errors import ConflictError, PreconditionFailedError


def check_version(record: Any, expected_version: int | None, *, precondition: bool = False) -> None:
    """Refuse a stale edit. `precondition` marks an HTTP If-Match (412) rather than a body field (409)."""
    if expected_version is None:
        return
    if int(expected_version) != record.version:
        raise (PreconditionFailedError if precondition else ConflictError)()


def save_versioned(record: Any, *, update_fields: list[str]) -> None:
    """Save `update_fields`, bump `version` and `updated_at`, and refuse if someone saved in between.

    The UPDATE is conditional on the version we read, so two writers racing on SQLite (no row locks)
    cannot both win: the loser gets ConflictError and its transaction rolls back.
    """
    model: type[models.Model] = type(record)
    now = timezone.now()
    fields = {name: model._meta.get_field(name) for name in update_fields}
    values = {name: getattr(record, getattr(field, "attname", name)) for name, field in fields.items()}
    updated = model._base_manager.filter(pk=record.pk, version=record.version).update(
        **values, version=F("version") + 1, updated_at=now
    )
    if updated != 1:
        raise ConflictError()
    record.version += 1
    record.updated_at = now
