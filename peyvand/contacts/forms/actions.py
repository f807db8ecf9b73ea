"""Small forms of the record pages and lists: notes, in-place edits and bulk actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.contacts.forms.common import RecordChoiceField, set_choices

# ----------------------------------------------------------------------------- small forms


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 2}), strip=True
    )
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class InlineForm(forms.Form):
    """One field of a contact, edited in place on its page."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, name: str, field: forms.Field, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.name = name
        self.fields["value"] = field


BULK_ACTIONS = (
    ("add_tag", _("Add tag")),
    ("remove_tag", _("Remove tag")),
    ("assign_owner", _("Assign owner")),
    ("set_lifecycle", _("Change lifecycle stage")),
    ("merge", _("Merge selected")),
    ("delete", _("Delete")),
)


class IdsField(forms.TypedMultipleChoiceField):
    """Selected rows by id (checked against the member's reach row by row, not here)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"required": _("Select at least one row first.")})
        super().__init__(coerce=int, choices=(), required=True, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


class BulkForm(forms.Form):
    """The selected rows of a list and what to do with them (the extra value depends on the action)."""

    ids = IdsField()
    action = forms.ChoiceField(label=_("Action"), choices=BULK_ACTIONS)
    tag_name = forms.CharField(label=_("Tag"), required=False, max_length=60)
    tag = RecordChoiceField(label=_("Tag"))
    owner = RecordChoiceField(label=_("Owner"))
    lifecycle_stage = RecordChoiceField(label=_("Lifecycle stage"))
    next = forms.CharField(required=False, max_length=2000)

    MAX_ROWS = 500

    def __init__(self, *args: Any, actions: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = set(actions)
        set_choices(self, "action", [(k, v) for k, v in BULK_ACTIONS if k in allowed])

    def clean_ids(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["ids"]))
        if len(ids) > self.MAX_ROWS:
            raise forms.ValidationError(_("Select at most %(n)s rows at a time.") % {"n": self.MAX_ROWS})
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        needed = {"add_tag": "tag_name", "remove_tag": "tag", "set_lifecycle": "lifecycle_stage"}.get(
            str(action)
        )
        if needed and not data.get(needed):
            self.add_error(needed, _("This field is required."))
        return data
