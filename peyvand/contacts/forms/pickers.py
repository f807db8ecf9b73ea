"""Type-ahead pickers: a record chosen out of far too many for a `<select>` (100,000 companies).

The page renders a `<select>` holding only the empty choice and the current record, so it submits the
current value without script and costs nothing to draw; `static/peyvand/pickers.js` turns it into a search
box that asks the options endpoint (`data-picker-url`) for matches as the user types. Whatever arrives is
checked here against the records the member may choose (`RecordLookup.find`), not against the rendered
options, and anything else is refused with a field error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_ID_DIGITS = 18  # a bigint: a longer "id" is not one (and would overflow the database's integer)


@dataclass
class RecordLookup:
    """How one form's picker finds and names the records a member may choose, built per request by the
    view. `find(pk)` returns a record the member may choose or None; `label(record)` is its text (field
    rules applied); `url` is the options endpoint the script asks. A record passed to `keep` (the edited
    record's current value) stays acceptable even if the member no longer sees it, and is then shown as
    `unseen_label`, never by its name."""

    find: Callable[[int], Any]
    label: Callable[[Any], str]
    url: str
    unseen_label: str = ""
    _found: dict[int, Any] = field(default_factory=dict)
    _kept: dict[int, Any] = field(default_factory=dict)

    def keep(self, record: Any) -> None:
        if record is not None:
            self._kept[record.pk] = record

    def visible(self, pk: int) -> Any:
        if pk not in self._found:
            self._found[pk] = self.find(pk)
        return self._found[pk]

    def get(self, pk: int) -> Any:
        """The record `pk` names if the member may choose it (or it is kept), else None."""
        return self.visible(pk) or self._kept.get(pk)

    def label_of(self, pk: int) -> str | None:
        record = self.visible(pk)
        if record is not None:
            return self.label(record)
        return str(self.unseen_label) if pk in self._kept else None


def record_id(value: Any) -> int | None:
    """The id a picker's value names: a record, an int or a string of ASCII digits; None for anything else."""
    if isinstance(value, models.Model):
        return int(value.pk)
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None
    text = str(value if value is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS and int(text) > 0:
        return int(text)
    return None


class PickerSelect(forms.Select):
    """The no-script face of a picker: a `<select>` with the empty choice and the current record only,
    marked with `data-picker*` attributes for pickers.js (the endpoint, and the texts it shows)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.lookup: RecordLookup | None = None
        self.empty_label: Any = "—"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        choices: list[tuple[Any, Any]] = [("", self.empty_label)]
        pk = record_id(value)
        label = self.lookup.label_of(pk) if self.lookup is not None and pk is not None else None
        if pk is not None and label is not None:
            choices.append((pk, label))
        self.choices = choices
        return super().get_context(name, pk if label is not None else "", attrs)


class RecordPickerField(forms.Field):
    """A record chosen with a type-ahead picker. Cleans to the record (or None), accepting any record the
    form's `RecordLookup` finds: the rendered options are only the current one. Call `bind()` in the form's
    `__init__` before use."""

    widget = PickerSelect
    default_error_messages = {
        "invalid": _("Choose one of the suggestions."),
        "unknown": _("This record does not exist or you may not see it."),
    }
    # Texts the script shows; subclasses name their records.
    search_placeholder: Any = _("Type to search…")
    no_matches: Any = _("Nothing matches.")
    matches: Any = _("Suggestions: %(count)s")

    def __init__(self, *, empty_label: Any = "—", **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.lookup: RecordLookup | None = None

    def bind(self, lookup: RecordLookup) -> None:
        """Give this (per form instance) field the member's lookup and the widget its endpoint and texts."""
        self.lookup = lookup
        widget = self.widget
        assert isinstance(widget, PickerSelect)
        widget.lookup = lookup
        widget.empty_label = self.empty_label
        widget.attrs.update(
            {
                "data-picker": "",
                "data-picker-url": lookup.url,
                "data-picker-placeholder": str(self.search_placeholder),
                "data-picker-none": str(self.no_matches),
                "data-picker-count": str(self.matches),
            }
        )

    def prepare_value(self, value: Any) -> Any:
        return record_id(value) if value not in (None, "") else value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        pk = record_id(value)
        if pk is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return pk

    def clean(self, value: Any) -> Any:
        pk = self.to_python(value)
        self.validate(pk)
        self.run_validators(pk)
        if pk is None:
            return None
        if self.lookup is None:
            raise RuntimeError("RecordPickerField.bind() was not called")
        record = self.lookup.get(pk)
        if record is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return record

    def has_changed(self, initial: Any, data: Any) -> bool:
        return record_id(initial) != record_id(data)


class CompanyPickerField(RecordPickerField):
    default_error_messages = {
        "invalid": _("Choose a company from the suggestions."),
        "unknown": _("This company does not exist or you may not see it."),
    }
    search_placeholder = _("Type part of a company name…")
    no_matches = _("No company matches.")
    matches = _("Companies found: %(count)s")


def bind_picker(form: forms.Form, name: str, lookup: RecordLookup) -> None:
    """Bind the picker `name` of `form` if the form has it (field rules may have removed it)."""
    picker = form.fields.get(name)
    if isinstance(picker, RecordPickerField):
        picker.bind(lookup)
