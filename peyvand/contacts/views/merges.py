"""Duplicates and merging in the browser: the possible-duplicates panel of the contact and company forms
(live as the user types, and again on saving, with a “save anyway” that names what was seen), the
duplicates screen (candidate pairs), “Merge with…” from a record's page, and the compare-and-merge screen.

Every record comes through the access functions (merge: change on the survivor, delete on the others);
hidden fields are never shown and read-only ones never chosen (they keep the survivor's value).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access, duplicates, merges, selectors
from peyvand.contacts.forms.common import RowsWidget
from peyvand.contacts.forms.merges import (
    CHOICE_PREFIX,
    MergeForm,
    MergeSearchForm,
    check_count,
    parse_ids,
)
from peyvand.contacts.models import Company, Contact
from peyvand.contacts.views.common import hidden_for, member_of
from peyvand.contacts.views.merge_presenters import (
    COMPANY,
    CONTACT,
    Column,
    Kind,
    Likely,
    compare_rows,
    merge_url,
    reason_texts,
    record_label,
    score_text,
)
from peyvand.core.calendars import current_format, format_datetime, format_number
from peyvand.core.errors import ConflictError, DomainError, PermissionDeniedError

PAIRS_SHOWN = 100
SEEN_PARAM = "duplicates_seen"


def _access(kind: Kind, member: Membership, record_id: int, action: str = Action.VIEW) -> Any:
    if kind.entity == "contact":
        return access.access_contact(member=member, contact_id=record_id, action=action)
    return access.access_company(member=member, company_id=record_id, action=action)


def _require(member: Membership, kind: Kind, action: str) -> None:
    if not member.may(action, entity=kind.entity):
        raise PermissionDeniedError()


def _may_merge(member: Membership, kind: Kind) -> bool:
    return bool(
        member.may(Action.CHANGE, entity=kind.entity) and member.may(Action.DELETE, entity=kind.entity)
    )


def _likely(
    member: Membership, kind: Kind, candidates: list[duplicates.Candidate], record: Any = None
) -> list[Likely]:
    hidden = hidden_for(member, kind.entity)
    may_merge = record is not None and member.may(Action.CHANGE, record) and _may_merge(member, kind)
    return [
        Likely(
            pk=c.record.pk,
            label=record_label(kind, c.record, hidden),
            url=reverse(kind.url + "_detail", args=[c.record.pk]),
            reasons=reason_texts(c.reasons),
            score=score_text(c.score),
            merge_url=merge_url(kind, [record.pk, c.record.pk], record.pk)
            if may_merge and member.may(Action.DELETE, c.record)
            else "",
        )
        for c in candidates
    ]


def contact_candidates(
    member: Membership,
    *,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    first_name: str = "",
    last_name: str = "",
    company_id: int | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[duplicates.Candidate]:
    return duplicates.typed_contact_duplicates(
        member,
        emails=emails,
        phones=phones,
        name=f"{first_name} {last_name}".strip(),
        company_id=company_id,
        exclude_id=exclude_id,
        limit=limit,
    )


def company_candidates(
    member: Membership,
    *,
    name: str = "",
    domain: str = "",
    website: str = "",
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[duplicates.Candidate]:
    return duplicates.typed_company_duplicates(
        member, name=name, domain=domain, website=website, exclude_id=exclude_id, limit=limit
    )


def _record_candidates(member: Membership, kind: Kind, record: Any, limit: int) -> list[Any]:
    """What a stored record looks like a duplicate of, by the values it holds now."""
    if kind.entity == "contact":
        prefetch_related_objects([record], "emails", "phones")
        return contact_candidates(
            member,
            emails=[e.email for e in record.emails.all()],
            phones=[p.number for p in record.phones.all()],
            first_name=record.first_name,
            last_name=record.last_name,
            company_id=record.company_id,
            exclude_id=record.pk,
            limit=limit,
        )
    return company_candidates(
        member, name=record.name, domain=record.domain, exclude_id=record.pk, limit=limit
    )


def _stored_candidates(member: Membership, kind: Kind, record: Any) -> set[int]:
    """Ids of what the record already looked like a duplicate of, before the edit (not asked again)."""
    return {c.record.pk for c in _record_candidates(member, kind, record, 50)}


def _number(value: str) -> int | None:
    """A record id from a query parameter (None when it is not one)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


def _rows_of(data: Any, name: str) -> list[str]:
    rows = RowsWidget(("value", "label"), primary=True).value_from_datadict(data, None, name)
    return [row["value"] for row in rows if row.get("value")]


def _new_only(
    member: Membership, kind: Kind, candidates: list[duplicates.Candidate], record: Any
) -> list[duplicates.Candidate]:
    if record is None or not candidates:
        return candidates
    before = _stored_candidates(member, kind, record)
    return [c for c in candidates if c.record.pk not in before]


def _seen(data: Any) -> set[int]:
    return set(parse_ids([data.get(SEEN_PARAM, "")])) if data is not None else set()


def _hold(
    member: Membership, kind: Kind, candidates: list[duplicates.Candidate], record: Any, data: Any
) -> list[Likely]:
    """The panel to show instead of saving, or [] to save: new candidates the user has not confirmed."""
    candidates = _new_only(member, kind, candidates, record)
    seen = _seen(data)
    if all(c.record.pk in seen for c in candidates):
        return []
    return _likely(member, kind, candidates, record)


def contact_form_duplicates(
    member: Membership, form: Any, contact: Contact | None, data: Any
) -> list[Likely]:
    """Before the contact form saves: likely duplicates of what it holds that the user has not yet seen and
    confirmed (“Create anyway” posts their ids). On an edit only matches the edit brings in count."""
    cleaned = form.cleaned_data
    company = cleaned.get("company") if "company" in form.fields else (contact.company if contact else None)
    candidates = contact_candidates(
        member,
        emails=[row["value"] for row in cleaned.get("emails") or []],
        phones=[row["value"] for row in cleaned.get("phones") or []],
        first_name=cleaned.get("first_name", contact.first_name if contact else "") or "",
        last_name=cleaned.get("last_name", contact.last_name if contact else "") or "",
        company_id=company.pk if company is not None else None,
        exclude_id=contact.pk if contact else None,
    )
    return _hold(member, CONTACT, candidates, contact, data)


def quick_form_duplicates(member: Membership, form: Any, data: Any) -> list[Likely]:
    """The same check for the list's quick create (a name, an e-mail, a phone)."""
    cleaned = form.cleaned_data
    candidates = contact_candidates(
        member,
        emails=[cleaned.get("email") or ""],
        phones=[cleaned["phone"]] if cleaned.get("phone") else [],
        first_name=cleaned.get("first_name") or "",
        last_name=cleaned.get("last_name") or "",
    )
    return _hold(member, CONTACT, candidates, None, data)


def company_form_duplicates(
    member: Membership, form: Any, company: Company | None, data: Any
) -> list[Likely]:
    """Before the company form saves: companies with the same domain or name not yet confirmed."""
    cleaned = form.cleaned_data
    candidates = company_candidates(
        member,
        name=cleaned.get("name", company.name if company else "") or "",
        domain=cleaned.get("domain", company.domain if company else "") or "",
        website=cleaned.get("website", "") or "",
        exclude_id=company.pk if company else None,
    )
    return _hold(member, COMPANY, candidates, company, data)


def panel_context(kind: Kind, likely: list[Likely], record: Any = None) -> dict[str, Any]:
    """What the forms' templates need for the panel (contacts/merges/_duplicates.html)."""
    check = reverse(kind.url + "_duplicates_check")
    return {
        "duplicates": likely,
        "duplicates_seen": ",".join(str(item.pk) for item in likely),
        "duplicates_check_url": f"{check}?record={record.pk}" if record is not None else check,
        "duplicates_editing": record is not None,
    }


def _check(request: HttpRequest, kind: Kind) -> HttpResponse:
    member = member_of(request)
    _require(member, kind, Action.VIEW)
    params = request.GET
    record = None
    record_id = _number(params.get("record", ""))
    if record_id is not None:
        record = _access(kind, member, record_id)
    exclude = record.pk if record is not None else None
    if kind.entity == "contact":
        candidates = contact_candidates(
            member,
            emails=_rows_of(params, "emails"),
            phones=_rows_of(params, "phones"),
            first_name=params.get("first_name", ""),
            last_name=params.get("last_name", ""),
            company_id=_number(params.get("company", "")),
            exclude_id=exclude,
        )
    else:
        candidates = company_candidates(
            member,
            name=params.get("name", ""),
            domain=params.get("domain", ""),
            website=params.get("website", ""),
            exclude_id=exclude,
        )
    likely = _likely(member, kind, _new_only(member, kind, candidates, record), record)
    return render(request, "contacts/merges/_duplicates.html", panel_context(kind, likely, record))


@member_required
def contact_duplicates_check(request: HttpRequest) -> HttpResponse:
    """The contact form's panel, asked for as the user types (htmx): likely duplicates of the inputs."""
    return _check(request, CONTACT)


@member_required
def company_duplicates_check(request: HttpRequest) -> HttpResponse:
    return _check(request, COMPANY)


# ----------------------------------------------------------------------------- the duplicates screen


@dataclass
class PairRow:
    first: Any
    second: Any
    first_label: str
    second_label: str
    score: str
    reasons: list[str]
    merge_url: str


def _pairs(request: HttpRequest, kind: Kind) -> HttpResponse:
    member = member_of(request)
    _require(member, kind, Action.CHANGE)
    hidden = hidden_for(member, kind.entity)
    find = (
        duplicates.contact_duplicate_pairs if kind.entity == "contact" else duplicates.company_duplicate_pairs
    )
    rows = [
        PairRow(
            first=pair.first,
            second=pair.second,
            first_label=record_label(kind, pair.first, hidden),
            second_label=record_label(kind, pair.second, hidden),
            score=score_text(pair.score),
            reasons=reason_texts(pair.reasons),
            merge_url=merge_url(kind, [pair.first.pk, pair.second.pk]),
        )
        for pair in find(member, limit=PAIRS_SHOWN)
    ]
    context = {
        "kind": kind.entity,
        "pairs": rows,
        "list_url": reverse(kind.url + "_list"),
        "detail_url": kind.url + "_detail",
        "title": _("Possible duplicate contacts")
        if kind.entity == "contact"
        else _("Possible duplicate companies"),
    }
    return render(request, "contacts/merges/duplicates.html", context)


@member_required
def contact_duplicates(request: HttpRequest) -> HttpResponse:
    """Pairs of contacts that look like one person, best first, each with “Compare and merge”."""
    return _pairs(request, CONTACT)


@member_required
def company_duplicates(request: HttpRequest) -> HttpResponse:
    return _pairs(request, COMPANY)


# ----------------------------------------------------------------------------- “Merge with…”


def _pick(request: HttpRequest, kind: Kind, record_id: int) -> HttpResponse:
    member = member_of(request)
    record = _access(kind, member, record_id, Action.CHANGE)
    _require(member, kind, Action.DELETE)
    hidden = hidden_for(member, kind.entity)
    form = MergeSearchForm(request.GET or None)
    found: list[Any] = []
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        results = selectors.quick_search(member, query, limit=20)
        found = [
            r for r in results["contacts" if kind.entity == "contact" else "companies"] if r.pk != record.pk
        ]
    candidates = _record_candidates(member, kind, record, 10)
    context = {
        "kind": kind.entity,
        "record": record,
        "label": record_label(kind, record, hidden),
        "detail_url": reverse(kind.url + "_detail", args=[record.pk]),
        "list_url": reverse(kind.url + "_list"),
        "likely": _likely(member, kind, candidates, record),
        "form": form,
        "query": query,
        "found": [
            Likely(
                pk=r.pk,
                label=record_label(kind, r, hidden),
                url=reverse(kind.url + "_detail", args=[r.pk]),
                reasons=[],
                score="",
                merge_url=merge_url(kind, [record.pk, r.pk], record.pk),
            )
            for r in found
        ],
    }
    return render(request, "contacts/merges/pick.html", context)


@member_required
def contact_merge_pick(request: HttpRequest, contact_id: int) -> HttpResponse:
    """“Merge with…” from a contact's page: its likely duplicates, or any contact found by a search."""
    return _pick(request, CONTACT, contact_id)


@member_required
def company_merge_pick(request: HttpRequest, company_id: int) -> HttpResponse:
    return _pick(request, COMPANY, company_id)


# ----------------------------------------------------------------------------- compare and merge


def _load(member: Membership, kind: Kind, ids: list[int]) -> list[Any]:
    records = [_access(kind, member, pk) for pk in ids]
    if kind.entity == "contact":
        prefetch_related_objects(records, "emails", "phones", "owner__user")
    else:
        prefetch_related_objects(records, "owner__user")
    return records


def _permitted(member: Membership, survivor: Any, records: list[Any]) -> bool:
    return bool(
        member.may(Action.CHANGE, survivor)
        and all(member.may(Action.DELETE, r) for r in records if r.pk != survivor.pk)
    )


def _authorize(member: Membership, kind: Kind, survivor: Any, records: list[Any]) -> None:
    """Change on the survivor, delete on every other record (through the access functions: 403)."""
    _access(kind, member, survivor.pk, Action.CHANGE)
    for record in records:
        if record.pk != survivor.pk:
            _access(kind, member, record.pk, Action.DELETE)


def _merge(request: HttpRequest, kind: Kind) -> HttpResponse:
    member = member_of(request)
    _require(member, kind, Action.CHANGE)
    data = request.POST if request.method == "POST" else request.GET
    ids = parse_ids(data.getlist("ids"))
    try:
        check_count(ids)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(kind.url + "_duplicates")
    records = _load(member, kind, ids)
    by_id = {r.pk: r for r in records}
    wanted = _number(data.get("survivor", ""))
    if wanted in by_id:
        survivor = by_id[wanted]
    else:
        survivor = next((r for r in records if _permitted(member, r, records)), records[0])
    _authorize(member, kind, survivor, records)
    hidden = hidden_for(member, kind.entity)
    rows, kept = compare_rows(member, kind, records, survivor)
    choosable = [row.name for row in rows if row.choosable]
    others = [r for r in records if r.pk != survivor.pk]
    status = 200
    if request.method == "POST":
        status = 422
        form = MergeForm(request.POST, record_ids=ids, choosable=choosable)
        if form.is_valid():
            choices = merges.keep_locked(member, survivor, others, form.choices())
            merge = merges.contact_merge if kind.entity == "contact" else merges.company_merge
            try:
                merge(
                    actor=member,
                    survivor=survivor,
                    others=others,
                    choices=choices,
                    expected_version=form.cleaned_data.get("expected_version"),
                )
            except ConflictError as error:
                form.add_error(None, error.message)
                status = 409
            except DomainError as error:
                problems = [m for ms in error.fields.values() for m in ms]
                form.add_error(None, " ".join([error.message, *problems]) if problems else error.message)
            else:
                messages.success(
                    request,
                    ngettext(
                        "Merged %(count)s record into “%(name)s”. To undo the merge, restore the merged "
                        "record from the recycle bin.",
                        "Merged %(count)s records into “%(name)s”. To undo the merge, restore a merged "
                        "record from the recycle bin.",
                        len(others),
                    )
                    % {
                        "count": format_number(len(others), current_format()),
                        "name": record_label(kind, survivor, hidden),
                    },
                )
                return redirect(kind.url + "_detail", survivor.pk)
        rows, kept = compare_rows(member, kind, records, survivor, posted=_posted(form, choosable))
    else:
        form = MergeForm(
            initial={
                "ids": ",".join(map(str, ids)),
                "survivor": survivor.pk,
                "expected_version": survivor.version,
            },
            record_ids=ids,
            choosable=choosable,
        )
    columns = [
        Column(
            record=r,
            label=record_label(kind, r, hidden),
            url=reverse(kind.url + "_detail", args=[r.pk]),
            survivor=r.pk == survivor.pk,
            may_survive=_permitted(member, r, records),
            created=format_datetime(r.created_at, current_format()),
        )
        for r in records
    ]
    context = {
        "kind": kind.entity,
        "form": form,
        "columns": columns,
        "rows": rows,
        "kept": kept,
        "survivor_label": record_label(kind, survivor, hidden),
        "ids_text": ",".join(map(str, ids)),
        "merge_action": reverse(kind.url + "_merge"),
        "list_url": reverse(kind.url + "_list"),
        "duplicates_url": reverse(kind.url + "_duplicates"),
        "others_count": len(others),
        "title": _("Compare and merge contacts")
        if kind.entity == "contact"
        else _("Compare and merge companies"),
    }
    return render(request, "contacts/merges/merge.html", context, status=status)


def _posted(form: MergeForm, choosable: list[str]) -> dict[str, int]:
    result = {}
    for name in choosable:
        value = form.data.get(CHOICE_PREFIX + name, "")
        if str(value).isascii() and str(value).isdigit() and len(str(value)) < 19:
            result[name] = int(value)
    return result


@member_required
def contact_merge(request: HttpRequest) -> HttpResponse:
    """Compare contacts side by side (`?ids=1,2[,3…]&survivor=`) and merge them (POST): the survivor keeps
    the chosen values and every e-mail, phone, tag and note; the others go to the recycle bin, and restoring
    one undoes its merge."""
    return _merge(request, CONTACT)


@member_required
def company_merge(request: HttpRequest) -> HttpResponse:
    return _merge(request, COMPANY)
