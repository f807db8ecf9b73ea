"""Readable names for entities and fields in audit entries and history (never a query)."""

from __future__ import annotations

from functools import cache

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from peyvand.accounts import policy

register = template.Library()


@cache
def _models_by_entity() -> dict[str, type[models.Model]]:
    return {m.ENTITY: m for m in apps.get_models() if getattr(m, "ENTITY", "")}  # type: ignore[attr-defined]


@register.filter
def entity_label(name: str) -> str:
    """`{{ entry.entity|entity_label }}`: the translated label of a registered entity."""
    try:
        return str(policy.entity(name).label)
    except KeyError:
        model = _models_by_entity().get(name)
        return str(model._meta.verbose_name) if model is not None else name


@register.simple_tag
def field_label(entity: str, field_name: str) -> str:
    """`{% field_label entry.entity field %}`: the field's label (roles editor list, else the model's)."""
    try:
        labels = dict(policy.entity(entity).fields)
    except KeyError:
        labels = {}
    if field_name in labels:
        return str(labels[field_name])
    model = _models_by_entity().get(entity)
    if model is not None:
        try:
            return str(getattr(model._meta.get_field(field_name), "verbose_name", field_name))
        except FieldDoesNotExist:  # a field removed since the entry was written
            return field_name
    return field_name
