"""What the contacts screens show, shaped from records already loaded: list columns and their cells,
names that respect hidden fields and custom-field values with their option labels (the timeline is in
timeline.py).

Nothing here decides who may see a record (access/selectors do); it only leaves out hidden fields.
Formatting follows the request's calendar, digits and language (core.calendars).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.accounts.models import Membership
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.selectors import TagBrief
from peyvand.core import customfields
from peyvand.core.calendars import current_format, format_date, format_datetime, format_money, format_number
from peyvand.core.contactpoints import format_phone
from peyvand.core.models import CustomField, CustomFieldType
from peyvand.core.text import localize_digits


def list_separator() -> str:
    return "، " if translation.get_language() == "fa" else ", "


def phone_text(number: str, region: str) -> str:
    """A stored E.164 number as the reader expects it: national form at home, in their digits."""
    return localize_digits(format_phone(number, region), current_format().digits) if number else ""


def day_text(value: Any) -> str:
    if isinstance(value, datetime.date):
        return format_date(value, current_format())
    return ""


# ----------------------------------------------------------------------------- names


def contact_label(contact: Contact, hidden: set[str] | frozenset[str]) -> str:
    """The contact's name, as far as the reader may see it (then an e-mail, a phone, or its number)."""
    if not hidden:
        return str(contact)
    if "first_name" not in hidden and "last_name" not in hidden and contact.display_name:
        return contact.display_name
    names = [
        n
        for f, n in (("first_name", contact.first_name), ("last_name", contact.last_name))
        if f not in hidden
    ]
    text = " ".join(n for n in names if n)
    if text:
        return text
    if contact.email and "emails" not in hidden:
        return contact.email
    if contact.phone and "phones" not in hidden:
        return contact.phone
    return f"#{contact.pk}"


def member_names(workspace_id: int, ids: Iterable[Any]) -> dict[int, str]:
    wanted = {int(i) for i in ids if str(i).isascii() and str(i).isdigit()}
    if not wanted:
        return {}
    rows = Membership.objects.filter(workspace_id=workspace_id, pk__in=wanted).select_related("user")
    return {m.pk: m.user.display_name for m in rows}


# ----------------------------------------------------------------------------- custom fields


@dataclass
class CustomValue:
    definition: CustomField
    text: str
    href: str = ""
    ltr: bool = False


def custom_value(
    definition: CustomField, value: Any, *, members: dict[int, str], region: str, currency: str
) -> CustomValue:
    """One stored custom value for display (option labels for choices, the reader's calendar for dates)."""
    kind = definition.field_type
    if value is None or value == "" or value == []:
        return CustomValue(definition, "")
    ctx = current_format()
    if kind == CustomFieldType.DATE:
        day = parse_date(str(value)) if isinstance(value, str) else None
        return CustomValue(definition, format_date(day, ctx) if day else str(value))
    if kind == CustomFieldType.DATETIME:
        moment = parse_datetime(str(value)) if isinstance(value, str) else None
        return CustomValue(definition, format_datetime(moment, ctx) if moment else str(value))
    if kind in (CustomFieldType.NUMBER, CustomFieldType.MONEY) and isinstance(value, int | float):
        if kind == CustomFieldType.MONEY and currency:
            try:
                return CustomValue(definition, format_money(Decimal(str(value)), currency, ctx))
            except (InvalidOperation, ValueError):
                pass
        return CustomValue(definition, format_number(value, ctx))
    if kind == CustomFieldType.BOOLEAN:
        return CustomValue(definition, _("Yes") if value else _("No"))
    if kind == CustomFieldType.CHOICE:
        return CustomValue(definition, customfields.option_label(definition, value))
    if kind == CustomFieldType.MULTI_CHOICE and isinstance(value, list):
        labels = [customfields.option_label(definition, v) for v in value]
        return CustomValue(definition, list_separator().join(labels))
    if kind == CustomFieldType.MEMBER:
        return CustomValue(
            definition,
            members.get(int(value), f"#{value}") if str(value).isascii() and str(value).isdigit() else "",
        )
    if kind == CustomFieldType.URL:
        text = str(value)
        return CustomValue(definition, text, text if text.startswith(("http://", "https://")) else "", True)
    if kind == CustomFieldType.EMAIL:
        return CustomValue(definition, str(value), f"mailto:{value}", True)
    if kind == CustomFieldType.PHONE:
        return CustomValue(definition, phone_text(str(value), region), f"tel:{value}", True)
    return CustomValue(definition, str(value))


def custom_member_ids(definitions: Iterable[CustomField], records: Iterable[Any]) -> set[Any]:
    keys = [d.key for d in definitions if d.field_type == CustomFieldType.MEMBER]
    return {r.custom.get(k) for r in records for k in keys if r.custom.get(k) is not None}


# ----------------------------------------------------------------------------- list columns


@dataclass
class Cell:
    text: str = ""
    href: str = ""
    ltr: bool = False
    tags: list[TagBrief] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    rule: str | None = None  # the field rule that hides it
    sort: str | None = None  # the ordering it sorts by
    cell: Callable[[Any, RowContext], Cell] | None = None


@dataclass
class RowContext:
    region: str
    currency: str
    members: dict[int, str]
    tags: dict[int, list[TagBrief]]
    definitions: dict[str, CustomField]
    companies: set[int] = field(default_factory=set)  # the linked companies shown (access.shown_company_ids)


@dataclass
class Row:
    record: Any
    label: str
    cells: list[Cell]


def _text(getter: Callable[[Any], Any]) -> Callable[[Any, RowContext], Cell]:
    return lambda record, ctx: Cell(text=str(getter(record) or ""))


def _moment(name: str) -> Callable[[Any, RowContext], Cell]:
    return lambda record, ctx: Cell(text=day_text(getattr(record, name)))


def _owner(record: Any, ctx: RowContext) -> Cell:
    return Cell(text=record.owner.user.display_name if record.owner_id and record.owner else "")


def _tags(record: Any, ctx: RowContext) -> Cell:
    return Cell(tags=ctx.tags.get(record.pk, []))


def _company_cell(company: Company | None, ctx: RowContext) -> Cell:
    """A linked company, as the API and exports show it: only one the member may see, not in the bin."""
    if company is None or company.pk not in ctx.companies:
        return Cell()
    return Cell(text=company.name, href=reverse("contacts:company_detail", args=[company.pk]))


def _contact_company(contact: Contact, ctx: RowContext) -> Cell:
    return _company_cell(contact.company if contact.company_id else None, ctx)


def _parent(company: Company, ctx: RowContext) -> Cell:
    return _company_cell(company.parent if company.parent_id else None, ctx)


def _email(contact: Contact, ctx: RowContext) -> Cell:
    return Cell(text=contact.email, href=f"mailto:{contact.email}" if contact.email else "", ltr=True)


def _phone(contact: Contact, ctx: RowContext) -> Cell:
    return Cell(
        text=phone_text(contact.phone, ctx.region),
        href=f"tel:{contact.phone}" if contact.phone else "",
        ltr=True,
    )


def _company_phone(company: Company, ctx: RowContext) -> Cell:
    phones = sorted(company.phones or [], key=lambda p: not p.get("is_primary"))
    number = str(phones[0].get("number", "")) if phones else ""
    return Cell(text=phone_text(number, ctx.region), href=f"tel:{number}" if number else "", ltr=True)


def _revenue(company: Company, ctx: RowContext) -> Cell:
    if company.annual_revenue is None:
        return Cell()
    if ctx.currency:
        return Cell(text=format_money(company.annual_revenue, ctx.currency, current_format()))
    return Cell(text=format_number(company.annual_revenue, current_format()))


def _number(name: str) -> Callable[[Any, RowContext], Cell]:
    def cell(record: Any, ctx: RowContext) -> Cell:
        value = getattr(record, name)
        return Cell(text=format_number(value, current_format()) if value is not None else "")

    return cell


def _custom_cell(key: str) -> Callable[[Any, RowContext], Cell]:
    def cell(record: Any, ctx: RowContext) -> Cell:
        definition = ctx.definitions[key]
        shown = custom_value(
            definition, record.custom.get(key), members=ctx.members, region=ctx.region, currency=ctx.currency
        )
        return Cell(text=shown.text, href=shown.href, ltr=shown.ltr)

    return cell


CONTACT_COLUMNS = (
    Column("email", gettext_lazy("E-mail"), "emails", cell=_email),
    Column("phone", gettext_lazy("Phone"), "phones", cell=_phone),
    Column("company", gettext_lazy("Company"), "company", cell=_contact_company),
    Column("job_title", gettext_lazy("Job title"), "job_title", cell=_text(lambda c: c.job_title)),
    Column("owner", gettext_lazy("Owner"), "owner", cell=_owner),
    Column(
        "lifecycle_stage",
        gettext_lazy("Lifecycle stage"),
        "lifecycle_stage",
        cell=_text(lambda c: c.lifecycle_stage.label if c.lifecycle_stage_id and c.lifecycle_stage else ""),
    ),
    Column("source", gettext_lazy("Source"), "source", cell=_text(lambda c: c.source)),
    Column("tags", gettext_lazy("Tags"), "tags", cell=_tags),
    Column(
        "email_consent",
        gettext_lazy("E-mail consent"),
        "email_consent",
        cell=_text(lambda c: c.get_email_consent_display() if c.email_consent else ""),
    ),
    Column(
        "sms_consent",
        gettext_lazy("SMS consent"),
        "sms_consent",
        cell=_text(lambda c: c.get_sms_consent_display() if c.sms_consent else ""),
    ),
    Column("birthday", gettext_lazy("Birthday"), "birthday", cell=_moment("birthday")),
    Column("created_at", gettext_lazy("Created"), sort="created_at", cell=_moment("created_at")),
    Column("updated_at", gettext_lazy("Updated"), sort="updated_at", cell=_moment("updated_at")),
)
CONTACT_DEFAULT_COLUMNS = ("email", "phone", "company", "owner", "lifecycle_stage", "tags", "updated_at")

COMPANY_COLUMNS = (
    Column("domain", gettext_lazy("Domain"), "domain", cell=lambda c, ctx: Cell(text=c.domain, ltr=True)),
    Column(
        "website",
        gettext_lazy("Website"),
        "website",
        cell=lambda c, ctx: Cell(text=c.website, href=c.website, ltr=True),
    ),
    Column("industry", gettext_lazy("Industry"), "industry", cell=_text(lambda c: c.industry)),
    Column(
        "company_type",
        gettext_lazy("Type"),
        "company_type",
        cell=_text(lambda c: c.get_company_type_display() if c.company_type else ""),
    ),
    Column("phone", gettext_lazy("Phone"), "phones", cell=_company_phone),
    Column("employees", gettext_lazy("Employees"), "employees", cell=_number("employees")),
    Column("annual_revenue", gettext_lazy("Annual revenue"), "annual_revenue", cell=_revenue),
    Column("parent", gettext_lazy("Parent company"), "parent", cell=_parent),
    Column("owner", gettext_lazy("Owner"), "owner", cell=_owner),
    Column("tags", gettext_lazy("Tags"), "tags", cell=_tags),
    Column("created_at", gettext_lazy("Created"), sort="created_at", cell=_moment("created_at")),
    Column("updated_at", gettext_lazy("Updated"), sort="updated_at", cell=_moment("updated_at")),
)
COMPANY_DEFAULT_COLUMNS = ("domain", "industry", "phone", "owner", "tags", "updated_at")


def available_columns(
    fixed: Iterable[Column], definitions: Iterable[CustomField], hidden: set[str]
) -> list[Column]:
    """The columns a reader may choose: fixed ones whose field is not hidden, then the custom fields."""
    columns = [c for c in fixed if c.rule is None or c.rule not in hidden]
    columns.extend(
        Column(d.path, d.label, d.path, cell=_custom_cell(d.key)) for d in definitions if d.path not in hidden
    )
    return columns


def chosen_columns(
    available: list[Column], requested: list[str] | None, default: Iterable[str]
) -> list[Column]:
    """The columns named in `columns=` (comma-separated or repeated), in that order; the defaults when the
    parameter is absent. Unknown or hidden names are ignored."""
    by_key = {c.key: c for c in available}
    if requested is None:
        return [by_key[k] for k in default if k in by_key]
    keys: list[str] = []
    for value in requested:
        keys.extend(k.strip() for k in value.split(",") if k.strip() in by_key and k.strip() not in keys)
    return [by_key[k] for k in keys]


def build_rows(
    records: list[Any], columns: list[Column], ctx: RowContext, label: Callable[[Any], str]
) -> list[Row]:
    return [Row(record=r, label=label(r), cells=[c.cell(r, ctx) for c in columns if c.cell]) for r in records]
