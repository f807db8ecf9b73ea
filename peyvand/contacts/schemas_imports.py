"""Request and response shapes of the import endpoints (/api/v1/imports)."""

from __future__ import annotations

import datetime
from typing import Literal

from ninja import Field, Schema

from peyvand.contacts.importing.readers import MAX_COLUMNS
from peyvand.contacts.schemas import PageQuery, RefOut
from peyvand.core.api import InSchema

Entity = Literal["contact", "company"]
Policy = Literal["skip", "update", "create"]
Status = Literal["mapping", "queued", "running", "done", "failed", "cancelled"]


class ImportCountsOut(Schema):
    total: int = Field(description="Data rows of the file (known once the run has started).")
    processed: int
    created: int
    updated: int
    skipped: int = Field(description="Rows matching an existing record (policy skip) or imported before.")
    errors: int = Field(description="Rows not imported; each problem is in the problems file.")


class ImportTargetOut(Schema):
    key: str = Field(description="What to put in `mapping` for a column; custom fields are `custom.<key>`.")
    label: str
    repeatable: bool = Field(description="Several columns may fill it (e-mails, phones, tags, notes).")


class ImportJobOut(Schema):
    id: int
    entity: Entity
    filename: str
    size: int = Field(description="Bytes uploaded.")
    format: str = Field(description="csv, xlsx or vcf.")
    encoding: str = Field(description="The character encoding detected (CSV).")
    delimiter: str = Field(description="The column delimiter detected (CSV).")
    headers: list[str]
    mapping: list[str] = Field(
        description="One target key per column of `headers`; an empty string ignores it."
    )
    policy: Policy = Field(
        description="What a row matching an existing record does: skip it, update the record, or create a "
        "new record anyway."
    )
    status: Status
    counts: ImportCountsOut
    created_by: RefOut | None
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    last_error: str
    version: int
    problems_url: str | None = Field(
        description="The problems file (CSV: row, column, value, problem, severity) once the run has started."
    )


class ImportJobDetailOut(ImportJobOut):
    preview: list[list[str]] = Field(
        description="The first rows of the file as cells (vCards: name, e-mail, phone)."
    )
    targets: list[ImportTargetOut] = Field(description="What a column can be mapped to.")


class ImportJobPageOut(Schema):
    items: list[ImportJobOut]
    next_cursor: str | None


class ImportListQuery(PageQuery):
    entity: Entity | None = None
    status: Status | None = None


class ImportJobPatchIn(InSchema):
    mapping: list[str] | None = Field(
        None, max_length=MAX_COLUMNS, description='One target key per column (`""` ignores the column).'
    )
    policy: Policy | None = None
    save_as: str = Field(
        "",
        max_length=100,
        description="Save the mapping under this name; files with the same header row then get it.",
    )
    expected_version: int | None = None


class ImportMappingOut(Schema):
    id: int
    entity: Entity
    name: str
    headers: list[str]
    mapping: list[str]
    updated_at: datetime.datetime


class ImportMappingPageOut(Schema):
    items: list[ImportMappingOut]
    next_cursor: str | None


class ImportMappingQuery(PageQuery):
    entity: Entity | None = None
