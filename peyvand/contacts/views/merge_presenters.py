"""What the duplicates and merge screens show, shaped from records already loaded: the two entities'
differences, reasons and scores as text, the forms' possible-duplicates entries, and the compare-and-merge
table (one column per record, one row per field, the value kept marked). Hidden fields are left out here;
who may see or merge what is decided by the access functions in the views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.accounts.models import Language, Membership
from peyvand.contacts import access, merges, registry, selectors
from peyvand.contacts.forms.merges import CHOICE_PREFIX
from peyvand.contacts.views.common import hidden_for
from peyvand.contacts.views.presenters import (
    contact_label,
    custom_member_ids,
    custom_value,
    day_text,
    list_separator,
    member_names,
    phone_text,
)
from peyvand.core import customfields
from peyvand.core.calendars import current_format, format_datetime, format_money, format_number

REASONS = {
    "email": gettext_lazy("Same e-mail address"),
    "phone": gettext_lazy("Same phone number"),
    "name_company": gettext_lazy("Same name at the same company"),
    "name_domain": gettext_lazy("Same name and e-mail domain"),
    "domain": gettext_lazy("Same domain"),
    "name": gettext_lazy("Same name"),
}


# ----------------------------------------------------------------------------- what differs by entity


@dataclass(frozen=True)
class Kind:
    entity: str
    fields: tuple[str, ...]  # the fields a merge chooses a value for
    labels: Mapping[str, Any]
    kept: tuple[str, ...]  # shown per record and united on the survivor, never chosen
    url: str  # URL name prefix: "contacts:contact" → contact_detail, contact_merge …


CONTACT = Kind(
    "contact",
    merges.CONTACT_FIELDS,
    dict(registry.CONTACT_FIELDS),
    ("emails", "phones", "tags"),
    "contacts:contact",
)
COMPANY = Kind("company", merges.COMPANY_FIELDS, dict(registry.COMPANY_FIELDS), ("tags",), "contacts:company")


def record_label(kind: Kind, record: Any, hidden: set[str]) -> str:
    if kind.entity == "contact":
        return contact_label(record, hidden)
    return str(record.name) if "name" not in hidden else f"#{record.pk}"


def merge_url(kind: Kind, ids: Iterable[int], survivor: int | None = None) -> str:
    query = QueryDict(mutable=True)
    query["ids"] = ",".join(str(pk) for pk in ids)
    if survivor is not None:
        query["survivor"] = str(survivor)
    return f"{reverse(kind.url + '_merge')}?{query.urlencode(safe=',')}"


def reason_texts(reasons: Iterable[str]) -> list[str]:
    return [str(REASONS.get(reason, reason)) for reason in dict.fromkeys(reasons)]


def score_text(score: int) -> str:
    return _("%(score)s%%") % {"score": format_number(score, current_format())}


# ----------------------------------------------------------------------------- the forms' duplicates panel


@dataclass
class Likely:
    """One possible duplicate as the panel shows it."""

    pk: int
    label: str
    url: str
    reasons: list[str]
    score: str
    merge_url: str = ""


# ----------------------------------------------------------------------------- compare and merge


@dataclass
class Cell:
    record_id: int
    lines: list[str]
    ltr: bool = False


@dataclass
class FieldRow:
    name: str
    label: str
    cells: list[Cell]
    chosen: int
    locked: bool = False
    same: bool = False
    empty: bool = False  # no record has a value

    @property
    def choosable(self) -> bool:
        return not self.locked and not self.same

    @property
    def input_name(self) -> str:
        return CHOICE_PREFIX + self.name


@dataclass
class Column:
    record: Any
    label: str
    url: str
    survivor: bool
    may_survive: bool
    created: str


@dataclass
class Display:
    """How values read on the merge screen, for this member."""

    member: Membership
    hidden: set[str]
    company_name_hidden: bool
    members: dict[int, str] = field(default_factory=dict)
    companies: set[int] = field(default_factory=set)  # the linked companies shown (access.shown_company_ids)

    @property
    def region(self) -> str:
        return str(self.member.workspace.country)

    @property
    def currency(self) -> str:
        return str(self.member.workspace.default_currency)


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _raw(record: Any, name: str) -> Any:
    if name.startswith("custom."):
        return record.custom.get(name.removeprefix("custom."))
    return getattr(record, record._meta.get_field(name).attname)


def _address_lines(addresses: Any) -> list[str]:
    lines = []
    for address in addresses or []:
        if not isinstance(address, dict):
            continue
        parts = [address.get(k, "") for k in ("street", "city", "region", "postal_code", "country")]
        text = list_separator().join(str(p) for p in parts if p)
        if text:
            lines.append(text)
    return lines


def _text(kind: Kind, name: str, record: Any, show: Display) -> tuple[list[str], bool]:
    """The value of one field of `record` as lines of text, and whether it reads left to right."""
    value = getattr(record, name)
    if _empty(value):
        return [], False
    ctx = current_format()
    if name in ("company", "parent"):
        if value.pk not in show.companies:  # as on every output: not shown
            return [], False
        return [f"#{value.pk}" if show.company_name_hidden else str(value.name)], False
    if name == "owner":
        return [value.user.display_name], False
    if name == "lifecycle_stage":
        return [str(value.label)], False
    if name in ("birthday", "anniversary"):
        return [day_text(value)], False
    if name == "addresses":
        return _address_lines(value), False
    if name == "social" and isinstance(value, dict):
        return [f"{network}: {handle}" for network, handle in value.items()], True
    if name == "phones" and isinstance(value, list):
        return [phone_text(str(p.get("number", "")), show.region) for p in value if isinstance(p, dict)], True
    if name == "preferred_language":
        return [str(dict(Language.choices).get(value, value))], False
    if name in ("preferred_channel", "company_type", "email_consent", "sms_consent"):
        text = str(getattr(record, f"get_{name}_display")())
        moment = getattr(record, f"{name}_at", None)
        if moment is not None:
            text = f"{text} · {format_datetime(moment, ctx)}"
        return [text], False
    if name == "employees":
        return [format_number(value, ctx)], False
    if name == "annual_revenue":
        try:
            return [format_money(value, show.currency, ctx)] if show.currency else [
                format_number(value, ctx)
            ], False
        except (ValueError, ArithmeticError):
            return [str(value)], False
    if name == "description":
        return str(value).splitlines() or [str(value)], False
    return [str(value)], name in ("website", "domain")


def _kept_lines(kind: Kind, name: str, record: Any, show: Display, tags: Mapping[int, list[Any]]) -> Cell:
    if name == "emails":
        return Cell(record.pk, [e.email for e in record.emails.all()], ltr=True)
    if name == "phones":
        return Cell(record.pk, [phone_text(p.number, show.region) for p in record.phones.all()], ltr=True)
    return Cell(record.pk, [t.name for t in tags.get(record.pk, [])])


def _default_source(survivor: Any, others: list[Any], name: str) -> int:
    """Whose value a merge keeps when nobody chooses: the survivor's, else the first one that has one
    (as merges.contact_merge does)."""
    if not _empty(_raw(survivor, name)):
        return int(survivor.pk)
    return int(next((o.pk for o in others if not _empty(_raw(o, name))), survivor.pk))


def compare_rows(
    member: Membership, kind: Kind, records: list[Any], survivor: Any, posted: Mapping[str, int] | None = None
) -> tuple[list[FieldRow], list[FieldRow]]:
    """(field rows, kept rows) of the merge screen: one cell per record, the value kept marked (`posted`
    choices, else the merge's default); hidden fields left out, locked ones (read-only, or the owner
    without the assign permission) kept from the survivor."""
    hidden = hidden_for(member, kind.entity)
    locked = merges.locked_fields(member, survivor)
    others = [r for r in records if r.pk != survivor.pk]
    definitions = [
        d for d in customfields.definitions(member.workspace_id, kind.entity) if d.path not in hidden
    ]
    show = Display(
        member=member,
        hidden=hidden,
        company_name_hidden="name" in hidden_for(member, "company"),
        members=member_names(member.workspace_id, custom_member_ids(definitions, records)),
        companies=access.shown_company_ids(
            member, (getattr(r, name, None) for r in records for name in ("company", "parent"))
        ),
    )
    posted = posted or {}
    rows: list[FieldRow] = []
    for name in kind.fields:
        if name in hidden:
            continue
        cells = []
        for record in records:
            lines, ltr = _text(kind, name, record, show)
            cells.append(Cell(record.pk, lines, ltr))
        rows.append(
            _row(name, str(kind.labels.get(name, name)), cells, records, survivor, others, locked, posted)
        )
    for definition in definitions:
        cells = []
        for record in records:
            shown = custom_value(
                definition,
                record.custom.get(definition.key),
                members=show.members,
                region=show.region,
                currency=show.currency,
            )
            cells.append(Cell(record.pk, shown.text.splitlines() if shown.text else [], shown.ltr))
        rows.append(
            _row(definition.path, str(definition.label), cells, records, survivor, others, locked, posted)
        )
    tags: Mapping[int, list[Any]] = {}
    if "tags" in kind.kept and "tags" not in hidden:
        ids = [r.pk for r in records]
        tags = selectors.contact_tags(ids) if kind.entity == "contact" else selectors.company_tags(ids)
    rows = [row for row in rows if not row.empty]  # nothing to see or choose
    kept = [
        FieldRow(
            name=name,
            label=str(kind.labels.get(name, name)),
            cells=[_kept_lines(kind, name, record, show, tags) for record in records],
            chosen=survivor.pk,
            locked=True,
        )
        for name in kind.kept
        if name not in hidden
    ]
    return rows, [row for row in kept if any(cell.lines for cell in row.cells)]


def _row(
    name: str,
    label: str,
    cells: list[Cell],
    records: list[Any],
    survivor: Any,
    others: list[Any],
    locked: set[str],
    posted: Mapping[str, int],
) -> FieldRow:
    values = [_raw(record, name) for record in records]
    empty = all(_empty(v) for v in values)
    same = empty or all(v == values[0] for v in values)
    is_locked = name in locked
    chosen = survivor.pk if is_locked else posted.get(name) or _default_source(survivor, others, name)
    return FieldRow(
        name=name, label=label, cells=cells, chosen=chosen, locked=is_locked, same=same, empty=empty
    )
