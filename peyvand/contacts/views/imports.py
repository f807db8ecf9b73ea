"""The import wizard: upload a file (step 1), check the suggested column mapping against the first rows and
choose the duplicate policy (step 2), then follow the background run on a progress bar that polls (step 3)
and download the problems file. Plus the member's history of imports.

Thin views over contacts/importing/jobs.py; what a member may see and change is access_import_job's rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from peyvand.accounts.decorators import member_required
from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access
from peyvand.contacts.forms.imports import ImportMappingForm, ImportUploadForm
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import ImportJob, ImportMapping
from peyvand.contacts.views.common import apply_errors, error_text, member_of
from peyvand.core import pagination
from peyvand.core.errors import ConflictError, DomainError, PermissionDeniedError, ValidationFailedError

LIST_URLS = {"contact": "contacts:contact_list", "company": "contacts:company_list"}
UPLOAD_URLS = {"contact": "contacts:contact_import", "company": "contacts:company_import"}
FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.CANCELLED)
STATUS_CLASSES: dict[str, str] = {
    ImportJob.Status.MAPPING: "text-bg-secondary",
    ImportJob.Status.QUEUED: "text-bg-info",
    ImportJob.Status.RUNNING: "text-bg-primary",
    ImportJob.Status.DONE: "text-bg-success",
    ImportJob.Status.FAILED: "text-bg-danger",
    ImportJob.Status.CANCELLED: "text-bg-warning",
}


def _entity_names(entity: str) -> dict[str, str]:
    if entity == "contact":
        return {"plural": _("Contacts"), "import_title": _("Import contacts")}
    return {"plural": _("Companies"), "import_title": _("Import companies")}


def _rows(jobs_: Any) -> list[dict[str, Any]]:
    """Jobs for a table: each with the badge colour of its status."""
    return [{"job": job, "status_class": STATUS_CLASSES.get(job.status, "")} for job in jobs_]


def _may_import(member: Membership, entity: str) -> None:
    if not member.may(Action.CREATE, entity=entity):
        raise PermissionDeniedError(_("You may not create these records, so you may not import them."))


# ----------------------------------------------------------------------------- step 1: upload


def _upload(request: HttpRequest, entity: str) -> HttpResponse:
    member = member_of(request)
    _may_import(member, entity)
    posted = request.method == "POST"
    form = ImportUploadForm(
        request.POST if posted else None, request.FILES if posted else None, entity=entity
    )
    status = 200
    if posted:
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = jobs.import_job_create(
                    actor=member, entity=entity, source=upload, filename=upload.name or ""
                )
            except ValidationFailedError as error:
                apply_errors(form, error)
            else:
                return redirect("contacts:import_detail", job_id=job.pk)
        status = 422
    context = {
        "form": form,
        "entity": entity,
        "names": _entity_names(entity),
        "list_url": reverse(LIST_URLS[entity]),
        "recent": _rows(
            access.import_jobs_visible_to(member).filter(created_by=member, entity=entity).order_by("-id")[:5]
        ),
    }
    return render(request, "contacts/imports/upload.html", context, status=status)


@member_required
def contact_import(request: HttpRequest) -> HttpResponse:
    return _upload(request, "contact")


@member_required
def company_import(request: HttpRequest) -> HttpResponse:
    return _upload(request, "company")


# ----------------------------------------------------------------------------- step 2: mapping


def _targets(job: ImportJob) -> list[tuple[str, str, bool]]:
    return [(t.key, str(t.label), t.key.startswith("custom.")) for t in jobs.import_targets(job)]


def _preview(job: ImportJob) -> list[list[str]]:
    try:
        return jobs.import_preview(job)
    except (OSError, DomainError):  # the file is gone or no longer readable: the page still opens
        return []


def _saved_mapping(member: Membership, job: ImportJob, raw: str) -> ImportMapping | None:
    """A saved mapping the member chose to apply (`?use=<id>`) when it fits this file's columns."""
    if not (raw.isascii() and raw.isdigit() and len(raw) < 19):
        return None
    saved = ImportMapping.objects.filter(
        workspace_id=member.workspace_id, entity=job.entity, pk=int(raw)
    ).first()
    return saved if saved is not None and len(saved.mapping) == len(job.headers) else None


def _mapping_page(request: HttpRequest, member: Membership, job: ImportJob) -> HttpResponse:
    targets = _targets(job)
    status = 200
    if request.method == "POST":
        job = access.access_import_job(member=member, job_id=job.pk, action=Action.CHANGE)
        form = ImportMappingForm(request.POST, job=job, targets=targets)
        if form.is_valid():
            try:
                with transaction.atomic():  # a refused start keeps neither the mapping nor its saved copy
                    jobs.import_job_configure(
                        actor=member,
                        job=job,
                        column_map=form.column_map(),
                        policy=form.cleaned_data["policy"],
                        save_as=form.cleaned_data.get("save_as", ""),
                    )
                    jobs.import_job_start(actor=member, job=job)
            except ValidationFailedError as error:
                apply_errors(form, error)
            except ConflictError as error:
                messages.info(request, error.message)
                return redirect("contacts:import_detail", job_id=job.pk)
            else:
                return redirect("contacts:import_detail", job_id=job.pk)
        status = 422
    else:
        saved = _saved_mapping(member, job, request.GET.get("use", ""))
        form = ImportMappingForm(job=job, targets=targets, mapping=saved.mapping if saved else None)
    preview = _preview(job)
    rows = []
    for index, field in enumerate(form.columns()):
        samples = [row[index] for row in preview if index < len(row) and row[index].strip()]
        rows.append({"field": field, "header": job.headers[index], "samples": samples[:3]})
    saved_mappings = list(
        ImportMapping.objects.filter(workspace_id=member.workspace_id, entity=job.entity).order_by("name")
    )
    context = {
        "job": job,
        "form": form,
        "rows": rows,
        "preview": preview,
        "preview_headers": job.headers if job.format != "vcf" else [_("Name"), _("E-mail"), _("Phone")],
        "saved_mappings": [m for m in saved_mappings if len(m.mapping) == len(job.headers)],
        "names": _entity_names(job.entity),
        "list_url": reverse(LIST_URLS[job.entity]),
        "upload_url": reverse(UPLOAD_URLS[job.entity]),
    }
    return render(request, "contacts/imports/mapping.html", context, status=status)


# ----------------------------------------------------------------------------- step 3: progress


def progress_context(member: Membership, job: ImportJob) -> dict[str, Any]:
    """What the progress partial shows: the share done (None while the total is not known yet), the counts,
    and once finished the links to the problems file and the list."""
    finished = job.status in FINISHED
    percent: int | None = None
    if job.status == ImportJob.Status.DONE:
        percent = 100
    elif job.total_rows:
        percent = min(100, job.processed_rows * 100 // job.total_rows)
    started = job.status != ImportJob.Status.MAPPING
    return {
        "job": job,
        "finished": finished,
        "polling": job.status in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
        "percent": percent,
        "status_class": STATUS_CLASSES.get(job.status, "text-bg-secondary"),
        "has_problems_file": started and jobs.errors_file(job).exists(),
        "list_url": reverse(LIST_URLS.get(job.entity, "contacts:contact_list")) + "?ordering=-created_at",
        "upload_url": reverse(UPLOAD_URLS.get(job.entity, "contacts:contact_import")),
        "may_cancel": not finished,
        "names": _entity_names(job.entity),
    }


@member_required
def import_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 2 while the uploader has not started the import, step 3 (progress, then results) after."""
    member = member_of(request)
    job = access.access_import_job(member=member, job_id=job_id)
    if job.status == ImportJob.Status.MAPPING and job.created_by_id == member.pk:
        return _mapping_page(request, member, job)
    if request.method != "GET":
        raise PermissionDeniedError(_("Only the member who uploaded this file may change or start it."))
    return render(request, "contacts/imports/progress.html", progress_context(member, job))


@member_required
@require_safe
def import_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The progress partial, polled every second until the import has finished."""
    member = member_of(request)
    job = access.access_import_job(member=member, job_id=job_id)
    return render(request, "contacts/imports/progress.html#progress", progress_context(member, job))


@member_required
@require_POST
def import_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    member = member_of(request)
    job = access.access_import_job(member=member, job_id=job_id)
    job = jobs.import_job_cancel(actor=member, job=job)
    if job.status == ImportJob.Status.CANCELLED:
        messages.info(request, _("The import was cancelled. Rows already imported stay."))
    return redirect("contacts:import_detail", job_id=job.pk)


@member_required
@require_safe
def import_problems(request: HttpRequest, job_id: int) -> FileResponse:
    """The problems file (row, column, value, problem, severity) as a CSV download."""
    member = member_of(request)
    job = access.access_import_job(member=member, job_id=job_id)
    path = jobs.errors_file(job)
    if job.status == ImportJob.Status.MAPPING or not path.exists():
        raise Http404(_("This import has no problems file yet."))
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{Path(job.filename).stem or 'import'}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )


# ----------------------------------------------------------------------------- history


@member_required
@require_safe
def import_list(request: HttpRequest) -> HttpResponse:
    """The member's imports (every import of the workspace for roles that see them all), newest first."""
    member = member_of(request)
    qs = access.import_jobs_visible_to(member).select_related("created_by__user")
    try:
        page = pagination.keyset_page(
            qs, ordering="-id", limit=pagination.DEFAULT_LIMIT, cursor=request.GET.get("cursor") or None
        )
    except ValidationFailedError as error:
        messages.error(request, error_text(error))
        page = pagination.keyset_page(qs, ordering="-id", limit=pagination.DEFAULT_LIMIT)
    context = {
        "rows": _rows(page.items),
        "next_cursor": page.next_cursor,
        "sees_all": member.scope_for("import_job", Action.VIEW) == "all",
        "may_import": {e: member.may(Action.CREATE, entity=e) for e in jobs.ENTITIES},
    }
    return render(request, "contacts/imports/list.html", context)
