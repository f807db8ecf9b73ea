"""REST endpoints of saved views (segments): list, create, read, change and delete named list filters.

A view's `query` is the list's query string; `GET /contacts?view=<id>` and `GET /companies?view=<id>` apply
it (other parameters override it key by key), always with the caller's own permissions. Same conventions as
peyvand/contacts/api.py: access first (another member's private view is 404), business rules in
contacts/saved_views.py, refusals in the error envelope, `If-Match` on PATCH, `Idempotency-Key` on POST (the
middleware).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from peyvand.accounts.models import Membership
from peyvand.contacts import saved_views
from peyvand.contacts.api_output import member_ref
from peyvand.contacts.models import SavedView
from peyvand.contacts.schemas import RefOut
from peyvand.core.api import ERRORS_READ, ERRORS_WRITE, InSchema, QueryIn, expected_version
from peyvand.core.errors import ValidationFailedError
from peyvand.core.pagination import keyset_page

router = Router(tags=["saved views"])

_QUERY_HELP = (
    "The list's query string, as `GET /contacts` or `GET /companies` take it (`tag=3&owner=me&ordering=-name"
    "&columns=email,phone`); paging parameters are not kept. Validated by the list's filter parser."
)


# ================================================================== schemas


class SavedViewQuery(QueryIn):
    entity: str | None = Field(None, description="contact or company.")
    shared: bool | None = Field(
        None, description="true: only views shared with the workspace; false: only the caller's private ones."
    )
    limit: int | None = None
    cursor: str | None = None


class SavedViewPermissionsOut(Schema):
    """What the caller may do with the view."""

    change: bool = Field(description="Rename it and change its filters.")
    share: bool = Field(description="Share it with the workspace (or change it while shared).")
    unshare: bool
    delete: bool


class SavedViewOut(Schema):
    id: int
    version: int
    entity: str = Field(description="contact or company.")
    name: str
    query: str = Field(description=_QUERY_HELP)
    filters: dict[str, list[str]] = Field(description="`query` read as parameter → values.")
    shared: bool = Field(description="Shared with the workspace; otherwise only its owner sees it.")
    owner: RefOut | None
    mine: bool = Field(description="The caller owns it.")
    permissions: SavedViewPermissionsOut
    created_at: datetime.datetime
    updated_at: datetime.datetime


class SavedViewPageOut(Schema):
    items: list[SavedViewOut]
    next_cursor: str | None


class SavedViewIn(InSchema):
    entity: str = Field(max_length=20, description="contact or company.")
    name: str = Field(max_length=100, description="Unique among the caller's views of that record type.")
    query: str = Field("", max_length=4000, description=_QUERY_HELP)
    shared: bool = Field(False, description="Share with the workspace (needs the share permission).")


class SavedViewPatchIn(InSchema):
    name: str | None = Field(None, max_length=100)
    query: str | None = Field(None, max_length=4000, description=_QUERY_HELP)
    shared: bool | None = None
    expected_version: int | None = Field(None, description="409 when stale; If-Match answers 412.")


# ================================================================== shaping


def _member(request: HttpRequest) -> Membership:
    return request.member  # type: ignore[attr-defined,no-any-return]


def view_out(member: Membership, view: SavedView) -> dict[str, Any]:
    allowed = saved_views.view_permissions(member, view)
    return {
        "id": view.pk,
        "version": view.version,
        "entity": view.entity,
        "name": view.name,
        "query": view.query,
        "filters": dict(QueryDict(view.query).lists()),
        "shared": view.shared,
        "owner": member_ref(member, view.owner),
        "mine": view.owner_id == member.pk,
        "permissions": {
            "change": allowed.change,
            "share": allowed.share,
            "unshare": allowed.unshare,
            "delete": allowed.delete,
        },
        "created_at": view.created_at,
        "updated_at": view.updated_at,
    }


# ================================================================== operations


@router.get("/saved-views", response={200: SavedViewPageOut, **ERRORS_READ})
def list_saved_views(request: HttpRequest, params: Query[SavedViewQuery]) -> dict[str, Any]:
    """The caller's own views and every view shared with the workspace, by name (keyset pages)."""
    member = _member(request)
    if params.entity is not None and params.entity not in SavedView.Entity.values:
        raise ValidationFailedError(fields={"entity": [_("Use contact or company.")]})
    qs = saved_views.views_visible_to(member, params.entity)
    if params.shared is True:
        qs = qs.filter(shared=True)
    elif params.shared is False:
        qs = qs.filter(shared=False, owner=member)
    page = keyset_page(qs, ordering="name", limit=params.limit, cursor=params.cursor)
    return {"items": [view_out(member, v) for v in page.items], "next_cursor": page.next_cursor}


@router.post("/saved-views", response={201: SavedViewOut, **ERRORS_WRITE})
def create_saved_view(request: HttpRequest, payload: SavedViewIn) -> Status:
    """Save a list query under a name; the caller owns it. 403 when sharing without the share permission
    (or without the view permission on the record type); 422 for a taken name or filters the list refuses.
    Audited; emits saved_view.created."""
    member = _member(request)
    view = saved_views.saved_view_create(
        actor=member, entity=payload.entity, name=payload.name, query=payload.query, shared=payload.shared
    )
    return Status(201, view_out(member, view))


@router.get("/saved-views/{view_id}", response={200: SavedViewOut, **ERRORS_READ})
def get_saved_view(request: HttpRequest, view_id: int) -> dict[str, Any]:
    """One view the caller owns or that is shared (another member's private view is 404)."""
    member = _member(request)
    return view_out(member, saved_views.access_view(member=member, view_id=view_id))


@router.patch("/saved-views/{view_id}", response={200: SavedViewOut, **ERRORS_WRITE})
def update_saved_view(request: HttpRequest, view_id: int, payload: SavedViewPatchIn) -> dict[str, Any]:
    """Rename, re-filter, share or unshare a view: its owner, or a role that changes shared views. A view
    that stays shared needs the share permission for any change. Audited; emits saved_view.updated."""
    member = _member(request)
    view = saved_views.access_view(member=member, view_id=view_id, action="change")
    changes = payload.model_dump(exclude_unset=True)
    version, precondition = expected_version(request, changes.pop("expected_version", None))
    for name in ("name", "query", "shared"):
        if name in changes and changes[name] is None:
            raise ValidationFailedError(fields={name: [_("This field may not be null.")]})
    view = saved_views.saved_view_update(
        actor=member, view=view, changes=changes, expected_version=version, precondition=precondition
    )
    return view_out(member, view)


@router.delete("/saved-views/{view_id}", response={204: None, **ERRORS_WRITE})
def delete_saved_view(request: HttpRequest, view_id: int) -> Status:
    """Delete a view for good: its owner, or a role that deletes shared views. Audited; emits
    saved_view.deleted."""
    member = _member(request)
    view = saved_views.access_view(member=member, view_id=view_id, action="delete")
    saved_views.saved_view_delete(actor=member, view=view)
    return Status(204, None)
