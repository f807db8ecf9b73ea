"""The filter panels of the contact and company lists. They only draw the inputs: the query string is read
by `selectors.parse_filters`, the same parser as the API's, so a list URL is the filter."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Membership
from peyvand.contacts.choices import Consent
from peyvand.contacts.forms.common import custom_form_field, member_choices, set_choices
from peyvand.contacts.forms.pickers import CompanyPickerField, RecordLookup, bind_picker
from peyvand.contacts.models import LifecycleStage
from peyvand.core.forms_fields import CalendarDateField
from peyvand.core.models import CustomField, CustomFieldType, Tag

RANGE_TYPES = (CustomFieldType.NUMBER, CustomFieldType.MONEY, CustomFieldType.DATE)
TEXT_TYPES = (CustomFieldType.TEXT, CustomFieldType.LONG_TEXT, CustomFieldType.URL, CustomFieldType.EMAIL)
CONSENT_FILTER = [
    ("", _("Any")),
    (Consent.GRANTED.value, Consent.GRANTED.label),
    (Consent.WITHDRAWN.value, Consent.WITHDRAWN.label),
    ("unknown", Consent.UNKNOWN.label),
]


class ListFilterForm(forms.Form):
    """Search, tags, owner, dates and custom fields; each input named like its query parameter."""

    MAIN: tuple[str, ...] = ("search", "tag", "owner")
    search = forms.CharField(label=_("Search"), required=False, max_length=200)
    tag = forms.MultipleChoiceField(label=_("Tags"), required=False, choices=())
    tags_mode = forms.ChoiceField(
        label=_("Tags to match"),
        required=False,
        choices=[("", _("Any of them")), ("all", _("All of them"))],
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False, choices=())
    created_from = CalendarDateField(label=_("Created from"), required=False)
    created_to = CalendarDateField(label=_("Created until"), required=False)
    updated_from = CalendarDateField(label=_("Updated from"), required=False)
    updated_to = CalendarDateField(label=_("Updated until"), required=False)

    RULES: dict[str, str] = {"tag": "tags", "tags_mode": "tags", "owner": "owner"}

    def __init__(
        self,
        data: Any,
        *,
        tags: Iterable[Tag],
        members: Iterable[Membership],
        definitions: Iterable[CustomField],
        hidden: set[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        members = list(members)
        self.fields["search"].widget.attrs.update({"type": "search", "autocomplete": "off"})
        set_choices(self, "tag", [(t.pk, t.name) for t in tags])
        self.fields["tag"].widget.attrs["size"] = 3
        set_choices(
            self,
            "owner",
            [
                ("", _("Anyone")),
                ("me", _("Me")),
                ("none", _("Unassigned")),
                *member_choices(members)[1:],
            ],
        )
        for definition in definitions:
            if definition.path in hidden:
                continue
            kind = definition.field_type
            if kind in RANGE_TYPES:
                low = custom_form_field(definition, members, for_filter=True)
                high = custom_form_field(definition, members, for_filter=True)
                low.label = _("%(field)s from") % {"field": definition.label}
                high.label = _("%(field)s until") % {"field": definition.label}
                self.fields[f"{definition.path}__gte"] = low
                self.fields[f"{definition.path}__lte"] = high
            elif kind in TEXT_TYPES:
                self.fields[f"{definition.path}__contains"] = custom_form_field(
                    definition, members, for_filter=True
                )
            elif kind != CustomFieldType.DATETIME:
                self.fields[definition.path] = custom_form_field(definition, members, for_filter=True)
        for name, rule in self.RULES.items():
            if rule in hidden:
                self.fields.pop(name, None)

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN if name in self.fields]

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in self.MAIN]

    def is_filtered(self) -> bool:
        """Whether any input of the panel is in use (the "more filters" part then opens by itself)."""
        return any(self.data.get(name) for name in self.fields if name not in (*self.MAIN, "tags_mode"))


class ContactFilterForm(ListFilterForm):
    MAIN = ("search", "tag", "owner", "lifecycle")
    lifecycle = forms.ChoiceField(label=_("Lifecycle stage"), required=False, choices=())
    company = CompanyPickerField(label=_("Company"), empty_label=_("Any"))
    source = forms.CharField(label=_("Source"), required=False, max_length=100)
    email_consent = forms.ChoiceField(label=_("E-mail consent"), required=False, choices=CONSENT_FILTER)
    sms_consent = forms.ChoiceField(label=_("SMS consent"), required=False, choices=CONSENT_FILTER)
    birthday = forms.BooleanField(
        label=_("Birthday this month"),
        required=False,
        widget=forms.CheckboxInput(attrs={"value": "this_month"}),
    )

    RULES = {
        **ListFilterForm.RULES,
        "lifecycle": "lifecycle_stage",
        "company": "company",
        "source": "source",
        "email_consent": "email_consent",
        "sms_consent": "sms_consent",
        "birthday": "birthday",
    }

    def __init__(
        self,
        data: Any,
        *,
        stages: Iterable[LifecycleStage],
        company_lookup: RecordLookup,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        if "lifecycle" in self.fields:
            set_choices(self, "lifecycle", [("", _("Any")), *((s.pk, s.label) for s in stages)])
        bind_picker(self, "company", company_lookup)
