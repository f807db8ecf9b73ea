"""Exports of the contact and company lists (CSV, Excel XLSX, vCard 4.0) and of one contact (vCard).

Which rows: the list's rows — the filters of `selectors.parse_filters`, or a saved view's query string — as
the member sees them, restricted further to the member's *export* scope (`scope_for(entity, "export")`): a
sales manager who sees every contact but may export only his team's gets his team's rows. A role without
the export action exports nothing (PermissionDeniedError).

Which columns: the list's `columns=` keys (the web list's keys, see views/presenters.py, and a few more:
anniversary, website, address parts, social profiles, preferred language and channel, legal name,
description), always preceded by the id and the name columns; without `columns=`, every field the member
may see, custom fields included. Fields hidden by the member's role (field rules, `custom.<key>`, the tags
when the role sees no tags) are never columns nor values. Header labels are in the member's language.

Values are what a person reads and a re-import understands:
- dates as ISO `YYYY-MM-DD`, the same in every calendar and locale, so that Excel and a later import read
  them unambiguously (a Jalali or Buddhist-era date, or 03/04/2025, would not survive the round trip);
  moments (created, updated, date-time custom fields) as `YYYY-MM-DD HH:MM` in the workspace's time zone;
- phones in E.164; several e-mails, phones, tags or chosen options joined with "; ";
- lifecycle stage, consents, company type and choice custom fields as their labels in the member's
  language; yes/no fields as the translated Yes / No; the owner (and member custom fields) as the member's
  name, else e-mail; the company and the parent company by name (empty when the member may not see them).

Spreadsheet safety: a cell starting with = + - @ tab or carriage return (or the full-width ＝ ＋ － ＠) is
prefixed with an apostrophe, so no spreadsheet runs it as a formula ("CSV injection"); E.164 phone numbers
(+98…) get it too, which also keeps them text rather than numbers.

Streaming: records are read in keyset chunks of CHUNK_SIZE in the list's order (then id), with only the
fields the columns show; each chunk loads its e-mails, phones, tags, and the names of the companies and owners
it links to, with one query each, so memory and queries per row stay flat whatever the size.
CSV is written row by row (UTF-8 with a byte order mark so Excel reads Persian and Thai, CRLF line ends),
XLSX as one worksheet of inline strings written row by row (see write_xlsx), vCards one by one.

Every export is audited (one AuditEntry, action "export", with the format, the query and the row count) and
announced (`contact.exported` / `company.exported` on the workspace) before its first byte is written.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import re
import tempfile
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, cast
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action, hidden_fields
from peyvand.contacts import access, selectors
from peyvand.contacts.importing.vcard import contact_card
from peyvand.contacts.models import (
    Company,
    Contact,
    ContactEmail,
    ContactPhone,
    LifecycleStage,
    SavedView,
)
from peyvand.contacts.services import display_name_of
from peyvand.core import customfields
from peyvand.core.context import current_channel
from peyvand.core.errors import PermissionDeniedError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.models import AuditEntry, CustomField, CustomFieldType, Scope

CHUNK_SIZE = 2000
SEPARATOR = "; "
ENTITIES = ("contact", "company")
FORMATS = {"contact": ("csv", "xlsx", "vcf"), "company": ("csv", "xlsx")}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vcf": "text/vcard; charset=utf-8",
}
# First characters a spreadsheet may read as the start of a formula (and their full-width forms).
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
# Query parameters that are not part of what is exported (paging, the format, the view itself).
NOT_QUERY = frozenset(
    {"format", "view", "cursor", "before", "limit", "with_total", "page", "csrfmiddlewaretoken"}
)
XLSX_MAX_CELL = 32767


def neutralize(text: str) -> str:
    """`text` made safe for a spreadsheet cell: an apostrophe before a formula-starting character."""
    return "'" + text if text and text[0] in FORMULA_STARTS else text


# ----------------------------------------------------------------------------- permission and rows


def export_scope(member: Membership, entity: str) -> str:
    """The member's export scope for `entity`; PermissionDeniedError (403) when their role has none."""
    scope = member.scope_for(entity, Action.EXPORT)
    if scope == Scope.NONE:
        if entity == "contact":
            raise PermissionDeniedError(_("Your role may not export contacts."))
        raise PermissionDeniedError(_("Your role may not export companies."))
    return scope


def export_queryset(member: Membership, entity: str, filters: selectors.ListFilters) -> QuerySet[Any]:
    """The rows an export of the list with `filters` holds: the list as the member sees it, within their
    export scope (not yet ordered). Refuses (403) a member who may not export, (422) invalid filters."""
    scope = export_scope(member, entity)
    listed: Any = (
        selectors.contact_list(member, filters)
        if entity == "contact"
        else selectors.company_list(member, filters)
    )
    return cast(QuerySet[Any], listed.within_scope(scope, member))  # a ScopedQuerySet underneath


def hidden_for(member: Membership, entity: str) -> set[str]:
    """Fields not exported to `member`: hidden by field rules, and the tags when the role sees no tags."""
    hidden = set(hidden_fields(member, entity))
    if not member.may(Action.VIEW, entity="tag"):
        hidden.add("tags")
    return hidden


# ----------------------------------------------------------------------------- columns


@dataclass
class Chunk:
    """What the values of one chunk of records need, loaded once per chunk (a query each), so a row costs
    no query: e-mails, phones and tags by record, names of owners, linked companies and stages by id."""

    emails: dict[int, list[tuple[str, str, bool]]] = field(default_factory=dict)
    phones: dict[int, list[tuple[str, str, bool]]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    companies: dict[int, str] = field(default_factory=dict)  # visible, live linked companies: id → name
    members: dict[int, str] = field(default_factory=dict)  # owners and member custom fields: id → name
    stages: dict[int, str] = field(default_factory=dict)  # lifecycle stages: id → label
    zone: datetime.tzinfo = datetime.UTC


Value = Callable[[Any, Chunk], str]


@dataclass(frozen=True)
class ExportColumn:
    """One exported column: its key (as in `columns=`), header label, the field rule hiding it, how a
    record's value reads, the import target the header maps back to (mapping.py) if any, and the model
    fields the value reads (only those are loaded)."""

    key: str
    label: Any
    rule: str | None
    value: Value
    target: str = ""
    fields: tuple[str, ...] = ()


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):  # datetimes too
        return value.isoformat()
    return str(value)


def _attribute(name: str) -> Value:
    return lambda record, chunk: _plain(getattr(record, name))


def _moment(name: str) -> Value:
    def value(record: Any, chunk: Chunk) -> str:
        moment = getattr(record, name)
        return timezone.localtime(moment, chunk.zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    return value


def _display(model: Any, name: str) -> Value:
    """A choice field's label in the active language ("" when unset)."""
    labels = dict(model._meta.get_field(name).flatchoices)  # get_FOO_display() rebuilds this every call

    def value(record: Any, chunk: Chunk) -> str:
        stored = getattr(record, name)
        return str(labels.get(stored, stored)) if stored else ""

    return value


def _identifier(record: Any, chunk: Chunk) -> str:
    return str(record.pk)


def _owner(record: Any, chunk: Chunk) -> str:
    return chunk.members.get(record.owner_id, "") if record.owner_id else ""


def _tags(record: Any, chunk: Chunk) -> str:
    return SEPARATOR.join(chunk.tags.get(record.pk, []))


def _contact_company(contact: Contact, chunk: Chunk) -> str:
    return chunk.companies.get(contact.company_id, "") if contact.company_id else ""


def _parent(company: Company, chunk: Chunk) -> str:
    return chunk.companies.get(company.parent_id, "") if company.parent_id else ""


def _emails(contact: Contact, chunk: Chunk) -> str:
    return SEPARATOR.join(address for address, _label, _primary in chunk.emails.get(contact.pk, []))


def _phones(contact: Contact, chunk: Chunk) -> str:
    return SEPARATOR.join(number for number, _label, _primary in chunk.phones.get(contact.pk, []))


def _company_phones(company: Company, chunk: Chunk) -> str:
    items = [p for p in company.phones or [] if isinstance(p, dict) and p.get("number")]
    items.sort(key=lambda p: not p.get("is_primary"))
    return SEPARATOR.join(str(p["number"]) for p in items)


def _lifecycle(contact: Contact, chunk: Chunk) -> str:
    return chunk.stages.get(contact.lifecycle_stage_id, "") if contact.lifecycle_stage_id else ""


def _address(part: str) -> Value:
    """A part of the first address (street, city, region, postal code, country)."""

    def value(record: Any, chunk: Chunk) -> str:
        addresses = record.addresses or []
        first = addresses[0] if addresses and isinstance(addresses[0], dict) else {}
        return str(first.get(part) or "")

    return value


def _social(network: str) -> Value:
    return lambda contact, chunk: str((contact.social or {}).get(network) or "")


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return format(decimal.Decimal(str(value)), "f")
    return str(value)


def custom_text(definition: CustomField, value: Any, chunk: Chunk) -> str:
    """One stored custom value as exported text (option labels, ISO dates, E.164 phones)."""
    kind = definition.field_type
    if value is None or value == "" or value == []:
        return ""
    if kind == CustomFieldType.BOOLEAN:
        return str(_("Yes") if value else _("No"))
    if kind == CustomFieldType.CHOICE:
        return customfields.option_label(definition, value)
    if kind == CustomFieldType.MULTI_CHOICE and isinstance(value, list):
        return SEPARATOR.join(customfields.option_label(definition, v) for v in value)
    if kind == CustomFieldType.MEMBER:
        return chunk.members.get(int(value), "") if str(value).isdigit() else ""
    if kind in (CustomFieldType.NUMBER, CustomFieldType.MONEY):
        return _number(value)
    if kind == CustomFieldType.DATETIME and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return timezone.localtime(moment, chunk.zone).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _custom(definition: CustomField) -> Value:
    return lambda record, chunk: custom_text(definition, (record.custom or {}).get(definition.key), chunk)


def _field(key: str, label: Any) -> ExportColumn:
    """A model field as plain text: the column, its field rule and its import target share its name."""
    return ExportColumn(key, label, key, _attribute(key), key, (key,))


_ADDRESS_COLUMNS = tuple(
    ExportColumn(key, label, "addresses", _address(key), key, ("addresses",))
    for key, label in (
        ("street", gettext_lazy("Street")),
        ("city", gettext_lazy("City")),
        ("region", gettext_lazy("State or province")),
        ("postal_code", gettext_lazy("Postal code")),
        ("country", gettext_lazy("Country")),
    )
)
_TIMES = (
    ExportColumn("created_at", gettext_lazy("Created"), None, _moment("created_at"), "", ("created_at",)),
    ExportColumn("updated_at", gettext_lazy("Updated"), None, _moment("updated_at"), "", ("updated_at",)),
)
_ID = ExportColumn("id", gettext_lazy("ID"), None, _identifier, "external_id")
_OWNER = ExportColumn("owner", gettext_lazy("Owner"), "owner", _owner, "owner", ("owner",))
_TAGS = ExportColumn("tags", gettext_lazy("Tags"), "tags", _tags, "tags")


def _choice(model: Any, key: str, label: Any, target: str = "") -> ExportColumn:
    return ExportColumn(key, label, key, _display(model, key), target, (key,))


CONTACT_COLUMNS: tuple[ExportColumn, ...] = (
    _ID,
    _field("first_name", gettext_lazy("First name")),
    _field("last_name", gettext_lazy("Last name")),
    ExportColumn("email", gettext_lazy("E-mail"), "emails", _emails, "email"),
    ExportColumn("phone", gettext_lazy("Phone"), "phones", _phones, "phone"),
    ExportColumn("company", gettext_lazy("Company"), "company", _contact_company, "company", ("company",)),
    _field("job_title", gettext_lazy("Job title")),
    _OWNER,
    ExportColumn(
        "lifecycle_stage",
        gettext_lazy("Lifecycle stage"),
        "lifecycle_stage",
        _lifecycle,
        "lifecycle_stage",
        ("lifecycle_stage",),
    ),
    _field("source", gettext_lazy("Source")),
    _TAGS,
    _choice(Contact, "email_consent", gettext_lazy("E-mail consent"), "email_consent"),
    _choice(Contact, "sms_consent", gettext_lazy("SMS consent"), "sms_consent"),
    _field("birthday", gettext_lazy("Birthday")),
    _field("anniversary", gettext_lazy("Anniversary")),
    _field("website", gettext_lazy("Website")),
    *_ADDRESS_COLUMNS,
    _field("preferred_language", gettext_lazy("Preferred language")),
    _choice(Contact, "preferred_channel", gettext_lazy("Preferred channel")),
    *(
        ExportColumn(network, label, "social", _social(network), network, ("social",))
        for network, label in (
            ("telegram", gettext_lazy("Telegram")),
            ("instagram", gettext_lazy("Instagram")),
            ("whatsapp", gettext_lazy("WhatsApp")),
            ("line", gettext_lazy("LINE")),
            ("linkedin", gettext_lazy("LinkedIn")),
        )
    ),
    *_TIMES,
)

COMPANY_COLUMNS: tuple[ExportColumn, ...] = (
    _ID,
    _field("name", gettext_lazy("Name")),
    _field("legal_name", gettext_lazy("Legal name")),
    _field("domain", gettext_lazy("Domain")),
    _field("website", gettext_lazy("Website")),
    _field("industry", gettext_lazy("Industry")),
    _choice(Company, "company_type", gettext_lazy("Type"), "company_type"),
    ExportColumn("phone", gettext_lazy("Phone"), "phones", _company_phones, "phone", ("phones",)),
    _field("employees", gettext_lazy("Employees")),
    _field("annual_revenue", gettext_lazy("Annual revenue")),
    ExportColumn("parent", gettext_lazy("Parent company"), "parent", _parent, "", ("parent",)),
    _OWNER,
    _TAGS,
    _field("description", gettext_lazy("Description")),
    *_ADDRESS_COLUMNS,
    *_TIMES,
)

FIXED_COLUMNS = {"contact": CONTACT_COLUMNS, "company": COMPANY_COLUMNS}
ALWAYS = {"contact": ("id", "first_name", "last_name"), "company": ("id", "name")}
# The model fields a vCard reads (field rules then leave some out).
VCARD_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "preferred_language",
    "company",
    "job_title",
    "birthday",
    "website",
    "addresses",
    "updated_at",
)


def export_columns(
    member: Membership,
    entity: str,
    requested: list[str] | None,
    definitions: list[CustomField] | None = None,
) -> list[ExportColumn]:
    """The columns of an export: the id and name columns, then the `columns=` keys in their order
    (comma-separated or repeated; unknown and hidden keys ignored), or every visible field and custom field
    when `requested` is None. Hidden fields are never among them."""
    hidden = hidden_for(member, entity)
    if definitions is None:
        definitions = customfields.definitions(member.workspace_id, entity)
    available = [c for c in FIXED_COLUMNS[entity] if c.rule is None or c.rule not in hidden]
    available.extend(
        ExportColumn(d.path, d.label, d.path, _custom(d), d.path, ("custom",))
        for d in definitions
        if d.path not in hidden
    )
    by_key = {c.key: c for c in available}
    always = [by_key[k] for k in ALWAYS[entity] if k in by_key]
    if requested is None:
        return always + [c for c in available if c.key not in ALWAYS[entity]]
    keys: list[str] = []
    for value in requested:
        for key in (k.strip() for k in str(value).split(",")):
            if key in by_key and key not in ALWAYS[entity] and key not in keys:
                keys.append(key)
    return always + [by_key[k] for k in keys]


# ----------------------------------------------------------------------------- chunks


def keyset_chunks(queryset: QuerySet[Any], ordering: str, size: int = CHUNK_SIZE) -> Iterator[list[Any]]:
    """`queryset` in lists of at most `size` records, in `ordering` (a field, `-` for descending) then id:
    each chunk starts after the last record of the one before, so deep chunks cost what the first does."""
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    order = [f"-{name}", "-id"] if descending else [name, "id"]
    if name == "id":
        order = order[:1]
    queryset = queryset.order_by(*order)
    after: tuple[Any, int] | None = None
    operator = "lt" if descending else "gt"
    while True:
        page = queryset
        if after is not None:
            value, last_id = after
            if name == "id":
                page = page.filter(**{f"id__{operator}": last_id})
            else:
                # `field >= value` (`<=` descending) gives the database an index range to seek to; SQLite
                # walks the index from its start for the OR alone. The OR then skips rows already seen.
                page = page.filter(**{f"{name}__{operator}e": value}).filter(
                    Q(**{f"{name}__{operator}": value}) | Q(**{f"id__{operator}": last_id})
                )
        records = list(page[:size])
        if not records:
            return
        yield records
        if len(records) < size:
            return
        last = records[-1]
        after = (getattr(last, name), last.pk)


def _tag_names(entity: str, ids: list[int]) -> dict[int, list[str]]:
    """The tag names of these records, by name: one query."""
    tags = selectors.contact_tags(ids) if entity == "contact" else selectors.company_tags(ids)
    return {record_id: [tag.name for tag in found] for record_id, found in tags.items()}


class _MemberNames:
    """Members by name (else e-mail, unless the reader's role hides members' e-mails), loaded as chunks
    name them and kept for the rest of the export: a workspace has far fewer members than records."""

    def __init__(self, member: Membership) -> None:
        self.workspace_id = member.workspace_id
        self.email_hidden = "email" in hidden_fields(member, "member")
        self.names: dict[int, str] = {}

    def load(self, ids: set[int]) -> dict[int, str]:
        missing = ids - set(self.names)
        if missing:
            rows = Membership.objects.filter(workspace_id=self.workspace_id, pk__in=missing).values_list(
                "pk", "user__full_name", "user__email"
            )
            for pk, full_name, email in rows:
                self.names[pk] = full_name or ("" if self.email_hidden else email)
        return self.names


@dataclass
class _Plan:
    """What every chunk of one export needs to know (worked out once, before the first chunk)."""

    member: Membership
    entity: str
    queryset: QuerySet[Any]
    ordering: str
    language: str
    zone: datetime.tzinfo
    needs: frozenset[str]  # "emails", "phones", "tags", "companies", "owners", "stages"
    member_fields: tuple[str, ...] = ()  # keys of member custom fields exported
    company_name_hidden: bool = False

    def chunks(self, size: int) -> Iterator[tuple[list[Any], Chunk]]:
        members = _MemberNames(self.member)
        stages: dict[int, str] = {}
        if "stages" in self.needs:
            with translation.override(self.language):  # built-in stages read in the member's language
                stages = {
                    s.pk: s.label
                    for s in LifecycleStage.objects.filter(workspace_id=self.member.workspace_id)
                }
        linked = "company_id" if self.entity == "contact" else "parent_id"
        for records in keyset_chunks(self.queryset, self.ordering, size):
            ids = [r.pk for r in records]
            chunk = Chunk(zone=self.zone, stages=stages)
            if "emails" in self.needs:
                chunk.emails = selectors.points_by_contact(ContactEmail, "email", ids, primary_first=True)
            if "phones" in self.needs:
                chunk.phones = selectors.points_by_contact(ContactPhone, "number", ids, primary_first=True)
            if "tags" in self.needs:
                chunk.tags = _tag_names(self.entity, ids)
            if "companies" in self.needs and not self.company_name_hidden:
                chunk.companies = access.company_names(
                    self.member, {getattr(r, linked) for r in records} - {None}
                )
            wanted: set[int] = set()
            if "owners" in self.needs:
                wanted.update(r.owner_id for r in records if r.owner_id)
            for key in self.member_fields:
                wanted.update(int(v) for r in records if str(v := (r.custom or {}).get(key, "")).isdigit())
            if wanted:
                chunk.members = members.load(wanted)
            yield records, chunk


def _plan(
    member: Membership,
    entity: str,
    filters: selectors.ListFilters,
    needs: Iterable[str],
    fields: Iterable[str],
    member_fields: tuple[str, ...] = (),
) -> _Plan:
    """Check the export (permission, filters) and work out its query: only the fields that are shown."""
    orderings = selectors.CONTACT_ORDERINGS if entity == "contact" else selectors.COMPANY_ORDERINGS
    ordering = orderings[filters.ordering]
    queryset = export_queryset(member, entity, filters).only("id", ordering.lstrip("-"), *fields)
    try:
        zone: datetime.tzinfo = zoneinfo.ZoneInfo(member.workspace.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = datetime.UTC
    return _Plan(
        member=member,
        entity=entity,
        queryset=queryset,
        ordering=ordering,
        language=member.effective_language,
        zone=zone,
        needs=frozenset(needs),
        member_fields=member_fields,
        company_name_hidden="name" in hidden_fields(member, "company"),
    )


# ----------------------------------------------------------------------------- rows (CSV, XLSX)


def export_rows(
    member: Membership,
    entity: str,
    filters: selectors.ListFilters,
    columns: list[str] | None = None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[list[str]]:
    """The header row, then one row of text per exported record (see the module docstring for which rows,
    columns and values), every cell already neutralized against formula injection.

    Permission and filters are checked now (PermissionDeniedError, ValidationFailedError), before the
    first row is asked for; the rows are then read chunk by chunk as they are consumed."""
    definitions = customfields.definitions(member.workspace_id, entity)
    chosen = export_columns(member, entity, columns, definitions)
    keys = {c.key for c in chosen}
    needs = {
        need
        for key, need in (
            ("email", "emails"),
            ("phone", "phones"),
            ("tags", "tags"),
            ("company", "companies"),
            ("parent", "companies"),
            ("owner", "owners"),
            ("lifecycle_stage", "stages"),
        )
        if key in keys
    }
    if entity == "company":
        needs -= {"emails", "phones"}  # a company's phones are in its own row
    member_fields = tuple(
        d.key for d in definitions if d.path in keys and d.field_type == CustomFieldType.MEMBER
    )
    fields = {name for column in chosen for name in column.fields}
    plan = _plan(member, entity, filters, needs, fields, member_fields)
    with translation.override(plan.language):
        header = [neutralize(str(c.label)) for c in chosen]
    return _rows(plan, chosen, header, chunk_size)


def _rows(plan: _Plan, columns: list[ExportColumn], header: list[str], size: int) -> Iterator[list[str]]:
    yield header
    values = [c.value for c in columns]
    for records, chunk in plan.chunks(size):
        # Labels (lifecycle stages, consents, Yes/No) in the member's language; the override is not held
        # across a yield, so the consumer's own language is untouched between chunks.
        with translation.override(plan.language):
            rows = [[neutralize(value(record, chunk)) for value in values] for record in records]
        yield from rows


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer into a generator)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def csv_chunks(rows: Iterable[list[str]], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """CSV bytes for a streaming response: UTF-8 with a byte order mark (Excel then reads Persian and Thai
    right), CRLF line ends, fields quoted where the csv module needs to."""
    buffer = _Echo()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff".encode()
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.take().encode("utf-8")
            pending = 0
    if pending:
        yield buffer.take().encode("utf-8")


def write_csv(rows: Iterable[list[str]], handle: IO[bytes]) -> int:
    """Write `rows` (header first) as CSV to a binary file; returns the number of data rows."""
    count = 0

    def counted() -> Iterator[list[str]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    for part in csv_chunks(counted()):
        handle.write(part)
    return max(count - 1, 0)


# XLSX is written here rather than with openpyxl: its write-only mode builds an XML element per cell and
# managed about 2,500 rows/s of the full contact columns (40 s for 100,000 rows); writing the sheet's XML
# directly manages many times that. The workbook is the minimal SpreadsheetML package every spreadsheet
# reads: one worksheet of inline strings (no shared-string table, so memory stays flat), a bold frozen
# header row, right to left for Persian. Tests read it back with openpyxl and with Peyvand's import reader.
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": _XML
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>",
    "_rels/.rels": _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>",
    "xl/_rels/workbook.xml.rels": _XML + f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
    "</Relationships>",
    "xl/styles.xml": _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>",
}
# Characters XML 1.0 cannot carry (tab, line feed and carriage return it can).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _column_letters(index: int) -> str:
    """A, B, … Z, AA, … for a 0-based column index."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _xlsx_cell(reference: str, text: str, style: str = "") -> str:
    text = escape(_NOT_XML.sub("", text)[:XLSX_MAX_CELL])
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{reference}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def write_xlsx(
    rows: Iterable[list[str]], handle: IO[bytes], *, title: str = "", right_to_left: bool = False
) -> int:
    """Write `rows` (header first, in bold and frozen) as the one worksheet of an XLSX workbook to a
    binary file, row by row. Every cell is text (never a formula); empty cells are left out; characters
    XML cannot carry are dropped and a cell keeps at most 32,767 characters (Excel's limit). Returns the
    number of data rows."""
    direction = ' rightToLeft="1"' if right_to_left else ""
    view = (
        f'<sheetViews><sheetView{direction} workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft"/></sheetView></sheetViews>'
    )
    sheet_name = escape(_sheet_title(title), {'"': "&quot;"})
    count = -1
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, text in _XLSX_PARTS.items():
            package.writestr(name, text)
        package.writestr(
            "xl/workbook.xml",
            _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}"><sheets>'
            f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_XML}<worksheet xmlns="{_MAIN}">{view}<sheetData>'.encode())
            letters: list[str] = []
            parts: list[str] = []
            for number, row in enumerate(rows, start=1):
                while len(letters) < len(row):
                    letters.append(_column_letters(len(letters)))
                style = ' s="1"' if number == 1 else ""
                cells = "".join(
                    _xlsx_cell(f"{letters[i]}{number}", text, style) for i, text in enumerate(row) if text
                )
                parts.append(f'<row r="{number}">{cells}</row>')
                count += 1
                if len(parts) >= 500:
                    sheet.write("".join(parts).encode("utf-8"))
                    parts.clear()
            sheet.write(("".join(parts) + "</sheetData></worksheet>").encode("utf-8"))
    return max(count, 0)


def _sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\, not quoted."""
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\").strip("'")[:31]
    return cleaned or "Sheet1"


# ----------------------------------------------------------------------------- vCard


def _card(contact: Contact, chunk: Chunk, hidden: set[str]) -> str:
    first = "" if "first_name" in hidden else contact.first_name
    last = "" if "last_name" in hidden else contact.last_name
    display = (
        contact.display_name
        if not {"first_name", "last_name"} & hidden
        else display_name_of(first, last, contact.preferred_language)
    )
    emails = [] if "emails" in hidden else chunk.emails.get(contact.pk, [])
    phones = [] if "phones" in hidden else chunk.phones.get(contact.pk, [])
    if not display:
        display = (emails[0][0] if emails else "") or (phones[0][0] if phones else "") or f"#{contact.pk}"
    return contact_card(
        first_name=first,
        last_name=last,
        display_name=display,
        emails=emails,
        phones=phones,
        company="" if "company" in hidden else _contact_company(contact, chunk),
        job_title="" if "job_title" in hidden else contact.job_title,
        birthday=None if "birthday" in hidden else contact.birthday,
        website="" if "website" in hidden else contact.website,
        addresses=[]
        if "addresses" in hidden
        else [a for a in contact.addresses or [] if isinstance(a, dict)],
        tags=[] if "tags" in hidden else chunk.tags.get(contact.pk, []),
        uid=str(contact.pk),
        language="" if "preferred_language" in hidden else contact.preferred_language,
        revised=contact.updated_at,
    )


def vcard_chunks(
    member: Membership, filters: selectors.ListFilters, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """The contacts of the list with `filters`, within the member's export scope, as vCard 4.0 (UTF-8),
    one chunk of contacts at a time; hidden fields are left out of every card. Permission and filters are
    checked now, before the first card is asked for."""
    hidden = hidden_for(member, "contact")
    needs = {name for name in ("emails", "phones", "tags") if name not in hidden}
    if "company" not in hidden:
        needs.add("companies")
    plan = _plan(member, "contact", filters, needs, VCARD_FIELDS)
    return _cards(plan, hidden, chunk_size)


def _cards(plan: _Plan, hidden: set[str], size: int) -> Iterator[bytes]:
    for records, chunk in plan.chunks(size):
        yield "".join(_card(contact, chunk, hidden) for contact in records).encode("utf-8")


def write_vcards(member: Membership, filters: selectors.ListFilters, handle: IO[bytes]) -> int:
    """Write the list's contacts as vCards to a binary file; returns how many cards were written."""
    count = 0
    for part in vcard_chunks(member, filters):
        handle.write(part)
        count += part.count(b"BEGIN:VCARD\r\n")
    return count


def contact_vcard(member: Membership, contact: Contact) -> str:
    """One contact (already loaded through `access_contact` with the export action) as a vCard 4.0."""
    hidden = hidden_for(member, "contact")
    ids = [contact.pk]
    company_hidden = "company" in hidden or "name" in hidden_fields(member, "company")
    chunk = Chunk(
        emails={}
        if "emails" in hidden
        else selectors.points_by_contact(ContactEmail, "email", ids, primary_first=True),
        phones={}
        if "phones" in hidden
        else selectors.points_by_contact(ContactPhone, "number", ids, primary_first=True),
        tags={} if "tags" in hidden else _tag_names("contact", ids),
        companies={}
        if company_hidden or contact.company_id is None
        else access.company_names(member, {contact.company_id}),
    )
    return _card(contact, chunk, hidden)


# ----------------------------------------------------------------------------- use cases


@dataclass
class Export:
    """An export that was allowed and recorded: what to write, and how to name and label the file."""

    member: Membership
    entity: str
    format: str
    filters: selectors.ListFilters
    columns: list[str] | None
    query: str
    rows: int
    view: SavedView | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def filename(self) -> str:
        """`contacts-2025-01-15.csv`, or with the saved view's name: `contacts-vip-buyers-2025-01-15.csv`."""
        stem = "contacts" if self.entity == "contact" else "companies"
        if self.view is not None:
            stem = "-".join(filter(None, [stem, slugify(self.view.name, allow_unicode=True)]))
        return f"{stem}-{timezone.localdate().isoformat()}.{self.format}"

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes, produced as they are consumed (XLSX is built in a temporary file first)."""
        if self.format == "vcf":
            return vcard_chunks(self.member, self.filters)
        rows = export_rows(self.member, self.entity, self.filters, self.columns)
        if self.format == "csv":
            return csv_chunks(rows)
        return _file_chunks(lambda handle: self._write_xlsx(rows, handle))

    def write(self, handle: IO[bytes]) -> int:
        """Write the whole file to a binary file; returns the number of records written."""
        if self.format == "vcf":
            return write_vcards(self.member, self.filters, handle)
        rows = export_rows(self.member, self.entity, self.filters, self.columns)
        if self.format == "csv":
            return write_csv(rows, handle)
        return self._write_xlsx(rows, handle)

    def _write_xlsx(self, rows: Iterable[list[str]], handle: IO[bytes]) -> int:
        language = self.member.effective_language
        with translation.override(language):
            title = str(_("Contacts") if self.entity == "contact" else _("Companies"))
        bidi = bool(translation.get_language_info(language)["bidi"])
        return write_xlsx(rows, handle, title=title, right_to_left=bidi)


def _file_chunks(write: Callable[[IO[bytes]], Any], size: int = 64 * 1024) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as handle:
        write(handle)
        handle.seek(0)
        while part := handle.read(size):
            yield part


def export_start(
    *,
    member: Membership,
    entity: str,
    format: str,
    params: Mapping[str, Any] | None = None,
    view_id: int | None = None,
) -> Export:
    """Allow, check and record an export of the contact or company list, before any of it is written.

    The query is the saved view's (`view_id`, resolved with the member's own permissions) with the
    parameters of `params` replacing those of the same name (filters, `ordering`, `columns`; an empty one
    removes the view's, see `saved_views.merge_query`); paging parameters are ignored. Refuses: 403
    without the export action, 404 for a view the member cannot see, 422 for an unknown format or invalid
    filters. Writes one audit entry (action export: format, query, row count, view) and emits
    `<entity>.exported` on the workspace, in one transaction."""
    if entity not in ENTITIES:
        raise ValueError(entity)
    export_scope(member, entity)
    if format not in FORMATS[entity]:
        raise ValidationFailedError(
            fields={"format": [_("Choose one of: %(names)s.") % {"names": ", ".join(FORMATS[entity])}]}
        )
    view = None
    data = QueryDict(mutable=True)
    given = params if params is not None else {}
    if view_id is not None:
        from peyvand.contacts.saved_views import access_view, merge_query

        view = access_view(member=member, view_id=view_id)
        if view.entity != entity:
            raise ValidationFailedError(fields={"view": [_("This saved view lists another kind of record.")]})
        data = merge_query(view.query, given, skip=NOT_QUERY)  # the rule of the list and the API
    else:
        getter = getattr(given, "getlist", None)
        for key in given:
            if key in NOT_QUERY:
                continue
            values = getter(key) if getter else given[key]
            data.setlist(key, [values] if isinstance(values, str) else [str(v) for v in values])
    orderings = selectors.CONTACT_ORDERINGS if entity == "contact" else selectors.COMPANY_ORDERINGS
    filters = selectors.parse_filters(data, orderings=orderings)
    columns = data.getlist("columns") if "columns" in data else None
    rows = export_queryset(member, entity, filters).count()
    query = urlencode([(k, v) for k in sorted(data) for v in data.getlist(k) if k not in NOT_QUERY])
    export = Export(
        member=member,
        entity=entity,
        format=format,
        filters=filters,
        columns=columns,
        query=query,
        rows=rows,
        view=view,
    )
    changes: dict[str, list[Any]] = {"format": [None, format], "query": [None, query], "rows": [None, rows]}
    if view is not None:
        changes["view"] = [None, view.name]
    with transaction.atomic():
        _audit_export(member, entity, record_id="", label=view.name if view else "", changes=changes)
        emit(
            member.workspace_id,
            f"{entity}.exported",
            member.workspace,
            {"format": format, "query": query, "rows": rows, "view": view.pk if view else None},
        )
    return export


def contact_vcard_export(*, member: Membership, contact_id: int) -> tuple[str, str]:
    """One contact as a vCard (text, file name): 404 if the member cannot see it, 403 if they may not
    export it. Audited on the contact; emits contact.exported."""
    contact = access.access_contact(member=member, contact_id=contact_id, action=Action.EXPORT)
    card = contact_vcard(member, contact)
    with transaction.atomic():
        _audit_export(
            member,
            "contact",
            record_id=str(contact.pk),
            label=str(contact)[:200],
            changes={"format": [None, "vcf"], "rows": [None, 1]},
        )
        emit(member.workspace_id, "contact.exported", contact, {"format": "vcf", "rows": 1, "id": contact.pk})
    name = (
        slugify(contact.display_name, allow_unicode=True)
        if "first_name" not in hidden_for(member, "contact")
        else ""
    )
    return card, f"{name or f'contact-{contact.pk}'}.vcf"


def _audit_export(
    member: Membership, entity: str, *, record_id: str, label: str, changes: dict[str, Any]
) -> AuditEntry:
    """An export concerns a set of records, not one row, so the entry is written here rather than through
    core.audit.audit (which names one record): entity of the exported records, no record id for a list."""
    return AuditEntry.objects.create(
        workspace_id=member.workspace_id,
        actor=member,
        actor_label=str(member.user)[:254],
        channel=current_channel(),
        action=AuditEntry.Action.EXPORT,
        entity=entity,
        record_id=record_id,
        record_label=label[:200],
        changes=changes,
    )


def streaming_response(export: Export) -> StreamingHttpResponse:
    """The export as a download, streamed as it is written (web and API alike)."""
    return attachment(export.chunks(), export.content_type, export.filename)


def attachment(content: Iterable[bytes], content_type: str, filename: str) -> StreamingHttpResponse:
    """A file download that no cache keeps (exports hold personal data)."""
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response
