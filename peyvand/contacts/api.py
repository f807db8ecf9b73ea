"""REST endpoints of contacts, companies, notes, tags, custom fields and the lifecycle list.

Each operation: parse (schema) → authorize (access) → act (service) → shape (`api_output`: redacted
output, related rows loaded once per page). Lists read
their filters with `selectors.parse_filters`, the parser the web lists use, so a saved view's query string
works in both; a page costs the same number of queries whatever its size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.responses import Status

from peyvand.accounts.access import access_binned, require
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action, hidden_fields
from peyvand.contacts import access, exporting, saved_views, selectors, services
from peyvand.contacts.api_output import (
    COMPANY_OUT_COLUMNS,
    COMPANY_RELATED,
    CONTACT_OUT_COLUMNS,
    CONTACT_RELATED,
    companies_out,
    company_out,
    contact_out,
    contacts_out,
    note_out,
    reload_companies,
    reload_contacts,
    timeline_out,
)
from peyvand.contacts.models import Company, Contact, LifecycleStage, Note
from peyvand.contacts.schemas import (
    CompanyBulkIn,
    CompanyBulkOut,
    CompanyExportQuery,
    CompanyIn,
    CompanyOut,
    CompanyPageOut,
    CompanyPatchIn,
    ContactBulkIn,
    ContactBulkOut,
    ContactExportQuery,
    ContactIn,
    ContactListQuery,
    ContactOut,
    ContactPageOut,
    ContactPatchIn,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldPageOut,
    CustomFieldPatchIn,
    CustomFieldQuery,
    LifecycleStageIn,
    LifecycleStageOut,
    LifecycleStagePageOut,
    LifecycleStagePatchIn,
    ListQuery,
    NoteIn,
    NoteOut,
    NotePageOut,
    NotePatchIn,
    PageQuery,
    TagIn,
    TagMergeIn,
    TagOut,
    TagPageOut,
    TagPatchIn,
    TagQuery,
    TimelineItemOut,
    TimelineQuery,
)
from peyvand.core import customfields, recycle
from peyvand.core import tags as tag_services
from peyvand.core.api import ERRORS_READ, ERRORS_WRITE, ErrorOut, envelope, expected_version
from peyvand.core.errors import DomainError, NotFoundError, PermissionDeniedError, ValidationFailedError
from peyvand.core.models import CustomField, Tag
from peyvand.core.pagination import keyset_page
from peyvand.core.text import normalize
from peyvand.core.versioning import check_version

router = Router(tags=["contacts"])


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


# ================================================================== input


_EMPTY_WHEN_NULL: dict[str, Callable[[], Any]] = {
    "emails": list,
    "phones": list,
    "tags": list,
    "addresses": list,
    "social": dict,
    "custom": dict,
}
_STRINGS = {
    "first_name",
    "last_name",
    "job_title",
    "website",
    "preferred_language",
    "preferred_channel",
    "source",
    "email_consent",
    "email_consent_source",
    "sms_consent",
    "sms_consent_source",
    "name",
    "legal_name",
    "domain",
    "industry",
    "company_type",
    "description",
}


def service_data(member: Membership, values: dict[str, Any]) -> dict[str, Any]:
    """Body fields → service fields: ids of related rows resolved (each must be one the caller may link),
    null read as empty for text and lists."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if name == "company_id":
            data["company"] = access.linkable_company(member=member, company_id=value)
        elif name == "parent_id":
            data["parent"] = access.linkable_company(member=member, company_id=value, field="parent_id")
        elif name == "owner_id":
            data["owner"] = access.owner_of(member=member, owner_id=value)
        elif name == "lifecycle_stage_id":
            data["lifecycle_stage"] = access.lifecycle_stage_of(member=member, stage_id=value)
        elif value is None and name in _EMPTY_WHEN_NULL:
            data[name] = _EMPTY_WHEN_NULL[name]()
        elif value is None and name in _STRINGS:
            data[name] = ""
        else:
            data[name] = value
    return data


def _page_params(
    request: HttpRequest, orderings: dict[str, str], member: Membership, entity: str
) -> selectors.ListFilters:
    """The list's filters from the query string; a `view=<id>` parameter applies that saved view first,
    other parameters overriding it (the caller's own permissions still decide which rows are listed)."""
    params, _view = saved_views.view_query(member, entity, request.GET)
    return selectors.parse_filters(params, orderings=orderings)


def _error_of(error: DomainError) -> dict[str, Any]:
    return envelope(error.code, error.message, error.fields)


# ================================================================== contacts


@router.get("/contacts", response={200: ContactPageOut, **ERRORS_READ})
def list_contacts(request: HttpRequest, filters: Query[ContactListQuery]) -> dict[str, Any]:
    """Contacts the caller may see, filtered and ordered (keyset pages)."""
    member = _member(request)
    parsed = _page_params(request, selectors.CONTACT_ORDERINGS, member, "contact")
    return _contact_page(member, selectors.contact_list(member, parsed), parsed, filters)


def _contact_page(
    member: Membership, qs: QuerySet[Contact], parsed: selectors.ListFilters, params: ListQuery
) -> dict[str, Any]:
    ordering = selectors.CONTACT_ORDERINGS[parsed.ordering]
    page = keyset_page(
        qs.select_related(*CONTACT_RELATED).only(*CONTACT_OUT_COLUMNS),
        ordering=ordering,
        limit=params.limit,
        cursor=params.cursor,
        **selectors.page_plan(member, parsed, ordering, "contact"),
    )
    result: dict[str, Any] = {"items": contacts_out(member, page.items), "next_cursor": page.next_cursor}
    if params.with_total:
        result["total"] = qs.count()
    return result


def _create_contact(member: Membership, payload: ContactIn) -> Contact:
    require(member, Action.CREATE, "contact")
    data = service_data(member, payload.model_dump(exclude_unset=True))
    return services.contact_create(actor=member, data=data)


def _update_contact(
    member: Membership,
    contact_id: int,
    payload: ContactPatchIn,
    version: int | None,
    precondition: bool,
) -> Contact:
    contact = access.access_contact(member=member, contact_id=contact_id, action=Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    changes.pop("expected_version", None)
    return services.contact_update(
        actor=member,
        contact=contact,
        changes=service_data(member, changes),
        expected_version=version,
        precondition=precondition,
    )


@router.post("/contacts", response={201: ContactOut, **ERRORS_WRITE})
def create_contact(request: HttpRequest, payload: ContactIn) -> Status:
    member = _member(request)
    contact = _create_contact(member, payload)
    return Status(201, contact_out(member, reload_contacts([contact.pk])[0]))


@router.post("/contacts/bulk", response={200: ContactBulkOut, **ERRORS_WRITE})
def bulk_contacts(request: HttpRequest, payload: ContactBulkIn) -> dict[str, Any]:
    """Create and update up to 1000 contacts. Each item succeeds or fails on its own (its own savepoint,
    access checked per row); the results are in the order sent."""
    member = _member(request)

    def run(item: Any) -> tuple[int, Contact]:
        if item.create is not None:
            return 201, _create_contact(member, item.create)
        version = item.expected_version if item.expected_version is not None else item.update.expected_version
        return 200, _update_contact(member, item.id, item.update, version, False)

    results = _bulk(payload.items, run)
    records = {c.pk: c for c in reload_contacts([r["id"] for r in results if "id" in r])}
    shown = dict(zip(records, contacts_out(member, list(records.values())), strict=True))
    for result in results:
        if "id" in result:
            result["record"] = shown.get(result["id"])
    return {"results": results}


def _bulk(items: list[Any], run: Callable[[Any], tuple[int, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    with transaction.atomic():
        for index, item in enumerate(items):
            try:
                with transaction.atomic():
                    status, record = run(item)
            except DomainError as error:
                results.append({"index": index, "status": error.status, "error": _error_of(error)})
            else:
                results.append({"index": index, "status": status, "id": record.pk, "version": record.version})
    return results


def _file_response(description: str, *types: str) -> dict[str, Any]:
    """OpenAPI for an endpoint answering a file (the operation returns the download itself)."""
    content = {kind: {"schema": {"type": "string", "format": "binary"}} for kind in types}
    return {"responses": {200: {"description": description, "content": content}}}


# The export routes come before "/contacts/{contact_id}": URL patterns are tried in declaration order.
@router.get(
    "/contacts/export",
    response={403: ErrorOut, **ERRORS_READ},
    openapi_extra=_file_response(
        "The contacts as a file download (Content-Disposition: attachment).",
        "text/csv",
        exporting.CONTENT_TYPES["xlsx"],
        "text/vcard",
    ),
)
def export_contacts(request: HttpRequest, filters: Query[ContactExportQuery]) -> HttpResponseBase:
    """Every contact of the list (the list's filters and `ordering`, or a saved `view`) that the caller may
    export — their export scope, which may be narrower than what they see — as CSV, XLSX or vCard 4.0,
    streamed. Columns as `columns=` (id and names first); fields the caller's role hides are left out.
    Dates are ISO (YYYY-MM-DD); phones E.164; cells that could start a formula begin with an apostrophe.
    403 without the export permission. Audited; emits contact.exported."""
    member = _member(request)
    export = exporting.export_start(
        member=member, entity="contact", format=filters.format, params=request.GET, view_id=filters.view
    )
    return exporting.streaming_response(export)


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS_READ})
def get_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    member = _member(request)
    return contact_out(member, access.access_contact(member=member, contact_id=contact_id))


@router.patch("/contacts/{contact_id}", response={200: ContactOut, **ERRORS_WRITE})
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatchIn) -> dict[str, Any]:
    """Change the fields sent. `If-Match: <version>` (412 when stale) or `expected_version` (409)."""
    member = _member(request)
    version, precondition = expected_version(request, payload.expected_version)
    contact = _update_contact(member, contact_id, payload, version, precondition)
    return contact_out(member, reload_contacts([contact.pk])[0])


@router.delete("/contacts/{contact_id}", response={204: None, **ERRORS_WRITE})
def delete_contact(request: HttpRequest, contact_id: int) -> Status:
    """Move the contact to the recycle bin (POST /contacts/{id}/restore brings it back)."""
    member = _member(request)
    contact = access.access_contact(member=member, contact_id=contact_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=contact)
    return Status(204, None)


@router.post("/contacts/{contact_id}/restore", response={200: ContactOut, **ERRORS_WRITE})
def restore_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    member = _member(request)
    contact = access_binned(member=member, model=Contact, entity="contact", record_id=contact_id)
    recycle.restore(actor=member, record=contact)
    return contact_out(member, reload_contacts([contact.pk])[0])


@router.get("/contacts/{contact_id}/timeline", response={200: list[TimelineItemOut], **ERRORS_READ})
def contact_timeline(
    request: HttpRequest, contact_id: int, params: Query[TimelineQuery]
) -> list[dict[str, Any]]:
    """Notes and audited changes of the contact, newest first."""
    member = _member(request)
    contact = access.access_contact(member=member, contact_id=contact_id)
    label = contact_out(member, contact)["display_name"] if hidden_fields(member, "contact") else None
    return timeline_out(member, "contact", contact.pk, params.limit, label)


@router.get("/contacts/{contact_id}/notes", response={200: NotePageOut, **ERRORS_READ})
def list_contact_notes(request: HttpRequest, contact_id: int, params: Query[PageQuery]) -> dict[str, Any]:
    member = _member(request)
    contact = access.access_contact(member=member, contact_id=contact_id)
    return _notes_page(member, Note.objects.filter(workspace_id=member.workspace_id, contact=contact), params)


@router.post("/contacts/{contact_id}/notes", response={201: NoteOut, **ERRORS_WRITE})
def create_contact_note(request: HttpRequest, contact_id: int, payload: NoteIn) -> Status:
    member = _member(request)
    contact = access.access_contact(member=member, contact_id=contact_id)
    require(member, Action.CREATE, "note")
    note = services.note_create(actor=member, body=payload.body, contact=contact)
    return Status(201, note_out(member, note))


def _notes_page(member: Membership, qs: QuerySet[Note], params: PageQuery) -> dict[str, Any]:
    page = keyset_page(
        qs.select_related("author__user"), ordering="-id", limit=params.limit, cursor=params.cursor
    )
    return {"items": [note_out(member, n) for n in page.items], "next_cursor": page.next_cursor}


# ---------------------------------------------------------------- contacts: export


@router.get(
    "/contacts/{contact_id}/vcard",
    response={403: ErrorOut, **ERRORS_READ},
    openapi_extra=_file_response("The contact as a vCard 4.0 download.", "text/vcard"),
)
def export_contact_vcard(request: HttpRequest, contact_id: int) -> HttpResponseBase:
    """One contact as a vCard 4.0, without the fields the caller's role hides. 403 when the caller sees the
    contact but may not export it. Audited; emits contact.exported."""
    card, filename = exporting.contact_vcard_export(member=_member(request), contact_id=contact_id)
    return exporting.attachment([card.encode("utf-8")], exporting.CONTENT_TYPES["vcf"], filename)


# ================================================================== companies


@router.get("/companies", response={200: CompanyPageOut, **ERRORS_READ}, tags=["companies"])
def list_companies(request: HttpRequest, filters: Query[ListQuery]) -> dict[str, Any]:
    """Companies the caller may see, filtered and ordered (keyset pages)."""
    member = _member(request)
    parsed = _page_params(request, selectors.COMPANY_ORDERINGS, member, "company")
    qs = selectors.company_list(member, parsed)
    ordering = selectors.COMPANY_ORDERINGS[parsed.ordering]
    page = keyset_page(
        qs.select_related(*COMPANY_RELATED).only(*COMPANY_OUT_COLUMNS),
        ordering=ordering,
        limit=filters.limit,
        cursor=filters.cursor,
        **selectors.page_plan(member, parsed, ordering, "company"),
    )
    result: dict[str, Any] = {"items": companies_out(member, page.items), "next_cursor": page.next_cursor}
    if filters.with_total:
        result["total"] = qs.count()
    return result


def _create_company(member: Membership, payload: Any) -> Company:
    require(member, Action.CREATE, "company")
    data = service_data(member, payload.model_dump(exclude_unset=True))
    return services.company_create(actor=member, data=data)


def _update_company(
    member: Membership, company_id: int, payload: CompanyPatchIn, version: int | None, precondition: bool
) -> Company:
    company = access.access_company(member=member, company_id=company_id, action=Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    changes.pop("expected_version", None)
    return services.company_update(
        actor=member,
        company=company,
        changes=service_data(member, changes),
        expected_version=version,
        precondition=precondition,
    )


@router.post("/companies", response={201: CompanyOut, **ERRORS_WRITE}, tags=["companies"])
def create_company(request: HttpRequest, payload: CompanyIn) -> Status:
    member = _member(request)
    company = _create_company(member, payload)
    return Status(201, company_out(member, reload_companies([company.pk])[0]))


@router.post("/companies/bulk", response={200: CompanyBulkOut, **ERRORS_WRITE}, tags=["companies"])
def bulk_companies(request: HttpRequest, payload: CompanyBulkIn) -> dict[str, Any]:
    """Create and update up to 1000 companies; each item succeeds or fails on its own."""
    member = _member(request)

    def run(item: Any) -> tuple[int, Company]:
        if item.create is not None:
            return 201, _create_company(member, item.create)
        version = item.expected_version if item.expected_version is not None else item.update.expected_version
        return 200, _update_company(member, item.id, item.update, version, False)

    results = _bulk(payload.items, run)
    records = {c.pk: c for c in reload_companies([r["id"] for r in results if "id" in r])}
    shown = dict(zip(records, companies_out(member, list(records.values())), strict=True))
    for result in results:
        if "id" in result:
            result["record"] = shown.get(result["id"])
    return {"results": results}


# ---------------------------------------------------------------- companies: export
# (before "/companies/{company_id}": URL patterns are tried in declaration order)


@router.get(
    "/companies/export",
    response={403: ErrorOut, **ERRORS_READ},
    tags=["companies"],
    openapi_extra=_file_response(
        "The companies as a file download (Content-Disposition: attachment).",
        "text/csv",
        exporting.CONTENT_TYPES["xlsx"],
    ),
)
def export_companies(request: HttpRequest, filters: Query[CompanyExportQuery]) -> HttpResponseBase:
    """Every company of the list (filters, `ordering`, or a saved `view`) that the caller may export, as CSV
    or XLSX, streamed; columns as `columns=`, hidden fields left out. 403 without the export permission.
    Audited; emits company.exported."""
    member = _member(request)
    export = exporting.export_start(
        member=member, entity="company", format=filters.format, params=request.GET, view_id=filters.view
    )
    return exporting.streaming_response(export)


@router.get("/companies/{company_id}", response={200: CompanyOut, **ERRORS_READ}, tags=["companies"])
def get_company(request: HttpRequest, company_id: int) -> dict[str, Any]:
    member = _member(request)
    return company_out(member, access.access_company(member=member, company_id=company_id))


@router.patch("/companies/{company_id}", response={200: CompanyOut, **ERRORS_WRITE}, tags=["companies"])
def update_company(request: HttpRequest, company_id: int, payload: CompanyPatchIn) -> dict[str, Any]:
    """Change the fields sent. `If-Match: <version>` (412 when stale) or `expected_version` (409)."""
    member = _member(request)
    version, precondition = expected_version(request, payload.expected_version)
    company = _update_company(member, company_id, payload, version, precondition)
    return company_out(member, reload_companies([company.pk])[0])


@router.delete("/companies/{company_id}", response={204: None, **ERRORS_WRITE}, tags=["companies"])
def delete_company(request: HttpRequest, company_id: int) -> Status:
    """Move the company to the recycle bin; its people show no company until it is restored."""
    member = _member(request)
    company = access.access_company(member=member, company_id=company_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=company)
    return Status(204, None)


@router.post(
    "/companies/{company_id}/restore", response={200: CompanyOut, **ERRORS_WRITE}, tags=["companies"]
)
def restore_company(request: HttpRequest, company_id: int) -> dict[str, Any]:
    member = _member(request)
    company = access_binned(member=member, model=Company, entity="company", record_id=company_id)
    recycle.restore(actor=member, record=company)
    return company_out(member, reload_companies([company.pk])[0])


@router.get(
    "/companies/{company_id}/people",
    response={200: ContactPageOut, 403: ErrorOut, **ERRORS_READ},
    tags=["companies"],
)
def list_company_people(
    request: HttpRequest, company_id: int, filters: Query[ContactListQuery]
) -> dict[str, Any]:
    """The company's contacts the caller may see (the contact list's filters apply)."""
    member = _member(request)
    company = access.access_company(member=member, company_id=company_id)
    if "company" in hidden_fields(member, "contact"):
        # the list would tell which company each person is at, a field the role hides
        raise PermissionDeniedError(_("Your role hides the company of contacts."))
    parsed = _page_params(request, selectors.CONTACT_ORDERINGS, member, "contact")
    parsed.company = company.pk
    return _contact_page(member, selectors.contact_list(member, parsed), parsed, filters)


@router.get(
    "/companies/{company_id}/timeline",
    response={200: list[TimelineItemOut], **ERRORS_READ},
    tags=["companies"],
)
def company_timeline(
    request: HttpRequest, company_id: int, params: Query[TimelineQuery]
) -> list[dict[str, Any]]:
    member = _member(request)
    company = access.access_company(member=member, company_id=company_id)
    label = "" if "name" in hidden_fields(member, "company") else None
    return timeline_out(member, "company", company.pk, params.limit, label)


@router.get("/companies/{company_id}/notes", response={200: NotePageOut, **ERRORS_READ}, tags=["companies"])
def list_company_notes(request: HttpRequest, company_id: int, params: Query[PageQuery]) -> dict[str, Any]:
    member = _member(request)
    company = access.access_company(member=member, company_id=company_id)
    return _notes_page(member, Note.objects.filter(workspace_id=member.workspace_id, company=company), params)


@router.post("/companies/{company_id}/notes", response={201: NoteOut, **ERRORS_WRITE}, tags=["companies"])
def create_company_note(request: HttpRequest, company_id: int, payload: NoteIn) -> Status:
    member = _member(request)
    company = access.access_company(member=member, company_id=company_id)
    require(member, Action.CREATE, "note")
    note = services.note_create(actor=member, body=payload.body, company=company)
    return Status(201, note_out(member, note))


# ================================================================== notes


@router.patch("/notes/{note_id}", response={200: NoteOut, **ERRORS_WRITE}, tags=["notes"])
def update_note(request: HttpRequest, note_id: int, payload: NotePatchIn) -> dict[str, Any]:
    member = _member(request)
    note = access.access_note(member=member, note_id=note_id, action=Action.CHANGE)
    version, precondition = expected_version(request, payload.expected_version)
    note = services.note_update(
        actor=member, note=note, body=payload.body, expected_version=version, precondition=precondition
    )
    return note_out(member, note)


@router.delete("/notes/{note_id}", response={204: None, **ERRORS_WRITE}, tags=["notes"])
def delete_note(request: HttpRequest, note_id: int) -> Status:
    member = _member(request)
    note = access.access_note(member=member, note_id=note_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=note)
    return Status(204, None)


# ================================================================== tags


def tags_out(tags: list[Tag], workspace_id: int) -> list[dict[str, Any]]:
    usage = tag_services.tag_usage(workspace_id, [t.pk for t in tags])
    return [
        {
            "id": t.pk,
            "name": t.name,
            "color": t.color,
            "version": t.version,
            "usage": usage.get(t.pk, {}),
            "created_at": t.created_at,
            "updated_at": t.updated_at,
        }
        for t in tags
    ]


@router.get("/tags", response={200: TagPageOut, **ERRORS_READ}, tags=["tags"])
def list_tags(request: HttpRequest, params: Query[TagQuery]) -> dict[str, Any]:
    """The workspace's tags by name, with how many records carry each."""
    member = _member(request)
    qs = tag_services.tags_visible_to(member)
    if params.search:
        qs = qs.filter(name_normalized__contains=normalize(params.search))
    page = keyset_page(qs, ordering="name", limit=params.limit, cursor=params.cursor)
    return {"items": tags_out(page.items, member.workspace_id), "next_cursor": page.next_cursor}


@router.post("/tags", response={201: TagOut, **ERRORS_WRITE}, tags=["tags"])
def create_tag(request: HttpRequest, payload: TagIn) -> Status:
    member = _member(request)
    require(member, Action.CREATE, "tag")
    tag = tag_services.tag_create(actor=member, name=payload.name, color=payload.color)
    return Status(201, tags_out([tag], member.workspace_id)[0])


@router.post("/tags/merge", response={200: TagOut, **ERRORS_WRITE}, tags=["tags"])
def merge_tags(request: HttpRequest, payload: TagMergeIn) -> dict[str, Any]:
    """Put the target tag wherever a source tag is, then delete the sources."""
    member = _member(request)
    target = tag_services.access_tag(member=member, tag_id=payload.target_id, action=Action.CHANGE)
    require(member, Action.DELETE, "tag")
    wanted = set(payload.source_ids)
    sources = list(tag_services.tags_visible_to(member).filter(pk__in=wanted))
    if len(sources) != len(wanted):
        raise ValidationFailedError(fields={"source_ids": [_("Unknown tag.")]})
    tag = tag_services.tag_merge(actor=member, sources=sources, target=target)
    return tags_out([tag], member.workspace_id)[0]


@router.patch("/tags/{tag_id}", response={200: TagOut, **ERRORS_WRITE}, tags=["tags"])
def update_tag(request: HttpRequest, tag_id: int, payload: TagPatchIn) -> dict[str, Any]:
    """Rename or recolour a tag."""
    member = _member(request)
    tag = tag_services.access_tag(member=member, tag_id=tag_id, action=Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    tag = tag_services.tag_update(
        actor=member, tag=tag, changes=changes, expected_version=version, precondition=precondition
    )
    return tags_out([tag], member.workspace_id)[0]


@router.delete("/tags/{tag_id}", response={204: None, **ERRORS_WRITE}, tags=["tags"])
def delete_tag(request: HttpRequest, tag_id: int) -> Status:
    """Take the tag off every record and delete it (tags have no recycle bin)."""
    member = _member(request)
    tag = tag_services.access_tag(member=member, tag_id=tag_id, action=Action.DELETE)
    tag_services.tag_delete(actor=member, tag=tag)
    return Status(204, None)


# ================================================================== custom fields


def _custom_field(member: Membership, field_id: int, action: str) -> CustomField:
    """A live custom field of the member's workspace (else 404) they may `action` (else 403)."""
    field = CustomField.objects.filter(workspace_id=member.workspace_id, pk=field_id).first()
    if field is None or not member.may(Action.VIEW, entity="custom_field"):
        raise NotFoundError(_("Custom field not found."))
    require(member, action, "custom_field")
    return field


@router.get("/custom-fields", response={200: CustomFieldPageOut, **ERRORS_READ}, tags=["custom fields"])
def list_custom_fields(request: HttpRequest, params: Query[CustomFieldQuery]) -> dict[str, Any]:
    """The workspace's custom fields in display order (`entity` narrows to contact or company fields)."""
    member = _member(request)
    qs = CustomField.objects.filter(workspace_id=member.workspace_id)
    if not member.may(Action.VIEW, entity="custom_field"):
        qs = qs.none()
    if params.entity:
        if params.entity not in customfields.ENTITIES_WITH_CUSTOM_FIELDS:
            raise ValidationFailedError(fields={"entity": [_("Use contact or company.")]})
        qs = qs.filter(entity=params.entity)
    page = keyset_page(qs, ordering="position", limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/custom-fields", response={201: CustomFieldOut, **ERRORS_WRITE}, tags=["custom fields"])
def create_custom_field(request: HttpRequest, payload: CustomFieldIn) -> Status:
    member = _member(request)
    require(member, Action.CREATE, "custom_field")
    data = payload.model_dump(exclude_unset=True)
    return Status(201, customfields.custom_field_create(actor=member, data=data))


@router.patch(
    "/custom-fields/{field_id}", response={200: CustomFieldOut, **ERRORS_WRITE}, tags=["custom fields"]
)
def update_custom_field(request: HttpRequest, field_id: int, payload: CustomFieldPatchIn) -> CustomField:
    """Change the label, help, required flag, options, searchability or position (key and type stay)."""
    member = _member(request)
    field = _custom_field(member, field_id, Action.CHANGE)
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    for name in ("required", "searchable"):
        if name in changes and changes[name] is None:
            changes[name] = False
    return customfields.custom_field_update(
        actor=member, field=field, changes=changes, expected_version=version, precondition=precondition
    )


@router.delete("/custom-fields/{field_id}", response={204: None, **ERRORS_WRITE}, tags=["custom fields"])
def delete_custom_field(request: HttpRequest, field_id: int) -> Status:
    """Move the field to the recycle bin; records keep their values, so restoring brings them back."""
    member = _member(request)
    field = _custom_field(member, field_id, Action.DELETE)
    recycle.soft_delete(actor=member, record=field)
    return Status(204, None)


@router.post(
    "/custom-fields/{field_id}/restore",
    response={200: CustomFieldOut, **ERRORS_WRITE},
    tags=["custom fields"],
)
def restore_custom_field(request: HttpRequest, field_id: int) -> Any:
    member = _member(request)
    require(member, Action.DELETE, "custom_field")
    field = recycle.deleted_rows(CustomField, member.workspace_id).filter(pk=field_id).first()
    if field is None:
        raise NotFoundError(_("Custom field not found."))
    return recycle.restore(actor=member, record=field)


# ================================================================== lifecycle list


def _stage_out(stage: LifecycleStage) -> dict[str, Any]:
    return {
        "id": stage.pk,
        "key": stage.key,
        "name": stage.name,
        "label": stage.label,
        "position": stage.position,
        "version": stage.version,
    }


def _stage(member: Membership, stage_id: int, action: str) -> LifecycleStage:
    stage = LifecycleStage.objects.filter(workspace_id=member.workspace_id, pk=stage_id).first()
    if stage is None or not member.may(Action.VIEW, entity="custom_field"):
        raise NotFoundError(_("Lifecycle stage not found."))
    require(member, action, "custom_field")
    return stage


@router.get("/lifecycle-stages", response={200: LifecycleStagePageOut, **ERRORS_READ}, tags=["custom fields"])
def list_lifecycle_stages(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    """The workspace's lifecycle list in order (a workspace without one gets the default list)."""
    member = _member(request)
    services.lifecycle_ensure_defaults(member.workspace_id)
    qs = LifecycleStage.objects.filter(workspace_id=member.workspace_id)
    if not member.may(Action.VIEW, entity="custom_field"):
        qs = qs.none()
    page = keyset_page(qs, ordering="position", limit=params.limit, cursor=params.cursor)
    return {"items": [_stage_out(s) for s in page.items], "next_cursor": page.next_cursor}


@router.post("/lifecycle-stages", response={201: LifecycleStageOut, **ERRORS_WRITE}, tags=["custom fields"])
def create_lifecycle_stage(request: HttpRequest, payload: LifecycleStageIn) -> Status:
    member = _member(request)
    require(member, Action.CREATE, "custom_field")
    stage = services.lifecycle_stage_save(
        actor=member, stage=None, name=payload.name, position=payload.position
    )
    return Status(201, _stage_out(stage))


@router.patch(
    "/lifecycle-stages/{stage_id}", response={200: LifecycleStageOut, **ERRORS_WRITE}, tags=["custom fields"]
)
def update_lifecycle_stage(
    request: HttpRequest, stage_id: int, payload: LifecycleStagePatchIn
) -> dict[str, Any]:
    """Rename or move a stage (its key stays)."""
    member = _member(request)
    stage = _stage(member, stage_id, Action.CHANGE)
    version, precondition = expected_version(request, payload.expected_version)
    check_version(stage, version, precondition=precondition)
    stage = services.lifecycle_stage_save(
        actor=member, stage=stage, name=payload.name or stage.label, position=payload.position
    )
    return _stage_out(stage)


@router.delete("/lifecycle-stages/{stage_id}", response={204: None, **ERRORS_WRITE}, tags=["custom fields"])
def delete_lifecycle_stage(request: HttpRequest, stage_id: int) -> Status:
    """Remove a stage; contacts at it are left without a stage."""
    member = _member(request)
    stage = _stage(member, stage_id, Action.DELETE)
    services.lifecycle_stage_delete(actor=member, stage=stage)
    return Status(204, None)
