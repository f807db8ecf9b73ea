"""API shapes of accounts records (request bodies refuse unknown fields)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import field_validator

from peyvand.core.api import InSchema


class UserOut(Schema):
    id: int
    email: str
    full_name: str


class WorkspaceOut(Schema):
    """Settings a role hides (field rules) come back as null."""

    id: int
    name: str | None
    default_currency: str | None
    language: str | None
    calendar: str | None
    time_zone: str | None
    week_start: int | None
    country: str | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class WorkspaceBriefOut(Schema):
    id: int
    name: str
    role: str
    is_current: bool


class WorkspaceCreateIn(InSchema):
    name: str = Field(min_length=1, max_length=120)
    default_currency: str = Field("USD", min_length=3, max_length=3)
    language: str = "en"
    calendar: str = "gregorian"
    time_zone: str = "UTC"
    week_start: int = 0
    country: str = Field("", max_length=2)


class WorkspacePatchIn(InSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    default_currency: str | None = Field(None, min_length=3, max_length=3)
    language: str | None = None
    calendar: str | None = None
    time_zone: str | None = Field(None, max_length=64)
    week_start: int | None = None
    country: str | None = Field(None, max_length=2)
    expected_version: int | None = None


class RoleBriefOut(Schema):
    id: int
    name: str
    key: str


class TeamOut(Schema):
    id: int
    name: str
    description: str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    deleted_at: datetime.datetime | None = None


class TeamIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=300)


class TeamPatchIn(InSchema):
    name: str | None = Field(None, min_length=1, max_length=80)
    description: str | None = Field(None, max_length=300)
    expected_version: int | None = None


class MemberOut(Schema):
    id: int
    user: UserOut
    email: str | None = None
    role: RoleBriefOut | None = None
    team_ids: list[int] | None = None
    is_active: bool
    language: str
    version: int
    created_at: datetime.datetime
    deactivated_at: datetime.datetime | None = None


class MemberPatchIn(InSchema):
    role_id: int | None = None
    team_ids: list[int] | None = None
    expected_version: int | None = None


class MeOut(Schema):
    user: UserOut
    member: MemberOut
    workspace: WorkspaceOut
    permissions: dict[str, dict[str, str]]
    field_rules: dict[str, dict[str, str]]


class InviteOut(Schema):
    id: int
    email: str
    role: RoleBriefOut | None = None
    team_ids: list[int]
    status: str
    created_at: datetime.datetime
    expires_at: datetime.datetime
    invited_by_id: int | None = None


class InviteIn(InSchema):
    email: str = Field(max_length=254)
    role_id: int
    team_ids: list[int] = []

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            validate_email(value)
        except DjangoValidationError as error:
            raise ValueError(str(_("Enter a valid e-mail address."))) from error
        return value.strip().lower()


class InviteCreatedOut(InviteOut):
    accept_url: str


class RoleOut(Schema):
    id: int
    key: str
    name: str
    description: str
    permissions: dict[str, dict[str, str]]
    field_rules: dict[str, dict[str, str]]
    is_locked: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class RoleIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=300)
    permissions: dict[str, dict[str, str]] = {}
    field_rules: dict[str, dict[str, str]] = {}


class RolePatchIn(InSchema):
    name: str | None = Field(None, min_length=1, max_length=80)
    description: str | None = Field(None, max_length=300)
    permissions: dict[str, dict[str, str]] | None = None
    field_rules: dict[str, dict[str, str]] | None = None
    expected_version: int | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    member_id: int
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None = None
    expires_at: datetime.datetime | None = None
    revoked_at: datetime.datetime | None = None


class TokenCreatedOut(TokenOut):
    token: str


class TokenIn(InSchema):
    name: str = Field(min_length=1, max_length=80)
    expires_at: datetime.datetime | None = None

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime.datetime | None) -> datetime.datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value


class AuditEventOut(Schema):
    id: int
    actor_id: int | None
    actor_label: str
    channel: str
    action: str
    entity: str
    record_id: str
    record_label: str
    changes: dict[str, Any]
    created_at: datetime.datetime


def page_of(items: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
