"""Building blocks of the contacts forms: repeated rows (e-mails, phones, addresses, options), tag lists,
record selects, custom-field inputs and the base form that applies field rules and places service errors."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Membership
from peyvand.contacts.choices import POINT_LABELS
from peyvand.core.forms_fields import CalendarDateField
from peyvand.core.models import CustomField, CustomFieldType

MAX_ROWS = 50  # repeated inputs read from one form (the services allow fewer)
TAG_SPLIT = re.compile(r"[,،;]")
ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country")


# ----------------------------------------------------------------------------- repeated rows


class RowsWidget(forms.Widget):
    """Reads repeated inputs `<prefix>-<i>-<key>` (and a `<prefix>-primary` radio) into a list of dicts.
    The rows are drawn by the page template (see contacts/_rows.html), not by the widget."""

    def __init__(self, keys: tuple[str, ...], primary: bool = False) -> None:
        super().__init__()
        self.keys = keys
        self.primary = primary

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[dict[str, Any]]:
        pattern = re.compile(rf"^{re.escape(name)}-(\d{{1,3}})-({'|'.join(self.keys)})$")
        indices = sorted({int(m.group(1)) for key in data if (m := pattern.match(key))})[:MAX_ROWS]
        chosen = str(data.get(f"{name}-primary", ""))
        rows = []
        for index in indices:
            row: dict[str, Any] = {k: str(data.get(f"{name}-{index}-{k}", "")).strip() for k in self.keys}
            if self.primary:
                row["is_primary"] = chosen == str(index)
            rows.append(row)
        return rows

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


class RowsField(forms.Field):
    """A list of rows; rows whose `required_key` is empty are dropped. Renders at least one (blank) row."""

    def __init__(
        self, *, keys: tuple[str, ...], required_key: str, primary: bool = False, **kwargs: Any
    ) -> None:
        self.keys = keys
        self.required_key = required_key
        self.primary = primary
        kwargs.setdefault("required", False)
        super().__init__(widget=RowsWidget(keys, primary), **kwargs)

    def to_python(self, value: Any) -> list[dict[str, Any]]:
        rows = value if isinstance(value, list) else []
        return [row for row in rows if isinstance(row, dict) and str(row.get(self.required_key, "")).strip()]

    def prepare_value(self, value: Any) -> list[dict[str, Any]]:
        rows = [dict(row) for row in value if isinstance(row, dict)] if isinstance(value, list) else []
        if not rows:
            rows = [dict.fromkeys(self.keys, "") | ({"is_primary": True} if self.primary else {})]
        return rows

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial) != self.to_python(data)


def split_tags(text: str) -> list[str]:
    """Tag names from `VIP, North، Gold` (English and Persian commas)."""
    seen: list[str] = []
    for part in TAG_SPLIT.split(text or ""):
        name = " ".join(part.split())
        if name and name not in seen:
            seen.append(name)
    return seen


class TagsField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Tags"))
        kwargs.setdefault("help_text", _("Separate tags with commas."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "off", "list": "pv-tag-names", "data-tag-input": ""})


class RecordChoiceField(forms.TypedChoiceField):
    """A select of records by id; any id is accepted here and resolved (within the member's reach) by the
    form's clean method, so a long list can show only some options."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("empty_value", None)
        super().__init__(**kwargs)

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


def set_choices(form: forms.Form, name: str, choices: Iterable[tuple[Any, Any]]) -> None:
    """Give a choice input of `form` its options (built per request: tags, members, stages…)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = list(choices)


def member_choices(members: Iterable[Membership], blank: Any = "—") -> list[tuple[Any, Any]]:
    return [("", blank), *((m.pk, m.user.display_name) for m in members)]


def label_choices(value: str) -> list[tuple[str, Any]]:
    """The labels offered for an e-mail or phone, keeping one typed elsewhere (API, import)."""
    choices: list[tuple[str, Any]] = [("", "—"), *POINT_LABELS.items()]
    if value and value not in POINT_LABELS:
        choices.append((value, value))
    return choices


# ----------------------------------------------------------------------------- custom fields


def custom_form_field(
    definition: CustomField, members: list[Membership], *, for_filter: bool = False
) -> forms.Field:
    """The input for one custom field (the services clean the value)."""
    kind = definition.field_type
    common: dict[str, Any] = {"label": definition.label, "required": False}
    if not for_filter:
        common["help_text"] = definition.help_text
    options = [(str(o.get("value")), o.get("label") or o.get("value")) for o in definition.choices]
    if kind == CustomFieldType.LONG_TEXT and not for_filter:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == CustomFieldType.DATE:
        return CalendarDateField(**common)
    if kind == CustomFieldType.DATETIME:
        return forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common)
    if kind == CustomFieldType.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common)
    if kind == CustomFieldType.CHOICE or (kind == CustomFieldType.MULTI_CHOICE and for_filter):
        return forms.ChoiceField(choices=[("", "—"), *options], **common)
    if kind == CustomFieldType.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=options,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            **common,
        )
    if kind == CustomFieldType.MEMBER:
        return forms.ChoiceField(choices=member_choices(members), **common)
    attrs: dict[str, str] = {}
    if kind in (CustomFieldType.NUMBER, CustomFieldType.MONEY):
        attrs = {"inputmode": "decimal", "dir": "ltr"}
    elif kind in (CustomFieldType.URL, CustomFieldType.EMAIL):
        attrs = {"dir": "ltr", "inputmode": "url" if kind == CustomFieldType.URL else "email"}
    elif kind == CustomFieldType.PHONE:
        attrs = {"dir": "ltr", "inputmode": "tel"}
    return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)


def custom_initial(definition: CustomField, value: Any) -> Any:
    """A stored custom value in the form its input shows."""
    if value is None:
        return None
    kind = definition.field_type
    if kind == CustomFieldType.DATE and isinstance(value, str):
        return parse_date(value)
    if kind == CustomFieldType.DATETIME and isinstance(value, str):
        moment = parse_datetime(value)
        return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else value
    if kind == CustomFieldType.BOOLEAN:
        return "true" if value else "false"
    if kind == CustomFieldType.MULTI_CHOICE:
        return [str(v) for v in value] if isinstance(value, list) else []
    return str(value)


def custom_raw(definition: CustomField, value: Any) -> Any:
    """A cleaned form value as the services take it (empty clears)."""
    if value in (None, "", []):
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class RecordForm(forms.Form):
    """Shared by the contact and company forms: field rules, custom fields, tags and error placement."""

    entity = ""
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Service error keys that name a differently called input.
    ERROR_FIELDS: Mapping[str, str] = {}

    def __init__(
        self,
        data: Any = None,
        *,
        record: Any = None,
        definitions: list[CustomField],
        members: list[Membership],
        hidden: set[str],
        read_only: set[str],
        region: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.record = record
        self.region = region  # the workspace's country: national phone numbers are shown and read for it
        self.definitions = [d for d in definitions if d.path not in hidden]
        self.members = members
        for definition in self.definitions:
            self.fields[definition.path] = custom_form_field(definition, members)
        for name in list(self.fields):
            if self.rule_of(name) in hidden:
                del self.fields[name]
            elif self.rule_of(name) in read_only and name != "expected_version":
                self.fields[name].disabled = True
        if record is not None:  # also for bound forms: disabled (read-only) inputs show it
            self.initial.setdefault("expected_version", record.version)
            for definition in self.definitions:
                self.initial[definition.path] = custom_initial(definition, record.custom.get(definition.key))

    @staticmethod
    def rule_of(name: str) -> str:
        """The field-rule name of an input (`social_telegram` → `social`)."""
        if name.startswith("social_"):
            return "social"
        return name

    def custom_fields(self) -> list[forms.BoundField]:
        return [self[d.path] for d in self.definitions if d.path in self.fields]

    def editable(self, name: str) -> bool:
        return name in self.fields and not self.fields[name].disabled

    def custom_changes(self) -> dict[str, Any]:
        return {
            d.key: custom_raw(d, self.cleaned_data.get(d.path))
            for d in self.definitions
            if self.editable(d.path)
        }

    def error_target(self, name: str) -> str | None:
        """Where a service's error about `name` is shown (None: at the top of the form)."""
        name = self.ERROR_FIELDS.get(name, name)
        if name.endswith("_id") and name[:-3] in self.fields:
            name = name[:-3]
        return name if name in self.fields else None
