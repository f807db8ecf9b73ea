"""Render form widgets with Bootstrap classes and accessible error/help wiring."""

from __future__ import annotations

from django import template
from django.forms.boundfield import BoundField
from django.utils.safestring import SafeString

register = template.Library()

_SELECTS = {"select", "selectmultiple"}


@register.filter
def bs(field: BoundField) -> SafeString:
    """`{{ field|bs }}`: the widget with form-control/form-select, aria-invalid and aria-describedby."""
    widget_type = field.widget_type
    css = (
        "form-select"
        if widget_type in _SELECTS
        else "form-check-input"
        if widget_type == "checkbox"
        else "form-control"
    )
    attrs: dict[str, str | bool] = {"class": css + (" is-invalid" if field.errors else "")}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def getfield(form: object, name: str) -> BoundField:
    """`{{ form|getfield:"perm__team__view" }}`: a bound field by a computed name."""
    return form[name]  # type: ignore[index,no-any-return]
