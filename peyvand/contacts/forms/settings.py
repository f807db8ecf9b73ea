"""Forms of the settings screens: tags, custom fields and the lifecycle list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.contacts.forms.common import RowsField, set_choices
from peyvand.core.models import CustomField, CustomFieldType

# ----------------------------------------------------------------------------- settings


class TagForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    color = forms.CharField(
        label=_("Colour"), required=False, max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TagMergeForm(forms.Form):
    sources = forms.TypedMultipleChoiceField(label=_("Tags to merge"), coerce=int, choices=())
    target = forms.TypedChoiceField(label=_("Merge into"), coerce=int, choices=())

    def __init__(self, *args: Any, tags: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(t.pk, t.name) for t in tags]
        set_choices(self, "sources", choices)
        set_choices(self, "target", choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sources = [s for s in data.get("sources", []) if s != data.get("target")]
        if "sources" in data and not sources:
            self.add_error("sources", _("Select at least one other tag to merge."))
        data["sources"] = sources
        return data


class CustomFieldForm(forms.Form):
    """Define or edit a custom field; the type and key are fixed once the field exists."""

    label = forms.CharField(label=_("Label"), max_length=80)
    field_type = forms.ChoiceField(label=_("Type"), choices=CustomFieldType.choices)
    key = forms.CharField(
        label=_("Key"),
        max_length=40,
        required=False,
        help_text=_(
            "Used by the API, filters and imports. Leave empty to derive it from the label; "
            "it cannot change later."
        ),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    options = RowsField(label=_("Options"), keys=("value", "label"), required_key="label")
    help_text = forms.CharField(label=_("Help text"), max_length=200, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    searchable = forms.BooleanField(label=_("Included in search"), required=False)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, field: CustomField | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.field = field
        self.fields["field_type"].widget.attrs["data-toggle-options"] = ""
        if field is None:
            del self.fields["position"]
        else:
            del self.fields["key"]
            self.fields["field_type"].disabled = True
            self.initial.update(
                {
                    "label": field.label,
                    "field_type": field.field_type,
                    "options": [
                        {"value": o.get("value", ""), "label": o.get("label", "")} for o in field.choices
                    ],
                    "help_text": field.help_text,
                    "required": field.required,
                    "searchable": field.searchable,
                    "position": field.position,
                    "expected_version": field.version,
                }
            )

    def error_target(self, name: str) -> str | None:
        name = {"choices": "options"}.get(name, name)
        return name if name in self.fields else None

    def choices_for_service(self) -> list[dict[str, str]]:
        return [
            {"value": r.get("value", ""), "label": r["label"]} for r in self.cleaned_data.get("options", [])
        ]


class LifecycleStageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    position = forms.IntegerField(label=_("Position"), required=False, min_value=0)
