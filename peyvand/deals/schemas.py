"""Request and response bodies of the deals API."""

from __future__ import annotations

import datetime
from decimal import Decimal

from pydantic import Field

from peyvand.core.api import InSchema, OutSchema, QueryIn


class RefOut(OutSchema):
    id: int
    name: str


class StageOut(OutSchema):
    id: int
    key: str
    label: str
    position: int
    probability: int = Field(description="Chance (%) that a deal standing in this stage is won.")
    version: int


class PipelineOut(OutSchema):
    id: int
    key: str
    label: str
    position: int
    rotting_days: int | None
    stages: list[StageOut]
    version: int


class PipelinePageOut(OutSchema):
    items: list[PipelineOut]
    next_cursor: str | None = None


class StageIn(InSchema):
    id: int | None = Field(None, description="An existing stage of this pipeline, to keep (renamed, moved).")
    name: str = Field(max_length=100)
    probability: int = Field(0, ge=0, le=100)


class PipelineIn(InSchema):
    name: str = Field(max_length=100)
    stages: list[StageIn] = Field(description="3 to 10 stages, in order.")
    rotting_days: int | None = Field(None, ge=1, le=3650)


class PipelinePatchIn(InSchema):
    name: str | None = Field(None, max_length=100)
    position: int | None = Field(None, ge=0)
    rotting_days: int | None = Field(None, ge=1, le=3650)
    expected_version: int | None = None


class StagesIn(InSchema):
    stages: list[StageIn] = Field(
        description="The whole list in order: stages with an `id` are kept, new ones added, others removed."
    )
    expected_version: int | None = Field(None, description="The pipeline's version (or send If-Match).")


class LostReasonOut(OutSchema):
    id: int
    key: str
    label: str
    is_active: bool
    position: int
    version: int


class LostReasonPageOut(OutSchema):
    items: list[LostReasonOut]
    next_cursor: str | None = None


class LostReasonIn(InSchema):
    name: str = Field(max_length=100)
    is_active: bool = True


class LostReasonPatchIn(InSchema):
    name: str | None = Field(None, max_length=100)
    is_active: bool | None = None
    expected_version: int | None = None


class DealOut(OutSchema):
    id: int
    title: str | None
    pipeline: RefOut | None
    stage: RefOut | None
    status: str
    amount: Decimal | None
    currency: str | None
    expected_close: datetime.date | None
    owner: RefOut | None
    company: RefOut | None
    source: str | None
    lost_reason: RefOut | None
    lost_note: str | None
    closed_at: datetime.datetime | None
    stage_entered_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    version: int


class DealPageOut(OutSchema):
    items: list[DealOut]
    next_cursor: str | None = None


class DealIn(InSchema):
    title: str = Field(max_length=200)
    pipeline_id: int | None = Field(None, description="The workspace's first pipeline when left out.")
    stage_id: int | None = Field(None, description="The pipeline's first stage when left out.")
    amount: Decimal = Field(Decimal(0), ge=0, max_digits=20, decimal_places=4)
    currency: str | None = Field(None, min_length=3, max_length=3, description="ISO 4217; the workspace's.")
    expected_close: datetime.date | None = None
    owner_id: int | None = None
    company_id: int | None = None
    source: str | None = Field(None, max_length=100)


class DealPatchIn(InSchema):
    title: str | None = Field(None, max_length=200)
    amount: Decimal | None = Field(None, ge=0, max_digits=20, decimal_places=4)
    currency: str | None = Field(None, min_length=3, max_length=3)
    expected_close: datetime.date | None = None
    owner_id: int | None = None
    company_id: int | None = None
    source: str | None = Field(None, max_length=100)
    expected_version: int | None = None


class DealStageIn(InSchema):
    stage_id: int
    expected_version: int | None = None


class DealLoseIn(InSchema):
    lost_reason_id: int
    note: str = Field("", max_length=2000)
    expected_version: int | None = None


class DealListQuery(QueryIn):
    pipeline_id: int | None = None
    stage_id: int | None = None
    status: str | None = Field(None, description="open, won or lost")
    owner_id: int | None = None
    company_id: int | None = None
    ordering: str = Field("-created", description="-created, created, title, -title, amount, -amount")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None
