"""The contact and company forms (full edit and the list's quick create)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from peyvand.accounts.models import Language, Membership
from peyvand.contacts.choices import SOCIAL_NETWORKS, CompanyType, Consent, PreferredChannel
from peyvand.contacts.forms.common import (
    ADDRESS_PARTS,
    RecordChoiceField,
    RecordForm,
    RowsField,
    TagsField,
    member_choices,
    set_choices,
    split_tags,
)
from peyvand.contacts.forms.pickers import CompanyPickerField, RecordLookup, bind_picker
from peyvand.contacts.models import Company, Contact, LifecycleStage
from peyvand.core.contactpoints import format_phone
from peyvand.core.forms_fields import CalendarDateField

# ----------------------------------------------------------------------------- contacts


class ContactForm(RecordForm):
    entity = "contact"
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    emails = RowsField(
        label=_("E-mail addresses"), keys=("value", "label"), required_key="value", primary=True
    )
    phones = RowsField(label=_("Phone numbers"), keys=("value", "label"), required_key="value", primary=True)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    company = CompanyPickerField(label=_("Company"))
    owner = RecordChoiceField(label=_("Owner"))
    lifecycle_stage = RecordChoiceField(label=_("Lifecycle stage"))
    source = forms.CharField(label=_("Source"), max_length=100, required=False)
    tags = TagsField()
    birthday = CalendarDateField(label=_("Birthday"), required=False)
    anniversary = CalendarDateField(label=_("Anniversary"), required=False)
    website = forms.CharField(
        label=_("Website"), max_length=500, required=False, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    preferred_language = forms.ChoiceField(label=_("Preferred language"), required=False, choices=())
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), required=False, choices=PreferredChannel.choices
    )
    email_consent = forms.ChoiceField(label=_("E-mail consent"), required=False, choices=Consent.choices)
    sms_consent = forms.ChoiceField(label=_("SMS consent"), required=False, choices=Consent.choices)
    addresses = RowsField(label=_("Addresses"), keys=("label", *ADDRESS_PARTS), required_key="street")

    MODEL_FIELDS = (
        "first_name",
        "last_name",
        "job_title",
        "source",
        "birthday",
        "anniversary",
        "website",
        "preferred_language",
        "preferred_channel",
        "email_consent",
        "sms_consent",
    )
    TEXT_FIELDS = frozenset(MODEL_FIELDS) - {"birthday", "anniversary"}

    def __init__(
        self,
        data: Any = None,
        *,
        company_lookup: RecordLookup,
        stages: list[LifecycleStage],
        may_assign: bool,
        tag_names: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        contact: Contact | None = self.record
        region = self.region
        if contact is not None:
            company_lookup.keep(contact.company)  # the current company stays valid even out of sight
        bind_picker(self, "company", company_lookup)
        if "owner" in self.fields:
            set_choices(self, "owner", member_choices(self.members))
            if not may_assign:
                self.fields["owner"].disabled = True
        if "lifecycle_stage" in self.fields:
            set_choices(self, "lifecycle_stage", [("", "—"), *((s.pk, s.label) for s in stages)])
        if "preferred_language" in self.fields:
            current = contact.preferred_language if contact else ""
            choices: list[tuple[str, Any]] = [("", "—"), *Language.choices]
            if current and current not in Language.values:
                choices.append((current, current))
            set_choices(self, "preferred_language", choices)
        self.stages = stages
        if contact is not None:
            self.initial.update({name: getattr(contact, name) for name in self.MODEL_FIELDS})
            self.initial.update(
                {
                    "company": contact.company_id,
                    "owner": contact.owner_id,
                    "lifecycle_stage": contact.lifecycle_stage_id,
                    "emails": [
                        {"value": e.email, "label": e.label, "is_primary": e.is_primary}
                        for e in contact.emails.all()
                    ],
                    "phones": [
                        {
                            "value": format_phone(p.number, region),
                            "label": p.label,
                            "is_primary": p.is_primary,
                        }
                        for p in contact.phones.all()
                    ],
                    "addresses": contact.addresses,
                    "tags": ", ".join(tag_names or []),
                }
            )
            for network in SOCIAL_NETWORKS:
                self.initial[f"social_{network}"] = contact.social.get(network, "")

    def social_fields(self) -> list[forms.BoundField]:
        return [self[f"social_{n}"] for n in SOCIAL_NETWORKS if f"social_{n}" in self.fields]

    def clean_owner(self) -> Membership | None:
        owner_id = self.cleaned_data.get("owner")
        if owner_id is None:
            return None
        found = next((m for m in self.members if m.pk == owner_id), None)
        if found is None:
            raise forms.ValidationError(_("Choose an active member of this workspace."))
        return found

    def clean_lifecycle_stage(self) -> LifecycleStage | None:
        stage_id = self.cleaned_data.get("lifecycle_stage")
        if stage_id is None:
            return None
        found = next((s for s in self.stages if s.pk == stage_id), None)
        if found is None:
            raise forms.ValidationError(_("Unknown lifecycle stage."))
        return found

    ERROR_FIELDS = {"email_consent_at": "email_consent", "sms_consent_at": "sms_consent"}

    def error_target(self, name: str) -> str | None:
        if name == "social":
            fields = self.social_fields()
            return fields[0].name if fields else None
        return super().error_target(name)

    def changes(self) -> dict[str, Any]:
        """What the service gets: editable inputs only; on an edit, model fields only when they differ."""
        data = self.cleaned_data
        contact: Contact | None = self.record
        result: dict[str, Any] = {}
        for name in (*self.MODEL_FIELDS, "company", "owner", "lifecycle_stage"):
            if not self.editable(name):
                continue
            value = data.get(name)
            if name in self.TEXT_FIELDS:
                value = value or ""
            if contact is not None and getattr(contact, name) == value:
                continue
            result[name] = value
        if self.editable("emails"):
            result["emails"] = [
                {"email": r["value"], "label": r["label"], "is_primary": r["is_primary"]}
                for r in data["emails"]
            ]
        if self.editable("phones"):
            result["phones"] = [
                {"number": r["value"], "label": r["label"], "is_primary": r["is_primary"]}
                for r in data["phones"]
            ]
        if self.editable("addresses"):
            result["addresses"] = data["addresses"]
        if self.editable("tags"):
            result["tags"] = split_tags(data.get("tags", ""))
        if self.social_fields() and self.editable(self.social_fields()[0].name):
            result["social"] = {n: data[f"social_{n}"] for n in SOCIAL_NETWORKS if data.get(f"social_{n}")}
        custom = self.custom_changes()
        if custom:
            result["custom"] = custom
        if contact is None:
            result = {k: v for k, v in result.items() if v not in (None, "", [], {})}
        return result


for _network, _label in SOCIAL_NETWORKS.items():
    ContactForm.base_fields[f"social_{_network}"] = forms.CharField(
        label=_label, max_length=200, required=False, widget=forms.TextInput(attrs={"dir": "ltr"})
    )


class QuickContactForm(forms.Form):
    """The list page's quick create: a name, an e-mail, a phone."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    email = forms.CharField(
        label=_("E-mail"), max_length=254, required=False, widget=forms.EmailInput(attrs={"dir": "ltr"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "tel"}),
    )

    def __init__(self, *args: Any, hidden: set[str], read_only: set[str], **kwargs: Any) -> None:
        kwargs["prefix"] = "quick"
        super().__init__(*args, **kwargs)
        for name, rule in (
            ("email", "emails"),
            ("phone", "phones"),
            ("first_name", "first_name"),
            ("last_name", "last_name"),
        ):
            if rule in hidden or rule in read_only:
                del self.fields[name]

    def error_target(self, name: str) -> str | None:
        name = {"emails": "email", "phones": "phone"}.get(name, name)
        return name if name in self.fields else None

    def data_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
        }
        if data.get("email"):
            result["emails"] = [data["email"]]
        if data.get("phone"):
            result["phones"] = [data["phone"]]
        return result


# ----------------------------------------------------------------------------- companies


class CompanyForm(RecordForm):
    entity = "company"
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    domain = forms.CharField(
        label=_("Domain"), max_length=253, required=False, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    website = forms.CharField(
        label=_("Website"), max_length=500, required=False, widget=forms.TextInput(attrs={"dir": "ltr"})
    )
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    employees = forms.IntegerField(label=_("Employees"), required=False, min_value=0)
    annual_revenue = forms.DecimalField(
        label=_("Annual revenue"), required=False, max_digits=18, decimal_places=2, min_value=0
    )
    company_type = forms.ChoiceField(label=_("Type"), required=False, choices=CompanyType.choices)
    parent = CompanyPickerField(label=_("Parent company"))
    owner = RecordChoiceField(label=_("Owner"))
    phones = RowsField(label=_("Phone numbers"), keys=("value", "label"), required_key="value", primary=True)
    addresses = RowsField(label=_("Addresses"), keys=("label", *ADDRESS_PARTS), required_key="street")
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    tags = TagsField()

    MODEL_FIELDS = (
        "name",
        "legal_name",
        "domain",
        "website",
        "industry",
        "employees",
        "annual_revenue",
        "company_type",
        "description",
    )

    def __init__(
        self,
        data: Any = None,
        *,
        parent_lookup: RecordLookup,
        may_assign: bool,
        tag_names: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        company: Company | None = self.record
        region = self.region
        if company is not None:
            parent_lookup.keep(company.parent)  # the current parent stays valid even out of sight
        bind_picker(self, "parent", parent_lookup)
        if "owner" in self.fields:
            set_choices(self, "owner", member_choices(self.members))
            if not may_assign:
                self.fields["owner"].disabled = True
        if "employees" in self.fields:
            self.fields["employees"].widget.attrs.update({"inputmode": "numeric"})
        if company is not None:
            self.initial.update({name: getattr(company, name) for name in self.MODEL_FIELDS})
            self.initial.update(
                {
                    "parent": company.parent_id,
                    "owner": company.owner_id,
                    "phones": [
                        {
                            "value": format_phone(str(p.get("number", "")), region),
                            "label": p.get("label", ""),
                            "is_primary": p.get("is_primary"),
                        }
                        for p in company.phones
                    ],
                    "addresses": company.addresses,
                    "tags": ", ".join(tag_names or []),
                }
            )

    def clean_owner(self) -> Membership | None:
        owner_id = self.cleaned_data.get("owner")
        if owner_id is None:
            return None
        found = next((m for m in self.members if m.pk == owner_id), None)
        if found is None:
            raise forms.ValidationError(_("Choose an active member of this workspace."))
        return found

    def changes(self) -> dict[str, Any]:
        """What the service gets: editable inputs only; on an edit, model fields only when they differ."""
        data = self.cleaned_data
        company: Company | None = self.record
        result: dict[str, Any] = {}
        for name in (*self.MODEL_FIELDS, "parent", "owner"):
            if not self.editable(name):
                continue
            value = data.get(name)
            if name not in ("employees", "annual_revenue", "parent", "owner"):
                value = value or ""
            if company is not None and getattr(company, name) == value:
                continue
            result[name] = value
        if self.editable("phones"):
            result["phones"] = [
                {"number": r["value"], "label": r["label"], "is_primary": r["is_primary"]}
                for r in data["phones"]
            ]
        if self.editable("addresses"):
            result["addresses"] = data["addresses"]
        if self.editable("tags"):
            result["tags"] = split_tags(data.get("tags", ""))
        custom = self.custom_changes()
        if custom:
            result["custom"] = custom
        if company is None:
            result = {k: v for k, v in result.items() if v not in (None, "", [], {})}
        return result
