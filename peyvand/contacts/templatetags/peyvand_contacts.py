"""Template helpers of the contacts screens (they format what views hand them; they never query)."""

from __future__ import annotations

from typing import Any

from django import template

from peyvand.contacts.choices import POINT_LABELS

register = template.Library()


@register.simple_tag
def point_label_options(current: Any) -> list[tuple[str, str, bool]]:
    """`{% point_label_options row.label as options %}`: (value, text, selected) for an e-mail's or phone's
    label select, keeping a label typed elsewhere (API, import) as an option of its own."""
    value = str(current or "")
    options = [("", "—", not value)]
    options.extend((key, str(text), key == value) for key, text in POINT_LABELS.items())
    if value and value not in POINT_LABELS:
        options.append((value, value, True))
    return options


@register.filter
def point_label(value: Any) -> str:
    """`{{ email.label|point_label }}`: the translated name of a known label, else the label as typed."""
    text = str(value or "")
    return str(POINT_LABELS.get(text, text))
