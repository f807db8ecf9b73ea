"""Import jobs: upload → detected layout and suggested mapping → (edited mapping, policy) → background run
with progress → counts and a downloadable report of every bad row (row, column, value, reason).

Files live under DATA_DIR/imports/ and are read as streams. Each batch of rows commits on its own, with
the job's progress and resume point, so a crash resumes where it stopped and every good row goes in; the
fingerprints of imported rows make a second run of the same file create nothing.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from peyvand.accounts.models import Membership
from peyvand.contacts.importing import engine, mapping
from peyvand.contacts.importing.readers import open_table
from peyvand.contacts.importing.vcard import read_cards
from peyvand.contacts.models import ImportJob, ImportMapping
from peyvand.core import customfields
from peyvand.core.audit import audit_create
from peyvand.core.context import Channel, acting_through
from peyvand.core.errors import ConflictError, PermissionDeniedError, ValidationFailedError
from peyvand.core.events import emit
from peyvand.core.text import normalize_compact
from peyvand.core.versioning import save_versioned

BATCH = 1000
PREVIEW_ROWS = 5
ENTITIES = ("contact", "company")


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def job_file(job: ImportJob) -> Path:
    return imports_dir() / job.stored_name


def errors_file(job: ImportJob) -> Path:
    return imports_dir() / f"{Path(job.stored_name).stem}-problems.csv"


def _headers_key(headers: list[str]) -> str:
    return hashlib.sha256("\x1f".join(normalize_compact(h) for h in headers).encode()).hexdigest()


def _custom_keys(workspace_id: int, entity: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for definition in customfields.definitions(workspace_id, entity):
        keys[normalize_compact(definition.label)] = definition.path
        keys[normalize_compact(definition.key)] = definition.path
    return keys


def _check_entity(actor: Membership, entity: str) -> None:
    if entity not in ENTITIES:
        raise ValidationFailedError(fields={"entity": [_("Import contacts or companies.")]})
    if not actor.may("create", entity=entity):
        raise PermissionDeniedError(_("You may not create these records, so you may not import them."))


@transaction.atomic
def import_job_create(*, actor: Membership, entity: str, source: IO[bytes], filename: str) -> ImportJob:
    """Store an uploaded file, detect its layout and suggest a mapping (a saved mapping for the same header
    row wins over the automatic guess). Refuses empty, broken or oversized files with the file named."""
    _check_entity(actor, entity)
    suffix = Path(filename).suffix.lower()[:6]
    stored = f"{uuid.uuid4().hex}{suffix if suffix in ('.csv', '.txt', '.tsv', '.xlsx', '.vcf') else ''}"
    path = imports_dir() / stored
    size = 0
    with path.open("wb") as out:
        while chunk := source.read(1024 * 1024):
            size += len(chunk)
            if size > settings.PEYVAND_MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                limit = settings.PEYVAND_MAX_UPLOAD_BYTES // (1024 * 1024)
                raise ValidationFailedError(
                    fields={"file": [_("Files up to %(mb)s MB can be imported.") % {"mb": limit}]}
                )
            out.write(chunk)
    try:
        job = ImportJob(
            workspace_id=actor.workspace_id,
            entity=entity,
            created_by=actor,
            filename=Path(filename).name[:255] or "upload",
            stored_name=stored,
            size=size,
        )
        _detect(job, path, filename)
        job.save()
    except Exception:
        path.unlink(missing_ok=True)
        raise
    audit_create(actor=actor, record=job)
    return job


def _detect(job: ImportJob, path: Path, filename: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if b"BEGIN:VCARD" in head.upper() and job.entity == "contact":
        job.format = "vcf"
        job.headers = []
        job.mapping = []
        return
    table = open_table(path, filename)
    try:
        job.format = table.info.format
        job.encoding = table.info.encoding
        job.delimiter = table.info.delimiter
        job.headers = table.info.headers
    finally:
        if hasattr(table, "close"):
            table.close()
    saved = (
        ImportMapping.objects.filter(
            workspace_id=job.workspace_id, entity=job.entity, headers_key=_headers_key(job.headers)
        )
        .order_by("-updated_at")
        .first()
    )
    if saved is not None and len(saved.mapping) == len(job.headers):
        job.mapping = saved.mapping
    else:
        job.mapping = mapping.auto_map(job.headers, job.entity, _custom_keys(job.workspace_id, job.entity))


def import_preview(job: ImportJob, rows: int = PREVIEW_ROWS) -> list[list[str]]:
    """The first rows of the file as cells (vCards: name, e-mail, phone)."""
    result: list[list[str]] = []
    for _number, cells in _rows(job):
        result.append(_card_preview(cells[0]) if job.format == "vcf" else [str(c) for c in cells])
        if len(result) >= rows:
            break
    return result


def _card_preview(row: dict[str, Any] | None) -> list[str]:
    if row is None:
        return ["", "", ""]
    name = row.get("full_name") or " ".join(filter(None, (row.get("first_name"), row.get("last_name"))))
    emails, phones = row.get("email") or [], row.get("phone") or []
    return [str(name or ""), emails[0][0] if emails else "", phones[0][0] if phones else ""]


def import_targets(job: ImportJob) -> list[mapping.Target]:
    """What a column of this job can fill, in the order a mapping screen offers them: the entity's fields,
    then the workspace's custom fields of the entity (`custom.<key>`)."""
    custom = [mapping.Target(d.path, d.label) for d in customfields.definitions(job.workspace_id, job.entity)]
    return [*mapping.targets(job.entity), *custom]


def valid_targets(job: ImportJob) -> set[str]:
    fixed = {t.key for t in mapping.targets(job.entity)}
    return fixed | {d.path for d in customfields.definitions(job.workspace_id, job.entity)}


@transaction.atomic
def import_job_configure(
    *,
    actor: Membership,
    job: ImportJob,
    column_map: list[str] | None = None,
    policy: str | None = None,
    save_as: str = "",
) -> ImportJob:
    """Set the mapping (one target per column, "" to ignore) and the duplicate policy; optionally save the
    mapping under a name for files with the same header row."""
    if job.status != ImportJob.Status.MAPPING:
        raise ConflictError(_("This import has started; its mapping cannot change."))
    if column_map is not None:
        if len(column_map) != len(job.headers):
            raise ValidationFailedError(fields={"mapping": [_("Give one target per column.")]})
        allowed = valid_targets(job)
        repeatable = {t.key for t in mapping.targets(job.entity) if t.repeatable}
        errors = []
        seen: set[str] = set()
        for index, target in enumerate(column_map):
            if target and target not in allowed:
                errors.append(
                    _("Column %(n)s: unknown field “%(target)s”.") % {"n": index + 1, "target": target}
                )
            elif target and target in seen and target not in repeatable:
                errors.append(
                    _("Column %(n)s: “%(target)s” is already used.") % {"n": index + 1, "target": target}
                )
            seen.add(target)
        if errors:
            raise ValidationFailedError(fields={"mapping": errors})
        job.mapping = list(column_map)
    if policy is not None:
        if policy not in ImportJob.Policy.values:
            raise ValidationFailedError(fields={"policy": [_("Choose skip, update or create.")]})
        job.policy = policy
    save_versioned(job, update_fields=["mapping", "policy"])
    if save_as.strip():
        ImportMapping.objects.update_or_create(
            workspace_id=job.workspace_id,
            entity=job.entity,
            name=save_as.strip()[:100],
            defaults={
                "headers_key": _headers_key(job.headers),
                "headers": job.headers,
                "mapping": job.mapping,
                "created_by": actor,
                "updated_at": timezone.now(),
            },
        )
    return job


@transaction.atomic
def import_job_start(*, actor: Membership, job: ImportJob, run_now: bool = False) -> ImportJob:
    """Queue the import (a worker runs it; `run_now` for the command line, which runs it itself)."""
    if job.status != ImportJob.Status.MAPPING:
        raise ConflictError(_("This import has already started."))
    if job.format != "vcf" and not any(job.mapping):
        raise ValidationFailedError(fields={"mapping": [_("Map at least one column.")]})
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status", "updated_at"])
    emit(job.workspace_id, "import.queued", job, {"entity": job.entity})
    if not run_now:
        job_id = job.pk
        transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: int) -> None:
    from peyvand.contacts.tasks import import_run_task

    import_run_task.enqueue(job_id=job_id)


def import_job_cancel(*, actor: Membership, job: ImportJob) -> ImportJob:
    """Stop after the current batch; what was imported stays (and a new run skips it)."""
    updated = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.MAPPING, ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.CANCELLED, finished_at=timezone.now())
    job.refresh_from_db()
    if updated:
        emit(job.workspace_id, "import.cancelled", job)
    return job


def _rows(job: ImportJob) -> Iterator[tuple[int, list[Any]]]:
    path = job_file(job)
    if job.format == "vcf":
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
            for number, row, error in read_cards(handle):
                yield number, [row, error]
        return
    table = open_table(path, job.filename)
    try:
        yield from table.rows()
    finally:
        if hasattr(table, "close"):
            table.close()


VCARD_TARGETS = (
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "job_title",
    "company",
    "birthday",
    "website",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "preferred_language",
)


def _vcard_cells(row: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """A vCard row as cells with their mapping and headers, so it goes through the same cleaner."""
    cells: list[str] = []
    targets: list[str] = []
    headers: list[str] = []
    for key in VCARD_TARGETS:
        if row.get(key):
            cells.append(str(row[key]))
            targets.append(key)
            headers.append(key)
    for key, target in (("email", "email"), ("phone", "phone")):
        ordered = sorted(row.get(key, []), key=lambda item: not item[2])
        for value, label, _preferred in ordered:
            cells.append(value)
            targets.append("mobile" if label == "mobile" else target)
            headers.append(f"{target} ({label})" if label else target)
    if row.get("tags"):
        cells.append("; ".join(row["tags"]))
        targets.append("tags")
        headers.append("categories")
    for note in row.get("note", []):
        cells.append(note)
        targets.append("note")
        headers.append("note")
    return cells, targets, headers


def import_run(job_id: int) -> ImportJob:
    """Run (or resume) an import. Safe to call twice: rows up to the resume point are skipped, and rows
    imported before are recognised by their fingerprint."""
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING)
    job = ImportJob.objects.select_related(
        "created_by__workspace", "created_by__user", "created_by__role"
    ).get(pk=job_id)
    if not claimed:
        return job
    actor = job.created_by
    if actor is None or not actor.is_active:
        return _finish(
            job, ImportJob.Status.FAILED, _("The member who started this import is no longer active.")
        )
    if job.started_at is None:
        ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now())
    # A worker has no request: the problems file and the messages are in the importer's language.
    with translation.override(actor.effective_language):
        source = _("Import of %(file)s") % {"file": job.filename}
        try:
            if job.resume_after == 0:  # the total first, so progress can be shown as a share of it
                job.total_rows = sum(1 for _row in _rows(job))
                ImportJob.objects.filter(pk=job.pk).update(total_rows=job.total_rows)
            with acting_through(Channel.IMPORT):
                _run(job, actor, source)
        except _ClaimLost:  # another run of this job went ahead: it finishes the job, not this one
            return ImportJob.objects.get(pk=job.pk)
        except Exception as error:  # a broken file or a bug: say so on the job, keep what was imported
            return _finish(job, ImportJob.Status.FAILED, str(getattr(error, "message", error))[:2000])
    job.refresh_from_db()
    if job.status == ImportJob.Status.RUNNING:
        return _finish(job, ImportJob.Status.DONE, "")
    return job


def _run(job: ImportJob, actor: Membership, source: str) -> None:
    cleaner = None if job.format == "vcf" else engine.RowCleaner(actor, job.entity, job.headers, job.mapping)
    companies = engine.CompanyFinder(actor)
    report = _Report(errors_file(job), fresh=job.resume_after == 0)
    try:
        batch: list[engine.CleanRow] = []
        problems: list[engine.Problem] = []
        seen = job.resume_after
        last = job.resume_after
        for number, cells in _rows(job):
            if number <= job.resume_after:
                continue
            last = number
            seen += 1
            if job.format == "vcf":
                row, error = cells
                if row is None:
                    problems.append(engine.Problem(number, "", "", error))
                    continue
                vcells, targets, headers = _vcard_cells(row)
                clean, found = engine.RowCleaner(actor, "contact", headers, targets).clean(number, vcells)
            else:
                assert cleaner is not None
                clean, found = cleaner.clean(number, cells)
            problems.extend(found)
            if clean is not None:
                batch.append(clean)
            if len(batch) >= BATCH or len(problems) >= BATCH:
                if not _commit(job, actor, batch, problems, companies, source, report, last, seen):
                    return
                batch, problems = [], []
        _commit(job, actor, batch, problems, companies, source, report, last, seen)
    finally:
        report.close()


class _ClaimLost(Exception):
    """Another run of the same job committed a batch first (see `_commit`)."""


class _Report:
    """The problems file, opened at this run's first committed batch — a run that loses the job to another
    never touches it. A run from the start writes it anew; a resumed run adds to it."""

    def __init__(self, path: Path, *, fresh: bool) -> None:
        self.path = path
        self.fresh = fresh or not path.exists()
        self.handle: Any = None
        self.writer: Any = None

    def write(self, problems: list[engine.Problem]) -> None:
        if self.writer is None:
            mode, encoding = ("w", "utf-8-sig") if self.fresh else ("a", "utf-8")
            self.handle = self.path.open(mode, encoding=encoding, newline="")
            self.writer = csv.writer(self.handle)
            if self.fresh:
                self.writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem"), _("Severity")])
        for problem in sorted(problems, key=lambda p: p.row):
            self.writer.writerow(
                [
                    problem.row,
                    problem.column,
                    _safe(problem.value),
                    problem.reason,
                    _severity(problem.severity),
                ]
            )
        self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def _commit(
    job: ImportJob,
    actor: Membership,
    batch: list[engine.CleanRow],
    problems: list[engine.Problem],
    companies: engine.CompanyFinder,
    source: str,
    report: _Report,
    last: int,
    seen: int,
) -> bool:
    """Write one batch and the job's progress in one transaction; False when the job was cancelled, and
    _ClaimLost when another run of it (a task delivered twice, a resume while the first run still works)
    has moved the resume point on — that run owns the job now, and this one stops without writing.

    The claim is one conditional UPDATE at the start of the transaction: it takes the row's write lock
    (PostgreSQL) or the database's (SQLite), so of two runs holding the same batch exactly one goes on."""
    with transaction.atomic():
        claimed = ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.RUNNING, resume_after=job.resume_after
        ).update(resume_after=last, updated_at=timezone.now())
        if not claimed:
            if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).exists():
                raise _ClaimLost
            return False
        result = engine.apply_batch(actor, job.entity, batch, job.policy, companies, source)
        problems = [*problems, *result.problems]
        errors = {p.row for p in problems if p.severity == "error"}
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=seen,
            total_rows=max(job.total_rows, seen),
            created_count=job.created_count + result.created,
            updated_count=job.updated_count + result.updated,
            skipped_count=job.skipped_count + result.skipped,
            error_count=job.error_count + len(errors),
            updated_at=timezone.now(),
        )
        job.resume_after = last
        job.created_count += result.created
        job.updated_count += result.updated
        job.skipped_count += result.skipped
        job.error_count += len(errors)
    report.write(problems)
    return True


def _severity(severity: str) -> str:
    """The problems file's last column, in the importer's language."""
    if severity == "warning":
        return pgettext("import problem", "warning: the row was imported without this value")
    return pgettext("import problem", "error: the row was not imported")


def _safe(value: str) -> str:
    """Report cells are opened in spreadsheets: neutralize formulas."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _finish(job: ImportJob, status: str, message: str) -> ImportJob:
    ImportJob.objects.filter(pk=job.pk).update(status=status, last_error=message, finished_at=timezone.now())
    job.refresh_from_db()
    emit(job.workspace_id, f"import.{status}", job, {"created": job.created_count, "errors": job.error_count})
    return job


def import_job_from_path(*, actor: Membership, entity: str, path: Path) -> ImportJob:
    """The command line's way in: the file is copied into the imports directory like an upload."""
    with path.open("rb") as handle:
        return import_job_create(actor=actor, entity=entity, source=handle, filename=path.name)


def import_job_delete_files(job: ImportJob) -> None:
    for file in (job_file(job), errors_file(job)):
        file.unlink(missing_ok=True)
