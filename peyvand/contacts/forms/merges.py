"""Forms of the duplicates and merge screens: the records to compare (`ids=1,2,3`), which one survives and,
per field that may be chosen, whose value it keeps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.contacts.merges import MAX_MERGE

CHOICE_PREFIX = "choice-"


def parse_ids(values: Iterable[str]) -> list[int]:
    """Record ids from `ids=1,2,3` (or `ids` repeated), in order, each once; non-numbers are left out."""
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit() and len(part) < 19 and int(part) not in ids:
                ids.append(int(part))
    return ids


def check_count(ids: list[int]) -> None:
    """2 to MAX_MERGE records: a survivor and the ones merged into it."""
    if len(ids) < 2:
        raise forms.ValidationError(_("Choose at least two records to merge."))
    if len(ids) > MAX_MERGE:
        raise forms.ValidationError(_("Merge at most %(n)s records at once.") % {"n": MAX_MERGE})


class IdsField(forms.CharField):
    """`1,2,3` → [1, 2, 3]: two to MAX_MERGE distinct records."""

    widget = forms.HiddenInput

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        return parse_ids([value or ""])

    def validate(self, value: Any) -> None:
        check_count(value)


class MergeForm(forms.Form):
    """What the merge screen posts: the records, the survivor, its version when the page was drawn, and one
    `choice-<field>` radio per field that may be chosen (the id of the record whose value wins)."""

    ids = IdsField()
    survivor = forms.TypedChoiceField(coerce=int, choices=(), widget=forms.HiddenInput)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *, record_ids: list[int], choosable: Iterable[str], **kwargs: Any):
        super().__init__(data, **kwargs)
        options = [(pk, str(pk)) for pk in record_ids]
        self.fields["survivor"].choices = options  # type: ignore[attr-defined]
        self.choosable = list(choosable)
        for name in self.choosable:
            self.fields[CHOICE_PREFIX + name] = forms.TypedChoiceField(
                coerce=int, choices=options, required=False, empty_value=None
            )

    def clean_ids(self) -> list[int]:
        ids: list[int] = self.cleaned_data["ids"]
        known = {pk for pk, _label in self.fields["survivor"].choices}  # type: ignore[attr-defined]
        if set(ids) != known:
            raise forms.ValidationError(_("The records to merge changed. Open the comparison again."))
        return ids

    def choices(self) -> dict[str, int]:
        """Field (or `custom.<key>`) → the id of the record whose value the survivor keeps."""
        result = {}
        for name in self.choosable:
            value = self.cleaned_data.get(CHOICE_PREFIX + name)
            if value is not None:
                result[name] = int(value)
        return result


class MergeSearchForm(forms.Form):
    """“Merge with…”: find the other record by name, e-mail or phone."""

    q = forms.CharField(label=_("Find a record to merge with"), max_length=100, required=False)
