"""REST endpoints of imports: upload a file, see the suggested mapping and a preview, change the mapping and
the duplicate policy, start the background run, follow its progress, download the problems file.

The work is in contacts/importing/jobs.py; these operations parse, authorize (access_import_job) and shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, UploadedFile
from ninja.responses import Status

from peyvand.accounts.models import Membership
from peyvand.accounts.policy import Action
from peyvand.contacts import access
from peyvand.contacts.api_output import member_ref
from peyvand.contacts.importing import jobs
from peyvand.contacts.models import ImportJob, ImportMapping
from peyvand.contacts.schemas_imports import (
    Entity,
    ImportJobDetailOut,
    ImportJobOut,
    ImportJobPageOut,
    ImportJobPatchIn,
    ImportListQuery,
    ImportMappingPageOut,
    ImportMappingQuery,
)
from peyvand.core.api import ERRORS_READ, ERRORS_WRITE, expected_version
from peyvand.core.errors import DomainError, NotFoundError
from peyvand.core.pagination import keyset_page
from peyvand.core.versioning import check_version

router = Router(tags=["imports"])


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def job_out(viewer: Membership, job: ImportJob) -> dict[str, Any]:
    """A job as the API shows it (no file reading: lists use this)."""
    started = job.status != ImportJob.Status.MAPPING
    return {
        "id": job.pk,
        "entity": job.entity,
        "filename": job.filename,
        "size": job.size,
        "format": job.format,
        "encoding": job.encoding,
        "delimiter": job.delimiter,
        "headers": job.headers,
        "mapping": job.mapping,
        "policy": job.policy,
        "status": job.status,
        "counts": {
            "total": job.total_rows,
            "processed": job.processed_rows,
            "created": job.created_count,
            "updated": job.updated_count,
            "skipped": job.skipped_count,
            "errors": job.error_count,
        },
        "created_by": member_ref(viewer, job.created_by),
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "last_error": job.last_error,
        "version": job.version,
        "problems_url": reverse("api:import_problems", args=[job.pk]) if started else None,
    }


def job_detail_out(viewer: Membership, job: ImportJob) -> dict[str, Any]:
    """A job with the first rows of its file and what its columns can be mapped to."""
    try:
        preview = jobs.import_preview(job)
    except (OSError, DomainError):  # the file was removed or cannot be read any more
        preview = []
    targets = [
        {"key": t.key, "label": str(t.label), "repeatable": t.repeatable} for t in jobs.import_targets(job)
    ]
    return {**job_out(viewer, job), "preview": preview, "targets": targets}


def _reload(job_id: int) -> ImportJob:
    return ImportJob.objects.select_related("created_by__user").get(pk=job_id)


def _file_response(description: str) -> dict[str, Any]:
    content = {"text/csv": {"schema": {"type": "string", "format": "binary"}}}
    return {"responses": {200: {"description": description, "content": content}}}


@router.get("/imports", response={200: ImportJobPageOut, **ERRORS_READ})
def list_imports(request: HttpRequest, params: Query[ImportListQuery]) -> dict[str, Any]:
    """The caller's imports, newest first (every import of the workspace for roles that see them all)."""
    member = _member(request)
    qs = access.import_jobs_visible_to(member).select_related("created_by__user")
    if params.entity:
        qs = qs.filter(entity=params.entity)
    if params.status:
        qs = qs.filter(status=params.status)
    page = keyset_page(qs, ordering="-id", limit=params.limit, cursor=params.cursor)
    return {"items": [job_out(member, job) for job in page.items], "next_cursor": page.next_cursor}


@router.post("/imports", response={201: ImportJobDetailOut, **ERRORS_WRITE})
def create_import(request: HttpRequest, file: File[UploadedFile], entity: Form[Entity]) -> Status:
    """Upload a CSV (any common encoding and delimiter), XLSX or vCard file (multipart: `file`, `entity`) of
    up to PEYVAND_MAX_UPLOAD_BYTES (413 above). Answers the job with its detected layout, the suggested
    mapping (a saved mapping for the same header row wins), the first rows and the possible targets.
    Empty, unreadable or suspicious files are a 422 naming `file`; 403 without the create permission."""
    member = _member(request)
    job = jobs.import_job_create(actor=member, entity=entity, source=file, filename=file.name or "")
    return Status(201, job_detail_out(member, _reload(job.pk)))


@router.get("/imports/mappings", response={200: ImportMappingPageOut, **ERRORS_READ})
def list_import_mappings(request: HttpRequest, params: Query[ImportMappingQuery]) -> dict[str, Any]:
    """Saved mappings of the workspace, by name, for what the caller may import."""
    member = _member(request)
    entities = [e for e in jobs.ENTITIES if member.may(Action.CREATE, entity=e)]
    if params.entity:
        entities = [e for e in entities if e == params.entity]
    qs = ImportMapping.objects.filter(workspace_id=member.workspace_id, entity__in=entities)
    page = keyset_page(qs, ordering="name", limit=params.limit, cursor=params.cursor)
    items = [
        {
            "id": m.pk,
            "entity": m.entity,
            "name": m.name,
            "headers": m.headers,
            "mapping": m.mapping,
            "updated_at": m.updated_at,
        }
        for m in page.items
    ]
    return {"items": items, "next_cursor": page.next_cursor}


@router.get("/imports/{job_id}", response={200: ImportJobDetailOut, **ERRORS_READ})
def get_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """One import: its mapping, progress and counts (poll this while it runs), with a preview."""
    member = _member(request)
    return job_detail_out(member, access.access_import_job(member=member, job_id=job_id))


@router.patch("/imports/{job_id}", response={200: ImportJobDetailOut, **ERRORS_WRITE})
def update_import(request: HttpRequest, job_id: int, payload: ImportJobPatchIn) -> dict[str, Any]:
    """Change the mapping (one target key per column) and/or the duplicate policy before the start, and
    optionally save the mapping by name. 409 once started; 403 for someone else's import."""
    member = _member(request)
    job = access.access_import_job(member=member, job_id=job_id, action=Action.CHANGE)
    version, precondition = expected_version(request, payload.expected_version)
    check_version(job, version, precondition=precondition)
    jobs.import_job_configure(
        actor=member, job=job, column_map=payload.mapping, policy=payload.policy, save_as=payload.save_as
    )
    return job_detail_out(member, _reload(job.pk))


@router.post("/imports/{job_id}/start", response={202: ImportJobOut, **ERRORS_WRITE})
def start_import(request: HttpRequest, job_id: int) -> Status:
    """Queue the import; a worker runs it in batches (poll GET /imports/{id} for progress). 409 when it has
    already started; 422 when no column is mapped."""
    member = _member(request)
    job = access.access_import_job(member=member, job_id=job_id, action=Action.CHANGE)
    jobs.import_job_start(actor=member, job=job)
    return Status(202, job_out(member, _reload(job.pk)))


@router.post("/imports/{job_id}/cancel", response={200: ImportJobOut, **ERRORS_WRITE})
def cancel_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """Stop the import after the current batch; what was imported stays. A finished import is answered as
    it is."""
    member = _member(request)
    job = access.access_import_job(member=member, job_id=job_id)
    jobs.import_job_cancel(actor=member, job=job)
    return job_out(member, _reload(job.pk))


@router.get(
    "/imports/{job_id}/problems",
    response=ERRORS_READ,
    url_name="import_problems",
    openapi_extra=_file_response("Every problem of the run: row, column, value, problem, severity (CSV)."),
)
def import_problems(request: HttpRequest, job_id: int) -> FileResponse:
    """The problems file of a started import as a CSV download (UTF-8 with BOM, opens in Excel); a row that
    was not imported has at least one problem of severity `error`. 404 before the run has started."""
    member = _member(request)
    job = access.access_import_job(member=member, job_id=job_id)
    path = jobs.errors_file(job)
    if job.status == ImportJob.Status.MAPPING or not path.exists():
        raise NotFoundError(_("This import has no problems file yet."))
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{Path(job.filename).stem or 'import'}-problems.csv",
        content_type="text/csv; charset=utf-8",
    )
