"""API shapes of contacts, companies, notes, tags, custom fields and the lifecycle list.

Request bodies refuse unknown fields (InSchema). Output fields a role hides (field rules) come back as null;
hidden custom fields are left out of `custom`. Values are checked by the services, so the web forms, the API
and imports give the same messages; the schemas only fix the shapes.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import BeforeValidator, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from peyvand.accounts.schemas import AuditEventOut
from peyvand.core.api import ErrorOut, InSchema, OutSchema, QueryIn

MAX_BULK = 1000

# ---------------------------------------------------------------- shared pieces


class RefOut(OutSchema):
    """Another record named by a contact or company (its company, owner, parent)."""

    id: int
    name: str


class StageRefOut(OutSchema):
    id: int
    key: str
    label: str


class TagBriefOut(OutSchema):
    id: int
    name: str
    color: str


class EmailOut(OutSchema):
    email: str
    label: str
    is_primary: bool


class PhoneOut(OutSchema):
    number: str = Field(description="E.164, e.g. +989121234567")
    label: str
    is_primary: bool


class AddressOut(OutSchema):
    label: str = ""
    street: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""


class EmailIn(InSchema):
    email: str = Field(max_length=254)
    label: str = Field("", max_length=20)
    is_primary: bool = False


class PhoneIn(InSchema):
    number: str = Field(
        max_length=40,
        description="In any digits; national numbers are read with the workspace's country.",
    )
    label: str = Field("", max_length=20)
    is_primary: bool = False


class AddressIn(InSchema):
    label: str = Field("", max_length=200)
    street: str = Field("", max_length=200)
    city: str = Field("", max_length=200)
    region: str = Field("", max_length=200)
    postal_code: str = Field("", max_length=200)
    country: str = Field("", max_length=200)


def _point(key: str) -> Any:
    """Let a list item be a plain string: `"a@example.com"` reads as `{"email": "a@example.com"}`."""
    return BeforeValidator(lambda value: {key: value} if isinstance(value, str) else value)


# Items of the lists of e-mails and phones: objects, or plain strings (documented in the field description).
EmailItem = Annotated[EmailIn, _point("email")]
PhoneItem = Annotated[PhoneIn, _point("number")]


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value


# ---------------------------------------------------------------- contacts


class ContactOut(OutSchema):
    """A contact. Fields the caller's role hides are null; hidden custom fields are absent from `custom`."""

    id: int
    version: int
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    email: str | None = Field(None, description="The primary e-mail address.")
    phone: str | None = Field(None, description="The primary phone number (E.164).")
    emails: list[EmailOut] | None = None
    phones: list[PhoneOut] | None = None
    job_title: str | None = None
    company: RefOut | None = None
    owner: RefOut | None = None
    birthday: datetime.date | None = None
    anniversary: datetime.date | None = None
    addresses: list[AddressOut] | None = None
    website: str | None = None
    social: dict[str, str] | None = None
    preferred_language: str | None = None
    preferred_channel: str | None = None
    lifecycle_stage: StageRefOut | None = None
    source: str | None = None
    email_consent: str | None = None
    email_consent_at: datetime.datetime | None = None
    email_consent_source: str | None = None
    sms_consent: str | None = None
    sms_consent_at: datetime.datetime | None = None
    sms_consent_source: str | None = None
    tags: list[TagBriefOut] | None = None
    custom: dict[str, Any] = {}
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ContactPageOut(OutSchema):
    items: list[ContactOut]
    next_cursor: str | None
    total: int | None = Field(None, description="The number of matching contacts, with `with_total=true`.")


_CONSENT = "One of: granted, withdrawn, or empty (not asked)."
_CHANNEL = "One of: email, phone, sms, telegram, whatsapp, line, instagram, or empty."


class ContactIn(InSchema):
    """A new contact: a name, an e-mail address or a phone number is required."""

    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    emails: list[EmailItem] = Field(
        [], description="Addresses as objects or plain strings; the first is primary unless one says so."
    )
    phones: list[PhoneItem] = Field(
        [], description="Numbers as objects or plain strings; the first is primary unless one says so."
    )
    job_title: str = Field("", max_length=150)
    company_id: int | None = None
    owner_id: int | None = Field(None, description="Defaults to the caller; another member needs `assign`.")
    birthday: datetime.date | None = None
    anniversary: datetime.date | None = None
    addresses: list[AddressIn] = []
    website: str = Field("", max_length=500)
    social: dict[str, str] = Field({}, description="telegram, instagram, whatsapp, line, linkedin.")
    preferred_language: str = Field("", max_length=8)
    preferred_channel: str = Field("", max_length=12, description=_CHANNEL)
    lifecycle_stage_id: int | None = None
    source: str = Field("", max_length=100)
    email_consent: str = Field("", max_length=10, description=_CONSENT)
    email_consent_at: datetime.datetime | None = None
    email_consent_source: str = Field("", max_length=200)
    sms_consent: str = Field("", max_length=10, description=_CONSENT)
    sms_consent_at: datetime.datetime | None = None
    sms_consent_source: str = Field("", max_length=200)
    tags: list[str] = Field([], description="Tag names; missing tags are created (if the role may).")
    custom: dict[str, Any] = Field({}, description="Custom field values by key.")

    @field_validator("email_consent_at", "sms_consent_at")
    @classmethod
    def _consent_times(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return _aware(value)


class ContactPatchIn(InSchema):
    """Only the fields sent change. `emails`, `phones` and `tags` replace the whole list; `custom` changes
    only the keys sent (null clears one); null clears any other field."""

    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    emails: list[EmailItem] | None = None
    phones: list[PhoneItem] | None = None
    job_title: str | None = Field(None, max_length=150)
    company_id: int | None = None
    owner_id: int | None = None
    birthday: datetime.date | None = None
    anniversary: datetime.date | None = None
    addresses: list[AddressIn] | None = None
    website: str | None = Field(None, max_length=500)
    social: dict[str, str] | None = None
    preferred_language: str | None = Field(None, max_length=8)
    preferred_channel: str | None = Field(None, max_length=12, description=_CHANNEL)
    lifecycle_stage_id: int | None = None
    source: str | None = Field(None, max_length=100)
    email_consent: str | None = Field(None, max_length=10, description=_CONSENT)
    email_consent_at: datetime.datetime | None = None
    email_consent_source: str | None = Field(None, max_length=200)
    sms_consent: str | None = Field(None, max_length=10, description=_CONSENT)
    sms_consent_at: datetime.datetime | None = None
    sms_consent_source: str | None = Field(None, max_length=200)
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None
    expected_version: int | None = None

    @field_validator("email_consent_at", "sms_consent_at")
    @classmethod
    def _consent_times(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        return _aware(value)


class ListQuery(QueryIn):
    """Filters shared by the contact and company lists. Besides these, `custom.<key>=value` filters by a
    custom field, with `custom.<key>__contains`, `__gte`, `__lte`, `__empty` and `__has` (multiple choice)."""

    search: str | None = Field(None, description="Names, e-mails, phones (any digits), company, custom.")
    tag: list[str] | None = Field(None, description="Tag ids (repeat or comma-separate).")
    tags_mode: str | None = Field(None, description="any (default) or all.")
    not_tag: list[str] | None = Field(None, description="Tag ids the records must not have.")
    owner: list[str] | None = Field(None, description="Member ids, `me` or `none` (unowned).")
    created_from: str | None = None
    created_to: str | None = None
    updated_from: str | None = None
    updated_to: str | None = None
    ordering: str | None = Field(
        None, description="name (default), -name, created_at, -created_at, updated_at, -updated_at."
    )
    view: int | None = Field(
        None,
        description="A saved view (`/saved-views`) whose filters and order apply; every other parameter "
        "given replaces the view's values of that name (an empty one, such as `tag=`, clears the view's "
        "filter).",
    )
    limit: int | None = None
    cursor: str | None = None
    with_total: bool = False


class ContactListQuery(ListQuery):
    lifecycle: list[str] | None = Field(None, description="Lifecycle stage ids.")
    company: str | None = Field(None, description="Company id.")
    source: str | None = None
    email_consent: str | None = Field(None, description="granted, withdrawn or unknown.")
    sms_consent: str | None = Field(None, description="granted, withdrawn or unknown.")
    birthday: str | None = Field(None, description="`this_month` (in the workspace's calendar).")


# ---------------------------------------------------------------- companies


class CompanyOut(OutSchema):
    """A company. Fields the caller's role hides are null; hidden custom fields are absent from `custom`."""

    id: int
    version: int
    name: str | None = None
    legal_name: str | None = None
    domain: str | None = None
    website: str | None = None
    industry: str | None = None
    employees: int | None = None
    annual_revenue: decimal.Decimal | None = None
    company_type: str | None = None
    parent: RefOut | None = None
    owner: RefOut | None = None
    phones: list[PhoneOut] | None = None
    addresses: list[AddressOut] | None = None
    description: str | None = None
    tags: list[TagBriefOut] | None = None
    custom: dict[str, Any] = {}
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CompanyPageOut(OutSchema):
    items: list[CompanyOut]
    next_cursor: str | None
    total: int | None = Field(None, description="The number of matching companies, with `with_total=true`.")


_COMPANY_TYPE = "One of: prospect, customer, partner, supplier, competitor, or empty."


class CompanyIn(InSchema):
    name: str = Field(max_length=200)
    legal_name: str = Field("", max_length=200)
    domain: str = Field("", max_length=253, description="Taken from the website when not given.")
    website: str = Field("", max_length=500)
    industry: str = Field("", max_length=100)
    employees: int | None = Field(None, ge=0)
    annual_revenue: decimal.Decimal | None = Field(None, ge=0)
    company_type: str = Field("", max_length=12, description=_COMPANY_TYPE)
    parent_id: int | None = None
    owner_id: int | None = Field(None, description="Defaults to the caller; another member needs `assign`.")
    phones: list[PhoneItem] = Field([], description="Numbers as objects or plain strings.")
    addresses: list[AddressIn] = []
    description: str = Field("", max_length=20000)
    tags: list[str] = []
    custom: dict[str, Any] = {}


class CompanyPatchIn(InSchema):
    """Only the fields sent change (`phones` and `tags` replace the list; `custom` the keys sent)."""

    name: str | None = Field(None, max_length=200)
    legal_name: str | None = Field(None, max_length=200)
    domain: str | None = Field(None, max_length=253)
    website: str | None = Field(None, max_length=500)
    industry: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, ge=0)
    annual_revenue: decimal.Decimal | None = Field(None, ge=0)
    company_type: str | None = Field(None, max_length=12, description=_COMPANY_TYPE)
    parent_id: int | None = None
    owner_id: int | None = None
    phones: list[PhoneItem] | None = None
    addresses: list[AddressIn] | None = None
    description: str | None = Field(None, max_length=20000)
    tags: list[str] | None = None
    custom: dict[str, Any] | None = None
    expected_version: int | None = None


# ---------------------------------------------------------------- bulk


class _BulkItem(InSchema):
    """One item of a bulk call: exactly one of `create` or `id` + `update`."""

    id: int | None = None
    expected_version: int | None = None

    @model_validator(mode="after")
    def _one_operation(self) -> Any:
        create, update = getattr(self, "create", None), getattr(self, "update", None)
        if (create is None) == (update is None) or (update is not None and self.id is None):
            message = str(_("Send either “create”, or “id” with “update”."))
            raise PydanticCustomError("bulk_item", message)
        if create is not None and (self.id is not None or self.expected_version is not None):
            raise PydanticCustomError("bulk_item", str(_("“create” takes no “id” or “expected_version”.")))
        return self


class ContactBulkItemIn(_BulkItem):
    """Either `{"create": {...}}` or `{"id": N, "update": {...}, "expected_version": V}`."""

    create: ContactIn | None = None
    update: ContactPatchIn | None = None


class ContactBulkIn(InSchema):
    items: list[ContactBulkItemIn] = Field(max_length=MAX_BULK)


class CompanyBulkItemIn(_BulkItem):
    """Either `{"create": {...}}` or `{"id": N, "update": {...}, "expected_version": V}`."""

    create: CompanyIn | None = None
    update: CompanyPatchIn | None = None


class CompanyBulkIn(InSchema):
    items: list[CompanyBulkItemIn] = Field(max_length=MAX_BULK)


class BulkResultOut(Schema):
    """One item's outcome: 201 created / 200 updated with the record, or a 4xx with the error envelope."""

    index: int
    status: int
    id: int | None = None
    version: int | None = None
    error: ErrorOut | None = None


class ContactBulkResultOut(BulkResultOut):
    record: ContactOut | None = None


class CompanyBulkResultOut(BulkResultOut):
    record: CompanyOut | None = None


class ContactBulkOut(Schema):
    results: list[ContactBulkResultOut]


class CompanyBulkOut(Schema):
    results: list[CompanyBulkResultOut]


# ---------------------------------------------------------------- notes and timeline


class NoteOut(Schema):
    id: int
    version: int
    body: str
    author: RefOut | None = None
    contact_id: int | None = None
    company_id: int | None = None
    created_at: datetime.datetime
    updated_at: datetime.datetime


class NotePageOut(Schema):
    items: list[NoteOut]
    next_cursor: str | None


class NoteIn(InSchema):
    body: str = Field(min_length=1, max_length=20000)


class NotePatchIn(InSchema):
    body: str = Field(min_length=1, max_length=20000)
    expected_version: int | None = None


class TimelineItemOut(Schema):
    """A note (`kind` "note") or an audited change (`kind` "audit"), newest first."""

    kind: str
    at: datetime.datetime
    note: NoteOut | None = None
    audit: AuditEventOut | None = None


class TimelineQuery(QueryIn):
    limit: int | None = Field(None, description="How many items (1-200, default 50).")


class PageQuery(QueryIn):
    limit: int | None = None
    cursor: str | None = None


# ---------------------------------------------------------------- tags


class TagOut(Schema):
    id: int
    name: str
    color: str
    version: int
    usage: dict[str, int] = Field(description="How many records of each kind carry the tag.")
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TagPageOut(Schema):
    items: list[TagOut]
    next_cursor: str | None


class TagQuery(PageQuery):
    search: str | None = None


class TagIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    color: str | None = Field(None, max_length=7, description="#rrggbb; picked from the palette if empty.")


class TagPatchIn(InSchema):
    name: str | None = Field(None, min_length=1, max_length=60)
    color: str | None = Field(None, max_length=7)
    expected_version: int | None = None


class TagMergeIn(InSchema):
    source_ids: list[int] = Field(min_length=1, max_length=100)
    target_id: int


# ---------------------------------------------------------------- custom fields


class OptionOut(Schema):
    value: str
    label: str


class OptionIn(InSchema):
    value: str = Field("", max_length=60)
    label: str = Field(max_length=100)


OptionItem = Annotated[OptionIn, _point("label")]


class CustomFieldOut(Schema):
    id: int
    version: int
    entity: str
    key: str
    label: str
    field_type: str
    required: bool
    choices: list[OptionOut]
    help_text: str
    searchable: bool
    position: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted_at: datetime.datetime | None = None


class CustomFieldPageOut(Schema):
    items: list[CustomFieldOut]
    next_cursor: str | None


class CustomFieldQuery(PageQuery):
    entity: str | None = Field(None, description="contact or company.")


_FIELD_TYPES = (
    "text, long_text, number, money, date, datetime, boolean, choice, multi_choice, url, email, phone, "
    "member."
)


class CustomFieldIn(InSchema):
    entity: str = Field(max_length=20, description="contact or company.")
    label: str = Field(max_length=80)
    field_type: str = Field(max_length=16, description=_FIELD_TYPES)
    key: str | None = Field(None, max_length=40, description="Made from the label when not given; fixed.")
    required: bool = False
    choices: list[OptionItem] = Field([], description="Options of choice fields (objects or labels).")
    help_text: str = Field("", max_length=200)
    searchable: bool = False
    position: int | None = Field(None, ge=0)


class CustomFieldPatchIn(InSchema):
    label: str | None = Field(None, max_length=80)
    required: bool | None = None
    choices: list[OptionItem] | None = None
    help_text: str | None = Field(None, max_length=200)
    searchable: bool | None = None
    position: int | None = Field(None, ge=0)
    expected_version: int | None = None


# ---------------------------------------------------------------- lifecycle list


class LifecycleStageOut(Schema):
    id: int
    key: str
    name: str
    label: str
    position: int
    version: int


class LifecycleStagePageOut(Schema):
    items: list[LifecycleStageOut]
    next_cursor: str | None


class LifecycleStageIn(InSchema):
    name: str = Field(min_length=1, max_length=60)
    position: int | None = Field(None, ge=0)


class LifecycleStagePatchIn(InSchema):
    name: str | None = Field(None, min_length=1, max_length=60)
    position: int | None = Field(None, ge=0)
    expected_version: int | None = None


# ---------------------------------------------------------------- exports


class _ExportParameters(Schema):
    """What an export adds to a list's filters. Paging parameters do not apply: an export holds every
    matching row the caller may export."""

    limit: SkipJsonSchema[int | None] = None
    cursor: SkipJsonSchema[str | None] = None
    with_total: SkipJsonSchema[bool] = False
    columns: list[str] | None = Field(
        None,
        description="Columns after the id and name columns, as in the web list (repeat or comma-separate; "
        "custom fields as `custom.<key>`). Absent: every field the caller may see.",
    )
    view: int | None = Field(
        None, description="A saved view whose filters, order and columns apply; other parameters override it."
    )


class ContactExportQuery(_ExportParameters, ContactListQuery):
    format: str = Field("csv", description="csv (UTF-8 with BOM), xlsx or vcf (vCard 4.0).")


class CompanyExportQuery(_ExportParameters, ListQuery):
    format: str = Field("csv", description="csv (UTF-8 with BOM) or xlsx.")
