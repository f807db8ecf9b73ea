"""Notes on contacts and companies, and the timeline they appear in: add with htmx, edit and delete
one's own (as the note permission allows) in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access, services
from peyvand.contacts.forms import NoteForm
from peyvand.contacts.models import Company, Contact, Note
from peyvand.contacts.views.common import error_text, is_htmx, member_of
from peyvand.contacts.views.timeline import timeline_rows
from peyvand.core import customfields, recycle
from peyvand.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from peyvand.core.models import CustomField


def _record_url(note: Note) -> str:
    if note.contact_id:
        return reverse("contacts:contact_detail", args=[note.contact_id])
    return reverse("contacts:company_detail", args=[note.company_id])


def note_permissions(member: Membership, notes: list[Note]) -> dict[int, tuple[bool, bool]]:
    """(may change, may delete) per note, asked once per author (a team scope costs a query each)."""
    by_author: dict[Any, tuple[bool, bool]] = {}
    result = {}
    for note in notes:
        if note.author_id not in by_author:
            by_author[note.author_id] = (member.may(Action.CHANGE, note), member.may(Action.DELETE, note))
        result[note.pk] = by_author[note.author_id]
    return result


def timeline_context(
    member: Membership,
    *,
    contact: Contact | None = None,
    company: Company | None = None,
    definitions: list[CustomField] | None = None,
    form: NoteForm | None = None,
) -> dict[str, Any]:
    """The timeline of a contact or company with the add-note form (for members who may write notes)."""
    record: Any = contact if contact is not None else company
    entity = "contact" if contact is not None else "company"
    if definitions is None:
        definitions = customfields.definitions(member.workspace_id, entity)
    rows = timeline_rows(
        member,
        entity=entity,
        record_id=record.pk,
        definitions=definitions,
        region=member.workspace.country,
        currency=member.workspace.default_currency,
    )
    permissions = note_permissions(member, [row.note for row in rows if row.note is not None])
    for row in rows:
        if row.note is not None:
            row.may_change, row.may_delete = permissions[row.note.pk]  # type: ignore[attr-defined]
    may_write = member.may(Action.CREATE, entity="note")
    prefix = "contacts:contact" if contact is not None else "contacts:company"
    return {
        "timeline": rows,
        "note_form": (form or NoteForm()) if may_write else None,
        "note_url": reverse(f"{prefix}_note_add", args=[record.pk]),
        "events_url": reverse(f"{prefix}_timeline", args=[record.pk]),
    }


def _note_add(
    request: HttpRequest, *, contact: Contact | None = None, company: Company | None = None
) -> HttpResponse:
    member = member_of(request)
    if not member.may(Action.CREATE, entity="note"):
        raise PermissionDeniedError()
    form = NoteForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.note_create(
                actor=member, body=form.cleaned_data["body"], contact=contact, company=company
            )
        except ValidationFailedError as error:
            form.add_error("body", error_text(error))
        else:
            form = NoteForm()
            status = 200
    if not is_htmx(request):
        if status == 200:
            messages.success(request, _("Note added."))
        else:
            messages.error(request, _("Write something first."))
        record: Any = contact if contact is not None else company
        name = "contacts:contact_detail" if contact is not None else "contacts:company_detail"
        return redirect(reverse(name, args=[record.pk]))
    context = timeline_context(member, contact=contact, company=company, form=form)
    response = render(request, "contacts/timeline.html#timeline", context, status=status)
    return trigger_client_event(response, "note-added") if status == 200 else response


@member_required
@require_POST
def contact_note_add(request: HttpRequest, contact_id: int) -> HttpResponse:
    return _note_add(request, contact=access.access_contact(member=member_of(request), contact_id=contact_id))


@member_required
@require_POST
def company_note_add(request: HttpRequest, company_id: int) -> HttpResponse:
    return _note_add(request, company=access.access_company(member=member_of(request), company_id=company_id))


@member_required
def contact_timeline(request: HttpRequest, contact_id: int) -> HttpResponse:
    """The timeline's entries again (after an in-place edit, so the change shows at once)."""
    member = member_of(request)
    contact = access.access_contact(member=member, contact_id=contact_id)
    return render(request, "contacts/timeline.html#events", timeline_context(member, contact=contact))


@member_required
def company_timeline(request: HttpRequest, company_id: int) -> HttpResponse:
    member = member_of(request)
    company = access.access_company(member=member, company_id=company_id)
    return render(request, "contacts/timeline.html#events", timeline_context(member, company=company))


def _note_response(
    request: HttpRequest, member: Membership, note: Note, *, status: int = 200
) -> HttpResponse:
    may_change, may_delete = note_permissions(member, [note])[note.pk]
    context = {"note": note, "may_change": may_change, "may_delete": may_delete}
    return render(request, "contacts/timeline.html#note", context, status=status)


@member_required
def note_detail(request: HttpRequest, note_id: int) -> HttpResponse:
    """One note (what "Cancel" of an in-place edit shows again)."""
    member = member_of(request)
    note = access.access_note(member=member, note_id=note_id)
    if not is_htmx(request):
        return redirect(_record_url(note))
    return _note_response(request, member, note)


@member_required
def note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    member = member_of(request)
    note = access.access_note(member=member, note_id=note_id, action=Action.CHANGE)
    form = NoteForm(
        request.POST if request.method == "POST" else None,
        initial={"body": note.body, "expected_version": note.version},
        auto_id=f"pv-note-{note.pk}-%s",
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.note_update(
                actor=member,
                note=note,
                body=form.cleaned_data["body"],
                expected_version=form.cleaned_data.get("expected_version"),
            )
        except (ValidationFailedError, PermissionDeniedError, ConflictError) as error:
            form.add_error("body", error_text(error))
        else:
            if not is_htmx(request):
                messages.success(request, _("Note saved."))
                return redirect(_record_url(note))
            return _note_response(request, member, note)
    status = 422 if form.is_bound and form.errors else 200
    template = "contacts/timeline.html#note_form" if is_htmx(request) else "contacts/note_edit.html"
    return render(request, template, {"note": note, "form": form, "back": _record_url(note)}, status=status)


@member_required
@require_POST
def note_delete(request: HttpRequest, note_id: int) -> HttpResponse:
    member = member_of(request)
    note = access.access_note(member=member, note_id=note_id, action=Action.DELETE)
    recycle.soft_delete(actor=member, record=note)
    if not is_htmx(request):
        messages.success(request, _("Note moved to the recycle bin."))
        return redirect(_record_url(note))
    return HttpResponse("")
